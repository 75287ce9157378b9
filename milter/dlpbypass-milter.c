/*
 * dlpbypass-milter.c - main program of dlpbypass-milter: options, the
 * configuration, signals, and the libmilter set-up.
 *
 * Contract (DESIGN.md sections 5 and 5a):
 *   dlpbypass-milter [-fl] [-c FILE] [-p SOCKET] [-u USER[:GROUP]]
 *                    [-P PIDFILE]                 run the milter
 *   dlpbypass-milter -n [-c FILE] [-p SOCKET] [-u USER[:GROUP]]
 *                                                 check FILE and exit
 *   dlpbypass-milter -V                           "dlpbypass-milter VERSION"
 *   dlpbypass-milter -h                           usage
 * Exit status (mlfi_daemon.h): 0 normal stop or a good -n check; 1
 * configuration error (file, user, group, host-less inet: socket, root
 * without milter.allow_root); 2 usage error; 3 the milter could not start
 * (libmilter, socket directory, fork); 4 the socket or pid file is in use;
 * 5 permission (privileges, socket, pid file).  Without -f, start-up
 * errors still reach stderr and the status (mlfi_daemon_detach).
 *
 * Start-up order: config, log, socket (as root), background, services,
 * drop privileges (mlfi_daemon_drop), pid file, start line, ready.
 *
 * Threads and signals: SIGHUP, SIGTERM, SIGINT, SIGUSR1 and SIGUSR2 are
 * blocked first thing in main(), before any thread starts.  libmilter's
 * smfi_main() runs in a thread of its own; the main thread is the dedicated
 * signal thread and waits for them with sigwait().  SIGHUP wakes a reload
 * thread that loads the configuration anew (a bad file is logged and the old
 * configuration kept; the new one applies from the next MAIL on every
 * connection, a message in flight keeps the one it started with); SIGTERM and
 * SIGINT call smfi_stop(); SIGUSR1 reopens log files; SIGUSR2 is ignored.  At
 * the end, messages in flight get MAIN_DRAIN_SECS to finish.  The signal thread
 * is the main thread on purpose: libmilter starts its own sigwait()
 * thread for the same signals and stops the milter on SIGHUP, and Linux
 * hands a signal sent to the process to its main thread first when that
 * thread waits for it, so a SIGHUP here means reload, never stop.
 *
 * TCP socket: at the end of a message libmilter writes each modification
 * and then the final reply as small packets of their own, and the MTA
 * answers none of the modifications; with Nagle's algorithm the final
 * reply would wait for the MTA's delayed ACK (>= 40 ms on Linux) on every
 * modified message.  libmilter does not hand out its listening socket, so
 * after smfi_opensocket() main_nodelay() finds it among the descriptors
 * (a listening TCP socket whose address is the configured one) and sets
 * TCP_NODELAY on it; Linux passes that on to every accepted connection.
 */
#include "config.h"

#include "mlfi.h"
#include "mlfi_daemon.h"
#include "mlfi_audit.h"
#include "mlfi_event.h"
#include "mlfi_policy.h"
#include "mlfi_status.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmilter/mfapi.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#define MAIN_DEFAULT_CONFIG SYSCONFDIR "/dlpbypass.conf"
#define MAIN_MAX_DATA ((1024 * 1024) - 1) /* Postfix headers may pass 64K */
#define MAIN_DRAIN_SECS 30 /* wait this long for messages at exit */
#define MAIN_MAX_FD 65536  /* look no further for libmilter's listener */

/* What the signal, milter and reload threads share (under lock). */
struct main_run {
  pthread_t signal_thread; /* the main thread, woken when smfi_main ends */
  const char *path;        /* configuration file */
  int status;              /* smfi_main's result */
  int done;                /* smfi_main returned */
  int reload;              /* a SIGHUP waits for the reload thread */
  int quit;                /* the reload thread must end */
  pthread_mutex_t lock;
  pthread_cond_t wake; /* reload or quit */
};

/* The command line. */
struct main_opts {
  const char *path;     /* -c */
  const char *sockname; /* -p, else milter.socket */
  const char *user;     /* -u, else milter.user */
  const char *pidfile;  /* -P, else milter.pidfile */
  int foreground;       /* -f */
  int syslog;           /* -l */
  int check;            /* -n */
};

/* main_usage - print the usage on STREAM */
static void main_usage(FILE *stream) {
  fprintf(stream,
          "usage: dlpbypass-milter [-fl] [-c config] [-p socket] "
          "[-u user[:group]] [-P pidfile]\n"
          "       dlpbypass-milter -n [-c config] [-p socket] [-u user]\n"
          "       dlpbypass-milter -V | -h\n"
          "  -c FILE    configuration file (default %s)\n"
          "  -f         stay in the foreground, log to stderr (not syslog)\n"
          "  -l         log to syslog even with -f\n"
          "  -n         check the configuration and exit\n"
          "  -p SOCKET  milter socket, inet:PORT@ADDR or unix:PATH\n"
          "             (overrides milter.socket)\n"
          "  -P FILE    pid file (overrides milter.pidfile)\n"
          "  -u USER[:GROUP]  run as USER once the socket is open\n"
          "             (overrides milter.user)\n"
          "  -V         print the version and exit\n"
          "  -h         this text\n",
          MAIN_DEFAULT_CONFIG);
}

/* the host pool, for reloads (set before the reload thread starts) */
static DLP_POOL *main_pool;

/*
 * main_check - -n: "FILE: ok" and 0, or "FILE:LINE: problem" (or a
 * server name that does not resolve, a host-less inet: socket, a user or
 * group that does not exist) and 1
 */
static int main_check(const struct main_opts *o) {
  const char *path = o->path;
  char err[1024];
  DLP_CONFIG *cfg = dlp_config_load(path, err, sizeof(err));

  if (cfg == NULL) {
    fprintf(stderr, "%s\n", err[0] ? err : path);
    return MAIN_EXIT_CONFIG;
  }
  if (dlp_config_check_names(cfg, err, sizeof(err)) < 0) {
    fprintf(stderr, "%s\n", err);
    dlp_config_unref(cfg);
    return MAIN_EXIT_CONFIG;
  }
  if (mlfi_daemon_check(
          cfg, o->sockname ? o->sockname : dlp_config_milter_socket(cfg),
          o->user, err, sizeof(err)) != 0) {
    fprintf(stderr, "%s: %s\n", path, err);
    dlp_config_unref(cfg);
    return MAIN_EXIT_CONFIG;
  }
  printf("%s: ok\n", path);
  dlp_config_unref(cfg);
  return 0;
}

/*
 * main_resolve - look CFG's server names up before it is used (bounded;
 * messages never look names up): a name that does not resolve is logged,
 * and its messages are tempfailed until a later lookup succeeds
 */
static void main_resolve(const DLP_CONFIG *cfg) {
  char err[512];

  if (dlp_pool_resolve(main_pool, cfg, err, sizeof(err)) < 0)
    mlfi_log(LOG_WARNING,
             "DLP server %s (its messages are tempfailed, reason "
             "internal:dns, until it resolves)",
             err);
}

/* main_reload - SIGHUP: a new configuration, or keep the old one */
static void main_reload(const char *path) {
  char err[1024];
  DLP_CONFIG *cfg = dlp_config_load(path, err, sizeof(err));

  if (cfg == NULL) {
    mlfi_log(LOG_ERR, "reload failed, keeping the old configuration: %s", err);
    mlfi_event(LOG_WARNING, "config-refused", "file", path, "error", err,
               NULL); /* events (issue 11) */
    return;
  }
  main_resolve(cfg);
  /* services that follow the configuration, one call each (issue 11):
     events, audit trail, metrics, control socket */
  mlfi_audit_reload(cfg);
  mlfi_status_reload(cfg);
  mlfi_event_configure(cfg);

  mlfi_config_swap(cfg);
  mlfi_log(LOG_INFO, "configuration reloaded from %s", path);
  mlfi_event(LOG_NOTICE, "config-reload", "file", path, NULL); /* issue 11 */
}

/* main_milter_thread - run smfi_main(), then wake the signal thread */
static void *main_milter_thread(void *arg) {
  struct main_run *run = arg;
  int status = smfi_main();

  pthread_mutex_lock(&run->lock);
  run->status = status;
  run->done = 1;
  pthread_mutex_unlock(&run->lock);
  pthread_kill(run->signal_thread, SIGTERM);
  return NULL;
}

/*
 * main_reload_thread - reload when the signal thread asks: the signal
 * thread goes straight back to sigwait(), so a second SIGHUP never finds
 * only libmilter's signal thread waiting (which would stop the milter).
 */
static void *main_reload_thread(void *arg) {
  struct main_run *run = arg;

  pthread_mutex_lock(&run->lock);
  for (;;) {
    while (!run->reload && !run->quit)
      pthread_cond_wait(&run->wake, &run->lock);
    if (run->quit)
      break;
    run->reload = 0;
    pthread_mutex_unlock(&run->lock);
    main_reload(run->path);
    pthread_mutex_lock(&run->lock);
  }
  pthread_mutex_unlock(&run->lock);
  return NULL;
}

/* main_signals - the signal set this program handles */
static void main_signals(sigset_t *set) {
  sigemptyset(set);
  sigaddset(set, SIGHUP);
  sigaddset(set, SIGTERM);
  sigaddset(set, SIGINT);
  sigaddset(set, SIGUSR1);
  sigaddset(set, SIGUSR2);
}

/* main_reopen - SIGUSR1: reopen the log files (syslog needs nothing) */
static void main_reopen(void) {
  /* reopen log files (issue 11: audit trail) */
  mlfi_audit_reopen();
  mlfi_log(LOG_INFO, "SIGUSR1: log files reopened");
}

/* main_wait - the signal loop; returns when smfi_main has ended */
static int main_wait(struct main_run *run) {
  sigset_t set;
  int sig, done;

  main_signals(&set);
  for (;;) {
    if (sigwait(&set, &sig) != 0)
      continue;
    pthread_mutex_lock(&run->lock);
    done = run->done;
    if (!done && sig == SIGHUP) {
      run->reload = 1;
      pthread_cond_signal(&run->wake);
    }
    pthread_mutex_unlock(&run->lock);
    if (done)
      return run->status;
    if (sig == SIGUSR1)
      main_reopen();
    else if (sig == SIGUSR2)
      mlfi_log(LOG_INFO, "SIGUSR2: ignored");
    else if (sig != SIGHUP) {
      mlfi_log(LOG_INFO, "%s: stopping", strsignal(sig));
      smfi_stop();
    }
  }
}

/*
 * main_threads - run the milter and reload threads until smfi_main ends;
 * returns smfi_main's status, or MI_FAILURE when a thread cannot start.
 */
static int main_threads(struct main_run *run) {
  pthread_t milter, reloader;
  int status;

  if (pthread_create(&reloader, NULL, main_reload_thread, run) != 0)
    return MI_FAILURE;
  if (pthread_create(&milter, NULL, main_milter_thread, run) != 0) {
    status = MI_FAILURE;
  } else {
    status = main_wait(run);
    pthread_join(milter, NULL);
  }
  pthread_mutex_lock(&run->lock);
  run->quit = 1;
  pthread_cond_signal(&run->wake);
  pthread_mutex_unlock(&run->lock);
  pthread_join(reloader, NULL);
  return status;
}

/* The address of an inet: or inet6: milter socket, as main_nodelay needs. */
struct main_inet {
  int family;             /* AF_INET or AF_INET6 */
  in_port_t port;         /* network order */
  int any_host;           /* no @HOST, or a name: any address matches */
  unsigned char addr[16]; /* the numeric @HOST otherwise */
};

/* main_inet_parse - SOCKNAME as an inet[6]: address; 0, or -1 otherwise */
static int main_inet_parse(const char *sockname, struct main_inet *in) {
  char port[64];
  const char *p, *at;
  struct servent *se;
  size_t n;
  char *end;
  unsigned long num;

  memset(in, 0, sizeof(*in));
  if (strncasecmp(sockname, "inet:", 5) == 0) {
    in->family = AF_INET;
    p = sockname + 5;
  } else if (strncasecmp(sockname, "inet6:", 6) == 0) {
    in->family = AF_INET6;
    p = sockname + 6;
  } else {
    return -1; /* unix:, local: or a path: Nagle does not apply there */
  }
  at = strchr(p, '@');
  n = at ? (size_t)(at - p) : strlen(p);
  if (n == 0 || n >= sizeof(port))
    return -1;
  memcpy(port, p, n);
  port[n] = 0;
  num = strtoul(port, &end, 10);
  if (*end == 0 && num > 0 && num <= 65535)
    in->port = htons((in_port_t)num);
  else if ((se = getservbyname(port, "tcp")) != NULL)
    in->port = (in_port_t)se->s_port;
  else
    return -1;
  in->any_host = at == NULL || inet_pton(in->family, at + 1, in->addr) != 1;
  return 0;
}

/* main_inet_match - FD is a listening TCP socket on IN's address */
static int main_inet_match(int fd, const struct main_inet *in) {
  struct sockaddr_storage ss;
  const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
  const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;
  socklen_t len = sizeof(ss);
  int listening = 0, type = 0;
  socklen_t olen = sizeof(int);

  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &olen) < 0 ||
      !listening)
    return 0;
  olen = sizeof(int);
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &olen) < 0 ||
      type != SOCK_STREAM)
    return 0;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
      ss.ss_family != in->family)
    return 0;
  if (in->family == AF_INET)
    return sin->sin_port == in->port &&
           (in->any_host || memcmp(&sin->sin_addr, in->addr, 4) == 0);
  return sin6->sin6_port == in->port &&
         (in->any_host || memcmp(&sin6->sin6_addr, in->addr, 16) == 0);
}

/*
 * main_nodelay - TCP_NODELAY on libmilter's listening socket for
 * SOCKNAME (see the top of this file).  Nothing to do for a unix socket:
 * it has no Nagle algorithm and no delayed ACKs.
 * Not finding it costs speed, not correctness: a warning, no failure.
 */
static void main_nodelay(const char *sockname) {
  struct main_inet in;
  long max = sysconf(_SC_OPEN_MAX);
  int fd, on = 1, found = 0;

  if (main_inet_parse(sockname, &in) < 0)
    return;
  if (max < 0 || max > MAIN_MAX_FD)
    max = MAIN_MAX_FD;
  for (fd = 0; fd < max; fd++) {
    if (!main_inet_match(fd, &in))
      continue;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) < 0)
      mlfi_log(LOG_WARNING, "%s: cannot set TCP_NODELAY: %s", sockname,
               strerror(errno));
    else
      found++;
  }
  if (found == 0)
    mlfi_log(LOG_WARNING,
             "%s: listening socket not found, TCP_NODELAY not set: "
             "modified messages may wait for delayed ACKs",
             sockname);
}

/* main_setup - socket and callbacks, the background; 0 or an exit status */
static int main_setup(struct mlfi_daemon *d, int foreground) {
  const char *sockname = d->sock;
  int status;

  if (smfi_setconn((char *)sockname) != MI_SUCCESS ||
      smfi_setmaxdatasize(MAIN_MAX_DATA) == 0 ||
      mlfi_register() != MI_SUCCESS) {
    mlfi_log(LOG_ERR, "cannot set up libmilter on %s", sockname);
    return MAIN_EXIT_START;
  }
  if ((status = mlfi_daemon_socket_check(d)) != 0)
    return status;
  errno = 0;
  /* 0: never unlink what is there (mlfi_daemon_socket_check looked) */
  if (smfi_opensocket(0) != MI_SUCCESS) {
    status = errno == EADDRINUSE ? MAIN_EXIT_INUSE
             : errno == EACCES   ? MAIN_EXIT_PERM
                                 : MAIN_EXIT_START;
    mlfi_log(LOG_ERR, "cannot open the milter socket %s%s%s", sockname,
             errno ? ": " : "", errno ? strerror(errno) : "");
    return status;
  }
  if ((status = mlfi_daemon_socket_perms(d)) != 0)
    return status;
  main_nodelay(sockname);
  if (!foreground && (status = mlfi_daemon_detach(d)) != 0)
    return status;
  return 0;
}

/*
 * main_unprivileged - drop privileges, check the spill directory, write
 * the pid file, log the start line; 0 or an exit status
 */
static int main_unprivileged(struct mlfi_daemon *d, const DLP_CONFIG *cfg,
                             const char *path) {
  const char *tmpdir = dlp_config_tmpdir(cfg);
  char who[96];
  int status;

  if ((status = mlfi_daemon_drop(d)) != 0 ||
      (status = mlfi_daemon_pidfile(d)) != 0)
    return status;
  if (access(tmpdir, W_OK | X_OK) < 0)
    mlfi_log(LOG_WARNING,
             "milter.tmpdir %s: %s for %s: messages larger than "
             "milter.spill_size will be tempfailed",
             tmpdir, strerror(errno), mlfi_daemon_user(d, who, sizeof(who)));
  mlfi_log(LOG_INFO, "starting %s %s on %s with %s, %s", MLFI_NAME,
           PACKAGE_VERSION, d->sock, path,
           mlfi_daemon_user(d, who, sizeof(who)));
  return 0;
}

/* main_run_milter - start everything, wait for the end; exit status */
static int main_run_milter(DLP_CONFIG *cfg, const char *path,
                           struct mlfi_daemon *d, int foreground) {
  struct main_run run;
  DLP_POOL *pool;
  int status, i;

  if ((status = main_setup(d, foreground)) != 0) {
    dlp_config_unref(cfg);
    return status;
  }
  if ((pool = dlp_pool_create()) == NULL) {
    mlfi_log(LOG_ERR, "cannot create the DLP host pool");
    dlp_config_unref(cfg);
    return MAIN_EXIT_START;
  }
  main_pool = pool;
  main_resolve(cfg);
  /* services started before the first message, one call each (issues
     10-11): budget state, events, audit trail, metrics, control socket */
  mlfi_policy_start(cfg);
  mlfi_audit_start(cfg);
  mlfi_status_start(pool, cfg);
  mlfi_event_start(pool, cfg);
  mlfi_init(pool, cfg);
  memset(&run, 0, sizeof(run));
  pthread_mutex_init(&run.lock, NULL);
  pthread_cond_init(&run.wake, NULL);
  run.signal_thread = pthread_self();
  run.path = path;
  if ((status = main_unprivileged(d, cfg, path)) == 0) {
    mlfi_daemon_ready(d);
    mlfi_log_echo(-1);
    if ((status = main_threads(&run)) != MI_SUCCESS) {
      mlfi_log(LOG_ERR, "the milter stopped on an error");
      status = MAIN_EXIT_START;
    }
  }
  /* messages in flight may finish; idle connections are not waited for */
  for (i = 0; i < MAIN_DRAIN_SECS * 10 && mlfi_busy() > 0; i++)
    usleep(100000);
  mlfi_daemon_cleanup(d);
  /* metrics, control socket (issue 11): stopped here, before the early
     return below, so that the control socket is removed either way */
  mlfi_status_stop();
  /* the budget state is saved here too, before the early return below:
     a restart must find it (issue 10) */
  mlfi_policy_stop();
  if (mlfi_active() > 0) { /* sessions still use them: leave it to exit */
    mlfi_log(LOG_INFO, "stopped with %u connections open", mlfi_active());
    return status;
  }
  mlfi_shutdown();
  /* services stopped after the last message, one call each (issues
     10-11), in the reverse order of their start */
  mlfi_event_stop(pool);
  mlfi_audit_stop();
  dlp_pool_free(pool);
  pthread_cond_destroy(&run.wake);
  pthread_mutex_destroy(&run.lock);
  mlfi_log(LOG_INFO, "stopped");
  return status;
}

/* main_options - parse the command line into O; -1 to go on, else a status */
static int main_options(int argc, char **argv, struct main_opts *o) {
  int c;

  memset(o, 0, sizeof(*o));
  o->path = MAIN_DEFAULT_CONFIG;
  while ((c = getopt(argc, argv, "c:fhlnp:P:u:V")) != -1) {
    switch (c) {
    case 'c':
      o->path = optarg;
      break;
    case 'f':
      o->foreground = 1;
      break;
    case 'l':
      o->syslog = 1;
      break;
    case 'n':
      o->check = 1;
      break;
    case 'p':
      o->sockname = optarg;
      break;
    case 'P':
      o->pidfile = optarg;
      break;
    case 'u':
      o->user = optarg;
      break;
    case 'V':
      printf("%s %s\n", MLFI_NAME, PACKAGE_VERSION);
      return 0;
    case 'h':
      main_usage(stdout);
      return 0;
    default:
      main_usage(stderr);
      return MAIN_EXIT_USAGE;
    }
  }
  if (optind != argc) {
    main_usage(stderr);
    return MAIN_EXIT_USAGE;
  }
  return -1;
}

/*
 * main_log - where log lines go: syslog (FACILITY) with -l, with
 * milter.log = "syslog", or without -f unless milter.log = "stderr";
 * else stderr.  While starting, syslog's warnings and errors are also
 * copied to stderr.  Returns 1 when the log is stderr.
 */
static int main_log(const struct main_opts *o, const char *log, int facility) {
  int use_syslog = o->syslog || (log != NULL && strcmp(log, "syslog") == 0) ||
                   (!o->foreground && log == NULL);

  closelog();
  if (!use_syslog) {
    mlfi_log_to(STDERR_FILENO); /* no syslog: it would try /dev/log */
    mlfi_log_echo(-1);
    return 1;
  }
  openlog(MLFI_NAME, LOG_PID | LOG_NDELAY, facility);
  mlfi_log_to(-1);
  mlfi_log_echo(STDERR_FILENO);
  return 0;
}

int main(int argc, char **argv) {
  struct main_opts o;
  struct mlfi_daemon d;
  char err[1024], *abspath;
  DLP_CONFIG *cfg;
  sigset_t set;
  int status, to_stderr;

  main_signals(&set); /* before any thread, so only sigwait() sees them */
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  if ((status = main_options(argc, argv, &o)) >= 0)
    return status;
  if (o.check)
    return main_check(&o);
  main_log(&o, NULL, LOG_MAIL);
  if ((cfg = dlp_config_load(o.path, err, sizeof(err))) == NULL) {
    mlfi_log(LOG_ERR, "%s", err[0] ? err : o.path);
    return MAIN_EXIT_CONFIG;
  }
  to_stderr =
      main_log(&o, dlp_config_log(cfg), dlp_config_syslog_facility(cfg));
  if (o.sockname == NULL)
    o.sockname = dlp_config_milter_socket(cfg);
  if ((status = mlfi_daemon_check(cfg, o.sockname, o.user, err, sizeof(err))) !=
      0) {
    mlfi_log(LOG_ERR, "%s: %s", o.path, err);
    dlp_config_unref(cfg);
    return status;
  }
  if ((status = mlfi_daemon_init(&d, cfg, o.sockname, o.user, o.pidfile,
                                 to_stderr)) != 0) {
    dlp_config_unref(cfg);
    return status;
  }
  /* the background changes to "/": reload from the absolute path */
  if ((abspath = realpath(o.path, NULL)) != NULL)
    o.path = abspath;
  status = main_run_milter(cfg, o.path, &d, o.foreground);
  free(abspath);
  closelog();
  return status;
}
