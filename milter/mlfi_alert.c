/*
 * mlfi_alert.c - the alert command (mlfi_alert.h).
 *
 * Contract: see mlfi_alert.h.  Threads: mlfi_alert_post() runs in the
 * thread of the event (a message's, the pool's, the reload thread); it
 * builds the JSON object (json-c) and the environment outside the lock
 * and queues them, or counts a drop.  One dispatcher thread takes the
 * queue in order and starts a detached runner thread per event while
 * fewer than max_running run; each runner spawns the command, writes the
 * JSON to its stdin (a socket pair: a command that does not read gets
 * no SIGPIPE to us), waits for it until the timeout and kills its
 * process group then.  The milter's threads block SIGHUP, SIGTERM and
 * SIGINT; the command gets an empty signal mask and default actions.
 */
#include "config.h"

#include "mlfi_alert.h"

#include "mlfi.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define ALERT_QUEUE_MAX 64 /* events waiting for a run */
#define ALERT_MAX_KEYS 24  /* KEY=VALUE pairs passed on */
#define ALERT_PATH                                                             \
  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* One event to run the command for. */
struct alert_job {
  char name[32]; /* the event, for the log */
  char *json;    /* one line, "\n"-ended */
  char **env;    /* NULL-ended */
  char *command; /* set by the dispatcher */
  int timeout;   /* seconds */
};

/* The module's state, under al.lock. */
static struct {
  pthread_mutex_t lock;
  pthread_cond_t wake; /* queue, running or stop changed */
  pthread_t thread;
  int started, stop;
  char *command; /* NULL: alerts off */
  int timeout, max_running;
  struct alert_job *queue[ALERT_QUEUE_MAX];
  size_t head, count;
  unsigned long dropped; /* not yet logged */
  unsigned running;
  char hostname[256];
} al = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

/* alert_now_ms - CLOCK_MONOTONIC in milliseconds */
static int64_t alert_now_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* alert_priority_name - "warning", "notice", ... */
static const char *alert_priority_name(int priority) {
  static const char *const names[] = {"emerg",   "alert",  "crit", "err",
                                      "warning", "notice", "info", "debug"};

  return names[LOG_PRI(priority) & 7];
}

/* alert_job_free - release J */
static void alert_job_free(struct alert_job *j) {
  size_t i;

  if (j == NULL)
    return;
  for (i = 0; j->env != NULL && j->env[i] != NULL; i++)
    free(j->env[i]);
  free(j->env);
  free(j->json);
  free(j->command);
  free(j);
}

/* alert_var - "DLPBYPASS_KEY=VALUE" with KEY upper case, [A-Z0-9_] */
static char *alert_var(const char *key, const char *value) {
  size_t k = strlen(key), i;
  char *v = malloc(10 + k + 1 + strlen(value) + 1);

  if (v == NULL)
    return NULL;
  memcpy(v, "DLPBYPASS_", 10);
  for (i = 0; i < k; i++)
    v[10 + i] = isalnum((unsigned char)key[i])
                    ? (char)toupper((unsigned char)key[i])
                    : '_';
  v[10 + k] = '=';
  strcpy(v + 11 + k, value);
  return v;
}

/*
 * alert_fields - the event's fields, in order: event, priority, time,
 * hostname, the caller's keys; into KEYS/VALUES (room for
 * ALERT_MAX_KEYS + 4), their number returned
 */
static size_t alert_fields(int priority, const char *name, const char *when,
                           const char *const *keys, const char *const *values,
                           size_t n, const char **k, const char **v) {
  size_t m = 0, i;

  k[m] = "event", v[m++] = name;
  k[m] = "priority", v[m++] = alert_priority_name(priority);
  k[m] = "time", v[m++] = when;
  k[m] = "hostname", v[m++] = al.hostname;
  for (i = 0; i < n && i < ALERT_MAX_KEYS; i++)
    k[m] = keys[i], v[m++] = values[i];
  return m;
}

/* alert_job_new - the JSON line and environment of one event, or NULL */
static struct alert_job *alert_job_new(int priority, const char *name,
                                       const char *const *keys,
                                       const char *const *values, size_t n,
                                       unsigned long suppressed) {
  const char *k[ALERT_MAX_KEYS + 4], *v[ALERT_MAX_KEYS + 4], *text;
  struct alert_job *j = calloc(1, sizeof(*j));
  char when[32], count[32];
  json_object *o;
  struct tm tm;
  time_t t = time(NULL);
  size_t m, i, e = 0;

  if (j == NULL)
    return NULL;
  snprintf(j->name, sizeof(j->name), "%s", name);
  strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
  m = alert_fields(priority, name, when, keys, values, n, k, v);
  if ((o = json_object_new_object()) == NULL ||
      (j->env = calloc(m + 3, sizeof(char *))) == NULL) {
    json_object_put(o);
    alert_job_free(j);
    return NULL;
  }
  for (i = 0; i < m; i++) {
    json_object_object_add(o, k[i], json_object_new_string(v[i]));
    if ((j->env[e] = alert_var(k[i], v[i])) != NULL)
      e++;
  }
  if (suppressed > 0) {
    json_object_object_add(o, "suppressed",
                           json_object_new_int64((int64_t)suppressed));
    snprintf(count, sizeof(count), "%lu", suppressed);
    if ((j->env[e] = alert_var("suppressed", count)) != NULL)
      e++;
  }
  j->env[e] = strdup(ALERT_PATH);
  text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                               JSON_C_TO_STRING_NOSLASHESCAPE);
  if (text != NULL && (j->json = malloc(strlen(text) + 2)) != NULL)
    sprintf(j->json, "%s\n", text);
  json_object_put(o);
  if (j->json == NULL) {
    alert_job_free(j);
    return NULL;
  }
  return j;
}

/* mlfi_alert_post - queue one event; never blocks */
void mlfi_alert_post(int priority, const char *name, const char *const *keys,
                     const char *const *values, size_t n,
                     unsigned long suppressed) {
  struct alert_job *j;
  int on;

  pthread_mutex_lock(&al.lock);
  on = al.started && !al.stop && al.command != NULL;
  pthread_mutex_unlock(&al.lock);
  if (!on)
    return;
  j = alert_job_new(priority, name, keys, values, n, suppressed);
  pthread_mutex_lock(&al.lock);
  if (j == NULL || al.stop || al.count == ALERT_QUEUE_MAX) {
    al.dropped++;
  } else {
    al.queue[(al.head + al.count++) % ALERT_QUEUE_MAX] = j;
    j = NULL;
  }
  pthread_cond_broadcast(&al.wake);
  pthread_mutex_unlock(&al.lock);
  alert_job_free(j);
}

/* alert_spawn - start J's command with stdin IN; 0 or an errno */
static int alert_spawn(const struct alert_job *j, int in, pid_t *pid) {
  static const int deflt[] = {SIGHUP,  SIGINT,  SIGTERM, SIGPIPE, SIGCHLD,
                              SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM};
  char *argv[2] = {j->command, NULL};
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  sigset_t none, def;
  int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC), rc;
  size_t i;

  sigemptyset(&none);
  sigemptyset(&def);
  for (i = 0; i < sizeof(deflt) / sizeof(deflt[0]); i++)
    sigaddset(&def, deflt[i]);
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in, STDIN_FILENO);
  if (devnull >= 0)
    posix_spawn_file_actions_adddup2(&fa, devnull, STDOUT_FILENO);
#ifdef HAVE_POSIX_SPAWN_FILE_ACTIONS_ADDCLOSEFROM_NP
  posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
#endif
  posix_spawnattr_init(&at);
  posix_spawnattr_setsigmask(&at, &none);
  posix_spawnattr_setsigdefault(&at, &def);
  posix_spawnattr_setpgroup(&at, 0);
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                    POSIX_SPAWN_SETPGROUP);
  rc = posix_spawn(pid, j->command, &fa, &at, argv, j->env);
  posix_spawnattr_destroy(&at);
  posix_spawn_file_actions_destroy(&fa);
  if (devnull >= 0)
    close(devnull);
  return rc;
}

/* alert_feed - write TEXT to FD until done, EPIPE or DEADLINE */
static void alert_feed(int fd, const char *text, int64_t deadline) {
  size_t len = strlen(text), off = 0;
  struct pollfd p = {fd, POLLOUT, 0};
  int64_t left;
  ssize_t w;

  while (off < len) {
    w = send(fd, text + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w > 0) {
      off += (size_t)w;
      continue;
    }
    if (w < 0 && errno != EAGAIN && errno != EINTR)
      return; /* the command closed its stdin: its business */
    if ((left = deadline - alert_now_ms()) <= 0)
      return;
    (void)poll(&p, 1, (int)left);
  }
}

/*
 * alert_wait - wait for PID until DEADLINE, then kill its process group;
 * its wait status, *KILLED set when the timeout killed it; -1: unknown
 */
static int alert_wait(pid_t pid, int64_t deadline, int *killed) {
  struct timespec nap;
  int64_t step = 5, left;
  int st;
  pid_t r;

  *killed = 0;
  for (;;) {
    r = waitpid(pid, &st, WNOHANG);
    if (r == pid)
      return st;
    if (r < 0 && errno != EINTR)
      return -1; /* ECHILD: someone else reaped it */
    if ((left = deadline - alert_now_ms()) <= 0)
      break;
    if (step > left)
      step = left;
    nap.tv_sec = (time_t)(step / 1000);
    nap.tv_nsec = (long)(step % 1000) * 1000000;
    nanosleep(&nap, NULL);
    if (step < 100)
      step *= 2;
  }
  *killed = 1;
  kill(-pid, SIGKILL); /* the command and whatever it started */
  kill(pid, SIGKILL);
  while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
    ;
  return r == pid ? st : -1;
}

/* alert_run - run J's command once; log what went wrong */
static void alert_run(const struct alert_job *j) {
  int64_t deadline = alert_now_ms() + (int64_t)j->timeout * 1000;
  int sv[2], rc, st, killed;
  pid_t pid;

  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
    mlfi_log(LOG_WARNING, "alert: %s for event=%s: socketpair: %s", j->command,
             j->name, strerror(errno));
    return;
  }
  rc = alert_spawn(j, sv[1], &pid);
  close(sv[1]);
  if (rc != 0) {
    mlfi_log(LOG_WARNING, "alert: cannot run %s for event=%s: %s", j->command,
             j->name, strerror(rc));
    close(sv[0]);
    return;
  }
  alert_feed(sv[0], j->json, deadline);
  close(sv[0]);
  st = alert_wait(pid, deadline, &killed);
  if (killed)
    mlfi_log(LOG_WARNING,
             "alert: %s for event=%s did not finish in %d s: killed",
             j->command, j->name, j->timeout);
  else if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) != 0)
    mlfi_log(LOG_WARNING, "alert: %s for event=%s exited with status %d",
             j->command, j->name, WEXITSTATUS(st));
  else if (st != -1 && WIFSIGNALED(st))
    mlfi_log(LOG_WARNING, "alert: %s for event=%s killed by signal %d",
             j->command, j->name, WTERMSIG(st));
}

/* alert_runner - thread: run one job, then make room for the next */
static void *alert_runner(void *arg) {
  struct alert_job *j = arg;

  alert_run(j);
  alert_job_free(j);
  pthread_mutex_lock(&al.lock);
  al.running--;
  pthread_cond_broadcast(&al.wake);
  pthread_mutex_unlock(&al.lock);
  return NULL;
}

/* alert_log_dropped - under the lock: log the drops counted so far */
static void alert_log_dropped(const char *why) {
  unsigned long n = al.dropped;

  al.dropped = 0;
  pthread_mutex_unlock(&al.lock);
  mlfi_log(LOG_WARNING, "alert: %lu event%s not run (%s)", n, n == 1 ? "" : "s",
           why);
  pthread_mutex_lock(&al.lock);
}

/* alert_launch - under the lock: start a runner for J; 0 or -1 */
static int alert_launch(struct alert_job *j) {
  pthread_attr_t attr;
  pthread_t t;
  int rc;

  if ((j->command = strdup(al.command)) == NULL)
    return -1;
  j->timeout = al.timeout;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  rc = pthread_create(&t, &attr, alert_runner, j);
  pthread_attr_destroy(&attr);
  if (rc != 0)
    return -1;
  al.running++;
  return 0;
}

/* alert_dispatch - thread: start queued events, max_running at a time */
static void *alert_dispatch(void *arg) {
  struct alert_job *j;

  (void)arg;
  pthread_mutex_lock(&al.lock);
  for (;;) {
    while (!al.stop && al.dropped == 0 &&
           (al.count == 0 || al.running >= (unsigned)al.max_running))
      pthread_cond_wait(&al.wake, &al.lock);
    if (al.dropped > 0)
      alert_log_dropped("the alert queue was full, or no thread");
    if (al.stop)
      break;
    if (al.count == 0 || al.running >= (unsigned)al.max_running)
      continue;
    j = al.queue[al.head];
    al.head = (al.head + 1) % ALERT_QUEUE_MAX;
    al.count--;
    if (al.command == NULL) { /* alerts turned off by a reload */
      alert_job_free(j);
    } else if (alert_launch(j) < 0) {
      al.dropped++; /* logged at the next turn */
      alert_job_free(j);
    }
  }
  for (; al.count > 0; al.count--, al.head = (al.head + 1) % ALERT_QUEUE_MAX) {
    alert_job_free(al.queue[al.head]);
    al.dropped++;
  }
  if (al.dropped > 0)
    alert_log_dropped("stopping");
  while (al.running > 0) /* each ends by its timeout at the latest */
    pthread_cond_wait(&al.wake, &al.lock);
  pthread_mutex_unlock(&al.lock);
  return NULL;
}

/* mlfi_alert_start - start the dispatcher thread; 0 or -1 */
int mlfi_alert_start(void) {
  int rc = 0;

  pthread_mutex_lock(&al.lock);
  if (gethostname(al.hostname, sizeof(al.hostname) - 1) < 0)
    snprintf(al.hostname, sizeof(al.hostname), "localhost");
  if (!al.started) {
    al.stop = 0;
    if (pthread_create(&al.thread, NULL, alert_dispatch, NULL) == 0)
      al.started = 1;
    else
      rc = -1;
  }
  pthread_mutex_unlock(&al.lock);
  return rc;
}

/* mlfi_alert_stop - stop the dispatcher, wait for the runs */
void mlfi_alert_stop(void) {
  pthread_mutex_lock(&al.lock);
  if (!al.started) {
    pthread_mutex_unlock(&al.lock);
    return;
  }
  al.stop = 1;
  pthread_cond_broadcast(&al.wake);
  pthread_mutex_unlock(&al.lock);
  pthread_join(al.thread, NULL);
  pthread_mutex_lock(&al.lock);
  al.started = 0;
  free(al.command);
  al.command = NULL;
  pthread_mutex_unlock(&al.lock);
}

/* mlfi_alert_configure - the settings of the current configuration */
void mlfi_alert_configure(const char *command, int timeout, int max_running) {
  char *copy = command != NULL ? strdup(command) : NULL;

  pthread_mutex_lock(&al.lock);
  free(al.command);
  al.command = copy;
  al.timeout = timeout > 0 ? timeout : 10;
  al.max_running = max_running > 0 ? max_running : 1;
  pthread_cond_broadcast(&al.wake);
  pthread_mutex_unlock(&al.lock);
}
