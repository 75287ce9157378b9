/*
 * mlfi_audit.c - the audit trail's file: open, chain, append, reopen.
 *
 * Contract: see mlfi_audit.h.  The line of a decision is the JSON object
 * of mlfi_audit_json() plus "prev" (audit_chain.h), written compact
 * (json-c, never hand-escaped) and appended with one write() of the line
 * and its newline, under audit_lock (several milter threads decide at
 * once), to the file opened O_WRONLY|O_APPEND|O_CREAT, mode 0640.
 * audit.fsync: "always" fdatasync()s after every line, "bypass" after
 * bypass lines, "never" leaves write-back to the kernel.
 *
 * The chain: at open, the last line of an existing file is read and its
 * hash becomes the next "prev" (the chain goes on after a restart).  A
 * new or empty file continues from the last line this process wrote or
 * read (the file logrotate just moved away), or from 64 zeros when it
 * knows none.  A file that does not end in a newline (a write cut short)
 * gets one before the next line, and the chain goes on from the cut
 * line: verify then reports that line as broken, which it is.
 *
 * Failures: a file that cannot be opened is retried at the next line;
 * a write or fdatasync that fails makes mlfi_audit_record() return -1
 * (mlfi_decided turns that into "this bypass must not happen").  A
 * reopen that fails keeps the file already open.  Each problem is
 * logged at LOG_ERR, at most once per MLFI_AUDIT_ERR_SECS (the lines
 * left out are counted in the next one).
 */
#include "config.h"

#include "audit_chain.h"
#include "mlfi.h"
#include "mlfi_audit.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define MLFI_AUDIT_ERR_SECS 10         /* one error line per this long */
#define MLFI_AUDIT_MODE 0640           /* a new audit file */
#define MLFI_AUDIT_TAIL_MAX (16 << 20) /* longest last line read back */

/* The trail: everything under audit_lock. */
static pthread_mutex_t audit_lock = PTHREAD_MUTEX_INITIALIZER;
static char *audit_path;                       /* audit.file, NULL: off */
static dlp_audit_what audit_what;              /* audit.what */
static dlp_audit_fsync audit_fsync;            /* audit.fsync */
static int audit_fd = -1;                      /* the open file, -1: none */
static char audit_prev[65] = AUDIT_CHAIN_ZERO; /* next line's "prev" */
static int audit_torn;                /* the file lacks its last '\n' */
static time_t audit_err_at;           /* last error line (monotonic) */
static unsigned long audit_err_quiet; /* error lines left out since */

/* audit_err - LOG_ERR "audit: ...", rate-limited */
static void audit_err(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static void audit_err(const char *fmt, ...) {
  struct timespec now;
  char msg[512];
  va_list ap;

  clock_gettime(CLOCK_MONOTONIC, &now);
  if (audit_err_at != 0 && now.tv_sec - audit_err_at < MLFI_AUDIT_ERR_SECS) {
    audit_err_quiet++;
    return;
  }
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if (audit_err_quiet > 0)
    mlfi_log(LOG_ERR, "audit: %s (%lu more audit errors not logged)", msg,
             audit_err_quiet);
  else
    mlfi_log(LOG_ERR, "audit: %s", msg);
  audit_err_at = now.tv_sec ? now.tv_sec : 1;
  audit_err_quiet = 0;
}

/*
 * audit_tail - the chain link of the last line of FD (SIZE bytes) into
 * audit_prev; sets audit_torn when the file lacks its final newline.
 * 0, or -1 (read error, or a last line longer than MLFI_AUDIT_TAIL_MAX)
 */
static int audit_tail(int fd, off_t size) {
  size_t want = 65536, got, end, start;
  char *buf = NULL, *grown;
  ssize_t n;

  for (;;) {
    if ((off_t)want > size)
      want = (size_t)size;
    if ((grown = realloc(buf, want)) == NULL)
      break;
    buf = grown;
    for (got = 0; got < want; got += (size_t)n)
      if ((n = pread(fd, buf + got, want - got,
                     size - (off_t)want + (off_t)got)) <= 0)
        break;
    if (got < want)
      break;
    end = want;
    audit_torn = buf[end - 1] != '\n';
    if (!audit_torn)
      end--;
    for (start = end; start > 0 && buf[start - 1] != '\n'; start--)
      ;
    if (start > 0 || (off_t)want == size) {
      audit_chain_hex(buf + start, end - start, audit_prev);
      free(buf);
      return 0;
    }
    if (want >= MLFI_AUDIT_TAIL_MAX)
      break;
    want *= 2;
  }
  free(buf);
  return -1;
}

/* audit_open - open audit_path, continue the chain; the fd or -1 */
static int audit_open(void) {
  struct stat st;
  int fd;

  fd = open(audit_path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC,
            MLFI_AUDIT_MODE);
  if (fd < 0) {
    audit_err("cannot open %s: %s", audit_path, strerror(errno));
    return -1;
  }
  if (fstat(fd, &st) < 0) {
    audit_err("cannot stat %s: %s", audit_path, strerror(errno));
    close(fd);
    return -1;
  }
  audit_torn = 0;
  if (st.st_size > 0 && audit_tail(fd, st.st_size) < 0) {
    audit_err("cannot read the last line of %s: %s (its chain is not "
              "continued)",
              audit_path, errno ? strerror(errno) : "line too long");
    snprintf(audit_prev, sizeof(audit_prev), "%s", AUDIT_CHAIN_ZERO);
  }
  return fd;
}

/* audit_reopen_locked - a new descriptor for audit_path; keep the old
   one when that fails */
static void audit_reopen_locked(void) {
  char prev[65];
  int fd, torn = audit_torn;

  if (audit_path == NULL) {
    if (audit_fd >= 0)
      close(audit_fd);
    audit_fd = -1;
    return;
  }
  memcpy(prev, audit_prev, sizeof(prev));
  if ((fd = audit_open()) < 0) {
    memcpy(audit_prev, prev, sizeof(prev));
    audit_torn = torn;
    return;
  }
  if (audit_fd >= 0)
    close(audit_fd);
  audit_fd = fd;
}

/* audit_configure - take CFG's settings and reopen (under audit_lock) */
static void audit_configure(const DLP_CONFIG *cfg) {
  const char *path = dlp_config_audit_file(cfg);

  pthread_mutex_lock(&audit_lock);
  free(audit_path);
  audit_path = path != NULL ? strdup(path) : NULL;
  if (path != NULL && audit_path == NULL)
    audit_err("out of memory for audit.file %s", path);
  audit_what = dlp_config_audit_what(cfg);
  audit_fsync = dlp_config_audit_fsync(cfg);
  audit_reopen_locked();
  pthread_mutex_unlock(&audit_lock);
}

/* mlfi_audit_start - the settings of CFG; open its audit file, if any */
void mlfi_audit_start(const DLP_CONFIG *cfg) {
  audit_configure(cfg);
}

/* mlfi_audit_reload - the settings of the new CFG; reopen the file */
void mlfi_audit_reload(const DLP_CONFIG *cfg) {
  audit_configure(cfg);
}

/* mlfi_audit_reopen - reopen the audit file (logrotate) */
void mlfi_audit_reopen(void) {
  pthread_mutex_lock(&audit_lock);
  audit_reopen_locked();
  pthread_mutex_unlock(&audit_lock);
}

/* mlfi_audit_stop - close the audit file */
void mlfi_audit_stop(void) {
  pthread_mutex_lock(&audit_lock);
  if (audit_fd >= 0)
    close(audit_fd);
  audit_fd = -1;
  free(audit_path);
  audit_path = NULL;
  pthread_mutex_unlock(&audit_lock);
}

/*
 * audit_append - LINE (LEN bytes, no newline) after a newline when the
 * file is torn, then its own, in one write(); 0 or -1 (logged).  On a
 * short write the chain goes on from the bytes that reached the file.
 */
static int audit_append(const char *line, size_t len) {
  size_t lead = audit_torn ? 1 : 0, total = lead + len + 1;
  char *buf = malloc(total);
  ssize_t n;

  if (buf == NULL) {
    audit_err("out of memory for an audit line");
    return -1;
  }
  buf[0] = '\n';
  memcpy(buf + lead, line, len);
  buf[lead + len] = '\n';
  do
    n = write(audit_fd, buf, total);
  while (n < 0 && errno == EINTR);
  free(buf);
  if (n == (ssize_t)total) {
    audit_torn = 0;
    audit_chain_hex(line, len, audit_prev);
    return 0;
  }
  if (n < 0) {
    audit_err("cannot write to %s: %s", audit_path, strerror(errno));
    return -1;
  }
  audit_err("short write to %s (%zd of %zu bytes)", audit_path, n, total);
  if ((size_t)n > lead) {
    audit_torn = 1;
    audit_chain_hex(line, (size_t)n - lead > len ? len : (size_t)n - lead,
                    audit_prev);
  }
  return -1;
}

/* audit_line - D's line with "prev" (compact JSON, malloc'd), or NULL */
static char *audit_line(const struct mlfi_decision *d, size_t *len) {
  struct json_object *o = mlfi_audit_json(d);
  const char *text;
  char *line = NULL;

  if (o == NULL)
    return NULL;
  json_object_object_add(o, "prev", json_object_new_string(audit_prev));
  text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                               JSON_C_TO_STRING_NOSLASHESCAPE);
  if (text != NULL && (line = strdup(text)) != NULL)
    *len = strlen(line);
  json_object_put(o);
  return line;
}

/* mlfi_audit_record - the audit line of decision D; 0, or -1 */
int mlfi_audit_record(const struct mlfi_decision *d) {
  int bypass = d->verdict == DLP_VERDICT_BYPASS, rc = -1;
  size_t len = 0;
  char *line;

  pthread_mutex_lock(&audit_lock);
  if (audit_path == NULL || (audit_what == DLP_AUDIT_BYPASS && !bypass)) {
    pthread_mutex_unlock(&audit_lock);
    return 0;
  }
  if (audit_fd < 0)
    audit_fd = audit_open();
  if (audit_fd < 0)
    goto out;
  if ((line = audit_line(d, &len)) == NULL) {
    audit_err("out of memory for the audit line of %s", d->qid);
    goto out;
  }
  rc = audit_append(line, len);
  free(line);
  if (rc == 0 &&
      (audit_fsync == DLP_AUDIT_FSYNC_ALWAYS ||
       (audit_fsync == DLP_AUDIT_FSYNC_BYPASS && bypass)) &&
      fdatasync(audit_fd) < 0) {
    audit_err("fdatasync of %s: %s", audit_path, strerror(errno));
    rc = -1;
  }
out:
  pthread_mutex_unlock(&audit_lock);
  return rc;
}
