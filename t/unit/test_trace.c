/*
 * test_trace.c - the session transcript (dlp_trace.c): the "+MSms TEXT"
 * items and their "; " separators, dlp_trace_put giving exactly what
 * dlp_trace_add gives for the same text, unprintable bytes as '?', an
 * item cut at its bound, and the oldest whole items dropped (and
 * counted) when the transcript would outgrow DLP_TRACE_MAX.
 */
#include "dlp_trace.h"
#include "tap.h"

#include <stdio.h>
#include <string.h>

/* same - dlp_trace_put and dlp_trace_add of A + B give the same text */
static void same(const char *a, const char *b, size_t len) {
  DLP_TRACE t1, t2;

  dlp_trace_reset(&t1, 1000);
  dlp_trace_reset(&t2, 1000);
  dlp_trace_add(&t1, 1000, "=READY");
  dlp_trace_add(&t2, 1000, "=READY");
  dlp_trace_put(&t1, 1234567, a, b, len);
  dlp_trace_add(&t2, 1234567, "%s%.*s", a, (int)len, b);
  tap_ok(strcmp(dlp_trace_text(&t1), dlp_trace_text(&t2)) == 0,
         "put = add for \"%s\" + %zu bytes: \"%s\" / \"%s\"", a, len,
         dlp_trace_text(&t1), dlp_trace_text(&t2));
}

int main(void) {
  char big[400], want[64];
  DLP_TRACE t;
  size_t i;

  dlp_trace_reset(&t, 5000);
  tap_ok(strcmp(dlp_trace_text(&t), "") == 0, "empty after reset");
  dlp_trace_put(&t, 5000, "=", "CONNECT", 7);
  dlp_trace_put(&t, 5012, "> ", "MAIL FROM:<a@b>\r\n", 15);
  dlp_trace_add(&t, 5100, "< %d %s", 250, "2.0.0 ok");
  tap_ok(strcmp(dlp_trace_text(&t),
                "+0ms =CONNECT; +12ms > MAIL FROM:<a@b>; +100ms < 250 "
                "2.0.0 ok") == 0,
         "items, times, separators: \"%s\"", dlp_trace_text(&t));

  same("> ", "RCPT TO:<x@y>", 13);
  same("=", "DATA", 4);
  same("> ",
       "with\x01"
       "ctl\x7f and 8bit \xe9",
       20);
  memset(big, 'x', sizeof(big));
  same("> ", big, sizeof(big)); /* cut at the item bound */

  dlp_trace_reset(&t, 0);
  dlp_trace_put(&t, 0, "> ", "a\tb\x1b", 4);
  tap_ok(strcmp(dlp_trace_text(&t), "+0ms > a?b?") == 0,
         "unprintable bytes become '?': \"%s\"", dlp_trace_text(&t));

  dlp_trace_reset(&t, 0);
  for (i = 0; i < 200; i++)
    dlp_trace_put(&t, (int64_t)i, "> ", big, 60);
  tap_ok(strlen(dlp_trace_text(&t)) <= DLP_TRACE_MAX,
         "bounded: %zu <= %d bytes", strlen(dlp_trace_text(&t)), DLP_TRACE_MAX);
  tap_ok(t.dropped > 0, "oldest items dropped and counted (%u)", t.dropped);
  tap_ok(strncmp(dlp_trace_text(&t), "+", 1) == 0,
         "the kept transcript starts with a whole item: \"%.20s\"",
         dlp_trace_text(&t));
  snprintf(want, sizeof(want), "; +199ms > %.10s", big);
  tap_ok(strstr(dlp_trace_text(&t), want) != NULL, "the newest item is kept");
  return tap_done();
}
