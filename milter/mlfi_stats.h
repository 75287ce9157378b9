/*
 * mlfi_stats.h - counters since start, for the metrics endpoint and the
 * status command (issue 11).
 *
 * Contract: mlfi_stats_decided() is the metrics recorder of
 * mlfi_decided(): it counts one final decision (by verdict and reason),
 * each DLP attempt in it (by host and outcome class, from the result's
 * "h[addr]:port/outcome,..."), its hand-off latency (dlp_time) in a
 * histogram, bypassed messages and bytes, and queued retro-scan copies.
 * It takes one mutex for a few table look-ups: cheap, never blocks on
 * I/O.  mlfi_stats_config_loaded() counts configurations made current
 * (the first one at start is generation 1).  mlfi_stats_snapshot()
 * copies everything out under the same mutex.  All thread-safe.
 */
#ifndef MLFI_STATS_H
#define MLFI_STATS_H

#include "mlfi_decision.h"

#include <time.h>

#define MLFI_STATS_DECISIONS 64 /* verdict/reason pairs; more: "other" */
#define MLFI_STATS_HOSTS 32     /* hosts with attempts; more: "other" */
#define MLFI_STATS_OUTCOMES (DLP_OUTCOME_INTERNAL + 1)
#define MLFI_STATS_BUCKETS 15 /* hand-off latency buckets, +Inf apart */

/* upper bounds of the latency buckets, seconds */
extern const double mlfi_stats_bounds[MLFI_STATS_BUCKETS];

struct mlfi_stats_decision {
  char verdict[16];
  char reason[48];
  unsigned long long n;
};

struct mlfi_stats_host {
  char host[300];                            /* configured "host:port" */
  unsigned long long n[MLFI_STATS_OUTCOMES]; /* attempts by dlp_outcome */
  int last;                                  /* outcome of the last one */
  time_t last_when;                          /* wall clock of it */
};

struct mlfi_stats_snap {
  time_t start;             /* wall clock of mlfi_stats_start() */
  unsigned long generation; /* configurations made current */
  unsigned long long messages;
  struct mlfi_stats_decision decisions[MLFI_STATS_DECISIONS];
  size_t ndecisions;
  struct mlfi_stats_host hosts[MLFI_STATS_HOSTS];
  size_t nhosts;
  unsigned long long buckets[MLFI_STATS_BUCKETS]; /* cumulative counts */
  double latency_sum;                             /* seconds */
  unsigned long long bypassed, bypassed_bytes, rescan_queued;
};

/* mlfi_stats_start - note the start time (before the first message) */
void mlfi_stats_start(void);

/* mlfi_stats_decided - count decision D */
void mlfi_stats_decided(const struct mlfi_decision *d);

/* mlfi_stats_config_loaded - one more configuration made current */
void mlfi_stats_config_loaded(void);

/* mlfi_stats_snapshot - everything counted so far, into OUT */
void mlfi_stats_snapshot(struct mlfi_stats_snap *out);

/* mlfi_stats_host_of - the "host:port" of a "host[addr]:port" label */
void mlfi_stats_host_of(const char *label, size_t len, char *out,
                        size_t outlen);

#endif /* MLFI_STATS_H */
