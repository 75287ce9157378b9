/*
 * loadsend.c - offer load to the DLP pool from several threads sharing
 * one DLP_POOL, as the milter's threads do, and count verdicts.
 *
 * Usage: loadsend -c CONF [-t THREADS] [-w WARMUP_S] [-d DURATION_S]
 *
 * THREADS threads (default 8) each hand a small message to the pool
 * again and again (MAIL s@example.com, RCPT r@example.com, one body line,
 * end of message) for WARMUP_S + DURATION_S seconds.  Messages that
 * finish inside the measuring window [WARMUP_S, WARMUP_S + DURATION_S)
 * are counted by verdict; the output is one line:
 *   window=S messages=N rate=R delivered=D bypass=B tempfail=T reject=J
 *   p50_ms=P p99_ms=Q maxlat_ms=L
 * (rate in messages per second; latencies of the messages in the window,
 * from the start of the transaction to the verdict: median, 99th
 * percentile, slowest).  Exits 0 after printing; 2 on usage or configuration
 * errors. t/faults/syn_drop_load.sh compares the rate with one host dropping
 * SYNs against the rate with only healthy hosts.
 */
#include "dlpbypass.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static DLP_CONFIG *cfg;
static DLP_POOL *pool;
static int64_t t_start, t_from, t_to;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counts[DLP_VERDICT_REJECT + 1];
static int64_t maxlat;
#define HIST_MAX 10000 /* latency histogram, 1 ms buckets, last = more */
static long hist[HIST_MAX + 1];

/* now_ms - monotonic milliseconds */
static int64_t now_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* one_message - hand one message to the pool; its verdict */
static dlp_verdict one_message(void) {
  static const char msg[] = "Subject: load\r\n\r\nbody\r\n";
  dlp_rcpt_status st;
  DLP_REPLY reply;
  dlp_verdict v;
  DLP_TXN *txn = dlp_txn_create(cfg, pool);

  if (txn == NULL)
    return DLP_VERDICT_PENDING;
  if ((v = dlp_txn_mail(txn, "s@example.com", NULL)) == DLP_VERDICT_PENDING)
    v = dlp_txn_rcpt(txn, "r@example.com", NULL, &st, &reply);
  if (dlp_body_write(dlp_txn_body(txn), msg, sizeof(msg) - 1) < 0 ||
      dlp_body_finish(dlp_txn_body(txn)) < 0)
    v = DLP_VERDICT_PENDING;
  else
    v = dlp_txn_eom(txn);
  dlp_txn_free(txn);
  return v;
}

/* worker - send until the window closes, count what finished inside it */
static void *worker(void *arg) {
  int64_t t0, t1;
  dlp_verdict v;

  (void)arg;
  while ((t0 = now_ms()) < t_to) {
    v = one_message();
    t1 = now_ms();
    if (t1 < t_from || t1 >= t_to)
      continue;
    pthread_mutex_lock(&lock);
    counts[v]++;
    if (t1 - t0 > maxlat)
      maxlat = t1 - t0;
    hist[t1 - t0 < HIST_MAX ? t1 - t0 : HIST_MAX]++;
    pthread_mutex_unlock(&lock);
  }
  return NULL;
}

/* percentile - latency (ms) under which PCT per cent of N messages were */
static long percentile(long n, double pct) {
  long seen = 0, i;

  for (i = 0; i <= HIST_MAX; i++)
    if ((seen += hist[i]) >= (long)(n * pct / 100.0 + 0.5) && seen > 0)
      return i;
  return HIST_MAX;
}

/* main - parse options, run the threads, print the counts */
int main(int argc, char **argv) {
  int c, nthreads = 8, warm = 2, dur = 6, i;
  const char *conf = NULL;
  char err[512];
  pthread_t th[64];
  long n = 0;

  while ((c = getopt(argc, argv, "c:t:w:d:")) != -1) {
    switch (c) {
    case 'c':
      conf = optarg;
      break;
    case 't':
      nthreads = atoi(optarg);
      break;
    case 'w':
      warm = atoi(optarg);
      break;
    case 'd':
      dur = atoi(optarg);
      break;
    default:
      conf = NULL;
      optind = argc;
      break;
    }
  }
  if (conf == NULL || nthreads < 1 || nthreads > 64 || warm < 0 || dur < 1) {
    fprintf(stderr, "usage: loadsend -c CONF [-t THREADS] [-w WARMUP_S] "
                    "[-d DURATION_S]\n");
    return 2;
  }
  if ((cfg = dlp_config_load(conf, err, sizeof(err))) == NULL ||
      (pool = dlp_pool_create()) == NULL) {
    fprintf(stderr, "loadsend: %s\n", err);
    return 2;
  }
  if (dlp_pool_resolve(pool, cfg, err, sizeof(err)) < 0)
    fprintf(stderr, "loadsend: warning: %s\n", err);
  t_start = now_ms();
  t_from = t_start + warm * 1000;
  t_to = t_from + dur * 1000;
  for (i = 0; i < nthreads; i++)
    if (pthread_create(&th[i], NULL, worker, NULL) != 0)
      return 2;
  for (i = 0; i < nthreads; i++)
    pthread_join(th[i], NULL);
  for (i = 0; i <= DLP_VERDICT_REJECT; i++)
    n += counts[i];
  printf("window=%d messages=%ld rate=%.1f delivered=%ld bypass=%ld "
         "tempfail=%ld reject=%ld other=%ld p50_ms=%ld p99_ms=%ld "
         "maxlat_ms=%lld\n",
         dur, n, (double)n / dur, counts[DLP_VERDICT_DELIVERED],
         counts[DLP_VERDICT_BYPASS], counts[DLP_VERDICT_TEMPFAIL],
         counts[DLP_VERDICT_REJECT], counts[DLP_VERDICT_PENDING],
         percentile(n, 50), percentile(n, 99), (long long)maxlat);
  dlp_pool_free(pool);
  dlp_config_unref(cfg);
  return 0;
}
