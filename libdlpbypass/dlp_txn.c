/*
 * dlp_txn.c - one message handed to the DLP pool (the dlp_txn_* API).
 *
 * Contract (see dlpbypass.h):
 *   dlp_txn_mail()  tries the configured servers in order: open a session
 *                   (connect, greeting, EHLO, STARTTLS) and send MAIL, all
 *                   within dlp.session_deadline.  After every failed
 *                   attempt dlp_verdict_decide() over the outcomes so far
 *                   says "try the next host" or gives the final verdict.
 *   dlp_txn_rcpt()  RCPT on the open session.  A 4xx/5xx for this
 *                   recipient is returned for it alone; a session failure
 *                   fails over like dlp_txn_mail() and replays MAIL and
 *                   the earlier RCPTs on the next host.
 *   dlp_txn_eom()   DATA, content, final dot (the caller has called
 *                   dlp_body_finish(); a missing last CRLF is added on
 *                   the wire all the same) (no overall deadline: the
 *                   progress callback runs every <= 5 s instead).  A
 *                   failure the verdict table allows to fail over (a
 *                   session timeout, a busy host) reconnects to the next
 *                   host and replays MAIL and every RCPT; a recipient
 *                   whose result differs on replay makes it TEMPFAIL.
 *   dlp_txn_result() the decision: verdict, reason word, the hosts tried
 *                   ("h[a]:p/outcome,..."), the reply for the client and
 *                   the DLP's queue id.
 * Once a final verdict is known no further DLP talk happens: a BYPASS
 * decided at MAIL gives ACCEPTED recipients and BYPASS at end of message.
 * Bypass only ever comes from the verdict engine over connection
 * outcomes, never from anything in the message.
 */
#include "dlp_pool.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TXN_RSET_MS 2000 /* a cached session must answer RSET this fast */

/* A connect in progress (the staggered connect races several). */
struct txn_dial {
  DLP_SMTP *smtp;
  const struct dlp_server *server;
  dlp_pool_plan plan;
};

/* One recipient and what the DLP said to it. */
struct txn_rcpt {
  char *addr;
  char **args;            /* NULL-ended copy, may be NULL */
  dlp_rcpt_status status; /* at the DLP */
  DLP_REPLY reply;        /* the DLP's refusal */
};

struct dlp_txn {
  DLP_CONFIG *cfg; /* our reference */
  DLP_POOL *pool;  /* borrowed */
  void (*progress)(void *);
  void *progress_ctx;
  DLP_BODY *body;
  DLP_SMTP *smtp;        /* the open session, or NULL */
  const struct dlp_server *server; /* the server of smtp */
  size_t next_host;      /* index of the next server to try */
  struct txn_dial *dials; /* connects in progress, oldest first */
  size_t ndials;
  int64_t stagger_at;    /* dial the next host then if none has connected */
  dlp_outcome *outcomes; /* one per attempt */
  size_t ntried;
  char *sender;
  char **sender_args;
  struct txn_rcpt *rcpts;
  size_t nrcpts;
  int final;                                 /* result.verdict is final */
  char timeout_text[DLP_REPLY_TEXT_MAX + 1]; /* why a host timed out */
  DLP_SMTP_FAILURE last_fail;                /* the latest failed attempt */
  DLP_RESULT result;
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
  txn->outcomes = calloc(cfg->nservers + 1, sizeof(*txn->outcomes));
  txn->dials = calloc(cfg->nservers + 1, sizeof(*txn->dials));
  txn->body = dlp_body_create(cfg->spill_size, cfg->tmpdir);
  if (txn->outcomes == NULL || txn->dials == NULL || txn->body == NULL) {
    free(txn->outcomes);
    free(txn->dials);
    dlp_body_free(txn->body);
    free(txn);
    return NULL;
  }
  txn->cfg = dlp_config_ref(cfg);
  txn->pool = pool;
  txn->result.verdict = DLP_VERDICT_PENDING;
  return txn;
}

/* dlp_txn_set_progress - callback while eom waits on the DLP */
void dlp_txn_set_progress(DLP_TXN *txn, void (*fn)(void *), void *ctx) {
  txn->progress = fn;
  txn->progress_ctx = ctx;
  if (txn->smtp != NULL)
    dlp_smtp_set_progress(txn->smtp, fn, ctx);
}

/* txn_note_host - append "label/outcome" to result.dlp */
static void txn_note_host(DLP_TXN *txn, const char *label,
                          dlp_outcome outcome) {
  char *d = txn->result.dlp;
  size_t used = strlen(d);

  snprintf(d + used, sizeof(txn->result.dlp) - used, "%s%s/%s", used ? "," : "",
           label, dlp_outcome_name(outcome));
}

/* txn_reply - fill the client reply */
static void txn_reply(DLP_TXN *txn, int code, const char *dsn,
                      const char *text) {
  DLP_REPLY *r = &txn->result.reply;

  r->code = code;
  snprintf(r->dsn, sizeof(r->dsn), "%s", dsn);
  snprintf(r->text, sizeof(r->text), "%s", text);
}

/* txn_reason - the reason word for verdict V after failure F */
static const char *txn_reason(const DLP_TXN *txn, dlp_verdict v,
                              dlp_outcome last) {
  size_t i;

  switch (v) {
  case DLP_VERDICT_DELIVERED:
    return "accepted";
  case DLP_VERDICT_REJECT:
    return "rejected";
  case DLP_VERDICT_BYPASS:
    for (i = 0; i < txn->ntried; i++)
      if (txn->outcomes[i] == DLP_OUTCOME_SESSION_TIMEOUT)
        return "session_timeout";
    return "unreachable";
  default:
    if (txn->ntried > 0 &&
        dlp_verdict_decide(txn->outcomes, txn->ntried, txn->cfg->nservers, 1) ==
            DLP_VERDICT_BYPASS)
      return "disabled"; /* would have been a bypass */
    return last == DLP_OUTCOME_NONE ? "internal" : dlp_outcome_name(last);
  }
}

/*
 * txn_release_dials - the message needs no more hosts: hand the connects
 * still in progress to the pool, which finishes them for the health state
 */
static void txn_release_dials(DLP_TXN *txn) {
  size_t i;

  for (i = 0; i < txn->ndials; i++)
    dlp_pool_adopt(txn->pool, txn->cfg, txn->dials[i].server,
                   txn->dials[i].plan, txn->dials[i].smtp);
  txn->ndials = 0;
}

/*
 * txn_final - record final verdict V; F is the failure that led to it
 * (NULL for DELIVERED or an internal error with TEXT).
 */
static dlp_verdict txn_final(DLP_TXN *txn, dlp_verdict v,
                             const DLP_SMTP_FAILURE *f, const char *text) {
  dlp_outcome last = f != NULL ? f->outcome : DLP_OUTCOME_NONE;
  char dsn[16];

  if (v == DLP_VERDICT_PENDING)
    v = DLP_VERDICT_TEMPFAIL; /* no host left to try: fail closed */
  txn->final = 1;
  txn_release_dials(txn);
  txn->result.verdict = v;
  snprintf(txn->result.reason, sizeof(txn->result.reason), "%s",
           txn_reason(txn, v, last));
  if (text == NULL)
    text = f != NULL ? f->text : "";
  if (v == DLP_VERDICT_REJECT && f != NULL && f->replied) {
    txn->result.reply = f->reply; /* the DLP's own words */
  } else if (v == DLP_VERDICT_TEMPFAIL) {
    snprintf(dsn, sizeof(dsn), "%s",
             f != NULL && f->dsn[0] == '4' ? f->dsn : "4.3.0");
    if (f != NULL && f->outcome == DLP_OUTCOME_REJECTED)
      snprintf(dsn, sizeof(dsn), "4.4.1");
    txn_reply(txn, 451, dsn, text);
  } else if (v == DLP_VERDICT_REJECT) {
    txn_reply(txn, 550, f != NULL && f->dsn[0] == '5' ? f->dsn : "5.7.1", text);
  } else {
    if (v == DLP_VERDICT_BYPASS && txn->timeout_text[0])
      text = txn->timeout_text; /* row 2: the timeout is the story */
    txn_reply(txn, 250, "2.0.0", text);
  }
  return v;
}

/* txn_internal - final TEMPFAIL for our own failure */
static dlp_verdict txn_internal(DLP_TXN *txn, const char *text) {
  DLP_SMTP_FAILURE f;

  memset(&f, 0, sizeof(f));
  f.outcome = DLP_OUTCOME_INTERNAL;
  snprintf(f.dsn, sizeof(f.dsn), "4.3.0");
  snprintf(f.text, sizeof(f.text), "DLP: %s", text);
  return txn_final(txn, DLP_VERDICT_TEMPFAIL, &f, NULL);
}

/*
 * txn_replay - send the first NREPLAY recorded recipients on S; 0 when
 * each gets the result it got before, 1 when one differs, -1 when the
 * session failed.
 */
static int txn_replay(DLP_TXN *txn, DLP_SMTP *s, size_t nreplay,
                      int64_t deadline) {
  dlp_smtp_rcpt_status st;
  dlp_rcpt_status now;
  DLP_REPLY reply;
  size_t i;

  for (i = 0; i < nreplay; i++) {
    struct txn_rcpt *r = &txn->rcpts[i];

    st = dlp_smtp_rcpt(s, r->addr, (const char *const *)r->args, deadline,
                       &reply);
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

/* txn_failed - note a failed attempt at LABEL (F); the verdict so far */
static dlp_verdict txn_failed(DLP_TXN *txn, const char *label,
                              const DLP_SMTP_FAILURE *f) {
  dlp_verdict v;

  txn->outcomes[txn->ntried++] = f->outcome;
  txn_note_host(txn, label, f->outcome);
  txn->last_fail = *f;
  if (f->outcome == DLP_OUTCOME_SESSION_TIMEOUT)
    snprintf(txn->timeout_text, sizeof(txn->timeout_text), "%s", f->text);
  v = dlp_verdict_decide(txn->outcomes, txn->ntried, txn->cfg->nservers,
                         txn->cfg->bypass_enabled);
  if (v != DLP_VERDICT_PENDING ||
      (txn->next_host >= txn->cfg->nservers && txn->ndials == 0))
    return txn_final(txn, v, f, NULL);
  return DLP_VERDICT_PENDING;
}

/* txn_attempt_failed - note a failed attempt on S; the verdict so far */
static dlp_verdict txn_attempt_failed(DLP_TXN *txn, DLP_SMTP *s) {
  return txn_failed(txn, dlp_smtp_label(s), dlp_smtp_failure(s));
}

/*
 * txn_skip - a host the pool knows to be down: an UNREACHABLE attempt
 * without a dial (LABEL and WHY from its last failure)
 */
static dlp_verdict txn_skip(DLP_TXN *txn, const char *label, const char *why) {
  DLP_SMTP_FAILURE f;

  memset(&f, 0, sizeof(f));
  f.outcome = DLP_OUTCOME_UNREACHABLE;
  snprintf(f.dsn, sizeof(f.dsn), "4.4.1");
  snprintf(f.text, sizeof(f.text), "%s", why);
  return txn_failed(txn, label, &f);
}

/*
 * txn_cached - a cached session to SERVER that passes dlp_smtp_reuse()
 * (RSET), or NULL.  Dead ones are dropped: they are no attempt.
 */
static DLP_SMTP *txn_cached(DLP_TXN *txn, const struct dlp_server *server,
                            int64_t deadline) {
  int64_t until;
  DLP_SMTP *s;

  while ((s = dlp_pool_take(txn->pool, txn->cfg, server)) != NULL) {
    dlp_smtp_set_progress(s, txn->progress, txn->progress_ctx);
    until = dlp_now_ms() + TXN_RSET_MS;
    if (deadline != 0 && deadline < until)
      until = deadline;
    if (dlp_smtp_reuse(s, until) == 0)
      return s;
    dlp_smtp_free(s);
  }
  return NULL;
}

/*
 * txn_dial_next - the next host: a cached session (returned), a skip (the
 * attempt is noted, *V the verdict so far), or a connect started and
 * added to txn->dials (NULL, *V PENDING).
 */
static DLP_SMTP *txn_dial_next(DLP_TXN *txn, int64_t deadline,
                               const struct dlp_server **server,
                               dlp_verdict *v) {
  char label[300], why[DLP_REPLY_TEXT_MAX + 1];
  struct txn_dial *d;
  dlp_pool_plan plan;
  DLP_SMTP *s;

  if (txn->progress != NULL)
    txn->progress(txn->progress_ctx);
  *server = &txn->cfg->servers[txn->next_host++];
  if ((s = txn_cached(txn, *server, deadline)) != NULL)
    return s;
  plan = dlp_pool_plan_host(txn->pool, txn->cfg, *server, label, sizeof(label),
                            why, sizeof(why));
  if (plan == DLP_POOL_SKIP) {
    *v = txn_skip(txn, label, why);
    return NULL;
  }
  if ((s = dlp_smtp_create(txn->cfg, *server)) == NULL) {
    *v = txn_internal(txn, "out of memory");
    return NULL;
  }
  dlp_smtp_set_progress(s, txn->progress, txn->progress_ctx);
  if (dlp_smtp_dial(s, deadline) < 0) {
    dlp_pool_report(txn->pool, txn->cfg, *server, plan, 0, dlp_smtp_label(s),
                    dlp_smtp_failure(s)->text);
    *v = txn_attempt_failed(txn, s);
    dlp_smtp_free(s);
    return NULL;
  }
  d = &txn->dials[txn->ndials++];
  d->smtp = s;
  d->server = *server;
  d->plan = plan;
  txn->stagger_at = dlp_now_ms() + txn->cfg->connect_stagger_ms;
  return NULL;
}

/*
 * txn_dial_wait - wait until UNTIL for the connects in progress.  The
 * first to connect is taken out and returned; each that fails is noted
 * as an attempt (UNREACHABLE), *V the verdict so far.  NULL when none
 * connected before UNTIL, or *V is final.
 */
static DLP_SMTP *txn_dial_wait(DLP_TXN *txn, int64_t until,
                               const struct dlp_server **server,
                               dlp_verdict *v) {
  struct pollfd pfd[64];
  struct txn_dial d;
  int64_t now = dlp_now_ms(), wake;
  size_t i, n = txn->ndials < 64 ? txn->ndials : 64;
  int r;

  for (i = 0; i < n; i++) {
    pfd[i].fd = dlp_smtp_dial_fd(txn->dials[i].smtp);
    pfd[i].events = POLLOUT;
    pfd[i].revents = 0;
    wake = dlp_smtp_dial_wake(txn->dials[i].smtp);
    if (wake < until)
      until = wake;
  }
  (void)poll(pfd, n, until > now ? (int)(until - now < 60000 ? until - now
                                                              : 60000)
                                 : 0);
  for (i = 0; i < txn->ndials;) {
    d = txn->dials[i];
    if ((r = dlp_smtp_dial_wait(d.smtp, 0)) == 0) {
      i++;
      continue;
    }
    memmove(&txn->dials[i], &txn->dials[i + 1],
            (--txn->ndials - i) * sizeof(*txn->dials));
    dlp_pool_report(txn->pool, txn->cfg, d.server, d.plan, r > 0,
                    dlp_smtp_label(d.smtp), dlp_smtp_failure(d.smtp)->text);
    if (r > 0) {
      *server = d.server;
      return d.smtp;
    }
    *v = txn_attempt_failed(txn, d.smtp);
    dlp_smtp_free(d.smtp);
    if (*v != DLP_VERDICT_PENDING)
      return NULL;
  }
  return NULL;
}

/*
 * txn_open - a connected session (or a cached one) on the next usable
 * host, or NULL with the final verdict in *V.  The staggered connect
 * (RFC 8305 for hosts): a host whose connect has not finished after
 * dlp.connect_stagger_ms does not hold the message up; the next host is
 * dialled too, and the first to connect is used.  The others stay with
 * the message (if it needs another host later it waits for the rest of
 * that same connect, so a host is UNREACHABLE only when its own connect
 * failed) until its verdict is final; then the pool finishes them and
 * records only the hosts' health, never an outcome of this message.
 */
static DLP_SMTP *txn_open(DLP_TXN *txn, int64_t deadline,
                          const struct dlp_server **server, dlp_verdict *v) {
  const DLP_CONFIG *cfg = txn->cfg;
  int64_t until;
  DLP_SMTP *s;

  *v = DLP_VERDICT_PENDING;
  for (;;) {
    if (txn->next_host < cfg->nservers &&
        (txn->ndials == 0 ||
         (cfg->connect_stagger_ms > 0 && dlp_now_ms() >= txn->stagger_at))) {
      if (txn->ndials == 0 && deadline != 0 && dlp_now_ms() >= deadline &&
          txn->ntried > 0) {
        *v = txn_final(txn, DLP_VERDICT_TEMPFAIL, &txn->last_fail,
                       "DLP: session deadline reached before the next "
                       "DLP host could be tried");
        return NULL;
      }
      s = txn_dial_next(txn, deadline, server, v);
    } else if (txn->ndials > 0) {
      until = txn->next_host < cfg->nservers && cfg->connect_stagger_ms > 0
                  ? txn->stagger_at
                  : INT64_MAX / 2;
      s = txn_dial_wait(txn, until, server, v);
    } else {
      *v = txn_internal(txn, "no DLP servers configured");
      return NULL;
    }
    if (s != NULL || *v != DLP_VERDICT_PENDING)
      return s;
  }
}

/*
 * txn_use - go on with S to SERVER: finish opening it (reported to the
 * pool when this is its connect), MAIL, replay the first NREPLAY
 * recipients.  A reused session that turns out to have died while cached
 * (dlp_smtp_stale) is no outcome: a new session to the same server takes
 * its place.  Sets *OK and txn->smtp on success; otherwise the attempt is
 * noted, S is freed, and the verdict so far is returned.
 */
static dlp_verdict txn_use(DLP_TXN *txn, DLP_SMTP *s,
                           const struct dlp_server *server, size_t nreplay,
                           int64_t deadline, int *ok) {
  const DLP_SMTP_FAILURE *f;
  dlp_verdict v;
  int rc, dialled, opened;

  *ok = 0;
  for (;;) {
    if (!dlp_smtp_is_ready(s)) {
      dialled = dlp_smtp_created_ms(s) != 0; /* the race reported it */
      opened = dlp_smtp_open(s, deadline) == 0;
      f = dlp_smtp_failure(s);
      if (!dialled)
        dlp_pool_report(txn->pool, txn->cfg, server, DLP_POOL_DIAL,
                        opened || f->outcome != DLP_OUTCOME_UNREACHABLE,
                        dlp_smtp_label(s), f->text);
    }
    rc = -1;
    if (dlp_smtp_is_ready(s) &&
        dlp_smtp_mail(s, txn->sender, (const char *const *)txn->sender_args,
                      deadline) == 0)
      rc = txn_replay(txn, s, nreplay, deadline);
    if (rc == 0) {
      txn->smtp = s;
      txn->server = server;
      *ok = 1;
      return DLP_VERDICT_PENDING;
    }
    if (rc == 1) {
      txn_note_host(txn, dlp_smtp_label(s), DLP_OUTCOME_DEFERRED);
      dlp_smtp_free(s);
      return txn_internal(txn, "recipient results differ between DLP "
                               "hosts after failover");
    }
    if (!dlp_smtp_stale(s))
      break;
    dlp_smtp_free(s); /* died while cached: open another, no outcome */
    if ((s = dlp_smtp_create(txn->cfg, server)) == NULL)
      return txn_internal(txn, "out of memory");
    dlp_smtp_set_progress(s, txn->progress, txn->progress_ctx);
  }
  v = txn_attempt_failed(txn, s);
  dlp_smtp_free(s);
  return v;
}

/*
 * txn_connect - open a session on the next usable host, send MAIL and
 * replay the first NREPLAY recipients, before DEADLINE (0: none).
 * Returns PENDING with txn->smtp open, or the final verdict.
 */
static dlp_verdict txn_connect(DLP_TXN *txn, size_t nreplay, int64_t deadline) {
  const struct dlp_server *server;
  dlp_verdict v = DLP_VERDICT_PENDING;
  DLP_SMTP *s;
  int ok;

  while (txn->next_host < txn->cfg->nservers || txn->ndials > 0) {
    if ((s = txn_open(txn, deadline, &server, &v)) == NULL)
      return v;
    v = txn_use(txn, s, server, nreplay, deadline, &ok);
    if (ok || v != DLP_VERDICT_PENDING)
      return v;
  }
  return txn_internal(txn, "no DLP servers configured");
}

/*
 * txn_lost - the open session failed; a reused one that died while
 * cached (no outcome) is replaced by a new session to the same server,
 * else the attempt is noted and the next host is tried.  NREPLAY
 * recipients are replayed.  PENDING with txn->smtp open, or the verdict.
 */
static dlp_verdict txn_lost(DLP_TXN *txn, size_t nreplay, int64_t deadline) {
  const struct dlp_server *server = txn->server;
  dlp_verdict v;
  DLP_SMTP *s;
  int ok;

  if (dlp_smtp_stale(txn->smtp)) {
    dlp_smtp_free(txn->smtp);
    txn->smtp = NULL;
    if ((s = dlp_smtp_create(txn->cfg, server)) == NULL)
      return txn_internal(txn, "out of memory");
    dlp_smtp_set_progress(s, txn->progress, txn->progress_ctx);
    v = txn_use(txn, s, server, nreplay, deadline, &ok);
  } else {
    v = txn_attempt_failed(txn, txn->smtp);
    dlp_smtp_free(txn->smtp);
    txn->smtp = NULL;
    ok = 0;
  }
  if (!ok && v == DLP_VERDICT_PENDING)
    v = txn_connect(txn, nreplay, deadline);
  return v;
}

/* txn_deadline - the session deadline for one callback from now */
static int64_t txn_deadline(const DLP_TXN *txn) {
  return dlp_now_ms() + (int64_t)txn->cfg->session_deadline * 1000;
}

/* dlp_txn_mail - envelope sender: open a session and send MAIL */
dlp_verdict dlp_txn_mail(DLP_TXN *txn, const char *sender,
                         const char *const *args) {
  if (txn->final)
    return txn->result.verdict;
  if (txn->sender != NULL)
    return txn_internal(txn, "MAIL given twice");
  txn->sender = strdup(sender != NULL ? sender : "");
  txn->sender_args = txn_strv_dup(args);
  if (txn->sender == NULL || (args != NULL && txn->sender_args == NULL))
    return txn_internal(txn, "out of memory");
  return txn_connect(txn, 0, txn_deadline(txn));
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

  *status = DLP_RCPT_ACCEPTED;
  if (txn->final)
    return txn->result.verdict;
  if (txn->smtp == NULL)
    return txn_internal(txn, "RCPT before MAIL");
  if ((r = txn_add_rcpt(txn, rcpt, args)) == NULL)
    return txn_internal(txn, "out of memory");
  for (;;) {
    st = dlp_smtp_rcpt(txn->smtp, r->addr, (const char *const *)r->args,
                       deadline, &r->reply);
    if (st != DLP_SMTP_RCPT_FAILED)
      break;
    if ((v = txn_lost(txn, txn->nrcpts - 1, deadline)) != DLP_VERDICT_PENDING)
      return v;
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
  DLP_SMTP_FAILURE f;
  size_t i, pick = 0;

  if (txn->nrcpts == 0)
    return txn_internal(txn, "no recipients");
  /* a 4xx for any recipient makes the message worth retrying */
  for (i = 0; i < txn->nrcpts; i++)
    if (txn->rcpts[i].status == DLP_RCPT_TEMPFAIL)
      pick = i;
  memset(&f, 0, sizeof(f));
  f.replied = 1;
  f.reply = txn->rcpts[pick].reply;
  f.outcome = f.reply.code >= 500 ? DLP_OUTCOME_REJECTED : DLP_OUTCOME_DEFERRED;
  snprintf(f.dsn, sizeof(f.dsn), "%s",
           f.outcome == DLP_OUTCOME_REJECTED ? f.reply.dsn : "4.4.1");
  if (snprintf(f.text, sizeof(f.text),
               "DLP %s said: %d %s %s (in reply to RCPT TO command)",
               dlp_smtp_label(txn->smtp), f.reply.code, f.reply.dsn,
               f.reply.text) < 0)
    f.text[0] = 0;
  txn->outcomes[txn->ntried++] = f.outcome;
  txn_note_host(txn, dlp_smtp_label(txn->smtp), f.outcome);
  return txn_final(txn,
                   f.outcome == DLP_OUTCOME_REJECTED ? DLP_VERDICT_REJECT
                                                     : DLP_VERDICT_TEMPFAIL,
                   &f, NULL);
}

/* dlp_txn_eom - DATA, content, final dot, with failover */
dlp_verdict dlp_txn_eom(DLP_TXN *txn) {
  size_t i, accepted = 0;
  dlp_verdict v;

  if (txn->final)
    return txn->result.verdict;
  if (txn->smtp == NULL)
    return txn_internal(txn, "end of message before MAIL");
  for (i = 0; i < txn->nrcpts; i++)
    accepted += txn->rcpts[i].status == DLP_RCPT_ACCEPTED;
  if (accepted == 0)
    return txn_all_refused(txn);
  while (dlp_smtp_data(txn->smtp, txn->body) < 0)
    if ((v = txn_lost(txn, txn->nrcpts, 0)) != DLP_VERDICT_PENDING)
      return v;
  txn->outcomes[txn->ntried++] = DLP_OUTCOME_ACCEPTED;
  txn_note_host(txn, dlp_smtp_label(txn->smtp), DLP_OUTCOME_ACCEPTED);
  snprintf(txn->result.dlp_queue_id, sizeof(txn->result.dlp_queue_id), "%s",
           dlp_smtp_queue_id(txn->smtp));
  snprintf(txn->result.tls, sizeof(txn->result.tls), "%s",
           dlp_smtp_tls_info(txn->smtp));
  return txn_final(txn, DLP_VERDICT_DELIVERED, NULL, "");
}

/* dlp_txn_result - the decision so far */
const DLP_RESULT *dlp_txn_result(const DLP_TXN *txn) {
  return &txn->result;
}

/* dlp_txn_host - the label of the open session, or "" */
const char *dlp_txn_host(const DLP_TXN *txn) {
  return txn->smtp != NULL ? dlp_smtp_label(txn->smtp) : "";
}

/* dlp_txn_free - cache the session (or QUIT), release everything */
void dlp_txn_free(DLP_TXN *txn) {
  size_t i;

  if (txn == NULL)
    return;
  if (txn->smtp != NULL && dlp_smtp_is_ready(txn->smtp))
    dlp_pool_put(txn->pool, txn->cfg, txn->server, txn->smtp); /* or QUIT */
  else
    dlp_smtp_free(txn->smtp);
  for (i = 0; i < txn->nrcpts; i++) {
    free(txn->rcpts[i].addr);
    txn_strv_free(txn->rcpts[i].args);
  }
  free(txn->rcpts);
  free(txn->sender);
  txn_strv_free(txn->sender_args);
  txn_release_dials(txn);
  free(txn->dials);
  dlp_body_free(txn->body);
  free(txn->outcomes);
  dlp_config_unref(txn->cfg);
  free(txn);
}
