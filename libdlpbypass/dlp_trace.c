/*
 * dlp_trace.c - bounded SMTP session transcripts (dlp_trace.h).
 *
 * Contract: see dlp_trace.h.  When an item does not fit, whole items are
 * dropped from the front; t->dropped counts them (dlp_conn.c then marks
 * the transcript "(earlier items dropped)").
 */
#include "config.h"

#include "dlp_trace.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define TRACE_ITEM_MAX 200 /* longest item, the rest is cut */
#define TRACE_SEP "; "

/* dlp_trace_reset - start the transcript over */
void dlp_trace_reset(DLP_TRACE *t, int64_t now_ms) {
  t->len = 0;
  t->buf[0] = '\0';
  t->t0 = now_ms;
  t->dropped = 0;
}

/* trace_drop - drop whole items from the front until NEED bytes fit */
static void trace_drop(DLP_TRACE *t, size_t need) {
  char *p;
  size_t cut;

  while (t->len > 0 && t->len + need > DLP_TRACE_MAX) {
    p = strstr(t->buf, TRACE_SEP);
    cut = p != NULL ? (size_t)(p - t->buf) + strlen(TRACE_SEP) : t->len;
    memmove(t->buf, t->buf + cut, t->len - cut + 1);
    t->len -= cut;
    t->dropped++;
  }
}

/* dlp_trace_add - append one item made from FMT */
void dlp_trace_add(DLP_TRACE *t, int64_t now_ms, const char *fmt, ...) {
  char item[TRACE_ITEM_MAX];
  size_t n, i;
  int m;
  va_list ap;

  m = snprintf(item, sizeof(item), "%s+%lldms ", t->len > 0 ? TRACE_SEP : "",
               (long long)(now_ms - t->t0));
  if (m < 0)
    return;
  n = (size_t)m;
  va_start(ap, fmt);
  m = vsnprintf(item + n, sizeof(item) - n, fmt, ap);
  va_end(ap);
  if (m < 0)
    return;
  n += (size_t)m;
  if (n >= sizeof(item))
    n = sizeof(item) - 1;
  for (i = 0; i < n; i++)
    if ((unsigned char)item[i] < 0x20 || (unsigned char)item[i] >= 0x7f)
      item[i] = '?';
  trace_drop(t, n);
  if (t->len == 0 && strncmp(item, TRACE_SEP, strlen(TRACE_SEP)) == 0) {
    memmove(item, item + strlen(TRACE_SEP), n - strlen(TRACE_SEP) + 1);
    n -= strlen(TRACE_SEP);
  }
  memcpy(t->buf + t->len, item, n);
  t->len += n;
  t->buf[t->len] = '\0';
}

/* dlp_trace_text - the transcript so far */
const char *dlp_trace_text(const DLP_TRACE *t) {
  return t->buf;
}
