/*
 * mlfi_decision.h - one message's decision, as everything that records
 * decisions sees it (the log line, the audit trail, the metrics).
 *
 * Contract: mlfi.c fills a struct mlfi_decision once per message, when
 * the decision is final and Postfix is about to be told, and calls
 * mlfi_decided() with it from the message's thread.  Everything in it is
 * borrowed for the duration of that call.  mlfi_decided() must not block
 * on anything slow (no network; an audit write is a local append).
 */
#ifndef MLFI_DECISION_H
#define MLFI_DECISION_H

#include "dlpbypass.h"

#include <sys/types.h>
#include <time.h>

struct mlfi_decision {
  const char *qid;          /* Postfix queue id, or "NOQUEUE" */
  unsigned long mid;        /* our number for the message (mid=) */
  struct timespec when;     /* CLOCK_REALTIME of the decision */
  const char *from;         /* envelope sender without <> */
  const char *const *rcpts; /* recipients that went on (nrcpt) */
  size_t nrcpt;
  const char *message_id;      /* Message-ID field value, or NULL */
  off_t size;                  /* bytes of the message as stored, -1: none */
  const unsigned char *sha256; /* 32 bytes of the content handed to the
                                  DLP (or that left unscanned), or NULL */
  dlp_verdict verdict;         /* what Postfix was told */
  const char *reason;          /* the decision line's reason= */
  const char *policy;          /* policy that changed the verdict
                                  ("budget-spent", "never-bypass:sender"),
                                  or NULL */
  int rescan;                  /* a retro-scan copy was queued */
  const DLP_RESULT *res;       /* the library's result (hosts tried,
                                  replies), or NULL */
  const DLP_REPLY *reply;      /* what Postfix was told, code 0: nothing */
  double delay;                /* seconds since MAIL */
  double dlp_time;             /* seconds spent talking to the DLP */
};

/*
 * mlfi_decided - D is final: hand it to the recorders (audit trail,
 * metrics).  Called once per message that reaches a decision.  Returns
 * 0, or -1 when D is a BYPASS that the audit trail could not record: it
 * must not happen (the caller tells Postfix TEMPFAIL instead, reason
 * internal:audit, and calls mlfi_decided again with that decision).
 */
int mlfi_decided(const struct mlfi_decision *d);

#endif /* MLFI_DECISION_H */
