/*
 * mlfi_rescan.c - the retro-scan copy of a bypassed message
 * (mlfi_rescan.h, DESIGN.md 5a and 6, postfix-conf/README.rescan).
 *
 * Contract: see mlfi_rescan.h.  With bypass.rescan enabled,
 * mlfi_rescan_add() adds the envelope recipient bypass.rescan.recipient
 * (smfi_addrcpt: the MTA must have offered SMFIF_ADDRCPT) and the header
 * field "HEADER: QUEUEID TIME REASON" (smfi_addheader), TIME in ISO 8601
 * UTC ("2026-12-01T13:05:02Z"), REASON the verdict's reason
 * ("unreachable", "session_timeout").  Postfix then queues one copy for
 * the rescan recipient, which the shipped transport_maps route to the
 * DLP hosts only, next to the copies for the original recipients.  The
 * header is added before mlfi_stamp() deletes the sender's fields of the
 * same name: smfi_addheader appends, so the indices of those deletions
 * still count the sender's fields only.  Returns 1 (copy queued), 0
 * (retro-scan off) or -1 with the reply text in WHY: the caller
 * tempfails the message, and Postfix drops every change made so far.
 */
#include "config.h"

#include "mlfi_rescan.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* rescan_word - SRC with anything but printable non-space ASCII as '?' */
static const char *rescan_word(const char *src, char *buf, size_t len) {
  size_t i;

  for (i = 0; src[i] != '\0' && i + 1 < len; i++)
    buf[i] = (src[i] > 0x20 && src[i] < 0x7f) ? src[i] : '?';
  buf[i] = '\0';
  return i > 0 ? buf : "-";
}

/* mlfi_rescan_add - queue the retro-scan copy of the message of CTX */
int mlfi_rescan_add(SMFICTX *ctx, const DLP_CONFIG *cfg, const char *qid,
                    const char *reason, int leadspc, char *why, size_t len) {
  char rcpt[300], name[256], value[256], when[32], q[64], r[64];
  struct timespec now;
  struct tm tm;

  if (!dlp_config_rescan_enabled(cfg))
    return 0;
  snprintf(rcpt, sizeof(rcpt), "<%s>", dlp_config_rescan_recipient(cfg));
  if (smfi_addrcpt(ctx, rcpt) != MI_SUCCESS) {
    snprintf(why, len,
             "DLP filter: cannot add the retro-scan recipient (the MTA "
             "does not allow adding recipients?)");
    return -1;
  }
  clock_gettime(CLOCK_REALTIME, &now);
  gmtime_r(&now.tv_sec, &tm);
  strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
  snprintf(name, sizeof(name), "%s", dlp_config_rescan_header(cfg));
  snprintf(value, sizeof(value), "%s%s %s %s", leadspc ? " " : "",
           rescan_word(qid, q, sizeof(q)), when,
           rescan_word(reason, r, sizeof(r)));
  if (smfi_addheader(ctx, name, value) != MI_SUCCESS) {
    snprintf(why, len, "DLP filter: cannot add the %s header", name);
    return -1;
  }
  return 1;
}
