/*
 * dlp_config_int.h - what the files of the configuration loader share
 * (dlp_config.c: loading, copying, accessors; dlp_config_keys.c: the
 * table of known keys and the checks of their values).  Not installed.
 */
#ifndef DLP_CONFIG_INT_H
#define DLP_CONFIG_INT_H

#include "dlp_private.h"

#include <libconfig.h>

#define CFG_DEFAULT_SOCKET "inet:10030@127.0.0.1"
#define CFG_DEFAULT_SPILL 1048576
#define CFG_DEFAULT_TMPDIR "/var/tmp"
#define CFG_DEFAULT_HEADER "X-DLP-Bypass"
#define CFG_MAX_STRIP 64 /* milter.strip_headers entries */
#define CFG_MAX_TIMEOUT 3600
#define CFG_MAX_SPILL (1024LL * 1024 * 1024)
#define CFG_DNS_CHECK_MS 5000 /* -n: one name lookup may take this long */

/* Loading state: where the error goes. */
struct cfg_loader {
  const char *path;
  char *err;
  size_t errlen;
};

/* dlp_cfg_fail - "FILE:LINE: message" for setting S (NULL: line 1); -1 */
int dlp_cfg_fail(struct cfg_loader *ld, const config_setting_t *s,
                 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* dlp_cfg_check_keys - every setting under ROOT: known, typed, in range */
int dlp_cfg_check_keys(struct cfg_loader *ld, const config_setting_t *root);

/* dlp_cfg_tls_level - the dlp_tls_level of a level name (checked) */
int dlp_cfg_tls_level(const char *v);

/* dlp_cfg_check_host - NULL when V is a host name or address */
const char *dlp_cfg_check_host(const char *v);

#endif /* DLP_CONFIG_INT_H */
