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

/*
 * trace_head - "; +MSms " (no separator for the first item) into ITEM
 * (TRACE_ITEM_MAX bytes); its length.  Written by hand: it comes with
 * every item, and the transcript is kept for every session, logged or not.
 */
static size_t trace_head(const DLP_TRACE *t, int64_t now_ms, char *item) {
  char digits[24];
  size_t n = 0, k = 0;
  int64_t ms = now_ms - t->t0;

  if (t->len > 0) {
    memcpy(item, TRACE_SEP, strlen(TRACE_SEP));
    n = strlen(TRACE_SEP);
  }
  item[n++] = '+';
  if (ms < 0) {
    item[n++] = '-';
    ms = -ms;
  }
  do {
    digits[k++] = (char)('0' + ms % 10);
    ms /= 10;
  } while (ms > 0 && k < sizeof(digits));
  while (k > 0)
    item[n++] = digits[--k];
  memcpy(item + n, "ms ", 3);
  return n + 3;
}

/* trace_append - ITEM (N bytes, unprintable ones made '?') into T */
static void trace_append(DLP_TRACE *t, char *item, size_t n) {
  size_t i, sep = strlen(TRACE_SEP);

  for (i = 0; i < n; i++)
    if ((unsigned char)item[i] < 0x20 || (unsigned char)item[i] >= 0x7f)
      item[i] = '?';
  if (t->len > 0 && t->len + n > DLP_TRACE_MAX) {
    trace_drop(t, n);
    if (t->len == 0) { /* all dropped: the item has no one to follow */
      memmove(item, item + sep, n - sep);
      n -= sep;
    }
  }
  memcpy(t->buf + t->len, item, n);
  t->len += n;
  t->buf[t->len] = '\0';
}

/* dlp_trace_add - append one item made from FMT */
void dlp_trace_add(DLP_TRACE *t, int64_t now_ms, const char *fmt, ...) {
  char item[TRACE_ITEM_MAX];
  size_t n = trace_head(t, now_ms, item);
  int m;
  va_list ap;

  va_start(ap, fmt);
  m = vsnprintf(item + n, sizeof(item) - n, fmt, ap);
  va_end(ap);
  if (m < 0)
    return;
  n += (size_t)m;
  if (n >= sizeof(item))
    n = sizeof(item) - 1;
  trace_append(t, item, n);
}

/* dlp_trace_put - append the item A followed by LEN bytes of B */
void dlp_trace_put(DLP_TRACE *t, int64_t now_ms, const char *a, const char *b,
                   size_t len) {
  char item[TRACE_ITEM_MAX];
  size_t n = trace_head(t, now_ms, item), k = strlen(a);

  if (k > sizeof(item) - 1 - n)
    k = sizeof(item) - 1 - n;
  memcpy(item + n, a, k);
  n += k;
  if (len > sizeof(item) - 1 - n)
    len = sizeof(item) - 1 - n;
  memcpy(item + n, b, len);
  trace_append(t, item, n + len);
}

/* dlp_trace_text - the transcript so far */
const char *dlp_trace_text(const DLP_TRACE *t) {
  return t->buf;
}
