/*
 * mlfi_event.c - operational events (mlfi_event.h): one log line each.
 *
 * Contract: see mlfi_event.h.  Values are logged as they are when they
 * are made of safe characters, else in double quotes with '"', '\' and
 * non-printables replaced by '?'.
 */
#include "config.h"

#include "mlfi_event.h"

#include "mlfi.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MLFI_EVENT_MAX 1024 /* longest event line */

/* event_safe - non-zero when V needs no quotes */
static int event_safe(const char *v) {
  if (*v == '\0')
    return 0;
  for (; *v != '\0'; v++)
    if (*v <= 0x20 || *v >= 0x7f || *v == '"' || *v == '\\')
      return 0;
  return 1;
}

/* event_append - " KEY=VALUE" added to LINE (of LEN bytes, N used) */
static size_t event_append(char *line, size_t len, size_t n, const char *key,
                           const char *value) {
  size_t i;

  if (n + 1 >= len)
    return n;
  if (event_safe(value)) {
    n += (size_t)snprintf(line + n, len - n, " %s=%s", key, value);
    return n < len ? n : len - 1;
  }
  n += (size_t)snprintf(line + n, len - n, " %s=\"", key);
  for (i = 0; value[i] != '\0' && n + 2 < len; i++)
    line[n++] = (value[i] >= 0x20 && value[i] < 0x7f && value[i] != '"' &&
                 value[i] != '\\')
                    ? value[i]
                    : '?';
  if (n + 1 < len)
    line[n++] = '"';
  line[n < len ? n : len - 1] = '\0';
  return n < len ? n : len - 1;
}

/* mlfi_event - report event NAME with NULL-ended KEY, VALUE pairs */
void mlfi_event(int priority, const char *name, ...) {
  char line[MLFI_EVENT_MAX];
  const char *key, *value;
  size_t n;
  va_list ap;

  n = (size_t)snprintf(line, sizeof(line), "event=%s", name);
  va_start(ap, name);
  while ((key = va_arg(ap, const char *)) != NULL) {
    value = va_arg(ap, const char *);
    n = event_append(line, sizeof(line), n, key, value != NULL ? value : "");
  }
  va_end(ap);
  mlfi_log(priority, "%s", line);
}
