/*
 * dlpsend.c - hand one message to the DLP pool with libdlpbypass.
 *
 * Usage: dlpsend -c CONF -f SENDER [-r RCPT]... [-a MAILARG]... [-P]
 *        < message
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
 * Exits 0 whatever the verdict; 2 on usage or configuration errors.
 * The tests in t/lib/ drive it against Postfix's smtp-sink.
 */
#include "dlpbypass.h"

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
                  "[-r RCPT]... [-P] < message\n");
  exit(2);
}

/* read_body - copy stdin into the transaction's store; 0 or -1 */
static int read_body(DLP_TXN *txn) {
  char buf[65536];
  size_t n;

  while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
    if (dlp_body_write(dlp_txn_body(txn), buf, n) < 0)
      return -1;
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

/* main - parse options, run one transaction, print what happened */
int main(int argc, char **argv) {
  const char *conf = NULL, *sender = NULL;
  const char *rcpts[MAX_LIST], *margs[MAX_LIST + 1];
  size_t nrcpts = 0, nmargs = 0, i;
  char err[512];
  DLP_CONFIG *cfg;
  DLP_POOL *pool;
  DLP_TXN *txn;
  dlp_verdict v;
  int c, show_progress = 0;

  while ((c = getopt(argc, argv, "c:f:r:a:P")) != -1) {
    switch (c) {
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
  pool = dlp_pool_create();
  txn = dlp_txn_create(cfg, pool);
  if (pool == NULL || txn == NULL) {
    fprintf(stderr, "dlpsend: out of memory\n");
    return 2;
  }
  v = dlp_txn_mail(txn, sender, nmargs ? margs : NULL);
  for (i = 0; i < nrcpts; i++) {
    dlp_rcpt_status st = DLP_RCPT_ACCEPTED;
    DLP_REPLY reply;

    memset(&reply, 0, sizeof(reply));
    v = dlp_txn_rcpt(txn, rcpts[i], NULL, &st, &reply);
    printf("rcpt=<");
    print_addr(rcpts[i]);
    printf("> status=%s reply=%d %s %s\n", rcpt_status_name[st], reply.code,
           reply.dsn, reply.text);
  }
  if (read_body(txn) < 0 || dlp_body_finish(dlp_txn_body(txn)) < 0) {
    fprintf(stderr, "dlpsend: cannot store the message\n");
    return 2;
  }
  (void)v;
  clock_gettime(CLOCK_MONOTONIC, &eom_start);
  if (show_progress)
    dlp_txn_set_progress(txn, progress, NULL);
  v = dlp_txn_eom(txn);
  print_result(dlp_txn_result(txn));
  fflush(stdout);
  dlp_txn_free(txn);
  dlp_pool_free(pool);
  dlp_config_unref(cfg);
  return 0;
}
