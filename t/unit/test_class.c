/*
 * test_class.c - the failure classification table (dlp_class.c) against
 * DESIGN.md section 3: every I/O and reply event in every step of the
 * session, the TLS, store, envelope and connect events, an event the
 * table does not hold (fails closed), and the client reply of each final
 * verdict (dlp_class_final).
 */
#include "dlp_class.h"
#include "tap.h"

#include <string.h>

#define U DLP_OUTCOME_UNREACHABLE
#define T DLP_OUTCOME_SESSION_TIMEOUT
#define B DLP_OUTCOME_BUSY
#define D DLP_OUTCOME_DEFERRED
#define R DLP_OUTCOME_REJECTED
#define S DLP_OUTCOME_TLS_FAILED
#define I DLP_OUTCOME_INTERNAL
#define N DLP_OUTCOME_NONE

struct ccase {
  dlp_step step;
  dlp_event event;
  dlp_outcome outcome;
  const char *dsn; /* NULL: the DLP's own */
};

static const struct ccase cases[] = {
    /* before MAIL: the session is refused, a timeout is row 2-4's */
    {DLP_STEP_SESSION, DLP_EV_TIMEOUT, T, "4.4.2"},
    {DLP_STEP_SESSION, DLP_EV_LOST, B, "4.4.2"},
    {DLP_STEP_SESSION, DLP_EV_TOOLONG, B, "4.5.0"},
    {DLP_STEP_SESSION, DLP_EV_MALFORMED, B, "4.5.0"},
    {DLP_STEP_SESSION, DLP_EV_UNASKED, B, "4.5.0"},
    {DLP_STEP_SESSION, DLP_EV_REPLY, B, "4.4.1"},
    {DLP_STEP_SESSION, DLP_EV_REPLY_5XX, B, "4.4.1"},
    /* STARTTLS and the handshake: required TLS not had */
    {DLP_STEP_TLS, DLP_EV_TIMEOUT, S, "4.7.5"},
    {DLP_STEP_TLS, DLP_EV_LOST, S, "4.7.5"},
    {DLP_STEP_TLS, DLP_EV_TOOLONG, S, "4.7.5"},
    {DLP_STEP_TLS, DLP_EV_REPLY, S, "4.7.5"},
    {DLP_STEP_TLS, DLP_EV_REPLY_5XX, S, "4.7.5"},
    {DLP_STEP_TLS, DLP_EV_MALFORMED, B, "4.5.0"},
    {DLP_STEP_TLS, DLP_EV_UNASKED, B, "4.5.0"},
    /* MAIL: in the transaction, but data before it refuses the session */
    {DLP_STEP_MAIL, DLP_EV_TIMEOUT, T, "4.4.2"},
    {DLP_STEP_MAIL, DLP_EV_LOST, D, "4.4.2"},
    {DLP_STEP_MAIL, DLP_EV_UNASKED, B, "4.5.0"},
    {DLP_STEP_MAIL, DLP_EV_REPLY, D, "4.4.1"},
    {DLP_STEP_MAIL, DLP_EV_REPLY_5XX, R, NULL},
    /* RCPT, DATA */
    {DLP_STEP_TXN, DLP_EV_TIMEOUT, T, "4.4.2"},
    {DLP_STEP_TXN, DLP_EV_LOST, D, "4.4.2"},
    {DLP_STEP_TXN, DLP_EV_TOOLONG, D, "4.5.0"},
    {DLP_STEP_TXN, DLP_EV_MALFORMED, D, "4.5.0"},
    {DLP_STEP_TXN, DLP_EV_UNASKED, D, "4.5.0"},
    {DLP_STEP_TXN, DLP_EV_REPLY, D, "4.4.1"},
    {DLP_STEP_TXN, DLP_EV_REPLY_5XX, R, NULL},
    /* RSET judges nothing */
    {DLP_STEP_RSET, DLP_EV_REPLY_5XX, D, "4.4.1"},
    {DLP_STEP_RSET, DLP_EV_LOST, D, "4.4.2"},
    /* the content and the dot: never a bypass once it is under way */
    {DLP_STEP_CONTENT, DLP_EV_TIMEOUT, D, "4.4.2"},
    {DLP_STEP_CONTENT, DLP_EV_LOST, D, "4.4.2"},
    {DLP_STEP_CONTENT, DLP_EV_TOOLONG, D, "4.5.0"},
    {DLP_STEP_CONTENT, DLP_EV_UNASKED, D, "4.5.0"},
    {DLP_STEP_CONTENT, DLP_EV_REPLY, D, "4.4.1"},
    {DLP_STEP_CONTENT, DLP_EV_REPLY_5XX, R, NULL},
    /* whatever the step */
    {DLP_STEP_SESSION, DLP_EV_TLS_HANDSHAKE, S, "4.7.5"},
    {DLP_STEP_SESSION, DLP_EV_TLS_NOT_OFFERED, S, "4.7.4"},
    {DLP_STEP_TLS, DLP_EV_TLS_UNASKED, S, "4.7.5"},
    {DLP_STEP_CONTENT, DLP_EV_STORE, D, "4.3.0"},
    {DLP_STEP_MAIL, DLP_EV_ENVELOPE, I, "4.3.0"},
    {DLP_STEP_TXN, DLP_EV_RCPT_UNSAFE, N, "4.3.0"},
    {DLP_STEP_RSET, DLP_EV_CACHED_CLOSED, D, "4.4.2"},
    {DLP_STEP_CONNECT, DLP_EV_CONNECT, U, "4.4.1"},
    {DLP_STEP_CONNECT, DLP_EV_CONNECT_DEADLINE, I, "4.4.7"},
    {DLP_STEP_CONNECT, DLP_EV_CONNECT_LOCAL, I, "4.3.0"},
    {DLP_STEP_CONNECT, DLP_EV_NOMEM, I, "4.3.0"},
    {DLP_STEP_ANY, DLP_EV_SKIPPED, U, "4.4.1"},
    {DLP_STEP_ANY, DLP_EV_INTERNAL, I, "4.3.0"},
    /* not in the table for that step: fails closed */
    {DLP_STEP_ANY, DLP_EV_TIMEOUT, T, "4.4.2"},
    {DLP_STEP_ANY, DLP_EV_REPLY, I, "4.3.0"},
};

/* test_table - each (step, event) classified as DESIGN.md says */
static void test_table(void) {
  const DLP_CLASS *c;
  size_t i;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    c = dlp_class_of(cases[i].step, cases[i].event);
    tap_ok(c != NULL && c->outcome == cases[i].outcome &&
               (cases[i].dsn == NULL
                    ? c->dsn == NULL
                    : c->dsn != NULL && strcmp(c->dsn, cases[i].dsn) == 0),
           "step %d event %d: %s %s", (int)cases[i].step, (int)cases[i].event,
           c != NULL ? dlp_outcome_name(c->outcome) : "NULL",
           c != NULL && c->dsn != NULL ? c->dsn : "(DLP's own)");
  }
}

/* test_words - the words of the texts the logs and tests look for */
static void test_words(void) {
  const DLP_CLASS *c = dlp_class_of(DLP_STEP_TXN, DLP_EV_TIMEOUT);

  tap_ok(strcmp(c->what, "conversation timed out") == 0 &&
             strcmp(c->link, "while") == 0,
         "timeout: \"conversation timed out while ...\"");
  c = dlp_class_of(DLP_STEP_TXN, DLP_EV_UNASKED);
  tap_ok(strcmp(c->what, "unexpected data from the host") == 0 &&
             strcmp(c->link, "before") == 0,
         "unasked: \"unexpected data from the host before ...\"");
  c = dlp_class_of(DLP_STEP_SESSION, DLP_EV_TLS_HANDSHAKE);
  tap_ok(strcmp(c->what, "TLS handshake failed") == 0 && c->link == NULL,
         "handshake: \"TLS handshake failed: why\"");
}

/* final - dlp_class_final into CODE and DSN; DSN */
static const char * final(dlp_verdict v, dlp_outcome o, const char *fdsn,
                          int *code) {
  static char dsn[16];

  *code = 0;
  dlp_class_final(v, o, fdsn, code, dsn, sizeof(dsn));
  return dsn;
}

/* test_final - the client reply's code and enhanced code per verdict */
static void test_final(void) {
  int code;

  tap_ok(strcmp(final(DLP_VERDICT_TEMPFAIL, D, "4.4.2", &code), "4.4.2") == 0 &&
             code == 451,
         "TEMPFAIL keeps the failure's 4.x.x");
  tap_ok(strcmp(final(DLP_VERDICT_TEMPFAIL, R, "5.7.1", &code), "4.4.1") == 0,
         "TEMPFAIL after a REJECTED that did not decide: 4.4.1");
  tap_ok(strcmp(final(DLP_VERDICT_TEMPFAIL, N, NULL, &code), "4.3.0") == 0,
         "TEMPFAIL without a failure: 4.3.0");
  tap_ok(strcmp(final(DLP_VERDICT_TEMPFAIL, B, "5.0.0", &code), "4.3.0") == 0,
         "TEMPFAIL never carries a 5.x.x");
  tap_ok(strcmp(final(DLP_VERDICT_REJECT, R, "5.7.0", &code), "5.7.0") == 0 &&
             code == 550,
         "REJECT keeps the failure's 5.x.x");
  tap_ok(strcmp(final(DLP_VERDICT_REJECT, R, "4.0.0", &code), "5.7.1") == 0,
         "REJECT never carries a 4.x.x");
  tap_ok(strcmp(final(DLP_VERDICT_BYPASS, U, "4.4.1", &code), "2.0.0") == 0 &&
             code == 250,
         "BYPASS: 250 2.0.0");
  tap_ok(strcmp(final(DLP_VERDICT_DELIVERED, N, NULL, &code), "2.0.0") == 0 &&
             code == 250,
         "DELIVERED: 250 2.0.0");
}

/* main - run the checks */
int main(void) {
  test_table();
  test_words();
  test_final();
  return tap_done();
}
