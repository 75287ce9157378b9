/*
 * tlsrepeat.c - send one message N times, each over a new DLP connection,
 * to show and time TLS session resumption.
 *
 * Usage: tlsrepeat -c CONF -f SENDER -r RCPT [-n N] [-F] [-t T] < message
 *
 * Each round makes a new pool and transaction (so a new connection and a
 * new TLS handshake) and prints
 *   msg=I verdict=V ms=MILLISECONDS tls=SUMMARY
 * -F loads the configuration afresh for every round, so that every
 * handshake is a full one (no session to resume): the baseline.  The
 * last line is "mean_ms=M first_ms=F rest_mean_ms=R".  -t T: after the
 * first message, T threads send the other N-1 at once, sharing the one
 * configuration and its TLS session cache (lines then come in any
 * order).  Exits 0 whatever
 * the verdicts; 2 on usage or configuration errors.
 */
#include "dlpbypass.h"

#include <pthread.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* usage - print usage and exit 2 */
static void usage(void) {
  fprintf(stderr, "usage: tlsrepeat -c CONF -f SENDER -r RCPT [-n N] [-F] "
                  "< message\n");
  exit(2);
}

/* now_ms - monotonic milliseconds, as a double */
static double now_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* slurp - stdin into a new buffer; NULL on error */
static char *slurp(size_t *len) {
  size_t cap = 65536, n;
  char *buf = malloc(cap), *grown;

  *len = 0;
  while (buf != NULL && (n = fread(buf + *len, 1, cap - *len, stdin)) > 0) {
    *len += n;
    if (*len < cap)
      continue;
    if ((grown = realloc(buf, cap * 2)) == NULL) {
      free(buf);
      return NULL;
    }
    buf = grown;
    cap *= 2;
  }
  return buf;
}

/* one_round - send the message once; prints its line, returns its ms */
static double one_round(DLP_CONFIG *cfg, int i, const char *sender,
                        const char *rcpt, const char *msg, size_t len) {
  dlp_rcpt_status st = DLP_RCPT_ACCEPTED;
  const DLP_RESULT *r;
  DLP_REPLY reply;
  DLP_POOL *pool;
  DLP_TXN *txn;
  double t0 = now_ms(), ms;

  memset(&reply, 0, sizeof(reply));
  if ((pool = dlp_pool_create()) == NULL ||
      (txn = dlp_txn_create(cfg, pool)) == NULL) {
    fprintf(stderr, "tlsrepeat: out of memory\n");
    exit(2);
  }
  (void)dlp_pool_resolve(pool, cfg, NULL, 0);
  (void)dlp_txn_mail(txn, sender, NULL);
  (void)dlp_txn_rcpt(txn, rcpt, NULL, &st, &reply);
  if (dlp_body_write(dlp_txn_body(txn), msg, len) < 0) {
    fprintf(stderr, "tlsrepeat: cannot store the message\n");
    exit(2);
  }
  (void)dlp_txn_eom(txn);
  r = dlp_txn_result(txn);
  ms = now_ms() - t0;
  printf("msg=%d verdict=%s ms=%.2f tls=%s reply=%d %s %s\n", i,
         dlp_verdict_name(r->verdict), ms, r->tls, r->reply.code, r->reply.dsn,
         r->reply.text);
  dlp_txn_free(txn);
  dlp_pool_free(pool);
  return ms;
}

/* The shared state of -t: rounds are handed out under a lock. */
struct pool_job {
  pthread_mutex_t lock;
  DLP_CONFIG *cfg;
  const char *sender, *rcpt, *msg;
  size_t len;
  int next, n;
  double total;
};

/* worker - run rounds until none is left */
static void *worker(void *arg) {
  struct pool_job *j = arg;
  double ms;
  int i;

  for (;;) {
    pthread_mutex_lock(&j->lock);
    i = j->next <= j->n ? j->next++ : 0;
    pthread_mutex_unlock(&j->lock);
    if (i == 0)
      return NULL;
    ms = one_round(j->cfg, i, j->sender, j->rcpt, j->msg, j->len);
    pthread_mutex_lock(&j->lock);
    j->total += ms;
    pthread_mutex_unlock(&j->lock);
  }
}

/* run_threads - rounds 2..N in T threads; returns their total ms */
static double run_threads(struct pool_job *j, int t) {
  pthread_t tids[64];
  int k;

  for (k = 0; k < t && k < 64; k++)
    if (pthread_create(&tids[k], NULL, worker, j) != 0)
      break;
  t = k;
  for (k = 0; k < t; k++)
    pthread_join(tids[k], NULL);
  return j->total;
}

/* main - parse options, run the rounds, print the means */
int main(int argc, char **argv) {
  const char *conf = NULL, *sender = NULL, *rcpt = NULL;
  double ms, total = 0, first = 0;
  int c, n = 2, fresh = 0, threads = 0, i;
  DLP_CONFIG *cfg = NULL;
  char err[512], *msg;
  size_t len;

  while ((c = getopt(argc, argv, "c:f:r:n:Ft:")) != -1) {
    if (c == 'c')
      conf = optarg;
    else if (c == 'f')
      sender = optarg;
    else if (c == 'r')
      rcpt = optarg;
    else if (c == 'n')
      n = atoi(optarg);
    else if (c == 'F')
      fresh = 1;
    else if (c == 't')
      threads = atoi(optarg);
    else
      usage();
  }
  if (conf == NULL || sender == NULL || rcpt == NULL || n < 1 ||
      optind != argc || (fresh && threads > 0))
    usage();
  if ((msg = slurp(&len)) == NULL) {
    fprintf(stderr, "tlsrepeat: cannot read the message\n");
    return 2;
  }
  for (i = 1; i <= (threads > 0 ? 1 : n); i++) {
    if (cfg == NULL &&
        (cfg = dlp_config_load(conf, err, sizeof(err))) == NULL) {
      fprintf(stderr, "tlsrepeat: %s\n", err);
      return 2;
    }
    ms = one_round(cfg, i, sender, rcpt, msg, len);
    total += ms;
    if (i == 1)
      first = ms;
    if (fresh) {
      dlp_config_unref(cfg);
      cfg = NULL;
    }
  }
  if (threads > 0 && n > 1) {
    struct pool_job j = {
        PTHREAD_MUTEX_INITIALIZER, cfg, sender, rcpt, msg, len, 2, n, 0};

    total += run_threads(&j, threads);
  }
  fflush(stdout);
  printf("mean_ms=%.2f first_ms=%.2f rest_mean_ms=%.2f\n", total / n, first,
         n > 1 ? (total - first) / (n - 1) : first);
  if (cfg != NULL)
    dlp_config_unref(cfg);
  free(msg);
  return 0;
}
