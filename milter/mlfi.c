/*
 * mlfi.c - the libmilter callbacks of dlpbypass-milter.
 *
 * Contract: the callbacks stay thin; they feed one DLP_TXN per message
 * (dlp_txn_mail at MAIL, dlp_txn_rcpt per RCPT, the header and body
 * bytes into dlp_txn_body, dlp_txn_eom at end of message) and turn the
 * library's answers into milter replies in one place, mlfi_libstatus()
 * (mlfi_reply.c):
 *   DELIVERED -> SMFIS_DISCARD (the DLP owns the message now)
 *   BYPASS    -> the stripped fields deleted, bypass header added,
 *                SMFIS_ACCEPT
 *   TEMPFAIL  -> 4xx reply, SMFIS_TEMPFAIL
 *   REJECT    -> the DLP's 5xx reply, SMFIS_REJECT
 *   anything else, and every internal failure -> 451 4.3.0 TEMPFAIL.
 * A 4xx/5xx for one recipient refuses that recipient only.
 * Postfix's smtp client (dlpscan) adds "(in reply to STEP command)" to
 * the reply it gets; the library's text may already end in the same
 * phrase (the DLP's reply to MAIL or to the final dot), so the text
 * handed to smfi_setreply drops it there (the log keeps it).
 *
 * Header hygiene: the fields named by dlp_config_strip_header() (the
 * bypass header, X-CFilter-Loop, milter.strip_headers; names in any case)
 * never reach the DLP: mlfi_header() counts them instead of storing them.
 * Every reply that lets Postfix's copy go on (SMFIS_ACCEPT: bypass) first
 * deletes each of them (smfi_chgheader with its index among the fields of
 * that name, last first); a deletion that fails is a TEMPFAIL.
 *
 * State: struct mlfi_conn (smfi_setpriv) holds the current message;
 * struct mlfi_msg holds the DLP_TXN and the configuration reference taken
 * at MAIL, kept to the message's end: a reload (SIGHUP) applies from the
 * next MAIL on every connection, a message in flight keeps its own.
 * mlfi_msg_end() is the one cleanup that abort, close, eom and a new MAIL
 * on the same connection call.
 * Module state: the current configuration and the counts of open
 * connections and messages in flight (all under mlfi_lock), and the pool
 * (set once before smfi_main).
 *
 * Reasons: the library's DLP_RESULT.reason as it is; the milter's own
 * refusals say internal:WHAT (memory, config, local, header, verdict,
 * audit: a bypass the audit trail could not record, mlfi_unrecorded).
 *
 * Logging: one line per decision, Postfix style:
 *   QUEUEID: verdict=V reason=R dlp=HOSTS delay=S.sss from=<S> nrcpt=N
 *            [dlp_queue_id=ID] [tls="..."] [reply="CODE DSN TEXT"]
 *            mid=M dlp_time=S.ssssss
 * delay= runs from MAIL to the decision (it includes Postfix streaming
 * the message to us); dlp_time= is the latency the DLP hand-off adds:
 * the time spent inside dlp_txn_mail, dlp_txn_rcpt and dlp_txn_eom.
 * and one per refused recipient:
 *   QUEUEID: rcpt=<R> verdict=reject|tempfail dlp=HOSTS reply="..." mid=M
 * QUEUEID is the macro {i}, "NOQUEUE" while Postfix has none: its smtpd
 * picks the queue id only after the first accepted RCPT, unless
 * smtpd_delay_open_until_valid_rcpt=no (master.cf.fragment sets it).
 * mid= is this process's own number for the message, the same on every
 * line of one message, so that a NOQUEUE recipient line can be tied to
 * the decision line.
 */
#include "config.h"

#include "mlfi.h"
#include "mlfi_int.h"
#include "mlfi_audit.h"
#include "mlfi_decision.h"
#include "mlfi_policy.h"
#include "mlfi_rescan.h"

#include <errno.h>
#include <libmilter/mfapi.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

static pthread_mutex_t mlfi_lock = PTHREAD_MUTEX_INITIALIZER;
static DLP_CONFIG *mlfi_cfg;   /* current configuration, under mlfi_lock */
static unsigned mlfi_nconn;    /* open connections, under mlfi_lock */
static unsigned mlfi_nmsg;     /* messages in flight, under mlfi_lock */
static DLP_POOL *mlfi_pool;    /* set before smfi_main, then read-only */
static unsigned long mlfi_seq; /* last mid= given out (atomic) */

/* mlfi_init - install the pool and the first configuration */
void mlfi_init(DLP_POOL *pool, DLP_CONFIG *cfg) {
  mlfi_pool = pool;
  mlfi_config_swap(cfg);
}

/* mlfi_config_swap - make CFG current (takes its reference) */
void mlfi_config_swap(DLP_CONFIG *cfg) {
  DLP_CONFIG *old;

  pthread_mutex_lock(&mlfi_lock);
  old = mlfi_cfg;
  mlfi_cfg = cfg;
  pthread_mutex_unlock(&mlfi_lock);
  if (old != NULL)
    dlp_config_unref(old);
}

/* mlfi_config_get - a new reference to the current configuration */
DLP_CONFIG *mlfi_config_get(void) {
  DLP_CONFIG *cfg = NULL;

  pthread_mutex_lock(&mlfi_lock);
  if (mlfi_cfg != NULL)
    cfg = dlp_config_ref(mlfi_cfg);
  pthread_mutex_unlock(&mlfi_lock);
  return cfg;
}

/* mlfi_active - how many milter connections are open now */
unsigned mlfi_active(void) {
  unsigned n;

  pthread_mutex_lock(&mlfi_lock);
  n = mlfi_nconn;
  pthread_mutex_unlock(&mlfi_lock);
  return n;
}

/* mlfi_busy - how many messages are in flight now */
unsigned mlfi_busy(void) {
  unsigned n;

  pthread_mutex_lock(&mlfi_lock);
  n = mlfi_nmsg;
  pthread_mutex_unlock(&mlfi_lock);
  return n;
}

/* mlfi_shutdown - drop the configuration, forget the pool */
void mlfi_shutdown(void) {
  mlfi_config_swap(NULL);
  mlfi_pool = NULL;
}

/* mlfi_printable - SRC with non-printables and '"' as '?', for the log */
static const char *mlfi_printable(const char *src, char *buf, size_t len) {
  size_t i;

  for (i = 0; src[i] != '\0' && i + 1 < len; i++)
    buf[i] = (src[i] >= 0x20 && src[i] < 0x7f && src[i] != '"') ? src[i] : '?';
  buf[i] = '\0';
  return buf;
}

/* mlfi_elapsed - seconds since START */
static double mlfi_elapsed(const struct timespec *start) {
  struct timespec now;

  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - start->tv_sec) +
         (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* mlfi_timed_start - start timing a DLP hand-off call */
static void mlfi_timed_start(struct timespec *t0) {
  clock_gettime(CLOCK_MONOTONIC, t0);
}

/* mlfi_timed_end - add the time since T0 to MSG's DLP time */
static void mlfi_timed_end(struct mlfi_msg *msg, const struct timespec *t0) {
  msg->dlp_secs += mlfi_elapsed(t0);
}

/* mlfi_note_qid - remember the queue id ({i}) once the MTA tells it */
static void mlfi_note_qid(SMFICTX *ctx, struct mlfi_msg *msg) {
  const char *qid = smfi_getsymval(ctx, (char *)"i");

  if (msg != NULL && qid != NULL && *qid != '\0')
    mlfi_printable(qid, msg->qid, sizeof(msg->qid));
}

/* mlfi_conn_of - the connection state of CTX, made on first use */
static struct mlfi_conn *mlfi_conn_of(SMFICTX *ctx) {
  struct mlfi_conn *conn = smfi_getpriv(ctx);

  if (conn != NULL)
    return conn;
  if ((conn = calloc(1, sizeof(*conn))) == NULL)
    return NULL;
  if (smfi_setpriv(ctx, conn) != MI_SUCCESS) {
    free(conn);
    return NULL;
  }
  pthread_mutex_lock(&mlfi_lock);
  mlfi_nconn++;
  pthread_mutex_unlock(&mlfi_lock);
  return conn;
}

/* mlfi_msg_end - the one cleanup: release the message of CONN */
static void mlfi_msg_end(struct mlfi_conn *conn) {
  struct mlfi_msg *msg;

  if (conn == NULL || (msg = conn->msg) == NULL)
    return;
  if (msg->txn != NULL)
    dlp_txn_free(msg->txn);
  if (msg->cfg != NULL)
    dlp_config_unref(msg->cfg);
  free(msg->nstrip);
  while (msg->nrcpt > 0)
    free(msg->rcpts[--msg->nrcpt]);
  free(msg->rcpts);
  free(msg->from);
  free(msg->message_id);
  free(msg);
  conn->msg = NULL;
  pthread_mutex_lock(&mlfi_lock);
  mlfi_nmsg--;
  pthread_mutex_unlock(&mlfi_lock);
}

/*
 * mlfi_record - MSG's final decision to the recorders (mlfi_decided);
 * 0, or -1: a bypass the audit trail could not record
 */
static int mlfi_record(const struct mlfi_msg *msg, const DLP_RESULT *res,
                       const struct mlfi_sent *sent) {
  struct mlfi_decision d;
  unsigned char sha256[32];

  memset(&d, 0, sizeof(d));
  clock_gettime(CLOCK_REALTIME, &d.when);
  d.qid = msg->qid;
  d.mid = msg->mid;
  d.from = msg->from != NULL ? msg->from : "";
  d.rcpts = (const char *const *)msg->rcpts;
  d.nrcpt = msg->nrcpt;
  d.size = msg->txn != NULL ? dlp_body_size(dlp_txn_body(msg->txn)) : -1;
  d.message_id = msg->message_id;
  if (msg->txn != NULL && dlp_body_sha256(dlp_txn_body(msg->txn), sha256) == 0)
    d.sha256 = sha256;
  d.verdict = sent->verdict;
  d.reason = sent->reason;
  d.policy = sent->policy;
  d.rescan = sent->rescan;
  d.res = res;
  d.reply = &sent->reply;
  d.delay = mlfi_elapsed(&msg->start);
  d.dlp_time = msg->dlp_secs;
  if (res != NULL && res->verdict == sent->verdict &&
      (sent->verdict == DLP_VERDICT_DELIVERED ||
       sent->verdict == DLP_VERDICT_REJECT))
    mlfi_policy_scanned(); /* a DLP host took (or answered) the message */
  return mlfi_decided(&d);
}

/*
 * mlfi_log_transcripts - one line per DLP attempt worth a transcript
 * (failed, or at a dlp.debug_peers host), after the decision line:
 *   QUEUEID: transcript dlp=HOST: +MSms ITEM; ... mid=M
 */
static void mlfi_log_transcripts(const struct mlfi_msg *msg) {
  const char *p = dlp_txn_transcripts(msg->txn), *nl;

  for (; *p != '\0'; p = *nl ? nl + 1 : nl) {
    nl = strchr(p, '\n');
    if (nl == NULL)
      nl = p + strlen(p);
    mlfi_log(LOG_INFO, "%s: transcript dlp=%.*s mid=%lu", msg->qid,
             (int)(nl - p), p, msg->mid);
  }
}

/*
 * mlfi_log_decision - the decision on MSG to the recorders, then its one
 * line; -1 (nothing logged) when it is a bypass that must not happen
 */
static int mlfi_log_decision(struct mlfi_msg *msg, const DLP_RESULT *res,
                             const struct mlfi_sent *sent) {
  char from[256], extra[1024], tmp[2 * DLP_REPLY_TEXT_MAX];
  size_t n = 0;

  if (mlfi_record(msg, res, sent) < 0)
    return -1;

  extra[0] = '\0';
  if (res != NULL && res->dlp_queue_id[0])
    n += snprintf(extra + n, sizeof(extra) - n, " dlp_queue_id=%s",
                  mlfi_printable(res->dlp_queue_id, tmp, sizeof(tmp)));
  if (res != NULL && res->tls[0] && n < sizeof(extra))
    n += snprintf(extra + n, sizeof(extra) - n, " tls=\"%s\"",
                  mlfi_printable(res->tls, tmp, sizeof(tmp)));
  if (sent->rescan && n < sizeof(extra))
    n += snprintf(extra + n, sizeof(extra) - n, " rescan=yes");
  if (sent->reply.code != 0 && n < sizeof(extra))
    snprintf(extra + n, sizeof(extra) - n, " reply=\"%d %s %s\"",
             sent->reply.code, sent->reply.dsn,
             mlfi_printable(sent->reply.text, tmp, sizeof(tmp)));
  mlfi_log(
      LOG_INFO,
      "%s: verdict=%s reason=%s dlp=%s delay=%.3f from=<%s> nrcpt=%zu%s "
      "mid=%lu dlp_time=%.6f",
      msg->qid, dlp_verdict_name(sent->verdict), sent->reason,
      res != NULL && res->dlp[0] ? res->dlp : "none", mlfi_elapsed(&msg->start),
      mlfi_printable(msg->from != NULL ? msg->from : "", from, sizeof(from)),
      msg->nrcpt, extra, msg->mid, msg->dlp_secs);
  msg->logged = 1;
  if (msg->txn != NULL)
    mlfi_log_transcripts(msg);
  return 0;
}

/*
 * mlfi_unrecorded - audit (issue 11): the bypass of MSG could not be
 * recorded: TEMPFAIL instead (fail closed), recorded and logged as such
 */
static sfsistat mlfi_unrecorded(SMFICTX *ctx, struct mlfi_msg *msg,
                                const DLP_RESULT *res, struct mlfi_sent *sent) {
  sfsistat status;

  status = mlfi_bypass_refused(
      ctx, msg, sent, "internal:audit",
      "DLP filter: no DLP host took the message and the bypass cannot be "
      "recorded in the audit trail");
  sent->rescan = 0;
  (void)mlfi_log_decision(msg, res, sent);
  return status;
}

/*
 * mlfi_refuse - message-level refusal for an internal failure WHAT (its
 * cause in one word: WORD, logged as reason=internal:WORD): 451 4.3.0,
 * logged, the DLP session closed (fail closed).
 */
static sfsistat mlfi_refuse(SMFICTX *ctx, struct mlfi_conn *conn,
                            struct mlfi_msg *msg, const char *word,
                            const char *what) {
  DLP_RESULT res;
  struct mlfi_sent sent;
  sfsistat status;

  memset(&res, 0, sizeof(res));
  if (msg != NULL && msg->txn != NULL)
    res = *dlp_txn_result(msg->txn);
  res.verdict = DLP_VERDICT_TEMPFAIL;
  snprintf(res.reason, sizeof(res.reason), "internal:%s", word);
  res.reply.code = 451;
  snprintf(res.reply.dsn, sizeof(res.reply.dsn), MLFI_INTERNAL_DSN);
  snprintf(res.reply.text, sizeof(res.reply.text), "DLP filter: %s", what);
  res.said[0] = '\0'; /* struct (issue 13): no DLP reply in this text */
  status = mlfi_libstatus(ctx, conn, msg, &res, 0, &sent);
  if (msg == NULL) {
    mlfi_log(LOG_ERR,
             "NOQUEUE: verdict=tempfail reason=%s dlp=none "
             "delay=0.000 reply=\"451 4.3.0 DLP filter: %s\"",
             res.reason, what);
    return status;
  }
  if (!msg->logged)
    mlfi_log_decision(msg, &res, &sent);
  if (msg->txn != NULL) {
    dlp_txn_free(msg->txn);
    msg->txn = NULL;
  }
  return status;
}

/* mlfi_progress - dlp_txn_eom's keep-alive: tell Postfix we are busy */
static void mlfi_progress(void *ctx) {
  (void)smfi_progress((SMFICTX *)ctx);
}

/*
 * mlfi_negotiate - header values with their leading space; add/delete
 * header fields; no replies to header and end-of-header steps and
 * no HELO/DATA/unknown-command steps when the MTA offers it (fewer round trips
 * per message: refusals there are answered at end of message)
 */
static sfsistat mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
                               unsigned long f2, unsigned long f3,
                               unsigned long *pf0, unsigned long *pf1,
                               unsigned long *pf2, unsigned long *pf3) {
  struct mlfi_conn *conn = mlfi_conn_of(ctx);

  (void)f2;
  (void)f3;
  if (conn == NULL)
    return SMFIS_TEMPFAIL;
  /* SMFIF_ADDRCPT: the retro-scan recipient (issue 10, mlfi_rescan.c) */
  *pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_ADDRCPT);
  /* no SMFIP_SKIP: we need every byte */
  /* body chunks keep their reply: a store that fails is refused at once */
  *pf1 = f1 & (SMFIP_HDR_LEADSPC | SMFIP_NOHELO | SMFIP_NR_HDR | SMFIP_NR_EOH |
               SMFIP_NODATA | SMFIP_NOUNKNOWN);
  *pf2 = 0;
  *pf3 = 0;
  conn->leadspc = (*pf1 & SMFIP_HDR_LEADSPC) != 0;
  conn->noreply = *pf1 & (SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY);
  return SMFIS_CONTINUE;
}

/*
 * mlfi_connect - the connection state; the configuration is taken per
 * message (at MAIL), so that a reload reaches cached connections too
 */
static sfsistat mlfi_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr) {
  struct mlfi_conn *conn = mlfi_conn_of(ctx);

  (void)host;
  (void)addr;
  if (conn == NULL)
    return mlfi_refuse(ctx, NULL, NULL, "memory", "out of memory");
  return SMFIS_CONTINUE;
}

/* mlfi_unbracket - copy of ADDR without its <> */
static char *mlfi_unbracket(const char *addr) {
  size_t len = strlen(addr);

  if (len >= 2 && addr[0] == '<' && addr[len - 1] == '>')
    return strndup(addr + 1, len - 2);
  return strdup(addr);
}

/* mlfi_early - a final verdict at MAIL/RCPT: refuse now or go on */
static sfsistat mlfi_early(SMFICTX *ctx, struct mlfi_conn *conn,
                           struct mlfi_msg *msg) {
  const DLP_RESULT *res = dlp_txn_result(msg->txn);
  struct mlfi_sent sent;
  sfsistat status;

  status = mlfi_libstatus(ctx, conn, msg, res, 0, &sent);
  if (status != SMFIS_CONTINUE && !msg->logged)
    mlfi_log_decision(msg, res, &sent);
  return status;
}

/* mlfi_nstrip - how many names CFG's strip list has (at least 1) */
static size_t mlfi_nstrip(const DLP_CONFIG *cfg) {
  size_t n = 0;

  while (dlp_config_strip_header(cfg, n) != NULL)
    n++;
  return n > 0 ? n : 1;
}

/* mlfi_envfrom - a new message: open the DLP transaction, send MAIL */
static sfsistat mlfi_envfrom(SMFICTX *ctx, char **argv) {
  struct mlfi_conn *conn = mlfi_conn_of(ctx);
  struct mlfi_msg *msg;
  struct timespec t0;
  sfsistat status;
  dlp_verdict v;

  if (conn == NULL)
    return mlfi_refuse(ctx, NULL, NULL, "memory", "out of memory");
  mlfi_msg_end(conn);
  if ((msg = calloc(1, sizeof(*msg))) == NULL)
    return mlfi_refuse(ctx, conn, NULL, "memory", "out of memory");
  conn->msg = msg;
  pthread_mutex_lock(&mlfi_lock);
  mlfi_nmsg++;
  pthread_mutex_unlock(&mlfi_lock);
  clock_gettime(CLOCK_MONOTONIC, &msg->start);
  msg->mid = __atomic_add_fetch(&mlfi_seq, 1, __ATOMIC_RELAXED);
  msg->step = "MAIL FROM";
  snprintf(msg->qid, sizeof(msg->qid), "NOQUEUE");
  mlfi_note_qid(ctx, msg);
  msg->from = mlfi_unbracket(argv[0] != NULL ? argv[0] : "");
  if (msg->from == NULL)
    return mlfi_refuse(ctx, conn, msg, "memory", "out of memory");
  if ((msg->cfg = mlfi_config_get()) == NULL)
    return mlfi_refuse(ctx, conn, msg, "config", "no configuration");
  if ((msg->nstrip = calloc(mlfi_nstrip(msg->cfg), sizeof(unsigned))) == NULL)
    return mlfi_refuse(ctx, conn, msg, "memory", "out of memory");
  if ((msg->txn = dlp_txn_create(msg->cfg, mlfi_pool)) == NULL)
    return mlfi_refuse(ctx, conn, msg, "memory",
                       "cannot start a DLP transaction");
  mlfi_timed_start(&t0);
  v = dlp_txn_mail(msg->txn, msg->from,
                   argv[0] != NULL ? (const char *const *)argv + 1 : NULL);
  mlfi_timed_end(msg, &t0);
  if (v == DLP_VERDICT_PENDING)
    return SMFIS_CONTINUE;
  status = mlfi_early(ctx, conn, msg);
  if (status != SMFIS_CONTINUE) {
    dlp_txn_free(msg->txn); /* refused at MAIL: no more DLP talk */
    msg->txn = NULL;
  }
  return status;
}

/* mlfi_refused_again - a callback for a message already refused */
static sfsistat mlfi_refused_again(SMFICTX *ctx, struct mlfi_conn *conn) {
  DLP_REPLY reply;

  memset(&reply, 0, sizeof(reply));
  reply.code = 451;
  snprintf(reply.dsn, sizeof(reply.dsn), MLFI_INTERNAL_DSN);
  snprintf(reply.text, sizeof(reply.text), "DLP filter: message refused");
  mlfi_setreply(ctx, conn != NULL ? conn->msg : NULL, &reply);
  return SMFIS_TEMPFAIL;
}

/* mlfi_msg_of - the live message of CTX, or NULL */
static struct mlfi_msg *mlfi_msg_of(SMFICTX *ctx, struct mlfi_conn **connp) {
  struct mlfi_conn *conn = smfi_getpriv(ctx);

  *connp = conn;
  if (conn == NULL || conn->msg == NULL || conn->msg->txn == NULL)
    return NULL;
  mlfi_note_qid(ctx, conn->msg);
  return conn->msg;
}

/* mlfi_keep_rcpt - add RCPT (taken) to MSG's recipients; 0 or -1 */
static int mlfi_keep_rcpt(struct mlfi_msg *msg, char *rcpt) {
  char **grown;
  size_t cap;

  if (msg->nrcpt == msg->rcpts_cap) {
    cap = msg->rcpts_cap > 0 ? 2 * msg->rcpts_cap : 8;
    if ((grown = realloc(msg->rcpts, cap * sizeof(*grown))) == NULL)
      return -1;
    msg->rcpts = grown;
    msg->rcpts_cap = cap;
  }
  msg->rcpts[msg->nrcpt++] = rcpt;
  return 0;
}

/* mlfi_envrcpt - one recipient: the DLP's answer for it alone */
static sfsistat mlfi_envrcpt(SMFICTX *ctx, char **argv) {
  struct mlfi_conn *conn;
  struct mlfi_msg *msg = mlfi_msg_of(ctx, &conn);
  dlp_rcpt_status st = DLP_RCPT_ACCEPTED;
  DLP_REPLY reply, sent;
  char *rcpt, buf[512];
  struct timespec t0;
  dlp_verdict v;
  sfsistat status;

  if (msg == NULL)
    return mlfi_refused_again(ctx, conn);
  msg->step = "RCPT TO";
  if ((rcpt = mlfi_unbracket(argv[0] != NULL ? argv[0] : "")) == NULL)
    return mlfi_refuse(ctx, conn, msg, "memory", "out of memory");
  memset(&reply, 0, sizeof(reply));
  mlfi_timed_start(&t0);
  v = dlp_txn_rcpt(msg->txn, rcpt,
                   argv[0] != NULL ? (const char *const *)argv + 1 : NULL, &st,
                   &reply);
  mlfi_timed_end(msg, &t0);
  if (v != DLP_VERDICT_PENDING) {
    status = mlfi_early(ctx, conn, msg);
  } else if (st == DLP_RCPT_ACCEPTED) {
    status = SMFIS_CONTINUE;
  } else {
    mlfi_fix_reply(&sent, &reply, st == DLP_RCPT_REJECTED ? '5' : '4');
    mlfi_setreply(ctx, msg, &sent);
    mlfi_log(LOG_INFO,
             "%s: rcpt=<%s> verdict=%s dlp=%s reply=\"%d %s %s\" mid=%lu",
             msg->qid, mlfi_printable(rcpt, buf, sizeof(buf)),
             st == DLP_RCPT_REJECTED ? "reject" : "tempfail",
             dlp_txn_host(msg->txn)[0] ? dlp_txn_host(msg->txn) : "none",
             sent.code, sent.dsn, sent.text, msg->mid);
    status = st == DLP_RCPT_REJECTED ? SMFIS_REJECT : SMFIS_TEMPFAIL;
  }
  if (status == SMFIS_CONTINUE && mlfi_keep_rcpt(msg, rcpt) == 0)
    return SMFIS_CONTINUE; /* rcpt is kept in msg->rcpts */
  if (status == SMFIS_CONTINUE)
    status = mlfi_refuse(ctx, conn, msg, "memory", "out of memory");
  free(rcpt);
  return status;
}

/* mlfi_write_value - header VALUE with each "\n" or "\r\n" as "\r\n" */
static int mlfi_write_value(DLP_BODY *body, const char *value) {
  const char *run = value, *p;
  size_t n;

  for (p = value; *p != '\0'; p++) {
    if (*p != '\n')
      continue;
    n = (size_t)(p - run);
    if (n > 0 && p[-1] == '\r')
      n--;
    if (dlp_body_write(body, run, n) < 0 || dlp_body_write(body, "\r\n", 2) < 0)
      return -1;
    run = p + 1;
  }
  return dlp_body_write(body, run, (size_t)(p - run));
}

/*
 * mlfi_noreply - STATUS for a header/eoh/body step, or SMFIS_NOREPLY when
 * Postfix was told (FLAG, SMFIP_NR_*) to expect no reply to that step: a
 * refusal there is logged at once and answered at end of message.
 */
static sfsistat mlfi_noreply(const struct mlfi_conn *conn, unsigned long flag,
                             sfsistat status) {
  return conn != NULL && (conn->noreply & flag) != 0 ? SMFIS_NOREPLY : status;
}

/*
 * mlfi_header - "Name:value\r\n", byte for byte as the client sent it;
 * a field of the strip list is counted (for mlfi_strip), never stored
 */
static sfsistat mlfi_header(SMFICTX *ctx, char *name, char *value) {
  struct mlfi_conn *conn;
  struct mlfi_msg *msg = mlfi_msg_of(ctx, &conn);
  DLP_BODY *body;
  int strip;

  if (msg == NULL)
    return mlfi_noreply(conn, SMFIP_NR_HDR, mlfi_refused_again(ctx, conn));
  if (mlfi_policy_header(msg->cfg, name, value))
    msg->header_hit = 1;
  if (msg->message_id == NULL && strcasecmp(name, "Message-ID") == 0)
    msg->message_id = mlfi_audit_field(value); /* audit (issue 11) */
  if ((strip = mlfi_strip_index(msg, name)) >= 0) {
    msg->nstrip[strip]++;
    return mlfi_noreply(conn, SMFIP_NR_HDR, SMFIS_CONTINUE);
  }
  body = dlp_txn_body(msg->txn);
  if (dlp_body_write(body, name, strlen(name)) < 0 ||
      dlp_body_write(body, conn->leadspc ? ":" : ": ", conn->leadspc ? 1 : 2) <
          0 ||
      mlfi_write_value(body, value) < 0 || dlp_body_write(body, "\r\n", 2) < 0)
    return mlfi_noreply(
        conn, SMFIP_NR_HDR,
        mlfi_refuse(ctx, conn, msg, "local", "cannot store the message"));
  return mlfi_noreply(conn, SMFIP_NR_HDR, SMFIS_CONTINUE);
}

/* mlfi_eoh - the empty line between header and body */
static sfsistat mlfi_eoh(SMFICTX *ctx) {
  struct mlfi_conn *conn;
  struct mlfi_msg *msg = mlfi_msg_of(ctx, &conn);

  if (msg == NULL)
    return mlfi_noreply(conn, SMFIP_NR_EOH, mlfi_refused_again(ctx, conn));
  if (dlp_body_write(dlp_txn_body(msg->txn), "\r\n", 2) < 0)
    return mlfi_noreply(
        conn, SMFIP_NR_EOH,
        mlfi_refuse(ctx, conn, msg, "local", "cannot store the message"));
  dlp_txn_eoh(msg->txn); /* DATA now: end of message waits once less */
  return mlfi_noreply(conn, SMFIP_NR_EOH, SMFIS_CONTINUE);
}

/* mlfi_body - one chunk of the body */
static sfsistat mlfi_body(SMFICTX *ctx, unsigned char *chunk, size_t len) {
  struct mlfi_conn *conn;
  struct mlfi_msg *msg = mlfi_msg_of(ctx, &conn);

  if (msg == NULL)
    return mlfi_noreply(conn, SMFIP_NR_BODY, mlfi_refused_again(ctx, conn));
  if (dlp_body_write(dlp_txn_body(msg->txn), chunk, len) < 0)
    return mlfi_noreply(
        conn, SMFIP_NR_BODY,
        mlfi_refuse(ctx, conn, msg, "local", "cannot store the message"));
  return mlfi_noreply(conn, SMFIP_NR_BODY, SMFIS_CONTINUE);
}

/* mlfi_eom - hand the message to the DLP; its verdict is our reply */
static sfsistat mlfi_eom(SMFICTX *ctx) {
  struct mlfi_conn *conn;
  struct mlfi_msg *msg = mlfi_msg_of(ctx, &conn);
  const DLP_RESULT *res;
  struct mlfi_sent sent;
  struct timespec t0;
  sfsistat status;
  dlp_verdict v;

  if (msg == NULL) {
    status = mlfi_refused_again(ctx, conn);
    mlfi_msg_end(conn);
    return status;
  }
  msg->step = "end of DATA";
  if (dlp_body_finish(dlp_txn_body(msg->txn)) < 0) {
    status = mlfi_refuse(ctx, conn, msg, "local", "cannot store the message");
    mlfi_msg_end(conn);
    return status;
  }
  dlp_txn_set_progress(msg->txn, mlfi_progress, ctx);
  mlfi_timed_start(&t0);
  v = dlp_txn_eom(msg->txn);
  mlfi_timed_end(msg, &t0);
  res = dlp_txn_result(msg->txn);
  if (v != res->verdict || v == DLP_VERDICT_PENDING) {
    status = mlfi_refuse(ctx, conn, msg, "verdict", "no verdict");
  } else {
    status = mlfi_libstatus(ctx, conn, msg, res, 1, &sent);
    if (!msg->logged && mlfi_log_decision(msg, res, &sent) < 0)
      status = mlfi_unrecorded(ctx, msg, res, &sent);
  }
  mlfi_msg_end(conn);
  return status;
}

/* mlfi_abort - the MTA gave up on this message */
static sfsistat mlfi_abort(SMFICTX *ctx) {
  mlfi_msg_end(smfi_getpriv(ctx));
  return SMFIS_CONTINUE;
}

/* mlfi_close - end of the connection: release everything */
static sfsistat mlfi_close(SMFICTX *ctx) {
  struct mlfi_conn *conn = smfi_getpriv(ctx);

  if (conn == NULL)
    return SMFIS_CONTINUE;
  mlfi_msg_end(conn);
  free(conn);
  smfi_setpriv(ctx, NULL);
  pthread_mutex_lock(&mlfi_lock);
  mlfi_nconn--;
  pthread_mutex_unlock(&mlfi_lock);
  return SMFIS_CONTINUE;
}

/* mlfi_register - smfi_register() the callbacks */
int mlfi_register(void) {
  struct smfiDesc desc;

  memset(&desc, 0, sizeof(desc));
  desc.xxfi_name = (char *)MLFI_NAME;
  desc.xxfi_version = SMFI_VERSION;
  desc.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_ADDRCPT;
  desc.xxfi_connect = mlfi_connect;
  desc.xxfi_envfrom = mlfi_envfrom;
  desc.xxfi_envrcpt = mlfi_envrcpt;
  desc.xxfi_header = mlfi_header;
  desc.xxfi_eoh = mlfi_eoh;
  desc.xxfi_body = mlfi_body;
  desc.xxfi_eom = mlfi_eom;
  desc.xxfi_abort = mlfi_abort;
  desc.xxfi_close = mlfi_close;
  desc.xxfi_negotiate = mlfi_negotiate;
  return smfi_register(desc);
}
