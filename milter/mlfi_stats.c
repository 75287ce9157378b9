/*
 * mlfi_stats.c - counters since start (mlfi_stats.h).
 *
 * Contract: see mlfi_stats.h.  Everything lives in one struct
 * mlfi_stats_snap under stats_lock; a snapshot is a copy of it.  Tables
 * are fixed: a verdict/reason pair or a host beyond their room is
 * counted under reason "other" / host "other", never dropped.
 */
#include "config.h"

#include "mlfi_stats.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

const double mlfi_stats_bounds[MLFI_STATS_BUCKETS] = {
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1,     2.5,   5,    10,    30,   60,  120};

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mlfi_stats_snap stats; /* under stats_lock */

/* mlfi_stats_start - note the start time */
void mlfi_stats_start(void) {
  pthread_mutex_lock(&stats_lock);
  stats.start = time(NULL);
  pthread_mutex_unlock(&stats_lock);
}

/* mlfi_stats_config_loaded - one more configuration made current */
void mlfi_stats_config_loaded(void) {
  pthread_mutex_lock(&stats_lock);
  stats.generation++;
  pthread_mutex_unlock(&stats_lock);
}

/* stats_decision - the counter of VERDICT/REASON (under the lock) */
static unsigned long long *stats_decision(const char *verdict,
                                          const char *reason) {
  struct mlfi_stats_decision *e;
  size_t i;

  for (i = 0; i < stats.ndecisions; i++) {
    e = &stats.decisions[i];
    if (strcmp(e->verdict, verdict) == 0 && strcmp(e->reason, reason) == 0)
      return &e->n;
  }
  if (stats.ndecisions == MLFI_STATS_DECISIONS - 1 &&
      strcmp(reason, "other") != 0)
    return stats_decision(verdict, "other"); /* the last slot */
  e = &stats.decisions[stats.ndecisions++];
  snprintf(e->verdict, sizeof(e->verdict), "%s", verdict);
  snprintf(e->reason, sizeof(e->reason), "%s", reason);
  return &e->n;
}

/* stats_host - the entry of HOST (under the lock) */
static struct mlfi_stats_host *stats_host(const char *host) {
  struct mlfi_stats_host *h;
  size_t i;

  for (i = 0; i < stats.nhosts; i++)
    if (strcmp(stats.hosts[i].host, host) == 0)
      return &stats.hosts[i];
  if (stats.nhosts == MLFI_STATS_HOSTS - 1 && strcmp(host, "other") != 0)
    return stats_host("other");
  h = &stats.hosts[stats.nhosts++];
  snprintf(h->host, sizeof(h->host), "%s", host);
  return h;
}

/*
 * mlfi_stats_host_of - "host:port" (as dlp.servers labels it) of the
 * LEN bytes "host[addr]:port" at LABEL
 */
void mlfi_stats_host_of(const char *label, size_t len, char *out,
                        size_t outlen) {
  const char *br = memchr(label, '[', len), *end = label + len, *port;

  if (br == NULL || (port = memchr(br, ']', (size_t)(end - br))) == NULL ||
      port + 1 >= end || port[1] != ':') {
    snprintf(out, outlen, "%.*s", (int)len, label); /* not ours: as is */
    return;
  }
  port += 2;
  snprintf(out, outlen,
           memchr(label, ':', (size_t)(br - label)) != NULL ? "[%.*s]:%.*s"
                                                            : "%.*s:%.*s",
           (int)(br - label), label, (int)(end - port), port);
}

/* stats_outcome - the dlp_outcome named by the LEN bytes at WORD, or -1 */
static int stats_outcome(const char *word, size_t len) {
  const char *name;
  int i;

  for (i = 0; i < MLFI_STATS_OUTCOMES; i++) {
    name = dlp_outcome_name((dlp_outcome)i);
    if (strlen(name) == len && memcmp(name, word, len) == 0)
      return i;
  }
  return -1;
}

/* stats_attempts - count each "label/outcome" of DLP (under the lock) */
static void stats_attempts(const char *dlp, time_t now) {
  const char *p = dlp, *comma, *slash;
  struct mlfi_stats_host *h;
  char host[300];
  int outcome;

  while (*p) {
    if ((comma = strchr(p, ',')) == NULL)
      comma = p + strlen(p);
    for (slash = comma; slash > p && slash[-1] != '/'; slash--)
      ;
    if (slash > p) {
      mlfi_stats_host_of(p, (size_t)(slash - 1 - p), host, sizeof(host));
      outcome = stats_outcome(slash, (size_t)(comma - slash));
      if (outcome >= 0) {
        h = stats_host(host);
        h->n[outcome]++;
        h->last = outcome;
        h->last_when = now;
      }
    }
    p = *comma ? comma + 1 : comma;
  }
}

/* mlfi_stats_decided - count decision D */
void mlfi_stats_decided(const struct mlfi_decision *d) {
  time_t now = d->when.tv_sec;
  size_t i;

  pthread_mutex_lock(&stats_lock);
  stats.messages++;
  (*stats_decision(dlp_verdict_name(d->verdict),
                   d->reason != NULL ? d->reason : "none"))++;
  if (d->res != NULL)
    stats_attempts(d->res->dlp, now);
  for (i = 0; i < MLFI_STATS_BUCKETS; i++)
    if (d->dlp_time <= mlfi_stats_bounds[i])
      stats.buckets[i]++;
  stats.latency_sum += d->dlp_time;
  if (d->verdict == DLP_VERDICT_BYPASS) {
    stats.bypassed++;
    if (d->size > 0)
      stats.bypassed_bytes += (unsigned long long)d->size;
  }
  if (d->rescan)
    stats.rescan_queued++;
  pthread_mutex_unlock(&stats_lock);
}

/* mlfi_stats_snapshot - everything counted so far */
void mlfi_stats_snapshot(struct mlfi_stats_snap *out) {
  pthread_mutex_lock(&stats_lock);
  *out = stats;
  pthread_mutex_unlock(&stats_lock);
}
