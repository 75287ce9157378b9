/*
 * dlp_config_alert.c - the alert group of the configuration (issue 11:
 * events and the alert command), apart from dlp_config.c.
 *
 * Contract:
 *   alert: {
 *     command = "/etc/dlpbypass/alert.sh";  # absolute path of an
 *                                           # executable file, no shell
 *     timeout = 10;        # seconds a run may take, then it is killed
 *     max_running = 4;     # runs at the same time (1..64)
 *     burst = 3;           # events of one kind for one host logged
 *     interval = 60;       # in a row; then one per interval seconds
 *   };
 *   dlp_config_check_alert_command() is the key table's check of
 *   alert.command (NULL when fine, else what is wrong: the loader adds
 *   file and line); dlp_config_copy_alert() copies the checked values, or
 *   their defaults, into the configuration; dlp_config_alert_*() read
 *   them.
 */
#include "config.h"

#include "dlp_private.h"

#include <libconfig.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ALERT_DEFAULT_TIMEOUT 10
#define ALERT_DEFAULT_MAX_RUNNING 4
#define ALERT_DEFAULT_BURST 3
#define ALERT_DEFAULT_INTERVAL 60

/* dlp_config_check_alert_command - alert.command: NULL or what is wrong */
const char *dlp_config_check_alert_command(const char *v) {
  const char *p;

  if (*v != '/')
    return "is not an absolute path (it is run directly, not by a shell)";
  for (p = v; *p; p++)
    if ((unsigned char)*p < ' ' || (unsigned char)*p == 0x7f)
      return "contains a control character";
  if (access(v, X_OK) < 0)
    return "is not an executable file";
  return NULL;
}

/* alert_int - integer PATH of C, or DEF */
static int alert_int(const config_t *c, const char *path, int def) {
  long long v;

  return config_lookup_int64(c, path, &v) ? (int)v : def;
}

/* dlp_config_copy_alert - the alert group into CFG; 0 or -1 (ENOMEM) */
int dlp_config_copy_alert(const struct config_t *c, DLP_CONFIG *cfg) {
  const char *cmd = NULL;

  cfg->alert_timeout = alert_int(c, "alert.timeout", ALERT_DEFAULT_TIMEOUT);
  cfg->alert_max_running =
      alert_int(c, "alert.max_running", ALERT_DEFAULT_MAX_RUNNING);
  cfg->alert_burst = alert_int(c, "alert.burst", ALERT_DEFAULT_BURST);
  cfg->alert_interval = alert_int(c, "alert.interval", ALERT_DEFAULT_INTERVAL);
  if (!config_lookup_string(c, "alert.command", &cmd))
    return 0;
  return (cfg->alert_command = strdup(cmd)) == NULL ? -1 : 0;
}

/* dlp_config_alert_command - alert.command, NULL when unset */
const char *dlp_config_alert_command(const DLP_CONFIG *cfg) {
  return cfg->alert_command;
}

/* dlp_config_alert_timeout - alert.timeout (seconds) */
int dlp_config_alert_timeout(const DLP_CONFIG *cfg) {
  return cfg->alert_timeout;
}

/* dlp_config_alert_max_running - alert.max_running */
int dlp_config_alert_max_running(const DLP_CONFIG *cfg) {
  return cfg->alert_max_running;
}

/* dlp_config_alert_burst - alert.burst */
int dlp_config_alert_burst(const DLP_CONFIG *cfg) {
  return cfg->alert_burst;
}

/* dlp_config_alert_interval - alert.interval (seconds) */
int dlp_config_alert_interval(const DLP_CONFIG *cfg) {
  return cfg->alert_interval;
}
