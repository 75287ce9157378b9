/*
 * mlfi_rescan.h - the retro-scan copy of a bypassed message (DESIGN.md
 * 5a, 6): with bypass.rescan enabled, a message whose BYPASS stands gets
 * the rescan recipient (smfi_addrcpt) and the rescan header
 * ("X-DLP-Rescan: QUEUEID TIME REASON"), so that Postfix queues a copy
 * for the DLP hosts (postfix-conf/README.rescan) and holds it until a
 * host takes it.
 *
 * Contract: mlfi_rescan_add() is called at end of message, after the
 * policy let the bypass stand and before the bypass header is added.
 * Returns 1 when the copy was queued, 0 when retro-scan is off, -1 when
 * it could not be added (WHY says what): the message is then tempfailed,
 * never bypassed without its copy.
 */
#ifndef MLFI_RESCAN_H
#define MLFI_RESCAN_H

#include "dlpbypass.h"

#include <libmilter/mfapi.h>

/* mlfi_rescan_add - queue the retro-scan copy of the message of CTX */
int mlfi_rescan_add(SMFICTX *ctx, const DLP_CONFIG *cfg, const char *qid,
                    const char *reason, int leadspc, char *why, size_t len);

#endif /* MLFI_RESCAN_H */
