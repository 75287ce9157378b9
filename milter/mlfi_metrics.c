/*
 * mlfi_metrics.c - the Prometheus endpoint of dlpbypass-milter
 * (metrics.listen): the text exposition format 0.0.4 at /metrics, served
 * by libmicrohttpd in its own polling thread (never on a message's path).
 *
 * Contract: mlfi_metrics_start() binds metrics.listen (a loopback
 * address, checked at load) and serves GET and HEAD of /metrics; any
 * other path is 404, any other method 405.  At most METRICS_CONNS
 * clients at once, each cut after METRICS_TIMEOUT idle seconds.
 * mlfi_metrics_render() writes the metrics (HELP and TYPE for each;
 * label values escaped as the format says: backslash, double quote and
 * line feed):
 *   dlpbypass_start_time_seconds, dlpbypass_config_generation,
 *   dlpbypass_decisions_total{verdict,reason},
 *   dlpbypass_attempts_total{host,outcome}, dlpbypass_host_up{host},
 *   dlpbypass_host_consecutive_failures{host},
 *   dlpbypass_host_idle_sessions{host}, dlpbypass_handoff_seconds
 *   (histogram of the time spent talking to the DLP per message),
 *   dlpbypass_bypassed_messages_total, dlpbypass_bypassed_bytes_total,
 *   dlpbypass_bypass_episode_{active,seconds,messages,bytes},
 *   dlpbypass_budget_spent, dlpbypass_budget_remaining_{messages,bytes,
 *   seconds} (+Inf: no such limit), dlpbypass_rescan_queued_total,
 *   dlpbypass_messages_in_flight.
 */
#include "config.h"

#include "mlfi.h"
#include "mlfi_policy.h"
#include "mlfi_stats.h"
#include "mlfi_status.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#define METRICS_CONNS 16   /* clients at once */
#define METRICS_TIMEOUT 10 /* seconds a client may stay idle */
#define METRICS_HOSTS 64
#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

#if MHD_VERSION >= 0x00097002
typedef enum MHD_Result metrics_result;
#else
typedef int metrics_result;
#endif

static struct MHD_Daemon *metrics_daemon;

/* metrics_escape - V as a label value (\\, \", \n escaped) into B */
static void metrics_escape(struct mlfi_buf *b, const char *v) {
  for (; *v; v++) {
    if (*v == '\\')
      mlfi_buf_printf(b, "\\\\");
    else if (*v == '"')
      mlfi_buf_printf(b, "\\\"");
    else if (*v == '\n')
      mlfi_buf_printf(b, "\\n");
    else
      mlfi_buf_printf(b, "%c", *v);
  }
}

/* metrics_head - the HELP and TYPE lines of NAME */
static void metrics_head(struct mlfi_buf *b, const char *name, const char *type,
                         const char *help) {
  mlfi_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* metrics_one - a metric without labels: head and value */
static void metrics_one(struct mlfi_buf *b, const char *name, const char *type,
                        const char *help, double v) {
  metrics_head(b, name, type, help);
  mlfi_buf_printf(b, "%s %.17g\n", name, v);
}

/* metrics_left - a remaining-budget gauge: V, or +Inf when V < 0 */
static void metrics_left(struct mlfi_buf *b, const char *name, const char *help,
                         long long v) {
  metrics_head(b, name, "gauge", help);
  if (v < 0)
    mlfi_buf_printf(b, "%s +Inf\n", name);
  else
    mlfi_buf_printf(b, "%s %lld\n", name, v);
}

/* metrics_decisions - dlpbypass_decisions_total */
static void metrics_decisions(struct mlfi_buf *b,
                              const struct mlfi_stats_snap *st) {
  size_t i;

  metrics_head(b, "dlpbypass_decisions_total", "counter",
               "Final decisions on messages, by verdict and reason.");
  for (i = 0; i < st->ndecisions; i++) {
    mlfi_buf_printf(b, "dlpbypass_decisions_total{verdict=\"");
    metrics_escape(b, st->decisions[i].verdict);
    mlfi_buf_printf(b, "\",reason=\"");
    metrics_escape(b, st->decisions[i].reason);
    mlfi_buf_printf(b, "\"} %llu\n", st->decisions[i].n);
  }
}

/* metrics_attempts - dlpbypass_attempts_total */
static void metrics_attempts(struct mlfi_buf *b,
                             const struct mlfi_stats_snap *st) {
  size_t i;
  int k;

  metrics_head(b, "dlpbypass_attempts_total", "counter",
               "Attempts at DLP hosts, by host and outcome class.");
  for (i = 0; i < st->nhosts; i++)
    for (k = 1; k < MLFI_STATS_OUTCOMES; k++) {
      if (st->hosts[i].n[k] == 0)
        continue;
      mlfi_buf_printf(b, "dlpbypass_attempts_total{host=\"");
      metrics_escape(b, st->hosts[i].host);
      mlfi_buf_printf(b, "\",outcome=\"%s\"} %llu\n",
                      dlp_outcome_name((dlp_outcome)k), st->hosts[i].n[k]);
    }
}

/* metrics_host_gauge - one gauge per host: WHICH 0 up, 1 failures, 2 idle */
static void metrics_host_gauge(struct mlfi_buf *b, const DLP_HOST_STATUS *h,
                               size_t n, const char *name, const char *help,
                               int which) {
  size_t i;

  metrics_head(b, name, "gauge", help);
  for (i = 0; i < n; i++) {
    mlfi_buf_printf(b, "%s{host=\"", name);
    metrics_escape(b, h[i].label);
    mlfi_buf_printf(b, "\"} %u\n",
                    which == 0   ? (unsigned)h[i].up
                    : which == 1 ? h[i].failures
                                 : h[i].idle);
  }
}

/* metrics_hosts - the health of the current configuration's hosts */
static void metrics_hosts(struct mlfi_buf *b, const DLP_CONFIG *cfg) {
  DLP_HOST_STATUS *h = calloc(METRICS_HOSTS, sizeof(*h));
  size_t n = 0;

  if (h == NULL) {
    b->failed = 1;
    return;
  }
  if (cfg != NULL && mlfi_status_pool() != NULL)
    n = dlp_pool_hosts(mlfi_status_pool(), cfg, h, METRICS_HOSTS);
  if (n > METRICS_HOSTS)
    n = METRICS_HOSTS;
  metrics_host_gauge(b, h, n, "dlpbypass_host_up",
                     "1 when the DLP host is reachable (or not tried), 0 "
                     "while the health state has it down.",
                     0);
  metrics_host_gauge(b, h, n, "dlpbypass_host_consecutive_failures",
                     "Consecutive failed connects to the DLP host.", 1);
  metrics_host_gauge(b, h, n, "dlpbypass_host_idle_sessions",
                     "Cached idle SMTP sessions to the DLP host.", 2);
  free(h);
}

/* metrics_latency - dlpbypass_handoff_seconds, a histogram */
static void metrics_latency(struct mlfi_buf *b,
                            const struct mlfi_stats_snap *st) {
  size_t i;

  metrics_head(b, "dlpbypass_handoff_seconds", "histogram",
               "Time each message spent being handed to the DLP.");
  for (i = 0; i < MLFI_STATS_BUCKETS; i++)
    mlfi_buf_printf(b, "dlpbypass_handoff_seconds_bucket{le=\"%g\"} %llu\n",
                    mlfi_stats_bounds[i], st->buckets[i]);
  mlfi_buf_printf(b,
                  "dlpbypass_handoff_seconds_bucket{le=\"+Inf\"} %llu\n"
                  "dlpbypass_handoff_seconds_sum %.9g\n"
                  "dlpbypass_handoff_seconds_count %llu\n",
                  st->messages, st->latency_sum, st->messages);
}

/* metrics_budget - the bypass episode and the budget */
static void metrics_budget(struct mlfi_buf *b, const DLP_CONFIG *cfg) {
  struct mlfi_budget_state bs;

  memset(&bs, 0, sizeof(bs));
  bs.left_seconds = bs.left_messages = bs.left_bytes = -1;
  if (cfg != NULL)
    mlfi_budget_snapshot(cfg, &bs);
  metrics_one(b, "dlpbypass_bypass_episode_active", "gauge",
              "1 while a bypass episode is under way.", bs.in_episode != 0);
  metrics_one(b, "dlpbypass_bypass_episode_seconds", "gauge",
              "Seconds since the current bypass episode began (0: none).",
              bs.in_episode && bs.started ? (double)(time(NULL) - bs.started)
                                          : 0);
  metrics_one(b, "dlpbypass_bypass_episode_messages", "gauge",
              "Messages bypassed in the current episode.", (double)bs.messages);
  metrics_one(b, "dlpbypass_bypass_episode_bytes", "gauge",
              "Bytes bypassed in the current episode.", (double)bs.bytes);
  metrics_one(b, "dlpbypass_budget_spent", "gauge",
              "1 while the bypass budget is spent (no bypass).", bs.spent != 0);
  metrics_left(b, "dlpbypass_budget_remaining_messages",
               "Messages the bypass budget still allows (+Inf: no limit).",
               bs.left_messages);
  metrics_left(b, "dlpbypass_budget_remaining_bytes",
               "Bytes the bypass budget still allows (+Inf: no limit).",
               bs.left_bytes);
  metrics_left(b, "dlpbypass_budget_remaining_seconds",
               "Seconds the bypass budget still allows (+Inf: no limit).",
               bs.left_seconds);
}

/* mlfi_metrics_render - the Prometheus text exposition into B */
void mlfi_metrics_render(struct mlfi_buf *b) {
  struct mlfi_stats_snap *st = malloc(sizeof(*st));
  DLP_CONFIG *cfg;

  if (st == NULL) {
    b->failed = 1;
    return;
  }
  mlfi_stats_snapshot(st);
  cfg = mlfi_config_get();
  metrics_one(b, "dlpbypass_start_time_seconds", "gauge",
              "When dlpbypass-milter started, seconds since the epoch.",
              (double)st->start);
  metrics_one(b, "dlpbypass_config_generation", "gauge",
              "Configurations loaded since start (1: the first).",
              (double)st->generation);
  metrics_decisions(b, st);
  metrics_attempts(b, st);
  metrics_hosts(b, cfg);
  metrics_latency(b, st);
  metrics_one(b, "dlpbypass_bypassed_messages_total", "counter",
              "Messages delivered without a DLP scan (bypass).",
              (double)st->bypassed);
  metrics_one(b, "dlpbypass_bypassed_bytes_total", "counter",
              "Bytes of the messages delivered without a DLP scan.",
              (double)st->bypassed_bytes);
  metrics_budget(b, cfg);
  metrics_one(b, "dlpbypass_rescan_queued_total", "counter",
              "Retro-scan copies of bypassed messages queued for the DLP.",
              (double)st->rescan_queued);
  metrics_one(b, "dlpbypass_messages_in_flight", "gauge",
              "Messages being handled now.", (double)mlfi_busy());
  dlp_config_unref(cfg);
  free(st);
}

/* metrics_reply - queue a response of CODE with BODY (taken: freed) */
static metrics_result metrics_reply(struct MHD_Connection *c, unsigned code,
                                    char *body, size_t len) {
  struct MHD_Response *r;
  metrics_result ret;

  r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
  if (r == NULL) {
    free(body);
    return MHD_NO;
  }
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, METRICS_TYPE);
  ret = MHD_queue_response(c, code, r);
  MHD_destroy_response(r);
  return ret;
}

/* metrics_text - a short plain-text body */
static metrics_result metrics_text(struct MHD_Connection *c, unsigned code,
                                   const char *text) {
  char *body = strdup(text);

  return body != NULL ? metrics_reply(c, code, body, strlen(body)) : MHD_NO;
}

/* metrics_handler - libmicrohttpd's request callback */
static metrics_result metrics_handler(void *cls, struct MHD_Connection *c,
                                      const char *url, const char *method,
                                      const char *version,
                                      const char *upload_data,
                                      size_t *upload_size, void **state) {
  struct mlfi_buf b = {NULL, 0, 0, 0};
  int head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;

  (void)cls;
  (void)version;
  (void)upload_data;
  if (*state == NULL) { /* the headers are in; wait for the whole request */
    *state = (void *)1;
    return MHD_YES;
  }
  if (*upload_size != 0) {
    *upload_size = 0; /* a body is not wanted: dropped */
    return MHD_YES;
  }
  if (!head && strcmp(method, MHD_HTTP_METHOD_GET) != 0)
    return metrics_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
                        "only GET and HEAD are served\n");
  if (strcmp(url, "/metrics") != 0)
    return metrics_text(c, MHD_HTTP_NOT_FOUND,
                        "not found: the metrics are at /metrics\n");
  mlfi_metrics_render(&b);
  if (b.failed) {
    free(b.p);
    return metrics_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
  }
  return metrics_reply(c, MHD_HTTP_OK, b.p, b.len); /* no body to HEAD */
}

/* metrics_log - libmicrohttpd's error messages to our log */
static void metrics_log(void *cls, const char *fmt, va_list ap) {
  char msg[512];
  size_t n;

  (void)cls;
  vsnprintf(msg, sizeof(msg), fmt, ap);
  n = strlen(msg);
  while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
    msg[--n] = 0;
  mlfi_log(LOG_WARNING, "metrics endpoint: %s", msg);
}

/* metrics_addr - CFG's metrics.listen as a socket address; 0 or -1 */
static int metrics_addr(const DLP_CONFIG *cfg, struct sockaddr_storage *ss,
                        int *v6) {
  struct sockaddr_in *sin = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
  const char *host = dlp_config_metrics_host(cfg);

  memset(ss, 0, sizeof(*ss));
  *v6 = 0;
  if (host == NULL)
    return -1;
  if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
    sin->sin_port = htons((in_port_t)dlp_config_metrics_port(cfg));
    return 0;
  }
  if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons((in_port_t)dlp_config_metrics_port(cfg));
    *v6 = 1;
    return 0;
  }
  return -1;
}

/* mlfi_metrics_start - serve /metrics on CFG's metrics.listen; 0 or -1 */
int mlfi_metrics_start(const DLP_CONFIG *cfg) {
  struct sockaddr_storage ss;
  sigset_t all, old;
  int v6;
  unsigned flags =
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;

  if (metrics_addr(cfg, &ss, &v6) < 0) {
    mlfi_log(LOG_ERR, "metrics.listen %s: not an address, endpoint off",
             dlp_config_metrics_listen(cfg));
    return -1;
  }
  if (v6)
    flags |= MHD_USE_IPv6;
  sigfillset(&all); /* its thread must never take our signals */
  pthread_sigmask(SIG_BLOCK, &all, &old);
  metrics_daemon = MHD_start_daemon(
      flags, dlp_config_metrics_port(cfg), NULL, NULL, metrics_handler, NULL,
      MHD_OPTION_EXTERNAL_LOGGER, metrics_log, NULL, MHD_OPTION_SOCK_ADDR,
      (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
      (unsigned)METRICS_CONNS, MHD_OPTION_CONNECTION_TIMEOUT,
      (unsigned)METRICS_TIMEOUT, MHD_OPTION_END);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (metrics_daemon == NULL) {
    mlfi_log(LOG_ERR,
             "metrics.listen %s: cannot listen there (in use?), the "
             "metrics endpoint is off",
             dlp_config_metrics_listen(cfg));
    return -1;
  }
  mlfi_log(LOG_INFO, "metrics at http://%s/metrics",
           dlp_config_metrics_listen(cfg));
  return 0;
}

/* mlfi_metrics_stop - stop serving */
void mlfi_metrics_stop(void) {
  if (metrics_daemon != NULL)
    MHD_stop_daemon(metrics_daemon);
  metrics_daemon = NULL;
}
