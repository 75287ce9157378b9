/*
 * dlp_smtp.h - SMTP(+STARTTLS) client session to one DLP host.
 *
 * A DLP_SMTP is one connection to one configured server, driven by an
 * explicit state machine (dlp_smtp.c).  The caller (dlp_txn.c) opens it,
 * runs MAIL, RCPT..., DATA+content+dot on it, and either closes it or
 * (later) resets it with RSET and hands it to the pool for the next
 * message.  Every step is bounded by its own timeout from the
 * configuration and by the caller's overall deadline.
 *
 * When a step fails the session is dead: dlp_smtp_failure() tells the
 * outcome class (DESIGN.md section 3), the enhanced status code of the
 * failure class, the DLP's reply if there was one, and a Postfix-style
 * text ("DLP h[a]:p said: 452 4.3.1 busy (in reply to RCPT TO command)").
 *
 * Ownership: the session borrows CFG and SERVER (they must outlive it;
 * dlp_txn holds a reference on the configuration) and owns its DLP_IO.
 * Strings returned by accessors are borrowed from the session.
 */
#ifndef DLP_SMTP_H
#define DLP_SMTP_H

#include "dlp_cmd.h"
#include "dlp_private.h"
#include "dlp_resolve.h"

#include <poll.h>

typedef struct dlp_smtp DLP_SMTP;

/* Capabilities from the EHLO reply: DLP_SMTP_CAP_* in dlp_cmd.h. */

/* Why a session step failed. */
typedef struct dlp_smtp_failure {
  dlp_outcome outcome; /* UNREACHABLE, SESSION_TIMEOUT, BUSY, ... */
  char dsn[16];        /* class of the failure: 4.4.1, 4.4.2, 4.7.5 ... */
  int replied;         /* the DLP answered: REPLY is its sanitised reply */
  DLP_REPLY reply;
  char text[DLP_REPLY_TEXT_MAX + 1]; /* "DLP h[a]:p said: ..." */
  char step[32]; /* the command REPLY answered ("RCPT TO"), "" if none */
  /* TEXT without its trailing " (in reply to STEP command)", "" when it
     does not end so (an MTA that adds its own echo shows this) */
  char said[DLP_REPLY_TEXT_MAX + 1];
} DLP_SMTP_FAILURE;

/* What became of one RCPT command. */
typedef enum {
  DLP_SMTP_RCPT_OK = 0,      /* 2xx */
  DLP_SMTP_RCPT_REFUSED = 1, /* 4xx/5xx for this recipient only */
  DLP_SMTP_RCPT_FAILED = -1  /* the session failed: see dlp_smtp_failure */
} dlp_smtp_rcpt_status;

/* dlp_smtp_create - session object for SERVER, not yet connected */
DLP_SMTP *dlp_smtp_create(const DLP_CONFIG *cfg,
                          const struct dlp_server *server);

/*
 * dlp_smtp_set_progress - FN(CTX) is called at least every 5 s while the
 * session waits on the DLP (NULL: never).
 */
void dlp_smtp_set_progress(DLP_SMTP *s, void (*fn)(void *), void *ctx);

/*
 * dlp_smtp_dial - start the TCP connect to ADDRS (the server's addresses,
 * borrowed for the call), bounded by the connect timeout and DEADLINE_MS
 * (0: none), without waiting for it; several addresses race (the
 * stagger).  0 while it is in progress (or done), -1 when it failed at
 * once (dlp_smtp_dial_errkind() says whose failure).
 */
int dlp_smtp_dial(DLP_SMTP *s, const DLP_ADDRS *addrs, int64_t deadline_ms);

/*
 * dlp_smtp_dial_wait - wait for the connect until UNTIL_MS at most (a
 * time already past checks once): 1 connected (go on with
 * dlp_smtp_open()), 0 still connecting, -1 failed (UNREACHABLE).
 */
int dlp_smtp_dial_wait(DLP_SMTP *s, int64_t until_ms);

/*
 * dlp_smtp_dial_errkind - why the connect failed (DLP_DIAL_ERR_*): only
 * DLP_DIAL_ERR_NET is the host's failure (UNREACHABLE)
 */
int dlp_smtp_dial_errkind(const DLP_SMTP *s);

/*
 * dlp_smtp_dial_pollfds - up to MAX pollfds (POLLOUT) of the sockets
 * still connecting; how many (DLP_DIAL_MAXFDS at most)
 */
size_t dlp_smtp_dial_pollfds(const DLP_SMTP *s, struct pollfd *pfd, size_t max);

/* dlp_smtp_dial_fd - the socket being connected (poll POLLOUT), or -1 */
int dlp_smtp_dial_fd(const DLP_SMTP *s);

/* dlp_smtp_dial_wake - when the connect in progress times out, or 0 */
int64_t dlp_smtp_dial_wake(const DLP_SMTP *s);

/*
 * dlp_smtp_open - connect (or finish the connect dlp_smtp_dial() started),
 * greeting, EHLO (HELO), STARTTLS + handshake + EHLO as the server's TLS
 * level says, all before DEADLINE_MS (0: no
 * overall deadline, only the per-step timeouts).  0 when the session is
 * ready for MAIL, -1 on failure.
 */
int dlp_smtp_open(DLP_SMTP *s, int64_t deadline_ms);

/*
 * dlp_smtp_mail - MAIL FROM:<SENDER> with those of ARGS (NULL-ended, may
 * be NULL) that the server advertised support for; unsafe parameters are
 * dropped.  An unsafe SENDER fails the session as INTERNAL (4.3.0) before
 * anything is sent.  0 or -1.  When the server offers PIPELINING, MAIL
 * (after the RSET a reused session owes) is only built here and goes out
 * in one write with the first RCPT (or before DATA): a failure to MAIL is
 * then reported by that dlp_smtp_rcpt() or dlp_smtp_data().
 */
int dlp_smtp_mail(DLP_SMTP *s, const char *sender, const char *const *args,
                  int64_t deadline_ms);

/*
 * dlp_smtp_rcpt - RCPT TO:<RCPT>.  DLP_SMTP_RCPT_REFUSED with the DLP's
 * reply in *REPLY (a made-up 451 4.3.0 when RCPT is unsafe to send).
 */
dlp_smtp_rcpt_status dlp_smtp_rcpt(DLP_SMTP *s, const char *rcpt,
                                   const char *const *args, int64_t deadline_ms,
                                   DLP_REPLY *reply);

/*
 * dlp_smtp_data - DATA, the content of BODY, the final dot, each step
 * with its own timeout (no overall deadline: the progress callback keeps
 * the caller's peer waiting).  0 when the DLP said exactly 250 to the
 * dot (its queue id in dlp_smtp_queue_id()), -1 on failure (any other
 * reply to the dot, a stall or hang-up in the content: DEFERRED).
 */
int dlp_smtp_data(DLP_SMTP *s, const DLP_BODY *body);

/*
 * dlp_smtp_data_ahead - send DATA now, while the content is still being
 * stored (end of header), so that dlp_smtp_data() finds its reply waiting
 * instead of waiting one round trip for it.  Only from READY with nothing
 * held; otherwise nothing is sent.  0, or -1 when the write failed (the
 * session is FAILED and the next dlp_smtp_data() returns -1 with that
 * failure).  A session left with DATA sent is never reused: freeing it
 * closes the connection without the final dot, so nothing is submitted.
 */
int dlp_smtp_data_ahead(DLP_SMTP *s);

/* dlp_smtp_rset - RSET, to reuse the session for another message; 0/-1 */
int dlp_smtp_rset(DLP_SMTP *s, int64_t deadline_ms);

/*
 * dlp_smtp_reuse - a cached session before its next message: fails at
 * once when the peer closed it or sent anything while it was idle, else
 * RSET (with PIPELINING the RSET is owed and sent with MAIL and the first
 * RCPT).  0 when READY for MAIL, -1 (the session is dead; not an outcome
 * of the verdict table: the caller drops it and opens another).
 */
int dlp_smtp_reuse(DLP_SMTP *s, int64_t deadline_ms);

/*
 * dlp_smtp_stale - the session failed the RSET it owed since
 * dlp_smtp_reuse(): it died while cached, which is no outcome of the
 * verdict table (the caller opens another session to the same server)
 */
int dlp_smtp_stale(const DLP_SMTP *s);

/*
 * dlp_smtp_content_started - the message content began to go out in the
 * last dlp_smtp_data(): from then on a failure is DEFERRED
 */
int dlp_smtp_content_started(const DLP_SMTP *s);

/* dlp_smtp_is_ready - the session is open and between commands */
int dlp_smtp_is_ready(const DLP_SMTP *s);

/* dlp_smtp_created_ms - dlp_now_ms() when TCP connected (0: not yet) */
int64_t dlp_smtp_created_ms(const DLP_SMTP *s);

/* dlp_smtp_free - QUIT (when the session is usable, briefly), close, free */
void dlp_smtp_free(DLP_SMTP *s);

/* dlp_smtp_failure - why the last step failed (borrowed) */
const DLP_SMTP_FAILURE *dlp_smtp_failure(const DLP_SMTP *s);

/* dlp_smtp_label - "host[addr]:port" (the configured label before connect) */
const char *dlp_smtp_label(const DLP_SMTP *s);

/* dlp_smtp_queue_id - the DLP's queue id from its 250 to the dot, or "" */
const char *dlp_smtp_queue_id(const DLP_SMTP *s);

/* dlp_smtp_tls_info - TLS summary ("" in plaintext) */
const char *dlp_smtp_tls_info(const DLP_SMTP *s);

/*
 * dlp_smtp_tls_verify_failed - non-zero when the session failed because
 * the DLP's certificate failed the checks of its TLS level (the outcome
 * is TLS_FAILED; the handshake itself went through)
 */
int dlp_smtp_tls_verify_failed(const DLP_SMTP *s);

/* dlp_smtp_state_name - name of the session's current state */
const char *dlp_smtp_state_name(const DLP_SMTP *s);

/*
 * dlp_smtp_transcript - what was said in this session (for a reused one:
 * since it was taken from the pool), one line: commands, replies, state
 * changes, with milliseconds; never the content.  Bounded: the oldest
 * items go first (dlp_smtp_trace_dropped() counts them).
 */
const char *dlp_smtp_transcript(const DLP_SMTP *s);
unsigned dlp_smtp_trace_dropped(const DLP_SMTP *s);

#endif /* DLP_SMTP_H */
