/*
 * dlp_pool_int.h - the host pool's own state, shared by dlp_pool.c
 * (health state, cached sessions, handed-over connects, events) and
 * dlp_pool_view.c (the servers' addresses, status and balance views).
 * Everything in struct dlp_pool is guarded by pool->lock unless its
 * comment says otherwise.  Not for use outside these two files.
 */
#ifndef DLP_POOL_INT_H
#define DLP_POOL_INT_H

#include "dlp_pool.h"
#include "dlp_balance.h"

#include <pthread.h>

#define POOL_IDLE_MAX 256         /* cached sessions, all hosts together */
#define POOL_SWEEP_MS 500         /* the sweeper looks this often */
#define POOL_MAX_SHIFT 16         /* backoff doubling stops growing here */
#define POOL_DIAL_MAX 4096        /* connects handed over and being finished */
#define POOL_DIAL_POLL_MS 100     /* new hand-overs wait at most this long */
#define POOL_DNS_TIMEOUT_MS 3000  /* one name lookup may take this long */
#define POOL_DNS_REFRESH_MS 60000 /* names are looked up again this often */
#define POOL_DNS_WAKE_MS 1000     /* the resolver thread looks this often */

/* Health of one DLP host. */
struct pool_host {
  char *key;           /* configured "host:port" */
  unsigned failures;   /* consecutive failed dials */
  int64_t down_since;  /* first failure of this run, ms */
  int64_t retry_at;    /* skipped before this, ms (failures > 0) */
  int64_t trial_until; /* a trial is in flight until then, ms */
  int64_t last_fail;   /* the latest failed dial ended then, ms */
  int64_t dial_since;  /* oldest dial not reported yet began, ms, or 0 */
  char label[300];     /* "host[addr]:port" of the last failure */
  char text[DLP_REPLY_TEXT_MAX + 1]; /* what the last failure said */
  struct dlp_balance_state bal; /* balance (issue 15): in use, slow start */
};

/* One cached idle session. */
struct pool_idle {
  DLP_CONFIG *cfg; /* our reference */
  const struct dlp_server *server;
  DLP_SMTP *smtp;
  int64_t idle_since;
};

/* A connect a message no longer needs: finished for the health state. */
struct pool_dial {
  DLP_CONFIG *cfg; /* our reference */
  const struct dlp_server *server;
  dlp_pool_plan plan;
  DLP_SMTP *smtp; /* still in CONNECT */
};

struct dlp_pool {
  pthread_mutex_t lock; /* guards everything below */
  pthread_cond_t wake;  /* the sweeper sleeps on it */
  pthread_t sweeper;
  int sweeping; /* the sweeper thread runs */
  int stop;     /* the sweeper must end */
  struct pool_host *hosts;
  size_t nhosts;
  struct pool_idle idle[POOL_IDLE_MAX];
  size_t nidle;
  struct pool_dial *dials; /* handed over, not yet taken by the sweeper */
  size_t ndials, dials_cap;
  size_t dialing; /* handed-over connects the sweeper is finishing */
  void (*event_fn)(const DLP_EVENT *, void *); /* issue 11: events */
  void *event_ctx;
  unsigned long ev_next; /* the ticket of the next event (under lock) */
  unsigned long ev_done; /* events reported so far (under ev_lock) */
  pthread_mutex_t ev_lock;
  pthread_cond_t ev_turn; /* the next ticket may report */
  DLP_RESOLVER *resolver; /* the servers' addresses (thread-safe itself) */
  pthread_t dns;          /* refreshes them */
  int dns_running;        /* set once under the lock, read atomically */
};

/* One event, copied under the lock and reported after it. */
struct pool_event {
  dlp_event_kind kind; /* 0: none */
  unsigned long ticket;
  dlp_outcome outcome;
  long long down_ms;
  char host[300];
  char addr[300];
  char detail[DLP_REPLY_TEXT_MAX + 1];
};

/* pool_host - under the lock: the health entry of SERVER (added when
 * new; the array may move), or NULL when out of memory */
struct pool_host *pool_host(DLP_POOL *pool, const struct dlp_server *server);

/* pool_host_slow - perf (issue 14), under the lock: H has an earlier
 * dial unanswered for connect_stagger_ms at NOW (the balance view's slow
 * hint) */
int pool_host_slow(const struct pool_host *h, const DLP_CONFIG *cfg,
                   int64_t now);

#endif /* DLP_POOL_INT_H */
