/*
 * dlp_verdict.c - the verdict engine: DESIGN.md section 3, made exact.
 *
 * Contract:
 *   dlp_verdict_decide(outcomes, ntried, nhosts, bypass_enabled) is a pure
 *   function over the outcomes of the attempts so far (one per host tried,
 *   in order).  It returns DLP_VERDICT_PENDING while the caller must try
 *   the next host, otherwise the final verdict:
 *     ACCEPTED                     -> DELIVERED            (row 9)
 *     REJECTED                     -> REJECT               (row 7)
 *     DEFERRED                     -> TEMPFAIL at once     (row 5)
 *     INTERNAL, NONE, unknown      -> TEMPFAIL at once     (row 10)
 *     BUSY, TLS_FAILED             -> next host; at the end TEMPFAIL (6, 8)
 *     UNREACHABLE, SESSION_TIMEOUT -> next host (rows 1-4)
 *   Once every host has been tried (ntried >= nhosts):
 *     every host UNREACHABLE                        -> BYPASS (row 1)
 *     exactly one SESSION_TIMEOUT, others UNREACHABLE -> BYPASS (row 2)
 *     two or more SESSION_TIMEOUTs                  -> TEMPFAIL (row 4)
 *     anything else (BUSY, TLS_FAILED, no hosts)    -> TEMPFAIL (row 10)
 *   With bypass_enabled zero, rows 1 and 2 give TEMPFAIL.
 *   dlp_verdict_decide_row() gives the same verdict and the row that
 *   decided it with its reason word (DLP_RESULT.reason): accepted (9),
 *   rejected (7), deferred (5), unreachable (1), session_timeout (2),
 *   disabled (1 or 2 with bypass off), and for every other TEMPFAIL the
 *   name of the outcome that ended it (the last host's once every host
 *   was tried: rows 4, 6, 8, 10); PENDING has row 0 and no reason.
 *   dlp_outcome_name() and dlp_verdict_name() give the words used in logs
 *   and results; both return "unknown" for values out of range.
 */
#include "config.h"

#include "dlp_private.h"

/* dlp_outcome_name - the log word of an outcome */
const char *dlp_outcome_name(dlp_outcome outcome) {
  switch (outcome) {
  case DLP_OUTCOME_NONE:
    return "none";
  case DLP_OUTCOME_UNREACHABLE:
    return "unreachable";
  case DLP_OUTCOME_SESSION_TIMEOUT:
    return "session_timeout";
  case DLP_OUTCOME_BUSY:
    return "busy";
  case DLP_OUTCOME_DEFERRED:
    return "deferred";
  case DLP_OUTCOME_REJECTED:
    return "rejected";
  case DLP_OUTCOME_TLS_FAILED:
    return "tls_failed";
  case DLP_OUTCOME_ACCEPTED:
    return "accepted";
  case DLP_OUTCOME_INTERNAL:
    return "internal";
  }
  return "unknown";
}

/* dlp_verdict_name - the log word of a verdict */
const char *dlp_verdict_name(dlp_verdict verdict) {
  switch (verdict) {
  case DLP_VERDICT_PENDING:
    return "pending";
  case DLP_VERDICT_DELIVERED:
    return "delivered";
  case DLP_VERDICT_BYPASS:
    return "bypass";
  case DLP_VERDICT_TEMPFAIL:
    return "tempfail";
  case DLP_VERDICT_REJECT:
    return "reject";
  }
  return "unknown";
}

/* verdict_row - fill *WHY (may be NULL) with ROW and REASON; returns V */
static dlp_verdict verdict_row(DLP_VERDICT_ROW *why, dlp_verdict v, int row,
                               const char *reason) {
  if (why != NULL) {
    why->row = row;
    why->reason = reason;
  }
  return v;
}

/* verdict_end_row - the row of a TEMPFAIL once every host was tried */
static int verdict_end_row(dlp_outcome last, size_t timeouts) {
  if (timeouts >= 2)
    return 4;
  return last == DLP_OUTCOME_BUSY ? 6 : last == DLP_OUTCOME_TLS_FAILED ? 8 : 10;
}

/* dlp_verdict_decide_row - the verdict table, and the row that decided */
dlp_verdict dlp_verdict_decide_row(const dlp_outcome *outcomes, size_t ntried,
                                   size_t nhosts, int bypass_enabled,
                                   DLP_VERDICT_ROW *why) {
  size_t i, unreachable = 0, timeouts = 0;
  const char *last;

  if (ntried > 0 && outcomes == NULL)
    return verdict_row(why, DLP_VERDICT_TEMPFAIL, 10, "internal");
  for (i = 0; i < ntried; i++) {
    switch (outcomes[i]) {
    case DLP_OUTCOME_ACCEPTED:
      return verdict_row(why, DLP_VERDICT_DELIVERED, 9, "accepted");
    case DLP_OUTCOME_REJECTED:
      return verdict_row(why, DLP_VERDICT_REJECT, 7, "rejected");
    case DLP_OUTCOME_UNREACHABLE:
      unreachable++;
      break;
    case DLP_OUTCOME_SESSION_TIMEOUT:
      timeouts++;
      break;
    case DLP_OUTCOME_BUSY:
    case DLP_OUTCOME_TLS_FAILED:
      break; /* rows 6 and 8: try the next host */
    case DLP_OUTCOME_DEFERRED:
      return verdict_row(why, DLP_VERDICT_TEMPFAIL, 5, "deferred");
    case DLP_OUTCOME_INTERNAL:
    case DLP_OUTCOME_NONE:
    default: /* row 10 */
      return verdict_row(why, DLP_VERDICT_TEMPFAIL, 10,
                         dlp_outcome_name(outcomes[i]));
    }
  }
  if (ntried < nhosts) /* rows 3, 6, 8: the next host decides */
    return verdict_row(why, DLP_VERDICT_PENDING, 0, NULL);
  if (ntried == 0) /* no hosts at all: fail closed */
    return verdict_row(why, DLP_VERDICT_TEMPFAIL, 10, "internal");
  if (unreachable == ntried || (timeouts == 1 && unreachable + 1 == ntried)) {
    if (!bypass_enabled) /* rows 1 and 2 would have been a bypass */
      return verdict_row(why, DLP_VERDICT_TEMPFAIL, timeouts ? 2 : 1,
                         "disabled");
    return verdict_row(why, DLP_VERDICT_BYPASS, timeouts ? 2 : 1,
                       timeouts ? "session_timeout" : "unreachable");
  }
  /* row 4, and rows 6/8 at the end: the last host's outcome is the story */
  last = dlp_outcome_name(outcomes[ntried - 1]);
  return verdict_row(why, DLP_VERDICT_TEMPFAIL,
                     verdict_end_row(outcomes[ntried - 1], timeouts), last);
}

/* dlp_verdict_decide - the verdict table over the outcomes so far */
dlp_verdict dlp_verdict_decide(const dlp_outcome *outcomes, size_t ntried,
                               size_t nhosts, int bypass_enabled) {
  return dlp_verdict_decide_row(outcomes, ntried, nhosts, bypass_enabled, NULL);
}
