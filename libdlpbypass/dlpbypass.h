/*
 * dlpbypass.h - public interface of libdlpbypass
 *
 * libdlpbypass hands one message to a pool of Data Loss Prevention (DLP)
 * servers over SMTP and decides, from how that hand-off went, whether the
 * caller should deliver the message directly (bypass), keep it queued
 * (tempfail), bounce it (reject), or drop its copy because the DLP took it.
 *
 * The library never logs and never calls libmilter.  Every call returns a
 * status; the text of the last error stays on the handle.
 *
 * Ownership: every *_create/_load returns an object owned by the caller and
 * released with the matching *_free/_unref.  Strings returned by accessors
 * are borrowed from the object and live as long as it does.
 */
#ifndef DLPBYPASS_H
#define DLPBYPASS_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Replies from the far end (dlp_reply.c)                              */
/* ------------------------------------------------------------------ */

#define DLP_REPLY_TEXT_MAX 400  /* sanitised text, bytes, without NUL */
#define DLP_REPLY_LINE_MAX 2048 /* longer reply lines are malformed */

/*
 * A sanitised SMTP reply.  code is three digits (200..599), dsn is an
 * enhanced status code whose class agrees with code ("4.0.0"/"5.0.0" made
 * up when the server gave none or a contradicting one), text is the
 * printable text of all lines joined by a single space, at most
 * DLP_REPLY_TEXT_MAX bytes.  A plain value type: copy it freely.
 */
typedef struct dlp_reply {
  int code;
  char dsn[16];
  char text[DLP_REPLY_TEXT_MAX + 1];
} DLP_REPLY;

/* Result of feeding one reply line to dlp_reply_line(). */
typedef enum {
  DLP_REPLY_MORE = 1,      /* a continuation line ("250-..."): read on */
  DLP_REPLY_DONE = 0,      /* the last line: *reply is complete */
  DLP_REPLY_MALFORMED = -1 /* not an SMTP reply line, or codes disagree */
} dlp_reply_status;

/* dlp_reply_init - prepare REPLY to receive the lines of one reply */
void dlp_reply_init(DLP_REPLY *reply);

/*
 * dlp_reply_line - add one reply line (without its CRLF/LF) to REPLY.
 * LINE may contain any bytes, NUL included; LEN is its length.
 */
dlp_reply_status dlp_reply_line(DLP_REPLY *reply, const char *line, size_t len);

/*
 * dlp_reply_escape_percent - TEXT made safe for smfi_setreply():
 * '%' doubled, at most BUFLEN-1 bytes written.  Returns BUF.
 */
char *dlp_reply_escape_percent(const char *text, char *buf, size_t buflen);

/* ------------------------------------------------------------------ */
/* Outcomes and the verdict engine (dlp_verdict.c), DESIGN.md sec. 3    */
/* ------------------------------------------------------------------ */

/* How one attempt at one DLP host ended. */
typedef enum {
  DLP_OUTCOME_NONE = 0,        /* not tried (yet) */
  DLP_OUTCOME_UNREACHABLE,     /* TCP connect failed at the network */
  DLP_OUTCOME_SESSION_TIMEOUT, /* connected, then a step timed out before the
                                  content began (the 354 wait included) */
  DLP_OUTCOME_BUSY,            /* 4xx/5xx (or hang-up) before the
                                  transaction: greeting, EHLO/HELO (row 6) */
  DLP_OUTCOME_DEFERRED,        /* 4xx in the transaction, hang-up, a stall
                                  in the content, no reply or not 250 to
                                  the final dot (row 5) */
  DLP_OUTCOME_REJECTED,        /* 5xx in the transaction (row 7) */
  DLP_OUTCOME_TLS_FAILED,      /* required TLS could not be had (row 8) */
  DLP_OUTCOME_ACCEPTED,        /* 250 after the final dot (row 9) */
  DLP_OUTCOME_INTERNAL         /* our own failure (row 10) */
} dlp_outcome;

typedef enum {
  DLP_VERDICT_PENDING = 0, /* try the next host */
  DLP_VERDICT_DELIVERED,   /* the DLP took the message: drop our copy */
  DLP_VERDICT_BYPASS,      /* deliver directly, stamped */
  DLP_VERDICT_TEMPFAIL,    /* keep queued, retry later */
  DLP_VERDICT_REJECT       /* bounce with the DLP's text */
} dlp_verdict;

/* dlp_outcome_name - "unreachable", "session_timeout", ... */
const char *dlp_outcome_name(dlp_outcome outcome);

/* dlp_verdict_name - "delivered", "bypass", "tempfail", "reject" */
const char *dlp_verdict_name(dlp_verdict verdict);

/*
 * dlp_verdict_decide - the verdict table.  OUTCOMES holds the outcome of
 * each host tried so far, in order; NHOSTS is how many hosts there are in
 * all.  Returns DLP_VERDICT_PENDING while another host must be tried, or
 * the final verdict.  With BYPASS_ENABLED zero, rows 1 and 2 give TEMPFAIL.
 */
dlp_verdict dlp_verdict_decide(const dlp_outcome *outcomes, size_t ntried,
                               size_t nhosts, int bypass_enabled);

/* struct (issue 13: the verdict engine returns the row that decided) */
typedef struct dlp_verdict_row {
  int row;            /* of DESIGN.md section 3; 0 while PENDING */
  const char *reason; /* the DLP_RESULT reason word (static), NULL: PENDING */
} DLP_VERDICT_ROW;

/*
 * dlp_verdict_decide_row - dlp_verdict_decide(), and in *WHY (may be
 * NULL) the row that decided and its reason word ("disabled" when rows 1
 * or 2 were refused because bypass is off)
 */
dlp_verdict dlp_verdict_decide_row(const dlp_outcome *outcomes, size_t ntried,
                                   size_t nhosts, int bypass_enabled,
                                   DLP_VERDICT_ROW *why);

/* ------------------------------------------------------------------ */
/* Configuration (dlp_config.c)                                         */
/* ------------------------------------------------------------------ */

typedef struct dlp_config DLP_CONFIG;

/*
 * dlp_config_load - read and validate the libconfig file PATH.  Returns a
 * new immutable configuration with one reference, or NULL with
 * "PATH:LINE: what is wrong" in ERR (at most ERRLEN bytes).
 */
DLP_CONFIG *dlp_config_load(const char *path, char *err, size_t errlen);

/* dlp_config_ref - take one more reference (thread-safe); returns CFG */
DLP_CONFIG *dlp_config_ref(DLP_CONFIG *cfg);

/* dlp_config_unref - drop one reference; frees on the last (thread-safe) */
void dlp_config_unref(DLP_CONFIG *cfg);

const char *dlp_config_path(const DLP_CONFIG *cfg);
const char *dlp_config_milter_socket(const DLP_CONFIG *cfg);
int dlp_config_bypass_enabled(const DLP_CONFIG *cfg);
const char *dlp_config_bypass_header(const DLP_CONFIG *cfg);
/*
 * dlp_config_strip_header - name I (0, 1, ...) of the header fields the
 * milter removes from every message (milter.strip_headers, default
 * X-DLP-Bypass and X-CFilter-Loop, plus bypass.header); NULL past the end
 */
const char *dlp_config_strip_header(const DLP_CONFIG *cfg, size_t i);
size_t dlp_config_nservers(const DLP_CONFIG *cfg);
/* dlp_config_server_label - "host:port" of server I, for messages */
const char *dlp_config_server_label(const DLP_CONFIG *cfg, size_t i);

/*
 * dlp_config_check_names - look up every server's name once (bounded),
 * for a configuration check: 0, or -1 with "PATH: dlp.servers[I]: host
 * NAME does not resolve: why" in ERR
 */
int dlp_config_check_names(const DLP_CONFIG *cfg, char *err, size_t errlen);

/*
 * dlp_config_debug_peer - LABEL ("host[addr]:port") is of a host named in
 * dlp.debug_peers (by its configured name or its address): its attempts'
 * transcripts are logged even when they succeed
 */
int dlp_config_debug_peer(const DLP_CONFIG *cfg, const char *label);

/* bypass.budget, bypass.never (issue 10: policy) */
/* The bypass budget's limits (bypass.budget.*); 0: no limit. */
long long dlp_config_budget_max_duration(const DLP_CONFIG *cfg);
long long dlp_config_budget_max_messages(const DLP_CONFIG *cfg);
long long dlp_config_budget_max_bytes(const DLP_CONFIG *cfg);
/* dlp_config_budget_state_file - where the budget state is kept */
const char *dlp_config_budget_state_file(const DLP_CONFIG *cfg);
/* dlp_config_never_max_size - bypass.never.max_size in bytes, 0: none */
long long dlp_config_never_max_size(const DLP_CONFIG *cfg);
/* dlp_policy_addr_match - 1 when ADDR matches "local@domain"/"@domain" */
int dlp_policy_addr_match(const char *rule, const char *addr);
/* dlp_policy_never_sender/_recipient - 1 when ADDR matches a never rule */
int dlp_policy_never_sender(const DLP_CONFIG *cfg, const char *addr);
int dlp_policy_never_recipient(const DLP_CONFIG *cfg, const char *addr);
/*
 * dlp_policy_never_header - 1 when "NAME: VALUE" (CR, LF removed)
 * matches a bypass.never.headers rule, 0 if not, -1 out of memory
 */
int dlp_policy_never_header(const DLP_CONFIG *cfg, const char *name,
                            const char *value);

/* bypass.rescan (issue 10: retro-scan) */
/* dlp_config_rescan_enabled - bypass.rescan.enabled (with a recipient) */
int dlp_config_rescan_enabled(const DLP_CONFIG *cfg);
/* dlp_config_rescan_recipient - the address the copy goes to, or NULL */
const char *dlp_config_rescan_recipient(const DLP_CONFIG *cfg);
/* dlp_config_rescan_header - the marker field, default "X-DLP-Rescan" */
const char *dlp_config_rescan_header(const DLP_CONFIG *cfg);

/* alert (issue 11: events) */
/* alert.command (NULL: none), alert.timeout (s), alert.max_running,
   alert.burst and alert.interval (s): the event rate limit */
const char *dlp_config_alert_command(const DLP_CONFIG *cfg);
int dlp_config_alert_timeout(const DLP_CONFIG *cfg);
int dlp_config_alert_max_running(const DLP_CONFIG *cfg);
int dlp_config_alert_burst(const DLP_CONFIG *cfg);
int dlp_config_alert_interval(const DLP_CONFIG *cfg);

/* What the host pool reports to the callback of dlp_pool_set_event_fn. */
typedef enum {
  DLP_EVENT_HOST_DOWN = 1,    /* a host's connect failed at the network
                                 (it was up, or new) */
  DLP_EVENT_HOST_UP,          /* a host that was down connected again */
  DLP_EVENT_TLS_VERIFY_FAILED /* a host's certificate failed the checks
                                 of its TLS level (verify, fingerprints) */
} dlp_event_kind;

typedef struct dlp_event {
  dlp_event_kind kind;
  const char *host;    /* configured "host:port" */
  const char *addr;    /* "host[addr]:port" as dialled, or the same */
  dlp_outcome outcome; /* HOST_DOWN, TLS_VERIFY_FAILED: the outcome class
                          that caused it; HOST_UP: DLP_OUTCOME_NONE */
  const char *detail;  /* what the failure said, "" for HOST_UP */
  long long down_ms;   /* HOST_UP: how long the host was down */
} DLP_EVENT;

/*
 * dlp_pool_set_event_fn - call FN(event, CTX) on every health transition
 * and TLS verification failure of POOL (NULL: none).  FN runs in the
 * thread that saw it (a message's or the pool's own), never under the
 * pool's lock, one call at a time and in the order the transitions
 * happened; EVENT and its strings are borrowed for the call.  FN must be
 * quick and must not call into the pool.  Set it before the first
 * message.
 */
struct dlp_pool;
void dlp_pool_set_event_fn(struct dlp_pool *pool,
                           void (*fn)(const DLP_EVENT *ev, void *ctx),
                           void *ctx);

/* audit (issue 11: audit trail) */
/* audit.what: which decisions get an audit line */
typedef enum { DLP_AUDIT_ALL = 0, DLP_AUDIT_BYPASS } dlp_audit_what;
/* audit.fsync: when the audit file is flushed to disk */
typedef enum {
  DLP_AUDIT_FSYNC_ALWAYS = 0, /* after every line (the default) */
  DLP_AUDIT_FSYNC_BYPASS,     /* after bypass lines only */
  DLP_AUDIT_FSYNC_NEVER       /* left to the kernel */
} dlp_audit_fsync;
/* dlp_config_audit_file - audit.file, or NULL (no audit trail) */
const char *dlp_config_audit_file(const DLP_CONFIG *cfg);
/* dlp_config_audit_what - audit.what */
dlp_audit_what dlp_config_audit_what(const DLP_CONFIG *cfg);
/* dlp_config_audit_fsync - audit.fsync */
dlp_audit_fsync dlp_config_audit_fsync(const DLP_CONFIG *cfg);

/* metrics, control (issue 11: metrics and status) */
/* metrics.listen as written ("127.0.0.1:9469"), or NULL: no endpoint */
const char *dlp_config_metrics_listen(const DLP_CONFIG *cfg);
/* its numeric address without brackets, and its port */
const char *dlp_config_metrics_host(const DLP_CONFIG *cfg);
unsigned dlp_config_metrics_port(const DLP_CONFIG *cfg);
/* control.socket (NULL: none), control.mode (0660), control.group (NULL) */
const char *dlp_config_control_socket(const DLP_CONFIG *cfg);
unsigned dlp_config_control_mode(const DLP_CONFIG *cfg);
const char *dlp_config_control_group(const DLP_CONFIG *cfg);

struct dlp_pool; /* DLP_POOL, below */

/* The health state of one configured DLP server, for status and metrics. */
typedef struct dlp_host_status {
  char label[300];      /* configured "host:port" */
  int up;               /* no failed dial since the last good one */
  unsigned failures;    /* consecutive failed dials */
  long long down_ms;    /* down for this long, 0 when up */
  long long retry_ms;   /* skipped for this long yet, 0: may be dialled */
  char last_label[300]; /* "host[addr]:port" of the last failure, or "" */
  char last_text[DLP_REPLY_TEXT_MAX + 1]; /* what it said, or "" */
  unsigned idle;                          /* cached idle sessions to it */
} DLP_HOST_STATUS;

/*
 * dlp_pool_hosts - the health of each of CFG's servers in POOL, in
 * configuration order, into OUT[0..N).  Returns the number of servers
 * (which may exceed N: only N are filled).  Thread-safe; cheap.
 */
size_t dlp_pool_hosts(struct dlp_pool *pool, const DLP_CONFIG *cfg,
                      DLP_HOST_STATUS *out, size_t n);

/* milter.user, socket_mode, ... (issue 12: daemon) */
/* milter.user "USER[:GROUP]" (NULL: unset); milter.allow_root */
const char *dlp_config_milter_user(const DLP_CONFIG *cfg);
int dlp_config_allow_root(const DLP_CONFIG *cfg);
/* milter.socket_mode (0660); milter.socket_group (NULL: unset) */
int dlp_config_socket_mode(const DLP_CONFIG *cfg);
const char *dlp_config_socket_group(const DLP_CONFIG *cfg);
/* milter.pidfile (NULL: unset); syslog_facility (LOG_MAIL's value) */
const char *dlp_config_pidfile(const DLP_CONFIG *cfg);
int dlp_config_syslog_facility(const DLP_CONFIG *cfg);
/* milter.log: "syslog", "stderr", or NULL when unset */
const char *dlp_config_log(const DLP_CONFIG *cfg);
/* milter.tmpdir (the milter checks that its user may write there) */
const char *dlp_config_tmpdir(const DLP_CONFIG *cfg);

/* ------------------------------------------------------------------ */
/* Message store (dlp_body.c)                                           */
/* ------------------------------------------------------------------ */

/*
 * A DLP_BODY holds the message as it will go over the wire after DATA:
 * canonical CRLF line ends (a bare LF becomes CRLF, a bare CR becomes a
 * space, as Postfix 3.9 cleanup_replace_stray_cr_lf does), dot-stuffed,
 * and ending in CRLF.  It stays in memory up to a limit, then spills to
 * an unlinked temporary file.
 */
typedef struct dlp_body DLP_BODY;

/* dlp_body_create - empty store; spill above MEM_LIMIT bytes into TMPDIR */
DLP_BODY *dlp_body_create(size_t mem_limit, const char *tmpdir);

/* dlp_body_write - append raw message bytes; returns 0, or -1 (errno set) */
int dlp_body_write(DLP_BODY *body, const void *data, size_t len);

/* dlp_body_finish - close the last line; no writes after.  0 or -1 */
int dlp_body_finish(DLP_BODY *body);

/* dlp_body_size - bytes of wire data stored so far */
off_t dlp_body_size(const DLP_BODY *body);

/* dlp_body_spilled - non-zero when the data lives in a file */
int dlp_body_spilled(const DLP_BODY *body);

/*
 * dlp_body_read - copy up to LEN bytes of wire data from offset OFF into
 * BUF.  Returns the count (0 at the end) or -1 (errno set).
 */
ssize_t dlp_body_read(const DLP_BODY *body, off_t off, void *buf, size_t len);

/* audit (issue 11: audit trail) */
/*
 * dlp_body_sha256 - after dlp_body_finish: the SHA-256 of the message as
 * the DLP has it after SMTP un-stuffing (canonical CRLF, no stuffing
 * dots, no end-of-data) into OUT; 0, or -1 (errno EINVAL: not finished)
 */
int dlp_body_sha256(const DLP_BODY *body, unsigned char out[32]);

/* perf (issue 14: speed against the floors) */
/*
 * dlp_body_no_digest - before the first write: compute no SHA-256 (no
 * audit trail wants it); dlp_body_sha256 then fails with ENOENT.  0, or
 * -1 (EINVAL: already written to)
 */
int dlp_body_no_digest(DLP_BODY *body);

/* dlp_body_free - release the store and its file */
void dlp_body_free(DLP_BODY *body);

/* ------------------------------------------------------------------ */
/* Host pool: health state shared by all transactions (dlp_pool.c)      */
/* ------------------------------------------------------------------ */

typedef struct dlp_pool DLP_POOL;

/* dlp_pool_create - empty pool (thread-safe object) */
DLP_POOL *dlp_pool_create(void);

/* dlp_pool_free - release the pool; no transaction may still use it */
void dlp_pool_free(DLP_POOL *pool);

/*
 * dlp_pool_resolve - look up the names of CFG's servers now (each lookup
 * bounded by a few seconds; call it when a configuration is loaded, not
 * on a message's path) and keep refreshing them in a thread of the pool
 * (a failed refresh keeps the last good addresses).  Messages never look
 * a name up: a server with no known address is INTERNAL (internal:dns),
 * TEMPFAIL.  0, or -1 with "host:port: why" of the last name that failed
 * in ERR.
 */
int dlp_pool_resolve(DLP_POOL *pool, const DLP_CONFIG *cfg, char *err,
                     size_t errlen);

/* ------------------------------------------------------------------ */
/* One message handed to the DLP (dlp_txn.c)                            */
/* ------------------------------------------------------------------ */

typedef struct dlp_txn DLP_TXN;

/* What became of one recipient at the DLP. */
typedef enum {
  DLP_RCPT_ACCEPTED = 0, /* DLP took it, or the message is not scanned */
  DLP_RCPT_TEMPFAIL,     /* DLP said 4xx for this recipient only */
  DLP_RCPT_REJECTED      /* DLP said 5xx for this recipient only */
} dlp_rcpt_status;

/*
 * dlp_txn_create - start a message.  Takes its own reference on CFG;
 * POOL is borrowed and must outlive the transaction.
 */
DLP_TXN *dlp_txn_create(DLP_CONFIG *cfg, DLP_POOL *pool);

/*
 * dlp_txn_set_progress - FN(CTX) is called at least every few seconds
 * while dlp_txn_eom() waits on the DLP (the milter calls smfi_progress).
 */
void dlp_txn_set_progress(DLP_TXN *txn, void (*fn)(void *), void *ctx);

/*
 * dlp_txn_mail - envelope sender (no angle brackets; "" for the null
 * sender) and its ESMTP parameters (NULL-terminated, may be NULL).  Opens
 * the session to the first usable DLP host and sends MAIL.  Returns
 * DLP_VERDICT_PENDING when the transaction goes on, otherwise the final
 * verdict (dlp_txn_result() tells why).
 */
dlp_verdict dlp_txn_mail(DLP_TXN *txn, const char *sender,
                         const char *const *args);

/*
 * dlp_txn_rcpt - one recipient.  Returns DLP_VERDICT_PENDING with
 * *STATUS set (and *REPLY filled for TEMPFAIL/REJECTED), or a final
 * verdict for the whole message.  Once a final verdict is known, further
 * recipients get DLP_RCPT_ACCEPTED and the same verdict.
 */
dlp_verdict dlp_txn_rcpt(DLP_TXN *txn, const char *rcpt,
                         const char *const *args, dlp_rcpt_status *status,
                         DLP_REPLY *reply);

/* dlp_txn_body - the store the caller writes the message into (borrowed) */
DLP_BODY *dlp_txn_body(DLP_TXN *txn);

/*
 * dlp_txn_eoh - the header is complete (optional; after the last
 * dlp_txn_rcpt): DATA goes out now and dlp_txn_eom() reads its reply, so
 * end of message waits on the DLP once less.  Nothing is submitted before
 * dlp_txn_eom(): a transaction freed without it closes that session.
 */
void dlp_txn_eoh(DLP_TXN *txn);

/*
 * dlp_txn_eom - send the stored message (DATA ... final dot), failing over
 * to other hosts per the verdict table.  Returns the final verdict; never
 * DLP_VERDICT_PENDING.
 */
dlp_verdict dlp_txn_eom(DLP_TXN *txn);

/* The decision and why, filled once a final verdict is known. */
typedef struct dlp_result {
  dlp_verdict verdict;
  /* short machine word: "unreachable", "session_timeout", "accepted",
     "rejected", "deferred", "busy", "tls_failed", "disabled", "internal" */
  char reason[32];
  /* hosts tried, Postfix style: "h[addr]:port/outcome,..." */
  char dlp[512];
  /* reply for the client: TEMPFAIL/REJECT; dsn and text human-readable,
     e.g. code 451 dsn 4.4.1 "DLP h[a]:p said: 452 4.3.1 busy" */
  DLP_REPLY reply;
  /* DLP's queue id from its 250 to the final dot, "" if none */
  char dlp_queue_id[64];
  /* TLS to the host that took the message, "" in plaintext: "TLSv1.3
     TLS_AES_256_GCM_SHA384 resumed=no" (+ " subject=... sha256=..." at
     verify or with pinned fingerprints) */
  char tls[320];
  /* struct (issue 13: the DLP's reply text and the step apart) */
  char step[32]; /* the command whose reply ended it ("RCPT TO"), or "" */
  /* reply.text without its trailing " (in reply to STEP command)", for an
     MTA that adds that itself; "" when reply.text does not end so */
  char said[DLP_REPLY_TEXT_MAX + 1];
} DLP_RESULT;

/* dlp_txn_result - the decision so far (borrowed) */
const DLP_RESULT *dlp_txn_result(const DLP_TXN *txn);

/*
 * dlp_txn_host - "host[addr]:port" of the DLP session the message is on
 * (the host that answered the last RCPT), or "" when there is none
 */
const char *dlp_txn_host(const DLP_TXN *txn);

/*
 * dlp_txn_transcripts - what was said with the DLP hosts in the attempts
 * worth logging: each failed attempt, and every attempt at a host listed
 * in dlp.debug_peers.  One line per attempt, "host[addr]:port: +MSms
 * ITEM; ..." (commands sent "> ...", replies "< ...", state changes
 * "=STATE", the failure "! outcome dsn"), never the message content;
 * "" when there is none.  Borrowed, valid until dlp_txn_free().
 */
const char *dlp_txn_transcripts(const DLP_TXN *txn);

/* dlp_txn_free - end the message: RSET/QUIT or close, release all */
void dlp_txn_free(DLP_TXN *txn);

#ifdef __cplusplus
}
#endif

#endif /* DLPBYPASS_H */
