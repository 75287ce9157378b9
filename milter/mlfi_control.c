/*
 * mlfi_control.c - the control socket of dlpbypass-milter
 * (control.socket, control.mode, control.group; dlpbypass-ctl(8)).
 *
 * Contract: mlfi_control_start() creates the unix stream socket at
 * control.socket with mode control.mode (the path never has a wider
 * mode, even for a moment: it is bound under umask 0177) and group
 * control.group, and serves it in a thread of its own (every signal
 * blocked).  A stale socket nobody answers on is replaced; a live one
 * (another milter) or anything that is not a socket is left alone and
 * the control socket stays off.  Access is by file permission only;
 * each request is logged with the peer's credentials (SO_PEERCRED).
 *
 * Protocol: the client sends one line (at most CONTROL_LINE_MAX bytes,
 * within CONTROL_TIMEOUT seconds); the milter sends one reply and
 * closes.  A reply is "OK\n" and the text, or "ERR why\n".  Commands:
 *   status           the status in words (mlfi_status_describe)
 *   status --json    the same as one JSON object
 *   bypass reset     mlfi_budget_reset(): refill the budget, end the
 *                    episode
 *   bypass close     mlfi_budget_close(): spend the budget now
 * Requests are served one at a time; each is bounded by the timeout.
 * mlfi_control_stop() ends the thread and removes the socket (when it is
 * still the one we made).
 */
#include "config.h"

#include "mlfi.h"
#include "mlfi_policy.h"
#include "mlfi_status.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#define CONTROL_LINE_MAX 256
#define CONTROL_TIMEOUT 5 /* seconds for the request and for the reply */
#define CONTROL_HELP "status, status --json, bypass reset, bypass close"

static int control_fd = -1;            /* listening socket */
static int control_wake[2] = {-1, -1}; /* a byte here stops the thread */
static pthread_t control_thread;
static char control_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static ino_t control_ino; /* the socket we made */

/*
 * control_read_line - one request line from FD into BUF: 0, -1 (none in
 * time), or -2 (longer than BUF)
 */
static int control_read_line(int fd, char *buf, size_t len) {
  size_t n = 0;
  ssize_t r;

  while (n < len - 1) {
    r = read(fd, buf + n, len - 1 - n);
    if (r <= 0)
      break;
    n += (size_t)r;
    if (memchr(buf, '\n', n) != NULL)
      break;
  }
  buf[n] = 0;
  if (n == len - 1 && memchr(buf, '\n', n) == NULL)
    return -2;
  if (memchr(buf, '\n', n) == NULL)
    return n > 0 ? 0 : -1; /* no LF (EOF or timeout): taken as it is */
  buf[strcspn(buf, "\r\n")] = 0;
  return 0;
}

/* control_send - write all of P (LEN bytes) to FD, within its timeout */
static void control_send(int fd, const char *p, size_t len) {
  ssize_t w;

  while (len > 0) {
    w = send(fd, p, len, MSG_NOSIGNAL);
    if (w <= 0)
      return;
    p += w;
    len -= (size_t)w;
  }
}

/* control_command - the reply to request LINE into B */
static void control_command(const char *line, struct mlfi_buf *b) {
  if (strcmp(line, "status") == 0 || strcmp(line, "status --json") == 0) {
    mlfi_buf_printf(b, "OK\n");
    mlfi_status_describe(b, line[6] != 0);
  } else if (strcmp(line, "bypass reset") == 0) {
    mlfi_budget_reset();
    mlfi_buf_printf(b, "OK\nbypass budget reset: refilled, the bypass "
                       "episode (if any) ended\n");
  } else if (strcmp(line, "bypass close") == 0) {
    mlfi_budget_close();
    mlfi_buf_printf(b, "OK\nbypass budget closed: no bypass until a DLP host "
                       "takes mail again or \"bypass reset\"\n");
  } else {
    mlfi_buf_printf(b, "ERR unknown command \"%.64s\" (commands: %s)\n", line,
                    CONTROL_HELP);
  }
}

/* control_printable - LINE with non-printables as '?' (for the log) */
static void control_printable(char *line) {
  for (; *line; line++)
    if ((unsigned char)*line < ' ' || (unsigned char)*line >= 0x7f)
      *line = '?';
}

/* control_serve - one client on FD: request, reply, close */
static void control_serve(int fd) {
  struct timeval tv = {CONTROL_TIMEOUT, 0};
  struct ucred cred = {0, (uid_t)-1, (gid_t)-1};
  socklen_t clen = sizeof(cred);
  struct mlfi_buf b = {NULL, 0, 0, 0};
  char line[CONTROL_LINE_MAX];
  int rc;

  (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  (void)getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen);
  if ((rc = control_read_line(fd, line, sizeof(line))) < 0) {
    mlfi_log(LOG_WARNING, "control: %s from pid=%ld uid=%ld gid=%ld",
             rc == -2 ? "request line too long" : "no request line",
             (long)cred.pid, (long)cred.uid, (long)cred.gid);
    mlfi_buf_printf(&b, "ERR %s (one line, at most %d bytes)\n",
                    rc == -2 ? "request line too long" : "no request line",
                    CONTROL_LINE_MAX - 2);
  } else {
    control_printable(line);
    mlfi_log(strncmp(line, "bypass ", 7) == 0 ? LOG_NOTICE : LOG_INFO,
             "control: \"%s\" from pid=%ld uid=%ld gid=%ld", line,
             (long)cred.pid, (long)cred.uid, (long)cred.gid);
    control_command(line, &b);
  }
  if (b.failed)
    control_send(fd, "ERR out of memory\n", 18);
  else if (b.p != NULL)
    control_send(fd, b.p, b.len);
  free(b.p);
  close(fd);
}

/* control_main - thread: accept and serve until woken */
static void *control_main(void *arg) {
  struct pollfd pfd[2];
  int fd;

  (void)arg;
  pfd[0].fd = control_fd;
  pfd[0].events = POLLIN;
  pfd[1].fd = control_wake[0];
  pfd[1].events = POLLIN;
  for (;;) {
    if (poll(pfd, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      mlfi_log(LOG_ERR, "control: poll: %s", strerror(errno));
      break;
    }
    if (pfd[1].revents != 0)
      break;
    if (!(pfd[0].revents & POLLIN))
      continue;
    if ((fd = accept4(control_fd, NULL, NULL, SOCK_CLOEXEC)) < 0)
      continue; /* EAGAIN, ECONNABORTED, EMFILE: the next one */
    control_serve(fd);
  }
  return NULL;
}

/*
 * control_clear - PATH may be bound: 0 when nothing is there or it was a
 * stale socket (removed), -1 (logged) when it must be left alone
 */
static int control_clear(const char *path, const struct sockaddr_un *sun) {
  struct stat st;
  int fd, live;

  if (lstat(path, &st) < 0)
    return errno == ENOENT ? 0 : -1;
  if (!S_ISSOCK(st.st_mode)) {
    mlfi_log(LOG_ERR,
             "control.socket %s: exists and is not a socket, "
             "control socket off",
             path);
    return -1;
  }
  if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
    return -1;
  live = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
  close(fd);
  if (live) {
    mlfi_log(LOG_ERR,
             "control.socket %s: another process answers on it "
             "(a second dlpbypass-milter?), control socket off",
             path);
    return -1;
  }
  return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
}

/* control_bind - the listening socket at CFG's path, mode and group */
static int control_bind(const DLP_CONFIG *cfg, struct sockaddr_un *sun) {
  const char *path = dlp_config_control_socket(cfg);
  const char *group = dlp_config_control_group(cfg);
  struct group *gr = NULL;
  struct stat st;
  mode_t old;
  int fd, rc;

  if (group != NULL && (gr = getgrnam(group)) == NULL) {
    mlfi_log(LOG_ERR, "control.group %s: no such group, control socket off",
             group);
    return -1;
  }
  if (control_clear(path, sun) < 0 ||
      (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
    return -1;
  old = umask(0177); /* the path starts 0600, never wider */
  rc = bind(fd, (struct sockaddr *)sun, sizeof(*sun));
  umask(old);
  if (rc < 0 || (gr != NULL && chown(path, (uid_t)-1, gr->gr_gid) < 0) ||
      chmod(path, (mode_t)dlp_config_control_mode(cfg)) < 0 ||
      listen(fd, 16) < 0 || stat(path, &st) < 0) {
    mlfi_log(LOG_ERR, "control.socket %s: %s, control socket off", path,
             strerror(errno));
    if (rc == 0)
      unlink(path);
    close(fd);
    return -1;
  }
  control_ino = st.st_ino;
  return fd;
}

/* mlfi_control_start - serve CFG's control.socket; 0 or -1 */
int mlfi_control_start(const DLP_CONFIG *cfg) {
  struct sockaddr_un sun;
  sigset_t all, old;
  int rc;

  memset(&sun, 0, sizeof(sun));
  sun.sun_family = AF_UNIX;
  snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
           dlp_config_control_socket(cfg));
  snprintf(control_path, sizeof(control_path), "%s", sun.sun_path);
  if ((control_fd = control_bind(cfg, &sun)) < 0)
    return -1;
  if (pipe2(control_wake, O_CLOEXEC) < 0) {
    mlfi_log(LOG_ERR, "control: pipe: %s", strerror(errno));
    mlfi_control_stop();
    return -1;
  }
  sigfillset(&all); /* the thread must never take our signals */
  pthread_sigmask(SIG_BLOCK, &all, &old);
  rc = pthread_create(&control_thread, NULL, control_main, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc != 0) {
    mlfi_log(LOG_ERR, "control: cannot start its thread");
    close(control_wake[0]);
    close(control_wake[1]);
    control_wake[0] = control_wake[1] = -1;
    mlfi_control_stop();
    return -1;
  }
  mlfi_log(LOG_INFO, "control socket %s (mode %04o%s%s)", control_path,
           dlp_config_control_mode(cfg),
           dlp_config_control_group(cfg) ? ", group " : "",
           dlp_config_control_group(cfg) ? dlp_config_control_group(cfg) : "");
  return 0;
}

/* mlfi_control_stop - end the thread, remove the socket */
void mlfi_control_stop(void) {
  struct stat st;

  if (control_wake[1] >= 0) {
    ssize_t w = write(control_wake[1], "x", 1);

    (void)w; /* a full pipe wakes the thread as well */
    pthread_join(control_thread, NULL);
    close(control_wake[0]);
    close(control_wake[1]);
    control_wake[0] = control_wake[1] = -1;
  }
  if (control_fd >= 0) {
    close(control_fd);
    control_fd = -1;
    if (lstat(control_path, &st) == 0 && st.st_ino == control_ino)
      unlink(control_path);
  }
}
