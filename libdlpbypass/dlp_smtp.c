/*
 * dlp_smtp.c - the SMTP client state machine that talks to one DLP host.
 *
 * Contract: see dlp_smtp.h.  In short, dlp_smtp_open() runs CONNECT ->
 * GREETING -> EHLO (-> HELO when EHLO gets 5xx) -> [STARTTLS -> TLS ->
 * TLS_EHLO] -> READY; dlp_smtp_mail/rcpt run one state each and come back
 * to READY; dlp_smtp_data() runs DATA -> CONTENT -> DOT -> READY; RSET and
 * QUIT likewise.  Any failure leaves the session in FAILED with the
 * outcome class, the failure's enhanced status code and a Postfix-style
 * text (dlp_smtp_failure()).
 *
 * One function builds a state's command (smtp_send) and queues it
 * (smtp_queue: written at once, or with PIPELINING held to go out in one
 * write with the next command, RFC 2920); one reads the owed replies in
 * order (smtp_replies, smtp_read_reply) and one decides the next state
 * from each (smtp_handle): pipelining is no second path.  A state the
 * table does not know is a bug: abort().  The state changes
 * only in dlp_smtp_set_state(), which writes each change into the
 * session's transcript (dlp_trace.h) beside the commands sent and the
 * replies read; the connect and the accessors are in dlp_smtp_dial.c.  Every
 * state has its own timeout (connect, command or data timeout of the
 * configuration, within the caller's overall deadline) and its own description
 * for errors.
 *
 * What a failure means (outcome class, enhanced status code, the words
 * of its text) is looked up in the one table of dlp_class.c by the
 * state's step (state_info) and the event; the text names the state
 * ("... while DESC"), a reply's text the command it answered (also
 * returned apart, as the failure's step, beside the text without it).
 * A 4xx/5xx to one RCPT (other than 421) is that recipient's result only.
 * Unasked data: bytes waiting from the DLP when we are about to send a
 * command (without PIPELINING's owed replies) or the final dot, e.g. a
 * "250" sent before the dot, which would otherwise pass for its reply.
 */
#include "config.h"

#include "dlp_class.h"
#include "dlp_smtp_int.h"
#include "dlp_tls.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SMTP_REPLY_LINES 1000 /* more lines in one reply are malformed */
#define SMTP_PROGRESS_MS 5000 /* call the progress callback this often */
#define SMTP_CHUNK 16384      /* content is written in pieces this big */
#define SMTP_QUIT_MS 1000     /* how long QUIT may take on close */

enum { T_NONE, T_CONNECT, T_COMMAND, T_DATA };

/* Per-state facts: name, error description, command, timeout, flags. */
static const struct smtp_state_info {
  const char *name;
  const char *desc; /* "... while DESC" */
  const char *cmd;  /* "(in reply to CMD command)", NULL: no reply */
  int timeout;      /* T_* */
  int sends;        /* has something to send */
  dlp_step step;    /* what a failure in it means (dlp_class.c) */
} state_info[] = {
    [S_CONNECT] = {"CONNECT", "connecting", NULL, T_CONNECT, 1,
                   DLP_STEP_CONNECT},
    [S_GREETING] = {"GREETING", "receiving the initial server greeting",
                    "initial greeting", T_COMMAND, 0, DLP_STEP_SESSION},
    [S_EHLO] = {"EHLO", "performing the EHLO handshake", "EHLO", T_COMMAND, 1,
                DLP_STEP_SESSION},
    [S_HELO] = {"HELO", "performing the HELO handshake", "HELO", T_COMMAND, 1,
                DLP_STEP_SESSION},
    [S_STARTTLS] = {"STARTTLS", "sending STARTTLS", "STARTTLS", T_COMMAND, 1,
                    DLP_STEP_TLS},
    [S_TLS] = {"TLS", "performing the TLS handshake", NULL, T_COMMAND, 1,
               DLP_STEP_TLS},
    [S_TLS_EHLO] = {"TLS_EHLO", "performing the EHLO handshake after TLS",
                    "EHLO", T_COMMAND, 1, DLP_STEP_SESSION},
    [S_READY] = {"READY", "idle", NULL, T_NONE, 0, DLP_STEP_SESSION},
    [S_MAIL] = {"MAIL", "sending MAIL FROM", "MAIL FROM", T_COMMAND, 1,
                DLP_STEP_MAIL},
    [S_RCPT] = {"RCPT", "sending RCPT TO", "RCPT TO", T_COMMAND, 1,
                DLP_STEP_TXN},
    [S_DATA] = {"DATA", "sending DATA command", "DATA", T_COMMAND, 1,
                DLP_STEP_TXN},
    [S_CONTENT] = {"CONTENT", "sending message body", NULL, T_DATA, 1,
                   DLP_STEP_CONTENT},
    [S_DOT] = {"DOT",
               "sending end of data -- message may be sent more "
               "than once",
               "end of DATA", T_DATA, 1, DLP_STEP_CONTENT},
    [S_RSET] = {"RSET", "sending RSET", "RSET", T_COMMAND, 1, DLP_STEP_RSET},
    [S_QUIT] = {"QUIT", "sending QUIT", "QUIT", T_COMMAND, 1, DLP_STEP_SESSION},
    [S_FAILED] = {"FAILED", "failed", NULL, T_NONE, 0, DLP_STEP_SESSION},
    [S_CLOSED] = {"CLOSED", "closed", NULL, T_NONE, 0, DLP_STEP_SESSION},
};

/* dlp_smtp_abort - an impossible state: a bug, never go on */
void dlp_smtp_abort(const DLP_SMTP *s, const char *where) {
  fprintf(stderr, "dlp_smtp: %s: impossible state %d\n", where, (int)s->state);
  abort();
}

/* dlp_smtp_set_state - the one place the state changes (and is traced) */
void dlp_smtp_set_state(DLP_SMTP *s, smtp_state state) {
  if (s->state == state && s->trace.len > 0)
    return;
  s->state = state;
  dlp_trace_put(&s->trace, dlp_now_ms(), "=", state_info[state].name,
                strlen(state_info[state].name));
}

/* smtp_trace_cmd - the command line CMD (CRLF-ended) into the transcript */
static void smtp_trace_cmd(DLP_SMTP *s, const char *cmd) {
  size_t n = strcspn(cmd, "\r\n");

  dlp_trace_put(&s->trace, dlp_now_ms(), "> ", cmd, n);
}

/* dlp_smtp_create - session object for SERVER, not yet connected */
DLP_SMTP *dlp_smtp_create(const DLP_CONFIG *cfg,
                          const struct dlp_server *server) {
  DLP_SMTP *s = calloc(1, sizeof(*s));

  if (s == NULL)
    return NULL;
  s->cfg = cfg;
  s->server = server;
  dlp_trace_reset(&s->trace, dlp_now_ms());
  dlp_smtp_set_state(s, S_CONNECT);
  snprintf(s->label, sizeof(s->label), "%s[?]:%u", server->host, server->port);
  return s;
}

/* dlp_smtp_set_progress - callback while waiting on the DLP */
void dlp_smtp_set_progress(DLP_SMTP *s, void (*fn)(void *), void *ctx) {
  s->progress = fn;
  s->progress_ctx = ctx;
}

/* smtp_progress - call the progress callback if it is due */
static void smtp_progress(DLP_SMTP *s) {
  int64_t now = dlp_now_ms();

  if (s->progress != NULL && now - s->last_progress >= SMTP_PROGRESS_MS) {
    s->last_progress = now;
    s->progress(s->progress_ctx);
  }
}

/* smtp_set_deadline - deadline of the current state's step */
static void smtp_set_deadline(DLP_SMTP *s) {
  int secs;

  switch (state_info[s->state].timeout) {
  case T_CONNECT:
    secs = s->cfg->connect_timeout;
    break;
  case T_DATA:
    secs = s->cfg->data_timeout;
    break;
  default:
    secs = s->cfg->command_timeout;
    break;
  }
  s->step_deadline = dlp_now_ms() + (int64_t)secs * 1000;
  if (s->deadline != 0 && s->deadline < s->step_deadline)
    s->step_deadline = s->deadline;
}

/* dlp_smtp_fail - end the session: outcome, failure class, text */
void dlp_smtp_fail(DLP_SMTP *s, dlp_outcome outcome, const char *dsn,
                   const char *fmt, ...) {
  va_list ap;

  s->fail.outcome = outcome;
  snprintf(s->fail.dsn, sizeof(s->fail.dsn), "%s", dsn);
  va_start(ap, fmt);
  vsnprintf(s->fail.text, sizeof(s->fail.text), fmt, ap);
  va_end(ap);
  dlp_trace_add(&s->trace, dlp_now_ms(), "! %s %s", dlp_outcome_name(outcome),
                dsn);
  dlp_smtp_set_state(s, S_FAILED);
}

/*
 * dlp_smtp_fail_event - end the session with what EVENT means in the
 * current state (dlp_class.c): "DLP LABEL: WHAT while|before DESC", or
 * "DLP LABEL: WHAT: DETAIL", or "DLP LABEL: WHAT"
 */
void dlp_smtp_fail_event(DLP_SMTP *s, dlp_event event, const char *detail) {
  const struct smtp_state_info *si = &state_info[s->state];
  const DLP_CLASS *c = dlp_class_of(si->step, event);

  if (c->link != NULL)
    dlp_smtp_fail(
        s, c->outcome, c->dsn, "DLP %s: %s %s %s", s->label, c->what, c->link,
        event == DLP_EV_STORE ? state_info[S_CONTENT].desc : si->desc);
  else if (detail != NULL)
    dlp_smtp_fail(s, c->outcome, c->dsn, "DLP %s: %s: %s", s->label, c->what,
                  detail);
  else
    dlp_smtp_fail(s, c->outcome, c->dsn, "DLP %s: %s", s->label, c->what);
}

/* smtp_io_fail - a failed read or write in the current state */
static void smtp_io_fail(DLP_SMTP *s, dlp_io_status st) {
  dlp_smtp_fail_event(s,
                      st == DLP_IO_TIMEOUT   ? DLP_EV_TIMEOUT
                      : st == DLP_IO_TOOLONG ? DLP_EV_TOOLONG
                                             : DLP_EV_LOST,
                      NULL);
}

/* smtp_reply_fail - the DLP answered what this state cannot go on with */
static void smtp_reply_fail(DLP_SMTP *s) {
  const struct smtp_state_info *si = &state_info[s->state];
  const DLP_REPLY *r = &s->reply;
  const DLP_CLASS *c =
      dlp_class_of(si->step, r->code >= 500 ? DLP_EV_REPLY_5XX : DLP_EV_REPLY);
  const char *note = s->state == S_DOT && r->code < 400
                         ? " -- not 250, message may be sent more than once"
                         : "";
  char said[sizeof(s->fail.said)];

  if (snprintf(said, sizeof(said), "DLP %s said: %d %s %s", s->label, r->code,
               r->dsn, r->text) < 0)
    said[0] = 0;
  s->fail.replied = 1;
  s->fail.reply = *r;
  dlp_smtp_fail(s, c->outcome, c->dsn != NULL ? c->dsn : r->dsn,
                "%s (in reply to %s command)%s", said, si->cmd, note);
  snprintf(s->fail.step, sizeof(s->fail.step), "%s", si->cmd);
  if (note[0] == 0) /* the text ends in the step: apart, too */
    snprintf(s->fail.said, sizeof(s->fail.said), "%s", said);
}

/* smtp_unasked - fail the session when the DLP sent data nobody asked
   for (it would pass for the reply to what we send next); 0 or -1 */
static int smtp_unasked(DLP_SMTP *s) {
  char line[DLP_REPLY_LINE_MAX + 1];
  dlp_io_status st;
  size_t len;

  if (dlp_io_pending(s->io) == 0 &&
      dlp_io_wait(dlp_io_fd(s->io), POLLIN, 0) <= 0)
    return 0;
  /* one look without waiting: under TLS a readable socket may hold only
     a record that carries no data (a session ticket) */
  st = dlp_io_read_line(s->io, line, sizeof(line), &len, dlp_now_ms());
  if (st == DLP_IO_TIMEOUT && dlp_io_pending(s->io) == 0)
    return 0;
  if (st == DLP_IO_EOF || st == DLP_IO_ERROR) {
    smtp_io_fail(s, st);
    return -1;
  }
  dlp_smtp_fail_event(s, DLP_EV_UNASKED, NULL);
  return -1;
}

/* smtp_ehlo_line - note the capability named on one EHLO reply line */
static void smtp_ehlo_line(DLP_SMTP *s, const char *line, size_t len) {
  static const struct {
    const char *word;
    unsigned bit;
  } caps[] = {{"PIPELINING", DLP_SMTP_CAP_PIPELINING},
              {"8BITMIME", DLP_SMTP_CAP_8BITMIME},
              {"SMTPUTF8", DLP_SMTP_CAP_SMTPUTF8},
              {"DSN", DLP_SMTP_CAP_DSN},
              {"SIZE", DLP_SMTP_CAP_SIZE},
              {"STARTTLS", DLP_SMTP_CAP_STARTTLS}};
  size_t i, n;

  if (len < 5 || line[0] != '2')
    return;
  line += 4, len -= 4;
  for (n = 0; n < len && line[n] != ' ' && line[n] != '='; n++)
    ;
  for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
    if (strlen(caps[i].word) == n && strncasecmp(line, caps[i].word, n) == 0)
      s->new_caps |= caps[i].bit;
}

/* smtp_wait_line - read one reply line, calling progress while waiting */
static dlp_io_status smtp_wait_line(DLP_SMTP *s, char *buf, size_t cap,
                                    size_t *len) {
  dlp_io_status st;
  int64_t until;

  for (;;) {
    until = s->step_deadline;
    if (s->progress != NULL && until > dlp_now_ms() + SMTP_PROGRESS_MS)
      until = dlp_now_ms() + SMTP_PROGRESS_MS;
    st = dlp_io_read_line(s->io, buf, cap, len, until);
    if (st != DLP_IO_TIMEOUT || dlp_now_ms() >= s->step_deadline)
      return st;
    smtp_progress(s);
  }
}

/* smtp_read_reply - read one whole reply of the current state; 0 or -1 */
static int smtp_read_reply(DLP_SMTP *s) {
  char line[DLP_REPLY_LINE_MAX + 1];
  dlp_reply_status rs = DLP_REPLY_MORE;
  dlp_io_status st;
  size_t len;
  int n;

  dlp_reply_init(&s->reply);
  s->new_caps = 0;
  for (n = 0; rs == DLP_REPLY_MORE; n++) {
    st = smtp_wait_line(s, line, sizeof(line), &len);
    if (st != DLP_IO_OK) {
      smtp_io_fail(s, st);
      return -1;
    }
    if (n >= SMTP_REPLY_LINES ||
        (rs = dlp_reply_line(&s->reply, line, len)) == DLP_REPLY_MALFORMED) {
      dlp_smtp_fail_event(s, DLP_EV_MALFORMED, NULL);
      return -1;
    }
    if (n > 0 && (s->state == S_EHLO || s->state == S_TLS_EHLO))
      smtp_ehlo_line(s, line, len);
  }
  dlp_trace_add(&s->trace, dlp_now_ms(), "< %d %s %.80s%s", s->reply.code,
                s->reply.dsn, s->reply.text, n > 1 ? " (...)" : "");
  return 0;
}

/* smtp_write - write LEN bytes of the current state; 0 or -1 */
static int smtp_write(DLP_SMTP *s, const void *buf, size_t len) {
  dlp_io_status st = dlp_io_write(s->io, buf, len, s->step_deadline);

  if (st != DLP_IO_OK) {
    smtp_io_fail(s, st);
    return -1;
  }
  return 0;
}

/*
 * smtp_send_small - a message that fits one piece goes out with its
 * final dot in one write (the DOT state entered, its reply owed): the
 * check for unasked data the dot needs comes first, before any of it.
 * 0 or -1.
 */
static int smtp_send_small(DLP_SMTP *s, char *buf, size_t n) {
  if (n > 0 && (n < 2 || buf[n - 2] != '\r' || buf[n - 1] != '\n')) {
    buf[n++] = '\r'; /* never let a missing CRLF glue the dot on */
    buf[n++] = '\n';
  }
  memcpy(buf + n, ".\r\n", 3);
  dlp_smtp_set_state(s, S_DOT);
  smtp_set_deadline(s);
  if (smtp_unasked(s) < 0)
    return -1;
  smtp_trace_cmd(s, ".\r\n");
  s->owed[s->nowed++] = S_DOT;
  return smtp_write(s, buf, n + 3);
}

/*
 * smtp_send_content - the stored message, already dot-stuffed, in
 * pieces; a message of one piece with its dot (smtp_send_small).  0 or -1.
 */
static int smtp_send_content(DLP_SMTP *s) {
  char buf[SMTP_CHUNK + 5], last[2] = {'\r', '\n'};
  off_t off = 0;
  ssize_t n;

  if (dlp_body_size(s->body) <= SMTP_CHUNK) {
    while ((n = dlp_body_read(s->body, off, buf + off, SMTP_CHUNK - off)) > 0)
      off += n;
    if (n == 0 && off == dlp_body_size(s->body))
      return smtp_send_small(s, buf, (size_t)off);
    dlp_smtp_fail_event(s, DLP_EV_STORE, NULL);
    return -1;
  }
  while ((n = dlp_body_read(s->body, off, buf, SMTP_CHUNK)) > 0) {
    smtp_progress(s);
    smtp_set_deadline(s); /* data_timeout per piece, as Postfix does */
    if (smtp_write(s, buf, (size_t)n) < 0)
      return -1;
    off += n;
    if (n >= 2)
      memcpy(last, buf + n - 2, 2);
    else
      last[0] = last[1], last[1] = buf[0];
  }
  if (n < 0) {
    dlp_smtp_fail_event(s, DLP_EV_STORE, NULL);
    return -1;
  }
  /* the store ends in CRLF; never let a missing one glue the dot on */
  if (off > 0 && (last[0] != '\r' || last[1] != '\n'))
    return smtp_write(s, "\r\n", 2);
  return 0;
}

/* smtp_handshake - TLS state: the handshake */
static int smtp_handshake(DLP_SMTP *s) {
  char err[256] = "no TLS context";
  int rc = -1;

  if (s->cfg->tls_ctx != NULL)
    rc = dlp_tls_handshake(s->cfg->tls_ctx, s->io, s->server,
                           s->server->tls_level, s->step_deadline, s->tls_info,
                           sizeof(s->tls_info), err, sizeof(err));
  s->tls_verify_failed = rc == -2;
  if (rc == 0) {
    s->tls_active = 1;
    s->caps = 0; /* forget everything learnt in plaintext */
    dlp_smtp_set_state(s, S_TLS_EHLO);
    return 0;
  }
  dlp_smtp_fail_event(s, DLP_EV_TLS_HANDSHAKE, err);
  return -1;
}

/* smtp_connect - CONNECT state: start the dial if need be, finish it */
static int smtp_connect(DLP_SMTP *s) {
  if (s->dial == NULL && dlp_smtp_dial(s, NULL, s->deadline) < 0)
    return -1; /* never dialled: no addresses (the manager always dials) */
  if (s->state != S_CONNECT)
    return 0; /* failed or connected at once */
  return dlp_smtp_dial_wait(s, INT64_MAX / 2) > 0 ? 0 : -1;
}

/*
 * smtp_flush - write the queued commands in one write, each traced; with
 * held ones (PIPELINING) the session enters the first one's state.  A
 * lone command first checks for data nobody asked for (RSET and QUIT:
 * the caller's checks).  0 or -1 (a held RSET lost: the session is stale).
 */
static int smtp_flush(DLP_SMTP *s) {
  const char *p = s->out, *end = s->out + s->outlen, *nl;
  smtp_state first = s->owed[0];
  int rc = 0;

  s->out[s->outlen] = 0;
  if (s->nheld == 0 && first != S_RSET && first != S_QUIT &&
      smtp_unasked(s) < 0)
    rc = -1;
  for (; rc == 0 && p < end; p = nl + 1) {
    smtp_trace_cmd(s, p);
    if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
      break;
  }
  if (rc == 0 && s->nheld > 0) {
    dlp_smtp_set_state(s, first);
    smtp_set_deadline(s);
  }
  if (rc == 0 && (rc = smtp_write(s, s->out, s->outlen)) < 0)
    s->stale = s->rset_held;
  s->outlen = 0;
  if (rc < 0)
    s->nowed = s->nheld = 0;
  return rc;
}

/*
 * smtp_queue - queue CMD of STATE (its reply is owed in this order); a
 * HOLD one waits for the next command (PIPELINING, RFC 2920), else the
 * queue is written now.  0 or -1.
 */
static int smtp_queue(DLP_SMTP *s, smtp_state state, const char *cmd,
                      int hold) {
  size_t len = strlen(cmd);

  if (s->nowed >= SMTP_OWED_MAX || s->outlen + len >= sizeof(s->out))
    dlp_smtp_abort(s, "smtp_queue");
  memcpy(s->out + s->outlen, cmd, len);
  s->outlen += len;
  s->owed[s->nowed++] = state;
  s->nheld += hold != 0;
  return hold ? 0 : smtp_flush(s);
}

/* smtp_send - send the current state's command (or act); 0 or -1 */
static int smtp_send(DLP_SMTP *s) {
  const char *helo = s->cfg->helo_name;

  smtp_set_deadline(s);
  switch (s->state) {
  case S_CONNECT:
    return smtp_connect(s);
  case S_GREETING:
    return 0;
  case S_EHLO:
  case S_TLS_EHLO:
    snprintf(s->cmd, sizeof(s->cmd), "EHLO %s\r\n", helo);
    break;
  case S_HELO:
    snprintf(s->cmd, sizeof(s->cmd), "HELO %s\r\n", helo);
    break;
  case S_STARTTLS:
    snprintf(s->cmd, sizeof(s->cmd), "STARTTLS\r\n");
    break;
  case S_TLS:
    return smtp_handshake(s);
  case S_MAIL:
  case S_RCPT:
    break; /* built by the caller */
  case S_DATA:
    snprintf(s->cmd, sizeof(s->cmd), "DATA\r\n");
    break;
  case S_CONTENT:
    dlp_trace_add(&s->trace, dlp_now_ms(), "> (content, %lld bytes)",
                  (long long)dlp_body_size(s->body));
    if (smtp_send_content(s) < 0)
      return -1;
    if (s->state == S_CONTENT) /* else the dot went with it */
      dlp_smtp_set_state(s, S_DOT);
    return 0;
  case S_DOT:
    snprintf(s->cmd, sizeof(s->cmd), ".\r\n");
    break;
  case S_RSET:
    snprintf(s->cmd, sizeof(s->cmd), "RSET\r\n");
    break;
  case S_QUIT:
    snprintf(s->cmd, sizeof(s->cmd), "QUIT\r\n");
    break;
  default:
    dlp_smtp_abort(s, "smtp_send");
  }
  return smtp_queue(s, s->state, s->cmd, 0);
}

/* smtp_after_ehlo - EHLO/HELO done: STARTTLS next, or ready */
static void smtp_after_ehlo(DLP_SMTP *s) {
  int level = s->server->tls_level;

  s->caps = s->new_caps;
  if (s->tls_active || level == DLP_TLS_NONE) {
    dlp_smtp_set_state(s, S_READY);
  } else if (s->caps & DLP_SMTP_CAP_STARTTLS) {
    dlp_smtp_set_state(s, S_STARTTLS);
  } else if (level == DLP_TLS_MAY) {
    dlp_smtp_set_state(s, S_READY);
  } else {
    dlp_smtp_fail_event(s, DLP_EV_TLS_NOT_OFFERED, NULL);
  }
}

/* smtp_handle - the current state's reply decides the next state */
static void smtp_handle(DLP_SMTP *s) {
  int c = s->reply.code / 100;

  switch (s->state) {
  case S_GREETING:
    if (c == 2)
      dlp_smtp_set_state(s, S_EHLO);
    else
      smtp_reply_fail(s);
    break;
  case S_EHLO:
    if (c == 2)
      smtp_after_ehlo(s);
    else if (c == 5)
      dlp_smtp_set_state(s, S_HELO);
    else
      smtp_reply_fail(s);
    break;
  case S_HELO:
    s->new_caps = 0;
    if (c == 2)
      smtp_after_ehlo(s);
    else
      smtp_reply_fail(s);
    break;
  case S_STARTTLS:
    if (c == 2 && dlp_io_pending(s->io) > 0)
      /* CVE-2011-0411: bytes after "220" are never parsed */
      dlp_smtp_fail_event(s, DLP_EV_TLS_UNASKED, NULL);
    else if (c == 2)
      dlp_smtp_set_state(s, S_TLS);
    else
      smtp_reply_fail(s); /* TLS_FAILED, at level may too */
    break;
  case S_TLS_EHLO:
    if (c == 2)
      smtp_after_ehlo(s);
    else
      smtp_reply_fail(s);
    break;
  case S_MAIL:
  case S_RSET:
    if (c == 2)
      dlp_smtp_set_state(s, S_READY);
    else
      smtp_reply_fail(s);
    break;
  case S_RCPT:
    if (c == 2 || (c >= 4 && s->reply.code != 421))
      dlp_smtp_set_state(s, S_READY); /* a refusal is this recipient's result */
    else
      smtp_reply_fail(s);
    break;
  case S_DATA:
    if (c == 3)
      dlp_smtp_set_state(s, S_CONTENT);
    else
      smtp_reply_fail(s);
    break;
  case S_DOT:
    if (s->reply.code == 250) { /* only 250: a 221 or 354 is no yes */
      dlp_reply_queue_id(s->reply.text, s->queue_id, sizeof(s->queue_id));
      dlp_smtp_set_state(s, S_READY);
    } else {
      smtp_reply_fail(s);
    }
    break;
  case S_QUIT:
    dlp_smtp_set_state(s, S_CLOSED);
    break;
  default:
    dlp_smtp_abort(s, "smtp_handle");
  }
}

/*
 * smtp_replies - read every owed reply in order, each handled by
 * smtp_handle() in its own state (held ones: with a fresh deadline; a
 * held RSET's within the reuse time, its failure marks the session
 * stale).  0, or -1 at the first failure.
 */
static int smtp_replies(DLP_SMTP *s) {
  size_t i, n = s->nowed;
  int held = s->nheld > 0, rc = 0, rset;

  s->nowed = s->nheld = 0;
  for (i = 0; i < n && rc == 0; i++) {
    rset = s->owed[i] == S_RSET && s->rset_held;
    if (held) {
      dlp_smtp_set_state(s, s->owed[i]);
      smtp_set_deadline(s);
    }
    if (rset && s->reuse_until != 0 && s->reuse_until < s->step_deadline)
      s->step_deadline = s->reuse_until; /* a cached session answers fast */
    if (smtp_read_reply(s) < 0 || (smtp_handle(s), s->state == S_FAILED))
      rc = -1;
    if (rset) {
      s->rset_held = 0;
      s->stale = rc < 0;
    }
  }
  return rc;
}

/* smtp_step - one state: send its command, read and handle its reply */
static int smtp_step(DLP_SMTP *s) {
  smtp_state before = s->state;

  if (state_info[before].sends && smtp_send(s) < 0)
    return -1;
  if (state_info[before].cmd == NULL || s->state != before) {
    /* no reply to wait for (CONNECT, TLS, CONTENT), unless a small
       message's dot went out with its content */
    return s->nowed > 0 ? smtp_replies(s) : 0;
  }
  if (before == S_GREETING) { /* owed without a command */
    smtp_set_deadline(s);
    s->owed[s->nowed++] = S_GREETING;
  }
  return smtp_replies(s);
}

/* smtp_run - step until the session is READY (0) or FAILED (-1) */
static int smtp_run(DLP_SMTP *s) {
  while (s->state != S_READY) {
    if (s->state == S_FAILED || s->state == S_CLOSED || smtp_step(s) < 0)
      return -1;
  }
  return 0;
}

/* dlp_smtp_open - connect and greet, with STARTTLS as configured */
int dlp_smtp_open(DLP_SMTP *s, int64_t deadline_ms) {
  if (s->state != S_CONNECT && s->state != S_GREETING)
    dlp_smtp_abort(s, "dlp_smtp_open");
  s->deadline = deadline_ms;
  s->last_progress = dlp_now_ms();
  return smtp_run(s);
}

/* smtp_ready - the session must be READY for a new command */
static void smtp_ready(const DLP_SMTP *s, const char *where) {
  if (s->state != S_READY)
    dlp_smtp_abort(s, where);
}

/*
 * dlp_smtp_mail - MAIL FROM with the supported, safe parameters; with
 * PIPELINING it is only built here and goes out with the first RCPT
 */
int dlp_smtp_mail(DLP_SMTP *s, const char *sender, const char *const *args,
                  int64_t deadline_ms) {
  smtp_ready(s, "dlp_smtp_mail");
  s->deadline = deadline_ms;
  s->queue_id[0] = 0;
  s->content = 0; /* a new transaction: no content of it sent yet */
  if (dlp_cmd_envelope(s->cmd, "MAIL FROM", sender, args, 0, s->caps) < 0) {
    dlp_smtp_fail_event(s, DLP_EV_ENVELOPE, NULL);
    return -1;
  }
  if (s->caps & DLP_SMTP_CAP_PIPELINING)
    return smtp_queue(s, S_MAIL, s->cmd, 1); /* out with the first RCPT */
  dlp_smtp_set_state(s, S_MAIL);
  return smtp_step(s);
}

/* dlp_smtp_rcpt - RCPT TO; a refusal is this recipient's only */
dlp_smtp_rcpt_status dlp_smtp_rcpt(DLP_SMTP *s, const char *rcpt,
                                   const char *const *args, int64_t deadline_ms,
                                   DLP_REPLY *reply) {
  int rc;

  smtp_ready(s, "dlp_smtp_rcpt");
  s->deadline = deadline_ms;
  if (dlp_cmd_envelope(s->cmd, "RCPT TO", rcpt, args, 1, s->caps) < 0) {
    const DLP_CLASS *c = dlp_class_of(DLP_STEP_TXN, DLP_EV_RCPT_UNSAFE);

    reply->code = 451;
    snprintf(reply->dsn, sizeof(reply->dsn), "%s", c->dsn);
    snprintf(reply->text, sizeof(reply->text), "%s", c->what);
    return DLP_SMTP_RCPT_REFUSED;
  }
  if (s->nheld > 0) { /* PIPELINING: one write with the held commands */
    rc = smtp_queue(s, S_RCPT, s->cmd, 0) < 0 ? -1 : smtp_replies(s);
  } else {
    dlp_smtp_set_state(s, S_RCPT);
    rc = smtp_step(s);
  }
  if (rc < 0)
    return DLP_SMTP_RCPT_FAILED;
  if (s->reply.code >= 400) {
    *reply = s->reply;
    return DLP_SMTP_RCPT_REFUSED;
  }
  return DLP_SMTP_RCPT_OK;
}

/* dlp_smtp_data_ahead - DATA at end of header, its reply read later */
int dlp_smtp_data_ahead(DLP_SMTP *s) {
  if (s->state != S_READY || s->nheld > 0)
    return 0;
  s->deadline = 0;
  s->data_ahead = 1; /* even when the write fails: dlp_smtp_data tells */
  dlp_smtp_set_state(s, S_DATA);
  return smtp_send(s);
}

/* dlp_smtp_data - DATA (or its reply, sent ahead), content, final dot */
int dlp_smtp_data(DLP_SMTP *s, const DLP_BODY *body) {
  s->deadline = 0;
  s->body = body;
  s->last_progress = dlp_now_ms();
  s->content = 0;
  if (s->data_ahead) {
    s->data_ahead = 0;
    if (s->state != S_DATA)
      return -1; /* the early write failed: its failure is the session's */
    smtp_set_deadline(s); /* the reply's timeout runs from now */
    if (smtp_replies(s) < 0)
      return -1;
  } else {
    smtp_ready(s, "dlp_smtp_data");
    if (s->nheld > 0 && (smtp_flush(s) < 0 || smtp_replies(s) < 0))
      return -1; /* the held commands go out on their own */
    dlp_smtp_set_state(s, S_DATA);
  }
  while (s->state != S_READY) {
    if (s->state == S_CONTENT)
      s->content = 1;
    if (smtp_step(s) < 0)
      return -1;
  }
  return 0;
}

/* dlp_smtp_rset - RSET between messages */
int dlp_smtp_rset(DLP_SMTP *s, int64_t deadline_ms) {
  smtp_ready(s, "dlp_smtp_rset");
  s->deadline = deadline_ms;
  dlp_smtp_set_state(s, S_RSET);
  return smtp_step(s);
}

/* smtp_drop_held - forget the commands held for the next write */
static void smtp_drop_held(DLP_SMTP *s) {
  s->outlen = 0;
  s->nowed = s->nheld = 0;
  s->rset_held = 0;
}

/* dlp_smtp_reuse - a cached session: still quiet and open?  Then RSET */
int dlp_smtp_reuse(DLP_SMTP *s, int64_t deadline_ms) {
  smtp_ready(s, "dlp_smtp_reuse");
  /* this message's part only: never an earlier message's envelope */
  dlp_trace_reset(&s->trace, dlp_now_ms());
  dlp_trace_add(&s->trace, dlp_now_ms(), "reused session, connected %llds ago",
                (long long)((dlp_now_ms() - s->created_ms) / 1000));
  if (dlp_io_pending(s->io) > 0 ||
      dlp_io_wait(dlp_io_fd(s->io), POLLIN, 0) != 0) {
    dlp_smtp_fail_event(s, DLP_EV_CACHED_CLOSED, NULL);
    return -1;
  }
  s->queue_id[0] = 0;
  smtp_drop_held(s);
  s->reuse_until = deadline_ms;
  if (s->caps & DLP_SMTP_CAP_PIPELINING) {
    s->rset_held = 1; /* goes out with MAIL and the first RCPT */
    return smtp_queue(s, S_RSET, "RSET\r\n", 1);
  }
  return dlp_smtp_rset(s, deadline_ms);
}

/* dlp_smtp_free - QUIT when usable, close, free */
void dlp_smtp_free(DLP_SMTP *s) {
  if (s == NULL)
    return;
  if (s->state == S_READY) {
    smtp_drop_held(s); /* never sent: only QUIT goes out */
    s->deadline = dlp_now_ms() + SMTP_QUIT_MS;
    dlp_smtp_set_state(s, S_QUIT);
    (void)smtp_step(s);
  }
  dlp_dial_free(s->dial);
  dlp_io_close(s->io);
  free(s);
}

/* dlp_smtp_state_name - name of the current state */
const char *dlp_smtp_state_name(const DLP_SMTP *s) {
  return state_info[s->state].name;
}
