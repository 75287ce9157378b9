/*
 * dlp_pool.h - the host pool's internal interface (dlp_pool.c): health
 * state per DLP host and cached idle sessions, shared by all transactions
 * of one DLP_POOL under its lock.  Used by dlp_txn.c only.
 *
 * Ownership: dlp_pool_take() hands a cached session to the caller, who
 * then owns it; dlp_pool_put() takes a session over (it is closed when it
 * cannot be cached).  The pool keeps a reference on the configuration of
 * every session it caches.
 */
#ifndef DLP_POOL_H
#define DLP_POOL_H

#include "dlp_smtp.h"

/* What to do with one DLP host for one message. */
typedef enum {
  DLP_POOL_DIAL = 0, /* healthy: dial it */
  DLP_POOL_TRIAL,    /* known down, retry time passed: this message is the
                        half-open trial; report the result */
  DLP_POOL_SKIP      /* known down until its retry time: UNREACHABLE */
} dlp_pool_plan;

/*
 * dlp_pool_plan_host - the plan for SERVER of CFG now.  For SKIP, LABEL
 * gets "host[addr]:port" of the last failure and WHY the reason text.
 */
dlp_pool_plan dlp_pool_plan_host(DLP_POOL *pool, const DLP_CONFIG *cfg,
                                 const struct dlp_server *server, char *label,
                                 size_t labellen, char *why, size_t whylen);

/*
 * dlp_pool_report - the result of dialling SERVER under PLAN: REACHED
 * non-zero when TCP connected (whatever happened after).  LABEL and TEXT
 * describe a failure (kept for the replies of skipped messages).
 */
void dlp_pool_report(DLP_POOL *pool, const DLP_CONFIG *cfg,
                     const struct dlp_server *server, dlp_pool_plan plan,
                     int reached, const char *label, const char *text);

/*
 * dlp_pool_tls_failed - the certificate of SERVER (dialled as LABEL)
 * failed the checks of its TLS level (TEXT says how): reported to the
 * event callback (issue 11); the health state is not changed
 */
void dlp_pool_tls_failed(DLP_POOL *pool, const struct dlp_server *server,
                         const char *label, const char *text);

/*
 * dlp_pool_take - a cached idle session to SERVER opened under CFG (the
 * same configuration object), or NULL.  The caller must check it with
 * dlp_smtp_reuse() before use.
 */
DLP_SMTP *dlp_pool_take(DLP_POOL *pool, const DLP_CONFIG *cfg,
                        const struct dlp_server *server);

/*
 * dlp_pool_put - cache session S (READY) of SERVER under CFG for the next
 * message, or close it (reuse off, too old, cache full).
 */
void dlp_pool_put(DLP_POOL *pool, DLP_CONFIG *cfg,
                  const struct dlp_server *server, DLP_SMTP *s);

/*
 * dlp_pool_adopt - take over S, a connect to SERVER still in progress
 * (dialled under PLAN) that its message no longer needs: the sweeper
 * thread finishes it, records the host's health with dlp_pool_report()
 * (never an outcome of any message) and closes it.
 */
void dlp_pool_adopt(DLP_POOL *pool, DLP_CONFIG *cfg,
                    const struct dlp_server *server, dlp_pool_plan plan,
                    DLP_SMTP *s);

/*
 * dlp_pool_addrs - the last good addresses of HOST (a reference the
 * caller frees with dlp_addrs_free), at once, never a name lookup: the
 * pool's resolver thread looks names up (an unknown one within about a
 * second).  NULL with ERR (may be NULL) when none is known.
 */
DLP_ADDRS *dlp_pool_addrs(DLP_POOL *pool, const char *host, char *err,
                          size_t errlen);

/* balance (issue 15: load balancing) */
struct dlp_balance_host;

/* dlp_pool_busy - DELTA (+1 opened or taken, -1 released) sessions of
 * SERVER in use by messages (least-loaded counts them) */
void dlp_pool_busy(DLP_POOL *pool, const struct dlp_server *server, int delta);

/*
 * dlp_pool_balance - ORDER[0..nservers) gets the order in which one
 * message tries CFG's servers (dlp_balance_order() under the lock, with
 * the health state and the counters); B has room for nservers entries
 * and B[i].slow tells after it whether an earlier dial of server i has
 * gone unanswered for dlp.connect_stagger_ms and at most connect_timeout
 * + 1 s (perf, issue 14: the message need not wait its own stagger for
 * that host before dialling the next one; its connect stays in the race)
 */
void dlp_pool_balance(DLP_POOL *pool, const DLP_CONFIG *cfg,
                      struct dlp_balance_host *b, size_t *order);

#endif /* DLP_POOL_H */
