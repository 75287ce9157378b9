/*
 * dlp_private.h - struct bodies and internal interfaces of libdlpbypass.
 * Not installed; the milter never includes it.
 */
#ifndef DLP_PRIVATE_H
#define DLP_PRIVATE_H

#include "dlpbypass.h"

#include <netdb.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* TLS levels, DESIGN.md section 5 and issue "STARTTLS to the DLP" */
typedef enum {
  DLP_TLS_NONE = 0,
  DLP_TLS_MAY,
  DLP_TLS_ENCRYPT,
  DLP_TLS_VERIFY
} dlp_tls_level;

/* One configured DLP server. */
struct dlp_server {
  char *host;    /* name or address, as configured */
  unsigned port; /* 1..65535 */
  char *label;   /* "host:port" */
  int tls_level; /* dlp_tls_level; the dlp.tls level unless overridden */
  /* balance (issue 15: load balancing) */
  unsigned weight; /* dlp.servers[].weight, 1.. (1) */
  int priority;    /* dlp.servers[].priority: lowest number first (0) */
};

/* TLS settings (dlp.tls) */
struct dlp_tls_config {
  int level;     /* dlp_tls_level */
  char *ca_file; /* NULL if unset */
  char *ca_path;
  char *cert_file;
  char *key_file;
  char *match;         /* NULL: the server's configured host */
  char *protocols;     /* floor, e.g. "TLSv1.2" */
  char *ciphers;       /* OpenSSL cipher list, NULL: default */
  char **fingerprints; /* SHA-256 hex digests, "AA:BB:..."; NULL-ended */
  size_t nfingerprints;
};

/*
 * The immutable configuration.  Built once by dlp_config_load(); shared
 * read-only by every thread; freed when the last reference goes.
 */
struct dlp_config {
  int refcount; /* atomic (__atomic builtins) */
  char *path;

  /* milter: */
  char *milter_socket;  /* "inet:PORT@ADDR" or "unix:/path" */
  size_t spill_size;    /* milter.spill_size: bytes in memory */
  char *tmpdir;         /* milter.tmpdir */
  char **strip_headers; /* milter.strip_headers + bypass.header,
                           no duplicates (any case) */
  size_t nstrip_headers;

  /* dlp: */
  struct dlp_server *servers;
  size_t nservers;
  int connect_timeout;    /* seconds, per host */
  int connect_stagger_ms; /* the next host is dialled when a connect
                             has not finished after this (0: never) */
  int command_timeout;    /* seconds, each command and its reply */
  int data_timeout;       /* seconds, content and final reply */
  int session_deadline;   /* seconds, all DLP talk in one callback
                             before end of message (stay below
                             Postfix milter_command_timeout) */
  char *helo_name;
  char **debug_peers; /* dlp.debug_peers: names or addresses
                         whose transcripts are always kept */
  size_t ndebug_peers;
  int health_retry_min;   /* dlp.health: seconds a down host is */
  int health_retry_max;   /* skipped, doubling from min up to max */
  int health_probe;       /* the pool probes a down host itself */
  int reuse_max_age;      /* dlp.reuse: seconds a session may be */
  int reuse_idle_timeout; /* reused (0: never), idle seconds kept */
  struct dlp_tls_config tls;
  struct dlp_tls *tls_ctx; /* built by dlp_tls_create() when any
                              server's level is not none */

  /* bypass: */
  int bypass_enabled;
  char *bypass_header;

  /* bypass.budget, bypass.never (issue 10: policy) */
  struct dlp_policy *policy; /* dlp_policy.c */

  /* bypass.rescan (issue 10: retro-scan) */
  int rescan_enabled;     /* bypass.rescan.enabled */
  char *rescan_recipient; /* its recipient, NULL if unset */
  char *rescan_header;    /* its header (on the strip list too) */

  /* alert (issue 11: events) */
  char *alert_command;   /* alert.command, NULL: none */
  int alert_timeout;     /* alert.timeout, seconds */
  int alert_max_running; /* alert.max_running */
  int alert_burst;       /* alert.burst: events of a kind and host
                            logged before the rate limit */
  int alert_interval;    /* alert.interval: then one per this (s) */

  /* audit (issue 11: audit trail) */
  char *audit_file; /* audit.file, NULL: no trail */
  int audit_what;   /* dlp_audit_what */
  int audit_fsync;  /* dlp_audit_fsync */

  /* metrics, control (issue 11: metrics and status) */
  char *metrics_listen; /* metrics.listen as written, NULL: off */
  char *metrics_host;   /* its numeric address, no brackets */
  unsigned metrics_port;
  char *control_socket;  /* control.socket, NULL: off */
  unsigned control_mode; /* control.mode (0660) */
  char *control_group;   /* control.group, NULL: ours */

  /* milter.user, socket_mode, ... (issue 12: daemon) */
  char *milter_user;   /* "USER[:GROUP]", NULL: unset */
  int allow_root;      /* milter.allow_root: may keep uid 0 */
  int socket_mode;     /* unix socket permissions (0660) */
  char *socket_group;  /* NULL: "postfix" when it exists */
  char *pidfile;       /* NULL: none (-P may give one) */
  int syslog_facility; /* LOG_MAIL unless set */
  char *log;           /* "syslog", "stderr", NULL: unset */

  /* balance (issue 15: load balancing) */
  int balance;            /* dlp.balance: dlp_balance_policy (dlp_balance.h) */
  int balance_slow_start; /* dlp.balance_slow_start: seconds of ramp-up */
};

/* metrics, control (issue 11: metrics and status): dlp_config_status.c */
struct config_t;
const char *dlp_cfg_check_listen(const char *v);
const char *dlp_cfg_check_control_socket(const char *v);
const char *dlp_cfg_check_mode(const char *v);
const char *dlp_cfg_check_group(const char *v);
int dlp_cfg_status_copy(const struct config_t *c, DLP_CONFIG *cfg);
void dlp_cfg_status_free(DLP_CONFIG *cfg);

/* ------------------------------------------------------------------ */
/* Deadlines (dlp_io.c): CLOCK_MONOTONIC milliseconds                   */
/* ------------------------------------------------------------------ */

/* alert (issue 11: events): dlp_config_alert.c */
struct config_t;
/* dlp_config_check_alert_command - alert.command: NULL or what is wrong */
const char *dlp_config_check_alert_command(const char *v);
/* dlp_config_copy_alert - the alert group into CFG; 0 or -1 (ENOMEM) */
int dlp_config_copy_alert(const struct config_t *c, DLP_CONFIG *cfg);

/* dlp_now_ms - monotonic clock in milliseconds */
int64_t dlp_now_ms(void);

/* milter.user, socket_mode, ... (issue 12: daemon): dlp_config_daemon.c */
struct config_t;
const char *dlp_config_check_user(const char *v);
const char *dlp_config_check_group(const char *v);
const char *dlp_config_check_mode(const char *v);
const char *dlp_config_check_abspath(const char *v);
const char *dlp_config_check_facility(const char *v);
const char *dlp_config_check_log(const char *v);
/* dlp_config_daemon_copy - those keys or their defaults; 0 or -1 (ENOMEM) */
int dlp_config_daemon_copy(const struct config_t *c, struct dlp_config *cfg);
/* dlp_config_daemon_free - release what dlp_config_daemon_copy made */
void dlp_config_daemon_free(struct dlp_config *cfg);
/* audit (issue 11: audit trail): dlp_config_audit.c */
struct config_t;
const char *dlp_config_check_audit_file(const char *v);
const char *dlp_config_check_audit_what(const char *v);
const char *dlp_config_check_audit_fsync(const char *v);
int dlp_config_copy_audit(const struct config_t *c, struct dlp_config *cfg);

/* ------------------------------------------------------------------ */
/* bypass.budget, bypass.never (issue 10: policy; dlp_policy.c)         */
/* ------------------------------------------------------------------ */
/* bypass.rescan (issue 10: retro-scan), dlp_config_rescan.c          */
/* ------------------------------------------------------------------ */

struct config_t;

/* dlp_policy_load - bypass.budget/never of C into CFG; 0 or -1 and ERR */
int dlp_policy_load(const struct config_t *c, DLP_CONFIG *cfg, const char *path,
                    char *err, size_t errlen);

/* dlp_policy_free - release what dlp_policy_load put into CFG */
void dlp_policy_free(DLP_CONFIG *cfg);

/* Key table checks: NULL when fine, else what is wrong. */
const char *dlp_policy_check_address(const char *v);
const char *dlp_policy_check_regex(const char *v);
/* dlp_config_check_address - NULL when V looks like local@domain */
const char *dlp_config_check_address(const char *v);

/* dlp_config_rescan_check - recipient when enabled; 0 or -1, FILE:LINE */
int dlp_config_rescan_check(const struct config_t *c, const char *path,
                            char *err, size_t errlen);

/* dlp_config_rescan_copy - bypass.rescan into CFG; 0 or -1 (ENOMEM) */
int dlp_config_rescan_copy(const struct config_t *c, DLP_CONFIG *cfg);

/* balance (issue 15: load balancing): dlp_config_balance.c */
struct config_t;
struct cfg_loader;
const char *dlp_config_check_balance(const char *v);
/* dlp_config_balance_copy - dlp.balance*, servers' weight and priority */
int dlp_config_balance_copy(const struct config_t *c, DLP_CONFIG *cfg);
/* dlp_config_balance_check - the groups' connects fit the deadline; 0/-1 */
int dlp_config_balance_check(struct cfg_loader *ld, const struct config_t *c,
                             const DLP_CONFIG *cfg);

#endif /* DLP_PRIVATE_H */
