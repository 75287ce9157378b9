/*
 * dlp_config_status.c - the metrics and control keys of the configuration
 * (DESIGN.md 5a, issue 11): checks, copies and accessors.
 *
 * Contract:
 *   dlp_cfg_check_listen() ... dlp_cfg_check_group() are the string checks
 *   of dlp_config.c's key table: NULL when the value is fine, else what is
 *   wrong with it.
 *     metrics.listen  "ADDR:PORT" or "[ADDR6]:PORT", ADDR numeric and a
 *                     loopback address (127.0.0.0/8 or ::1): the endpoint
 *                     has no authentication of its own
 *     control.socket  an absolute path of at most 107 bytes, no controls
 *     control.mode    octal permission bits "0600".."0777" (no set-id,
 *                     no sticky bit)
 *     control.group   a group this machine knows (getgrnam)
 *   dlp_cfg_status_copy() copies them (already checked) into the config;
 *   dlp_cfg_status_free() releases them.  Unset: metrics and the control
 *   socket are off; control.mode is 0660, control.group none (the
 *   milter's own group).
 *   dlp_config_metrics_host() ... dlp_config_control_group() read them.
 */
#include "config.h"

#include "dlp_private.h"

#include <arpa/inet.h>
#include <grp.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATUS_DEFAULT_MODE 0660
#define STATUS_SUN_PATH_MAX 107 /* sizeof(sun_path) - 1 on Linux */

/*
 * status_split_listen - "ADDR:PORT" or "[ADDR6]:PORT" into HOST (HOSTLEN
 * bytes) and *PORT; NULL, or what is wrong
 */
static const char *status_split_listen(const char *v, char *host,
                                       size_t hostlen, unsigned *port) {
  const char *colon, *p;
  size_t n;
  long num = 0;

  if (*v == '[') {
    if ((p = strchr(v, ']')) == NULL || p[1] != ':')
      return "is not ADDR:PORT or [ADDR6]:PORT";
    v++;
    n = (size_t)(p - v);
    colon = p + 1;
  } else {
    if ((colon = strrchr(v, ':')) == NULL)
      return "is not ADDR:PORT or [ADDR6]:PORT";
    n = (size_t)(colon - v);
  }
  if (n == 0 || n >= hostlen)
    return "needs an address before the port";
  memcpy(host, v, n);
  host[n] = 0;
  for (p = colon + 1; *p; p++) {
    if (*p < '0' || *p > '9' || num > 65535)
      return "needs a port number 1-65535 after ':'";
    num = num * 10 + (*p - '0');
  }
  if (colon[1] == 0 || num < 1 || num > 65535)
    return "needs a port number 1-65535 after ':'";
  *port = (unsigned)num;
  return NULL;
}

/* dlp_cfg_check_listen - a numeric loopback ADDR:PORT */
const char *dlp_cfg_check_listen(const char *v) {
  unsigned char a[16];
  char host[64];
  unsigned port;
  const char *why = status_split_listen(v, host, sizeof(host), &port);

  if (why != NULL)
    return why;
  if (inet_pton(AF_INET, host, a) == 1)
    return a[0] == 127 ? NULL
                       : "is not a loopback address (127.0.0.0/8 or [::1]): "
                         "the metrics endpoint has no authentication";
  if (inet_pton(AF_INET6, host, a) == 1)
    return memcmp(a, &in6addr_loopback, 16) == 0
               ? NULL
               : "is not a loopback address (127.0.0.0/8 or [::1]): the "
                 "metrics endpoint has no authentication";
  return "needs a numeric address (no host names), e.g. 127.0.0.1:9469";
}

/* dlp_cfg_check_control_socket - an absolute path for a unix socket */
const char *dlp_cfg_check_control_socket(const char *v) {
  if (*v != '/' || v[1] == 0)
    return "must be an absolute path";
  if (strlen(v) > STATUS_SUN_PATH_MAX)
    return "is longer than a unix socket path may be (107 bytes)";
  for (; *v; v++)
    if ((unsigned char)*v < ' ' || (unsigned char)*v == 0x7f)
      return "contains a control character";
  return NULL;
}

/* status_mode - octal "0660" as a number, or -1 */
static long status_mode(const char *v) {
  long m = 0;
  size_t n = strlen(v);

  if (n < 3 || n > 4)
    return -1;
  for (; *v; v++) {
    if (*v < '0' || *v > '7')
      return -1;
    m = m * 8 + (*v - '0');
  }
  return m;
}

/* dlp_cfg_check_mode - octal permission bits, owner may read and write */
const char *dlp_cfg_check_mode(const char *v) {
  long m = status_mode(v);

  if (m < 0 || m > 0777)
    return "is not an octal mode \"0600\"..\"0777\" (no set-id or sticky "
           "bits)";
  if ((m & 0600) != 0600)
    return "must let the owner read and write (0600 at least)";
  return NULL;
}

/* dlp_cfg_check_group - a group name this machine knows */
const char *dlp_cfg_check_group(const char *v) {
  if (*v == 0)
    return "must not be empty";
  if (getgrnam(v) == NULL)
    return "is not a known group";
  return NULL;
}

/* status_strdup - copy of string PATH in C, NULL when unset; 0 or -1 */
static int status_strdup(const config_t *c, const char *path, char **out) {
  const char *v = NULL;

  *out = NULL;
  if (!config_lookup_string(c, path, &v))
    return 0;
  return (*out = strdup(v)) == NULL ? -1 : 0;
}

/* dlp_cfg_status_copy - metrics.*, control.* into CFG; 0 or -1 (ENOMEM) */
int dlp_cfg_status_copy(const struct config_t *c, DLP_CONFIG *cfg) {
  const char *listen = NULL, *mode = NULL;
  char host[64];
  unsigned port = 0;

  cfg->control_mode = STATUS_DEFAULT_MODE;
  if (config_lookup_string(c, "control.mode", &mode))
    cfg->control_mode = (unsigned)status_mode(mode);
  if (config_lookup_string(c, "metrics.listen", &listen) &&
      status_split_listen(listen, host, sizeof(host), &port) == NULL) {
    if ((cfg->metrics_host = strdup(host)) == NULL)
      return -1;
    cfg->metrics_port = port;
  }
  if (status_strdup(c, "metrics.listen", &cfg->metrics_listen) < 0 ||
      status_strdup(c, "control.socket", &cfg->control_socket) < 0 ||
      status_strdup(c, "control.group", &cfg->control_group) < 0)
    return -1;
  return 0;
}

/* dlp_cfg_status_free - release what dlp_cfg_status_copy() made */
void dlp_cfg_status_free(DLP_CONFIG *cfg) {
  free(cfg->metrics_listen);
  free(cfg->metrics_host);
  free(cfg->control_socket);
  free(cfg->control_group);
}

/* dlp_config_metrics_listen - metrics.listen as written, or NULL (off) */
const char *dlp_config_metrics_listen(const DLP_CONFIG *cfg) {
  return cfg->metrics_listen;
}

/* dlp_config_metrics_host - its numeric address, no brackets, or NULL */
const char *dlp_config_metrics_host(const DLP_CONFIG *cfg) {
  return cfg->metrics_host;
}

/* dlp_config_metrics_port - its port, 0 when off */
unsigned dlp_config_metrics_port(const DLP_CONFIG *cfg) {
  return cfg->metrics_port;
}

/* dlp_config_control_socket - control.socket, or NULL (off) */
const char *dlp_config_control_socket(const DLP_CONFIG *cfg) {
  return cfg->control_socket;
}

/* dlp_config_control_mode - control.mode (default 0660) */
unsigned dlp_config_control_mode(const DLP_CONFIG *cfg) {
  return cfg->control_mode;
}

/* dlp_config_control_group - control.group, or NULL */
const char *dlp_config_control_group(const DLP_CONFIG *cfg) {
  return cfg->control_group;
}
