/*
 * dlpbypass-milter.c - main program of dlpbypass-milter: options, the
 * configuration, signals, and the libmilter set-up.
 *
 * Contract (DESIGN.md section 5):
 *   dlpbypass-milter [-f] [-c FILE] [-p SOCKET]   run the milter
 *   dlpbypass-milter -n [-c FILE]                 check FILE and exit
 *   dlpbypass-milter -h                           usage
 * Exit status: 0 normal stop or a good -n check; 1 configuration error;
 * 2 usage error; 3 the milter could not start (socket, libmilter).
 *
 * Threads and signals: SIGHUP, SIGTERM and SIGINT are blocked before any
 * thread starts.  libmilter's smfi_main() runs in a thread of its own; the
 * main thread is the dedicated signal thread and waits for them with
 * sigwait().  SIGHUP wakes a reload thread that loads the configuration
 * anew (a bad file is logged and the old configuration kept; the new one
 * applies from the next MAIL on every connection, a message in flight
 * keeps the one it started with); SIGTERM and SIGINT call
 * smfi_stop().  At the end, messages in flight get MAIN_DRAIN_SECS to
 * finish.  The signal thread
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
#include "mlfi_event.h"
#include "mlfi_policy.h"

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

#define MAIN_EXIT_CONFIG 1
#define MAIN_EXIT_USAGE 2
#define MAIN_EXIT_START 3

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

/* main_usage - print the usage on STREAM */
static void main_usage(FILE *stream) {
  fprintf(stream,
          "usage: dlpbypass-milter [-f] [-c config] [-p socket]\n"
          "       dlpbypass-milter -n [-c config]\n"
          "  -c FILE    configuration file (default %s)\n"
          "  -f         stay in the foreground, log to stderr (not syslog)\n"
          "  -n         check the configuration and exit\n"
          "  -p SOCKET  milter socket, inet:PORT@ADDR or unix:PATH\n"
          "             (overrides milter.socket)\n"
          "  -h         this text\n",
          MAIN_DEFAULT_CONFIG);
}

/* the host pool, for reloads (set before the reload thread starts) */
static DLP_POOL *main_pool;

/*
 * main_check - -n: "FILE: ok" and 0, or "FILE:LINE: problem" (or a
 * server name that does not resolve) and 1
 */
static int main_check(const char *path) {
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
    if (sig != SIGHUP) {
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

/* main_setup - socket and callbacks; 0 or an exit status */
static int main_setup(const char *sockname, int foreground) {
  if (smfi_setconn((char *)sockname) != MI_SUCCESS ||
      smfi_setmaxdatasize(MAIN_MAX_DATA) == 0 ||
      mlfi_register() != MI_SUCCESS) {
    mlfi_log(LOG_ERR, "cannot set up libmilter on %s", sockname);
    return MAIN_EXIT_START;
  }
  if (smfi_opensocket(1) != MI_SUCCESS) {
    mlfi_log(LOG_ERR, "cannot open the milter socket %s", sockname);
    return MAIN_EXIT_START;
  }
  main_nodelay(sockname);
  if (!foreground && daemon(0, 0) < 0) {
    mlfi_log(LOG_ERR, "cannot go to the background: %s", strerror(errno));
    return MAIN_EXIT_START;
  }
  return 0;
}

/* main_run_milter - start everything, wait for the end; exit status */
static int main_run_milter(DLP_CONFIG *cfg, const char *path,
                           const char *sockname, int foreground) {
  struct main_run run;
  sigset_t set;
  DLP_POOL *pool;
  int status, i;

  if ((status = main_setup(sockname, foreground)) != 0) {
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
  mlfi_event_start(pool, cfg);
  mlfi_init(pool, cfg);
  main_signals(&set);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  memset(&run, 0, sizeof(run));
  pthread_mutex_init(&run.lock, NULL);
  pthread_cond_init(&run.wake, NULL);
  run.signal_thread = pthread_self();
  run.path = path;
  mlfi_log(LOG_INFO, "starting on %s with %s", sockname, path);
  if ((status = main_threads(&run)) != MI_SUCCESS)
    mlfi_log(LOG_ERR, "the milter stopped on an error");
  /* messages in flight may finish; idle connections are not waited for */
  for (i = 0; i < MAIN_DRAIN_SECS * 10 && mlfi_busy() > 0; i++)
    usleep(100000);
  if (mlfi_active() > 0) { /* sessions still use them: leave it to exit */
    mlfi_log(LOG_INFO, "stopped with %u connections open", mlfi_active());
    return status == MI_SUCCESS ? 0 : MAIN_EXIT_START;
  }
  mlfi_shutdown();
  /* services stopped after the last message, one call each (issues
     10-11), in the reverse order of their start */
  mlfi_event_stop(pool);
  mlfi_policy_stop();
  dlp_pool_free(pool);
  pthread_cond_destroy(&run.wake);
  pthread_mutex_destroy(&run.lock);
  mlfi_log(LOG_INFO, "stopped");
  return status == MI_SUCCESS ? 0 : MAIN_EXIT_START;
}

int main(int argc, char **argv) {
  const char *path = MAIN_DEFAULT_CONFIG, *sockname = NULL;
  int foreground = 0, check = 0, c, status;
  char err[1024], *abspath;
  DLP_CONFIG *cfg;

  while ((c = getopt(argc, argv, "c:fhnp:")) != -1) {
    switch (c) {
    case 'c':
      path = optarg;
      break;
    case 'f':
      foreground = 1;
      break;
    case 'n':
      check = 1;
      break;
    case 'p':
      sockname = optarg;
      break;
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
  if (check)
    return main_check(path);
  if (foreground)
    mlfi_log_to(STDERR_FILENO); /* no syslog: it would try /dev/log */
  else
    openlog(MLFI_NAME, LOG_PID, LOG_MAIL);
  if ((cfg = dlp_config_load(path, err, sizeof(err))) == NULL) {
    mlfi_log(LOG_ERR, "%s", err[0] ? err : path);
    if (!foreground)
      closelog();
    return MAIN_EXIT_CONFIG;
  }
  if (sockname == NULL)
    sockname = dlp_config_milter_socket(cfg);
  /* daemon() changes to "/": reload from the absolute path */
  if ((abspath = realpath(path, NULL)) != NULL)
    path = abspath;
  status = main_run_milter(cfg, path, sockname, foreground);
  free(abspath);
  if (!foreground)
    closelog();
  return status;
}
