/*
 * dlp_pool_view.c - what the host pool (dlp_pool.c) knows of its hosts,
 * apart from the health state machine: the servers' addresses (looked
 * up by a resolver thread, never in a message's path), the status of
 * each host (dlp_pool_hosts, for dlpbypass-ctl status and metrics) and
 * the balance view (sessions in use per host, the order of hosts for one
 * message, issue 15, with the slow hint of issue 14: one locked pass
 * gives the order and which hosts a message need not wait the stagger
 * for).
 *
 * Contract: see dlp_pool.h.  Every function takes pool->lock itself; the
 * resolver is thread-safe on its own.
 */
#include "config.h"

#include "dlp_pool_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* pool_dns - thread: look the servers' names up again when due */
static void *pool_dns(void *arg) {
  DLP_POOL *pool = arg;
  struct timespec ts;
  int64_t wake;

  pthread_mutex_lock(&pool->lock);
  while (!pool->stop) {
    pthread_mutex_unlock(&pool->lock);
    dlp_resolver_refresh_due(pool->resolver, POOL_DNS_REFRESH_MS);
    pthread_mutex_lock(&pool->lock);
    wake = dlp_now_ms() + POOL_DNS_WAKE_MS;
    ts.tv_sec = (time_t)(wake / 1000);
    ts.tv_nsec = (long)(wake % 1000) * 1000000;
    while (!pool->stop && dlp_now_ms() < wake)
      (void)pthread_cond_timedwait(&pool->wake, &pool->lock, &ts);
  }
  pthread_mutex_unlock(&pool->lock);
  return NULL;
}

/* pool_start_dns - start the resolver thread once */
static void pool_start_dns(DLP_POOL *pool) {
  pthread_mutex_lock(&pool->lock);
  if (!pool->dns_running && !pool->stop &&
      pthread_create(&pool->dns, NULL, pool_dns, pool) == 0)
    __atomic_store_n(&pool->dns_running, 1, __ATOMIC_RELEASE);
  pthread_mutex_unlock(&pool->lock);
}

/* dlp_pool_addrs - the last good addresses of HOST, never a lookup */
DLP_ADDRS *dlp_pool_addrs(DLP_POOL *pool, const char *host, char *err,
                          size_t errlen) {
  char buf[256];

  if (!__atomic_load_n(&pool->dns_running, __ATOMIC_ACQUIRE))
    pool_start_dns(pool); /* an unknown name is looked up there */
  return dlp_resolver_get(pool->resolver, host, err != NULL ? err : buf,
                          err != NULL ? errlen : sizeof(buf));
}

/* dlp_pool_resolve - look the servers' names up now, refresh them later */
int dlp_pool_resolve(DLP_POOL *pool, const DLP_CONFIG *cfg, char *err,
                     size_t errlen) {
  char why[256];
  size_t i;
  int rc = 0;

  if (errlen > 0)
    err[0] = 0;
  for (i = 0; i < cfg->nservers; i++) {
    if (dlp_resolver_refresh(pool->resolver, cfg->servers[i].host, why,
                             sizeof(why)) == 0 ||
        rc < 0)
      continue;
    rc = -1;
    snprintf(err, errlen, "%s: %s", cfg->servers[i].label, why);
  }
  pool_start_dns(pool);
  return rc;
}

/* pool_host_status - fill ST for SERVER from the state (under the lock) */
static void pool_host_status(DLP_POOL *pool, const struct dlp_server *server,
                             int64_t now, DLP_HOST_STATUS *st) {
  const struct pool_host *h = NULL;
  size_t i;

  memset(st, 0, sizeof(*st));
  snprintf(st->label, sizeof(st->label), "%s", server->label);
  for (i = 0; i < pool->nhosts && h == NULL; i++)
    if (strcmp(pool->hosts[i].key, server->label) == 0)
      h = &pool->hosts[i];
  for (i = 0; i < pool->nidle; i++)
    if (strcmp(pool->idle[i].server->label, server->label) == 0)
      st->idle++;
  st->up = h == NULL || h->failures == 0;
  if (h == NULL)
    return;
  st->failures = h->failures;
  if (h->failures > 0) {
    st->down_ms = now - h->down_since;
    st->retry_ms = h->retry_at > now ? h->retry_at - now : 0;
  }
  snprintf(st->last_label, sizeof(st->last_label), "%s", h->label);
  snprintf(st->last_text, sizeof(st->last_text), "%s", h->text);
}

/* dlp_pool_hosts - the health of each of CFG's servers, in order */
size_t dlp_pool_hosts(DLP_POOL *pool, const DLP_CONFIG *cfg,
                      DLP_HOST_STATUS *out, size_t n) {
  int64_t now = dlp_now_ms();
  size_t i;

  pthread_mutex_lock(&pool->lock);
  for (i = 0; i < cfg->nservers && i < n; i++)
    pool_host_status(pool, &cfg->servers[i], now, &out[i]);
  pthread_mutex_unlock(&pool->lock);
  return cfg->nservers;
}

/* balance (issue 15: load balancing) */
/* dlp_pool_busy - DELTA (+1/-1) sessions of SERVER in use by messages */
void dlp_pool_busy(DLP_POOL *pool, const struct dlp_server *server, int delta) {
  struct pool_host *h;

  pthread_mutex_lock(&pool->lock);
  if ((h = pool_host(pool, server)) != NULL)
    dlp_balance_busy(&h->bal, delta);
  pthread_mutex_unlock(&pool->lock);
}

/* dlp_pool_balance - ORDER[] of CFG's servers for one message (B: room) */
void dlp_pool_balance(DLP_POOL *pool, const DLP_CONFIG *cfg,
                      struct dlp_balance_host *b, size_t *order) {
  int64_t now = dlp_now_ms();
  struct pool_host *h;
  size_t i;
  int all = 1;

  pthread_mutex_lock(&pool->lock);
  for (i = 0; i < cfg->nservers; i++) /* add them all first: pool_host */
    all &= pool_host(pool, &cfg->servers[i]) != NULL; /* may move them */
  for (i = 0; i < cfg->nservers; i++) {
    h = all ? pool_host(pool, &cfg->servers[i]) : NULL; /* found, not added */
    b[i].server = &cfg->servers[i];
    b[i].st = h != NULL ? &h->bal : NULL;
    b[i].slow = h != NULL && pool_host_slow(h, cfg, now); /* issue 14 */
    b[i].health = h == NULL || h->failures == 0 ? DLP_BALANCE_UP
                  : now >= h->retry_at && now >= h->trial_until
                      ? DLP_BALANCE_DUE
                      : DLP_BALANCE_DOWN;
  }
  dlp_balance_order(cfg->balance, (int64_t)cfg->balance_slow_start * 1000, now,
                    b, cfg->nservers, order);
  pthread_mutex_unlock(&pool->lock);
}
