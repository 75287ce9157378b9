/*
 * mlfi_status.c - the status of dlpbypass-milter, in words and as JSON
 * (json-c), and the start, reload and stop of the metrics endpoint and
 * the control socket (mlfi_status.h).
 *
 * Contract: mlfi_status_describe() gathers, each under its own lock and
 * never holding two: the current configuration (file, generation), each
 * configured host's health (dlp_pool_hosts) with its attempts and last
 * outcome (mlfi_stats), the bypass episode and budget
 * (mlfi_budget_snapshot), the counters since start, the messages in
 * flight.  The JSON object (for dlpbypass-ctl status --json):
 *   { "pid", "started" (ISO 8601 UTC), "uptime_seconds",
 *     "config": { "file", "generation" },
 *     "hosts": [ { "host", "state" ("up"|"down"), "consecutive_failures",
 *                  "down_seconds", "next_retry_seconds", "idle_sessions",
 *                  "last_outcome" (or null), "last_outcome_seconds_ago",
 *                  "last_failure": { "at", "text" } or null,
 *                  "attempts": { OUTCOME: N, ... } } ... ],
 *     "bypass": { "in_episode", "started", "seconds", "messages",
 *                 "bytes" },
 *     "budget": { "spent", "spent_by", "left_seconds", "left_messages",
 *                 "left_bytes" } (null: no such limit),
 *     "counters": { "decisions": N, "by_verdict": { VERDICT: { REASON:
 *                   N } }, "bypassed_messages", "bypassed_bytes",
 *                   "rescan_queued" },
 *     "messages_in_flight": N }
 */
#include "config.h"

#include "mlfi.h"
#include "mlfi_policy.h"
#include "mlfi_stats.h"
#include "mlfi_status.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define STATUS_MAX_HOSTS 64 /* hosts shown; the configuration may have more */

static DLP_POOL *status_pool; /* set by mlfi_status_start */
static char *status_listen;   /* what the services started with */
static char *status_socket;

/* Everything the status shows, gathered once. */
struct status_all {
  DLP_CONFIG *cfg; /* our reference, or NULL */
  struct mlfi_stats_snap st;
  DLP_HOST_STATUS hosts[STATUS_MAX_HOSTS];
  size_t nhosts;
  struct mlfi_budget_state budget;
  unsigned busy;
  time_t now;
};

/* mlfi_buf_printf - append to B (printf style) */
void mlfi_buf_printf(struct mlfi_buf *b, const char *fmt, ...) {
  va_list ap;
  int n;
  char *p;

  if (b->failed)
    return;
  for (;;) {
    va_start(ap, fmt);
    n = vsnprintf(b->p != NULL ? b->p + b->len : NULL,
                  b->p != NULL ? b->cap - b->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
      b->failed = 1;
      return;
    }
    if (b->p != NULL && b->len + (size_t)n < b->cap) {
      b->len += (size_t)n;
      return;
    }
    if ((p = realloc(b->p, b->cap + (size_t)n + 4096)) == NULL) {
      b->failed = 1;
      return;
    }
    b->p = p;
    b->cap += (size_t)n + 4096;
  }
}

/* mlfi_status_pool - the host pool */
DLP_POOL *mlfi_status_pool(void) {
  return status_pool;
}

/* status_dup - copy of S or NULL */
static char *status_dup(const char *s) {
  return s != NULL ? strdup(s) : NULL;
}

/* mlfi_status_start - start the metrics endpoint and control socket */
void mlfi_status_start(DLP_POOL *pool, const DLP_CONFIG *cfg) {
  status_pool = pool;
  mlfi_stats_start();
  mlfi_stats_config_loaded();
  if (dlp_config_metrics_listen(cfg) != NULL && mlfi_metrics_start(cfg) == 0)
    status_listen = status_dup(dlp_config_metrics_listen(cfg));
  if (dlp_config_control_socket(cfg) != NULL && mlfi_control_start(cfg) == 0)
    status_socket = status_dup(dlp_config_control_socket(cfg));
}

/* status_same - the strings A and B (either may be NULL) are equal */
static int status_same(const char *a, const char *b) {
  return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* mlfi_status_reload - CFG is about to become current */
void mlfi_status_reload(const DLP_CONFIG *cfg) {
  mlfi_stats_config_loaded();
  if (!status_same(status_listen, dlp_config_metrics_listen(cfg)))
    mlfi_log(LOG_WARNING,
             "metrics.listen changed: the endpoint stays on %s until "
             "dlpbypass-milter is restarted",
             status_listen != NULL ? status_listen : "(none)");
  if (!status_same(status_socket, dlp_config_control_socket(cfg)))
    mlfi_log(LOG_WARNING,
             "control.socket changed: the control socket stays %s until "
             "dlpbypass-milter is restarted",
             status_socket != NULL ? status_socket : "(none)");
}

/* mlfi_status_stop - stop both, remove the control socket */
void mlfi_status_stop(void) {
  if (status_socket != NULL)
    mlfi_control_stop();
  if (status_listen != NULL)
    mlfi_metrics_stop();
  free(status_socket);
  free(status_listen);
  status_socket = status_listen = NULL;
}

/* status_gather - fill A (A->cfg is a reference the caller drops) */
static void status_gather(struct status_all *a) {
  memset(a, 0, sizeof(*a));
  a->now = time(NULL);
  a->cfg = mlfi_config_get();
  mlfi_stats_snapshot(&a->st);
  a->busy = mlfi_busy();
  if (a->cfg == NULL) {
    a->budget.left_seconds = a->budget.left_messages = -1;
    a->budget.left_bytes = -1;
    return;
  }
  if (status_pool != NULL) {
    a->nhosts = dlp_pool_hosts(status_pool, a->cfg, a->hosts, STATUS_MAX_HOSTS);
    if (a->nhosts > STATUS_MAX_HOSTS)
      a->nhosts = STATUS_MAX_HOSTS;
  }
  mlfi_budget_snapshot(a->cfg, &a->budget);
}

/* status_counts - the counters of host LABEL, or NULL */
static const struct mlfi_stats_host *status_counts(const struct status_all *a,
                                                   const char *label) {
  size_t i;

  for (i = 0; i < a->st.nhosts; i++)
    if (strcmp(a->st.hosts[i].host, label) == 0)
      return &a->st.hosts[i];
  return NULL;
}

/* status_iso - T as "2026-12-01T13:00:00Z" in BUF */
static const char *status_iso(time_t t, char *buf, size_t len) {
  struct tm tm;

  gmtime_r(&t, &tm);
  strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/* status_int - a JSON integer, or null when V is negative and NULLABLE */
static json_object *status_int(long long v, int nullable) {
  return nullable && v < 0 ? NULL : json_object_new_int64(v);
}

/* status_json_host - one host of A as a JSON object */
static json_object *status_json_host(const struct status_all *a,
                                     const DLP_HOST_STATUS *h) {
  const struct mlfi_stats_host *c = status_counts(a, h->label);
  json_object *o = json_object_new_object(), *att = json_object_new_object();
  json_object *fail = NULL;
  int i;

  json_object_object_add(o, "host", json_object_new_string(h->label));
  json_object_object_add(o, "state",
                         json_object_new_string(h->up ? "up" : "down"));
  json_object_object_add(o, "consecutive_failures",
                         json_object_new_int64(h->failures));
  json_object_object_add(o, "down_seconds",
                         json_object_new_double((double)h->down_ms / 1000));
  json_object_object_add(o, "next_retry_seconds",
                         json_object_new_double((double)h->retry_ms / 1000));
  json_object_object_add(o, "idle_sessions", json_object_new_int64(h->idle));
  json_object_object_add(
      o, "last_outcome",
      c != NULL ? json_object_new_string(dlp_outcome_name(c->last)) : NULL);
  json_object_object_add(
      o, "last_outcome_seconds_ago",
      c != NULL ? json_object_new_int64((long long)(a->now - c->last_when))
                : NULL);
  if (h->last_label[0]) {
    fail = json_object_new_object();
    json_object_object_add(fail, "at", json_object_new_string(h->last_label));
    json_object_object_add(fail, "text", json_object_new_string(h->last_text));
  }
  json_object_object_add(o, "last_failure", fail);
  for (i = 1; c != NULL && i < MLFI_STATS_OUTCOMES; i++)
    if (c->n[i] > 0)
      json_object_object_add(att, dlp_outcome_name((dlp_outcome)i),
                             json_object_new_int64((long long)c->n[i]));
  json_object_object_add(o, "attempts", att);
  return o;
}

/* status_json_bypass - the episode and the budget of A, into O */
static void status_json_bypass(const struct status_all *a, json_object *o) {
  const struct mlfi_budget_state *b = &a->budget;
  json_object *ep = json_object_new_object(), *bu = json_object_new_object();
  char when[32];

  json_object_object_add(ep, "in_episode",
                         json_object_new_boolean(b->in_episode));
  json_object_object_add(ep, "started",
                         b->started ? json_object_new_string(status_iso(
                                          b->started, when, sizeof(when)))
                                    : NULL);
  json_object_object_add(
      ep, "seconds",
      json_object_new_int64(b->started ? (long long)(a->now - b->started) : 0));
  json_object_object_add(ep, "messages",
                         json_object_new_int64((long long)b->messages));
  json_object_object_add(ep, "bytes",
                         json_object_new_int64((long long)b->bytes));
  json_object_object_add(o, "bypass", ep);
  json_object_object_add(bu, "spent", json_object_new_boolean(b->spent));
  json_object_object_add(
      bu, "spent_by", b->spent_by ? json_object_new_string(b->spent_by) : NULL);
  json_object_object_add(bu, "left_seconds", status_int(b->left_seconds, 1));
  json_object_object_add(bu, "left_messages", status_int(b->left_messages, 1));
  json_object_object_add(bu, "left_bytes", status_int(b->left_bytes, 1));
  json_object_object_add(o, "budget", bu);
}

/* status_json_counters - the counters since start of A */
static json_object *status_json_counters(const struct status_all *a) {
  json_object *o = json_object_new_object(), *bv = json_object_new_object();
  json_object *v;
  size_t i;

  json_object_object_add(o, "decisions",
                         json_object_new_int64((long long)a->st.messages));
  for (i = 0; i < a->st.ndecisions; i++) {
    const struct mlfi_stats_decision *d = &a->st.decisions[i];

    if (!json_object_object_get_ex(bv, d->verdict, &v)) {
      v = json_object_new_object();
      json_object_object_add(bv, d->verdict, v);
    }
    json_object_object_add(v, d->reason,
                           json_object_new_int64((long long)d->n));
  }
  json_object_object_add(o, "by_verdict", bv);
  json_object_object_add(o, "bypassed_messages",
                         json_object_new_int64((long long)a->st.bypassed));
  json_object_object_add(
      o, "bypassed_bytes",
      json_object_new_int64((long long)a->st.bypassed_bytes));
  json_object_object_add(o, "rescan_queued",
                         json_object_new_int64((long long)a->st.rescan_queued));
  return o;
}

/* status_json - A as one JSON object into B */
static void status_json(const struct status_all *a, struct mlfi_buf *b) {
  json_object *o = json_object_new_object(), *cf = json_object_new_object();
  json_object *hosts = json_object_new_array();
  char when[32];
  size_t i;

  json_object_object_add(o, "pid", json_object_new_int64(getpid()));
  json_object_object_add(
      o, "started",
      json_object_new_string(status_iso(a->st.start, when, sizeof(when))));
  json_object_object_add(
      o, "uptime_seconds",
      json_object_new_int64((long long)(a->now - a->st.start)));
  json_object_object_add(
      cf, "file",
      a->cfg ? json_object_new_string(dlp_config_path(a->cfg)) : NULL);
  json_object_object_add(cf, "generation",
                         json_object_new_int64((long long)a->st.generation));
  json_object_object_add(o, "config", cf);
  for (i = 0; i < a->nhosts; i++)
    json_object_array_add(hosts, status_json_host(a, &a->hosts[i]));
  json_object_object_add(o, "hosts", hosts);
  status_json_bypass(a, o);
  json_object_object_add(o, "counters", status_json_counters(a));
  json_object_object_add(o, "messages_in_flight",
                         json_object_new_int64(a->busy));
  mlfi_buf_printf(b, "%s\n",
                  json_object_to_json_string_ext(
                      o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                             JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put(o);
}

/* status_text_host - one host of A in words */
static void status_text_host(const struct status_all *a,
                             const DLP_HOST_STATUS *h, struct mlfi_buf *b) {
  const struct mlfi_stats_host *c = status_counts(a, h->label);
  int i, any = 0;

  if (h->up)
    mlfi_buf_printf(b, "  %s: up", h->label);
  else
    mlfi_buf_printf(b, "  %s: down for %.1f s, %u failed dial%s, %s %.1f s",
                    h->label, (double)h->down_ms / 1000, h->failures,
                    h->failures == 1 ? "" : "s",
                    h->retry_ms > 0 ? "next try in" : "may be tried now,",
                    (double)h->retry_ms / 1000);
  mlfi_buf_printf(b, ", %u idle session%s\n", h->idle, h->idle == 1 ? "" : "s");
  if (c != NULL)
    mlfi_buf_printf(b, "    last outcome: %s, %lld s ago\n",
                    dlp_outcome_name(c->last),
                    (long long)(a->now - c->last_when));
  else
    mlfi_buf_printf(b, "    last outcome: none (not tried since start)\n");
  if (h->last_label[0])
    mlfi_buf_printf(b, "    last failure: %s\n",
                    h->last_text[0] ? h->last_text : h->last_label);
  for (i = 1; c != NULL && i < MLFI_STATS_OUTCOMES; i++)
    if (c->n[i] > 0)
      mlfi_buf_printf(b, "%s %s %llu", any++ ? "," : "    attempts:",
                      dlp_outcome_name((dlp_outcome)i), c->n[i]);
  if (any)
    mlfi_buf_printf(b, "\n");
}

/* status_left - "N UNIT" or "no limit" */
static const char *status_left(long long v, const char *unit, char *buf,
                               size_t len) {
  if (v < 0)
    snprintf(buf, len, "no %s limit", unit);
  else
    snprintf(buf, len, "%lld %s", v, unit);
  return buf;
}

/* status_text_bypass - the episode and the budget of A in words */
static void status_text_bypass(const struct status_all *a, struct mlfi_buf *b) {
  const struct mlfi_budget_state *bu = &a->budget;
  char when[32], l1[48], l2[48], l3[48];

  if (bu->in_episode)
    mlfi_buf_printf(b,
                    "bypass: in an episode since %s (%lld s): %lu messages, "
                    "%llu bytes left unscanned\n",
                    status_iso(bu->started, when, sizeof(when)),
                    (long long)(a->now - bu->started), bu->messages, bu->bytes);
  else
    mlfi_buf_printf(b, "bypass: no episode under way\n");
  mlfi_buf_printf(b, "budget: %s%s%s; left: %s, %s, %s\n",
                  bu->spent ? "spent" : "not spent",
                  bu->spent && bu->spent_by ? " by " : "",
                  bu->spent && bu->spent_by ? bu->spent_by : "",
                  status_left(bu->left_seconds, "seconds", l1, sizeof(l1)),
                  status_left(bu->left_messages, "messages", l2, sizeof(l2)),
                  status_left(bu->left_bytes, "bytes", l3, sizeof(l3)));
}

/* status_text - A in words into B */
static void status_text(const struct status_all *a, struct mlfi_buf *b) {
  char when[32];
  size_t i;

  mlfi_buf_printf(b, "dlpbypass-milter pid %ld, up %lld s (since %s)\n",
                  (long)getpid(), (long long)(a->now - a->st.start),
                  status_iso(a->st.start, when, sizeof(when)));
  mlfi_buf_printf(b, "config: %s (generation %lu)\n",
                  a->cfg ? dlp_config_path(a->cfg) : "(none)",
                  a->st.generation);
  mlfi_buf_printf(b, "hosts:\n");
  for (i = 0; i < a->nhosts; i++)
    status_text_host(a, &a->hosts[i], b);
  status_text_bypass(a, b);
  mlfi_buf_printf(b, "counters since start: %llu decision%s, %u in flight\n",
                  a->st.messages, a->st.messages == 1 ? "" : "s", a->busy);
  for (i = 0; i < a->st.ndecisions; i++)
    mlfi_buf_printf(b, "  verdict=%s reason=%s: %llu\n",
                    a->st.decisions[i].verdict, a->st.decisions[i].reason,
                    a->st.decisions[i].n);
  mlfi_buf_printf(b,
                  "  bypassed: %llu messages, %llu bytes; retro-scan "
                  "copies queued: %llu\n",
                  a->st.bypassed, a->st.bypassed_bytes, a->st.rescan_queued);
}

/* mlfi_status_describe - the status into B: words, or JSON */
void mlfi_status_describe(struct mlfi_buf *b, int json) {
  struct status_all *a = malloc(sizeof(*a));

  if (a == NULL) {
    b->failed = 1;
    return;
  }
  status_gather(a);
  if (json)
    status_json(a, b);
  else
    status_text(a, b);
  dlp_config_unref(a->cfg);
  free(a);
}
