/*
 * tap.h - minimal TAP-style reporting for the unit tests: each check
 * prints "ok N - name" or "not ok N - name"; tap_done() returns the exit
 * status (1 if anything failed).
 */
#ifndef TAP_H
#define TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_n, tap_failed;

/* tap_ok - report one check named by FMT */
static int tap_ok(int cond, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int tap_ok(int cond, const char *fmt, ...) {
  va_list ap;

  printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  if (!cond)
    tap_failed++;
  fflush(stdout);
  return cond;
}

/* tap_done - the plan line and the exit status */
static int tap_done(void) {
  printf("1..%d\n", tap_n);
  if (tap_failed)
    printf("# %d of %d checks failed\n", tap_failed, tap_n);
  return tap_failed ? 1 : 0;
}

#endif /* TAP_H */
