/*
 * mlfi_reply.c - a verdict of the library as the milter's reply to
 * Postfix (the mapping of DESIGN.md section 4), in one place:
 *   DELIVERED -> SMFIS_DISCARD
 *   BYPASS    -> the policy may refuse it (TEMPFAIL, its reason); else
 *                the retro-scan copy queued, the stripped fields
 *                deleted, the bypass header added, SMFIS_ACCEPT; any
 *                failure there is a TEMPFAIL
 *   TEMPFAIL  -> 4xx reply, SMFIS_TEMPFAIL
 *   REJECT    -> the DLP's 5xx reply, SMFIS_REJECT
 *   anything else -> 451 4.3.0 TEMPFAIL (internal:verdict).
 * Replies are made fit for their class and '%'-escaped for
 * smfi_setreply; Postfix's smtp client (dlpscan) adds "(in reply to STEP
 * command)" itself, so when the library's reply answered the step under
 * way (DLP_RESULT.step) Postfix is handed the text without it
 * (DLP_RESULT.said); the log keeps the whole text.
 */
#include "config.h"

#include "mlfi_int.h"
#include "mlfi_policy.h"
#include "mlfi_rescan.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

/* mlfi_setreply - hand REPLY to Postfix; failure is logged, not fatal */
void mlfi_setreply(SMFICTX *ctx, const struct mlfi_msg *msg,
                   const DLP_REPLY *reply) {
  char code[8], dsn[sizeof(reply->dsn)], text[2 * DLP_REPLY_TEXT_MAX + 2];

  snprintf(code, sizeof(code), "%d", reply->code);
  snprintf(dsn, sizeof(dsn), "%s", reply->dsn);
  dlp_reply_escape_percent(reply->text, text, sizeof(text));
  if (smfi_setreply(ctx, code, dsn, text) != MI_SUCCESS)
    mlfi_log(LOG_WARNING, "%s: smfi_setreply(%s %s %s) failed",
             msg != NULL ? msg->qid : "NOQUEUE", code, dsn, text);
}

/* mlfi_fix_reply - REPLY made fit for class C ('4' or '5') */
void mlfi_fix_reply(DLP_REPLY *out, const DLP_REPLY *in, char c) {
  *out = *in;
  if (out->code / 100 != c - '0')
    out->code = c == '4' ? 451 : 550;
  if (out->dsn[0] != c || out->dsn[1] != '.')
    snprintf(out->dsn, sizeof(out->dsn), "%s",
             c == '4' ? MLFI_INTERNAL_DSN : "5.7.1");
  if (out->text[0] == '\0')
    snprintf(out->text, sizeof(out->text), "%s",
             c == '4' ? "DLP filter: try again later" : "DLP filter: rejected");
}

/* mlfi_strip_index - where NAME is in MSG's strip list, or -1 */
int mlfi_strip_index(const struct mlfi_msg *msg, const char *name) {
  const char *strip;
  size_t i;

  for (i = 0; (strip = dlp_config_strip_header(msg->cfg, i)) != NULL; i++)
    if (strcasecmp(name, strip) == 0)
      return (int)i;
  return -1;
}

/*
 * mlfi_strip - delete from Postfix's copy every field of MSG's strip list
 * that the message brought (per name, the last first); 0, or -1 with the
 * name that could not be deleted in *FAILED
 */
static int mlfi_strip(SMFICTX *ctx, const struct mlfi_msg *msg,
                      const char **failed) {
  const char *strip;
  char name[256];
  size_t i;
  unsigned j;

  for (i = 0; (strip = dlp_config_strip_header(msg->cfg, i)) != NULL; i++) {
    snprintf(name, sizeof(name), "%s", strip);
    for (j = msg->nstrip[i]; j > 0; j--)
      if (smfi_chgheader(ctx, name, (int)j, NULL) != MI_SUCCESS) {
        *failed = strip;
        return -1;
      }
  }
  return 0;
}

/*
 * mlfi_stamp - the modifications of a bypass: the stripped fields deleted,
 * then our own bypass header added; 0, or -1 with what failed in WHY
 */
static int mlfi_stamp(SMFICTX *ctx, const struct mlfi_conn *conn,
                      const struct mlfi_msg *msg, const char *reason, char *why,
                      size_t len) {
  char name[256], value[64];
  const char *failed = NULL;

  if (mlfi_strip(ctx, msg, &failed) < 0) {
    snprintf(why, len, "DLP filter: cannot delete the %s header", failed);
    return -1;
  }
  snprintf(name, sizeof(name), "%s", dlp_config_bypass_header(msg->cfg));
  snprintf(value, sizeof(value), "%s%s", conn->leadspc ? " " : "",
           reason[0] ? reason : "bypass");
  if (smfi_addheader(ctx, name, value) != MI_SUCCESS) {
    snprintf(why, len, "DLP filter: cannot add the %s header", name);
    return -1;
  }
  return 0;
}

/* mlfi_bypass_refused - SENT becomes a 451 TEMPFAIL: REASON, TEXT */
sfsistat mlfi_bypass_refused(SMFICTX *ctx, const struct mlfi_msg *msg,
                             struct mlfi_sent *sent, const char *reason,
                             const char *text) {
  if (sent->charged) { /* it was counted as a bypass: not any more */
    mlfi_policy_refund(sent->charged_size);
    sent->charged = 0;
  }
  sent->verdict = DLP_VERDICT_TEMPFAIL;
  sent->reason = reason;
  sent->reply.code = 451;
  snprintf(sent->reply.dsn, sizeof(sent->reply.dsn), MLFI_INTERNAL_DSN);
  if (text != sent->reply.text)
    snprintf(sent->reply.text, sizeof(sent->reply.text), "%s", text);
  mlfi_setreply(ctx, msg, &sent->reply);
  return SMFIS_TEMPFAIL;
}

/*
 * mlfi_bypass - a BYPASS at end of message: the policy may refuse it
 * (TEMPFAIL, reason the policy's), then the retro-scan copy is queued
 * and the message stamped; any failure there is a TEMPFAIL (never
 * deliver unstamped, nor without the copy retro-scan asks for)
 */
static sfsistat mlfi_bypass(SMFICTX *ctx, const struct mlfi_conn *conn,
                            const struct mlfi_msg *msg, const DLP_RESULT *res,
                            struct mlfi_sent *sent) {
  off_t size = dlp_body_size(dlp_txn_body(msg->txn));
  const char *policy;
  char text[DLP_REPLY_TEXT_MAX + 1];
  int rc;

  policy = mlfi_policy_bypass(msg->cfg, msg->from != NULL ? msg->from : "",
                              (const char *const *)msg->rcpts, msg->nrcpt, size,
                              msg->header_hit);
  if (policy != NULL) {
    sent->policy = policy;
    snprintf(text, sizeof(text),
             "DLP filter: no DLP host took the message and bypass is not "
             "allowed (%s)",
             policy);
    return mlfi_bypass_refused(ctx, msg, sent, policy, text);
  }
  sent->charged = 1;
  sent->charged_size = size;
  rc = mlfi_rescan_add(ctx, msg->cfg, msg->qid, res->reason, conn->leadspc,
                       sent->reply.text, sizeof(sent->reply.text));
  if (rc < 0)
    return mlfi_bypass_refused(ctx, msg, sent, "internal:rescan",
                               sent->reply.text);
  sent->rescan = rc > 0;
  if (mlfi_stamp(ctx, conn, msg, res->reason, sent->reply.text,
                 sizeof(sent->reply.text)) < 0)
    return mlfi_bypass_refused(ctx, msg, sent, "internal:header",
                               sent->reply.text);
  return SMFIS_ACCEPT;
}

/*
 * mlfi_lib_setreply - hand SENT's reply for RES to Postfix: the text
 * without the step when RES's reply answered the step under way
 */
static void mlfi_lib_setreply(SMFICTX *ctx, const struct mlfi_msg *msg,
                              const DLP_RESULT *res,
                              const struct mlfi_sent *sent) {
  DLP_REPLY reply = sent->reply;

  if (msg != NULL && msg->step != NULL && res->said[0] != '\0' &&
      strcmp(res->step, msg->step) == 0)
    snprintf(reply.text, sizeof(reply.text), "%s", res->said);
  mlfi_setreply(ctx, msg, &reply);
}

/*
 * mlfi_libstatus - the library's RESULT as a milter reply.  AT_EOM is
 * zero at MAIL/RCPT time, where DELIVERED and BYPASS only continue (they
 * are applied at end of message).  SENT says what Postfix was told.
 */
sfsistat mlfi_libstatus(SMFICTX *ctx, const struct mlfi_conn *conn,
                        const struct mlfi_msg *msg, const DLP_RESULT *res,
                        int at_eom, struct mlfi_sent *sent) {
  memset(sent, 0, sizeof(*sent));
  sent->verdict = res->verdict;
  sent->reason = res->reason[0] ? res->reason : MLFI_NO_REASON;
  switch (res->verdict) {
  case DLP_VERDICT_DELIVERED:
    return at_eom ? SMFIS_DISCARD : SMFIS_CONTINUE;
  case DLP_VERDICT_BYPASS:
    return at_eom ? mlfi_bypass(ctx, conn, msg, res, sent) : SMFIS_CONTINUE;
  case DLP_VERDICT_REJECT:
    mlfi_fix_reply(&sent->reply, &res->reply, '5');
    mlfi_lib_setreply(ctx, msg, res, sent);
    return SMFIS_REJECT;
  case DLP_VERDICT_TEMPFAIL:
    mlfi_fix_reply(&sent->reply, &res->reply, '4');
    mlfi_lib_setreply(ctx, msg, res, sent);
    return SMFIS_TEMPFAIL;
  default: /* PENDING where a verdict is due: fail closed */
    sent->verdict = DLP_VERDICT_TEMPFAIL;
    sent->reason = "internal:verdict";
    mlfi_fix_reply(&sent->reply, &res->reply, '4');
    snprintf(sent->reply.dsn, sizeof(sent->reply.dsn), MLFI_INTERNAL_DSN);
    mlfi_setreply(ctx, msg, &sent->reply);
    return SMFIS_TEMPFAIL;
  }
}
