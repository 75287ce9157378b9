/*
 * mlfi_decision.c - hands each final decision to the recorders.
 *
 * Contract: see mlfi_decision.h.  Each recorder is one call below, in a
 * fixed order; none may change the decision, except that the audit
 * trail refuses a bypass it cannot record (mlfi_decided returns -1).
 */
#include "config.h"

#include "mlfi_audit.h"
#include "mlfi_decision.h"
#include "mlfi_stats.h"

/* mlfi_decided - D is final: hand it to the recorders; 0, or -1 */
int mlfi_decided(const struct mlfi_decision *d) {
  /* audit (issue 11: audit trail): a bypass that cannot be recorded
     must not happen, and is not counted as one */
  if (mlfi_audit_record(d) < 0 && d->verdict == DLP_VERDICT_BYPASS)
    return -1;
  /* metrics (issue 11) */
  mlfi_stats_decided(d);
  return 0;
}
