/*
 * mlfi_policy.h - the bypass policy (DESIGN.md 3a item 2, 5a, 6): the
 * never-bypass rules and the bypass budget decide whether a BYPASS of the
 * verdict table may stand or becomes TEMPFAIL.  Nothing else changes a
 * verdict; nothing here can turn any other verdict into a BYPASS.
 *
 * Contract:
 * - mlfi_policy_header() is called for every header field of a message
 *   (name and value as the client sent them); it says whether a
 *   bypass.never.headers rule matches it.  The milter remembers a match.
 * - mlfi_policy_bypass() is called once at end of message for a message
 *   whose verdict is BYPASS: NULL lets it stand (and counts it against
 *   the budget: one message, SIZE bytes), else the decision line's reason
 *   ("never-bypass:sender", "never-bypass:recipient",
 *   "never-bypass:header", "never-bypass:size", "budget-spent") and the
 *   message is tempfailed.
 * - mlfi_policy_scanned() is called when a DLP host took (or answered)
 *   a message: the bypass episode, if any, ends and the budget refills.
 *   mlfi_policy_host_up() is the same for a host the health state sees
 *   back.
 * - The operator's commands (control socket, issue 11):
 *   mlfi_budget_reset() refills the budget and ends the episode;
 *   mlfi_budget_close() spends it now (no bypass until a DLP host takes
 *   mail again or a reset); mlfi_budget_snapshot() describes it.
 * All functions are thread-safe.
 */
#ifndef MLFI_POLICY_H
#define MLFI_POLICY_H

#include "dlpbypass.h"

#include <sys/types.h>
#include <time.h>

/* mlfi_policy_start - load the budget state (before the first message) */
void mlfi_policy_start(const DLP_CONFIG *cfg);

/* mlfi_policy_stop - save the budget state (after the last message) */
void mlfi_policy_stop(void);

/* mlfi_policy_header - 1 when field NAME: VALUE matches a never rule */
int mlfi_policy_header(const DLP_CONFIG *cfg, const char *name,
                       const char *value);

/*
 * mlfi_policy_bypass - may the BYPASS of this message stand?  NULL (then
 * it is counted against the budget), or the reason it may not
 */
const char *mlfi_policy_bypass(const DLP_CONFIG *cfg, const char *from,
                               const char *const *rcpts, size_t nrcpt,
                               off_t size, int header_hit);

/*
 * mlfi_policy_refund - a bypass mlfi_policy_bypass() let stand (and
 * counted: one message, SIZE bytes) was refused after all (retro-scan
 * copy, stamp or audit record failed): it no longer counts.  A budget
 * that another message found spent in between stays spent (fail closed).
 */
void mlfi_policy_refund(off_t size);

/* mlfi_policy_scanned - a DLP host took a message: the episode ends */
void mlfi_policy_scanned(void);

/* mlfi_policy_host_up - the health state sees a host back: same */
void mlfi_policy_host_up(void);

/* The budget as the status command shows it. */
struct mlfi_budget_state {
  int in_episode;           /* a bypass episode is under way */
  time_t started;           /* its first bypass (wall clock), 0: none */
  unsigned long messages;   /* bypassed in this episode */
  unsigned long long bytes; /* their bytes */
  int spent;                /* no more bypass until it refills */
  const char *spent_by;     /* "max_duration", "max_messages",
                               "max_bytes", "operator", or NULL */
  long long left_seconds;   /* what is left of each limit; -1: none */
  long long left_messages;
  long long left_bytes;
};

/* mlfi_budget_snapshot - the budget now, under CFG's limits */
void mlfi_budget_snapshot(const DLP_CONFIG *cfg, struct mlfi_budget_state *st);

/* mlfi_budget_reset - operator: refill the budget, end the episode */
void mlfi_budget_reset(void);

/* mlfi_budget_close - operator: spend the budget now */
void mlfi_budget_close(void);

#endif /* MLFI_POLICY_H */
