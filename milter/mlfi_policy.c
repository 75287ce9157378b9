/*
 * mlfi_policy.c - the bypass policy (mlfi_policy.h).
 *
 * Contract: see mlfi_policy.h.  Until the never-bypass rules and the
 * budget exist (issue 10), every BYPASS stands and there is no episode.
 */
#include "config.h"

#include "mlfi_policy.h"

#include <string.h>

/* mlfi_policy_start - load the budget state */
void mlfi_policy_start(const DLP_CONFIG *cfg) {
  (void)cfg;
}

/* mlfi_policy_stop - save the budget state */
void mlfi_policy_stop(void) {}

/* mlfi_policy_header - 1 when field NAME: VALUE matches a never rule */
int mlfi_policy_header(const DLP_CONFIG *cfg, const char *name,
                       const char *value) {
  (void)cfg;
  (void)name;
  (void)value;
  return 0;
}

/* mlfi_policy_bypass - may the BYPASS of this message stand? */
const char *mlfi_policy_bypass(const DLP_CONFIG *cfg, const char *from,
                               const char *const *rcpts, size_t nrcpt,
                               off_t size, int header_hit) {
  (void)cfg;
  (void)from;
  (void)rcpts;
  (void)nrcpt;
  (void)size;
  (void)header_hit;
  return NULL;
}

/* mlfi_policy_scanned - a DLP host took a message: the episode ends */
void mlfi_policy_scanned(void) {}

/* mlfi_policy_host_up - the health state sees a host back */
void mlfi_policy_host_up(void) {}

/* mlfi_budget_snapshot - the budget now */
void mlfi_budget_snapshot(const DLP_CONFIG *cfg, struct mlfi_budget_state *st) {
  (void)cfg;
  memset(st, 0, sizeof(*st));
  st->left_seconds = st->left_messages = st->left_bytes = -1;
}

/* mlfi_budget_reset - operator: refill the budget, end the episode */
void mlfi_budget_reset(void) {}

/* mlfi_budget_close - operator: spend the budget now */
void mlfi_budget_close(void) {}
