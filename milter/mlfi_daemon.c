/*
 * mlfi_daemon.c - dlpbypass-milter as a service: user, socket, pid file,
 * background (issue 12; the contract and the order of the calls are in
 * mlfi_daemon.h).
 *
 * Privileges: everything that needs root happens first (the socket is
 * bound and given its mode, owner and group; the services of the main
 * program open their files), then mlfi_daemon_drop() switches for good
 * to the configured user: initgroups(), setgid(), setuid(), each checked,
 * and then setuid(0) and setgid(0) must fail.  Without a user the
 * milter refuses to go on as root unless milter.allow_root is true.
 *
 * Unix socket: libmilter's smfi_opensocket(1) would unlink whatever is
 * at the path; mlfi_daemon_socket_check() looks first: a socket that
 * answers a connect() belongs to a running milter (MAIN_EXIT_INUSE), one
 * that refuses is stale and removed, anything that is not a socket is
 * never touched.  The socket is made under a umask that leaves only the
 * configured mode, then chmod()ed to that mode and chown()ed to the user
 * and to milter.socket_group (default: the group "postfix" when it
 * exists, else the user's group).  It is removed at a clean exit (the user must
 * be allowed to write its directory; a socket left behind is stale at the next
 * start).
 *
 * Background: mlfi_daemon_detach() forks; the parent keeps the terminal
 * and waits on a pipe.  The child goes on with stderr still open (its
 * start-up errors are echoed there, see mlfi_log_echo) and either fails,
 * whereupon the parent exits with the child's status, or calls
 * mlfi_daemon_ready(), whereupon the parent exits 0 and the child's
 * stdio goes to /dev/null.  So "dlpbypass-milter; echo $?" tells why it
 * did not start, whatever the step.
 *
 * Pid file: written by the unprivileged process once it runs (so it can
 * remove it at exit), O_CREAT|O_EXCL|O_NOFOLLOW; an existing one whose
 * process is gone is replaced, one whose process is alive means another
 * milter runs (MAIN_EXIT_INUSE).
 */
#include "config.h"

#include "mlfi.h"
#include "mlfi_daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#define DAEMON_DEFAULT_GROUP "postfix" /* milter.socket_group when unset */

/* daemon_perm_status - the exit status for a failed call with ERRNO */
static int daemon_perm_status(int err) {
  return err == EACCES || err == EPERM || err == EROFS ? MAIN_EXIT_PERM
                                                       : MAIN_EXIT_START;
}

/* daemon_unix_path - the path of a unix: or local: socket, or NULL */
static const char *daemon_unix_path(const char *sock) {
  if (strncasecmp(sock, "unix:", 5) == 0)
    return sock + 5;
  if (strncasecmp(sock, "local:", 6) == 0)
    return sock + 6;
  return sock[0] == '/' ? sock : NULL;
}

/*
 * daemon_lookup - USERSPEC ("user" or "user:group") into NAME, UID and
 * GID (the group's, else the user's primary group); 0, or -1 with ERR
 */
static int daemon_lookup(const char *userspec, char *name, size_t namelen,
                         uid_t *uid, gid_t *gid, char *err, size_t errlen) {
  char buf[128];
  const char *group = NULL;
  struct passwd *pw;
  struct group *gr;
  char *colon;

  snprintf(buf, sizeof(buf), "%s", userspec);
  if ((colon = strchr(buf, ':')) != NULL) {
    *colon = 0;
    group = colon + 1;
  }
  if (buf[0] == 0 || (pw = getpwnam(buf)) == NULL) {
    snprintf(err, errlen, "user \"%s\" does not exist", buf);
    return -1;
  }
  snprintf(name, namelen, "%s", pw->pw_name);
  *uid = pw->pw_uid;
  *gid = pw->pw_gid;
  if (group == NULL)
    return 0;
  if (group[0] == 0 || (gr = getgrnam(group)) == NULL) {
    snprintf(err, errlen, "group \"%s\" (of user %s) does not exist", group,
             buf);
    return -1;
  }
  *gid = gr->gr_gid;
  return 0;
}

/* mlfi_daemon_check - host-less inet socket, user and groups (-n) */
int mlfi_daemon_check(const DLP_CONFIG *cfg, const char *sock,
                      const char *userspec, char *err, size_t errlen) {
  const char *group = dlp_config_socket_group(cfg);
  char name[64];
  uid_t uid;
  gid_t gid;

  if ((strncasecmp(sock, "inet:", 5) == 0 ||
       strncasecmp(sock, "inet6:", 6) == 0) &&
      strchr(sock, '@') == NULL) {
    snprintf(err, errlen,
             "milter socket \"%s\" has no host: it would listen on every "
             "interface; give one, e.g. \"%s@127.0.0.1\" (or \"@0.0.0.0\" "
             "on purpose)",
             sock, sock);
    return MAIN_EXIT_CONFIG;
  }
  if (userspec == NULL)
    userspec = dlp_config_milter_user(cfg);
  if (userspec != NULL &&
      daemon_lookup(userspec, name, sizeof(name), &uid, &gid, err, errlen) < 0)
    return MAIN_EXIT_CONFIG;
  if (group != NULL && getgrnam(group) == NULL) {
    snprintf(err, errlen, "milter.socket_group \"%s\" does not exist", group);
    return MAIN_EXIT_CONFIG;
  }
  return 0;
}

/* mlfi_daemon_init - the settings of D from CFG and the options */
int mlfi_daemon_init(struct mlfi_daemon *d, const DLP_CONFIG *cfg,
                     const char *sock, const char *userspec,
                     const char *pidfile, int keep_stderr) {
  const char *group = dlp_config_socket_group(cfg), *path;
  struct group *gr;
  char err[512];

  memset(d, 0, sizeof(*d));
  d->ready_fd = -1;
  if (snprintf(d->sock, sizeof(d->sock), "%s", sock) >= (int)sizeof(d->sock)) {
    mlfi_log(LOG_ERR, "milter socket %s is too long", sock);
    return MAIN_EXIT_CONFIG;
  }
  d->keep_stderr = keep_stderr;
  d->allow_root = dlp_config_allow_root(cfg);
  d->sockmode = dlp_config_socket_mode(cfg);
  d->sockgid = (gid_t)-1;
  if (userspec == NULL)
    userspec = dlp_config_milter_user(cfg);
  if (userspec != NULL &&
      daemon_lookup(userspec, d->user, sizeof(d->user), &d->uid, &d->gid, err,
                    sizeof(err)) < 0) {
    mlfi_log(LOG_ERR, "%s", err);
    return MAIN_EXIT_CONFIG;
  }
  if ((gr = getgrnam(group ? group : DAEMON_DEFAULT_GROUP)) != NULL)
    d->sockgid = gr->gr_gid;
  else if (group != NULL) {
    mlfi_log(LOG_ERR, "milter.socket_group \"%s\" does not exist", group);
    return MAIN_EXIT_CONFIG;
  } else if (d->user[0])
    d->sockgid = d->gid; /* no postfix group: the user's */
  if ((path = daemon_unix_path(sock)) != NULL &&
      snprintf(d->sockpath, sizeof(d->sockpath), "%s", path) >=
          (int)sizeof(d->sockpath)) {
    mlfi_log(LOG_ERR, "milter socket path %s is too long", path);
    return MAIN_EXIT_CONFIG;
  }
  if (pidfile == NULL)
    pidfile = dlp_config_pidfile(cfg);
  if (pidfile != NULL &&
      (pidfile[0] != '/' || snprintf(d->pidfile, sizeof(d->pidfile), "%s",
                                     pidfile) >= (int)sizeof(d->pidfile))) {
    mlfi_log(LOG_ERR, "pid file %s: not an absolute path (or too long)",
             pidfile);
    return MAIN_EXIT_CONFIG;
  }
  return 0;
}

/* daemon_socket_dir - the directory of the unix socket exists */
static int daemon_socket_dir(const struct mlfi_daemon *d) {
  char dir[sizeof(d->sockpath)];
  struct stat st;

  snprintf(dir, sizeof(dir), "%s", d->sockpath);
  if (stat(dirname(dir), &st) == 0 && S_ISDIR(st.st_mode))
    return 0;
  snprintf(dir, sizeof(dir), "%s", d->sockpath);
  mlfi_log(LOG_ERR, "directory %s of the milter socket %s does not exist",
           dirname(dir), d->sockpath);
  return MAIN_EXIT_START;
}

/* mlfi_daemon_socket_check - directory, stale or live socket */
int mlfi_daemon_socket_check(struct mlfi_daemon *d) {
  struct sockaddr_un sun;
  struct stat st;
  int fd, rc, status;

  if (d->sockpath[0] == 0)
    return 0;
  if ((status = daemon_socket_dir(d)) != 0)
    return status;
  umask(0777 & ~d->sockmode); /* the socket is born with its mode */
  if (lstat(d->sockpath, &st) < 0) {
    if (errno == ENOENT)
      return 0;
    mlfi_log(LOG_ERR, "milter socket %s: %s", d->sockpath, strerror(errno));
    return daemon_perm_status(errno);
  }
  if (!S_ISSOCK(st.st_mode)) {
    mlfi_log(LOG_ERR, "%s exists and is not a socket: not removed",
             d->sockpath);
    return MAIN_EXIT_START;
  }
  memset(&sun, 0, sizeof(sun));
  sun.sun_family = AF_UNIX;
  snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", d->sockpath);
  if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
    mlfi_log(LOG_ERR, "socket: %s", strerror(errno));
    return MAIN_EXIT_START;
  }
  rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
  status = errno;
  close(fd);
  if (rc == 0) {
    mlfi_log(LOG_ERR,
             "milter socket %s is in use: another milter answers "
             "on it",
             d->sockpath);
    return MAIN_EXIT_INUSE;
  }
  if (status != ECONNREFUSED) {
    mlfi_log(LOG_ERR, "milter socket %s: %s", d->sockpath, strerror(status));
    return daemon_perm_status(status);
  }
  if (unlink(d->sockpath) < 0 && errno != ENOENT) {
    mlfi_log(LOG_ERR, "cannot remove the stale milter socket %s: %s",
             d->sockpath, strerror(errno));
    return daemon_perm_status(errno);
  }
  mlfi_log(LOG_NOTICE,
           "removed the stale milter socket %s (nothing "
           "answered on it)",
           d->sockpath);
  return 0;
}

/* mlfi_daemon_socket_perms - mode, owner and group of the unix socket */
int mlfi_daemon_socket_perms(struct mlfi_daemon *d) {
  uid_t owner = d->user[0] ? d->uid : (uid_t)-1;
  struct stat st;

  umask(022);
  if (d->sockpath[0] == 0)
    return 0;
  if (chmod(d->sockpath, (mode_t)d->sockmode) < 0 ||
      ((owner != (uid_t)-1 || d->sockgid != (gid_t)-1) &&
       chown(d->sockpath, owner, d->sockgid) < 0)) {
    mlfi_log(LOG_ERR,
             "milter socket %s: cannot set mode %04o, owner %s, "
             "group %ld: %s",
             d->sockpath, (unsigned)d->sockmode,
             d->user[0] ? d->user : "(unchanged)", (long)(int)d->sockgid,
             strerror(errno));
    return daemon_perm_status(errno);
  }
  if (lstat(d->sockpath, &st) == 0) {
    d->sockdev = st.st_dev;
    d->sockino = st.st_ino;
  }
  return 0;
}

/* daemon_parent - the parent of the fork: exit as the child says */
static void daemon_parent(int fd, pid_t child) {
  unsigned char c;
  ssize_t n;
  int st;

  do
    n = read(fd, &c, 1);
  while (n < 0 && errno == EINTR);
  if (n == 1)
    _exit(0);
  while (waitpid(child, &st, 0) < 0)
    if (errno != EINTR)
      _exit(MAIN_EXIT_START);
  _exit(WIFEXITED(st) && WEXITSTATUS(st) != 0 ? WEXITSTATUS(st)
                                              : MAIN_EXIT_START);
}

/* mlfi_daemon_detach - fork; the parent waits for the child's start */
int mlfi_daemon_detach(struct mlfi_daemon *d) {
  int p[2];
  pid_t pid;

  if (pipe2(p, O_CLOEXEC) < 0) {
    mlfi_log(LOG_ERR, "cannot go to the background: pipe: %s", strerror(errno));
    return MAIN_EXIT_START;
  }
  fflush(NULL);
  if ((pid = fork()) < 0) {
    mlfi_log(LOG_ERR, "cannot go to the background: fork: %s", strerror(errno));
    return MAIN_EXIT_START;
  }
  if (pid > 0) {
    close(p[1]);
    daemon_parent(p[0], pid); /* never returns */
  }
  close(p[0]);
  d->ready_fd = p[1];
  if (setsid() < 0 || chdir("/") < 0) {
    mlfi_log(LOG_ERR, "cannot go to the background: %s", strerror(errno));
    return MAIN_EXIT_START;
  }
  return 0;
}

/* daemon_refuse_root - going on as root needs milter.allow_root */
static int daemon_refuse_root(const struct mlfi_daemon *d) {
  if (d->allow_root) {
    mlfi_log(LOG_WARNING, "running as root (milter.allow_root = true): "
                          "set milter.user or -u USER in production");
    return 0;
  }
  mlfi_log(LOG_ERR, "refusing to run as root: set milter.user or -u USER "
                    "(or milter.allow_root = true)");
  return MAIN_EXIT_CONFIG;
}

/* daemon_switch - initgroups, setgid, setuid to D's user, each checked */
static int daemon_switch(const struct mlfi_daemon *d) {
  const char *what = NULL;

  if (initgroups(d->user, d->gid) < 0)
    what = "initgroups";
  else if (setgid(d->gid) < 0)
    what = "setgid";
  else if (setuid(d->uid) < 0)
    what = "setuid";
  if (what != NULL) {
    mlfi_log(LOG_ERR, "cannot switch to user %s (uid %ld gid %ld): %s: %s",
             d->user, (long)d->uid, (long)d->gid, what, strerror(errno));
    return MAIN_EXIT_PERM;
  }
  if (getuid() != d->uid || geteuid() != d->uid || getgid() != d->gid ||
      getegid() != d->gid ||
      (d->uid != 0 && (setuid(0) == 0 || setgid(0) == 0))) {
    mlfi_log(LOG_ERR, "privileges were not dropped to user %s: stopping",
             d->user);
    return MAIN_EXIT_PERM;
  }
  return 0;
}

/* mlfi_daemon_drop - switch to the user, or refuse root without leave */
int mlfi_daemon_drop(struct mlfi_daemon *d) {
  if (d->user[0] == 0)
    return geteuid() == 0 ? daemon_refuse_root(d) : 0;
  if (d->uid == 0)
    return daemon_refuse_root(d);
  if (geteuid() != 0) {
    if (geteuid() == d->uid && getegid() == d->gid)
      return 0; /* started as that user already (systemd User=) */
    mlfi_log(LOG_ERR,
             "cannot switch to user %s: not started as root (uid "
             "%ld)",
             d->user, (long)geteuid());
    return MAIN_EXIT_PERM;
  }
  return daemon_switch(d);
}

/* daemon_pid_alive - PATH names a process that runs (not this one) */
static long daemon_pid_alive(const char *path) {
  char buf[32];
  ssize_t n;
  long pid;
  int fd;

  if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
    return 0;
  n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0)
    return 0;
  buf[n] = 0;
  pid = strtol(buf, NULL, 10);
  if (pid <= 0 || pid == (long)getpid())
    return 0;
  return kill((pid_t)pid, 0) == 0 || errno == EPERM ? pid : 0;
}

/* mlfi_daemon_pidfile - write the pid file, replacing a stale one */
int mlfi_daemon_pidfile(struct mlfi_daemon *d) {
  char buf[32];
  long other;
  int fd = -1, tries, n;

  if (d->pidfile[0] == 0)
    return 0;
  for (tries = 0; tries < 3 && fd < 0; tries++) {
    fd = open(d->pidfile, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
              0644);
    if (fd >= 0 || errno != EEXIST)
      break;
    if ((other = daemon_pid_alive(d->pidfile)) > 0) {
      mlfi_log(LOG_ERR,
               "pid file %s: dlpbypass-milter already runs as pid "
               "%ld",
               d->pidfile, other);
      return MAIN_EXIT_INUSE;
    }
    if (unlink(d->pidfile) == 0)
      mlfi_log(LOG_NOTICE, "removed the stale pid file %s", d->pidfile);
  }
  if (fd < 0) {
    mlfi_log(LOG_ERR, "cannot create the pid file %s: %s", d->pidfile,
             strerror(errno));
    return daemon_perm_status(errno);
  }
  n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
  if (write(fd, buf, (size_t)n) != n || close(fd) < 0) {
    mlfi_log(LOG_ERR, "cannot write the pid file %s: %s", d->pidfile,
             strerror(errno));
    unlink(d->pidfile);
    return MAIN_EXIT_START;
  }
  d->pidfile_made = 1;
  return 0;
}

/* mlfi_daemon_ready - tell the waiting parent; stdio to /dev/null */
void mlfi_daemon_ready(struct mlfi_daemon *d) {
  unsigned char ok = 0;
  int fd;

  if (d->ready_fd < 0)
    return;
  if ((fd = open("/dev/null", O_RDWR)) >= 0) {
    dup2(fd, STDIN_FILENO);
    dup2(fd, STDOUT_FILENO);
    if (!d->keep_stderr)
      dup2(fd, STDERR_FILENO);
    if (fd > STDERR_FILENO)
      close(fd);
  }
  (void)!write(d->ready_fd, &ok, 1);
  close(d->ready_fd);
  d->ready_fd = -1;
}

/* mlfi_daemon_cleanup - remove our pid file and our unix socket */
void mlfi_daemon_cleanup(struct mlfi_daemon *d) {
  struct stat st;

  if (d->pidfile_made && daemon_pid_alive(d->pidfile) == 0 &&
      unlink(d->pidfile) < 0 && errno != ENOENT)
    mlfi_log(LOG_WARNING, "cannot remove the pid file %s: %s", d->pidfile,
             strerror(errno));
  d->pidfile_made = 0;
  if (d->sockpath[0] && d->sockino != 0 && lstat(d->sockpath, &st) == 0 &&
      st.st_dev == d->sockdev && st.st_ino == d->sockino &&
      unlink(d->sockpath) < 0)
    mlfi_log(LOG_WARNING, "cannot remove the milter socket %s: %s", d->sockpath,
             strerror(errno));
}

/* mlfi_daemon_user - "user=NAME" (or the ids it runs as) for the log */
const char *mlfi_daemon_user(const struct mlfi_daemon *d, char *buf,
                             size_t buflen) {
  struct passwd *pw = getpwuid(geteuid());

  if (d->user[0])
    snprintf(buf, buflen, "user=%s", d->user);
  else if (pw != NULL)
    snprintf(buf, buflen, "user=%s", pw->pw_name);
  else
    snprintf(buf, buflen, "uid=%ld", (long)geteuid());
  return buf;
}
