/*
 * dlp_balance.c - the load-balancing policy of issue 15 (dlp_balance.h):
 * in which order one message tries the configured DLP hosts.
 *
 * Contract: dlp_balance_order() is a pure function of the configuration
 * (each server's weight and priority), the health state (up, due for a
 * trial, skipped) and the pool's counters per host (sessions in use, the
 * round-robin credit, the time the host came back up); it is called once
 * per message, under the pool's lock, by dlp_pool_balance().
 *   - Priority groups: hosts of the lowest priority number come first,
 *     then the next group.  dlp_conn.c never starts a host of a later
 *     group while a host of an earlier one is undecided, so a later group
 *     (a DR cluster) takes mail only when every host of the groups before
 *     it was down or refused the session.  The verdict table is not
 *     touched: it sees the outcomes in the order tried, and "every host
 *     UNREACHABLE" still means every host of every group.
 *   - "ordered": configured order inside a group (with every priority at
 *     its default this is the order of dlp.servers, exactly as before).
 *   - "round-robin": smooth weighted round-robin (as nginx's): each host
 *     gains its effective weight of credit, the richest goes first and
 *     pays the sum of the weights; the others follow richest first, so a
 *     failover is spread too.  Over W messages (W the sum of the
 *     weights) each host is first exactly its weight's times.
 *   - "least-loaded": fewest sessions in use per effective weight, ties
 *     in configured order; (in use + 1) / weight, so a host with twice
 *     the weight takes twice the sessions before it is behind.
 *   - Under a policy, a host due for a trial (down, retry time passed)
 *     comes first in its group, so that it is probed or tried as under
 *     "ordered"; a host the health state skips comes last (its skip is
 *     instant and must not pull the next host's share after it).
 *   - Slow start (dlp.balance_slow_start): for that many seconds after a
 *     host came back up its effective weight ramps linearly from a tenth
 *     to all of its weight, so a host back from an outage gets its share
 *     gradually, not every message and every new session at once.
 *   - perf (issue 14), under every policy: a host with an earlier dial
 *     unanswered for connect_stagger_ms (the pool marks it slow) goes
 *     after the other hosts of its group, so no further SYN goes to a
 *     silent host while another can take the message.  It stays in the
 *     plan: a message that needs it still dials it.
 * dlp_balance_busy() and dlp_balance_up() update the counters; the pool
 * calls them under its lock.  dlp_balance_plan() is what dlp_conn.c
 * calls once per message.
 */
#include "config.h"

#include "dlp_balance.h"
#include "dlp_pool.h"

#include <stdlib.h>
#include <string.h>

static const char *const balance_names[] = {"ordered", "round-robin",
                                            "least-loaded"};

/* dlp_balance_policy_of - the policy named NAME, or -1 */
int dlp_balance_policy_of(const char *name) {
  size_t i;

  for (i = 0; i < sizeof(balance_names) / sizeof(balance_names[0]); i++)
    if (strcmp(name, balance_names[i]) == 0)
      return (int)i;
  return -1;
}

/* dlp_balance_group_of - SERVER's priority group */
int dlp_balance_group_of(const struct dlp_server *server) {
  return server->priority;
}

/* balance_base - the configured weight of H (1 when unset) */
static int64_t balance_base(const struct dlp_balance_host *h) {
  return h->server->weight > 0 ? (int64_t)h->server->weight : 1;
}

/* dlp_balance_weight - H's effective weight in thousandths at NOW */
int64_t dlp_balance_weight(const struct dlp_balance_host *h,
                           int64_t slow_start_ms, int64_t now) {
  int64_t full = balance_base(h) * 1000, since;

  if (h->st == NULL || h->st->up_since == 0 || slow_start_ms <= 0)
    return full;
  since = now - h->st->up_since;
  if (since >= slow_start_ms)
    return full;
  if (since < slow_start_ms / 10)
    since = slow_start_ms / 10; /* a tenth at first, never nothing */
  return full * since / slow_start_ms > 0 ? full * since / slow_start_ms : 1;
}

/* dlp_balance_busy - DELTA sessions in use, never below zero */
void dlp_balance_busy(struct dlp_balance_state *st, int delta) {
  if (delta > 0)
    st->inflight++;
  else if (delta < 0 && st->inflight > 0)
    st->inflight--;
}

/* dlp_balance_up - the host is back at NOW: slow start, fresh credit */
void dlp_balance_up(struct dlp_balance_state *st, int64_t now) {
  st->up_since = now > 0 ? now : 1;
  st->current = 0;
}

/* balance_rank - 0: due for a trial, 1: up, 2: skipped (group order) */
static int balance_rank(const struct dlp_balance_host *h) {
  return h->health == DLP_BALANCE_DUE ? 0 : h->health == DLP_BALANCE_UP ? 1 : 2;
}

/* balance_credit - H's round-robin credit (0 without counters) */
static int64_t balance_credit(const struct dlp_balance_host *h) {
  return h->st != NULL ? h->st->current : 0;
}

/* balance_before - under POLICY, H[A] goes before H[B] (same group) */
static int balance_before(int policy, const struct dlp_balance_host *h,
                          size_t a, size_t b) {
  int ra = balance_rank(&h[a]), rb = balance_rank(&h[b]);
  int64_t la, lb;

  if (ra != rb)
    return ra < rb;
  if (ra != 1 || policy == DLP_BALANCE_ORDERED)
    return a < b;
  if (policy == DLP_BALANCE_ROUND_ROBIN) {
    if (h[a].first != h[b].first)
      return h[a].first;
    if (balance_credit(&h[a]) != balance_credit(&h[b]))
      return balance_credit(&h[a]) > balance_credit(&h[b]);
    return a < b;
  }
  la = (int64_t)((h[a].st != NULL ? h[a].st->inflight : 0) + 1) * h[b].eff;
  lb = (int64_t)((h[b].st != NULL ? h[b].st->inflight : 0) + 1) * h[a].eff;
  return la != lb ? la < lb : a < b;
}

/*
 * balance_round - one round of smooth weighted round-robin over the up
 * hosts ORDER[from..to): each gains its weight, the richest (first in
 * configured order on a tie) is marked first and pays the total
 */
static void balance_round(struct dlp_balance_host *h, const size_t *order,
                          size_t from, size_t to) {
  struct dlp_balance_host *best = NULL;
  int64_t total = 0;
  size_t i;

  for (i = from; i < to; i++) {
    struct dlp_balance_host *x = &h[order[i]];

    if (x->health != DLP_BALANCE_UP || x->st == NULL)
      continue;
    x->st->current += x->eff;
    total += x->eff;
    if (best == NULL || x->st->current > best->st->current)
      best = x;
  }
  if (best != NULL) {
    best->st->current -= total;
    best->first = 1;
  }
}

/* balance_sort - stable insertion sort of ORDER[from..to) by BEFORE */
static void balance_sort(int policy, const struct dlp_balance_host *h,
                         size_t *order, size_t from, size_t to) {
  size_t i, j, x;

  for (i = from + 1; i < to; i++) {
    x = order[i];
    for (j = i; j > from && balance_before(policy, h, x, order[j - 1]); j--)
      order[j] = order[j - 1];
    order[j] = x;
  }
}

/*
 * balance_slow_last - perf (issue 14): the hosts of ORDER[from..to)
 * marked slow go after the others, each part in its order
 */
static void balance_slow_last(const struct dlp_balance_host *h, size_t *order,
                              size_t from, size_t to) {
  size_t i, j, x;

  for (i = from + 1; i < to; i++) {
    x = order[i];
    for (j = i; j > from && !h[x].slow && h[order[j - 1]].slow; j--)
      order[j] = order[j - 1];
    order[j] = x;
  }
}

/* dlp_balance_order - the order of H[0..N) for one message */
void dlp_balance_order(int policy, int64_t slow_start_ms, int64_t now,
                       struct dlp_balance_host *h, size_t n, size_t *order) {
  size_t i, j, from;

  for (i = 0; i < n; i++) { /* by priority, stable: configured order */
    h[i].eff = dlp_balance_weight(&h[i], slow_start_ms, now);
    h[i].first = 0;
    for (j = i;
         j > 0 && h[order[j - 1]].server->priority > h[i].server->priority; j--)
      order[j] = order[j - 1];
    order[j] = i;
  }
  for (from = 0; from < n; from = i) {
    for (i = from + 1; i < n && h[order[i]].server->priority ==
                                    h[order[from]].server->priority;
         i++)
      ;
    if (policy == DLP_BALANCE_ROUND_ROBIN)
      balance_round(h, order, from, i);
    if (policy != DLP_BALANCE_ORDERED)
      balance_sort(policy, h, order, from, i);
    balance_slow_last(h, order, from, i);
  }
}

/* dlp_balance_plan - the order of CFG's servers for one message */
void dlp_balance_plan(struct dlp_pool *pool, const DLP_CONFIG *cfg,
                      size_t *order, int *slow) {
  struct dlp_balance_host *b = calloc(cfg->nservers + 1, sizeof(*b));
  size_t i;

  for (i = 0; i < cfg->nservers; i++) {
    order[i] = i;
    slow[i] = 0;
  }
  if (b == NULL)
    return; /* configured order: always a safe plan */
  if (cfg->balance == DLP_BALANCE_ORDERED &&
      (cfg->connect_stagger_ms <= 0 || cfg->nservers < 2)) {
    for (i = 0; i < cfg->nservers; i++) /* no hint to ask for: no lock */
      b[i].server = &cfg->servers[i];
    dlp_balance_order(DLP_BALANCE_ORDERED, 0, 0, b, cfg->nservers, order);
  } else {
    dlp_pool_balance(pool, cfg, b, order); /* one locked pass */
    for (i = 0; i < cfg->nservers; i++)
      slow[i] = b[i].slow;
  }
  free(b);
}
