/*
 * test_balance.c - the load-balancing policy (dlp_balance.c, issue 15):
 * the order function over hand-made hosts (priority groups, ordered,
 * round-robin with and without weights, least-loaded, health, the slow
 * hint of issue 14, slow start) and the configuration keys (defaults,
 * values, each kind of bad value with its file and line, the groups'
 * deadline arithmetic).
 */
#include "dlp_balance.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N 4

static struct dlp_server sv[N];
static struct dlp_balance_state st[N];
static struct dlp_balance_host h[N];
static char tmpdir[] = "/tmp/test_balance.XXXXXX";

/* setup - N hosts of weight 1, priority 0, up, no counters used yet */
static void setup(size_t n) {
  size_t i;

  memset(sv, 0, sizeof(sv));
  memset(st, 0, sizeof(st));
  memset(h, 0, sizeof(h));
  for (i = 0; i < n; i++) {
    sv[i].weight = 1;
    h[i].server = &sv[i];
    h[i].st = &st[i];
  }
}

/* order_str - dlp_balance_order of N hosts as "0123" (static buffer) */
static const char *order_str(int policy, int64_t slow_ms, int64_t now,
                             size_t n) {
  static char buf[N + 1];
  size_t order[N], i;

  dlp_balance_order(policy, slow_ms, now, h, n, order);
  for (i = 0; i < n; i++)
    buf[i] = (char)('0' + order[i]);
  buf[n] = 0;
  return buf;
}

/* firsts - how often each host is first over ROUNDS messages */
static void firsts(int policy, int64_t slow_ms, int64_t now, size_t n,
                   int rounds, int *count) {
  int r;

  memset(count, 0, N * sizeof(*count));
  for (r = 0; r < rounds; r++)
    count[order_str(policy, slow_ms, now, n)[0] - '0']++;
}

/* test_ordered - configured order, priority groups first */
static void test_ordered(void) {
  setup(4);
  tap_ok(strcmp(order_str(DLP_BALANCE_ORDERED, 0, 1, 4), "0123") == 0,
         "ordered, one group: configured order");
  st[0].inflight = 9;
  h[0].health = DLP_BALANCE_DOWN;
  tap_ok(strcmp(order_str(DLP_BALANCE_ORDERED, 0, 1, 4), "0123") == 0,
         "ordered ignores load and health (as before)");
  sv[0].priority = 1;
  sv[2].priority = 1;
  tap_ok(strcmp(order_str(DLP_BALANCE_ORDERED, 0, 1, 4), "1302") == 0,
         "ordered: lowest priority number first, stable: %s",
         order_str(DLP_BALANCE_ORDERED, 0, 1, 4));
}

/* test_round_robin - even, weighted, spread failover, groups */
static void test_round_robin(void) {
  int count[N], seconds[N] = {0}, r;

  setup(3);
  tap_ok(strcmp(order_str(DLP_BALANCE_ROUND_ROBIN, 0, 1, 3), "012") == 0 &&
             strcmp(order_str(DLP_BALANCE_ROUND_ROBIN, 0, 1, 3), "120") == 0 &&
             strcmp(order_str(DLP_BALANCE_ROUND_ROBIN, 0, 1, 3), "201") == 0,
         "round-robin rotates 012, 120, 201");
  setup(3);
  firsts(DLP_BALANCE_ROUND_ROBIN, 0, 1, 3, 300, count);
  tap_ok(count[0] == 100 && count[1] == 100 && count[2] == 100,
         "round-robin: 300 messages, 100 each (%d %d %d)", count[0], count[1],
         count[2]);
  setup(3);
  for (r = 0; r < 300; r++)
    seconds[order_str(DLP_BALANCE_ROUND_ROBIN, 0, 1, 3)[1] - '0']++;
  tap_ok(seconds[0] == 100 && seconds[1] == 100 && seconds[2] == 100,
         "round-robin: the failover host is spread too (%d %d %d)", seconds[0],
         seconds[1], seconds[2]);
  setup(3);
  sv[0].weight = 1;
  sv[1].weight = 2;
  sv[2].weight = 3;
  firsts(DLP_BALANCE_ROUND_ROBIN, 0, 1, 3, 300, count);
  tap_ok(count[0] == 50 && count[1] == 100 && count[2] == 150,
         "round-robin: weights 1:2:3 over 300 (%d %d %d)", count[0], count[1],
         count[2]);
  setup(4);
  sv[2].priority = sv[3].priority = 1;
  for (r = 0; r < 50; r++) {
    const char *o = order_str(DLP_BALANCE_ROUND_ROBIN, 0, 1, 4);

    if (!((o[0] == '0' || o[0] == '1') && (o[2] == '2' || o[2] == '3')))
      break;
  }
  tap_ok(r == 50, "round-robin: group 0 always before group 1");
  setup(3);
  h[1].health = DLP_BALANCE_DOWN;
  firsts(DLP_BALANCE_ROUND_ROBIN, 0, 1, 3, 300, count);
  tap_ok(count[0] == 150 && count[1] == 0 && count[2] == 150,
         "round-robin: a skipped host goes last, its share spread (%d %d %d)",
         count[0], count[1], count[2]);
  tap_ok(order_str(DLP_BALANCE_ROUND_ROBIN, 0, 1, 3)[2] == '1',
         "round-robin: the skipped host is still in the order, last");
  h[1].health = DLP_BALANCE_DUE;
  tap_ok(order_str(DLP_BALANCE_ROUND_ROBIN, 0, 1, 3)[0] == '1',
         "round-robin: a host due for a trial goes first");
}

/* test_least_loaded - fewest in use per weight, ties in order */
static void test_least_loaded(void) {
  setup(3);
  tap_ok(strcmp(order_str(DLP_BALANCE_LEAST_LOADED, 0, 1, 3), "012") == 0,
         "least-loaded, idle: configured order");
  st[0].inflight = 2;
  st[2].inflight = 1;
  tap_ok(strcmp(order_str(DLP_BALANCE_LEAST_LOADED, 0, 1, 3), "120") == 0,
         "least-loaded: in use 2,0,1 -> 1,2,0");
  sv[0].weight = 3; /* (2+1)/3 = 1 = (0+1)/1: a tie, configured order */
  tap_ok(strcmp(order_str(DLP_BALANCE_LEAST_LOADED, 0, 1, 3), "012") == 0,
         "least-loaded: per weight: %s",
         order_str(DLP_BALANCE_LEAST_LOADED, 0, 1, 3));
  dlp_balance_busy(&st[1], 1);
  dlp_balance_busy(&st[1], -1);
  dlp_balance_busy(&st[1], -1);
  tap_ok(st[1].inflight == 0, "in use never goes below zero");
}

/* test_slow_hint - perf (issue 14): slow hosts after their group's others */
static void test_slow_hint(void) {
  setup(4);
  h[0].slow = 1;
  tap_ok(strcmp(order_str(DLP_BALANCE_ORDERED, 0, 1, 4), "1230") == 0,
         "ordered: the slow first host goes last: %s",
         order_str(DLP_BALANCE_ORDERED, 0, 1, 4));
  h[2].slow = 1;
  tap_ok(strcmp(order_str(DLP_BALANCE_ORDERED, 0, 1, 4), "1302") == 0,
         "ordered: two slow hosts keep their order, after the others: %s",
         order_str(DLP_BALANCE_ORDERED, 0, 1, 4));
  sv[2].priority = 1;
  sv[3].priority = 1;
  tap_ok(strcmp(order_str(DLP_BALANCE_ORDERED, 0, 1, 4), "1032") == 0,
         "ordered: slow hosts stay in their priority group: %s",
         order_str(DLP_BALANCE_ORDERED, 0, 1, 4));
  setup(3);
  h[1].slow = 1;
  st[0].inflight = 1;
  tap_ok(strcmp(order_str(DLP_BALANCE_LEAST_LOADED, 0, 1, 3), "201") == 0,
         "least-loaded: the idle slow host after the busier others: %s",
         order_str(DLP_BALANCE_LEAST_LOADED, 0, 1, 3));
  h[0].health = DLP_BALANCE_DUE;
  h[0].slow = 1;
  h[1].slow = 0;
  tap_ok(strcmp(order_str(DLP_BALANCE_LEAST_LOADED, 0, 1, 3), "120") == 0,
         "least-loaded: a slow host due for a trial goes last too: %s",
         order_str(DLP_BALANCE_LEAST_LOADED, 0, 1, 3));
}

/* test_slow_start - a host back up gets a tenth, then all of its share */
static void test_slow_start(void) {
  int count[N];

  setup(3);
  dlp_balance_up(&st[2], 100000);
  tap_ok(dlp_balance_weight(&h[2], 10000, 100000) == 100 &&
             dlp_balance_weight(&h[2], 10000, 105000) == 500 &&
             dlp_balance_weight(&h[2], 10000, 110000) == 1000 &&
             dlp_balance_weight(&h[2], 0, 100000) == 1000,
         "slow start: a tenth, half at half time, all after (or off)");
  firsts(DLP_BALANCE_ROUND_ROBIN, 10000, 100500, 3, 210, count);
  tap_ok(count[2] <= 12 && count[0] >= 95 && count[1] >= 95,
         "slow start: round-robin gives the new host a small share at first "
         "(%d %d %d)",
         count[0], count[1], count[2]);
  firsts(DLP_BALANCE_ROUND_ROBIN, 10000, 120000, 3, 300, count);
  tap_ok(count[2] >= 95 && count[2] <= 105,
         "slow start: its full share later (%d %d %d)", count[0], count[1],
         count[2]);
  setup(3);
  st[0].inflight = st[1].inflight = 3;
  dlp_balance_up(&st[2], 100000);
  tap_ok(order_str(DLP_BALANCE_LEAST_LOADED, 10000, 100000, 3)[2] == '2',
         "slow start: least-loaded does not pile onto an idle host back up");
  tap_ok(order_str(DLP_BALANCE_LEAST_LOADED, 10000, 120000, 3)[0] == '2',
         "slow start: later the idle host is the least loaded");
}

/* load - dlp_config_load of TEXT; NULL with ERR */
static DLP_CONFIG *load(const char *text, char *err, size_t errlen) {
  static int n;
  char path[256];
  FILE *fp;

  snprintf(path, sizeof(path), "%s/c%d.conf", tmpdir, ++n);
  if ((fp = fopen(path, "w")) == NULL) {
    perror(path);
    exit(1);
  }
  fputs(text, fp);
  fclose(fp);
  return dlp_config_load(path, err, errlen);
}

/* bad - TEXT must be refused naming line LINE and WANT */
static void bad(const char *name, const char *text, int line,
                const char *want) {
  char err[1024], at[32];
  DLP_CONFIG *cfg = load(text, err, sizeof(err));

  snprintf(at, sizeof(at), ".conf:%d: ", line);
  tap_ok(cfg == NULL && strstr(err, at) != NULL && strstr(err, want) != NULL,
         "bad config: %s (%s)", name, cfg ? "loaded" : err);
  if (cfg != NULL)
    dlp_config_unref(cfg);
}

/* test_config - defaults, values, bad values */
static void test_config(void) {
  char err[1024];
  DLP_CONFIG *cfg;

  cfg = load("dlp: { servers = ( { host = \"a\"; port = 1; },\n"
             "{ host = \"b\"; port = 2; } ); };\n",
             err, sizeof(err));
  tap_ok(cfg != NULL && cfg->balance == DLP_BALANCE_ORDERED &&
             cfg->balance_slow_start == 5 && cfg->servers[1].weight == 1 &&
             cfg->servers[1].priority == 0,
         "defaults: ordered, slow start 5 s, weight 1, priority 0 (%s)",
         cfg ? "" : err);
  if (cfg != NULL)
    dlp_config_unref(cfg);
  cfg = load("dlp: { balance = \"least-loaded\"; balance_slow_start = 0;\n"
             "servers = ( { host = \"a\"; port = 1; weight = 7; },\n"
             "{ host = \"b\"; port = 2; priority = 3; } ); };\n",
             err, sizeof(err));
  tap_ok(cfg != NULL && cfg->balance == DLP_BALANCE_LEAST_LOADED &&
             cfg->balance_slow_start == 0 && cfg->servers[0].weight == 7 &&
             cfg->servers[1].priority == 3 && cfg->servers[0].priority == 0,
         "values copied (%s)", cfg ? "" : err);
  if (cfg != NULL)
    dlp_config_unref(cfg);
  bad("unknown policy",
      "dlp: { servers = ( { host = \"a\"; port = 1; } );\n"
      "balance = \"random\"; };\n",
      2, "dlp.balance: \"random\" is not one of ordered, round-robin");
  bad("weight 0",
      "dlp: { servers = ( { host = \"a\"; port = 1; },\n"
      "{ host = \"b\"; port = 2;\n weight = 0; } ); };\n",
      3, "dlp.servers[1].weight: 0 is out of range (1..1000)");
  bad("negative priority",
      "dlp: { servers = (\n{ host = \"a\"; port = 1; priority = -1; } ); };\n",
      2, "dlp.servers[0].priority: -1 is out of range (0..255)");
  bad("slow start not an integer",
      "dlp: { servers = ( { host = \"a\"; port = 1; } );\n"
      "balance_slow_start = \"x\"; };\n",
      2, "dlp.balance_slow_start: expected an integer");
  bad("three groups do not fit the deadline",
      "dlp: { servers = ( { host = \"a\"; port = 1; },\n"
      "{ host = \"b\"; port = 2; priority = 1; },\n"
      "{ host = \"c\"; port = 3; priority = 2; } );\n"
      "connect_timeout = 5;\nsession_deadline = 14; };\n",
      5, "3 priority groups");
  cfg = load("dlp: { servers = ( { host = \"a\"; port = 1; },\n"
             "{ host = \"b\"; port = 2; priority = 1; },\n"
             "{ host = \"c\"; port = 3; priority = 2; } );\n"
             "connect_timeout = 5;\nsession_deadline = 15; };\n",
             err, sizeof(err));
  tap_ok(cfg != NULL, "three groups of one host fit 15 s (%s)", cfg ? "" : err);
  if (cfg != NULL)
    dlp_config_unref(cfg);
}

/* main - run every group of checks */
int main(void) {
  char cmd[300];

  if (mkdtemp(tmpdir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  test_ordered();
  test_round_robin();
  test_least_loaded();
  test_slow_hint();
  test_slow_start();
  test_config();
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
  if (system(cmd) != 0)
    fprintf(stderr, "cannot remove %s\n", tmpdir);
  return tap_done();
}
