/*
 * dlp_balance.h - the load-balancing policy (dlp_balance.c, issue 15):
 * the order in which one message tries the configured DLP hosts.  Used
 * by dlp_pool.c (which keeps the per-host counters under its lock) and
 * dlp_conn.c (which asks for the order once per message).
 *
 * Ownership: struct dlp_balance_state lives in the pool's entry of each
 * host and is only read or written under the pool's lock; the array of
 * struct dlp_balance_host handed to dlp_balance_order() belongs to the
 * caller, its servers to the configuration.
 */
#ifndef DLP_BALANCE_H
#define DLP_BALANCE_H

#include "dlp_private.h"

#include <stddef.h>
#include <stdint.h>

/* dlp.balance */
typedef enum {
  DLP_BALANCE_ORDERED = 0, /* configured order (the default) */
  DLP_BALANCE_ROUND_ROBIN, /* smooth weighted round-robin */
  DLP_BALANCE_LEAST_LOADED /* fewest sessions in use per weight */
} dlp_balance_policy;

/* What the health state says of a host, for ordering only. */
typedef enum {
  DLP_BALANCE_UP = 0, /* no failure known */
  DLP_BALANCE_DUE,    /* down, its retry time has come: trial or probe */
  DLP_BALANCE_DOWN    /* down until its retry time: will be skipped */
} dlp_balance_health;

/* The counters the pool keeps per host (under the pool's lock). */
struct dlp_balance_state {
  unsigned inflight; /* sessions in use by messages now */
  int64_t up_since;  /* ms it came back up (slow start), 0: never down */
  int64_t current;   /* smooth weighted round-robin credit */
};

/*
 * One configured host, as dlp_balance_order() sees it.  SLOW (perf,
 * issue 14, set by the pool): an earlier dial of it has gone unanswered
 * for dlp.connect_stagger_ms; it goes after the other hosts of its group
 * under every policy.
 */
struct dlp_balance_host {
  const struct dlp_server *server; /* weight, priority */
  int health;                      /* dlp_balance_health */
  struct dlp_balance_state *st;    /* NULL: no counters (no memory) */
  int slow;                        /* perf (issue 14): see below */
  int64_t eff; /* set by dlp_balance_order: the effective weight */
  int first;   /* set by dlp_balance_order: round-robin's pick */
};

/*
 * dlp_balance_order - ORDER[0..N) gets the indexes of H[] in the order a
 * message tries them: by priority (lowest number first), and inside one
 * priority group in configured order ("ordered") or by POLICY; under a
 * policy, hosts due for a trial come first in their group and hosts the
 * health state will skip come last.  Under every policy (also
 * "ordered") the hosts marked slow then go after the others of their
 * group, in the same relative order.  Round-robin updates the credits of
 * H[].st.  NOW and SLOW_START_MS (0: off) give the effective weights.
 */
void dlp_balance_order(int policy, int64_t slow_start_ms, int64_t now,
                       struct dlp_balance_host *h, size_t n, size_t *order);

/*
 * dlp_balance_weight - the effective weight of H at NOW in thousandths:
 * its weight x 1000, ramped from a tenth up to all of it during
 * SLOW_START_MS after it came back up
 */
int64_t dlp_balance_weight(const struct dlp_balance_host *h,
                           int64_t slow_start_ms, int64_t now);

/* dlp_balance_busy - DELTA (+1/-1) sessions of ST's host in use */
void dlp_balance_busy(struct dlp_balance_state *st, int delta);

/* dlp_balance_up - ST's host came back up at NOW: its slow start begins */
void dlp_balance_up(struct dlp_balance_state *st, int64_t now);

/*
 * dlp_balance_plan - ORDER[0..nservers) for one message of CFG, and
 * SLOW[i] (for cfg->servers[i]) the slow hint it was ordered by: from
 * the pool's state in one locked pass (dlp_pool_balance) under a policy
 * or when the stagger is on with more than one server, else by priority
 * alone without the lock; configured order, nothing slow, when memory is
 * short
 */
struct dlp_pool;
void dlp_balance_plan(struct dlp_pool *pool, const DLP_CONFIG *cfg,
                      size_t *order, int *slow);

/* dlp_balance_policy_of - the dlp_balance_policy named NAME, or -1 */
int dlp_balance_policy_of(const char *name);

/* dlp_balance_group_of - the priority group of SERVER (for the stagger) */
int dlp_balance_group_of(const struct dlp_server *server);

#endif /* DLP_BALANCE_H */
