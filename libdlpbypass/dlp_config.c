/*
 * dlp_config.c - load, validate and share the configuration (libconfig).
 *
 * Contract:
 *   dlp_config_load(path, err, errlen) reads PATH with libconfig, checks
 *   every setting against the table of known keys below (name, type,
 *   range, syntax), copies the values into a new immutable struct
 *   dlp_config with one reference and returns it.  On any problem it
 *   returns NULL with "FILE:LINE: what is wrong" in ERR: syntax errors,
 *   unknown keys ("unknown key 'dlp.foo'"), wrong types, out-of-range or
 *   malformed values (milter.strip_headers: header field names, at most
 *   CFG_MAX_STRIP), dlp.health.retry_max below retry_min, no servers,
 *   and TLS settings that OpenSSL refuses
 *   (dlp_tls_create() runs at load time when any server's TLS level is
 *   not "none").  Unset keys take the defaults of DESIGN.md section 5.
 *   dlp_config_ref()/dlp_config_unref() count references atomically; the
 *   last unref frees everything, the TLS context included.
 *   dlp_config_path() ... dlp_config_server_label() are read accessors.
 */
#include "dlp_private.h"
#include "dlp_resolve.h"
#include "dlp_tls.h"

#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define CFG_DEFAULT_SOCKET "inet:10030@127.0.0.1"
#define CFG_DEFAULT_SPILL 1048576
#define CFG_DEFAULT_TMPDIR "/var/tmp"
#define CFG_DEFAULT_HEADER "X-DLP-Bypass"
#define CFG_MAX_STRIP 64 /* milter.strip_headers entries */
#define CFG_MAX_TIMEOUT 3600
#define CFG_MAX_SPILL (1024LL * 1024 * 1024)
#define CFG_DNS_CHECK_MS 5000 /* -n: one name lookup may take this long */

/* Kinds of value a key takes. */
typedef enum { K_STR, K_INT, K_BOOL, K_GROUP, K_LIST, K_STRLIST } cfg_kind;

/* A string check: NULL when VALUE is fine, else what is wrong with it. */
typedef const char *(*cfg_check)(const char *value);

static const char *check_nonempty(const char *v);
static const char *check_host(const char *v);
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
    {"dlp", "helo_name", K_STR, 0, 0, check_host},
    {"dlp", "debug_peers", K_STRLIST, 0, 0, check_host},
    {"dlp", "tls", K_GROUP, 0, 0, NULL},
    {"dlp", "health", K_GROUP, 0, 0, NULL},
    {"dlp.health", "retry_min", K_INT, 1, CFG_MAX_TIMEOUT, NULL},
    {"dlp.health", "retry_max", K_INT, 1, CFG_MAX_TIMEOUT, NULL},
    {"dlp.health", "probe", K_BOOL, 0, 0, NULL},
    {"dlp", "reuse", K_GROUP, 0, 0, NULL},
    {"dlp.reuse", "max_age", K_INT, 0, CFG_MAX_TIMEOUT, NULL},
    {"dlp.reuse", "idle_timeout", K_INT, 1, CFG_MAX_TIMEOUT, NULL},
    {"dlp.servers", "host", K_STR, 0, 0, check_host},
    {"dlp.servers", "port", K_INT, 1, 65535, NULL},
    {"dlp.servers", "tls_level", K_STR, 0, 0, check_tls_level},
    {"dlp.tls", "level", K_STR, 0, 0, check_tls_level},
    {"dlp.tls", "ca_file", K_STR, 0, 0, check_nonempty},
    {"dlp.tls", "ca_path", K_STR, 0, 0, check_nonempty},
    {"dlp.tls", "cert_file", K_STR, 0, 0, check_nonempty},
    {"dlp.tls", "key_file", K_STR, 0, 0, check_nonempty},
    {"dlp.tls", "match", K_STR, 0, 0, check_host},
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
};

/* milter.strip_headers when unset (bypass.header is added to any list) */
static const char *const cfg_default_strip[] = {"X-DLP-Bypass",
                                                "X-CFilter-Loop"};

static const char *const tls_level_names[] = {"none", "may", "encrypt",
                                              "verify"};

/* Loading state: where the error goes. */
struct cfg_loader {
  const char *path;
  char *err;
  size_t errlen;
};

/* cfg_fail - "FILE:LINE: message" for setting S (NULL: line 1); -1 */
static int cfg_fail(struct cfg_loader *ld, const config_setting_t *s,
                    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int cfg_fail(struct cfg_loader *ld, const config_setting_t *s,
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

/* check_host - a host name or address: no spaces or control characters */
static const char *check_host(const char *v) {
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
  if (at != NULL && check_host(at + 1) != NULL)
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
static int cfg_tls_level(const char *v) {
  size_t i;

  for (i = 0; i < sizeof(tls_level_names) / sizeof(tls_level_names[0]); i++)
    if (strcmp(v, tls_level_names[i]) == 0)
      return (int)i;
  return -1;
}

/* check_tls_level - none, may, encrypt or verify */
static const char *check_tls_level(const char *v) {
  return cfg_tls_level(v) < 0 ? "is not one of none, may, encrypt, verify"
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
    return why ? cfg_fail(ld, s, "%s: \"%s\" %s", full,
                          config_setting_get_string(s), why)
               : 0;
  }
  if (!config_setting_is_aggregate(s) || config_setting_is_group(s))
    return cfg_fail(ld, s, "%s: expected a list of strings", full);
  n = config_setting_length(s);
  for (i = 0; i < n; i++) {
    e = config_setting_get_elem(s, (unsigned)i);
    if (config_setting_type(e) != CONFIG_TYPE_STRING)
      return cfg_fail(ld, e, "%s: expected a list of strings", full);
    if ((why = k->check(config_setting_get_string(e))) != NULL)
      return cfg_fail(ld, e, "%s: \"%s\" %s", full,
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
    return cfg_fail(ld, s,
                    "dlp.servers: expected a list of groups "
                    "( { host = \"...\"; port = N; }, ... )");
  if ((n = config_setting_length(s)) == 0)
    return cfg_fail(ld, s, "dlp.servers: at least one server is required");
  for (i = 0; i < n; i++) {
    e = config_setting_get_elem(s, (unsigned)i);
    snprintf(shown, sizeof(shown), "dlp.servers[%d]", i);
    if (!config_setting_is_group(e))
      return cfg_fail(ld, e,
                      "%s: expected a group { host = ...; port = "
                      "...; }",
                      shown);
    if (cfg_check_group(ld, e, "dlp.servers", shown) < 0)
      return -1;
    if (config_setting_get_member(e, "host") == NULL)
      return cfg_fail(ld, e, "%s: host is required", shown);
    if (config_setting_get_member(e, "port") == NULL)
      return cfg_fail(ld, e, "%s: port is required", shown);
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
      return cfg_fail(ld, s, "%s: expected a group { ... }", full);
    return cfg_check_group(ld, s, full, full);
  case K_LIST:
    return cfg_check_servers(ld, s);
  case K_STRLIST:
    return cfg_check_strlist(ld, s, k, full);
  case K_BOOL:
    if (config_setting_type(s) != CONFIG_TYPE_BOOL)
      return cfg_fail(ld, s, "%s: expected true or false", full);
    return 0;
  case K_INT:
    if (!cfg_is_int(s))
      return cfg_fail(ld, s, "%s: expected an integer", full);
    v = config_setting_get_int64(s);
    if (v < k->min || v > k->max)
      return cfg_fail(ld, s, "%s: %lld is out of range (%lld..%lld)", full, v,
                      k->min, k->max);
    return 0;
  case K_STR:
    if (config_setting_type(s) != CONFIG_TYPE_STRING)
      return cfg_fail(ld, s, "%s: expected a string", full);
    if (k->check && (why = k->check(config_setting_get_string(s))) != NULL)
      return cfg_fail(ld, s, "%s: \"%s\" %s", full,
                      config_setting_get_string(s), why);
    return 0;
  }
  return cfg_fail(ld, s, "%s: internal error: unknown kind", full);
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
      return cfg_fail(ld, s, "unknown key '%s'", full);
    if (cfg_check_value(ld, s, k, full) < 0)
      return -1;
  }
  return 0;
}

/* cfg_strdup_opt - copy of string PATH in C, or of DEF (may be NULL) */
static int cfg_strdup_opt(const config_t *c, const char *path, const char *def,
                          char **out) {
  const char *v = def;

  config_lookup_string(c, path, &v);
  *out = NULL;
  if (v == NULL)
    return 0;
  return (*out = strdup(v)) == NULL ? -1 : 0;
}

/* cfg_int_opt - integer PATH in C, or DEF */
static int cfg_int_opt(const config_t *c, const char *path, int def) {
  long long v;

  return config_lookup_int64(c, path, &v) ? (int)v : def;
}

/* cfg_default_helo - this machine's name, or "localhost" */
static char *cfg_default_helo(void) {
  char name[256];

  if (gethostname(name, sizeof(name) - 1) < 0)
    name[0] = 0;
  name[sizeof(name) - 1] = 0;
  return strdup(*name && check_host(name) == NULL ? name : "localhost");
}

/* cfg_copy_servers - dlp.servers into CFG (already checked) */
static int cfg_copy_servers(const config_t *c, DLP_CONFIG *cfg) {
  const config_setting_t *list = config_lookup(c, "dlp.servers");
  const config_setting_t *e;
  const char *host, *level;
  long long port;
  size_t i, n = (size_t)config_setting_length(list);
  char label[300];

  if ((cfg->servers = calloc(n, sizeof(*cfg->servers))) == NULL)
    return -1;
  for (i = 0; i < n; i++) {
    struct dlp_server *sv = &cfg->servers[i];

    cfg->nservers++;
    e = config_setting_get_elem(list, (unsigned)i);
    config_setting_lookup_string(e, "host", &host);
    config_setting_lookup_int64(e, "port", &port);
    sv->port = (unsigned)port;
    sv->tls_level = cfg->tls.level;
    if (config_setting_lookup_string(e, "tls_level", &level))
      sv->tls_level = cfg_tls_level(level);
    snprintf(label, sizeof(label), strchr(host, ':') ? "[%s]:%u" : "%s:%u",
             host, sv->port);
    if ((sv->host = strdup(host)) == NULL ||
        (sv->label = strdup(label)) == NULL)
      return -1;
  }
  return 0;
}

/* cfg_copy_tls - dlp.tls into CFG (already checked) */
static int cfg_copy_tls(const config_t *c, DLP_CONFIG *cfg) {
  struct dlp_tls_config *t = &cfg->tls;
  const config_setting_t *fp = config_lookup(c, "dlp.tls.fingerprint");
  const char *level = "none";
  size_t i, n = 0;

  config_lookup_string(c, "dlp.tls.level", &level);
  t->level = cfg_tls_level(level);
  if (cfg_strdup_opt(c, "dlp.tls.ca_file", NULL, &t->ca_file) < 0 ||
      cfg_strdup_opt(c, "dlp.tls.ca_path", NULL, &t->ca_path) < 0 ||
      cfg_strdup_opt(c, "dlp.tls.cert_file", NULL, &t->cert_file) < 0 ||
      cfg_strdup_opt(c, "dlp.tls.key_file", NULL, &t->key_file) < 0 ||
      cfg_strdup_opt(c, "dlp.tls.match", NULL, &t->match) < 0 ||
      cfg_strdup_opt(c, "dlp.tls.protocols", NULL, &t->protocols) < 0 ||
      cfg_strdup_opt(c, "dlp.tls.ciphers", NULL, &t->ciphers) < 0)
    return -1;
  if (fp != NULL)
    n = config_setting_type(fp) == CONFIG_TYPE_STRING
            ? 1
            : (size_t)config_setting_length(fp);
  if ((t->fingerprints = calloc(n + 1, sizeof(char *))) == NULL)
    return -1;
  for (i = 0; i < n; i++) {
    const char *v = n == 1 && config_setting_type(fp) == CONFIG_TYPE_STRING
                        ? config_setting_get_string(fp)
                        : config_setting_get_string_elem(fp, (int)i);

    if ((t->fingerprints[i] = strdup(v)) == NULL)
      return -1;
    t->nfingerprints++;
  }
  return 0;
}

/* cfg_add_strip - NAME onto CFG's strip list unless there (any case) */
static int cfg_add_strip(DLP_CONFIG *cfg, const char *name) {
  size_t i;

  for (i = 0; i < cfg->nstrip_headers; i++)
    if (strcasecmp(cfg->strip_headers[i], name) == 0)
      return 0;
  if ((cfg->strip_headers[cfg->nstrip_headers] = strdup(name)) == NULL)
    return -1;
  cfg->nstrip_headers++;
  return 0;
}

/*
 * cfg_copy_strip - milter.strip_headers (already checked) or its default,
 * and bypass.header, without duplicates; 0 or -1 (ENOMEM)
 */
static int cfg_copy_strip(const config_t *c, DLP_CONFIG *cfg) {
  const config_setting_t *s = config_lookup(c, "milter.strip_headers");
  size_t i, n = sizeof(cfg_default_strip) / sizeof(cfg_default_strip[0]);
  const char *v;

  if (s != NULL)
    n = config_setting_type(s) == CONFIG_TYPE_STRING
            ? 1
            : (size_t)config_setting_length(s);
  if ((cfg->strip_headers = calloc(n + 1, sizeof(char *))) == NULL)
    return -1;
  for (i = 0; i < n; i++) {
    if (s == NULL)
      v = cfg_default_strip[i];
    else if (config_setting_type(s) == CONFIG_TYPE_STRING)
      v = config_setting_get_string(s);
    else
      v = config_setting_get_string_elem(s, (int)i);
    if (cfg_add_strip(cfg, v) < 0)
      return -1;
  }
  return cfg_add_strip(cfg, cfg->bypass_header);
}

/* cfg_copy_peers - dlp.debug_peers (one name or a list); 0 or -1 */
static int cfg_copy_peers(const config_t *c, DLP_CONFIG *cfg) {
  const config_setting_t *s = config_lookup(c, "dlp.debug_peers");
  size_t i, n;

  if (s == NULL)
    return 0;
  n = config_setting_type(s) == CONFIG_TYPE_STRING
          ? 1
          : (size_t)config_setting_length(s);
  if ((cfg->debug_peers = calloc(n + 1, sizeof(char *))) == NULL)
    return -1;
  for (i = 0; i < n; i++) {
    cfg->debug_peers[i] = strdup(config_setting_type(s) == CONFIG_TYPE_STRING
                                     ? config_setting_get_string(s)
                                     : config_setting_get_string_elem(s, (int)i));
    if (cfg->debug_peers[i] == NULL)
      return -1;
    cfg->ndebug_peers++;
  }
  return 0;
}

/* cfg_copy - every value of C, or its default, into CFG; 0 or -1 (ENOMEM) */
static int cfg_copy(const config_t *c, DLP_CONFIG *cfg) {
  int enabled = 1, probe;
  long long spill;

  if (cfg_strdup_opt(c, "milter.socket", CFG_DEFAULT_SOCKET,
                     &cfg->milter_socket) < 0 ||
      cfg_strdup_opt(c, "milter.tmpdir", CFG_DEFAULT_TMPDIR, &cfg->tmpdir) <
          0 ||
      cfg_strdup_opt(c, "bypass.header", CFG_DEFAULT_HEADER,
                     &cfg->bypass_header) < 0 ||
      cfg_strdup_opt(c, "dlp.helo_name", NULL, &cfg->helo_name) < 0)
    return -1;
  if (cfg->helo_name == NULL && (cfg->helo_name = cfg_default_helo()) == NULL)
    return -1;
  cfg->spill_size = config_lookup_int64(c, "milter.spill_size", &spill)
                        ? (size_t)spill
                        : CFG_DEFAULT_SPILL;
  cfg->connect_timeout = cfg_int_opt(c, "dlp.connect_timeout", 5);
  cfg->connect_stagger_ms = cfg_int_opt(c, "dlp.connect_stagger_ms", 250);
  cfg->command_timeout = cfg_int_opt(c, "dlp.command_timeout", 10);
  cfg->data_timeout = cfg_int_opt(c, "dlp.data_timeout", 120);
  cfg->session_deadline = cfg_int_opt(c, "dlp.session_deadline", 25);
  cfg->health_retry_min = cfg_int_opt(c, "dlp.health.retry_min", 1);
  cfg->health_retry_max = cfg_int_opt(c, "dlp.health.retry_max", 5);
  if (cfg->health_retry_max < cfg->health_retry_min) /* retry_max unset */
    cfg->health_retry_max = cfg->health_retry_min;
  cfg->reuse_max_age = cfg_int_opt(c, "dlp.reuse.max_age", 60);
  cfg->reuse_idle_timeout = cfg_int_opt(c, "dlp.reuse.idle_timeout", 5);
  probe = 1;
  config_lookup_bool(c, "dlp.health.probe", &probe);
  cfg->health_probe = probe != 0;
  config_lookup_bool(c, "bypass.enabled", &enabled);
  cfg->bypass_enabled = enabled != 0;
  if (cfg_copy_tls(c, cfg) < 0 || cfg_copy_servers(c, cfg) < 0 ||
      cfg_copy_strip(c, cfg) < 0 || cfg_copy_peers(c, cfg) < 0)
    return -1;
  /* policy (issue 10) */

  /* retro-scan (issue 10) */
  if (dlp_config_rescan_copy(c, cfg) < 0)
    return -1;

  /* events (issue 11) */
  if (dlp_config_copy_alert(c, cfg) < 0)
    return -1;

  /* audit (issue 11) */
  if (dlp_config_copy_audit(c, cfg) < 0)
    return -1;

  /* metrics, control (issue 11) */
  if (dlp_cfg_status_copy(c, cfg) < 0)
    return -1;

  /* daemon (issue 12) */
  if (dlp_config_daemon_copy(c, cfg) < 0)
    return -1;
  return 0;
}

/* cfg_free - release CFG and everything it owns */
static void cfg_free(DLP_CONFIG *cfg) {
  size_t i;

  if (cfg == NULL)
    return;
  if (cfg->tls_ctx != NULL)
    dlp_tls_free(cfg->tls_ctx);
  for (i = 0; i < cfg->nservers; i++) {
    free(cfg->servers[i].host);
    free(cfg->servers[i].label);
  }
  free(cfg->servers);
  for (i = 0; i < cfg->tls.nfingerprints; i++)
    free(cfg->tls.fingerprints[i]);
  free(cfg->tls.fingerprints);
  for (i = 0; i < cfg->nstrip_headers; i++)
    free(cfg->strip_headers[i]);
  free(cfg->strip_headers);
  for (i = 0; i < cfg->ndebug_peers; i++)
    free(cfg->debug_peers[i]);
  free(cfg->debug_peers);
  free(cfg->tls.ca_file);
  free(cfg->tls.ca_path);
  free(cfg->tls.cert_file);
  free(cfg->tls.key_file);
  free(cfg->tls.match);
  free(cfg->tls.protocols);
  free(cfg->tls.ciphers);
  free(cfg->path);
  free(cfg->milter_socket);
  free(cfg->tmpdir);
  free(cfg->helo_name);
  free(cfg->bypass_header);
  /* policy (issue 10) */
  dlp_policy_free(cfg);

  /* retro-scan (issue 10) */
  free(cfg->rescan_recipient);
  free(cfg->rescan_header);

  /* events (issue 11) */
  free(cfg->alert_command);

  /* audit (issue 11) */
  free(cfg->audit_file);

  /* metrics, control (issue 11) */
  dlp_cfg_status_free(cfg);

  /* daemon (issue 12) */
  dlp_config_daemon_free(cfg);
  free(cfg);
}

/* cfg_tls_setup - the TLS context when any server wants TLS; 0 or -1 */
static int cfg_tls_setup(struct cfg_loader *ld, const config_t *c,
                         DLP_CONFIG *cfg) {
  const config_setting_t *where = config_lookup(c, "dlp.tls");
  char why[400];
  size_t i;

  for (i = 0; i < cfg->nservers; i++)
    if (cfg->servers[i].tls_level != DLP_TLS_NONE)
      break;
  if (i == cfg->nservers)
    return 0;
  if (where == NULL)
    where =
        config_setting_get_elem(config_lookup(c, "dlp.servers"), (unsigned)i);
  why[0] = 0;
  if ((cfg->tls_ctx = dlp_tls_create(&cfg->tls, why, sizeof(why))) == NULL)
    return cfg_fail(ld, where, "%s",
                    why[0] ? why : "dlp.tls: cannot set up TLS");
  return 0;
}

/*
 * cfg_check_health - an explicit dlp.health.retry_max below retry_min is an
 * error (at retry_max's line); an unset retry_max defaults to at least
 * retry_min.
 */
static int cfg_check_health(struct cfg_loader *ld, const config_t *c) {
  const config_setting_t *max = config_lookup(c, "dlp.health.retry_max");
  long long lo = 1, hi;

  if (max == NULL)
    return 0;
  config_lookup_int64(c, "dlp.health.retry_min", &lo);
  hi = config_setting_get_int64(max);
  if (hi < lo)
    return cfg_fail(ld, max,
                    "dlp.health.retry_max: %lld is below "
                    "dlp.health.retry_min (%lld)",
                    hi, lo);
  return 0;
}

/*
 * cfg_check_rows - the timeouts must leave every verdict row reachable
 * (DESIGN.md section 3).  Within one callback's session deadline S the
 * connection manager gives a host that connected its share of the time
 * left, S / (hosts undecided), and bounds a connect by connect_timeout
 * C alone.  With one server its connect must fit (C <= S), else a host
 * that drops SYNs is cut short by the deadline and row 1 is unreachable.
 * With two or more, a first host that accepts TCP and then hangs uses
 * up to S / 2 (row 3 / row 2); the next host's connect must still fit
 * in the rest: 2 C <= S.  The error is reported at session_deadline's
 * line (or connect_timeout's when the deadline is the default).
 */
static int cfg_check_rows(struct cfg_loader *ld, const config_t *c,
                          const DLP_CONFIG *cfg) {
  const config_setting_t *at = config_lookup(c, "dlp.session_deadline");
  long long need = (long long)cfg->connect_timeout * (cfg->nservers > 1 ? 2 : 1);

  if (cfg->session_deadline >= need)
    return 0;
  if (at == NULL)
    at = config_lookup(c, "dlp.connect_timeout");
  return cfg_fail(ld, at,
                  "dlp.session_deadline (%d s) must be at least %s"
                  "dlp.connect_timeout (%d s) with %zu server%s: a %s",
                  cfg->session_deadline, cfg->nservers > 1 ? "twice " : "",
                  cfg->connect_timeout, cfg->nservers,
                  cfg->nservers > 1 ? "s" : "",
                  cfg->nservers > 1
                      ? "host that accepts and then hangs would leave the "
                        "next host no time to connect (verdict rows 2 and 3 "
                        "unreachable)"
                      : "host that drops SYNs would be cut short by the "
                        "deadline (verdict row 1 unreachable)");
}

/* cfg_check_strip - at most CFG_MAX_STRIP milter.strip_headers entries */
static int cfg_check_strip(struct cfg_loader *ld, const config_t *c) {
  const config_setting_t *s = config_lookup(c, "milter.strip_headers");

  if (s != NULL && config_setting_is_aggregate(s) &&
      config_setting_length(s) > CFG_MAX_STRIP)
    return cfg_fail(ld, s, "milter.strip_headers: more than %d names",
                    CFG_MAX_STRIP);
  return 0;
}

/* cfg_parse - read PATH into C and check it; 0 or -1 with the error set */
static int cfg_parse(struct cfg_loader *ld, config_t *c) {
  const config_setting_t *dlp;
  FILE *fp;

  if ((fp = fopen(ld->path, "r")) == NULL) {
    snprintf(ld->err, ld->errlen, "%s:0: cannot open: %s", ld->path,
             strerror(errno));
    return -1;
  }
  fclose(fp);
  if (!config_read_file(c, ld->path)) {
    snprintf(ld->err, ld->errlen, "%s:%d: %s",
             config_error_file(c) ? config_error_file(c) : ld->path,
             config_error_line(c),
             config_error_text(c) ? config_error_text(c) : "syntax error");
    return -1;
  }
  if (cfg_check_group(ld, config_root_setting(c), "", "") < 0 ||
      cfg_check_health(ld, c) < 0 || cfg_check_strip(ld, c) < 0)
    return -1;
  if ((dlp = config_lookup(c, "dlp")) == NULL)
    return cfg_fail(ld, NULL,
                    "dlp.servers: at least one server is "
                    "required (no dlp group)");
  if (config_setting_get_member(dlp, "servers") == NULL)
    return cfg_fail(ld, dlp, "dlp.servers: at least one server is required");
  return 0;
}

/* dlp_config_load - read and validate PATH into a new configuration */
DLP_CONFIG *dlp_config_load(const char *path, char *err, size_t errlen) {
  struct cfg_loader ld = {path, err, errlen};
  DLP_CONFIG *cfg = NULL;
  config_t c;

  if (errlen > 0)
    err[0] = 0;
  config_init(&c);
  if (cfg_parse(&ld, &c) < 0)
    goto fail;
  if ((cfg = calloc(1, sizeof(*cfg))) == NULL ||
      (cfg->path = strdup(path)) == NULL || cfg_copy(&c, cfg) < 0) {
    snprintf(err, errlen, "%s:0: out of memory", path);
    goto fail;
  }
  if (cfg_check_rows(&ld, &c, cfg) < 0 || cfg_tls_setup(&ld, &c, cfg) < 0)
    goto fail;
  /* checks that need the copied values, with file:line (issues 10-12):
     one "if (cfg_check_X(&ld, &c, cfg) < 0) goto fail;" each */
  if (dlp_policy_load(&c, cfg, ld.path, ld.err, ld.errlen) < 0) /* issue 10 */
    goto fail;
  if (dlp_config_rescan_check(&c, path, err, errlen) < 0) /* issue 10 */
    goto fail;


  cfg->refcount = 1;
  config_destroy(&c);
  return cfg;

fail:
  cfg_free(cfg);
  config_destroy(&c);
  return NULL;
}

/* dlp_config_ref - take one more reference */
DLP_CONFIG *dlp_config_ref(DLP_CONFIG *cfg) {
  __atomic_add_fetch(&cfg->refcount, 1, __ATOMIC_RELAXED);
  return cfg;
}

/* dlp_config_unref - drop one reference; free on the last */
void dlp_config_unref(DLP_CONFIG *cfg) {
  if (cfg != NULL &&
      __atomic_sub_fetch(&cfg->refcount, 1, __ATOMIC_ACQ_REL) == 0)
    cfg_free(cfg);
}

/* dlp_config_path - the file it was loaded from */
const char *dlp_config_path(const DLP_CONFIG *cfg) {
  return cfg->path;
}

/* dlp_config_milter_socket - milter.socket */
const char *dlp_config_milter_socket(const DLP_CONFIG *cfg) {
  return cfg->milter_socket;
}

/* dlp_config_bypass_enabled - bypass.enabled */
int dlp_config_bypass_enabled(const DLP_CONFIG *cfg) {
  return cfg->bypass_enabled;
}

/* dlp_config_bypass_header - bypass.header */
const char *dlp_config_bypass_header(const DLP_CONFIG *cfg) {
  return cfg->bypass_header;
}

/*
 * dlp_config_strip_header - name I of the header fields the milter strips
 * (milter.strip_headers and bypass.header), NULL past the end
 */
const char *dlp_config_strip_header(const DLP_CONFIG *cfg, size_t i) {
  return i < cfg->nstrip_headers ? cfg->strip_headers[i] : NULL;
}

/* dlp_config_nservers - how many DLP servers */
size_t dlp_config_nservers(const DLP_CONFIG *cfg) {
  return cfg->nservers;
}

/* dlp_config_server_label - "host:port" of server I, NULL out of range */
const char *dlp_config_server_label(const DLP_CONFIG *cfg, size_t i) {
  return i < cfg->nservers ? cfg->servers[i].label : NULL;
}

/* dlp_config_debug_peer - LABEL "host[addr]:port" is a debug peer's */
int dlp_config_debug_peer(const DLP_CONFIG *cfg, const char *label) {
  const char *open = strchr(label, '['), *close;
  size_t i, hlen, alen;

  if (cfg->ndebug_peers == 0)
    return 0;
  hlen = open != NULL ? (size_t)(open - label) : strcspn(label, ":");
  close = open != NULL ? strchr(open, ']') : NULL;
  alen = close != NULL ? (size_t)(close - open - 1) : 0;
  for (i = 0; i < cfg->ndebug_peers; i++) {
    const char *p = cfg->debug_peers[i];

    if ((strlen(p) == hlen && strncasecmp(p, label, hlen) == 0) ||
        (alen > 0 && strlen(p) == alen && strncasecmp(p, open + 1, alen) == 0))
      return 1;
  }
  return 0;
}

/* dlp_config_check_names - every server name resolves (bounded lookups) */
int dlp_config_check_names(const DLP_CONFIG *cfg, char *err, size_t errlen) {
  char why[256];
  size_t i;

  for (i = 0; i < cfg->nservers; i++) {
    if (dlp_resolve_check(cfg->servers[i].host, CFG_DNS_CHECK_MS, why,
                          sizeof(why)) == 0)
      continue;
    snprintf(err, errlen, "%s: dlp.servers[%zu]: host %s does not resolve: %s",
             cfg->path, i, cfg->servers[i].host, why);
    return -1;
  }
  return 0;
}
