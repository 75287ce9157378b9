/*
 * dlp_config_balance.c - the configuration of load balancing (issue 15):
 * dlp.balance, dlp.balance_slow_start and each server's weight and
 * priority (the key table in dlp_config_keys.c checks types and ranges).
 *
 * Contract:
 *   dlp_config_check_balance(v) - NULL when V names a policy ("ordered",
 *     "round-robin", "least-loaded"), else what is wrong;
 *   dlp_config_balance_copy(c, cfg) - the values or their defaults into
 *     CFG (ordered, slow start 5 s, weight 1, priority 0); 0 (it cannot
 *     fail: the servers are already copied);
 *   dlp_config_balance_check(ld, c, cfg) - with more than one priority
 *     group, a message whose hosts all drop SYNs must still reach the
 *     last group's connect inside the session deadline (verdict row 1):
 *     each group costs connect_timeout plus the stagger of its other
 *     hosts (a whole connect_timeout each when the stagger is off);
 *     0, or -1 with "FILE:LINE: ..." at the deadline's (or the
 *     timeout's) line.
 */
#include "config.h"

#include "dlp_balance.h"
#include "dlp_config_int.h"

#include <stdio.h>

#define CFG_DEFAULT_SLOW_START 5 /* seconds */

/* dlp_config_check_balance - a known dlp.balance policy */
const char *dlp_config_check_balance(const char *v) {
  return dlp_balance_policy_of(v) < 0
             ? "is not one of ordered, round-robin, least-loaded"
             : NULL;
}

/* dlp_config_balance_copy - dlp.balance* and the servers' weights */
int dlp_config_balance_copy(const config_t *c, DLP_CONFIG *cfg) {
  const config_setting_t *list = config_lookup(c, "dlp.servers");
  const char *name = "ordered";
  long long v;
  size_t i;

  config_lookup_string(c, "dlp.balance", &name);
  cfg->balance = dlp_balance_policy_of(name);
  if (cfg->balance < 0)
    cfg->balance = DLP_BALANCE_ORDERED; /* checked before: not reached */
  cfg->balance_slow_start = CFG_DEFAULT_SLOW_START;
  if (config_lookup_int64(c, "dlp.balance_slow_start", &v))
    cfg->balance_slow_start = (int)v;
  for (i = 0; i < cfg->nservers; i++) {
    const config_setting_t *e =
        list != NULL ? config_setting_get_elem(list, (unsigned)i) : NULL;

    cfg->servers[i].weight = 1;
    cfg->servers[i].priority = 0;
    if (e != NULL && config_setting_lookup_int64(e, "weight", &v))
      cfg->servers[i].weight = (unsigned)v;
    if (e != NULL && config_setting_lookup_int64(e, "priority", &v))
      cfg->servers[i].priority = (int)v;
  }
  return 0;
}

/* dlp_config_balance_check - every group's connect fits the deadline */
int dlp_config_balance_check(struct cfg_loader *ld, const config_t *c,
                             const DLP_CONFIG *cfg) {
  const config_setting_t *at = config_lookup(c, "dlp.session_deadline");
  long long c_ms = (long long)cfg->connect_timeout * 1000, need = 0, step;
  size_t i, j, groups = 0;

  step = cfg->connect_stagger_ms > 0 && cfg->connect_stagger_ms < c_ms
             ? cfg->connect_stagger_ms
             : c_ms;
  for (i = 0; i < cfg->nservers; i++) {
    for (j = 0; j < i; j++)
      if (cfg->servers[j].priority == cfg->servers[i].priority)
        break;
    need += j < i ? step : c_ms; /* a new group: a whole connect */
    groups += j == i;
  }
  if (groups < 2 || need <= (long long)cfg->session_deadline * 1000)
    return 0;
  if (at == NULL)
    at = config_lookup(c, "dlp.connect_timeout");
  return dlp_cfg_fail(
      ld, at,
      "dlp.session_deadline (%d s) is shorter than the %lld ms that %zu "
      "priority groups of dlp.servers need when every host drops SYNs "
      "(dlp.connect_timeout %d s per group, plus the stagger of the other "
      "hosts of each): the last group would be cut short (verdict row 1 "
      "unreachable)",
      cfg->session_deadline, need, groups, cfg->connect_timeout);
}
