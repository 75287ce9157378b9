/*
 * dlp_config_rescan.c - bypass.rescan: the retro-scan settings of the
 * configuration (DESIGN.md 5a, issue 10).
 *
 * Contract:
 *   dlp_config_check_address(v) is the key table's check of
 *   bypass.rescan.recipient: NULL when V looks like a mail address
 *   (local@domain, printable ASCII, no spaces, quotes or angle
 *   brackets, a domain of host name characters or a [literal]), else
 *   what is wrong with it.
 *   dlp_config_rescan_check(c, path, err, errlen) runs after the key
 *   table's checks: bypass.rescan.enabled = true needs a recipient, and
 *   bypass.rescan.header must not be bypass.header; 0, or -1 with
 *   "FILE:LINE: what is wrong" in ERR.
 *   dlp_config_rescan_copy(c, cfg) copies the settings (header default
 *   "X-DLP-Rescan") and puts the rescan header on the strip list
 *   (cfg->strip_headers, no duplicates in any case), so that a sender
 *   cannot forge it; 0, or -1 (ENOMEM).
 *   dlp_config_rescan_enabled() ... dlp_config_rescan_header() are the
 *   read accessors (dlpbypass.h).
 */
#include "config.h"

#include "dlp_private.h"

#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RESCAN_DEFAULT_HEADER "X-DLP-Rescan"
#define RESCAN_ADDR_MAX 254 /* RFC 5321 path limit, without <> */

/* rescan_domain_ok - a host name (letters, digits, '-', '.') or [literal] */
static const char *rescan_domain_ok(const char *d) {
  size_t n = strlen(d);
  const char *p;

  if (n == 0)
    return "has no domain after '@'";
  if (d[0] == '[')
    return d[n - 1] == ']' && n > 2 ? NULL : "has a bad address literal";
  if (d[0] == '.' || d[n - 1] == '.' || strstr(d, "..") != NULL)
    return "has an empty label in its domain";
  for (p = d; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
          (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
      return "has a character that no domain name has";
  return NULL;
}

/* dlp_config_check_address - NULL when V looks like local@domain */
const char *dlp_config_check_address(const char *v) {
  const char *at = strrchr(v, '@'), *p;

  if (*v == 0)
    return "must not be empty";
  if (strlen(v) > RESCAN_ADDR_MAX)
    return "is longer than 254 characters";
  for (p = v; *p; p++)
    if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
        strchr("<>\"(),;:\\", *p) != NULL)
      return "is not a plain address local@domain (a space, a control, a "
             "non-ASCII character or one of <>\"(),;:\\)";
  if (at == NULL || at == v)
    return "is not an address local@domain";
  if (strchr(v, '@') != at)
    return "has more than one '@'";
  return rescan_domain_ok(at + 1);
}

/* rescan_fail - "FILE:LINE: message" at setting S; -1 */
static int rescan_fail(const config_setting_t *s, const char *path, char *err,
                       size_t errlen, const char *msg) {
  const char *file = path;
  unsigned line = 0;

  for (; s != NULL && line == 0; s = config_setting_parent(s)) {
    line = config_setting_source_line(s);
    if (config_setting_source_file(s) != NULL)
      file = config_setting_source_file(s);
  }
  snprintf(err, errlen, "%s:%u: %s", file, line ? line : 1, msg);
  return -1;
}

/* dlp_config_rescan_check - a recipient when enabled; its own header */
int dlp_config_rescan_check(const struct config_t *c, const char *path,
                            char *err, size_t errlen) {
  const config_setting_t *g = config_lookup(c, "bypass.rescan");
  const config_setting_t *en, *hdr;
  const char *name = RESCAN_DEFAULT_HEADER, *bypass = "X-DLP-Bypass";
  int enabled = 0;

  if (g == NULL)
    return 0;
  en = config_setting_get_member(g, "enabled");
  hdr = config_setting_get_member(g, "header");
  if (en != NULL)
    enabled = config_setting_get_bool(en);
  if (enabled && config_setting_get_member(g, "recipient") == NULL)
    return rescan_fail(en, path, err, errlen,
                       "bypass.rescan.recipient is required when "
                       "bypass.rescan.enabled is true (the address that "
                       "transport_maps routes to the DLP hosts)");
  if (hdr != NULL)
    name = config_setting_get_string(hdr);
  config_lookup_string(c, "bypass.header", &bypass);
  if (name != NULL && strcasecmp(name, bypass) == 0)
    return rescan_fail(hdr != NULL ? hdr : g, path, err, errlen,
                       "bypass.rescan.header must differ from bypass.header");
  return 0;
}

/* rescan_strip - NAME onto CFG's strip list unless there (any case) */
static int rescan_strip(DLP_CONFIG *cfg, const char *name) {
  char **grown;
  size_t i;

  for (i = 0; i < cfg->nstrip_headers; i++)
    if (strcasecmp(cfg->strip_headers[i], name) == 0)
      return 0;
  grown = realloc(cfg->strip_headers,
                  (cfg->nstrip_headers + 2) * sizeof(*cfg->strip_headers));
  if (grown == NULL)
    return -1;
  cfg->strip_headers = grown;
  grown[cfg->nstrip_headers + 1] = NULL;
  if ((grown[cfg->nstrip_headers] = strdup(name)) == NULL)
    return -1;
  cfg->nstrip_headers++;
  return 0;
}

/* dlp_config_rescan_copy - bypass.rescan into CFG, its header stripped */
int dlp_config_rescan_copy(const struct config_t *c, DLP_CONFIG *cfg) {
  const char *recipient = NULL, *header = RESCAN_DEFAULT_HEADER;
  int enabled = 0;

  config_lookup_bool(c, "bypass.rescan.enabled", &enabled);
  config_lookup_string(c, "bypass.rescan.recipient", &recipient);
  config_lookup_string(c, "bypass.rescan.header", &header);
  cfg->rescan_enabled = enabled != 0;
  if ((recipient != NULL &&
       (cfg->rescan_recipient = strdup(recipient)) == NULL) ||
      (cfg->rescan_header = strdup(header)) == NULL)
    return -1;
  /* stripped whether or not retro-scan is on: only we may write it */
  return rescan_strip(cfg, cfg->rescan_header);
}

/* dlp_config_rescan_enabled - bypass.rescan.enabled */
int dlp_config_rescan_enabled(const DLP_CONFIG *cfg) {
  return cfg->rescan_enabled && cfg->rescan_recipient != NULL;
}

/* dlp_config_rescan_recipient - bypass.rescan.recipient, or NULL */
const char *dlp_config_rescan_recipient(const DLP_CONFIG *cfg) {
  return cfg->rescan_recipient;
}

/* dlp_config_rescan_header - bypass.rescan.header */
const char *dlp_config_rescan_header(const DLP_CONFIG *cfg) {
  return cfg->rescan_header;
}
