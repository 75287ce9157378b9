/*
 * mlfi_daemon.h - how dlpbypass-milter runs as a service (issue 12): the
 * exit statuses, the unprivileged user, the milter socket's checks and
 * permissions, going to the background, the pid file.
 *
 * Order of use (dlpbypass-milter.c):
 *   mlfi_daemon_init         settings from the options and the config
 *   mlfi_daemon_socket_check before smfi_opensocket: directory, stale or
 *                            live socket
 *   mlfi_daemon_socket_perms after it: mode, owner, group
 *   mlfi_daemon_detach       without -f: the parent waits until the child
 *                            is ready (or has failed) and exits with its
 *                            status, so start-up errors reach stderr
 *   mlfi_daemon_drop         switch to the user, verified
 *   mlfi_daemon_pidfile      write the pid file
 *   mlfi_daemon_ready        tell the waiting parent; stdio to /dev/null
 *   mlfi_daemon_cleanup      at exit: pid file and unix socket removed
 * Each returns 0 or a MAIN_EXIT_* status, having logged why.
 */
#ifndef MLFI_DAEMON_H
#define MLFI_DAEMON_H

#include "dlpbypass.h"

#include <stddef.h>
#include <sys/types.h>

/* Exit statuses of dlpbypass-milter (documented in dlpbypass-milter(8)). */
#define MAIN_EXIT_CONFIG 1 /* bad configuration, user, group or socket */
#define MAIN_EXIT_USAGE 2  /* bad command line */
#define MAIN_EXIT_START 3  /* could not start (libmilter, socket, fork) */
#define MAIN_EXIT_INUSE 4  /* the socket or the pid file is in use */
#define MAIN_EXIT_PERM 5   /* permission: privileges, files, root refused */

/* What the service set-up needs; filled by mlfi_daemon_init. */
struct mlfi_daemon {
  char user[64]; /* the user to switch to, "" for none */
  uid_t uid;     /* and its ids */
  gid_t gid;
  int allow_root;     /* milter.allow_root */
  char sock[300];     /* the milter socket */
  char sockpath[108]; /* unix socket path (sun_path), "" for inet */
  int sockmode;       /* milter.socket_mode */
  gid_t sockgid;      /* milter.socket_group's id, (gid_t)-1: none */
  dev_t sockdev;      /* the socket file made, removed at exit */
  ino_t sockino;
  char pidfile[256]; /* "" for none */
  int pidfile_made;  /* we wrote it: remove at exit */
  int ready_fd;      /* to the waiting parent, -1 */
  int keep_stderr;   /* milter.log = "stderr": stderr stays open */
};

/*
 * mlfi_daemon_check - what -n checks beyond the file itself: SOCK is not
 * a host-less inet: socket (which would listen on every interface), the
 * user of USERSPEC (-u, else milter.user) and its group exist, and so does
 * milter.socket_group.  0, or MAIN_EXIT_CONFIG with the reason in ERR.
 */
int mlfi_daemon_check(const DLP_CONFIG *cfg, const char *sock,
                      const char *userspec, char *err, size_t errlen);

/* mlfi_daemon_init - D from CFG and the options; 0 or an exit status */
int mlfi_daemon_init(struct mlfi_daemon *d, const DLP_CONFIG *cfg,
                     const char *sock, const char *userspec,
                     const char *pidfile, int keep_stderr);

/*
 * mlfi_daemon_socket_check - a unix socket's directory exists; a socket
 * file nothing answers on is removed, a live one is MAIN_EXIT_INUSE, a
 * file that is no socket is left alone (MAIN_EXIT_START)
 */
int mlfi_daemon_socket_check(struct mlfi_daemon *d);

/* mlfi_daemon_socket_perms - the unix socket's mode, owner and group */
int mlfi_daemon_socket_perms(struct mlfi_daemon *d);

/* mlfi_daemon_detach - go to the background (the parent never returns) */
int mlfi_daemon_detach(struct mlfi_daemon *d);

/*
 * mlfi_daemon_drop - switch to D's user (initgroups, setgid, setuid,
 * each checked; afterwards setuid(0) must fail), or refuse to go on as
 * root unless milter.allow_root is set
 */
int mlfi_daemon_drop(struct mlfi_daemon *d);

/* mlfi_daemon_pidfile - write the pid file (a stale one is replaced) */
int mlfi_daemon_pidfile(struct mlfi_daemon *d);

/* mlfi_daemon_ready - start-up is over: tell the parent, close stdio */
void mlfi_daemon_ready(struct mlfi_daemon *d);

/* mlfi_daemon_cleanup - remove the pid file and the unix socket */
void mlfi_daemon_cleanup(struct mlfi_daemon *d);

/* mlfi_daemon_user - "user=NAME uid=N gid=N" for the start line */
const char *mlfi_daemon_user(const struct mlfi_daemon *d, char *buf,
                             size_t buflen);

#endif /* MLFI_DAEMON_H */
