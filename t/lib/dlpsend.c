/*
 * dlpsend.c - hand one message to the DLP pool with libdlpbypass.
 *
 * Usage: dlpsend -c CONF -f SENDER [-r RCPT]... [-a MAILARG]... [-P]
 *        [-n COUNT [-i MS]] < message
 *
 * Reads the raw message from stdin into the transaction's body store,
 * runs MAIL, each RCPT and end of message, and prints one line per
 * recipient and one final line:
 *   rcpt=<x> status=accepted|tempfail|rejected reply=CODE DSN TEXT
 *   (control characters and backslashes in x shown as \ooo)
 *   verdict=V reason=R dlp=LIST reply=CODE DSN TEXT queue_id=ID
 * With -P, each call of the progress callback prints
 *   progress t=SECONDS
 * (seconds since dlp_txn_eom began, one decimal).
 * With -n, the message is sent COUNT times through one pool (health
 * state and cached sessions carry over), MS milliseconds apart, and
 * each message's lines follow a line
 *   msg=K at=MS_SINCE_EPOCH
 * Exits 0 whatever the verdict; 2 on usage or configuration errors.
 * The tests in t/lib/ drive it against Postfix's smtp-sink.
 */
#include "dlpbypass.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_LIST 1024

static struct timespec eom_start;

static const char *rcpt_status_name[] = {"accepted", "tempfail", "rejected"};

/* progress - the progress callback: say when it came */
static void progress(void *ctx) {
  struct timespec now;

  (void)ctx;
  clock_gettime(CLOCK_MONOTONIC, &now);
  printf("progress t=%.1f\n",
         (double)(now.tv_sec - eom_start.tv_sec) +
             (double)(now.tv_nsec - eom_start.tv_nsec) / 1e9);
  fflush(stdout);
}

/* usage - print usage and exit 2 */
static void usage(void) {
  fprintf(stderr, "usage: dlpsend -c CONF -f SENDER [-a MAILARG]... "
                  "[-r RCPT]... [-P] [-n COUNT [-i MS]] < message\n");
  exit(2);
}

/* read_input - all of stdin into *BUF (malloc'd), size in *LEN; 0/-1 */
static int read_input(char **buf, size_t *len) {
  size_t cap = 65536, n;
  char *p;

  *len = 0;
  if ((*buf = malloc(cap)) == NULL)
    return -1;
  while ((n = fread(*buf + *len, 1, cap - *len, stdin)) > 0) {
    *len += n;
    if (*len == cap) {
      if ((p = realloc(*buf, cap * 2)) == NULL)
        return -1;
      *buf = p;
      cap *= 2;
    }
  }
  return ferror(stdin) ? -1 : 0;
}

/* print_addr - ADDR with control characters shown as \ooo */
static void print_addr(const char *addr) {
  const unsigned char *p;

  for (p = (const unsigned char *)addr; *p; p++)
    if (*p < 0x20 || *p == 0x7f || *p == '\\')
      printf("\\%03o", *p);
    else
      putchar(*p);
}

/* print_result - the final line */
static void print_result(const DLP_RESULT *r) {
  if (r->tls[0])
    printf("tls=%s\n", r->tls);
  printf("verdict=%s reason=%s dlp=%s reply=%d %s %s queue_id=%s\n",
         dlp_verdict_name(r->verdict), r->reason, r->dlp, r->reply.code,
         r->reply.dsn, r->reply.text, r->dlp_queue_id);
}

/* send_one - one transaction through POOL; 0, or -1 if MSG cannot be stored */
static int send_one(DLP_CONFIG *cfg, DLP_POOL *pool, const char *sender,
                    const char *const *margs, const char *const *rcpts,
                    size_t nrcpts, const char *msg, size_t msglen,
                    int show_progress) {
  DLP_TXN *txn;
  size_t i;

  if ((txn = dlp_txn_create(cfg, pool)) == NULL)
    return -1;
  (void)dlp_txn_mail(txn, sender, margs);
  for (i = 0; i < nrcpts; i++) {
    dlp_rcpt_status st = DLP_RCPT_ACCEPTED;
    DLP_REPLY reply;

    memset(&reply, 0, sizeof(reply));
    (void)dlp_txn_rcpt(txn, rcpts[i], NULL, &st, &reply);
    printf("rcpt=<");
    print_addr(rcpts[i]);
    printf("> status=%s reply=%d %s %s\n", rcpt_status_name[st], reply.code,
           reply.dsn, reply.text);
  }
  if (dlp_body_write(dlp_txn_body(txn), msg, msglen) < 0 ||
      dlp_body_finish(dlp_txn_body(txn)) < 0) {
    dlp_txn_free(txn);
    return -1;
  }
  clock_gettime(CLOCK_MONOTONIC, &eom_start);
  if (show_progress)
    dlp_txn_set_progress(txn, progress, NULL);
  (void)dlp_txn_eom(txn);
  print_result(dlp_txn_result(txn));
  fflush(stdout);
  dlp_txn_free(txn);
  return 0;
}

/* main - parse options, run one transaction, print what happened */
int main(int argc, char **argv) {
  const char *conf = NULL, *sender = NULL;
  const char *rcpts[MAX_LIST], *margs[MAX_LIST + 1];
  size_t nrcpts = 0, nmargs = 0, msglen;
  char err[512], *msg;
  struct timespec now;
  DLP_CONFIG *cfg;
  DLP_POOL *pool;
  int c, k, count = 1, interval = 0, show_progress = 0;

  while ((c = getopt(argc, argv, "c:f:r:a:Pn:i:")) != -1) {
    switch (c) {
    case 'n':
      count = atoi(optarg);
      break;
    case 'i':
      interval = atoi(optarg);
      break;
    case 'c':
      conf = optarg;
      break;
    case 'f':
      sender = optarg;
      break;
    case 'r':
      if (nrcpts >= MAX_LIST)
        usage();
      rcpts[nrcpts++] = optarg;
      break;
    case 'P':
      show_progress = 1;
      break;
    case 'a':
      if (nmargs >= MAX_LIST)
        usage();
      margs[nmargs++] = optarg;
      break;
    default:
      usage();
    }
  }
  margs[nmargs] = NULL;
  if (conf == NULL || sender == NULL || optind != argc)
    usage();
  if ((cfg = dlp_config_load(conf, err, sizeof(err))) == NULL) {
    fprintf(stderr, "dlpsend: %s\n", err);
    return 2;
  }
  if (read_input(&msg, &msglen) < 0) {
    fprintf(stderr, "dlpsend: cannot read the message\n");
    return 2;
  }
  if ((pool = dlp_pool_create()) == NULL) {
    fprintf(stderr, "dlpsend: out of memory\n");
    return 2;
  }
  if (dlp_pool_resolve(pool, cfg, err, sizeof(err)) < 0)
    fprintf(stderr, "dlpsend: warning: %s\n", err);
  for (k = 1; k <= count; k++) {
    if (k > 1 && interval > 0)
      usleep((useconds_t)interval * 1000);
    if (count > 1) {
      clock_gettime(CLOCK_REALTIME, &now);
      printf("msg=%d at=%lld\n", k,
             (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
    }
    if (send_one(cfg, pool, sender, nmargs ? margs : NULL, rcpts, nrcpts, msg,
                 msglen, show_progress) < 0) {
      fprintf(stderr, "dlpsend: cannot store the message\n");
      return 2;
    }
  }
  dlp_pool_free(pool);
  dlp_config_unref(cfg);
  free(msg);
  return 0;
}
