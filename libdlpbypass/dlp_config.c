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
#include "config.h"

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

#include "dlp_config_int.h"

/* milter.strip_headers when unset (bypass.header is added to any list) */
static const char *const cfg_default_strip[] = {"X-DLP-Bypass",
                                                "X-CFilter-Loop"};

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
  return strdup(*name && dlp_cfg_check_host(name) == NULL ? name : "localhost");
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
      sv->tls_level = dlp_cfg_tls_level(level);
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
  t->level = dlp_cfg_tls_level(level);
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
    cfg->debug_peers[i] =
        strdup(config_setting_type(s) == CONFIG_TYPE_STRING
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

  /* balance (issue 15: load balancing) */
  if (dlp_config_balance_copy(c, cfg) < 0)
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
    return dlp_cfg_fail(ld, where, "%s",
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
    return dlp_cfg_fail(ld, max,
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
  long long need =
      (long long)cfg->connect_timeout * (cfg->nservers > 1 ? 2 : 1);

  if (cfg->session_deadline >= need)
    return 0;
  if (at == NULL)
    at = config_lookup(c, "dlp.connect_timeout");
  return dlp_cfg_fail(
      ld, at,
      "dlp.session_deadline (%d s) must be at least %s"
      "dlp.connect_timeout (%d s) with %zu server%s: a %s",
      cfg->session_deadline, cfg->nservers > 1 ? "twice " : "",
      cfg->connect_timeout, cfg->nservers, cfg->nservers > 1 ? "s" : "",
      cfg->nservers > 1 ? "host that accepts and then hangs would leave the "
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
    return dlp_cfg_fail(ld, s, "milter.strip_headers: more than %d names",
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
  if (dlp_cfg_check_keys(ld, config_root_setting(c)) < 0 ||
      cfg_check_health(ld, c) < 0 || cfg_check_strip(ld, c) < 0)
    return -1;
  if ((dlp = config_lookup(c, "dlp")) == NULL)
    return dlp_cfg_fail(ld, NULL,
                        "dlp.servers: at least one server is "
                        "required (no dlp group)");
  if (config_setting_get_member(dlp, "servers") == NULL)
    return dlp_cfg_fail(ld, dlp,
                        "dlp.servers: at least one server is required");
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
  if (dlp_config_balance_check(&ld, &c, cfg) < 0) /* balance (issue 15) */
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
