/*
 * test_verdict.c - the verdict engine against every row of DESIGN.md
 * section 3 and the edge cases around it.
 *
 * Outcomes are written as one letter per host tried, in order:
 *   U unreachable  T session timeout  B busy  D deferred  R rejected
 *   S TLS failed   A accepted         I internal  N none (not tried)
 */
#include "dlpbypass.h"
#include "tap.h"

#include <string.h>

struct vcase {
  const char *name;
  const char *tried; /* letters, see above */
  size_t nhosts;
  int bypass;
  dlp_verdict want;
};

#define P DLP_VERDICT_PENDING
#define DEL DLP_VERDICT_DELIVERED
#define BYP DLP_VERDICT_BYPASS
#define TF DLP_VERDICT_TEMPFAIL
#define REJ DLP_VERDICT_REJECT

static const struct vcase cases[] = {
    /* row 1 */
    {"row 1: one host unreachable", "U", 1, 1, BYP},
    {"row 1: all three hosts unreachable", "UUU", 3, 1, BYP},
    {"row 1: unreachable with hosts left -> pending", "U", 2, 1, P},
    {"row 1 disabled: tempfail", "UU", 2, 0, TF},
    /* row 2 */
    {"row 2: only host timed out", "T", 1, 1, BYP},
    {"row 2: timeout then unreachable", "TU", 2, 1, BYP},
    {"row 2: unreachable then timeout", "UT", 2, 1, BYP},
    {"row 2: unreachable, timeout, unreachable", "UTU", 3, 1, BYP},
    {"row 2 disabled: tempfail", "TU", 2, 0, TF},
    /* row 3 */
    {"row 3: timeout, next host pending", "T", 2, 1, P},
    {"row 3: timeout then accepted", "TA", 2, 1, DEL},
    {"row 3: timeout then rejected", "TR", 2, 1, REJ},
    {"row 3: timeout then deferred", "TD", 2, 1, TF},
    {"row 3: timeout then busy", "TB", 2, 1, TF},
    {"row 3: timeout then TLS failed", "TS", 2, 1, TF},
    /* row 4 */
    {"row 4: two timeouts", "TT", 2, 1, TF},
    {"row 4: two timeouts and an unreachable", "TUT", 3, 1, TF},
    {"row 4: two timeouts, third host still tried", "TT", 3, 1, P},
    {"row 4: two timeouts, third accepts", "TTA", 3, 1, DEL},
    {"row 4: three timeouts", "TTT", 3, 1, TF},
    /* row 5 */
    {"row 5: deferred on first host, others left", "D", 3, 1, TF},
    {"row 5: unreachable then deferred", "UD", 2, 1, TF},
    /* row 6 */
    {"row 6: busy, next host pending", "B", 2, 1, P},
    {"row 6: busy then accepted", "BA", 2, 1, DEL},
    {"row 6: busy on only host", "B", 1, 1, TF},
    {"row 6: busy then unreachable", "BU", 2, 1, TF},
    {"row 6: unreachable then busy", "UB", 2, 1, TF},
    {"row 6: all busy", "BBB", 3, 1, TF},
    /* row 7 */
    {"row 7: rejected", "R", 1, 1, REJ},
    {"row 7: rejected with hosts left", "R", 3, 1, REJ},
    {"row 7: unreachable then rejected", "UR", 2, 1, REJ},
    {"row 7: busy then rejected", "BR", 2, 0, REJ},
    /* row 8 */
    {"row 8: TLS failed, next host pending", "S", 2, 1, P},
    {"row 8: TLS failed on only host", "S", 1, 1, TF},
    {"row 8: TLS failed then unreachable", "SU", 2, 1, TF},
    {"row 8: TLS failed then accepted", "SA", 2, 1, DEL},
    /* row 9 */
    {"row 9: accepted", "A", 1, 1, DEL},
    {"row 9: accepted, bypass disabled", "A", 1, 0, DEL},
    {"row 9: unreachable then accepted", "UA", 3, 1, DEL},
    /* row 10 */
    {"row 10: internal error", "I", 2, 1, TF},
    {"row 10: unreachable then internal", "UI", 2, 1, TF},
    {"row 10: zero hosts", "", 0, 1, TF},
    {"row 10: zero hosts, bypass disabled", "", 0, 0, TF},
    {"edge: nothing tried yet, one host", "", 1, 1, P},
    {"edge: NONE recorded as outcome", "N", 1, 1, TF},
    {"edge: NONE among unreachables", "UNU", 3, 1, TF},
    {"edge: more attempts than hosts, all unreachable", "UU", 1, 1, BYP},
    {"edge: more attempts than hosts, two timeouts", "TT", 1, 1, TF},
    {"edge: timeout, busy, unreachable", "TBU", 3, 1, TF},
    {"edge: TLS failed, timeout", "ST", 2, 1, TF},
};

/* letter_outcome - outcome for a test letter */
static dlp_outcome letter_outcome(char c) {
  switch (c) {
  case 'U':
    return DLP_OUTCOME_UNREACHABLE;
  case 'T':
    return DLP_OUTCOME_SESSION_TIMEOUT;
  case 'B':
    return DLP_OUTCOME_BUSY;
  case 'D':
    return DLP_OUTCOME_DEFERRED;
  case 'R':
    return DLP_OUTCOME_REJECTED;
  case 'S':
    return DLP_OUTCOME_TLS_FAILED;
  case 'A':
    return DLP_OUTCOME_ACCEPTED;
  case 'I':
    return DLP_OUTCOME_INTERNAL;
  default:
    return DLP_OUTCOME_NONE;
  }
}

/* test_names - every outcome and verdict has its log word */
static void test_names(void) {
  tap_ok(strcmp(dlp_outcome_name(DLP_OUTCOME_UNREACHABLE), "unreachable") == 0,
         "name: unreachable");
  tap_ok(strcmp(dlp_outcome_name(DLP_OUTCOME_SESSION_TIMEOUT),
                "session_timeout") == 0,
         "name: session_timeout");
  tap_ok(strcmp(dlp_outcome_name(DLP_OUTCOME_TLS_FAILED), "tls_failed") == 0,
         "name: tls_failed");
  tap_ok(strcmp(dlp_outcome_name(DLP_OUTCOME_ACCEPTED), "accepted") == 0,
         "name: accepted");
  tap_ok(strcmp(dlp_outcome_name((dlp_outcome)99), "unknown") == 0,
         "name: out-of-range outcome");
  tap_ok(strcmp(dlp_verdict_name(DLP_VERDICT_BYPASS), "bypass") == 0,
         "name: bypass");
  tap_ok(strcmp(dlp_verdict_name(DLP_VERDICT_DELIVERED), "delivered") == 0,
         "name: delivered");
  tap_ok(strcmp(dlp_verdict_name(DLP_VERDICT_TEMPFAIL), "tempfail") == 0,
         "name: tempfail");
  tap_ok(strcmp(dlp_verdict_name(DLP_VERDICT_REJECT), "reject") == 0,
         "name: reject");
}

/* test_prefixes - no prefix of a bypass sequence decides early */
static void test_prefixes(void) {
  static const dlp_outcome seq[] = {
      DLP_OUTCOME_UNREACHABLE, DLP_OUTCOME_SESSION_TIMEOUT,
      DLP_OUTCOME_UNREACHABLE, DLP_OUTCOME_UNREACHABLE};
  size_t n;
  int ok = 1;

  for (n = 0; n < 4; n++)
    ok &= dlp_verdict_decide(seq, n, 4, 1) == DLP_VERDICT_PENDING;
  tap_ok(ok, "prefixes of U T U U with 4 hosts are pending");
  tap_ok(dlp_verdict_decide(seq, 4, 4, 1) == DLP_VERDICT_BYPASS,
         "U T U U with 4 hosts is bypass");
  tap_ok(dlp_verdict_decide(NULL, 1, 1, 1) == DLP_VERDICT_TEMPFAIL,
         "NULL outcomes with ntried 1 is tempfail");
  tap_ok(dlp_verdict_decide(NULL, 0, 0, 1) == DLP_VERDICT_TEMPFAIL,
         "NULL outcomes, no hosts is tempfail");
}

/* test_rows - the row and reason word that decided, with the verdict */
static void test_rows(void) {
  static const struct {
    const char *tried;
    size_t nhosts;
    int bypass, row;
    const char *reason; /* NULL: pending */
  } rows[] = {
      {"UU", 2, 1, 1, "unreachable"},      {"UTU", 3, 1, 2, "session_timeout"},
      {"UU", 2, 0, 1, "disabled"},         {"TU", 2, 0, 2, "disabled"},
      {"TUT", 3, 1, 4, "session_timeout"}, {"TTU", 3, 1, 4, "unreachable"},
      {"UD", 3, 1, 5, "deferred"},         {"B", 1, 1, 6, "busy"},
      {"BU", 2, 1, 10, "unreachable"},     {"US", 2, 1, 8, "tls_failed"},
      {"TR", 2, 1, 7, "rejected"},         {"BA", 2, 1, 9, "accepted"},
      {"I", 2, 1, 10, "internal"},         {"N", 2, 1, 10, "none"},
      {"", 0, 1, 10, "internal"},          {"T", 2, 1, 0, NULL}};
  DLP_VERDICT_ROW why;
  dlp_outcome out[16];
  size_t i, j, n;
  dlp_verdict v;

  for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    n = strlen(rows[i].tried);
    for (j = 0; j < n; j++)
      out[j] = letter_outcome(rows[i].tried[j]);
    why.row = -1;
    why.reason = "x";
    v = dlp_verdict_decide_row(out, n, rows[i].nhosts, rows[i].bypass, &why);
    tap_ok(v == dlp_verdict_decide(out, n, rows[i].nhosts, rows[i].bypass) &&
               why.row == rows[i].row &&
               (rows[i].reason == NULL
                    ? why.reason == NULL
                    : why.reason != NULL &&
                          strcmp(why.reason, rows[i].reason) == 0),
           "row of %s/%zu bypass=%d: %d %s", rows[i].tried, rows[i].nhosts,
           rows[i].bypass, why.row, why.reason ? why.reason : "(pending)");
  }
}

int main(void) {
  size_t i, j;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    const struct vcase *c = &cases[i];
    dlp_outcome out[16];
    size_t n = strlen(c->tried);
    dlp_verdict got;

    for (j = 0; j < n; j++)
      out[j] = letter_outcome(c->tried[j]);
    got = dlp_verdict_decide(out, n, c->nhosts, c->bypass);
    if (!tap_ok(got == c->want, "%s [%s/%zu bypass=%d]", c->name, c->tried,
                c->nhosts, c->bypass))
      printf("#   got %s, want %s\n", dlp_verdict_name(got),
             dlp_verdict_name(c->want));
  }
  test_names();
  test_prefixes();
  test_rows();
  return tap_done();
}
