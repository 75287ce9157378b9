/*
 * dlp_policy.c - the bypass policy settings of a configuration
 * (bypass.budget, bypass.never; DESIGN.md 3a item 2, 5a) and the
 * never-bypass matchers.
 *
 * Contract:
 *   dlp_policy_load(c, cfg, path, err, errlen) copies bypass.budget and
 *   bypass.never of the already checked libconfig tree C into CFG and
 *   compiles each bypass.never.headers entry once (POSIX ERE,
 *   REG_EXTENDED | REG_ICASE | REG_NOSUB).  0, or -1 with "FILE:LINE:
 *   bypass.never.headers[I]: bad regular expression: <regerror>" (or
 *   "PATH:0: out of memory") in ERR; CFG then owns what was copied so
 *   far and dlp_policy_free() releases it.  dlp_policy_check_address()
 *   is the key table's check of a bypass.never.senders/recipients entry.
 *   The matchers never allocate except dlp_policy_never_header (one
 *   buffer per call, only when header rules exist); they are read-only
 *   on the configuration and safe from any thread (glibc regexec is).
 *   Address rules: "local@domain" matches that address, "@domain" every
 *   address at that domain or at any of its subdomains; both ignore case.
 *   Header rules match "Name: value" with CR and LF removed (a folded
 *   field unfolded, the folding whitespace kept) and exactly one space
 *   after the colon when the value starts with none.
 */
#include "config.h"

#include "dlp_private.h"

#include <libconfig.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define POLICY_DEFAULT_STATE "/var/lib/dlpbypass/budget.state"

struct dlp_policy {
  long long max_duration; /* seconds; 0: no limit */
  long long max_messages;
  long long max_bytes;
  char *state_file;
  char **senders; /* bypass.never.senders, as configured */
  size_t nsenders;
  char **recipients;
  size_t nrecipients;
  regex_t *headers; /* compiled bypass.never.headers */
  size_t nheaders;
  long long max_size; /* bytes; 0: no limit */
};

/* policy_fail - "FILE:LINE: message" for setting S into ERR; -1 */
static int policy_fail(const char *path, char *err, size_t errlen,
                       const config_setting_t *s, const char *what,
                       const char *why) {
  const char *file = path;
  unsigned line = 0;

  for (; s != NULL && line == 0; s = config_setting_parent(s)) {
    line = config_setting_source_line(s);
    if (config_setting_source_file(s) != NULL)
      file = config_setting_source_file(s);
  }
  snprintf(err, errlen, "%s:%u: %s: %s", file, line ? line : 1, what, why);
  return -1;
}

/* policy_domain_ok - D is a domain name: labels of [A-Za-z0-9-_] */
static int policy_domain_ok(const char *d) {
  size_t label = 0;

  if (*d == '\0' || *d == '.')
    return 0;
  for (; *d != '\0'; d++) {
    if (*d == '.') {
      if (label == 0)
        return 0;
      label = 0;
    } else if ((*d >= 'a' && *d <= 'z') || (*d >= 'A' && *d <= 'Z') ||
               (*d >= '0' && *d <= '9') || *d == '-' || *d == '_') {
      label++;
    } else {
      return 0;
    }
  }
  return label > 0;
}

/* dlp_policy_check_address - NULL when V is "local@domain" or "@domain" */
const char *dlp_policy_check_address(const char *v) {
  const char *at = strrchr(v, '@');
  const char *p;

  if (*v == '\0')
    return "must not be empty";
  for (p = v; *p != '\0'; p++)
    if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || *p == '<' ||
        *p == '>')
      return "contains a space, '<', '>', a control or a non-ASCII character";
  if (at == NULL || !policy_domain_ok(at + 1))
    return "is not an address (local@domain) or a domain (@domain)";
  return NULL;
}

/* dlp_policy_check_regex - a header rule must not be empty (compiled later) */
const char *dlp_policy_check_regex(const char *v) {
  return *v ? NULL : "must not be empty";
}

/* policy_nstrings - entries of string list S (one string counts 1) */
static size_t policy_nstrings(const config_setting_t *s) {
  if (s == NULL)
    return 0;
  if (config_setting_type(s) == CONFIG_TYPE_STRING)
    return 1;
  return (size_t)config_setting_length(s);
}

/* policy_string - entry I of string list S */
static const char *policy_string(const config_setting_t *s, size_t i) {
  if (config_setting_type(s) == CONFIG_TYPE_STRING)
    return config_setting_get_string(s);
  return config_setting_get_string_elem(s, (int)i);
}

/* policy_copy_list - string list PATH of C into a new array; 0 or -1 */
static int policy_copy_list(const config_t *c, const char *path, char ***out,
                            size_t *nout) {
  const config_setting_t *s = config_lookup(c, path);
  size_t i, n = policy_nstrings(s);

  *nout = 0;
  if ((*out = calloc(n + 1, sizeof(char *))) == NULL)
    return -1;
  for (i = 0; i < n; i++) {
    if (((*out)[i] = strdup(policy_string(s, i))) == NULL)
      return -1;
    (*nout)++;
  }
  return 0;
}

/* policy_int - integer PATH of C, or 0 */
static long long policy_int(const config_t *c, const char *path) {
  long long v;

  return config_lookup_int64(c, path, &v) ? v : 0;
}

/* policy_compile - compile bypass.never.headers of C into P; 0 or -1 */
static int policy_compile(const config_t *c, struct dlp_policy *p,
                          const char *path, char *err, size_t errlen) {
  const config_setting_t *s = config_lookup(c, "bypass.never.headers");
  size_t i, n = policy_nstrings(s);
  char what[64], why[256], msg[300];
  int rc;

  if ((p->headers = calloc(n + 1, sizeof(regex_t))) == NULL)
    return policy_fail(path, err, errlen, NULL, "bypass.never.headers",
                       "out of memory");
  for (i = 0; i < n; i++) {
    rc = regcomp(&p->headers[i], policy_string(s, i),
                 REG_EXTENDED | REG_ICASE | REG_NOSUB);
    if (rc != 0) {
      regerror(rc, &p->headers[i], why, sizeof(why));
      regfree(&p->headers[i]);
      snprintf(what, sizeof(what), "bypass.never.headers[%zu]", i);
      snprintf(msg, sizeof(msg), "bad regular expression: %s", why);
      return policy_fail(path, err, errlen,
                         config_setting_type(s) == CONFIG_TYPE_STRING
                             ? s
                             : config_setting_get_elem(s, (unsigned)i),
                         what, msg);
    }
    p->nheaders++;
  }
  return 0;
}

/* dlp_policy_load - bypass.budget and bypass.never of C into CFG */
int dlp_policy_load(const struct config_t *c, DLP_CONFIG *cfg, const char *path,
                    char *err, size_t errlen) {
  struct dlp_policy *p;
  const char *state = POLICY_DEFAULT_STATE;

  if ((p = calloc(1, sizeof(*p))) == NULL) {
    snprintf(err, errlen, "%s:0: out of memory", path);
    return -1;
  }
  cfg->policy = p;
  p->max_duration = policy_int(c, "bypass.budget.max_duration");
  p->max_messages = policy_int(c, "bypass.budget.max_messages");
  p->max_bytes = policy_int(c, "bypass.budget.max_bytes");
  p->max_size = policy_int(c, "bypass.never.max_size");
  config_lookup_string(c, "bypass.budget.state_file", &state);
  if ((p->state_file = strdup(state)) == NULL ||
      policy_copy_list(c, "bypass.never.senders", &p->senders, &p->nsenders) <
          0 ||
      policy_copy_list(c, "bypass.never.recipients", &p->recipients,
                       &p->nrecipients) < 0) {
    snprintf(err, errlen, "%s:0: out of memory", path);
    return -1;
  }
  return policy_compile(c, p, path, err, errlen);
}

/* dlp_policy_free - release the policy settings of CFG */
void dlp_policy_free(DLP_CONFIG *cfg) {
  struct dlp_policy *p = cfg->policy;
  size_t i;

  if (p == NULL)
    return;
  for (i = 0; i < p->nsenders; i++)
    free(p->senders[i]);
  free(p->senders);
  for (i = 0; i < p->nrecipients; i++)
    free(p->recipients[i]);
  free(p->recipients);
  for (i = 0; i < p->nheaders; i++)
    regfree(&p->headers[i]);
  free(p->headers);
  free(p->state_file);
  free(p);
  cfg->policy = NULL;
}

/* dlp_config_budget_max_duration - bypass.budget.max_duration, 0: none */
long long dlp_config_budget_max_duration(const DLP_CONFIG *cfg) {
  return cfg->policy != NULL ? cfg->policy->max_duration : 0;
}

/* dlp_config_budget_max_messages - bypass.budget.max_messages, 0: none */
long long dlp_config_budget_max_messages(const DLP_CONFIG *cfg) {
  return cfg->policy != NULL ? cfg->policy->max_messages : 0;
}

/* dlp_config_budget_max_bytes - bypass.budget.max_bytes, 0: none */
long long dlp_config_budget_max_bytes(const DLP_CONFIG *cfg) {
  return cfg->policy != NULL ? cfg->policy->max_bytes : 0;
}

/* dlp_config_budget_state_file - bypass.budget.state_file */
const char *dlp_config_budget_state_file(const DLP_CONFIG *cfg) {
  return cfg->policy != NULL ? cfg->policy->state_file : POLICY_DEFAULT_STATE;
}

/* dlp_config_never_max_size - bypass.never.max_size, 0: none */
long long dlp_config_never_max_size(const DLP_CONFIG *cfg) {
  return cfg->policy != NULL ? cfg->policy->max_size : 0;
}

/* dlp_policy_addr_match - 1 when address ADDR matches RULE */
int dlp_policy_addr_match(const char *rule, const char *addr) {
  const char *at = strrchr(addr, '@');
  size_t dlen, rlen;

  if (*rule != '@')
    return strcasecmp(rule, addr) == 0;
  if (at == NULL)
    return 0;
  rule++;
  at++;
  dlen = strlen(at);
  if (dlen > 0 && at[dlen - 1] == '.') /* "example.com." */
    dlen--;
  rlen = strlen(rule);
  if (dlen < rlen || strncasecmp(at + dlen - rlen, rule, rlen) != 0)
    return 0;
  return dlen == rlen || at[dlen - rlen - 1] == '.';
}

/* policy_addr_in - 1 when ADDR matches one of the N RULES */
static int policy_addr_in(char *const *rules, size_t n, const char *addr) {
  size_t i;

  if (addr == NULL || *addr == '\0')
    return 0;
  for (i = 0; i < n; i++)
    if (dlp_policy_addr_match(rules[i], addr))
      return 1;
  return 0;
}

/* dlp_policy_never_sender - 1 when sender ADDR matches bypass.never.senders */
int dlp_policy_never_sender(const DLP_CONFIG *cfg, const char *addr) {
  return cfg->policy != NULL &&
         policy_addr_in(cfg->policy->senders, cfg->policy->nsenders, addr);
}

/* dlp_policy_never_recipient - 1 when ADDR matches bypass.never.recipients */
int dlp_policy_never_recipient(const DLP_CONFIG *cfg, const char *addr) {
  return cfg->policy != NULL && policy_addr_in(cfg->policy->recipients,
                                               cfg->policy->nrecipients, addr);
}

/*
 * dlp_policy_never_header - 1 when field NAME: VALUE matches a
 * bypass.never.headers rule, 0 when not, -1 when out of memory (the
 * caller must then treat the field as matching: fail closed)
 */
int dlp_policy_never_header(const DLP_CONFIG *cfg, const char *name,
                            const char *value) {
  const struct dlp_policy *p = cfg->policy;
  size_t i, n, nlen;
  char *field;
  int hit = 0;

  if (p == NULL || p->nheaders == 0)
    return 0;
  nlen = strlen(name);
  if ((field = malloc(nlen + strlen(value) + 3)) == NULL)
    return -1;
  memcpy(field, name, nlen);
  n = nlen;
  field[n++] = ':';
  if (*value != ' ' && *value != '\t')
    field[n++] = ' ';
  for (; *value != '\0'; value++)
    if (*value != '\r' && *value != '\n')
      field[n++] = *value;
  field[n] = '\0';
  for (i = 0; i < p->nheaders && !hit; i++)
    hit = regexec(&p->headers[i], field, 0, NULL, 0) == 0;
  free(field);
  return hit;
}
