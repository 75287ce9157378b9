/*
 * dlp_txn.c - one message handed to the DLP pool (the dlp_txn_* API).
 *
 * Contract (see dlpbypass.h):
 *   dlp_txn_mail()  asks the connection manager (dlp_conn.c) for a
 *                   session on the first host that can take the message
 *                   and sends MAIL, all within dlp.session_deadline.
 *   dlp_txn_rcpt()  RCPT on the open session.  A 4xx/5xx for this
 *                   recipient is returned for it alone; a session failure
 *                   goes back to the manager (an outcome, or a fresh
 *                   session when a cached one died) and MAIL and the
 *                   earlier RCPTs are replayed on the next session.
 *   dlp_txn_eoh()   optional, at end of header: DATA goes out while
 *                   the body is still being stored; dlp_txn_eom() reads
 *                   its reply (one wait on the DLP less at end of
 *                   message).  A message that ends otherwise closes that
 *                   session without the final dot: nothing is submitted.
 *   dlp_txn_eom()   DATA, content, final dot (the caller has called
 *                   dlp_body_finish(); a missing last CRLF is added on
 *                   the wire all the same) (no overall deadline: the
 *                   progress callback runs every <= 5 s instead).  A
 *                   failure the verdict table allows to fail over (a
 *                   session timeout, a busy host) goes on with the next
 *                   session and replays MAIL and every RCPT; a recipient
 *                   whose result differs on replay makes it TEMPFAIL.
 *   dlp_txn_result() the decision: verdict, reason word, the hosts tried
 *                   ("h[a]:p/outcome,..."), the reply for the client and
 *                   the DLP's queue id.
 * Which host, how long each may take, what a failure means and the
 * verdict are the manager's; this file holds the envelope and replays it.
 * Once a final verdict is known no further DLP talk happens: a BYPASS
 * decided at MAIL gives ACCEPTED recipients and BYPASS at end of message.
 * Bypass only ever comes from the verdict engine over connection
 * outcomes, never from anything in the message.
 */
#include "config.h"

#include "dlp_class.h"
#include "dlp_conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One recipient and what the DLP said to it. */
struct txn_rcpt {
  char *addr;
  char **args;            /* NULL-ended copy, may be NULL */
  dlp_rcpt_status status; /* at the DLP */
  DLP_REPLY reply;        /* the DLP's refusal */
};

struct dlp_txn {
  DLP_CONFIG *cfg; /* our reference */
  DLP_CONN *conn;  /* hosts, sessions, outcomes, the verdict */
  DLP_BODY *body;
  char *sender;
  char **sender_args;
  struct txn_rcpt *rcpts;
  size_t nrcpts;
};

/* txn_strv_free - release a vector from txn_strv_dup */
static void txn_strv_free(char **v) {
  size_t i;

  for (i = 0; v != NULL && v[i] != NULL; i++)
    free(v[i]);
  free(v);
}

/* txn_strv_dup - copy of a NULL-ended string vector (NULL stays NULL) */
static char **txn_strv_dup(const char *const *v) {
  size_t n = 0, i;
  char **copy;

  if (v == NULL)
    return NULL;
  while (v[n] != NULL)
    n++;
  if ((copy = calloc(n + 1, sizeof(*copy))) == NULL)
    return NULL;
  for (i = 0; i < n; i++)
    if ((copy[i] = strdup(v[i])) == NULL) {
      txn_strv_free(copy);
      return NULL;
    }
  return copy;
}

/* dlp_txn_create - start a message */
DLP_TXN *dlp_txn_create(DLP_CONFIG *cfg, DLP_POOL *pool) {
  DLP_TXN *txn = calloc(1, sizeof(*txn));

  if (txn == NULL)
    return NULL;
  txn->conn = dlp_conn_create(cfg, pool);
  txn->body = dlp_body_create(cfg->spill_size, cfg->tmpdir);
  /* perf (issue 14): the digest only for the audit trail */
  if (txn->body != NULL && cfg->audit_file == NULL)
    (void)dlp_body_no_digest(txn->body);
  if (txn->conn == NULL || txn->body == NULL) {
    dlp_conn_free(txn->conn);
    dlp_body_free(txn->body);
    free(txn);
    return NULL;
  }
  txn->cfg = dlp_config_ref(cfg);
  return txn;
}

/* dlp_txn_set_progress - callback while eom waits on the DLP */
void dlp_txn_set_progress(DLP_TXN *txn, void (*fn)(void *), void *ctx) {
  dlp_conn_set_progress(txn->conn, fn, ctx);
}

/* txn_verdict - the verdict so far */
static dlp_verdict txn_verdict(const DLP_TXN *txn) {
  return dlp_conn_result(txn->conn)->verdict;
}

/* txn_internal - final TEMPFAIL for our own failure WHAT (TEXT) */
static dlp_verdict txn_internal(DLP_TXN *txn, const char *what,
                                const char *text) {
  return dlp_conn_internal(txn->conn, what, text);
}

/*
 * txn_replay - MAIL and the first NREPLAY recorded recipients on S, each
 * step within the session's share of DEADLINE; 0 when each recipient
 * gets the result it got before, 1 when one differs, -1 when the
 * session failed.
 */
static int txn_replay(DLP_TXN *txn, DLP_SMTP *s, size_t nreplay,
                      int64_t deadline) {
  int64_t share = dlp_conn_share(txn->conn, deadline);
  dlp_smtp_rcpt_status st;
  dlp_rcpt_status now;
  DLP_REPLY reply;
  size_t i;

  if (dlp_smtp_mail(s, txn->sender, (const char *const *)txn->sender_args,
                    share) < 0)
    return -1;
  for (i = 0; i < nreplay; i++) {
    struct txn_rcpt *r = &txn->rcpts[i];

    st = dlp_smtp_rcpt(s, r->addr, (const char *const *)r->args, share, &reply);
    if (st == DLP_SMTP_RCPT_FAILED)
      return -1;
    now = st == DLP_SMTP_RCPT_OK ? DLP_RCPT_ACCEPTED
          : reply.code >= 500    ? DLP_RCPT_REJECTED
                                 : DLP_RCPT_TEMPFAIL;
    if (now != r->status)
      return 1;
  }
  return 0;
}

/*
 * txn_attach - a session on which MAIL and the first NREPLAY recipients
 * went as before, within DEADLINE (0: none).  PENDING with the session
 * open, or the final verdict.
 */
static dlp_verdict txn_attach(DLP_TXN *txn, size_t nreplay, int64_t deadline) {
  DLP_SMTP *s;
  int rc;

  for (;;) {
    if ((s = dlp_conn_open(txn->conn, deadline)) == NULL)
      return txn_verdict(txn);
    if ((rc = txn_replay(txn, s, nreplay, deadline)) == 0)
      return DLP_VERDICT_PENDING;
    if (rc == 1)
      return txn_internal(txn, "failover",
                          "recipient results differ between DLP hosts after "
                          "failover");
    if (dlp_conn_failed(txn->conn) < 0)
      return txn_verdict(txn);
  }
}

/* txn_deadline - the session deadline for one callback from now */
static int64_t txn_deadline(const DLP_TXN *txn) {
  return dlp_now_ms() + (int64_t)txn->cfg->session_deadline * 1000;
}

/* dlp_txn_mail - envelope sender: open a session and send MAIL */
dlp_verdict dlp_txn_mail(DLP_TXN *txn, const char *sender,
                         const char *const *args) {
  if (dlp_conn_final(txn->conn))
    return txn_verdict(txn);
  if (txn->sender != NULL)
    return txn_internal(txn, "caller", "MAIL given twice");
  txn->sender = strdup(sender != NULL ? sender : "");
  txn->sender_args = txn_strv_dup(args);
  if (txn->sender == NULL || (args != NULL && txn->sender_args == NULL))
    return txn_internal(txn, "local", "out of memory");
  return txn_attach(txn, 0, txn_deadline(txn));
}

/* txn_add_rcpt - record a recipient; its slot, or NULL */
static struct txn_rcpt *txn_add_rcpt(DLP_TXN *txn, const char *rcpt,
                                     const char *const *args) {
  struct txn_rcpt *r;

  r = realloc(txn->rcpts, (txn->nrcpts + 1) * sizeof(*r));
  if (r == NULL)
    return NULL;
  txn->rcpts = r;
  r += txn->nrcpts;
  memset(r, 0, sizeof(*r));
  r->addr = strdup(rcpt != NULL ? rcpt : "");
  r->args = txn_strv_dup(args);
  if (r->addr == NULL || (args != NULL && r->args == NULL)) {
    free(r->addr);
    txn_strv_free(r->args);
    return NULL;
  }
  txn->nrcpts++;
  return r;
}

/* dlp_txn_rcpt - one recipient */
dlp_verdict dlp_txn_rcpt(DLP_TXN *txn, const char *rcpt,
                         const char *const *args, dlp_rcpt_status *status,
                         DLP_REPLY *reply) {
  int64_t deadline = txn_deadline(txn);
  dlp_smtp_rcpt_status st;
  struct txn_rcpt *r;
  dlp_verdict v;
  DLP_SMTP *s;

  *status = DLP_RCPT_ACCEPTED;
  if (dlp_conn_final(txn->conn))
    return txn_verdict(txn);
  if ((s = dlp_conn_session(txn->conn)) == NULL)
    return txn_internal(txn, "caller", "RCPT before MAIL");
  if ((r = txn_add_rcpt(txn, rcpt, args)) == NULL)
    return txn_internal(txn, "local", "out of memory");
  for (;;) {
    st = dlp_smtp_rcpt(s, r->addr, (const char *const *)r->args,
                       dlp_conn_share(txn->conn, deadline), &r->reply);
    if (st != DLP_SMTP_RCPT_FAILED)
      break;
    if (dlp_conn_failed(txn->conn) < 0)
      return txn_verdict(txn);
    if ((v = txn_attach(txn, txn->nrcpts - 1, deadline)) != DLP_VERDICT_PENDING)
      return v;
    s = dlp_conn_session(txn->conn);
  }
  if (st == DLP_SMTP_RCPT_REFUSED) {
    r->status = r->reply.code >= 500 ? DLP_RCPT_REJECTED : DLP_RCPT_TEMPFAIL;
    *status = r->status;
    if (reply != NULL)
      *reply = r->reply;
  }
  return DLP_VERDICT_PENDING;
}

/* dlp_txn_body - the message store */
DLP_BODY *dlp_txn_body(DLP_TXN *txn) {
  return txn->body;
}

/* txn_all_refused - every recipient refused: TEMPFAIL or REJECT */
static dlp_verdict txn_all_refused(DLP_TXN *txn) {
  DLP_SMTP *s = dlp_conn_session(txn->conn);
  const DLP_CLASS *c;
  DLP_SMTP_FAILURE f;
  size_t i, pick = 0;

  if (txn->nrcpts == 0)
    return txn_internal(txn, "caller", "no recipients");
  /* a 4xx for any recipient makes the message worth retrying */
  for (i = 0; i < txn->nrcpts; i++)
    if (txn->rcpts[i].status == DLP_RCPT_TEMPFAIL)
      pick = i;
  memset(&f, 0, sizeof(f));
  f.replied = 1;
  f.reply = txn->rcpts[pick].reply;
  c = dlp_class_of(DLP_STEP_TXN,
                   f.reply.code >= 500 ? DLP_EV_REPLY_5XX : DLP_EV_REPLY);
  f.outcome = c->outcome;
  snprintf(f.dsn, sizeof(f.dsn), "%s", c->dsn != NULL ? c->dsn : f.reply.dsn);
  snprintf(f.step, sizeof(f.step), "RCPT TO");
  if (snprintf(f.said, sizeof(f.said), "DLP %s said: %d %s %s",
               dlp_smtp_label(s), f.reply.code, f.reply.dsn, f.reply.text) < 0)
    f.said[0] = 0;
  if (snprintf(f.text, sizeof(f.text), "%s (in reply to %s command)", f.said,
               f.step) < 0)
    f.text[0] = 0;
  return dlp_conn_outcome(txn->conn, f.outcome, &f);
}

/* txn_accepted - the DLP accepted at least one recipient */
static int txn_accepted(const DLP_TXN *txn) {
  size_t i;

  for (i = 0; i < txn->nrcpts; i++)
    if (txn->rcpts[i].status == DLP_RCPT_ACCEPTED)
      return 1;
  return 0;
}

/* dlp_txn_eoh - end of header: DATA goes out now, read at end of message */
void dlp_txn_eoh(DLP_TXN *txn) {
  DLP_SMTP *s = dlp_conn_session(txn->conn);

  if (!dlp_conn_final(txn->conn) && s != NULL && txn_accepted(txn))
    (void)dlp_smtp_data_ahead(s); /* a failure is dlp_txn_eom's */
}

/* dlp_txn_eom - DATA, content, final dot, with failover */
dlp_verdict dlp_txn_eom(DLP_TXN *txn) {
  dlp_verdict v;

  if (dlp_conn_final(txn->conn))
    return txn_verdict(txn);
  if (dlp_conn_session(txn->conn) == NULL)
    return txn_internal(txn, "caller", "end of message before MAIL");
  if (!txn_accepted(txn))
    return txn_all_refused(txn);
  while (dlp_smtp_data(dlp_conn_session(txn->conn), txn->body) < 0) {
    if (dlp_conn_failed(txn->conn) < 0)
      return txn_verdict(txn);
    if ((v = txn_attach(txn, txn->nrcpts, 0)) != DLP_VERDICT_PENDING)
      return v;
  }
  return dlp_conn_outcome(txn->conn, DLP_OUTCOME_ACCEPTED, NULL);
}

/* dlp_txn_result - the decision so far */
const DLP_RESULT *dlp_txn_result(const DLP_TXN *txn) {
  return dlp_conn_result(txn->conn);
}

/* dlp_txn_host - the label of the open session, or "" */
const char *dlp_txn_host(const DLP_TXN *txn) {
  DLP_SMTP *s = dlp_conn_session(txn->conn);

  return s != NULL ? dlp_smtp_label(s) : "";
}

/* dlp_txn_transcripts - transcripts of attempts worth logging */
const char *dlp_txn_transcripts(const DLP_TXN *txn) {
  return dlp_conn_transcripts(txn->conn);
}

/* dlp_txn_free - cache the session (or QUIT), release everything */
void dlp_txn_free(DLP_TXN *txn) {
  size_t i;

  if (txn == NULL)
    return;
  dlp_conn_free(txn->conn);
  for (i = 0; i < txn->nrcpts; i++) {
    free(txn->rcpts[i].addr);
    txn_strv_free(txn->rcpts[i].args);
  }
  free(txn->rcpts);
  free(txn->sender);
  txn_strv_free(txn->sender_args);
  dlp_body_free(txn->body);
  dlp_config_unref(txn->cfg);
  free(txn);
}
