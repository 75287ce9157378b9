/*
 * dlp_smtp_dial.c - the connect of a DLP_SMTP session and its accessors
 * (the state machine itself is dlp_smtp.c; both share dlp_smtp_int.h).
 *
 * Contract: see dlp_smtp.h.  A connect that fails at the network is
 * UNREACHABLE (4.4.1); one that fails for a local reason, for want of
 * an address or by the caller's deadline is INTERNAL (4.3.0, 4.4.7):
 * never the DLP's failure.  dlp_smtp_transcript() is the session's
 * bounded transcript (dlp_trace.h).
 */
#include "config.h"

#include "dlp_smtp_int.h"

#include <stdint.h>
#include <stdio.h>

/* smtp_dial_done - the dial ended: connected (0) or UNREACHABLE (-1) */
static int smtp_dial_done(DLP_SMTP *s) {
  const DLP_CLASS *c;

  snprintf(s->label, sizeof(s->label), "%s", dlp_dial_label(s->dial));
  s->io = dlp_dial_take(s->dial);
  if (s->io != NULL)
    s->dial_errkind = DLP_DIAL_ERR_NONE;
  else
    s->dial_errkind = dlp_dial_errkind(s->dial);
  if (s->io == NULL && s->dial_errkind == DLP_DIAL_ERR_NET) {
    c = dlp_class_of(DLP_STEP_CONNECT, DLP_EV_CONNECT);
    dlp_smtp_fail(s, c->outcome, c->dsn, "DLP connect to %s: %s", s->label,
                  dlp_dial_error(s->dial));
  } else if (s->io == NULL) { /* local, deadline, no address: not the DLP */
    c = dlp_class_of(DLP_STEP_CONNECT, s->dial_errkind == DLP_DIAL_ERR_DEADLINE
                                           ? DLP_EV_CONNECT_DEADLINE
                                           : DLP_EV_CONNECT_LOCAL);
    dlp_smtp_fail(s, c->outcome, c->dsn, "DLP connect to %s: %s", s->label,
                  dlp_dial_error(s->dial));
  } else {
    s->created_ms = dlp_now_ms();
    dlp_smtp_set_state(s, S_GREETING);
  }
  dlp_dial_free(s->dial);
  s->dial = NULL;
  return s->io != NULL ? 0 : -1;
}

/* dlp_smtp_dial - start connecting; 0 (connecting or connected) or -1 */
int dlp_smtp_dial(DLP_SMTP *s, const DLP_ADDRS *addrs, int64_t deadline_ms) {
  int64_t all = deadline_ms != 0 ? deadline_ms : INT64_MAX / 2;

  if (s->state != S_CONNECT || s->dial != NULL)
    dlp_smtp_abort(s, "dlp_smtp_dial");
  s->deadline = deadline_ms;
  s->dial = dlp_dial_start(addrs, s->server->host, s->server->port,
                           s->cfg->connect_timeout * 1000,
                           s->cfg->connect_stagger_ms, all);
  if (s->dial == NULL) {
    s->dial_errkind = DLP_DIAL_ERR_LOCAL;
    dlp_smtp_fail_event(s, DLP_EV_NOMEM, NULL);
    return -1;
  }
  snprintf(s->label, sizeof(s->label), "%s", dlp_dial_label(s->dial));
  if (dlp_dial_wait(s->dial, 0) == DLP_IO_ERROR)
    return smtp_dial_done(s);
  return 0;
}

/* dlp_smtp_dial_wait - go on connecting until UNTIL_MS: 1, 0 or -1 */
int dlp_smtp_dial_wait(DLP_SMTP *s, int64_t until_ms) {
  if (s->dial == NULL)
    return s->state == S_FAILED ? -1 : 1;
  switch (dlp_dial_wait(s->dial, until_ms)) {
  case DLP_IO_TIMEOUT:
    snprintf(s->label, sizeof(s->label), "%s", dlp_dial_label(s->dial));
    return 0;
  default:
    return smtp_dial_done(s) == 0 ? 1 : -1;
  }
}

/* dlp_smtp_dial_errkind - why the connect failed */
int dlp_smtp_dial_errkind(const DLP_SMTP *s) {
  return s->dial_errkind;
}

/* dlp_smtp_dial_pollfds - the sockets being connected, for poll */
size_t dlp_smtp_dial_pollfds(const DLP_SMTP *s, struct pollfd *pfd,
                             size_t max) {
  return s->dial != NULL ? dlp_dial_pollfds(s->dial, pfd, max) : 0;
}

/* dlp_smtp_dial_fd - the socket being connected, or -1 */
int dlp_smtp_dial_fd(const DLP_SMTP *s) {
  return s->dial != NULL ? dlp_dial_fd(s->dial) : -1;
}

/* dlp_smtp_dial_wake - when the connect in progress times out, or 0 */
int64_t dlp_smtp_dial_wake(const DLP_SMTP *s) {
  return s->dial != NULL ? dlp_dial_wake(s->dial) : 0;
}

/* dlp_smtp_stale - a reused session failed the RSET it owed */
int dlp_smtp_stale(const DLP_SMTP *s) {
  return s->stale;
}

/* dlp_smtp_content_started - the content began to go out */
int dlp_smtp_content_started(const DLP_SMTP *s) {
  return s->content;
}

/* dlp_smtp_is_ready - open and between commands */
int dlp_smtp_is_ready(const DLP_SMTP *s) {
  return s->state == S_READY;
}

/* dlp_smtp_created_ms - when TCP connected */
int64_t dlp_smtp_created_ms(const DLP_SMTP *s) {
  return s->created_ms;
}

/* dlp_smtp_failure - why the last step failed */
const DLP_SMTP_FAILURE *dlp_smtp_failure(const DLP_SMTP *s) {
  return &s->fail;
}

/* dlp_smtp_label - "host[addr]:port" */
const char *dlp_smtp_label(const DLP_SMTP *s) {
  return s->label;
}

/* dlp_smtp_queue_id - the DLP's queue id, or "" */
const char *dlp_smtp_queue_id(const DLP_SMTP *s) {
  return s->queue_id;
}

/* dlp_smtp_tls_info - TLS summary, "" in plaintext */
const char *dlp_smtp_tls_info(const DLP_SMTP *s) {
  return s->tls_info;
}

/* dlp_smtp_transcript - the session's transcript so far, one line */
const char *dlp_smtp_transcript(const DLP_SMTP *s) {
  return dlp_trace_text(&s->trace);
}

/* dlp_smtp_trace_dropped - transcript items dropped to stay bounded */
unsigned dlp_smtp_trace_dropped(const DLP_SMTP *s) {
  return s->trace.dropped;
}

/* dlp_smtp_tls_verify_failed - the certificate failed the level's checks */
int dlp_smtp_tls_verify_failed(const DLP_SMTP *s) {
  return s->tls_verify_failed;
}
