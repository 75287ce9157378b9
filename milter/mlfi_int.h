/*
 * mlfi_int.h - what the files of the milter callbacks share (mlfi.c: the
 * callbacks and the per-message state; mlfi_reply.c: turning a verdict
 * into the milter reply, with the policy, the retro-scan copy and the
 * header changes of a bypass).  Not for the rest of the program.
 */
#ifndef MLFI_INT_H
#define MLFI_INT_H

#include "mlfi.h"

#include <libmilter/mfapi.h>
#include <time.h>

#define MLFI_INTERNAL_DSN "4.3.0"
#define MLFI_NO_REASON "internal:unknown" /* a verdict without a reason */

/* One message (MAIL ... end of message or abort). */
struct mlfi_msg {
  DLP_CONFIG *cfg;       /* our reference, taken at MAIL */
  DLP_TXN *txn;          /* NULL once the message is refused */
  char qid[64];          /* Postfix queue id, macro {i} */
  const char *step;      /* the step under way, as dlpscan names it */
  unsigned long mid;     /* our number for it (mid=), unique per process */
  char *from;            /* envelope sender without <> */
  size_t nrcpt;          /* recipients that go on */
  char **rcpts;          /* those recipients without <> (nrcpt) */
  size_t rcpts_cap;      /* slots in rcpts */
  unsigned *nstrip;      /* per dlp_config_strip_header(cfg, i): fields
                            of that name the message brought */
  struct timespec start; /* CLOCK_MONOTONIC at MAIL */
  double dlp_secs;       /* time spent in dlp_txn_mail/rcpt/eom */
  int header_hit;        /* a header field matched a never-bypass rule */
  char *message_id;      /* audit (issue 11): the Message-ID, or NULL */
  int logged;            /* the decision line is written */
};

/* One milter connection. */
struct mlfi_conn {
  int leadspc;           /* header values keep their leading space */
  unsigned long noreply; /* SMFIP_NR_* negotiated: steps without a reply */
  struct mlfi_msg *msg;  /* the message in progress, or NULL */
};

/* A reply as handed to Postfix, for the log. */
struct mlfi_sent {
  dlp_verdict verdict; /* what Postfix was told */
  const char *reason;
  const char *policy; /* the policy that changed the verdict, or NULL */
  int rescan;         /* the retro-scan copy was queued */
  int charged;        /* the bypass was counted against the budget */
  off_t charged_size; /* with that size (refunded when refused later) */
  DLP_REPLY reply;    /* code 0: no reply text */
};

/* mlfi_setreply - hand REPLY to Postfix; failure is logged, not fatal */
void mlfi_setreply(SMFICTX *ctx, const struct mlfi_msg *msg,
                   const DLP_REPLY *reply);

/* mlfi_fix_reply - REPLY made fit for class C ('4' or '5') */
void mlfi_fix_reply(DLP_REPLY *out, const DLP_REPLY *in, char c);

/* mlfi_strip_index - where NAME is in MSG's strip list, or -1 */
int mlfi_strip_index(const struct mlfi_msg *msg, const char *name);

/* mlfi_bypass_refused - SENT becomes a 451 TEMPFAIL: REASON, TEXT */
sfsistat mlfi_bypass_refused(SMFICTX *ctx, const struct mlfi_msg *msg,
                             struct mlfi_sent *sent, const char *reason,
                             const char *text);

/*
 * mlfi_libstatus - the library's RESULT as a milter reply.  AT_EOM is
 * zero at MAIL/RCPT time, where DELIVERED and BYPASS only continue (they
 * are applied at end of message).  SENT says what Postfix was told.
 */
sfsistat mlfi_libstatus(SMFICTX *ctx, const struct mlfi_conn *conn,
                        const struct mlfi_msg *msg, const DLP_RESULT *res,
                        int at_eom, struct mlfi_sent *sent);

#endif /* MLFI_INT_H */
