/*
 * dlp_config_keys.c - the table of known configuration keys and the
 * checks of their values (dlp_config_int.h).
 *
 * Contract: dlp_cfg_check_keys() walks every setting of a parsed file:
 * an unknown key ("unknown key 'dlp.foo'"), a wrong type, an integer out
 * of its range or a string its check refuses is an error with the file
 * and line of the setting (dlp_cfg_fail).  Keys of the features of
 * issues 10-12 have their checks in their own files; the table lists
 * them all, so that one place says what a configuration may contain.
 */
#include "config.h"

#include "dlp_config_int.h"
#include "dlp_tls.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Kinds of value a key takes. */
typedef enum { K_STR, K_INT, K_BOOL, K_GROUP, K_LIST, K_STRLIST } cfg_kind;

/* A string check: NULL when VALUE is fine, else what is wrong with it. */
typedef const char *(*cfg_check)(const char *value);

static const char *check_nonempty(const char *v);
static const char *check_socket(const char *v);
static const char *check_tls_level(const char *v);
static const char *check_header(const char *v);
static const char *check_fingerprint(const char *v);

/* One known key: GROUP is the dotted path of its parent ("" at the top). */
struct cfg_key {
  const char *group;
  const char *name;
  cfg_kind kind;
  long long min, max; /* K_INT */
  cfg_check check;    /* K_STR, K_STRLIST elements */
};

static const struct cfg_key cfg_keys[] = {
    {"", "milter", K_GROUP, 0, 0, NULL},
    {"", "dlp", K_GROUP, 0, 0, NULL},
    {"", "bypass", K_GROUP, 0, 0, NULL},
    {"milter", "socket", K_STR, 0, 0, check_socket},
    {"milter", "spill_size", K_INT, 4096, CFG_MAX_SPILL, NULL},
    {"milter", "tmpdir", K_STR, 0, 0, check_nonempty},
    {"milter", "strip_headers", K_STRLIST, 0, 0, check_header},
    {"dlp", "servers", K_LIST, 0, 0, NULL},
    {"dlp", "connect_timeout", K_INT, 1, CFG_MAX_TIMEOUT, NULL},
    {"dlp", "connect_stagger_ms", K_INT, 0, 60000, NULL},
    {"dlp", "command_timeout", K_INT, 1, CFG_MAX_TIMEOUT, NULL},
    {"dlp", "data_timeout", K_INT, 1, CFG_MAX_TIMEOUT, NULL},
    {"dlp", "session_deadline", K_INT, 1, CFG_MAX_TIMEOUT, NULL},
    {"dlp", "helo_name", K_STR, 0, 0, dlp_cfg_check_host},
    {"dlp", "debug_peers", K_STRLIST, 0, 0, dlp_cfg_check_host},
    {"dlp", "tls", K_GROUP, 0, 0, NULL},
    {"dlp", "health", K_GROUP, 0, 0, NULL},
    {"dlp.health", "retry_min", K_INT, 1, CFG_MAX_TIMEOUT, NULL},
    {"dlp.health", "retry_max", K_INT, 1, CFG_MAX_TIMEOUT, NULL},
    {"dlp.health", "probe", K_BOOL, 0, 0, NULL},
    {"dlp", "reuse", K_GROUP, 0, 0, NULL},
    {"dlp.reuse", "max_age", K_INT, 0, CFG_MAX_TIMEOUT, NULL},
    {"dlp.reuse", "idle_timeout", K_INT, 1, CFG_MAX_TIMEOUT, NULL},
    {"dlp.servers", "host", K_STR, 0, 0, dlp_cfg_check_host},
    {"dlp.servers", "port", K_INT, 1, 65535, NULL},
    {"dlp.servers", "tls_level", K_STR, 0, 0, check_tls_level},
    {"dlp.tls", "level", K_STR, 0, 0, check_tls_level},
    {"dlp.tls", "ca_file", K_STR, 0, 0, check_nonempty},
    {"dlp.tls", "ca_path", K_STR, 0, 0, check_nonempty},
    {"dlp.tls", "cert_file", K_STR, 0, 0, check_nonempty},
    {"dlp.tls", "key_file", K_STR, 0, 0, check_nonempty},
    {"dlp.tls", "match", K_STR, 0, 0, dlp_cfg_check_host},
    {"dlp.tls", "protocols", K_STR, 0, 0, check_nonempty},
    {"dlp.tls", "ciphers", K_STR, 0, 0, check_nonempty},
    {"dlp.tls", "fingerprint", K_STRLIST, 0, 0, check_fingerprint},
    {"bypass", "enabled", K_BOOL, 0, 0, NULL},
    {"bypass", "header", K_STR, 0, 0, check_header},
    /* bypass.budget, bypass.never (issue 10: policy) */
    {"bypass", "budget", K_GROUP, 0, 0, NULL},
    {"bypass.budget", "max_duration", K_INT, 0, 100LL * 365 * 86400, NULL},
    {"bypass.budget", "max_messages", K_INT, 0, 1LL << 40, NULL},
    {"bypass.budget", "max_bytes", K_INT, 0, 1LL << 50, NULL},
    {"bypass.budget", "state_file", K_STR, 0, 0, check_nonempty},
    {"bypass", "never", K_GROUP, 0, 0, NULL},
    {"bypass.never", "senders", K_STRLIST, 0, 0, dlp_policy_check_address},
    {"bypass.never", "recipients", K_STRLIST, 0, 0, dlp_policy_check_address},
    {"bypass.never", "headers", K_STRLIST, 0, 0, dlp_policy_check_regex},
    {"bypass.never", "max_size", K_INT, 0, 1LL << 50, NULL},

    /* bypass.rescan (issue 10: retro-scan) */
    {"bypass", "rescan", K_GROUP, 0, 0, NULL},
    {"bypass.rescan", "enabled", K_BOOL, 0, 0, NULL},
    {"bypass.rescan", "recipient", K_STR, 0, 0, dlp_config_check_address},
    {"bypass.rescan", "header", K_STR, 0, 0, check_header},

    /* alert (issue 11: events) */
    {"", "alert", K_GROUP, 0, 0, NULL},
    {"alert", "command", K_STR, 0, 0, dlp_config_check_alert_command},
    {"alert", "timeout", K_INT, 1, CFG_MAX_TIMEOUT, NULL},
    {"alert", "max_running", K_INT, 1, 64, NULL},
    {"alert", "burst", K_INT, 1, 1000, NULL},
    {"alert", "interval", K_INT, 1, 86400, NULL},

    /* audit (issue 11: audit trail) */
    {"", "audit", K_GROUP, 0, 0, NULL},
    {"audit", "file", K_STR, 0, 0, dlp_config_check_audit_file},
    {"audit", "what", K_STR, 0, 0, dlp_config_check_audit_what},
    {"audit", "fsync", K_STR, 0, 0, dlp_config_check_audit_fsync},

    /* metrics, control (issue 11: metrics and status) */
    {"", "metrics", K_GROUP, 0, 0, NULL},
    {"metrics", "listen", K_STR, 0, 0, dlp_cfg_check_listen},
    {"", "control", K_GROUP, 0, 0, NULL},
    {"control", "socket", K_STR, 0, 0, dlp_cfg_check_control_socket},
    {"control", "mode", K_STR, 0, 0, dlp_cfg_check_mode},
    {"control", "group", K_STR, 0, 0, dlp_cfg_check_group},

    /* milter.user, socket_mode, ... (issue 12: daemon) */
    {"milter", "user", K_STR, 0, 0, dlp_config_check_user},
    {"milter", "allow_root", K_BOOL, 0, 0, NULL},
    {"milter", "socket_mode", K_STR, 0, 0, dlp_config_check_mode},
    {"milter", "socket_group", K_STR, 0, 0, dlp_config_check_group},
    {"milter", "pidfile", K_STR, 0, 0, dlp_config_check_abspath},
    {"milter", "syslog_facility", K_STR, 0, 0, dlp_config_check_facility},
    {"milter", "log", K_STR, 0, 0, dlp_config_check_log},

    /* balance (issue 15: load balancing) */
    {"dlp", "balance", K_STR, 0, 0, dlp_config_check_balance},
    {"dlp", "balance_slow_start", K_INT, 0, CFG_MAX_TIMEOUT, NULL},
    {"dlp.servers", "weight", K_INT, 1, 1000, NULL},
    {"dlp.servers", "priority", K_INT, 0, 255, NULL},
};

static const char *const tls_level_names[] = {"none", "may", "encrypt",
                                              "verify"};

/* dlp_cfg_fail - "FILE:LINE: message" for setting S (NULL: line 1); -1 */
int dlp_cfg_fail(struct cfg_loader *ld, const config_setting_t *s,
                 const char *fmt, ...) {
  const char *file = ld->path;
  unsigned line = 0;
  char msg[512];
  va_list ap;

  for (; s != NULL && line == 0; s = config_setting_parent(s)) {
    line = config_setting_source_line(s);
    if (config_setting_source_file(s) != NULL)
      file = config_setting_source_file(s);
  }
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  snprintf(ld->err, ld->errlen, "%s:%u: %s", file, line ? line : 1, msg);
  return -1;
}

/* check_nonempty - any string but "" */
static const char *check_nonempty(const char *v) {
  return *v ? NULL : "must not be empty";
}

/* dlp_cfg_check_host - a host name or address: no spaces or control characters
 */
const char *dlp_cfg_check_host(const char *v) {
  if (*v == 0)
    return "must not be empty";
  if (strlen(v) > 255)
    return "is longer than 255 characters";
  for (; *v; v++)
    if ((unsigned char)*v <= ' ' || (unsigned char)*v >= 0x7f)
      return "contains a space, a control or a non-ASCII character";
  return NULL;
}

/* check_port_host - "PORT" or "PORT@HOST" (milter inet sockets) */
static const char *check_port_host(const char *v) {
  const char *at = strchr(v, '@');
  size_t n = at ? (size_t)(at - v) : strlen(v), i;
  long port = 0;

  if (n == 0 || n > 5)
    return "needs a port number 1-65535 after \"inet:\"";
  for (i = 0; i < n; i++) {
    if (v[i] < '0' || v[i] > '9')
      return "needs a port number 1-65535 after \"inet:\"";
    port = port * 10 + (v[i] - '0');
  }
  if (port < 1 || port > 65535)
    return "port is out of range (1..65535)";
  if (at != NULL && dlp_cfg_check_host(at + 1) != NULL)
    return "has a bad host after '@'";
  return NULL;
}

/* check_socket - inet:PORT@HOST, inet6:PORT@HOST, unix:/path, local:/path */
static const char *check_socket(const char *v) {
  if (strncmp(v, "inet:", 5) == 0)
    return check_port_host(v + 5);
  if (strncmp(v, "inet6:", 6) == 0)
    return check_port_host(v + 6);
  if (strncmp(v, "unix:", 5) == 0 || strncmp(v, "local:", 6) == 0) {
    const char *p = strchr(v, ':') + 1;

    if (*p != '/' || p[1] == 0)
      return "needs an absolute path after \"unix:\"";
    for (; *p; p++)
      if ((unsigned char)*p < ' ' || (unsigned char)*p == 0x7f)
        return "contains a control character";
    return NULL;
  }
  return "is not inet:PORT@HOST, inet6:PORT@HOST, unix:/PATH or local:/PATH";
}

/* cfg_tls_level - the dlp_tls_level named V, or -1 */
int dlp_cfg_tls_level(const char *v) {
  size_t i;

  for (i = 0; i < sizeof(tls_level_names) / sizeof(tls_level_names[0]); i++)
    if (strcmp(v, tls_level_names[i]) == 0)
      return (int)i;
  return -1;
}

/* check_tls_level - none, may, encrypt or verify */
static const char *check_tls_level(const char *v) {
  return dlp_cfg_tls_level(v) < 0 ? "is not one of none, may, encrypt, verify"
                                  : NULL;
}

/* check_header - an RFC 5322 field name: printable ASCII except ':' */
static const char *check_header(const char *v) {
  if (*v == 0)
    return "must not be empty";
  if (strlen(v) > 76)
    return "is longer than 76 characters";
  for (; *v; v++)
    if ((unsigned char)*v < 33 || (unsigned char)*v > 126 || *v == ':')
      return "is not a header field name (printable ASCII, no ':' or space)";
  return NULL;
}

/* check_fingerprint - 32 hex byte pairs, optionally separated by ':' */
static const char *check_fingerprint(const char *v) {
  static const char bad[] = "is not a SHA-256 fingerprint (32 hex bytes, "
                            "\"AB:CD:...\")";
  size_t pairs = 0;

  while (*v) {
    if (!((v[0] >= '0' && v[0] <= '9') || (v[0] >= 'a' && v[0] <= 'f') ||
          (v[0] >= 'A' && v[0] <= 'F')) ||
        !((v[1] >= '0' && v[1] <= '9') || (v[1] >= 'a' && v[1] <= 'f') ||
          (v[1] >= 'A' && v[1] <= 'F')))
      return bad;
    pairs++;
    v += 2;
    if (*v == ':' && v[1] != 0)
      v++;
  }
  return pairs == 32 ? NULL : bad;
}

/* cfg_find_key - the table entry for NAME in GROUP, or NULL */
static const struct cfg_key *cfg_find_key(const char *group, const char *name) {
  size_t i;

  for (i = 0; i < sizeof(cfg_keys) / sizeof(cfg_keys[0]); i++)
    if (strcmp(cfg_keys[i].group, group) == 0 &&
        strcmp(cfg_keys[i].name, name) == 0)
      return &cfg_keys[i];
  return NULL;
}

/* cfg_is_int - an integer setting (32 or 64 bit) */
static int cfg_is_int(const config_setting_t *s) {
  int t = config_setting_type(s);

  return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
}

static int cfg_check_group(struct cfg_loader *ld, const config_setting_t *g,
                           const char *group, const char *shown);

/* cfg_check_strlist - a list/array of checked strings (or one string) */
static int cfg_check_strlist(struct cfg_loader *ld, const config_setting_t *s,
                             const struct cfg_key *k, const char *full) {
  const config_setting_t *e;
  const char *why;
  int i, n;

  if (config_setting_type(s) == CONFIG_TYPE_STRING) {
    why = k->check(config_setting_get_string(s));
    return why ? dlp_cfg_fail(ld, s, "%s: \"%s\" %s", full,
                              config_setting_get_string(s), why)
               : 0;
  }
  if (!config_setting_is_aggregate(s) || config_setting_is_group(s))
    return dlp_cfg_fail(ld, s, "%s: expected a list of strings", full);
  n = config_setting_length(s);
  for (i = 0; i < n; i++) {
    e = config_setting_get_elem(s, (unsigned)i);
    if (config_setting_type(e) != CONFIG_TYPE_STRING)
      return dlp_cfg_fail(ld, e, "%s: expected a list of strings", full);
    if ((why = k->check(config_setting_get_string(e))) != NULL)
      return dlp_cfg_fail(ld, e, "%s: \"%s\" %s", full,
                          config_setting_get_string(e), why);
  }
  return 0;
}

/* cfg_check_servers - dlp.servers: a non-empty list of server groups */
static int cfg_check_servers(struct cfg_loader *ld, const config_setting_t *s) {
  const config_setting_t *e;
  char shown[64];
  int i, n;

  if (!config_setting_is_list(s))
    return dlp_cfg_fail(ld, s,
                        "dlp.servers: expected a list of groups "
                        "( { host = \"...\"; port = N; }, ... )");
  if ((n = config_setting_length(s)) == 0)
    return dlp_cfg_fail(ld, s, "dlp.servers: at least one server is required");
  for (i = 0; i < n; i++) {
    e = config_setting_get_elem(s, (unsigned)i);
    snprintf(shown, sizeof(shown), "dlp.servers[%d]", i);
    if (!config_setting_is_group(e))
      return dlp_cfg_fail(ld, e,
                          "%s: expected a group { host = ...; port = "
                          "...; }",
                          shown);
    if (cfg_check_group(ld, e, "dlp.servers", shown) < 0)
      return -1;
    if (config_setting_get_member(e, "host") == NULL)
      return dlp_cfg_fail(ld, e, "%s: host is required", shown);
    if (config_setting_get_member(e, "port") == NULL)
      return dlp_cfg_fail(ld, e, "%s: port is required", shown);
  }
  return 0;
}

/* cfg_check_value - type, range and syntax of S, known as key K */
static int cfg_check_value(struct cfg_loader *ld, const config_setting_t *s,
                           const struct cfg_key *k, const char *full) {
  const char *why;
  long long v;

  switch (k->kind) {
  case K_GROUP:
    if (!config_setting_is_group(s))
      return dlp_cfg_fail(ld, s, "%s: expected a group { ... }", full);
    return cfg_check_group(ld, s, full, full);
  case K_LIST:
    return cfg_check_servers(ld, s);
  case K_STRLIST:
    return cfg_check_strlist(ld, s, k, full);
  case K_BOOL:
    if (config_setting_type(s) != CONFIG_TYPE_BOOL)
      return dlp_cfg_fail(ld, s, "%s: expected true or false", full);
    return 0;
  case K_INT:
    if (!cfg_is_int(s))
      return dlp_cfg_fail(ld, s, "%s: expected an integer", full);
    v = config_setting_get_int64(s);
    if (v < k->min || v > k->max)
      return dlp_cfg_fail(ld, s, "%s: %lld is out of range (%lld..%lld)", full,
                          v, k->min, k->max);
    return 0;
  case K_STR:
    if (config_setting_type(s) != CONFIG_TYPE_STRING)
      return dlp_cfg_fail(ld, s, "%s: expected a string", full);
    if (k->check && (why = k->check(config_setting_get_string(s))) != NULL)
      return dlp_cfg_fail(ld, s, "%s: \"%s\" %s", full,
                          config_setting_get_string(s), why);
    return 0;
  }
  return dlp_cfg_fail(ld, s, "%s: internal error: unknown kind", full);
}

/*
 * cfg_check_group - check every member of group G against the keys of
 * table group GROUP; SHOWN is G's name in messages ("" at the top).
 */
static int cfg_check_group(struct cfg_loader *ld, const config_setting_t *g,
                           const char *group, const char *shown) {
  const config_setting_t *s;
  const struct cfg_key *k;
  char full[128];
  int i, n = config_setting_length(g);

  for (i = 0; i < n; i++) {
    s = config_setting_get_elem(g, (unsigned)i);
    snprintf(full, sizeof(full), "%s%s%s", shown, *shown ? "." : "",
             config_setting_name(s) ? config_setting_name(s) : "?");
    if (config_setting_name(s) == NULL ||
        (k = cfg_find_key(group, config_setting_name(s))) == NULL)
      return dlp_cfg_fail(ld, s, "unknown key '%s'", full);
    if (cfg_check_value(ld, s, k, full) < 0)
      return -1;
  }
  return 0;
}

/* dlp_cfg_check_keys - every setting under ROOT against the key table */
int dlp_cfg_check_keys(struct cfg_loader *ld, const config_setting_t *root) {
  return cfg_check_group(ld, root, "", "");
}
