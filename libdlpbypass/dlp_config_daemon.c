/*
 * dlp_config_daemon.c - the milter's process settings of the
 * configuration (issue 12): milter.user, allow_root, socket_mode,
 * socket_group, pidfile, syslog_facility and log.
 *
 * Contract:
 *   dlp_config_check_user() ... dlp_config_check_log() are the string
 *   checks of dlp_config.c's key table for these keys: NULL when the
 *   value is fine, else what is wrong with it (the loader adds file,
 *   line and key).  Only the syntax is checked here; whether the user or
 *   group exists is the milter's business (-n and start-up), since the
 *   library may load a file on a machine that runs no milter.
 *   dlp_config_daemon_copy() copies the (checked) values or their
 *   defaults into the struct, dlp_config_daemon_free() releases them;
 *   dlp_config_milter_user() ... dlp_config_log() are read accessors.
 *   The library never logs: the facility is only a number to hand on.
 */
#include "config.h"

#include "dlp_private.h"

#include <libconfig.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#define DAEMON_NAME_MAX 32       /* user and group names */
#define DAEMON_DEFAULT_MODE 0660 /* milter.socket_mode */

/* syslog facilities by name (milter.syslog_facility) */
static const struct {
  const char *name;
  int value;
} daemon_facilities[] = {
    {"auth", LOG_AUTH},     {"authpriv", LOG_AUTHPRIV}, {"cron", LOG_CRON},
    {"daemon", LOG_DAEMON}, {"ftp", LOG_FTP},           {"lpr", LOG_LPR},
    {"mail", LOG_MAIL},     {"news", LOG_NEWS},         {"syslog", LOG_SYSLOG},
    {"user", LOG_USER},     {"uucp", LOG_UUCP},         {"local0", LOG_LOCAL0},
    {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},     {"local3", LOG_LOCAL3},
    {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},     {"local6", LOG_LOCAL6},
    {"local7", LOG_LOCAL7},
};

/* daemon_name_ok - N bytes of V are a user or group name */
static int daemon_name_ok(const char *v, size_t n) {
  size_t i;

  if (n == 0 || n > DAEMON_NAME_MAX || v[0] == '-')
    return 0;
  for (i = 0; i < n; i++)
    if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
          (v[i] >= '0' && v[i] <= '9') || v[i] == '_' || v[i] == '-' ||
          v[i] == '.'))
      return 0;
  return 1;
}

/* dlp_config_check_user - "USER" or "USER:GROUP" */
const char *dlp_config_check_user(const char *v) {
  const char *colon = strchr(v, ':');
  size_t n = colon ? (size_t)(colon - v) : strlen(v);

  if (!daemon_name_ok(v, n) ||
      (colon && !daemon_name_ok(colon + 1, strlen(colon + 1))))
    return "is not USER or USER:GROUP (letters, digits, '.', '_', '-', "
           "at most 32 each)";
  return NULL;
}

/* dlp_config_check_group - a group name */
const char *dlp_config_check_group(const char *v) {
  return daemon_name_ok(v, strlen(v))
             ? NULL
             : "is not a group name (letters, digits, '.', '_', '-', at "
               "most 32)";
}

/* daemon_mode - the octal mode V ("0660", "660"), or -1 */
static int daemon_mode(const char *v) {
  size_t i, n = strlen(v);
  int mode = 0;

  if (n < 3 || n > 4)
    return -1;
  for (i = 0; i < n; i++) {
    if (v[i] < '0' || v[i] > '7')
      return -1;
    mode = mode * 8 + (v[i] - '0');
  }
  return mode > 0777 ? -1 : mode;
}

/* dlp_config_check_mode - an octal permission mode, at most "0777" */
const char *dlp_config_check_mode(const char *v) {
  return daemon_mode(v) < 0 ? "is not an octal mode such as \"0660\" "
                              "(no set-id or sticky bits)"
                            : NULL;
}

/* dlp_config_check_abspath - an absolute path without control characters */
const char *dlp_config_check_abspath(const char *v) {
  if (v[0] != '/' || v[1] == 0)
    return "is not an absolute path";
  for (; *v; v++)
    if ((unsigned char)*v < ' ' || (unsigned char)*v == 0x7f)
      return "contains a control character";
  return NULL;
}

/* daemon_facility - the facility named V, or -1 */
static int daemon_facility(const char *v) {
  size_t i;

  for (i = 0; i < sizeof(daemon_facilities) / sizeof(daemon_facilities[0]); i++)
    if (strcmp(v, daemon_facilities[i].name) == 0)
      return daemon_facilities[i].value;
  return -1;
}

/* dlp_config_check_facility - a syslog facility name */
const char *dlp_config_check_facility(const char *v) {
  return daemon_facility(v) < 0
             ? "is not a syslog facility (mail, daemon, user, local0 .. "
               "local7, auth, authpriv, cron, ftp, lpr, news, syslog, uucp)"
             : NULL;
}

/* dlp_config_check_log - "syslog" or "stderr" */
const char *dlp_config_check_log(const char *v) {
  return strcmp(v, "syslog") == 0 || strcmp(v, "stderr") == 0
             ? NULL
             : "is not \"syslog\" or \"stderr\"";
}

/* daemon_strdup - copy of string PATH in C into *OUT (NULL when unset) */
static int daemon_strdup(const config_t *c, const char *path, char **out) {
  const char *v = NULL;

  *out = NULL;
  if (!config_lookup_string(c, path, &v))
    return 0;
  return (*out = strdup(v)) == NULL ? -1 : 0;
}

/* dlp_config_daemon_copy - the milter's process settings into CFG */
int dlp_config_daemon_copy(const struct config_t *c, struct dlp_config *cfg) {
  const char *v;
  int allow = 0;

  cfg->socket_mode = DAEMON_DEFAULT_MODE;
  if (config_lookup_string(c, "milter.socket_mode", &v))
    cfg->socket_mode = daemon_mode(v);
  cfg->syslog_facility = LOG_MAIL;
  if (config_lookup_string(c, "milter.syslog_facility", &v))
    cfg->syslog_facility = daemon_facility(v);
  config_lookup_bool(c, "milter.allow_root", &allow);
  cfg->allow_root = allow != 0;
  if (daemon_strdup(c, "milter.user", &cfg->milter_user) < 0 ||
      daemon_strdup(c, "milter.socket_group", &cfg->socket_group) < 0 ||
      daemon_strdup(c, "milter.pidfile", &cfg->pidfile) < 0 ||
      daemon_strdup(c, "milter.log", &cfg->log) < 0)
    return -1;
  return 0;
}

/* dlp_config_daemon_free - release what dlp_config_daemon_copy made */
void dlp_config_daemon_free(struct dlp_config *cfg) {
  free(cfg->milter_user);
  free(cfg->socket_group);
  free(cfg->pidfile);
  free(cfg->log);
}

/* dlp_config_milter_user - milter.user, NULL when unset */
const char *dlp_config_milter_user(const DLP_CONFIG *cfg) {
  return cfg->milter_user;
}

/* dlp_config_allow_root - milter.allow_root (default false) */
int dlp_config_allow_root(const DLP_CONFIG *cfg) {
  return cfg->allow_root;
}

/* dlp_config_socket_mode - milter.socket_mode (default 0660) */
int dlp_config_socket_mode(const DLP_CONFIG *cfg) {
  return cfg->socket_mode;
}

/* dlp_config_socket_group - milter.socket_group, NULL when unset */
const char *dlp_config_socket_group(const DLP_CONFIG *cfg) {
  return cfg->socket_group;
}

/* dlp_config_pidfile - milter.pidfile, NULL when unset */
const char *dlp_config_pidfile(const DLP_CONFIG *cfg) {
  return cfg->pidfile;
}

/* dlp_config_syslog_facility - milter.syslog_facility (LOG_MAIL) */
int dlp_config_syslog_facility(const DLP_CONFIG *cfg) {
  return cfg->syslog_facility;
}

/* dlp_config_log - milter.log: "syslog", "stderr", or NULL when unset */
const char *dlp_config_log(const DLP_CONFIG *cfg) {
  return cfg->log;
}

/* dlp_config_tmpdir - milter.tmpdir */
const char *dlp_config_tmpdir(const DLP_CONFIG *cfg) {
  return cfg->tmpdir;
}
