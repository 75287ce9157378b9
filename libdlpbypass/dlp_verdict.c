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

/* dlp_verdict_decide - the verdict table over the outcomes so far */
dlp_verdict dlp_verdict_decide(const dlp_outcome *outcomes, size_t ntried,
                               size_t nhosts, int bypass_enabled) {
  size_t i, unreachable = 0, timeouts = 0;

  if (ntried > 0 && outcomes == NULL)
    return DLP_VERDICT_TEMPFAIL;
  for (i = 0; i < ntried; i++) {
    switch (outcomes[i]) {
    case DLP_OUTCOME_ACCEPTED:
      return DLP_VERDICT_DELIVERED;
    case DLP_OUTCOME_REJECTED:
      return DLP_VERDICT_REJECT;
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
    case DLP_OUTCOME_INTERNAL:
    case DLP_OUTCOME_NONE:
    default:
      return DLP_VERDICT_TEMPFAIL; /* rows 5 and 10 */
    }
  }
  if (ntried < nhosts)
    return DLP_VERDICT_PENDING; /* rows 3, 6, 8: the next host decides */
  if (ntried == 0)
    return DLP_VERDICT_TEMPFAIL; /* no hosts at all: fail closed */
  if (unreachable == ntried || (timeouts == 1 && unreachable + 1 == ntried))
    return bypass_enabled ? DLP_VERDICT_BYPASS : DLP_VERDICT_TEMPFAIL;
  return DLP_VERDICT_TEMPFAIL; /* row 4, and rows 6/8 at the end */
}
