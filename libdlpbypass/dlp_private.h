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
  char *host;      /* name or address, as configured */
  unsigned port;   /* 1..65535 */
  char *label;     /* "host:port" */
  int tls_level;   /* dlp_tls_level; the dlp.tls level unless overridden */
};

/* TLS settings (dlp.tls) */
struct dlp_tls_config {
  int level;             /* dlp_tls_level */
  char *ca_file;         /* NULL if unset */
  char *ca_path;
  char *cert_file;
  char *key_file;
  char *match;           /* NULL: the server's configured host */
  char *protocols;       /* floor, e.g. "TLSv1.2" */
  char *ciphers;         /* OpenSSL cipher list, NULL: default */
  char **fingerprints;   /* SHA-256 hex digests, "AA:BB:..."; NULL-ended */
  size_t nfingerprints;
};

/*
 * The immutable configuration.  Built once by dlp_config_load(); shared
 * read-only by every thread; freed when the last reference goes.
 */
struct dlp_config {
  int refcount;                 /* atomic (__atomic builtins) */
  char *path;

  /* milter: */
  char *milter_socket;          /* "inet:PORT@ADDR" or "unix:/path" */
  size_t spill_size;            /* milter.spill_size: bytes in memory */
  char *tmpdir;                 /* milter.tmpdir */
  char **strip_headers;         /* milter.strip_headers + bypass.header,
                                   no duplicates (any case) */
  size_t nstrip_headers;

  /* dlp: */
  struct dlp_server *servers;
  size_t nservers;
  int connect_timeout;          /* seconds, per host */
  int connect_stagger_ms;       /* the next host is dialled when a connect
                                   has not finished after this (0: never) */
  int command_timeout;          /* seconds, each command and its reply */
  int data_timeout;             /* seconds, content and final reply */
  int session_deadline;         /* seconds, all DLP talk in one callback
                                   before end of message (stay below
                                   Postfix milter_command_timeout) */
  char *helo_name;
  int health_retry_min;         /* dlp.health: seconds a down host is */
  int health_retry_max;         /* skipped, doubling from min up to max */
  int health_probe;             /* the pool probes a down host itself */
  int reuse_max_age;            /* dlp.reuse: seconds a session may be */
  int reuse_idle_timeout;       /* reused (0: never), idle seconds kept */
  struct dlp_tls_config tls;
  struct dlp_tls *tls_ctx;      /* built by dlp_tls_create() when any
                                   server's level is not none */

  /* bypass: */
  int bypass_enabled;
  char *bypass_header;

  /* bypass.budget, bypass.never (issue 10: policy) */

  /* bypass.rescan (issue 10: retro-scan) */

  /* alert (issue 11: events) */
  char *alert_command;          /* alert.command, NULL: none */
  int alert_timeout;            /* alert.timeout, seconds */
  int alert_max_running;        /* alert.max_running */
  int alert_burst;              /* alert.burst: events of a kind and host
                                   logged before the rate limit */
  int alert_interval;           /* alert.interval: then one per this (s) */

  /* audit (issue 11: audit trail) */

  /* metrics, control (issue 11: metrics and status) */

  /* milter.user, socket_mode, ... (issue 12: daemon) */

};

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

#endif /* DLP_PRIVATE_H */
