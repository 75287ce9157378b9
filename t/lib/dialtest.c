/*
 * dialtest.c - a driver of dlp_resolve and dlp_dial for t/lib/dial_race.sh
 * and t/lib/resolve_bound.sh; one line per result on standard output.
 *
 *   dialtest dial HOST PORT CONNECT_MS STAGGER_MS
 *       look HOST up (dlp_resolver_refresh, 3 s), print "addrs=A,B,...",
 *       dial the addresses as the pool does (dlp_dial_pollfds,
 *       dlp_dial_wake, poll, dlp_dial_wait(d, 0)) and print
 *       "result=ok label=L ms=N" or "result=error kind=K ms=N err=E"
 *   dialtest refresh HOST TIMEOUT_MS
 *       "refresh1 rc=R addrs=... err=E"; then wait for a line on standard
 *       input (the test breaks the name's lookup meanwhile);
 *       "refresh2 rc=R ms=N err=E"; "get addrs=... err=E"
 */
#include "dlp_dial.h"
#include "dlp_resolve.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *kinds[] = {"none", "net", "local", "deadline", "dns"};

/* print_addrs - "addrs=A,B" of A (empty when NULL) */
static void print_addrs(const char *prefix, const DLP_ADDRS *a) {
  char buf[64];
  size_t i;

  printf("%saddrs=", prefix);
  for (i = 0; i < dlp_addrs_count(a); i++)
    printf("%s%s", i ? "," : "", dlp_addrs_text(a, i, buf, sizeof(buf)));
}

/* cmd_dial - resolve, then dial as the pool does */
static int cmd_dial(const char *host, unsigned port, int connect_ms,
                    int stagger_ms) {
  DLP_RESOLVER *r = dlp_resolver_create(3000);
  struct pollfd pfd[DLP_DIAL_MAXFDS];
  char err[256] = "";
  DLP_ADDRS *a;
  DLP_DIAL *d;
  int64_t t0, wake, now;
  size_t n;

  (void)dlp_resolver_refresh(r, host, err, sizeof(err));
  a = dlp_resolver_get(r, host, err, sizeof(err));
  print_addrs("", a);
  printf(" err=%s\n", err);
  t0 = dlp_now_ms();
  d = dlp_dial_start(a, host, port, connect_ms, stagger_ms, t0 + 30000);
  dlp_addrs_free(a);
  while (dlp_dial_wait(d, 0) == DLP_IO_TIMEOUT) {
    n = dlp_dial_pollfds(d, pfd, DLP_DIAL_MAXFDS);
    wake = dlp_dial_wake(d);
    now = dlp_now_ms();
    (void)poll(pfd, n, wake > now ? (int)(wake - now) : 0);
  }
  if (dlp_dial_errkind(d) == DLP_DIAL_ERR_NONE)
    printf("result=ok label=%s ms=%lld\n", dlp_dial_label(d),
           (long long)(dlp_now_ms() - t0));
  else
    printf("result=error kind=%s ms=%lld err=%s\n", kinds[dlp_dial_errkind(d)],
           (long long)(dlp_now_ms() - t0), dlp_dial_error(d));
  dlp_dial_free(d);
  dlp_resolver_free(r);
  return 0;
}

/* cmd_refresh - a refresh, a pause for the test, a refresh, a get */
static int cmd_refresh(const char *host, int timeout_ms) {
  DLP_RESOLVER *r = dlp_resolver_create(timeout_ms);
  char err[256] = "", line[64];
  DLP_ADDRS *a;
  int64_t t0;
  int rc;

  rc = dlp_resolver_refresh(r, host, err, sizeof(err));
  a = dlp_resolver_get(r, host, NULL, 0);
  printf("refresh1 rc=%d ", rc);
  print_addrs("", a);
  printf(" err=%s\n", err);
  fflush(stdout);
  dlp_addrs_free(a);
  if (fgets(line, sizeof(line), stdin) == NULL)
    return 1;
  err[0] = 0;
  t0 = dlp_now_ms();
  rc = dlp_resolver_refresh(r, host, err, sizeof(err));
  printf("refresh2 rc=%d ms=%lld err=%s\n", rc, (long long)(dlp_now_ms() - t0),
         err);
  err[0] = 0;
  a = dlp_resolver_get(r, host, err, sizeof(err));
  print_addrs("get ", a);
  printf(" err=%s\n", err);
  dlp_addrs_free(a);
  dlp_resolver_free(r);
  return 0;
}

/* main - dispatch */
int main(int argc, char **argv) {
  if (argc == 6 && strcmp(argv[1], "dial") == 0)
    return cmd_dial(argv[2], (unsigned)atoi(argv[3]), atoi(argv[4]),
                    atoi(argv[5]));
  if (argc == 4 && strcmp(argv[1], "refresh") == 0)
    return cmd_refresh(argv[2], atoi(argv[3]));
  fprintf(stderr, "usage: dialtest dial HOST PORT CONNECT_MS STAGGER_MS\n"
                  "       dialtest refresh HOST TIMEOUT_MS\n");
  return 2;
}
