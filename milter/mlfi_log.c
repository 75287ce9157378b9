/*
 * mlfi_log.c - where dlpbypass-milter's log lines go.
 *
 * Contract: mlfi_log(priority, fmt, ...) writes one line to syslog, or,
 * after mlfi_log_to(fd) (-f: stderr), "dlpbypass-milter[PID]: line\n" to
 * that descriptor in one write(), cut at MLFI_LOG_MAX bytes.  The caller
 * composes the line (mlfi.c: one per decision); this file only carries it.
 * While the milter starts, mlfi_log_echo(STDERR_FILENO) also copies each
 * warning or error meant for syslog to stderr in the same form, so that
 * whoever started it sees why it did not (mlfi_log_echo(-1) ends that).
 */
#include "config.h"

#include "mlfi.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <unistd.h>

#define MLFI_LOG_MAX 4096 /* longest log line, the rest is cut */

/* where mlfi_log writes with -f; -1: syslog */
static int mlfi_logfd = -1;

/* where warnings and errors for syslog are copied at start-up; -1: not */
static int mlfi_echofd = -1;

/* mlfi_log_to - log lines to FD (-1: syslog) */
void mlfi_log_to(int fd) {
  mlfi_logfd = fd;
}

/* mlfi_log_echo - copy warnings and errors for syslog to FD (-1: stop) */
void mlfi_log_echo(int fd) {
  mlfi_echofd = fd;
}

/*
 * mlfi_log - one line to syslog, or with -f straight to stderr in one
 * write() (glibc's LOG_PERROR would first try /dev/log on every call)
 */
void mlfi_log(int priority, const char *fmt, ...) {
  char line[MLFI_LOG_MAX];
  va_list ap;
  int n, m;

  va_start(ap, fmt);
  if (mlfi_logfd < 0) {
    va_list copy;

    va_copy(copy, ap);
    vsyslog(priority, fmt, copy);
    va_end(copy);
    if (mlfi_echofd < 0 || LOG_PRI(priority) > LOG_WARNING) {
      va_end(ap);
      return;
    }
  }
  n = snprintf(line, sizeof(line), "%s[%ld]: ", MLFI_NAME, (long)getpid());
  m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
  va_end(ap);
  if (m < 0)
    m = 0;
  n += m;
  if ((size_t)n > sizeof(line) - 2)
    n = (int)sizeof(line) - 2; /* truncated */
  line[n++] = '\n';
  (void)!write(mlfi_logfd < 0 ? mlfi_echofd : mlfi_logfd, line, (size_t)n);
}
