/*
 * mlfi_audit_json.c - one decision as the JSON object of its audit line.
 *
 * Contract: mlfi_audit_json(d) builds, with json-c (never by hand), the
 * object (members in this order; null where there is nothing):
 *   time          RFC 3339 UTC with milliseconds, "2026-12-01T13:05:01.123Z"
 *   qid, mid      Postfix queue id ("NOQUEUE" before it has one), our mid=
 *   message_id    the Message-ID field value
 *   from, rcpts   envelope sender (without <>), recipients (an array)
 *   size          bytes of the message as stored for the DLP
 *   sha256        hex SHA-256 of the canonical message (what the DLP got,
 *                 or would have got: un-stuffed, CRLF, no end-of-data)
 *   verdict, reason, policy, rescan   as on the decision line
 *   dlp           the hosts tried, as on the decision line
 *   hosts         the same as an array of {host, addr, port, outcome}
 *   dlp_queue_id, tls, reply, delay, dlp_time
 * Strings that are not valid UTF-8 have each offending byte replaced by
 * '?', so that every line is valid JSON for any consumer.
 * mlfi_audit_field(value) is the Message-ID as kept for the trail.
 */
#include "config.h"

#include "mlfi_audit.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define AUDIT_FIELD_MAX 998 /* RFC 5322 line limit */

/* audit_utf8_len - length of the valid UTF-8 sequence at P, or 0 */
static size_t audit_utf8_len(const unsigned char *p) {
  size_t n, i;

  if (p[0] < 0x80)
    return 1;
  if (p[0] >= 0xc2 && p[0] <= 0xdf)
    n = 2;
  else if (p[0] >= 0xe0 && p[0] <= 0xef)
    n = 3;
  else if (p[0] >= 0xf0 && p[0] <= 0xf4)
    n = 4;
  else
    return 0;
  for (i = 1; i < n; i++)
    if ((p[i] & 0xc0) != 0x80)
      return 0;
  if ((n == 3 && p[0] == 0xe0 && p[1] < 0xa0) ||
      (n == 3 && p[0] == 0xed && p[1] >= 0xa0) ||
      (n == 4 && p[0] == 0xf0 && p[1] < 0x90) ||
      (n == 4 && p[0] == 0xf4 && p[1] >= 0x90))
    return 0; /* overlong, surrogate, beyond U+10FFFF */
  return n;
}

/* audit_str - a JSON string of S (invalid UTF-8 as '?'), null for NULL */
static struct json_object *audit_str(const char *s) {
  struct json_object *o;
  size_t i, n, len;
  char *copy;

  if (s == NULL)
    return NULL;
  len = strlen(s);
  if ((copy = malloc(len + 1)) == NULL)
    return NULL;
  for (i = 0; i < len; i += n) {
    if ((n = audit_utf8_len((const unsigned char *)s + i)) == 0) {
      copy[i] = '?';
      n = 1;
    } else {
      memcpy(copy + i, s + i, n);
    }
  }
  copy[len] = '\0';
  o = json_object_new_string(copy);
  free(copy);
  return o;
}

/* audit_str_opt - audit_str, but null for "" too */
static struct json_object *audit_str_opt(const char *s) {
  return s != NULL && *s != '\0' ? audit_str(s) : NULL;
}

/* audit_time - WHEN as RFC 3339 UTC with milliseconds */
static struct json_object *audit_time(const struct timespec *when) {
  char buf[64];
  struct tm tm;
  size_t n;

  gmtime_r(&when->tv_sec, &tm);
  n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + n, sizeof(buf) - n, ".%03ldZ", when->tv_nsec / 1000000);
  return json_object_new_string(buf);
}

/* audit_seconds - V with DIGITS decimals, printed as such (not %.17g) */
static struct json_object *audit_seconds(double v, int digits) {
  char buf[64];

  snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return json_object_new_double_s(v, buf);
}

/*
 * audit_host - one entry of the hosts tried, "host[addr]:port/outcome"
 * (or "host:port/outcome", "[v6]:port/outcome"), as an object
 */
static struct json_object *audit_host(const char *entry, size_t len) {
  struct json_object *o = json_object_new_object();
  char buf[512], *slash, *colon, *lb, *rb, *host = buf, *addr = NULL;

  if (o == NULL)
    return NULL;
  snprintf(buf, sizeof(buf), "%.*s", (int)len, entry);
  if ((slash = strrchr(buf, '/')) != NULL)
    *slash++ = '\0';
  if ((colon = strrchr(buf, ':')) != NULL &&
      ((rb = strrchr(buf, ']')) == NULL || rb < colon))
    *colon++ = '\0';
  else
    colon = NULL;
  if ((lb = strchr(buf, '[')) != NULL && (rb = strrchr(buf, ']')) != NULL &&
      rb > lb && rb[1] == '\0') {
    *rb = '\0';
    *lb = '\0';
    if (lb == buf)
      host = lb + 1; /* "[v6]:port": the configured literal */
    else
      addr = lb + 1;
  }
  json_object_object_add(o, "host", audit_str(host));
  json_object_object_add(o, "addr", audit_str(addr));
  json_object_object_add(
      o, "port", colon != NULL ? json_object_new_int(atoi(colon)) : NULL);
  json_object_object_add(o, "outcome", audit_str(slash));
  return o;
}

/* audit_hosts - DLP ("h[a]:p/outcome,...") as an array of objects */
static struct json_object *audit_hosts(const char *dlp) {
  struct json_object *a = json_object_new_array();
  const char *p = dlp, *comma;
  size_t n;

  if (a == NULL || dlp == NULL)
    return a;
  while (*p != '\0') {
    comma = strchr(p, ',');
    n = comma != NULL ? (size_t)(comma - p) : strlen(p);
    if (n > 0)
      json_object_array_add(a, audit_host(p, n));
    p += n + (comma != NULL);
  }
  return a;
}

/* audit_envelope - the recipients of D as an array */
static struct json_object *audit_rcpts(const struct mlfi_decision *d) {
  struct json_object *a = json_object_new_array();
  size_t i;

  for (i = 0; a != NULL && i < d->nrcpt; i++)
    json_object_array_add(a, audit_str(d->rcpts[i]));
  return a;
}

/* audit_sha256 - D's digest in hex, or null */
static struct json_object *audit_sha256(const struct mlfi_decision *d) {
  char hex[65];
  int i;

  if (d->sha256 == NULL)
    return NULL;
  for (i = 0; i < 32; i++)
    snprintf(hex + 2 * i, 3, "%02x", d->sha256[i]);
  return json_object_new_string(hex);
}

/* audit_reply - "CODE DSN TEXT" of what Postfix was told, or null */
static struct json_object *audit_reply(const struct mlfi_decision *d) {
  char buf[2 * DLP_REPLY_TEXT_MAX + 64];

  if (d->reply == NULL || d->reply->code == 0)
    return NULL;
  snprintf(buf, sizeof(buf), "%d %s %s", d->reply->code, d->reply->dsn,
           d->reply->text);
  return audit_str(buf);
}

/* mlfi_audit_json - the audit object of decision D (without "prev") */
struct json_object *mlfi_audit_json(const struct mlfi_decision *d) {
  struct json_object *o = json_object_new_object();
  const DLP_RESULT *res = d->res;

  if (o == NULL)
    return NULL;
  json_object_object_add(o, "time", audit_time(&d->when));
  json_object_object_add(o, "qid", audit_str(d->qid));
  json_object_object_add(o, "mid", json_object_new_int64((int64_t)d->mid));
  json_object_object_add(o, "message_id", audit_str(d->message_id));
  json_object_object_add(o, "from", audit_str(d->from));
  json_object_object_add(o, "rcpts", audit_rcpts(d));
  json_object_object_add(
      o, "size", d->size >= 0 ? json_object_new_int64((int64_t)d->size) : NULL);
  json_object_object_add(o, "sha256", audit_sha256(d));
  json_object_object_add(o, "verdict",
                         json_object_new_string(dlp_verdict_name(d->verdict)));
  json_object_object_add(o, "reason", audit_str(d->reason));
  json_object_object_add(o, "policy", audit_str(d->policy));
  json_object_object_add(o, "rescan", json_object_new_boolean(d->rescan != 0));
  json_object_object_add(o, "dlp", audit_str_opt(res ? res->dlp : NULL));
  json_object_object_add(o, "hosts", audit_hosts(res ? res->dlp : NULL));
  json_object_object_add(o, "dlp_queue_id",
                         audit_str_opt(res ? res->dlp_queue_id : NULL));
  json_object_object_add(o, "tls", audit_str_opt(res ? res->tls : NULL));
  json_object_object_add(o, "reply", audit_reply(d));
  json_object_object_add(o, "delay", audit_seconds(d->delay, 3));
  json_object_object_add(o, "dlp_time", audit_seconds(d->dlp_time, 6));
  return o;
}

/* mlfi_audit_field - VALUE unfolded and trimmed, for the trail */
char *mlfi_audit_field(const char *value) {
  char *copy = malloc(AUDIT_FIELD_MAX + 1);
  size_t n = 0;

  if (copy == NULL)
    return NULL;
  for (; *value != '\0' && n < AUDIT_FIELD_MAX; value++)
    if (*value != '\r' && *value != '\n' &&
        (n > 0 || (*value != ' ' && *value != '\t')))
      copy[n++] = *value;
  while (n > 0 && (copy[n - 1] == ' ' || copy[n - 1] == '\t'))
    n--;
  copy[n] = '\0';
  return copy;
}
