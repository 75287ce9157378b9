/*
 * mlfi_rescan.c - the retro-scan copy of a bypassed message
 * (mlfi_rescan.h).
 *
 * Contract: see mlfi_rescan.h.  Until bypass.rescan exists (issue 10),
 * retro-scan is off.
 */
#include "config.h"

#include "mlfi_rescan.h"

/* mlfi_rescan_add - queue the retro-scan copy of the message of CTX */
int mlfi_rescan_add(SMFICTX *ctx, const DLP_CONFIG *cfg, const char *qid,
                    const char *reason, int leadspc, char *why, size_t len) {
  (void)ctx;
  (void)cfg;
  (void)qid;
  (void)reason;
  (void)leadspc;
  (void)why;
  (void)len;
  return 0;
}
