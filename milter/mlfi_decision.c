/*
 * mlfi_decision.c - hands each final decision to the recorders.
 *
 * Contract: see mlfi_decision.h.  Each recorder is one call below, in a
 * fixed order; none may change the decision.
 */
#include "config.h"

#include "mlfi_decision.h"
#include "mlfi_stats.h"

/* mlfi_decided - D is final: hand it to the recorders */
void mlfi_decided(const struct mlfi_decision *d) {
  /* recorders: audit trail (issue 11), metrics (issue 11) */
  mlfi_stats_decided(d);
}
