/*
 * dlp_class.c - failure classification in one table (dlp_class.h), after
 * Postfix's smtp_trouble.c.
 *
 * Contract: dlp_class_of(step, event) is a pure lookup in class_table
 * (the first row naming the step and the event); an event the table does
 * not hold for that step is INTERNAL 4.3.0 (fail closed, never a bypass).
 * The table is DESIGN.md section 3's classification:
 *   connect failed                         UNREACHABLE       4.4.1
 *   timeout after connect, before the
 *   content (up to the 354 reply to DATA)  SESSION_TIMEOUT   4.4.2
 *   4xx/5xx/hang-up/unasked data before
 *   MAIL (greeting, EHLO, HELO, EHLO after
 *   TLS): the session is refused           BUSY              4.4.1/4.4.2
 *   4xx/hang-up/unasked data from MAIL on,
 *   timeout or hang-up while the content
 *   or the dot is sent, no reply to the
 *   dot, any reply to it but 250 or 5xx    DEFERRED          4.4.1/4.4.2
 *   5xx in the transaction (MAIL, RCPT,
 *   DATA, the dot)                         REJECTED          DLP's own
 *   required TLS not had (4xx/5xx or no
 *   reply to STARTTLS, handshake failed)   TLS_FAILED        4.7.4/4.7.5
 *   unsafe envelope, our own error         INTERNAL          4.3.0
 * Malformed replies and lines too long are 4.5.0, unasked data before
 * MAIL (and before MAIL itself) refuses the session (BUSY).
 * dlp_class_final(v, outcome, dsn) maps a final verdict to the client's
 * reply: TEMPFAIL 451 with the failure's 4.x.x (4.4.1 after a REJECTED
 * that did not decide, 4.3.0 when there is none), REJECT 550 with the
 * failure's 5.x.x (else 5.7.1), DELIVERED and BYPASS 250 2.0.0.
 */
#include "config.h"

#include "dlp_class.h"

#include <stdio.h>

#define B(step) (1u << DLP_STEP_##step)
#define BEFORE_MAIL (B(CONNECT) | B(SESSION))
#define IN_TXN (B(MAIL) | B(TXN) | B(RSET))
#define ALL 0xffffu

/* One row: EVENT in any of STEPS (bits) means OUTCOME, DSN, WHAT LINK. */
static const struct class_row {
  unsigned steps;
  dlp_event event;
  DLP_CLASS c;
} class_table[] = {
    /* the TLS steps: whatever goes wrong, required TLS was not had */
    {B(TLS),
     DLP_EV_TIMEOUT,
     {DLP_OUTCOME_TLS_FAILED, "4.7.5", "conversation timed out", "while"}},
    {B(TLS),
     DLP_EV_LOST,
     {DLP_OUTCOME_TLS_FAILED, "4.7.5", "lost connection", "while"}},
    {B(TLS),
     DLP_EV_TOOLONG,
     {DLP_OUTCOME_TLS_FAILED, "4.7.5", "reply line too long", "while"}},
    {B(TLS), DLP_EV_REPLY, {DLP_OUTCOME_TLS_FAILED, "4.7.5", NULL, NULL}},
    {B(TLS), DLP_EV_REPLY_5XX, {DLP_OUTCOME_TLS_FAILED, "4.7.5", NULL, NULL}},
    /* content under way: no message can make a lone DLP stall its way
       into a bypass; after the dot the DLP may hold the message */
    {B(CONTENT),
     DLP_EV_TIMEOUT,
     {DLP_OUTCOME_DEFERRED, "4.4.2", "conversation timed out", "while"}},
    {B(CONTENT),
     DLP_EV_LOST,
     {DLP_OUTCOME_DEFERRED, "4.4.2", "lost connection", "while"}},
    {B(CONTENT),
     DLP_EV_TOOLONG,
     {DLP_OUTCOME_DEFERRED, "4.5.0", "reply line too long", "while"}},
    /* a timeout elsewhere after the connect: rows 2-4 */
    {ALL,
     DLP_EV_TIMEOUT,
     {DLP_OUTCOME_SESSION_TIMEOUT, "4.4.2", "conversation timed out", "while"}},
    /* hang-up, overlong line: before MAIL the session is refused */
    {BEFORE_MAIL,
     DLP_EV_LOST,
     {DLP_OUTCOME_BUSY, "4.4.2", "lost connection", "while"}},
    {BEFORE_MAIL,
     DLP_EV_TOOLONG,
     {DLP_OUTCOME_BUSY, "4.5.0", "reply line too long", "while"}},
    {IN_TXN,
     DLP_EV_LOST,
     {DLP_OUTCOME_DEFERRED, "4.4.2", "lost connection", "while"}},
    {IN_TXN,
     DLP_EV_TOOLONG,
     {DLP_OUTCOME_DEFERRED, "4.5.0", "reply line too long", "while"}},
    /* replies that are no SMTP */
    {BEFORE_MAIL | B(TLS),
     DLP_EV_MALFORMED,
     {DLP_OUTCOME_BUSY, "4.5.0", "malformed reply", "while"}},
    {IN_TXN | B(CONTENT),
     DLP_EV_MALFORMED,
     {DLP_OUTCOME_DEFERRED, "4.5.0", "malformed reply", "while"}},
    /* data nobody asked for would pass for the reply to what comes next */
    {BEFORE_MAIL | B(TLS) | B(MAIL),
     DLP_EV_UNASKED,
     {DLP_OUTCOME_BUSY, "4.5.0", "unexpected data from the host", "before"}},
    {B(TXN) | B(RSET) | B(CONTENT),
     DLP_EV_UNASKED,
     {DLP_OUTCOME_DEFERRED, "4.5.0", "unexpected data from the host",
      "before"}},
    /* replies the step cannot go on with: only a 5xx in the transaction
       judges the message */
    {BEFORE_MAIL, DLP_EV_REPLY, {DLP_OUTCOME_BUSY, "4.4.1", NULL, NULL}},
    {BEFORE_MAIL, DLP_EV_REPLY_5XX, {DLP_OUTCOME_BUSY, "4.4.1", NULL, NULL}},
    {IN_TXN | B(CONTENT),
     DLP_EV_REPLY,
     {DLP_OUTCOME_DEFERRED, "4.4.1", NULL, NULL}},
    {B(RSET), DLP_EV_REPLY_5XX, {DLP_OUTCOME_DEFERRED, "4.4.1", NULL, NULL}},
    {B(MAIL) | B(TXN) | B(CONTENT),
     DLP_EV_REPLY_5XX,
     {DLP_OUTCOME_REJECTED, NULL, NULL, NULL}},
    /* TLS */
    {ALL,
     DLP_EV_TLS_HANDSHAKE,
     {DLP_OUTCOME_TLS_FAILED, "4.7.5", "TLS handshake failed", NULL}},
    {ALL,
     DLP_EV_TLS_NOT_OFFERED,
     {DLP_OUTCOME_TLS_FAILED, "4.7.4",
      "TLS is required, but was not offered by the host", NULL}},
    {ALL,
     DLP_EV_TLS_UNASKED,
     {DLP_OUTCOME_TLS_FAILED, "4.7.5",
      "unexpected data after the reply to STARTTLS", NULL}},
    /* ours, or the session's own state */
    {ALL,
     DLP_EV_STORE,
     {DLP_OUTCOME_DEFERRED, "4.3.0", "cannot read the stored message",
      "while"}},
    {ALL,
     DLP_EV_ENVELOPE,
     {DLP_OUTCOME_INTERNAL, "4.3.0",
      "envelope sender not safe to send, refused", NULL}},
    {ALL,
     DLP_EV_RCPT_UNSAFE,
     {DLP_OUTCOME_NONE, "4.3.0", "recipient address not safe to send to DLP",
      NULL}},
    {ALL,
     DLP_EV_CACHED_CLOSED,
     {DLP_OUTCOME_DEFERRED, "4.4.2", "cached connection closed by the host",
      NULL}},
    /* the connect and the connection manager */
    {ALL, DLP_EV_CONNECT, {DLP_OUTCOME_UNREACHABLE, "4.4.1", NULL, NULL}},
    {ALL, DLP_EV_CONNECT_DEADLINE, {DLP_OUTCOME_INTERNAL, "4.4.7", NULL, NULL}},
    {ALL, DLP_EV_CONNECT_LOCAL, {DLP_OUTCOME_INTERNAL, "4.3.0", NULL, NULL}},
    {ALL, DLP_EV_NOMEM, {DLP_OUTCOME_INTERNAL, "4.3.0", "out of memory", NULL}},
    {ALL, DLP_EV_SKIPPED, {DLP_OUTCOME_UNREACHABLE, "4.4.1", NULL, NULL}},
    {ALL, DLP_EV_INTERNAL, {DLP_OUTCOME_INTERNAL, "4.3.0", NULL, NULL}},
};

/* dlp_class_of - the first row of the table for STEP and EVENT */
const DLP_CLASS *dlp_class_of(dlp_step step, dlp_event event) {
  static const DLP_CLASS closed = {DLP_OUTCOME_INTERNAL, "4.3.0",
                                   "unclassified failure", NULL};
  unsigned bit = 1u << step;
  size_t i;

  for (i = 0; i < sizeof(class_table) / sizeof(class_table[0]); i++)
    if (class_table[i].event == event && (class_table[i].steps & bit) != 0)
      return &class_table[i].c;
  return &closed; /* fail closed */
}

/* dlp_class_final - the client reply's code and dsn for verdict V */
void dlp_class_final(dlp_verdict v, dlp_outcome f_outcome, const char *f_dsn,
                     int *code, char *dsn, size_t len) {
  const char *d;

  if (v == DLP_VERDICT_TEMPFAIL) {
    *code = 451;
    d = f_dsn != NULL && f_dsn[0] == '4' ? f_dsn : "4.3.0";
    if (f_dsn != NULL && f_outcome == DLP_OUTCOME_REJECTED)
      d = "4.4.1"; /* the DLP's 5xx did not decide: not its words */
  } else if (v == DLP_VERDICT_REJECT) {
    *code = 550;
    d = f_dsn != NULL && f_dsn[0] == '5' ? f_dsn : "5.7.1";
  } else {
    *code = 250;
    d = "2.0.0";
  }
  snprintf(dsn, len, "%s", d);
}
