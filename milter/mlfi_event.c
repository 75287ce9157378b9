/*
 * mlfi_event.c - operational events (mlfi_event.h): one log line each,
 * rate-limited, handed to the alert command (mlfi_alert.c).
 *
 * Contract: see mlfi_event.h.  Values are logged as they are when they
 * are made of safe characters, else in double quotes with '"', '\' and
 * non-printables replaced by '?'.
 *
 * Rate limit (alert.burst B, alert.interval I seconds): per event name
 * and "host" value (events without a host share one key per name), a
 * bucket of B tokens that refills one token every I seconds.  An event
 * that finds a token is logged (and alerted); one that finds none is
 * counted, and the next line of that key that passes carries
 * "suppressed=N" (the alert gets the same count).  So a flapping host
 * gives at most B lines of a kind at once and then one per I seconds.
 * The table holds MLFI_EVENT_KEYS keys; when it is full the least
 * recently seen key is forgotten (with its count).
 *
 * The library's events (dlp_pool_set_event_fn) become host-down
 * (LOG_WARNING), host-up (LOG_NOTICE; it also ends a bypass episode:
 * mlfi_policy_host_up) and tls-verify-failed (LOG_WARNING).
 */
#include "config.h"

#include "mlfi_event.h"

#include "mlfi.h"
#include "mlfi_alert.h"
#include "mlfi_policy.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#define MLFI_EVENT_MAX 1024 /* longest event line */
#define MLFI_EVENT_PAIRS 16 /* KEY=VALUE pairs of one event */
#define MLFI_EVENT_KEYS 128 /* rate limit keys remembered */

/* The rate limit of one (name, host). */
struct event_rate {
  char name[32];
  char host[300];
  double tokens;            /* events that may pass now */
  int64_t last_ms;          /* tokens counted up to then */
  unsigned long suppressed; /* not logged since the last line */
};

/* The module's state, under ev.lock. */
static struct {
  pthread_mutex_t lock;
  int burst, interval; /* alert.burst, alert.interval */
  struct event_rate rates[MLFI_EVENT_KEYS];
  size_t nrates;
} ev = {.lock = PTHREAD_MUTEX_INITIALIZER, .burst = 3, .interval = 60};

/* event_now_ms - CLOCK_MONOTONIC in milliseconds */
static int64_t event_now_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* event_rate_of - under the lock: the entry of NAME, HOST (made if new) */
static struct event_rate *event_rate_of(const char *name, const char *host,
                                        int64_t now) {
  struct event_rate *r, *oldest = NULL;
  size_t i;

  for (i = 0; i < ev.nrates; i++) {
    r = &ev.rates[i];
    if (strcmp(r->name, name) == 0 && strcmp(r->host, host) == 0)
      return r;
    if (oldest == NULL || r->last_ms < oldest->last_ms)
      oldest = r;
  }
  r = ev.nrates < MLFI_EVENT_KEYS ? &ev.rates[ev.nrates++] : oldest;
  memset(r, 0, sizeof(*r));
  snprintf(r->name, sizeof(r->name), "%s", name);
  snprintf(r->host, sizeof(r->host), "%s", host);
  r->tokens = ev.burst;
  r->last_ms = now;
  return r;
}

/*
 * event_admit - may event NAME of HOST be logged now?  1 with the count
 * suppressed before it in *SUPPRESSED, or 0 (counted)
 */
static int event_admit(const char *name, const char *host,
                       unsigned long *suppressed) {
  int64_t now = event_now_ms();
  struct event_rate *r;
  int pass = 0;

  pthread_mutex_lock(&ev.lock);
  r = event_rate_of(name, host, now);
  r->tokens += (double)(now - r->last_ms) / (ev.interval * 1000.0);
  if (r->tokens > ev.burst)
    r->tokens = ev.burst;
  r->last_ms = now;
  if (r->tokens >= 1.0) {
    r->tokens -= 1.0;
    *suppressed = r->suppressed;
    r->suppressed = 0;
    pass = 1;
  } else {
    r->suppressed++;
  }
  pthread_mutex_unlock(&ev.lock);
  return pass;
}

/* event_safe - non-zero when V needs no quotes */
static int event_safe(const char *v) {
  if (*v == '\0')
    return 0;
  for (; *v != '\0'; v++)
    if (*v <= 0x20 || *v >= 0x7f || *v == '"' || *v == '\\')
      return 0;
  return 1;
}

/* event_append - " KEY=VALUE" added to LINE (of LEN bytes, N used) */
static size_t event_append(char *line, size_t len, size_t n, const char *key,
                           const char *value) {
  size_t i;

  if (n + 1 >= len)
    return n;
  if (event_safe(value)) {
    n += (size_t)snprintf(line + n, len - n, " %s=%s", key, value);
    return n < len ? n : len - 1;
  }
  n += (size_t)snprintf(line + n, len - n, " %s=\"", key);
  for (i = 0; value[i] != '\0' && n + 2 < len; i++)
    line[n++] = (value[i] >= 0x20 && value[i] < 0x7f && value[i] != '"' &&
                 value[i] != '\\')
                    ? value[i]
                    : '?';
  if (n + 1 < len)
    line[n++] = '"';
  line[n < len ? n : len - 1] = '\0';
  return n < len ? n : len - 1;
}

/* mlfi_event - report event NAME with NULL-ended KEY, VALUE pairs */
void mlfi_event(int priority, const char *name, ...) {
  const char *keys[MLFI_EVENT_PAIRS], *values[MLFI_EVENT_PAIRS];
  const char *key, *value, *host = "";
  char line[MLFI_EVENT_MAX], count[32];
  unsigned long suppressed = 0;
  size_t n, i, npairs = 0;
  va_list ap;

  va_start(ap, name);
  while ((key = va_arg(ap, const char *)) != NULL) {
    value = va_arg(ap, const char *);
    if (npairs == MLFI_EVENT_PAIRS)
      continue; /* more than any event has: not shown */
    keys[npairs] = key;
    values[npairs] = value != NULL ? value : "";
    if (strcmp(key, "host") == 0)
      host = values[npairs];
    npairs++;
  }
  va_end(ap);
  if (!event_admit(name, host, &suppressed))
    return;
  n = (size_t)snprintf(line, sizeof(line), "event=%s", name);
  for (i = 0; i < npairs; i++)
    n = event_append(line, sizeof(line), n, keys[i], values[i]);
  if (suppressed > 0) {
    snprintf(count, sizeof(count), "%lu", suppressed);
    n = event_append(line, sizeof(line), n, "suppressed", count);
  }
  mlfi_log(priority, "%s", line);
  mlfi_alert_post(priority, name, keys, values, npairs, suppressed);
}

/* event_pool - the library's event EV becomes an event of ours */
static void event_pool(const DLP_EVENT *e, void *ctx) {
  char down[32];

  (void)ctx;
  switch (e->kind) {
  case DLP_EVENT_HOST_DOWN:
    mlfi_event(LOG_WARNING, "host-down", "host", e->host, "addr", e->addr,
               "outcome", dlp_outcome_name(e->outcome), "detail", e->detail,
               NULL);
    break;
  case DLP_EVENT_HOST_UP:
    snprintf(down, sizeof(down), "%.3f", (double)e->down_ms / 1000.0);
    mlfi_event(LOG_NOTICE, "host-up", "host", e->host, "addr", e->addr,
               "down_seconds", down, NULL);
    mlfi_policy_host_up(); /* a bypass episode ends, whatever is logged */
    break;
  case DLP_EVENT_TLS_VERIFY_FAILED:
    mlfi_event(LOG_WARNING, "tls-verify-failed", "host", e->host, "addr",
               e->addr, "outcome", dlp_outcome_name(e->outcome), "detail",
               e->detail, NULL);
    break;
  }
}

/* mlfi_event_configure - the rate limit and alert settings of CFG */
void mlfi_event_configure(const DLP_CONFIG *cfg) {
  pthread_mutex_lock(&ev.lock);
  ev.burst = dlp_config_alert_burst(cfg);
  ev.interval = dlp_config_alert_interval(cfg);
  pthread_mutex_unlock(&ev.lock);
  mlfi_alert_configure(dlp_config_alert_command(cfg),
                       dlp_config_alert_timeout(cfg),
                       dlp_config_alert_max_running(cfg));
}

/* mlfi_event_start - settings of CFG, alert thread, POOL's events */
void mlfi_event_start(DLP_POOL *pool, const DLP_CONFIG *cfg) {
  mlfi_event_configure(cfg);
  if (mlfi_alert_start() < 0)
    mlfi_log(LOG_ERR, "cannot start the alert thread: alerts are off");
  dlp_pool_set_event_fn(pool, event_pool, NULL);
}

/* mlfi_event_stop - POOL's events off, the alert thread stopped */
void mlfi_event_stop(DLP_POOL *pool) {
  dlp_pool_set_event_fn(pool, NULL, NULL);
  mlfi_alert_stop();
}
