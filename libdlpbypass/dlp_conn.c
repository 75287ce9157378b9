/*
 * dlp_conn.c - the connection manager of one message (dlp_conn.h), apart
 * from the SMTP protocol (dlp_smtp.c), as Postfix's smtp_connect.c is
 * apart from smtp_proto.c.
 *
 * Contract: a DLP_CONN owns, for one message,
 *   - the plan: the configured hosts in order, each UNTRIED, DIALING (a
 *     connect of the staggered race), FRESH (its cached session died: it
 *     gets one fresh connection, before any other host), OPEN (the
 *     session handed out) or DONE (it has its outcome);
 *   - the race (RFC 8305 for hosts): a host whose connect has not
 *     finished after dlp.connect_stagger_ms does not hold the message
 *     up; the next host is dialled too and the first to connect is used.
 *     When an earlier dial of that host (another message's) had already
 *     gone unanswered that long when the message was planned (the slow
 *     hint of the balance view: dlp_balance_plan, one locked pass for
 *     the order and the hint), the host goes after the other hosts of
 *     its priority group for this message: one more SYN to a host that
 *     is not answering is not sent while another host can take the
 *     message; a message that needs it still dials it itself (never
 *     skipped on that hint), and then races the next host at once.
 *     A connect stays with the message until its verdict is final (when
 *     the message needs that host later it waits for the rest of the
 *     same connect), so a host is UNREACHABLE only when its own connect
 *     failed; then the pool finishes the connects left (dlp_pool_adopt)
 *     for the health state only;
 *   - the time: within one callback's deadline D, a connect is bounded
 *     by connect_timeout and by D; every later step of an attempt by its
 *     share of what is left, (D - now) / (1 + hosts still undecided)
 *     (dlp_conn_share), so a host that accepts TCP and then hangs leaves
 *     time for every other host (row 3).  No connect is started once D
 *     has passed; one that D cut short is INTERNAL (internal:deadline),
 *     never UNREACHABLE;
 *   - cached sessions: a session from the pool whose owed RSET fails, or
 *     that fails without a reply before the content, is no outcome (a DLP
 *     behind an L4 balancer whose node died: old connections hang, new
 *     ones work): the host gets one fresh connection and only that counts;
 *   - the health state: this is the only place a message's connects are
 *     reported to the pool (conn_report): TCP connected -> up; failed at
 *     the network -> down; local, DNS and deadline failures -> nothing
 *     (INTERNAL never changes a host's health);
 *   - the outcomes: one per host, each decided by dlp_verdict_decide();
 *     the final verdict fills the DLP_RESULT (reason word, hosts tried
 *     "h[a]:p/outcome,...", the reply for the client).
 * Internal failures give reason "internal:WHAT": deadline (no time left
 * for a host), local (descriptors, ports, memory), dns (the name does not
 * resolve), and what the caller names.
 */
#include "config.h"

#include "dlp_class.h"
#include "dlp_conn.h"
#include "dlp_balance.h"
#include "dlp_dial.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONN_RSET_MS 2000     /* a cached session must answer RSET this fast */
#define CONN_TRACES_MAX 16384 /* bytes of transcripts kept per message */

enum { H_UNTRIED, H_DIALING, H_FRESH, H_OPEN, H_DONE };

/* One configured host, for this message. */
struct conn_host {
  const struct dlp_server *server;
  int state;          /* H_* */
  DLP_SMTP *dial;     /* H_DIALING: the connect in progress */
  dlp_pool_plan plan; /* how it was dialled */
  int slow;           /* perf (issue 14): known slow when planned */
};

struct dlp_conn {
  DLP_CONFIG *cfg; /* borrowed */
  DLP_POOL *pool;  /* borrowed */
  void (*progress)(void *);
  void *progress_ctx;
  struct conn_host *hosts; /* one per configured server */
  size_t nhosts;
  struct pollfd *pfd;    /* DLP_DIAL_MAXFDS per host, for the race */
  size_t ndialing;       /* hosts in H_DIALING */
  int64_t stagger_at;    /* dial the next host then if none connected */
  DLP_SMTP *smtp;        /* the open session, or NULL */
  struct conn_host *cur; /* its host */
  int reused;            /* smtp came from the pool */
  dlp_outcome *outcomes; /* one per host that has its outcome */
  size_t ntried;
  int final;
  char timeout_text[DLP_REPLY_TEXT_MAX + 1]; /* why a host timed out */
  DLP_SMTP_FAILURE last_fail;                /* the latest failed attempt */
  DLP_RESULT result;
  char *traces; /* transcripts of failed attempts (and of every
                   attempt at a dlp.debug_peers host), one per line */
  size_t traces_len;
};

/* dlp_conn_create - the plan for one message */
DLP_CONN *dlp_conn_create(DLP_CONFIG *cfg, DLP_POOL *pool) {
  DLP_CONN *c = calloc(1, sizeof(*c));
  size_t i, *order;
  int *slow;

  if (c == NULL)
    return NULL;
  c->hosts = calloc(cfg->nservers + 1, sizeof(*c->hosts));
  c->outcomes = calloc(cfg->nservers + 1, sizeof(*c->outcomes));
  c->pfd = calloc((cfg->nservers + 1) * DLP_DIAL_MAXFDS, sizeof(*c->pfd));
  order = calloc(cfg->nservers + 1, sizeof(*order)); /* balance (issue 15) */
  slow = calloc(cfg->nservers + 1, sizeof(*slow));   /* perf (issue 14) */
  if (c->hosts == NULL || c->outcomes == NULL || c->pfd == NULL ||
      order == NULL || slow == NULL) {
    free(slow);
    free(order);
    free(c->pfd);
    free(c->hosts);
    free(c->outcomes);
    free(c);
    return NULL;
  }
  c->cfg = cfg;
  c->pool = pool;
  c->nhosts = cfg->nservers;
  /* balance (issue 15): host order, slow hosts last (perf, issue 14) */
  dlp_balance_plan(pool, cfg, order, slow);
  for (i = 0; i < c->nhosts; i++) {
    c->hosts[i].server = &cfg->servers[order[i]];
    c->hosts[i].slow = slow[order[i]];
  }
  free(order);
  free(slow);
  c->result.verdict = DLP_VERDICT_PENDING;
  return c;
}

/*
 * conn_trace - keep the transcript of session S ("LABEL: items") when
 * it failed after TCP connected (FAILED non-zero), or always when its
 * host is in dlp.debug_peers; at most CONN_TRACES_MAX bytes a message
 */
static void conn_trace(DLP_CONN *c, const DLP_SMTP *s, int failed) {
  const char *text = dlp_smtp_transcript(s);
  size_t need;
  char *grown;

  int peer = dlp_config_debug_peer(c->cfg, dlp_smtp_label(s));

  /* a connect that failed says all in the decision line's dlp= */
  if (text[0] == '\0' || (!peer && (!failed || dlp_smtp_created_ms(s) == 0)))
    return;
  need = strlen(dlp_smtp_label(s)) + strlen(text) + 48;
  if (c->traces_len + need > CONN_TRACES_MAX ||
      (grown = realloc(c->traces, c->traces_len + need)) == NULL)
    return; /* a transcript is a diagnostic: never fail the message */
  c->traces = grown;
  c->traces_len += (size_t)snprintf(
      grown + c->traces_len, need, "%s%s: %s%s", c->traces_len ? "\n" : "",
      dlp_smtp_label(s),
      dlp_smtp_trace_dropped(s) ? "(earlier items dropped) " : "", text);
}

/* dlp_conn_transcripts - the kept transcripts, "" when none */
const char *dlp_conn_transcripts(const DLP_CONN *c) {
  return c->traces != NULL ? c->traces : "";
}

/* dlp_conn_set_progress - callback while waiting on a DLP host */
void dlp_conn_set_progress(DLP_CONN *c, void (*fn)(void *), void *ctx) {
  c->progress = fn;
  c->progress_ctx = ctx;
  if (c->smtp != NULL)
    dlp_smtp_set_progress(c->smtp, fn, ctx);
}

/* conn_note_host - append "label/outcome" to result.dlp */
static void conn_note_host(DLP_CONN *c, const char *label,
                           dlp_outcome outcome) {
  char *d = c->result.dlp;
  size_t used = strlen(d);

  snprintf(d + used, sizeof(c->result.dlp) - used, "%s%s/%s", used ? "," : "",
           label, dlp_outcome_name(outcome));
}

/* conn_reply - fill the client reply */
static void conn_reply(DLP_CONN *c, int code, const char *dsn,
                       const char *text) {
  DLP_REPLY *r = &c->result.reply;

  r->code = code;
  snprintf(r->dsn, sizeof(r->dsn), "%s", dsn);
  snprintf(r->text, sizeof(r->text), "%s", text);
}

/* conn_set_reason - the reason word WHY of the engine, unless one is set */
static void conn_set_reason(DLP_CONN *c, const DLP_VERDICT_ROW *why) {
  if (c->result.reason[0] == 0 && why->reason != NULL)
    snprintf(c->result.reason, sizeof(c->result.reason), "%s", why->reason);
}

/* conn_release_dials - hand the connects in progress to the pool */
static void conn_release_dials(DLP_CONN *c) {
  size_t i;

  for (i = 0; i < c->nhosts; i++) {
    struct conn_host *h = &c->hosts[i];

    if (h->state != H_DIALING)
      continue;
    dlp_pool_adopt(c->pool, c->cfg, h->server, h->plan, h->dial);
    h->dial = NULL;
    h->state = H_UNTRIED;
  }
  c->ndialing = 0;
}

/*
 * conn_final - record final verdict V; F is the failure that led to it
 * (NULL for DELIVERED), TEXT overrides its text
 */
static dlp_verdict conn_final(DLP_CONN *c, dlp_verdict v,
                              const DLP_SMTP_FAILURE *f, const char *text) {
  char dsn[16];
  int code;

  if (v == DLP_VERDICT_PENDING)
    v = DLP_VERDICT_TEMPFAIL; /* no host left to try: fail closed */
  c->final = 1;
  conn_release_dials(c);
  c->result.verdict = v;
  if (c->result.reason[0] == 0) /* not decided by the engine: F's */
    snprintf(c->result.reason, sizeof(c->result.reason), "%s",
             f == NULL ? "internal" : dlp_outcome_name(f->outcome));
  if (text == NULL && f != NULL) { /* the DLP's reply and its step apart */
    snprintf(c->result.step, sizeof(c->result.step), "%s", f->step);
    snprintf(c->result.said, sizeof(c->result.said), "%s", f->said);
  }
  if (text == NULL)
    text = f != NULL ? f->text : "";
  dlp_class_final(v, f != NULL ? f->outcome : DLP_OUTCOME_NONE,
                  f != NULL ? f->dsn : NULL, &code, dsn, sizeof(dsn));
  if (v == DLP_VERDICT_REJECT && f != NULL && f->replied) {
    c->result.reply = f->reply; /* the DLP's own words */
    c->result.said[0] = 0;      /* no step of ours in them */
  } else {
    if (v == DLP_VERDICT_BYPASS && c->timeout_text[0])
      text = c->timeout_text; /* row 2: the timeout is the story */
    conn_reply(c, code, dsn, text);
  }
  return v;
}

/* dlp_conn_internal - final TEMPFAIL for our own failure WHAT */
dlp_verdict dlp_conn_internal(DLP_CONN *c, const char *what, const char *text) {
  DLP_SMTP_FAILURE f;

  memset(&f, 0, sizeof(f));
  f.outcome = dlp_class_of(DLP_STEP_ANY, DLP_EV_INTERNAL)->outcome;
  snprintf(f.dsn, sizeof(f.dsn), "%s",
           dlp_class_of(DLP_STEP_ANY, DLP_EV_INTERNAL)->dsn);
  snprintf(f.text, sizeof(f.text), "DLP: %s", text);
  snprintf(c->result.reason, sizeof(c->result.reason), "internal:%s", what);
  return conn_final(c, DLP_VERDICT_TEMPFAIL, &f, NULL);
}

/*
 * conn_outcome - host H's attempt ended with F: note it, decide.  0 while
 * another host must be tried, -1 when the verdict is final.
 */
static int conn_outcome(DLP_CONN *c, struct conn_host *h, const char *label,
                        const DLP_SMTP_FAILURE *f) {
  DLP_VERDICT_ROW why;
  dlp_verdict v;

  h->state = H_DONE;
  c->outcomes[c->ntried++] = f->outcome;
  conn_note_host(c, label, f->outcome);
  c->last_fail = *f;
  if (f->outcome == DLP_OUTCOME_SESSION_TIMEOUT)
    snprintf(c->timeout_text, sizeof(c->timeout_text), "%s", f->text);
  v = dlp_verdict_decide_row(c->outcomes, c->ntried, c->nhosts,
                             c->cfg->bypass_enabled, &why);
  if (v == DLP_VERDICT_PENDING)
    return 0;
  conn_set_reason(c, &why);
  conn_final(c, v, f, NULL);
  return -1;
}

/*
 * conn_report - the health state learns how a connect of H ended: only a
 * TCP connect (REACHED) or a failure at the network counts
 */
static void conn_report(DLP_CONN *c, struct conn_host *h, DLP_SMTP *s,
                        int reached) {
  dlp_pool_report(c->pool, c->cfg, h->server, h->plan, reached,
                  dlp_smtp_label(s), dlp_smtp_failure(s)->text);
}

/*
 * conn_dial_failed - the connect of H (session S) failed by DEADLINE:
 * UNREACHABLE at the network (reported), or INTERNAL when it was our own
 * failure or the deadline cut it short (not reported).  0 or -1 as
 * conn_outcome.
 */
static int conn_dial_failed(DLP_CONN *c, struct conn_host *h, DLP_SMTP *s,
                            int64_t deadline) {
  const DLP_SMTP_FAILURE *f = dlp_smtp_failure(s);
  const char *what = NULL;
  char text[2 * DLP_REPLY_TEXT_MAX];
  int rc;

  switch (dlp_smtp_dial_errkind(s)) {
  case DLP_DIAL_ERR_NET:
    if (deadline != 0 && dlp_now_ms() >= deadline)
      what = "deadline"; /* the deadline, not the host, ended it */
    break;
  case DLP_DIAL_ERR_DEADLINE:
    what = "deadline";
    break;
  case DLP_DIAL_ERR_DNS:
    what = "dns";
    break;
  default:
    what = "local";
    break;
  }
  if (what == NULL) {
    conn_report(c, h, s, 0);
    rc = conn_outcome(c, h, dlp_smtp_label(s), f);
  } else {
    if (snprintf(text, sizeof(text), "%s%s", f->text,
                 strcmp(what, "deadline") == 0
                     ? " (session deadline reached: not a DLP failure)"
                     : "") < 0)
      text[0] = 0;
    conn_note_host(c, dlp_smtp_label(s), DLP_OUTCOME_INTERNAL);
    h->state = H_DONE;
    dlp_conn_internal(c, what, text);
    rc = -1;
  }
  conn_trace(c, s, 1);
  dlp_smtp_free(s);
  return rc;
}

/*
 * conn_cached - a cached session to H's server that passes
 * dlp_smtp_reuse() (RSET, at most CONN_RSET_MS), or NULL.  Dead ones are
 * dropped: they are no attempt.
 */
static DLP_SMTP *conn_cached(DLP_CONN *c, struct conn_host *h,
                             int64_t deadline) {
  int64_t until;
  DLP_SMTP *s;

  while ((s = dlp_pool_take(c->pool, c->cfg, h->server)) != NULL) {
    dlp_smtp_set_progress(s, c->progress, c->progress_ctx);
    until = dlp_now_ms() + CONN_RSET_MS;
    if (deadline != 0 && deadline < until)
      until = deadline;
    if (dlp_smtp_reuse(s, until) == 0)
      return s;
    dlp_smtp_free(s); /* died while cached: no attempt, no transcript */
  }
  return NULL;
}

/* conn_undecided - hosts other than H that have no outcome yet */
static size_t conn_undecided(const DLP_CONN *c, const struct conn_host *h) {
  size_t i, n = 0;

  for (i = 0; i < c->nhosts; i++)
    n += &c->hosts[i] != h && c->hosts[i].state != H_DONE;
  return n;
}

/* conn_share_of - H's share of the time left before DEADLINE (0: none) */
static int64_t conn_share_of(const DLP_CONN *c, const struct conn_host *h,
                             int64_t deadline) {
  int64_t now = dlp_now_ms();

  if (deadline == 0)
    return 0;
  if (deadline <= now)
    return deadline;
  return now + (deadline - now) / (int64_t)(1 + conn_undecided(c, h));
}

/* dlp_conn_share - the open session's share of DEADLINE */
int64_t dlp_conn_share(const DLP_CONN *c, int64_t deadline_ms) {
  return conn_share_of(c, c->cur, deadline_ms);
}

/*
 * conn_use - S to H is connected (or cached and reset): open it within
 * its share of DEADLINE and hand it out (0), or note its outcome (-1 as
 * conn_outcome, 0 when another host must be tried: *OPENED says which)
 */
static int conn_use(DLP_CONN *c, struct conn_host *h, DLP_SMTP *s, int reused,
                    int64_t deadline, int *opened) {
  int rc;

  *opened = 0;
  if (reused || dlp_smtp_open(s, conn_share_of(c, h, deadline)) == 0) {
    dlp_pool_busy(c->pool, h->server, 1); /* balance (issue 15) */
    h->state = H_OPEN;
    c->smtp = s;
    c->cur = h;
    c->reused = reused;
    *opened = 1;
    return 0;
  }
  if (dlp_smtp_tls_verify_failed(s)) /* an event, not a health change */
    dlp_pool_tls_failed(c->pool, h->server, dlp_smtp_label(s),
                        dlp_smtp_failure(s)->text);
  rc = conn_outcome(c, h, dlp_smtp_label(s), dlp_smtp_failure(s));
  conn_trace(c, s, 1);
  dlp_smtp_free(s);
  return rc;
}

/*
 * conn_start - begin with host H: a cached session (returned), a skip by
 * the health state (outcome noted), or a connect added to the race.
 * NULL with *RC -1 when the verdict became final.
 */
static DLP_SMTP *conn_start(DLP_CONN *c, struct conn_host *h, int64_t deadline,
                            int *rc) {
  char label[300], why[DLP_REPLY_TEXT_MAX + 1];
  DLP_SMTP_FAILURE f;
  DLP_ADDRS *addrs;
  DLP_SMTP *s;

  *rc = 0;
  if (h->state == H_UNTRIED && (s = conn_cached(c, h, deadline)) != NULL)
    return s;
  h->plan = dlp_pool_plan_host(c->pool, c->cfg, h->server, label, sizeof(label),
                               why, sizeof(why));
  if (h->plan == DLP_POOL_SKIP) {
    memset(&f, 0, sizeof(f));
    f.outcome = dlp_class_of(DLP_STEP_ANY, DLP_EV_SKIPPED)->outcome;
    snprintf(f.dsn, sizeof(f.dsn), "%s",
             dlp_class_of(DLP_STEP_ANY, DLP_EV_SKIPPED)->dsn);
    snprintf(f.text, sizeof(f.text), "%s", why);
    *rc = conn_outcome(c, h, label, &f);
    return NULL;
  }
  if ((s = dlp_smtp_create(c->cfg, h->server)) == NULL) {
    h->state = H_DONE;
    *rc = -1;
    dlp_conn_internal(c, "local", "out of memory");
    return NULL;
  }
  dlp_smtp_set_progress(s, c->progress, c->progress_ctx);
  addrs = dlp_pool_addrs(c->pool, h->server->host, why, sizeof(why));
  if (addrs == NULL) { /* DNS is not the DLP: health untouched */
    snprintf(label, sizeof(label), "%s[unknown]:%u", h->server->host,
             h->server->port);
    conn_note_host(c, label, DLP_OUTCOME_INTERNAL);
    h->state = H_DONE;
    dlp_smtp_free(s);
    *rc = -1;
    dlp_conn_internal(c, "dns", why);
    return NULL;
  }
  if (dlp_smtp_dial(s, addrs, deadline) < 0) {
    dlp_addrs_free(addrs);
    *rc = conn_dial_failed(c, h, s, deadline);
    return NULL;
  }
  dlp_addrs_free(addrs);
  h->dial = s;
  h->state = H_DIALING;
  c->ndialing++;
  c->stagger_at = dlp_now_ms();
  if (!h->slow) /* known slow when planned: race the next host now */
    c->stagger_at += c->cfg->connect_stagger_ms;
  return NULL;
}

/*
 * conn_race - wait until UNTIL for the connects in progress.  The first
 * that connected is returned (*HP its host, reported up); each that
 * failed is noted.  NULL with *RC -1 when the verdict became final.
 */
static DLP_SMTP *conn_race(DLP_CONN *c, int64_t until, int64_t deadline,
                           struct conn_host **hp, int *rc) {
  struct pollfd *pfd = c->pfd;
  int64_t now = dlp_now_ms(), wake;
  size_t i, k, n = 0;
  DLP_SMTP *s;
  int r;

  *rc = 0;
  for (i = 0; i < c->nhosts; i++) {
    if (c->hosts[i].state != H_DIALING)
      continue;
    k = dlp_smtp_dial_pollfds(c->hosts[i].dial, pfd + n, DLP_DIAL_MAXFDS);
    if (k == 0)
      until = now; /* connected or failed already: no waiting */
    n += k;
    wake = dlp_smtp_dial_wake(c->hosts[i].dial);
    if (wake != 0 && wake < until)
      until = wake;
  }
  if (until > now)
    (void)dlp_io_wait_many(pfd, n, until);
  for (i = 0; i < c->nhosts; i++) {
    struct conn_host *h = &c->hosts[i];

    if (h->state != H_DIALING || (r = dlp_smtp_dial_wait(h->dial, 0)) == 0)
      continue;
    s = h->dial;
    h->dial = NULL;
    h->state = H_UNTRIED;
    c->ndialing--;
    if (r > 0) {
      conn_report(c, h, s, 1);
      *hp = h;
      return s;
    }
    if ((*rc = conn_dial_failed(c, h, s, deadline)) < 0)
      return NULL;
  }
  return NULL;
}

/*
 * conn_next_host - the host to start next: FRESH first, then in order;
 * never one of a later priority group while a host of an earlier group
 * is undecided (balance, issue 15: NULL then, the race goes on)
 */
static struct conn_host *conn_next_host(DLP_CONN *c) {
  const struct dlp_server *first = NULL;
  size_t i;

  for (i = 0; i < c->nhosts; i++)
    if (c->hosts[i].state == H_FRESH)
      return &c->hosts[i];
  for (i = 0; i < c->nhosts; i++) {
    if (first == NULL && c->hosts[i].state != H_DONE)
      first = c->hosts[i].server; /* the earliest group undecided */
    if (c->hosts[i].state == H_UNTRIED)
      return dlp_balance_group_of(c->hosts[i].server) ==
                     dlp_balance_group_of(first)
                 ? &c->hosts[i]
                 : NULL;
  }
  return NULL;
}

/*
 * conn_step - one move towards an open session: start the next host when
 * nothing is dialling or its stagger time came, else wait in the race.
 * The session when one is ready; NULL with *RC 0 to go on, -1 final.
 */
static DLP_SMTP *conn_step(DLP_CONN *c, int64_t deadline, struct conn_host **hp,
                           int *reused, int *rc) {
  struct conn_host *h = conn_next_host(c);
  int64_t now = dlp_now_ms(), until = INT64_MAX / 2;
  DLP_SMTP *s;

  *reused = 0;
  if (h != NULL && (c->ndialing == 0 ||
                    (c->cfg->connect_stagger_ms > 0 && now >= c->stagger_at))) {
    if (deadline != 0 && now >= deadline) {
      if (c->ndialing == 0) {
        *rc = -1;
        dlp_conn_internal(c, "deadline",
                          "session deadline reached before the next DLP host "
                          "could be tried");
        return NULL;
      }
    } else {
      *hp = h;
      if ((s = conn_start(c, h, deadline, rc)) != NULL)
        *reused = 1;
      return s;
    }
  }
  if (c->ndialing == 0) {
    *rc = -1; /* every host has its outcome: the table has decided */
    if (!c->final)
      conn_final(c, DLP_VERDICT_TEMPFAIL, &c->last_fail, NULL);
    return NULL;
  }
  if (h != NULL && c->cfg->connect_stagger_ms > 0)
    until = c->stagger_at;
  return conn_race(c, until, deadline, hp, rc);
}

/* dlp_conn_open - a READY session on the next host that takes messages */
DLP_SMTP *dlp_conn_open(DLP_CONN *c, int64_t deadline_ms) {
  struct conn_host *h = NULL;
  int rc = 0, reused, opened;
  DLP_SMTP *s;

  if (c->smtp != NULL)
    return c->smtp;
  while (!c->final) {
    if (c->progress != NULL)
      c->progress(c->progress_ctx);
    s = conn_step(c, deadline_ms, &h, &reused, &rc);
    if (s != NULL) {
      rc = conn_use(c, h, s, reused, deadline_ms, &opened);
      if (opened)
        return s;
    }
    if (rc < 0)
      break;
  }
  return NULL;
}

/* dlp_conn_session - the open session, or NULL */
DLP_SMTP *dlp_conn_session(const DLP_CONN *c) {
  return c->smtp;
}

/* dlp_conn_failed - the open session failed: fresh session or outcome */
int dlp_conn_failed(DLP_CONN *c) {
  const DLP_SMTP_FAILURE *f = dlp_smtp_failure(c->smtp);
  struct conn_host *h = c->cur;
  DLP_SMTP *s = c->smtp;
  int rc = 0;

  c->smtp = NULL;
  c->cur = NULL;
  dlp_pool_busy(c->pool, h->server, -1); /* balance (issue 15) */
  if (c->reused &&
      (dlp_smtp_stale(s) || (!f->replied && !dlp_smtp_content_started(s)))) {
    h->state = H_FRESH; /* died while cached: no outcome */
  } else if (f->outcome == DLP_OUTCOME_INTERNAL) {
    h->state = H_DONE; /* an envelope not safe to send: ours */
    conn_note_host(c, dlp_smtp_label(s), f->outcome);
    dlp_conn_internal(c, "envelope", f->text);
    rc = -1;
  } else {
    rc = conn_outcome(c, h, dlp_smtp_label(s), f);
  }
  conn_trace(c, s, 1);
  dlp_smtp_free(s);
  return rc;
}

/* dlp_conn_outcome - the open session ended the message */
dlp_verdict dlp_conn_outcome(DLP_CONN *c, dlp_outcome outcome,
                             const DLP_SMTP_FAILURE *f) {
  DLP_SMTP_FAILURE ok;
  DLP_VERDICT_ROW why;
  dlp_verdict v;

  if (c->final)
    return c->result.verdict;
  if (f == NULL) {
    memset(&ok, 0, sizeof(ok));
    f = &ok;
  }
  c->outcomes[c->ntried++] = outcome;
  v = dlp_verdict_decide_row(c->outcomes, c->ntried, c->nhosts,
                             c->cfg->bypass_enabled, &why);
  conn_set_reason(c, &why);
  conn_note_host(c, dlp_smtp_label(c->smtp), outcome);
  conn_trace(c, c->smtp, outcome != DLP_OUTCOME_ACCEPTED);
  if (outcome == DLP_OUTCOME_ACCEPTED) {
    snprintf(c->result.dlp_queue_id, sizeof(c->result.dlp_queue_id), "%s",
             dlp_smtp_queue_id(c->smtp));
    snprintf(c->result.tls, sizeof(c->result.tls), "%s",
             dlp_smtp_tls_info(c->smtp));
    return conn_final(c, v, NULL, "");
  }
  return conn_final(c, v, f, NULL);
}

/* dlp_conn_final - the verdict is final */
int dlp_conn_final(const DLP_CONN *c) {
  return c->final;
}

/* dlp_conn_result - the decision so far */
const DLP_RESULT *dlp_conn_result(const DLP_CONN *c) {
  return &c->result;
}

/* dlp_conn_free - cache the session (or QUIT), release everything */
void dlp_conn_free(DLP_CONN *c) {
  if (c == NULL)
    return;
  if (c->smtp != NULL) /* balance (issue 15): released */
    dlp_pool_busy(c->pool, c->cur->server, -1);
  if (c->smtp != NULL && dlp_smtp_is_ready(c->smtp))
    dlp_pool_put(c->pool, c->cfg, c->cur->server, c->smtp); /* or QUIT */
  else
    dlp_smtp_free(c->smtp);
  conn_release_dials(c);
  free(c->traces);
  free(c->pfd);
  free(c->hosts);
  free(c->outcomes);
  free(c);
}
