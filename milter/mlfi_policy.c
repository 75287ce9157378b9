/*
 * mlfi_policy.c - the bypass policy (mlfi_policy.h): never-bypass rules
 * and the bypass budget.
 *
 * Contract: see mlfi_policy.h.  The rules are the configuration's
 * (dlp_policy_never_*, per message); the budget is process state under
 * one mutex, so a reload (SIGHUP) keeps it and applies new limits from
 * the next message.  A bypass episode starts with the first BYPASS that
 * reaches the budget and ends when a DLP host takes or answers a message
 * (mlfi_policy_scanned), the health state sees a host back
 * (mlfi_policy_host_up) or the operator resets it.  Before each bypass
 * the budget is spent when the episode has lasted max_duration seconds,
 * or already bypassed max_messages messages or max_bytes bytes: so with
 * max_messages N, messages 1..N bypass and N+1 is the first refused, and
 * the bytes bypassed exceed max_bytes by less than one message.  Events:
 * "bypass-start", "budget-spent", "bypass-end", once per episode each,
 * logged after the lock is released.
 *
 * The state file (bypass.budget.state_file, read at start when a limit
 * is set): a restart must not refill a spent budget, nor restart an
 * episode's clock.  It is written (temp file, fsync, rename) on every
 * change of episode or spent state, every POLICY_SAVE_EVERY bypassed
 * messages or POLICY_SAVE_SECS seconds within an episode, and at stop;
 * only while the configuration sets a budget limit.  A missing file is a
 * fresh start; one that cannot be read or parsed is logged and the
 * budget starts spent (spent_by "state-file"): fail closed.
 */
#include "config.h"

#include "mlfi_policy.h"

#include "mlfi.h"
#include "mlfi_event.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define POLICY_SAVE_EVERY 16 /* bypassed messages between saves */
#define POLICY_SAVE_SECS 1   /* or seconds */
#define POLICY_MAGIC "dlpbypass-budget 1"

/* The budget (process state). */
struct policy_budget {
  int in_episode;
  time_t started;
  unsigned long messages;
  unsigned long long bytes;
  int spent;
  const char *spent_by; /* a static string, or NULL */
};

/* What happened under the lock, reported (events, save) after it. */
struct policy_news {
  int started, spent, ended, save;
  const char *ended_by;
  struct policy_budget b; /* the budget when it happened */
  long long limits[3];    /* max_duration, max_messages, max_bytes */
};

static pthread_mutex_t policy_lock = PTHREAD_MUTEX_INITIALIZER;
static struct policy_budget budget;   /* under policy_lock */
static unsigned long long budget_gen; /* changes so far, under policy_lock */
static unsigned long unsaved;         /* messages since the last save */
static time_t saved_at;               /* when it was last saved */
static int persist;                   /* a budget limit is configured */
static char *state_file;              /* set by mlfi_policy_start */

static pthread_mutex_t save_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long saved_gen; /* under save_lock */
static int save_failing;             /* under save_lock */

static const char *const spent_names[] = {
    "max_duration", "max_messages", "max_bytes", "operator", "state-file"};

/* policy_has_limits - CFG sets at least one budget limit */
static int policy_has_limits(const DLP_CONFIG *cfg) {
  return dlp_config_budget_max_duration(cfg) > 0 ||
         dlp_config_budget_max_messages(cfg) > 0 ||
         dlp_config_budget_max_bytes(cfg) > 0;
}

/* policy_spent_name - the static spelling of spent_by NAME, or NULL */
static const char *policy_spent_name(const char *name) {
  size_t i;

  for (i = 0; i < sizeof(spent_names) / sizeof(spent_names[0]); i++)
    if (strcmp(name, spent_names[i]) == 0)
      return spent_names[i];
  return NULL;
}

/* policy_parse - one "key value" LINE of the state file into B; 0 or -1 */
static int policy_parse(char *line, struct policy_budget *b) {
  char *value = strchr(line, ' '), *end;
  unsigned long long v;

  if (value == NULL)
    return -1;
  *value++ = '\0';
  if (strcmp(line, "spent_by") == 0) {
    b->spent_by = strcmp(value, "-") == 0 ? NULL : policy_spent_name(value);
    return strcmp(value, "-") == 0 || b->spent_by != NULL ? 0 : -1;
  }
  errno = 0;
  v = strtoull(value, &end, 10);
  if (errno != 0 || end == value || *end != '\0' || *value == '-')
    return -1;
  if (strcmp(line, "episode") == 0 && v <= 1)
    b->in_episode = (int)v;
  else if (strcmp(line, "started") == 0 && v <= (unsigned long long)INT64_MAX)
    b->started = (time_t)v;
  else if (strcmp(line, "messages") == 0)
    b->messages = (unsigned long)v;
  else if (strcmp(line, "bytes") == 0)
    b->bytes = v;
  else if (strcmp(line, "spent") == 0 && v <= 1)
    b->spent = (int)v;
  else
    return -1;
  return 0;
}

/* policy_load - read PATH into B: 1 done, 0 no file, -1 (WHY) bad file */
static int policy_load(const char *path, struct policy_budget *b, char *why,
                       size_t len) {
  char line[256];
  size_t n;
  FILE *fp;
  int ok = 1, first = 1;

  if ((fp = fopen(path, "r")) == NULL) {
    if (errno == ENOENT)
      return 0;
    snprintf(why, len, "cannot open: %s", strerror(errno));
    return -1;
  }
  while (ok && fgets(line, sizeof(line), fp) != NULL) {
    n = strlen(line);
    if (n == 0 || line[n - 1] != '\n') {
      ok = 0;
      break;
    }
    line[n - 1] = '\0';
    if (first)
      ok = strcmp(line, POLICY_MAGIC) == 0;
    else if (line[0] != '#')
      ok = policy_parse(line, b) == 0;
    first = 0;
  }
  if (ferror(fp) || first)
    ok = 0;
  fclose(fp);
  if (ok && b->spent && b->spent_by == NULL)
    ok = 0;
  if (!ok)
    snprintf(why, len, "not a budget state file (or a damaged one)");
  return ok ? 1 : -1;
}

/* policy_write - B into PATH atomically (temp file, fsync, rename) */
static int policy_write(const char *path, const struct policy_budget *b,
                        char *why, size_t len) {
  char tmp[4096], text[512];
  int fd, n;

  n = snprintf(text, sizeof(text),
               POLICY_MAGIC "\n# bypass budget of dlpbypass-milter; do not "
                            "edit while it runs\nepisode %d\nstarted %lld\n"
                            "messages %lu\nbytes %llu\nspent %d\nspent_by %s\n",
               b->in_episode, (long long)b->started, b->messages, b->bytes,
               b->spent, b->spent_by != NULL ? b->spent_by : "-");
  if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
    snprintf(why, len, "path too long");
    return -1;
  }
  if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
    snprintf(why, len, "cannot create %s: %s", tmp, strerror(errno));
    return -1;
  }
  if (write(fd, text, (size_t)n) != n || fsync(fd) < 0) {
    snprintf(why, len, "cannot write %s: %s", tmp, strerror(errno));
    close(fd);
    unlink(tmp);
    return -1;
  }
  close(fd);
  if (rename(tmp, path) < 0) {
    snprintf(why, len, "cannot rename %s: %s", tmp, strerror(errno));
    unlink(tmp);
    return -1;
  }
  return 0;
}

/* policy_save - write B (change GEN) unless a later change is written */
static void policy_save(const struct policy_budget *b, unsigned long long gen) {
  char why[4200];

  pthread_mutex_lock(&save_lock);
  if (state_file != NULL && gen > saved_gen) {
    if (policy_write(state_file, b, why, sizeof(why)) == 0) {
      saved_gen = gen;
      if (save_failing)
        mlfi_log(LOG_NOTICE, "bypass budget state saved to %s again",
                 state_file);
      save_failing = 0;
    } else if (!save_failing) {
      save_failing = 1;
      mlfi_log(LOG_ERR,
               "bypass budget state: %s (a restart would refill the "
               "budget)",
               why);
    }
  }
  pthread_mutex_unlock(&save_lock);
}

/* policy_news_init - NEWS empty, with CFG's limits (CFG may be NULL) */
static void policy_news_init(struct policy_news *news, const DLP_CONFIG *cfg) {
  memset(news, 0, sizeof(*news));
  if (cfg != NULL) {
    news->limits[0] = dlp_config_budget_max_duration(cfg);
    news->limits[1] = dlp_config_budget_max_messages(cfg);
    news->limits[2] = dlp_config_budget_max_bytes(cfg);
  }
}

/* policy_changed - under the lock: the budget changed; save it now? */
static void policy_changed(struct policy_news *news, int now_please) {
  time_t now = time(NULL);

  budget_gen++;
  if (now_please || ++unsaved >= POLICY_SAVE_EVERY ||
      now - saved_at >= POLICY_SAVE_SECS) {
    news->save = persist;
    unsaved = 0;
    saved_at = now;
  }
  news->b = budget;
}

/* policy_spend - under the lock: the budget is spent (by BY) */
static void policy_spend(struct policy_news *news, const char *by) {
  budget.spent = 1;
  budget.spent_by = by;
  news->spent = 1;
  policy_changed(news, 1);
}

/* policy_end - under the lock: the episode ends, the budget refills */
static void policy_end(struct policy_news *news, const char *by) {
  if (!budget.in_episode && !budget.spent)
    return;
  news->ended = budget.in_episode;
  news->ended_by = by;
  news->b = budget; /* what the episode was */
  memset(&budget, 0, sizeof(budget));
  budget_gen++;
  news->save = persist;
  unsaved = 0;
  saved_at = time(NULL);
}

/* policy_check_duration - under the lock: spend when the episode is over */
static void policy_check_duration(struct policy_news *news, long long max) {
  if (!budget.spent && budget.in_episode && max > 0 &&
      (long long)(time(NULL) - budget.started) >= max)
    policy_spend(news, "max_duration");
}

/* policy_num - N as a string in BUF */
static const char *policy_num(char *buf, size_t len, long long n) {
  snprintf(buf, len, "%lld", n);
  return buf;
}

/* policy_report - the events and the save NEWS asks for (no lock held) */
static void policy_report(const struct policy_news *news) {
  char m[32], b[32], s[32], l0[32], l1[32], l2[32];
  const struct policy_budget *e = &news->b;
  long long secs = e->started > 0 ? (long long)(time(NULL) - e->started) : 0;
  struct policy_budget now;
  unsigned long long gen;

  if (news->started)
    mlfi_event(LOG_WARNING, "bypass-start", "max_duration",
               policy_num(l0, sizeof(l0), news->limits[0]), "max_messages",
               policy_num(l1, sizeof(l1), news->limits[1]), "max_bytes",
               policy_num(l2, sizeof(l2), news->limits[2]), NULL);
  if (news->spent)
    mlfi_event(LOG_WARNING, "budget-spent", "limit", e->spent_by, "messages",
               policy_num(m, sizeof(m), (long long)e->messages), "bytes",
               policy_num(b, sizeof(b), (long long)e->bytes), "seconds",
               policy_num(s, sizeof(s), secs), NULL);
  if (news->ended)
    mlfi_event(LOG_NOTICE, "bypass-end", "by", news->ended_by, "messages",
               policy_num(m, sizeof(m), (long long)e->messages), "bytes",
               policy_num(b, sizeof(b), (long long)e->bytes), "seconds",
               policy_num(s, sizeof(s), secs), NULL);
  if (news->save) { /* the latest state (a later change may be in it) */
    pthread_mutex_lock(&policy_lock);
    now = budget;
    gen = budget_gen;
    pthread_mutex_unlock(&policy_lock);
    policy_save(&now, gen);
  }
}

/* mlfi_policy_start - load the budget state (before the first message) */
void mlfi_policy_start(const DLP_CONFIG *cfg) {
  struct policy_budget b;
  char why[300];
  int rc;

  memset(&b, 0, sizeof(b));
  pthread_mutex_lock(&policy_lock);
  free(state_file);
  state_file = strdup(dlp_config_budget_state_file(cfg));
  persist = policy_has_limits(cfg);
  saved_at = time(NULL);
  if (persist && state_file != NULL) {
    rc = policy_load(state_file, &b, why, sizeof(why));
    if (rc < 0) {
      memset(&b, 0, sizeof(b));
      b.spent = 1;
      b.spent_by = "state-file";
      mlfi_log(LOG_ERR,
               "bypass budget state %s: %s: the budget starts spent (no "
               "bypass until a DLP host takes mail or an operator resets "
               "it)",
               state_file, why);
    } else if (rc > 0) {
      mlfi_log(LOG_INFO,
               "bypass budget state from %s: episode=%d messages=%lu "
               "bytes=%llu spent=%s",
               state_file, b.in_episode, b.messages, b.bytes,
               b.spent ? b.spent_by : "no");
    }
  }
  budget = b;
  pthread_mutex_unlock(&policy_lock);
}

/* mlfi_policy_stop - save the budget state (after the last message) */
void mlfi_policy_stop(void) {
  struct policy_budget b;
  unsigned long long gen;
  int save;

  pthread_mutex_lock(&policy_lock);
  b = budget;
  gen = ++budget_gen;
  save = persist;
  pthread_mutex_unlock(&policy_lock);
  if (save)
    policy_save(&b, gen);
  pthread_mutex_lock(&save_lock);
  free(state_file);
  state_file = NULL;
  pthread_mutex_unlock(&save_lock);
}

/* mlfi_policy_header - 1 when field NAME: VALUE matches a never rule */
int mlfi_policy_header(const DLP_CONFIG *cfg, const char *name,
                       const char *value) {
  return cfg != NULL && dlp_policy_never_header(cfg, name, value) != 0;
}

/* policy_never - the never-bypass rule the message matches, or NULL */
static const char *policy_never(const DLP_CONFIG *cfg, const char *from,
                                const char *const *rcpts, size_t nrcpt,
                                off_t size, int header_hit) {
  long long max_size = dlp_config_never_max_size(cfg);
  size_t i;

  if (dlp_policy_never_sender(cfg, from))
    return "never-bypass:sender";
  for (i = 0; i < nrcpt; i++)
    if (dlp_policy_never_recipient(cfg, rcpts[i]))
      return "never-bypass:recipient";
  if (header_hit)
    return "never-bypass:header";
  if (max_size > 0 && (long long)size > max_size)
    return "never-bypass:size";
  return NULL;
}

/* mlfi_policy_bypass - may the BYPASS of this message stand? */
const char *mlfi_policy_bypass(const DLP_CONFIG *cfg, const char *from,
                               const char *const *rcpts, size_t nrcpt,
                               off_t size, int header_hit) {
  struct policy_news news;
  const char *refused;

  if ((refused = policy_never(cfg, from, rcpts, nrcpt, size, header_hit)))
    return refused;
  policy_news_init(&news, cfg);
  pthread_mutex_lock(&policy_lock);
  persist = policy_has_limits(cfg);
  if (!budget.spent && !budget.in_episode) {
    budget.in_episode = 1;
    budget.started = time(NULL);
    news.started = 1;
    policy_changed(&news, 1);
  }
  policy_check_duration(&news, news.limits[0]);
  if (!budget.spent && news.limits[1] > 0 &&
      budget.messages >= (unsigned long long)news.limits[1])
    policy_spend(&news, "max_messages");
  if (!budget.spent && news.limits[2] > 0 &&
      budget.bytes >= (unsigned long long)news.limits[2])
    policy_spend(&news, "max_bytes");
  refused = budget.spent ? "budget-spent" : NULL;
  if (refused == NULL) {
    budget.messages++;
    budget.bytes += size > 0 ? (unsigned long long)size : 0;
    policy_changed(&news, 0);
  }
  pthread_mutex_unlock(&policy_lock);
  policy_report(&news);
  return refused;
}

/* mlfi_policy_refund - a counted bypass was refused later: uncount it */
void mlfi_policy_refund(off_t size) {
  unsigned long long bytes = size > 0 ? (unsigned long long)size : 0;
  struct policy_news news;

  policy_news_init(&news, NULL);
  pthread_mutex_lock(&policy_lock);
  if (budget.in_episode && budget.messages > 0) {
    budget.messages--;
    budget.bytes = budget.bytes > bytes ? budget.bytes - bytes : 0;
    policy_changed(&news, 0);
  }
  pthread_mutex_unlock(&policy_lock);
  policy_report(&news);
}

/* policy_refill - the episode ends (BY), the budget refills */
static void policy_refill(const char *by) {
  struct policy_news news;

  policy_news_init(&news, NULL);
  pthread_mutex_lock(&policy_lock);
  policy_end(&news, by);
  pthread_mutex_unlock(&policy_lock);
  policy_report(&news);
}

/* mlfi_policy_scanned - a DLP host took a message: the episode ends */
void mlfi_policy_scanned(void) {
  policy_refill("dlp");
}

/* mlfi_policy_host_up - the health state sees a host back: same */
void mlfi_policy_host_up(void) {
  policy_refill("host-up");
}

/* policy_left - what is left of LIMIT after USED; -1: no limit */
static long long policy_left(long long limit, long long used) {
  if (limit <= 0)
    return -1;
  return used >= limit ? 0 : limit - used;
}

/* mlfi_budget_snapshot - the budget now, under CFG's limits */
void mlfi_budget_snapshot(const DLP_CONFIG *cfg, struct mlfi_budget_state *st) {
  struct policy_news news;
  long long secs;

  policy_news_init(&news, cfg);
  memset(st, 0, sizeof(*st));
  pthread_mutex_lock(&policy_lock);
  policy_check_duration(&news, news.limits[0]);
  st->in_episode = budget.in_episode;
  st->started = budget.in_episode ? budget.started : 0;
  st->messages = budget.messages;
  st->bytes = budget.bytes;
  st->spent = budget.spent;
  st->spent_by = budget.spent_by;
  secs = budget.in_episode ? (long long)(time(NULL) - budget.started) : 0;
  pthread_mutex_unlock(&policy_lock);
  st->left_seconds = policy_left(news.limits[0], secs);
  st->left_messages = policy_left(news.limits[1], (long long)st->messages);
  st->left_bytes = policy_left(news.limits[2], (long long)st->bytes);
  if (st->spent) {
    st->left_seconds = st->left_seconds < 0 ? -1 : 0;
    st->left_messages = st->left_messages < 0 ? -1 : 0;
    st->left_bytes = st->left_bytes < 0 ? -1 : 0;
  }
  policy_report(&news);
}

/* mlfi_budget_reset - operator: refill the budget, end the episode */
void mlfi_budget_reset(void) {
  policy_refill("operator");
}

/* mlfi_budget_close - operator: spend the budget now */
void mlfi_budget_close(void) {
  struct policy_news news;

  policy_news_init(&news, NULL);
  pthread_mutex_lock(&policy_lock);
  if (!budget.spent)
    policy_spend(&news, "operator");
  pthread_mutex_unlock(&policy_lock);
  policy_report(&news);
}
