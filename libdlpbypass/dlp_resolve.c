/*
 * dlp_resolve.c - bounded lookups of DLP host names and the cache of
 * their last good addresses (dlp_resolve.h).
 *
 * Contract: lookup() converts a numeric address at once and otherwise
 * runs getaddrinfo() in a detached helper thread, waiting for it on a
 * condition variable (CLOCK_MONOTONIC) for at most the timeout; the
 * helper and the waiter share a reference-counted struct lookup, freed
 * by whichever lets go last, so a lookup that outlives its waiter is
 * finished and thrown away by its own thread.  The resulting DLP_ADDRS
 * holds at most DLP_ADDRS_MAX distinct IPv4/IPv6 addresses in
 * getaddrinfo's order (RFC 6724).  The resolver is a list of entries,
 * one per host name, under one mutex that is never held during a lookup.
 */
#include "config.h"

#include "dlp_resolve.h"
#include "dlp_private.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct dlp_addrs {
  int refs; /* atomic */
  size_t n;
  struct {
    struct sockaddr_storage ss;
    socklen_t len;
  } a[DLP_ADDRS_MAX];
};

/* one lookup shared by its helper thread and its waiter */
struct lookup {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int refs; /* under mu: 2 while both hold it */
  int done; /* under mu */
  char *host;
  int gai;       /* getaddrinfo's result */
  int sys_errno; /* errno for EAI_SYSTEM */
  struct addrinfo *res;
};

/* one host name of the cache */
struct entry {
  struct entry *next;
  char *host;
  DLP_ADDRS *addrs;  /* last good, or NULL */
  int64_t looked_ms; /* when the last lookup ended, 0: never */
  char err[200];     /* its reason */
};

struct dlp_resolver {
  pthread_mutex_t mu;
  int timeout_ms;
  struct entry *list;
};

/* seterr - format into the caller's ERR buffer, if any */
static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;

  if (err == NULL || errlen == 0)
    return;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* addrs_from - the distinct IPv4/IPv6 addresses of RES, port 0 */
static DLP_ADDRS *addrs_from(const struct addrinfo *res) {
  DLP_ADDRS *a = calloc(1, sizeof(*a));
  const struct addrinfo *ai;
  size_t i;

  if (a == NULL)
    return NULL;
  a->refs = 1;
  for (ai = res; ai != NULL && a->n < DLP_ADDRS_MAX; ai = ai->ai_next) {
    if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
        ai->ai_addrlen > sizeof(a->a[0].ss))
      continue;
    for (i = 0; i < a->n; i++)
      if (a->a[i].len == ai->ai_addrlen &&
          memcmp(&a->a[i].ss, ai->ai_addr, ai->ai_addrlen) == 0)
        break;
    if (i < a->n)
      continue; /* a duplicate */
    memcpy(&a->a[a->n].ss, ai->ai_addr, ai->ai_addrlen);
    if (ai->ai_family == AF_INET)
      ((struct sockaddr_in *)&a->a[a->n].ss)->sin_port = 0;
    else
      ((struct sockaddr_in6 *)&a->a[a->n].ss)->sin6_port = 0;
    a->a[a->n++].len = ai->ai_addrlen;
  }
  return a;
}

/* lookup_release - let go of L; the last one frees it */
static void lookup_release(struct lookup *l) {
  int left;

  pthread_mutex_lock(&l->mu);
  left = --l->refs;
  pthread_mutex_unlock(&l->mu);
  if (left > 0)
    return;
  if (l->res != NULL)
    freeaddrinfo(l->res);
  pthread_cond_destroy(&l->cv);
  pthread_mutex_destroy(&l->mu);
  free(l->host);
  free(l);
}

/* lookup_thread - the helper: getaddrinfo, then wake the waiter */
static void *lookup_thread(void *arg) {
  struct lookup *l = arg;
  struct addrinfo hints;

  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  l->gai = getaddrinfo(l->host, NULL, &hints, &l->res);
  l->sys_errno = errno;
  pthread_mutex_lock(&l->mu);
  l->done = 1;
  pthread_cond_signal(&l->cv);
  pthread_mutex_unlock(&l->mu);
  lookup_release(l);
  return NULL;
}

/* lookup_new - a struct lookup for HOST with a monotonic condition */
static struct lookup *lookup_new(const char *host) {
  struct lookup *l = calloc(1, sizeof(*l));
  pthread_condattr_t ca;

  if (l == NULL || (l->host = strdup(host)) == NULL) {
    free(l);
    return NULL;
  }
  pthread_mutex_init(&l->mu, NULL);
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&l->cv, &ca);
  pthread_condattr_destroy(&ca);
  l->refs = 2;
  return l;
}

/* lookup_start - start the helper thread (all signals blocked in it) */
static int lookup_start(struct lookup *l) {
  pthread_attr_t attr;
  pthread_t tid;
  sigset_t all, old;
  int rc;

  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  rc = pthread_create(&tid, &attr, lookup_thread, l);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  return rc;
}

/* lookup_wait - wait for L until TIMEOUT_MS: 1 done, 0 timed out */
static int lookup_wait(struct lookup *l, int timeout_ms) {
  struct timespec ts;
  int done, rc = 0;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_sec += timeout_ms / 1000;
  ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&l->mu);
  while (!l->done && rc != ETIMEDOUT)
    rc = pthread_cond_timedwait(&l->cv, &l->mu, &ts);
  done = l->done;
  pthread_mutex_unlock(&l->mu);
  return done;
}

/* lookup_numeric - HOST as a numeric address: 1 (*OUT set), 0 not one */
static int lookup_numeric(const char *host, DLP_ADDRS **out) {
  struct addrinfo hints, *res = NULL;

  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST;
  if (getaddrinfo(host, NULL, &hints, &res) != 0)
    return 0;
  *out = addrs_from(res);
  freeaddrinfo(res);
  return 1;
}

/* lookup_result - the addresses a finished lookup found, or NULL + ERR */
static DLP_ADDRS *lookup_result(const struct lookup *l, char *err,
                                size_t errlen) {
  DLP_ADDRS *a;

  if (l->gai == EAI_SYSTEM) {
    seterr(err, errlen, "%s", strerror(l->sys_errno));
    return NULL;
  }
  if (l->gai != 0) {
    seterr(err, errlen, "%s", gai_strerror(l->gai));
    return NULL;
  }
  if ((a = addrs_from(l->res)) == NULL) {
    seterr(err, errlen, "out of memory");
    return NULL;
  }
  if (a->n == 0) {
    dlp_addrs_free(a);
    seterr(err, errlen, "no IPv4 or IPv6 address");
    return NULL;
  }
  return a;
}

/* lookup - HOST's addresses within TIMEOUT_MS, or NULL with the bare
 * reason in ERR ("Name or service not known", "timed out after 2000 ms") */
static DLP_ADDRS *lookup(const char *host, int timeout_ms, char *err,
                         size_t errlen) {
  DLP_ADDRS *a = NULL;
  struct lookup *l;
  int rc;

  if (lookup_numeric(host, &a)) {
    if (a == NULL)
      seterr(err, errlen, "out of memory");
    return a;
  }
  if ((l = lookup_new(host)) == NULL) {
    seterr(err, errlen, "out of memory");
    return NULL;
  }
  if ((rc = lookup_start(l)) != 0) {
    seterr(err, errlen, "cannot start the lookup: %s", strerror(rc));
    l->refs = 1;
    lookup_release(l);
    return NULL;
  }
  if (lookup_wait(l, timeout_ms > 0 ? timeout_ms : 0))
    a = lookup_result(l, err, errlen);
  else
    seterr(err, errlen, "lookup timed out after %d ms", timeout_ms);
  lookup_release(l);
  return a;
}

/* dlp_addrs_lookup - one bounded lookup of HOST, not cached */
DLP_ADDRS *dlp_addrs_lookup(const char *host, int timeout_ms, char *err,
                            size_t errlen) {
  char why[200];
  DLP_ADDRS *a = lookup(host, timeout_ms, why, sizeof(why));

  if (a == NULL)
    seterr(err, errlen, "cannot resolve %s: %s", host, why);
  return a;
}

/* dlp_resolve_check - one bounded lookup of HOST: 0 or -1 with ERR */
int dlp_resolve_check(const char *host, int timeout_ms, char *err,
                      size_t errlen) {
  DLP_ADDRS *a = dlp_addrs_lookup(host, timeout_ms, err, errlen);

  dlp_addrs_free(a);
  return a != NULL ? 0 : -1;
}

/* dlp_addrs_ref - one more reference to A */
DLP_ADDRS *dlp_addrs_ref(DLP_ADDRS *a) {
  if (a != NULL)
    __atomic_add_fetch(&a->refs, 1, __ATOMIC_RELAXED);
  return a;
}

/* dlp_addrs_free - release a reference */
void dlp_addrs_free(DLP_ADDRS *a) {
  if (a != NULL && __atomic_sub_fetch(&a->refs, 1, __ATOMIC_ACQ_REL) == 0)
    free(a);
}

/* dlp_addrs_count - how many addresses A holds */
size_t dlp_addrs_count(const DLP_ADDRS *a) {
  return a != NULL ? a->n : 0;
}

/* dlp_addrs_get - address I of A, its length in *LEN */
const struct sockaddr *dlp_addrs_get(const DLP_ADDRS *a, size_t i,
                                     socklen_t *len) {
  if (a == NULL || i >= a->n)
    return NULL;
  if (len != NULL)
    *len = a->a[i].len;
  return (const struct sockaddr *)&a->a[i].ss;
}

/* dlp_addrs_text - address I of A as numeric text */
const char *dlp_addrs_text(const DLP_ADDRS *a, size_t i, char *buf,
                           size_t buflen) {
  socklen_t len;
  const struct sockaddr *sa = dlp_addrs_get(a, i, &len);

  if (sa == NULL ||
      getnameinfo(sa, len, buf, buflen, NULL, 0, NI_NUMERICHOST) != 0)
    snprintf(buf, buflen, "?");
  return buf;
}

/* dlp_resolver_create - an empty cache */
DLP_RESOLVER *dlp_resolver_create(int timeout_ms) {
  DLP_RESOLVER *r = calloc(1, sizeof(*r));

  if (r == NULL)
    return NULL;
  pthread_mutex_init(&r->mu, NULL);
  r->timeout_ms = timeout_ms;
  return r;
}

/* dlp_resolver_free - free the cache */
void dlp_resolver_free(DLP_RESOLVER *r) {
  struct entry *e, *next;

  if (r == NULL)
    return;
  for (e = r->list; e != NULL; e = next) {
    next = e->next;
    dlp_addrs_free(e->addrs);
    free(e->host);
    free(e);
  }
  pthread_mutex_destroy(&r->mu);
  free(r);
}

/* resolver_entry - HOST's entry, added when missing (mutex held) */
static struct entry *resolver_entry(DLP_RESOLVER *r, const char *host) {
  struct entry *e;

  for (e = r->list; e != NULL; e = e->next)
    if (strcmp(e->host, host) == 0)
      return e;
  if ((e = calloc(1, sizeof(*e))) == NULL || (e->host = strdup(host)) == NULL) {
    free(e);
    return NULL;
  }
  snprintf(e->err, sizeof(e->err), "not looked up yet");
  e->next = r->list;
  r->list = e;
  return e;
}

/* dlp_resolver_refresh - look HOST up now; keep the last good on failure */
int dlp_resolver_refresh(DLP_RESOLVER *r, const char *host, char *err,
                         size_t errlen) {
  char why[200];
  DLP_ADDRS *a = lookup(host, r->timeout_ms, why, sizeof(why)), *old = NULL;
  struct entry *e;

  pthread_mutex_lock(&r->mu);
  if ((e = resolver_entry(r, host)) != NULL) {
    e->looked_ms = dlp_now_ms();
    if (a != NULL) {
      old = e->addrs;
      e->addrs = dlp_addrs_ref(a);
      e->err[0] = 0;
    } else {
      snprintf(e->err, sizeof(e->err), "%s", why);
    }
  }
  pthread_mutex_unlock(&r->mu);
  dlp_addrs_free(old);
  if (a == NULL) {
    seterr(err, errlen, "cannot resolve %s: %s", host, why);
    return -1;
  }
  dlp_addrs_free(a);
  if (e == NULL) {
    seterr(err, errlen, "cannot resolve %s: out of memory", host);
    return -1;
  }
  return 0;
}

/* dlp_resolver_get - the last good addresses of HOST, without DNS */
DLP_ADDRS *dlp_resolver_get(DLP_RESOLVER *r, const char *host, char *err,
                            size_t errlen) {
  DLP_ADDRS *a = NULL;
  struct entry *e;

  pthread_mutex_lock(&r->mu);
  if ((e = resolver_entry(r, host)) == NULL)
    seterr(err, errlen, "no address known for %s: out of memory", host);
  else if ((a = dlp_addrs_ref(e->addrs)) == NULL)
    seterr(err, errlen, "no address known for %s: %s", host, e->err);
  pthread_mutex_unlock(&r->mu);
  return a;
}

/* resolver_due - strdup'd names of the entries due, NULL-terminated */
static char **resolver_due(DLP_RESOLVER *r, int64_t max_age_ms) {
  int64_t now = dlp_now_ms(), retry = max_age_ms < 1000 ? max_age_ms : 1000;
  size_t n = 0, k = 0;
  struct entry *e;
  char **due;

  pthread_mutex_lock(&r->mu);
  for (e = r->list; e != NULL; e = e->next)
    n++;
  if ((due = calloc(n + 1, sizeof(*due))) != NULL)
    for (e = r->list; e != NULL; e = e->next)
      if (e->looked_ms == 0 || now - e->looked_ms >= max_age_ms ||
          (e->addrs == NULL && now - e->looked_ms >= retry))
        if ((due[k] = strdup(e->host)) != NULL)
          k++;
  pthread_mutex_unlock(&r->mu);
  return due;
}

/* dlp_resolver_refresh_due - refresh every host whose entry is old */
void dlp_resolver_refresh_due(DLP_RESOLVER *r, int64_t max_age_ms) {
  char **due = resolver_due(r, max_age_ms);
  size_t i;

  if (due == NULL)
    return;
  for (i = 0; due[i] != NULL; i++) {
    (void)dlp_resolver_refresh(r, due[i], NULL, 0);
    free(due[i]);
  }
  free(due);
}
