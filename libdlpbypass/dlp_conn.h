/*
 * dlp_conn.h - the connection manager of one message (dlp_conn.c): which
 * DLP host the message goes to next, the time each attempt may take, the
 * staggered connect, cached sessions, the health reports, the outcomes
 * and the verdict.  Used by dlp_txn.c only, which runs the envelope and
 * the content on the sessions this hands out.
 *
 * Ownership: a DLP_CONN borrows CFG (the caller holds a reference that
 * outlives it) and POOL.  The open session (dlp_conn_session) belongs to
 * the manager; the caller only drives it.  dlp_conn_free() caches it in
 * the pool (READY) or closes it, and hands connects still in progress to
 * the pool.
 */
#ifndef DLP_CONN_H
#define DLP_CONN_H

#include "dlp_pool.h"

typedef struct dlp_conn DLP_CONN;

/* dlp_conn_create - the plan for one message: every host untried */
DLP_CONN *dlp_conn_create(DLP_CONFIG *cfg, DLP_POOL *pool);

/* dlp_conn_set_progress - FN(CTX) while waiting on a DLP host */
void dlp_conn_set_progress(DLP_CONN *c, void (*fn)(void *), void *ctx);

/*
 * dlp_conn_open - a session READY for MAIL on the next host that can
 * take the message, before DEADLINE_MS (0: only the per-step timeouts).
 * NULL once the verdict is final (dlp_conn_result()).
 */
DLP_SMTP *dlp_conn_open(DLP_CONN *c, int64_t deadline_ms);

/* dlp_conn_session - the session dlp_conn_open() handed out, or NULL */
DLP_SMTP *dlp_conn_session(const DLP_CONN *c);

/*
 * dlp_conn_share - the deadline of the open session's next steps within
 * the callback deadline DEADLINE_MS (0: none): its share of the time
 * left, (DEADLINE - now) / (1 + hosts still undecided)
 */
int64_t dlp_conn_share(const DLP_CONN *c, int64_t deadline_ms);

/*
 * dlp_conn_failed - the open session failed (dlp_smtp_failure() says
 * how).  A session from the pool that failed before the content without
 * a reply is no outcome: its host gets a fresh connection.  Otherwise
 * the outcome is recorded.  0: call dlp_conn_open() for the next
 * session; -1: the verdict is final.
 */
int dlp_conn_failed(DLP_CONN *c);

/*
 * dlp_conn_outcome - the open session ended the message with OUTCOME
 * (ACCEPTED, or REJECTED/DEFERRED when every recipient was refused; F
 * the failure that says why, NULL for ACCEPTED).  Returns the verdict.
 */
dlp_verdict dlp_conn_outcome(DLP_CONN *c, dlp_outcome outcome,
                             const DLP_SMTP_FAILURE *f);

/*
 * dlp_conn_internal - our own failure: final TEMPFAIL, reason
 * "internal:WHAT", TEXT for the client reply
 */
dlp_verdict dlp_conn_internal(DLP_CONN *c, const char *what, const char *text);

/* dlp_conn_final - the verdict is final */
int dlp_conn_final(const DLP_CONN *c);

/* dlp_conn_result - the decision so far (borrowed) */
const DLP_RESULT *dlp_conn_result(const DLP_CONN *c);

/*
 * dlp_conn_transcripts - the transcripts of this message's failed
 * attempts (and of every attempt at a dlp.debug_peers host), one line
 * each, "host[addr]:port: items"; "" when none (borrowed)
 */
const char *dlp_conn_transcripts(const DLP_CONN *c);

/* dlp_conn_free - cache or close the session, release the rest */
void dlp_conn_free(DLP_CONN *c);

#endif /* DLP_CONN_H */
