/*
 * dlp_config_audit.c - the audit group of the configuration (issue 11:
 * the tamper-evident audit trail).
 *
 * Contract:
 *   audit.file   absolute path of the JSON-lines trail; unset: no trail
 *   audit.what   "all" (a line per decision, the default) or "bypass"
 *   audit.fsync  "always" (fdatasync after each line, before Postfix is
 *                told: the default), "bypass" (only after bypass lines,
 *                the ones that must not be lost) or "never" (the kernel
 *                writes back when it likes)
 *   dlp_config_check_audit_file/_what/_fsync() are the key table's string
 *   checks: NULL when the value is fine, else what is wrong with it.
 *   dlp_config_copy_audit() copies the (checked) values or their defaults
 *   into the configuration: 0, or -1 (ENOMEM).
 *   dlp_config_audit_file() ... dlp_config_audit_fsync() read them.
 */
#include "config.h"

#include "dlp_private.h"

#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

static const char *const audit_what_names[] = {"all", "bypass"};
static const char *const audit_fsync_names[] = {"always", "bypass", "never"};

/* audit_lookup - index of V in NAMES (N of them), or -1 */
static int audit_lookup(const char *v, const char *const *names, size_t n) {
  size_t i;

  for (i = 0; i < n; i++)
    if (strcmp(v, names[i]) == 0)
      return (int)i;
  return -1;
}

/* dlp_config_check_audit_file - an absolute path, no control characters */
const char *dlp_config_check_audit_file(const char *v) {
  if (v[0] != '/' || v[1] == '\0')
    return "is not an absolute file name";
  for (; *v; v++)
    if ((unsigned char)*v < ' ' || (unsigned char)*v == 0x7f)
      return "contains a control character";
  return NULL;
}

/* dlp_config_check_audit_what - "all" or "bypass" */
const char *dlp_config_check_audit_what(const char *v) {
  return audit_lookup(v, audit_what_names, 2) < 0 ? "is not one of all, bypass"
                                                  : NULL;
}

/* dlp_config_check_audit_fsync - "always", "bypass" or "never" */
const char *dlp_config_check_audit_fsync(const char *v) {
  return audit_lookup(v, audit_fsync_names, 3) < 0
             ? "is not one of always, bypass, never"
             : NULL;
}

/* dlp_config_copy_audit - the audit group of C into CFG; 0 or -1 */
int dlp_config_copy_audit(const struct config_t *c, struct dlp_config *cfg) {
  const char *v = NULL;

  cfg->audit_what = DLP_AUDIT_ALL;
  cfg->audit_fsync = DLP_AUDIT_FSYNC_ALWAYS;
  if (config_lookup_string(c, "audit.what", &v))
    cfg->audit_what = audit_lookup(v, audit_what_names, 2);
  if (config_lookup_string(c, "audit.fsync", &v))
    cfg->audit_fsync = audit_lookup(v, audit_fsync_names, 3);
  if (!config_lookup_string(c, "audit.file", &v))
    return 0;
  return (cfg->audit_file = strdup(v)) == NULL ? -1 : 0;
}

/* dlp_config_audit_file - audit.file, or NULL */
const char *dlp_config_audit_file(const DLP_CONFIG *cfg) {
  return cfg->audit_file;
}

/* dlp_config_audit_what - audit.what */
dlp_audit_what dlp_config_audit_what(const DLP_CONFIG *cfg) {
  return (dlp_audit_what)cfg->audit_what;
}

/* dlp_config_audit_fsync - audit.fsync */
dlp_audit_fsync dlp_config_audit_fsync(const DLP_CONFIG *cfg) {
  return (dlp_audit_fsync)cfg->audit_fsync;
}
