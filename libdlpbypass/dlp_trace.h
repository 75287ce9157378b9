/*
 * dlp_trace.h - a bounded transcript of one SMTP session to a DLP host,
 * as Postfix's smtp_chat keeps one: commands sent, replies received,
 * state changes, each with the milliseconds since the trace began.  The
 * message content is never in it (only its size).
 *
 * Contract: a DLP_TRACE is a plain value inside its session;
 * dlp_trace_reset() starts it over, dlp_trace_add() appends one item
 * ("+MSms TEXT", items separated by "; "), dropping the oldest items
 * when it would exceed DLP_TRACE_MAX bytes (the newest are what explain
 * a failure); dlp_trace_text() is the transcript so far, one line.
 * TEXT is copied with non-printable bytes as '?'.
 */
#ifndef DLP_TRACE_H
#define DLP_TRACE_H

#include <stddef.h>
#include <stdint.h>

#define DLP_TRACE_MAX 1536 /* bytes of transcript kept per session */

typedef struct dlp_trace {
  char buf[DLP_TRACE_MAX + 1];
  size_t len;
  int64_t t0;       /* CLOCK_MONOTONIC ms of the first item */
  unsigned dropped; /* items dropped to stay within DLP_TRACE_MAX */
} DLP_TRACE;

/* dlp_trace_reset - start the transcript over at time NOW_MS */
void dlp_trace_reset(DLP_TRACE *t, int64_t now_ms);

/* dlp_trace_add - append one item made from FMT */
void dlp_trace_add(DLP_TRACE *t, int64_t now_ms, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * dlp_trace_put - append the item A (a string) followed by LEN bytes of
 * B: dlp_trace_add(t, now, "%s%.*s", a, len, b) without printf, for the
 * items every message adds (state changes, commands)
 */
void dlp_trace_put(DLP_TRACE *t, int64_t now_ms, const char *a, const char *b,
                   size_t len);

/* dlp_trace_text - the transcript, "" when empty (borrowed) */
const char *dlp_trace_text(const DLP_TRACE *t);

#endif /* DLP_TRACE_H */
