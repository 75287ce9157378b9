/*
 * balsend.c - many messages through one DLP pool from several threads at
 * once, for the load-balancing tests of t/balance (issue 15).
 *
 * Usage: balsend -c CONF -n COUNT [-j THREADS] [-i MS]
 *
 * THREADS threads (1) share one configuration and one pool (health
 * state, cached sessions and in-flight counts carry over) and take the
 * next of COUNT messages until none is left, each thread waiting MS
 * milliseconds (0) after each of its messages.  One line per message:
 *   msg=K at=MS_SINCE_EPOCH verdict=V reason=R dlp=LIST
 * (LIST as in the decision line: "label/outcome,...", in the order
 * tried).  Exits 0 whatever the verdicts; 2 on usage or configuration
 * errors.
 */
#include "dlpbypass.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64

static const char msg[] = "Subject: balance\r\n\r\nbody\r\n";

static DLP_CONFIG *cfg;
static DLP_POOL *pool;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int next_msg = 1, count = 1, interval;

/* send_one - message K through the pool; its line */
static void send_one(int k) {
  const DLP_RESULT *r;
  struct timespec now;
  DLP_TXN *txn;

  clock_gettime(CLOCK_REALTIME, &now);
  if ((txn = dlp_txn_create(cfg, pool)) == NULL) {
    fprintf(stderr, "balsend: out of memory\n");
    exit(2);
  }
  (void)dlp_txn_mail(txn, "s@example.com", NULL);
  {
    dlp_rcpt_status st = DLP_RCPT_ACCEPTED;
    DLP_REPLY reply;

    memset(&reply, 0, sizeof(reply));
    (void)dlp_txn_rcpt(txn, "r@example.com", NULL, &st, &reply);
  }
  if (dlp_body_write(dlp_txn_body(txn), msg, sizeof(msg) - 1) < 0 ||
      dlp_body_finish(dlp_txn_body(txn)) < 0) {
    fprintf(stderr, "balsend: cannot store the message\n");
    exit(2);
  }
  (void)dlp_txn_eom(txn);
  r = dlp_txn_result(txn);
  pthread_mutex_lock(&lock);
  printf("msg=%d at=%lld verdict=%s reason=%s dlp=%s\n", k,
         (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000,
         dlp_verdict_name(r->verdict), r->reason, r->dlp);
  fflush(stdout);
  pthread_mutex_unlock(&lock);
  dlp_txn_free(txn);
}

/* worker - thread: send messages until COUNT are taken */
static void *worker(void *arg) {
  int k;

  (void)arg;
  for (;;) {
    pthread_mutex_lock(&lock);
    k = next_msg <= count ? next_msg++ : 0;
    pthread_mutex_unlock(&lock);
    if (k == 0)
      return NULL;
    send_one(k);
    if (interval > 0)
      usleep((useconds_t)interval * 1000);
  }
}

/* main - parse options, run the threads */
int main(int argc, char **argv) {
  pthread_t tid[MAX_THREADS];
  const char *conf = NULL;
  int c, i, threads = 1;
  char err[512];

  while ((c = getopt(argc, argv, "c:n:j:i:")) != -1) {
    switch (c) {
    case 'c':
      conf = optarg;
      break;
    case 'n':
      count = atoi(optarg);
      break;
    case 'j':
      threads = atoi(optarg);
      break;
    case 'i':
      interval = atoi(optarg);
      break;
    default:
      conf = NULL;
      optind = argc + 1;
    }
  }
  if (conf == NULL || optind != argc || threads < 1 || threads > MAX_THREADS) {
    fprintf(stderr, "usage: balsend -c CONF -n COUNT [-j THREADS] [-i MS]\n");
    return 2;
  }
  if ((cfg = dlp_config_load(conf, err, sizeof(err))) == NULL) {
    fprintf(stderr, "balsend: %s\n", err);
    return 2;
  }
  if ((pool = dlp_pool_create()) == NULL)
    return 2;
  if (dlp_pool_resolve(pool, cfg, err, sizeof(err)) < 0)
    fprintf(stderr, "balsend: warning: %s\n", err);
  for (i = 0; i < threads; i++)
    if (pthread_create(&tid[i], NULL, worker, NULL) != 0)
      return 2;
  for (i = 0; i < threads; i++)
    pthread_join(tid[i], NULL);
  dlp_pool_free(pool);
  dlp_config_unref(cfg);
  return 0;
}
