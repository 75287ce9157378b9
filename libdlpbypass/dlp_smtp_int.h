/*
 * dlp_smtp_int.h - the inside of a DLP_SMTP session, shared by the files
 * of the SMTP client (dlp_smtp.c: the state machine; dlp_smtp_dial.c:
 * the connect and the accessors).  Not for anyone else.
 *
 * Contract: the session's state changes only in dlp_smtp_set_state()
 * (which also writes the change into the transcript); a failure only in
 * dlp_smtp_fail() (which sets FAILED through it).
 */
#ifndef DLP_SMTP_INT_H
#define DLP_SMTP_INT_H

#include "dlp_class.h"
#include "dlp_cmd.h"
#include "dlp_dial.h"
#include "dlp_io.h"
#include "dlp_reply.h"
#include "dlp_smtp.h"
#include "dlp_trace.h"

typedef enum {
  S_CONNECT,
  S_GREETING,
  S_EHLO,
  S_HELO,
  S_STARTTLS,
  S_TLS,
  S_TLS_EHLO,
  S_READY,
  S_MAIL,
  S_RCPT,
  S_DATA,
  S_CONTENT,
  S_DOT,
  S_RSET,
  S_QUIT,
  S_FAILED,
  S_CLOSED
} smtp_state;

#define SMTP_OWED_MAX 3 /* RSET, MAIL and RCPT in one write at most */

struct dlp_smtp {
  const DLP_CONFIG *cfg;
  const struct dlp_server *server;
  DLP_IO *io;
  DLP_DIAL *dial; /* the connect in progress (CONNECT), or NULL */
  smtp_state state;
  int tls_active;    /* the session runs over TLS */
  unsigned caps;     /* DLP_SMTP_CAP_* of the current EHLO */
  unsigned new_caps; /* collected while reading an EHLO reply */
  int64_t deadline;  /* caller's overall deadline, 0: none */
  int64_t step_deadline;
  int64_t last_progress;
  void (*progress)(void *);
  void *progress_ctx;
  char cmd[DLP_CMD_MAX + 3]; /* the command line of the current state */
  const DLP_BODY *body;      /* CONTENT: what to send */
  DLP_REPLY reply;           /* the last reply */
  DLP_SMTP_FAILURE fail;
  char label[300];
  char tls_info[300];
  char queue_id[64];
  int64_t created_ms; /* TCP connected */
  /* commands queued for one write, their states in the order their
     replies are owed (held ones wait for the next command: PIPELINING) */
  char out[SMTP_OWED_MAX * (DLP_CMD_MAX + 3) + 1];
  size_t outlen;
  smtp_state owed[SMTP_OWED_MAX];
  size_t nowed, nheld;
  int rset_held;         /* a reused session's RSET is held (PIPELINING) */
  int stale;             /* a reused session failed its owed RSET */
  int64_t reuse_until;   /* the owed RSET must be answered by then */
  int content;           /* dlp_smtp_data() began sending the content */
  int data_ahead;        /* DATA went out early, its reply still owed */
  int dial_errkind;      /* DLP_DIAL_ERR_* of a failed connect */
  int tls_verify_failed; /* the certificate failed the level's checks */
  DLP_TRACE trace;       /* the transcript of this session (dlp_trace.h) */
};

/* dlp_smtp_set_state - the one place the state changes (and is traced) */
void dlp_smtp_set_state(DLP_SMTP *s, smtp_state state);

/* dlp_smtp_fail - end the session: outcome, failure class, text */
void dlp_smtp_fail(DLP_SMTP *s, dlp_outcome outcome, const char *dsn,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* dlp_smtp_fail_event - end the session with what EVENT means now */
void dlp_smtp_fail_event(DLP_SMTP *s, dlp_event event, const char *detail);

/* dlp_smtp_abort - an impossible state: a bug, never go on */
void dlp_smtp_abort(const DLP_SMTP *s, const char *where)
    __attribute__((noreturn));

#endif /* DLP_SMTP_INT_H */
