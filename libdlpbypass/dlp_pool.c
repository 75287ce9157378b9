/*
 * dlp_pool.c - the DLP host pool shared by all transactions.
 *
 * Contract: dlp_pool_create() returns an empty, thread-safe pool;
 * dlp_pool_free() releases it (no transaction may still use it).
 *
 * Today the pool only holds its lock and an empty host table.  It is laid
 * out for what comes next, all of it under pool->lock:
 *   - per-host health state, keyed by the server label "host:port" (not by
 *     configuration, so that it survives a reload): consecutive failures,
 *     the time of the last failure, and a retry time before which the host
 *     is skipped; when the retry time passes, one transaction at a time
 *     (probe_inflight) may dial it as a half-open probe;
 *   - cached idle sessions (DLP_SMTP after a successful RSET) per host,
 *     each tagged with the configuration generation and TLS level it was
 *     opened under, so that no session is reused across TLS settings.
 */
#include "dlp_private.h"

#include <stdlib.h>

/* Health and cached sessions of one DLP host (filled in later). */
struct dlp_pool_host {
  char *label;            /* "host:port" */
  unsigned failures;      /* consecutive failed attempts */
  int64_t retry_after_ms; /* dlp_now_ms() before which the host is skipped */
  int probe_inflight;     /* a half-open probe is under way */
  struct dlp_smtp **idle; /* cached sessions, ready for MAIL after RSET */
  size_t nidle;
};

struct dlp_pool {
  pthread_mutex_t lock;        /* guards everything below */
  struct dlp_pool_host *hosts; /* per-host state, by label */
  size_t nhosts;
};

/* dlp_pool_create - empty pool */
DLP_POOL *dlp_pool_create(void) {
  DLP_POOL *pool = calloc(1, sizeof(*pool));

  if (pool == NULL)
    return NULL;
  if (pthread_mutex_init(&pool->lock, NULL) != 0) {
    free(pool);
    return NULL;
  }
  return pool;
}

/* dlp_pool_free - release the pool and its host table */
void dlp_pool_free(DLP_POOL *pool) {
  size_t i;

  if (pool == NULL)
    return;
  for (i = 0; i < pool->nhosts; i++) {
    free(pool->hosts[i].label);
    free(pool->hosts[i].idle);
  }
  free(pool->hosts);
  pthread_mutex_destroy(&pool->lock);
  free(pool);
}
