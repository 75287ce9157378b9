/*
 * dlp_pool.c - the DLP host pool shared by all transactions: health state
 * per DLP host and cached idle sessions, everything under pool->lock.
 *
 * Contract: dlp_pool_create() returns an empty, thread-safe pool;
 * dlp_pool_free() releases it (no transaction may still use it).  The
 * internal interface (dlp_pool.h) gives dlp_txn.c the plan for a host
 * (dial / half-open trial / skip), takes the result of each dial, and
 * caches sessions between messages.  The servers' addresses, the status
 * views and the balance order live in dlp_pool_view.c (dlp_pool_int.h
 * holds the state both share).
 *
 * Health state and probe policy (dlp.health.retry_min, retry_max):
 *   - Health is kept per host by its configured "host:port" (not per
 *     configuration: it survives a reload).  Only the TCP level counts:
 *     a connect that fails (refused, timed out, no route, name does not
 *     resolve) marks the host DOWN; any connect that succeeds marks it UP,
 *     whatever happens later in the session (a host that answers slowly
 *     or says 4xx is reachable and never skipped).
 *   - DOWN has a retry time: the failure time plus a backoff of
 *     retry_min * 2^(n-1) seconds after n consecutive failed dials,
 *     capped at retry_max.  Failures of messages that dialled in parallel
 *     with the one that first saw the host fail do not grow the backoff.
 *   - Before its retry time a DOWN host is skipped: the attempt counts as
 *     UNREACHABLE without a dial, so under a full outage the bypass
 *     decision for later messages is immediate.
 *   - Once the retry time has passed the host gets a half-open trial.
 *     While the state is fresh (the last failed dial ended at most
 *     retry_max + connect_timeout ago) and dlp.health.probe is on, the
 *     pool makes it itself (pool_probe: a connect handed to the sweeper,
 *     closed at once) and the message that noticed skips the host;
 *     otherwise (stale state after a quiet spell, or probe off) the
 *     next message dials the host itself (it waits for the connect as
 *     usual, so it is never bypassed on old knowledge).  While that trial is in
 * flight (at most connect_timeout + 1 s) other messages keep skipping the host:
 * the trial is a fresh observation in progress, and making them all wait a
 * connect timeout is exactly what the state is for. The trial's result marks
 * the host UP or DOWN with a longer backoff.
 *   - A message that comes after a quiet spell finds the retry time long
 *     past and becomes the trial itself: stale state never bypasses it.
 *   - A message that dialled a host and went on with another (the
 *     staggered connect of dlp_txn.c) hands the unfinished connect over
 *     with dlp_pool_adopt(); the sweeper thread finishes it and reports
 *     it like any dial, so abandoned connects and half-open trials teach
 *     the pool without holding a message up.  They are never an outcome.
 *   Bound: once a DLP host is back, messages are bypassed on cached state
 *   for at most retry_max + connect_timeout seconds (the backoff, then
 *   one trial); in practice retry_max + about 1 s, since a dropped SYN is
 *   retransmitted after 1 s and then gets through.  The defaults (1 s,
 *   5 s) make that a few seconds.
 *
 * Connection reuse (dlp.reuse.max_age, idle_timeout):
 *   - A session that ended READY is cached, keyed by the configuration
 *     object (the pool holds a reference on it, so no session is ever
 *     reused across TLS or other settings after a reload) and the server.
 *   - A session is reused only younger than max_age (age, not message
 *     count, limits it) and closed after idle_timeout seconds unused, by
 *     a sweeper thread started with the first cached session.
 *   - dlp_txn.c checks a cached session with dlp_smtp_reuse() (closed by
 *     the peer? then RSET); if that fails it is dropped and the message
 *     goes on with another cached or a fresh session: a dead cached
 *     connection is never an outcome of the verdict table.
 *
 * Events (dlp_pool_set_event_fn, issue 11): the transitions of the health
 * state are reported to the milter's callback: HOST_DOWN when a host with
 * no failure (up, or not seen yet) fails a dial at the network (a trial
 * that fails again is no new event), HOST_UP when a host with failures
 * connects; and dlp_pool_tls_failed() reports a certificate that failed
 * verification.  The transition is decided under the lock and takes a
 * ticket there; the callback runs after the lock is released, under
 * ev_lock, in ticket order, so the events come out one at a time in the
 * order the state changed.  Health semantics are not changed by events.
 */
#include "config.h"

#include "dlp_pool_int.h"
#include "dlp_dial.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* dlp_pool_create - empty pool */
DLP_POOL *dlp_pool_create(void) {
  DLP_POOL *pool = calloc(1, sizeof(*pool));
  pthread_condattr_t ca;

  if (pool == NULL)
    return NULL;
  if (pthread_mutex_init(&pool->lock, NULL) != 0) {
    free(pool);
    return NULL;
  }
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  if (pthread_cond_init(&pool->wake, &ca) != 0) {
    pthread_condattr_destroy(&ca);
    pthread_mutex_destroy(&pool->lock);
    free(pool);
    return NULL;
  }
  pthread_condattr_destroy(&ca);
  pthread_mutex_init(&pool->ev_lock, NULL);
  pthread_cond_init(&pool->ev_turn, NULL);
  if ((pool->resolver = dlp_resolver_create(POOL_DNS_TIMEOUT_MS)) == NULL) {
    pthread_cond_destroy(&pool->ev_turn);
    pthread_mutex_destroy(&pool->ev_lock);
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->lock);
    free(pool);
    return NULL;
  }
  return pool;
}

/* pool_close - close cached session E (outside the lock) */
static void pool_close(struct pool_idle *e) {
  dlp_smtp_free(e->smtp);
  dlp_config_unref(e->cfg);
}

/* dlp_pool_free - stop the sweeper, close cached sessions, release */
void dlp_pool_free(DLP_POOL *pool) {
  size_t i;

  if (pool == NULL)
    return;
  pthread_mutex_lock(&pool->lock);
  pool->stop = 1;
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->lock);
  if (pool->sweeping)
    pthread_join(pool->sweeper, NULL);
  if (pool->dns_running)
    pthread_join(pool->dns, NULL);
  dlp_resolver_free(pool->resolver);
  for (i = 0; i < pool->nidle; i++)
    pool_close(&pool->idle[i]);
  for (i = 0; i < pool->ndials; i++) {
    dlp_smtp_free(pool->dials[i].smtp);
    dlp_config_unref(pool->dials[i].cfg);
  }
  free(pool->dials);
  for (i = 0; i < pool->nhosts; i++)
    free(pool->hosts[i].key);
  free(pool->hosts);
  pthread_cond_destroy(&pool->ev_turn);
  pthread_mutex_destroy(&pool->ev_lock);
  pthread_cond_destroy(&pool->wake);
  pthread_mutex_destroy(&pool->lock);
  free(pool);
}

/* pool_host - the health entry of SERVER (added when new), or NULL */
struct pool_host *pool_host(DLP_POOL *pool, const struct dlp_server *server) {
  struct pool_host *h;
  size_t i;

  for (i = 0; i < pool->nhosts; i++)
    if (strcmp(pool->hosts[i].key, server->label) == 0)
      return &pool->hosts[i];
  h = realloc(pool->hosts, (pool->nhosts + 1) * sizeof(*h));
  if (h == NULL)
    return NULL;
  pool->hosts = h;
  h += pool->nhosts;
  memset(h, 0, sizeof(*h));
  if ((h->key = strdup(server->label)) == NULL)
    return NULL;
  pool->nhosts++;
  return h;
}

/* pool_backoff_ms - the wait after FAILURES consecutive failed dials */
static int64_t pool_backoff_ms(const DLP_CONFIG *cfg, unsigned failures) {
  unsigned shift = failures > 0 ? failures - 1 : 0;
  int64_t ms = (int64_t)cfg->health_retry_min * 1000;

  if (shift > POOL_MAX_SHIFT)
    shift = POOL_MAX_SHIFT;
  ms <<= shift;
  if (ms > (int64_t)cfg->health_retry_max * 1000)
    ms = (int64_t)cfg->health_retry_max * 1000;
  return ms;
}

/*
 * pool_probe - the pool's own half-open trial of SERVER: a connect handed
 * to the sweeper, which records the result (the trial hold set by the
 * caller runs out by itself if it cannot start)
 */
static void pool_probe(DLP_POOL *pool, const DLP_CONFIG *cfg,
                       const struct dlp_server *server) {
  DLP_ADDRS *addrs = dlp_pool_addrs(pool, server->host, NULL, 0);
  DLP_SMTP *s;

  if (addrs == NULL) /* no address: no trial (its hold runs out) */
    return;
  if ((s = dlp_smtp_create(cfg, server)) != NULL) {
    (void)dlp_smtp_dial(s, addrs, 0); /* the sweeper reports it */
    dlp_pool_adopt(pool, (DLP_CONFIG *)cfg, server, DLP_POOL_TRIAL, s);
  }
  dlp_addrs_free(addrs);
}

/* pool_slow_max - how long an unreported dial counts for the slow hint */
static int64_t pool_slow_max(const DLP_CONFIG *cfg) {
  return (int64_t)cfg->connect_timeout * 1000 + 1000;
}

/*
 * pool_host_slow - under the lock: an earlier dial of H has gone
 * unanswered for at least connect_stagger_ms (and not longer than a
 * connect can last) at NOW; 0 when the stagger is off
 */
int pool_host_slow(const struct pool_host *h, const DLP_CONFIG *cfg,
                   int64_t now) {
  int64_t age = now - h->dial_since;

  return cfg->connect_stagger_ms > 0 && h->dial_since != 0 &&
         age >= cfg->connect_stagger_ms && age <= pool_slow_max(cfg);
}

/* dlp_pool_plan_host - dial, trial or skip SERVER now */
dlp_pool_plan dlp_pool_plan_host(DLP_POOL *pool, const DLP_CONFIG *cfg,
                                 const struct dlp_server *server, char *label,
                                 size_t labellen, char *why, size_t whylen) {
  dlp_pool_plan plan = DLP_POOL_SKIP;
  int64_t now = dlp_now_ms(), fresh;
  struct pool_host *h;
  int probe = 0;

  fresh = ((int64_t)cfg->health_retry_max + cfg->connect_timeout) * 1000;
  pthread_mutex_lock(&pool->lock);
  h = pool_host(pool, server);
  if (h == NULL || h->failures == 0) {
    plan = DLP_POOL_DIAL;
  } else if (now >= h->retry_at && now >= h->trial_until) {
    h->trial_until = now + (int64_t)cfg->connect_timeout * 1000 + 1000;
    if (cfg->health_probe && now - h->last_fail <= fresh)
      probe = 1; /* fresh state: the pool tries, this message skips */
    else
      plan = DLP_POOL_TRIAL; /* stale state: this message tries */
  }
  if (plan != DLP_POOL_SKIP && h != NULL &&
      (h->dial_since == 0 || now - h->dial_since > pool_slow_max(cfg)))
    h->dial_since = now; /* perf (issue 14): pool_host_slow */
  if (plan == DLP_POOL_SKIP) {
    snprintf(label, labellen, "%s", h->label);
    snprintf(
        why, whylen, "%s (not dialled: unreachable for %lld ms, %s %lld ms)",
        h->text, (long long)(now - h->down_since),
        now < h->retry_at ? "next try in" : "a trial is under way, for",
        (long long)((now < h->retry_at ? h->retry_at : h->trial_until) - now));
  }
  pthread_mutex_unlock(&pool->lock);
  if (probe)
    pool_probe(pool, cfg, server); /* name lookup: not under the lock */
  return plan;
}

/* dlp_pool_set_event_fn - the callback of health and TLS events */
void dlp_pool_set_event_fn(DLP_POOL *pool,
                           void (*fn)(const DLP_EVENT *ev, void *ctx),
                           void *ctx) {
  pthread_mutex_lock(&pool->lock);
  pool->event_fn = fn;
  pool->event_ctx = ctx;
  pthread_mutex_unlock(&pool->lock);
}

/*
 * pool_event_note - under the lock: event KIND of SERVER into E, with
 * its ticket (nothing when no callback is set)
 */
static void pool_event_note(DLP_POOL *pool, struct pool_event *e,
                            dlp_event_kind kind,
                            const struct dlp_server *server, const char *addr,
                            dlp_outcome outcome, const char *detail) {
  if (pool->event_fn == NULL)
    return;
  e->kind = kind;
  e->ticket = pool->ev_next++;
  e->outcome = outcome;
  snprintf(e->host, sizeof(e->host), "%s", server->label);
  snprintf(e->addr, sizeof(e->addr), "%s", addr ? addr : server->label);
  snprintf(e->detail, sizeof(e->detail), "%s", detail ? detail : "");
}

/* pool_event_emit - outside the lock: report E in ticket order */
static void pool_event_emit(DLP_POOL *pool, const struct pool_event *e) {
  DLP_EVENT ev;
  void (*fn)(const DLP_EVENT *, void *);
  void *ctx;

  if (e->kind == 0)
    return;
  ev.kind = e->kind;
  ev.host = e->host;
  ev.addr = e->addr;
  ev.outcome = e->outcome;
  ev.detail = e->detail;
  ev.down_ms = e->down_ms;
  pthread_mutex_lock(&pool->lock);
  fn = pool->event_fn;
  ctx = pool->event_ctx;
  pthread_mutex_unlock(&pool->lock);
  pthread_mutex_lock(&pool->ev_lock);
  while (pool->ev_done != e->ticket)
    pthread_cond_wait(&pool->ev_turn, &pool->ev_lock);
  if (fn != NULL)
    fn(&ev, ctx);
  pool->ev_done++;
  pthread_cond_broadcast(&pool->ev_turn);
  pthread_mutex_unlock(&pool->ev_lock);
}

/* dlp_pool_tls_failed - SERVER's certificate failed verification */
void dlp_pool_tls_failed(DLP_POOL *pool, const struct dlp_server *server,
                         const char *label, const char *text) {
  struct pool_event e;

  e.kind = 0;
  e.down_ms = 0;
  pthread_mutex_lock(&pool->lock);
  pool_event_note(pool, &e, DLP_EVENT_TLS_VERIFY_FAILED, server, label,
                  DLP_OUTCOME_TLS_FAILED, text);
  pthread_mutex_unlock(&pool->lock);
  pool_event_emit(pool, &e);
}

/* dlp_pool_report - record the result of a dial */
void dlp_pool_report(DLP_POOL *pool, const DLP_CONFIG *cfg,
                     const struct dlp_server *server, dlp_pool_plan plan,
                     int reached, const char *label, const char *text) {
  int64_t now = dlp_now_ms();
  struct pool_host *h;
  struct pool_event e;

  e.kind = 0;
  e.down_ms = 0;
  pthread_mutex_lock(&pool->lock);
  if ((h = pool_host(pool, server)) != NULL) {
    h->dial_since = 0; /* a dial was answered: no longer slow */
    if (reached) {
      if (h->failures > 0) {
        e.down_ms = now - h->down_since;
        pool_event_note(pool, &e, DLP_EVENT_HOST_UP, server, label,
                        DLP_OUTCOME_NONE, "");
        dlp_balance_up(&h->bal, now); /* balance (issue 15): slow start */
      }
      h->failures = 0;
      h->retry_at = h->trial_until = 0;
    } else {
      /* parallel dials that failed with the first do not grow backoff */
      if (plan == DLP_POOL_TRIAL || h->failures == 0 || now >= h->retry_at) {
        if (h->failures == 0) {
          h->down_since = now;
          pool_event_note(pool, &e, DLP_EVENT_HOST_DOWN, server, label,
                          DLP_OUTCOME_UNREACHABLE, text);
        }
        if (h->failures < 1000)
          h->failures++;
        h->retry_at = now + pool_backoff_ms(cfg, h->failures);
      }
      if (plan == DLP_POOL_TRIAL)
        h->trial_until = 0;
      h->last_fail = now;
      snprintf(h->label, sizeof(h->label), "%s", label);
      snprintf(h->text, sizeof(h->text), "%s", text);
    }
  }
  pthread_mutex_unlock(&pool->lock);
  pool_event_emit(pool, &e);
}

/* pool_expired - cached session E may no longer be used at NOW */
static int pool_expired(const struct pool_idle *e, int64_t now) {
  return now - e->idle_since >= (int64_t)e->cfg->reuse_idle_timeout * 1000 ||
         now - dlp_smtp_created_ms(e->smtp) >=
             (int64_t)e->cfg->reuse_max_age * 1000;
}

/*
 * pool_finish_dials - wait up to MS for the handed-over connects D[0..N)
 * (PFD has room for N * DLP_DIAL_MAXFDS), record the health of each that
 * ended and close it; the rest are moved to the front.  Returns how many
 * remain.  Called without the lock.
 */
static size_t pool_finish_dials(DLP_POOL *pool, struct pool_dial *d, size_t n,
                                struct pollfd *pfd, int ms) {
  int64_t now = dlp_now_ms(), wake;
  size_t i, k, np = 0;
  int r;

  for (i = 0; i < n; i++) {
    k = dlp_smtp_dial_pollfds(d[i].smtp, pfd + np, DLP_DIAL_MAXFDS);
    if (k == 0)
      ms = 0; /* connected or failed already */
    np += k;
    wake = dlp_smtp_dial_wake(d[i].smtp);
    if (wake != 0 && wake - now < ms)
      ms = wake > now ? (int)(wake - now) : 0;
  }
  (void)dlp_io_wait_many(pfd, np, now + ms);
  for (i = k = 0; i < n; i++) {
    r = dlp_smtp_dial_wait(d[i].smtp, 0);
    if (r == 0) {
      d[k++] = d[i];
      continue;
    }
    /* only the network's word counts: not our own or a deadline's */
    if (r > 0 || dlp_smtp_dial_errkind(d[i].smtp) == DLP_DIAL_ERR_NET)
      dlp_pool_report(pool, d[i].cfg, d[i].server, d[i].plan, r > 0,
                      dlp_smtp_label(d[i].smtp),
                      dlp_smtp_failure(d[i].smtp)->text);
    dlp_smtp_free(d[i].smtp); /* connected: closed before the greeting */
    dlp_config_unref(d[i].cfg);
  }
  return k;
}

/*
 * pool_take_dials - under the lock: move the handed-over connects to the
 * sweeper's own array *WORK (*N used, *CAP allocated, *PFD as big),
 * growing both; pool->dialing counts what the sweeper then holds, so
 * that dlp_pool_adopt() never accepts more than POOL_DIAL_MAX in all
 */
static void pool_take_dials(DLP_POOL *pool, struct pool_dial **work, size_t *n,
                            size_t *cap, struct pollfd **pfd) {
  size_t want = *n + pool->ndials, i;
  struct pool_dial *w;
  struct pollfd *p;

  if (want > *cap) {
    w = realloc(*work, want * sizeof(*w));
    if (w != NULL)
      *work = w;
    p = realloc(*pfd, want * DLP_DIAL_MAXFDS * sizeof(*p));
    if (p != NULL)
      *pfd = p;
    if (w != NULL && p != NULL)
      *cap = want;
  }
  for (i = 0; i < pool->ndials; i++) {
    if (*n < *cap) {
      (*work)[(*n)++] = pool->dials[i];
    } else { /* out of memory: closed unrecorded */
      dlp_smtp_free(pool->dials[i].smtp);
      dlp_config_unref(pool->dials[i].cfg);
    }
  }
  pool->ndials = 0;
  pool->dialing = *n;
}

/*
 * pool_sweeper - thread: close expired cached sessions, finish the
 * connects messages handed over
 */
static void *pool_sweeper(void *arg) {
  DLP_POOL *pool = arg;
  struct pool_idle dead[POOL_IDLE_MAX];
  struct pool_dial *dials = NULL;
  struct pollfd *pfd = NULL;
  struct timespec ts;
  size_t i, ndead, ndials = 0, cap = 0;
  int64_t now, wake;

  pthread_mutex_lock(&pool->lock);
  while (!pool->stop) {
    now = dlp_now_ms();
    for (i = ndead = 0; i < pool->nidle;) {
      if (pool_expired(&pool->idle[i], now)) {
        dead[ndead++] = pool->idle[i];
        pool->idle[i] = pool->idle[--pool->nidle];
      } else {
        i++;
      }
    }
    pool_take_dials(pool, &dials, &ndials, &cap, &pfd);
    pthread_mutex_unlock(&pool->lock);
    for (i = 0; i < ndead; i++)
      pool_close(&dead[i]); /* QUIT may take a moment: not under the lock */
    if (ndials > 0)
      ndials = pool_finish_dials(pool, dials, ndials, pfd, POOL_DIAL_POLL_MS);
    pthread_mutex_lock(&pool->lock);
    pool->dialing = ndials;
    if (ndials > 0)
      continue;
    wake = dlp_now_ms() + POOL_SWEEP_MS;
    ts.tv_sec = (time_t)(wake / 1000);
    ts.tv_nsec = (long)(wake % 1000) * 1000000;
    while (!pool->stop && pool->ndials == 0 && dlp_now_ms() < wake)
      (void)pthread_cond_timedwait(&pool->wake, &pool->lock, &ts);
  }
  pthread_mutex_unlock(&pool->lock);
  for (i = 0; i < ndials; i++) {
    dlp_smtp_free(dials[i].smtp);
    dlp_config_unref(dials[i].cfg);
  }
  free(dials);
  free(pfd);
  return NULL;
}

/* pool_start_sweeper - start the sweeper thread once (under the lock) */
static int pool_start_sweeper(DLP_POOL *pool) {
  if (!pool->sweeping &&
      pthread_create(&pool->sweeper, NULL, pool_sweeper, pool) == 0)
    pool->sweeping = 1;
  return pool->sweeping;
}

/* pool_grow_dials - room for one more hand-over (under the lock); 0/-1 */
static int pool_grow_dials(DLP_POOL *pool) {
  size_t cap = pool->dials_cap ? 2 * pool->dials_cap : 16;
  struct pool_dial *d;

  if (pool->ndials < pool->dials_cap)
    return 0;
  if ((d = realloc(pool->dials, cap * sizeof(*d))) == NULL)
    return -1;
  pool->dials = d;
  pool->dials_cap = cap;
  return 0;
}

/* dlp_pool_adopt - finish a connect for the health state, then close it */
void dlp_pool_adopt(DLP_POOL *pool, DLP_CONFIG *cfg,
                    const struct dlp_server *server, dlp_pool_plan plan,
                    DLP_SMTP *s) {
  int taken = 0;

  dlp_smtp_set_progress(s, NULL, NULL); /* the caller's context ends */
  pthread_mutex_lock(&pool->lock);
  if (!pool->stop && pool->ndials + pool->dialing < POOL_DIAL_MAX &&
      pool_grow_dials(pool) == 0 && pool_start_sweeper(pool)) {
    pool->dials[pool->ndials].cfg = dlp_config_ref(cfg);
    pool->dials[pool->ndials].server = server;
    pool->dials[pool->ndials].plan = plan;
    pool->dials[pool->ndials].smtp = s;
    pool->ndials++;
    taken = 1;
    pthread_cond_broadcast(&pool->wake);
  }
  pthread_mutex_unlock(&pool->lock);
  if (!taken)
    dlp_smtp_free(s); /* unrecorded: a trial's hold runs out by itself */
}

/* dlp_pool_take - a cached session of SERVER under CFG, newest first */
DLP_SMTP *dlp_pool_take(DLP_POOL *pool, const DLP_CONFIG *cfg,
                        const struct dlp_server *server) {
  struct pool_idle got;
  int64_t now = dlp_now_ms();
  size_t i;

  memset(&got, 0, sizeof(got));
  pthread_mutex_lock(&pool->lock);
  for (i = pool->nidle; i-- > 0;) {
    struct pool_idle *e = &pool->idle[i];

    if (e->cfg == cfg && e->server == server && !pool_expired(e, now)) {
      got = *e;
      memmove(e, e + 1, (pool->nidle - i - 1) * sizeof(*e));
      pool->nidle--;
      break;
    }
  }
  pthread_mutex_unlock(&pool->lock);
  if (got.smtp == NULL)
    return NULL;
  dlp_config_unref(got.cfg); /* the transaction holds its own reference */
  return got.smtp;
}

/* dlp_pool_put - cache S for the next message, or close it */
void dlp_pool_put(DLP_POOL *pool, DLP_CONFIG *cfg,
                  const struct dlp_server *server, DLP_SMTP *s) {
  int64_t now = dlp_now_ms();
  int cached = 0;

  dlp_smtp_set_progress(s, NULL, NULL); /* the caller's context ends */
  if (cfg->reuse_max_age <= 0 || !dlp_smtp_is_ready(s) ||
      now - dlp_smtp_created_ms(s) >= (int64_t)cfg->reuse_max_age * 1000) {
    dlp_smtp_free(s);
    return;
  }
  pthread_mutex_lock(&pool->lock);
  if (!pool->stop && pool->nidle < POOL_IDLE_MAX) {
    if (pool_start_sweeper(pool)) {
      pool->idle[pool->nidle].cfg = dlp_config_ref(cfg);
      pool->idle[pool->nidle].server = server;
      pool->idle[pool->nidle].smtp = s;
      pool->idle[pool->nidle].idle_since = now;
      pool->nidle++;
      cached = 1;
    }
  }
  pthread_mutex_unlock(&pool->lock);
  if (!cached)
    dlp_smtp_free(s);
}
