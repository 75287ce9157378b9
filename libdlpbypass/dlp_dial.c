/*
 * dlp_dial.c - a non-blocking TCP connect to one DLP host, racing its
 * addresses, waited for in pieces (dlp_dial.h).
 *
 * Contract: dlp_dial_start() copies the addresses (families interleaved)
 * and starts connect() to the first.  dial_advance() is the one place
 * that moves the dial on: it fails the attempts whose connect time or the
 * deadline has passed, and starts the next address when no attempt is
 * left or when the stagger moment of the last one has come.
 * dlp_dial_wait() polls every attempt's socket for POLLOUT, reads
 * SO_ERROR of those ready, and calls dial_advance(); the first attempt
 * to connect wins and the others are closed.  All times are
 * CLOCK_MONOTONIC milliseconds (dlp_now_ms()).
 *
 * Failure kinds: each address ends as one of: failed at the network
 * (net_errno(): refused, unreachable, reset, its own connect time ran
 * out), unusable here (EAFNOSUPPORT: the kernel lacks the family; it
 * counts neither way), cut short or never started because of the
 * overall deadline, or failed locally (every other errno: socket()
 * EMFILE/ENFILE/ENOBUFS/ENOMEM, connect() EADDRNOTAVAIL, EPERM, ...).
 * The dial is DLP_DIAL_ERR_NET only when every usable address failed at
 * the network (and there was one); else DLP_DIAL_ERR_DEADLINE when the
 * deadline cut any, else DLP_DIAL_ERR_LOCAL.
 */
#include "config.h"

#include "dlp_dial.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* one address being connected */
struct attempt {
  int fd;
  size_t idx;       /* its address */
  int64_t deadline; /* its connect time, or the overall deadline */
  int cut;          /* DEADLINE is the overall deadline (cut short) */
};

struct dlp_dial {
  char *host;
  unsigned port;
  int connect_ms;   /* per address */
  int stagger_ms;   /* 0: sequential */
  int64_t deadline; /* all addresses */
  size_t naddr;
  struct sockaddr_storage addr[DLP_ADDRS_MAX];
  socklen_t alen[DLP_ADDRS_MAX];
  size_t next;     /* the next address to start */
  int64_t next_at; /* when to start it even if none failed, 0: never */
  struct attempt act[DLP_DIAL_MAXFDS];
  size_t nact;
  int fd;       /* the connected socket, or -1 */
  int done;     /* connected (fd >= 0) or failed (kind set) */
  size_t nnet;  /* addresses failed at the network */
  size_t nskip; /* addresses unusable here */
  int cut;      /* the deadline cut an address short or kept it back */
  size_t nfail; /* addresses failed, any way */
  dlp_dial_errkind_t kind;
  char label[300];
  char last[160]; /* the last address's reason */
  char all[256];  /* "addr: reason; ..." of every address failed */
  char err[256];
};

/* net_errno - E is an answer of the network to a connect */
static int net_errno(int e) {
  switch (e) {
  case ECONNREFUSED:
  case ENETUNREACH:
  case EHOSTUNREACH:
  case ETIMEDOUT:
  case ECONNRESET:
  case ECONNABORTED:
  case EHOSTDOWN:
  case ENETDOWN:
  case ENETRESET:
  case ENONET:
  case EPROTO:
  case EPIPE:
    return 1;
  default:
    return 0;
  }
}

/* dial_addr_text - address I as numeric text */
static const char *dial_addr_text(const DLP_DIAL *d, size_t i, char *buf,
                                  size_t len) {
  if (getnameinfo((const struct sockaddr *)&d->addr[i], d->alen[i], buf, len,
                  NULL, 0, NI_NUMERICHOST) != 0)
    snprintf(buf, len, "?");
  return buf;
}

/* dial_label - label the dial with address I */
static void dial_label(DLP_DIAL *d, size_t i) {
  char addr[INET6_ADDRSTRLEN + 8];

  snprintf(d->label, sizeof(d->label), "%s[%s]:%u", d->host,
           dial_addr_text(d, i, addr, sizeof(addr)), d->port);
}

/* dial_addr_failed - address I failed (WHY, errno E or 0); KIND is
 * 'n' network, 's' unusable here, 'c' cut by the deadline, 'l' local */
static void dial_addr_failed(DLP_DIAL *d, size_t i, int kind, const char *why,
                             int e) {
  char addr[INET6_ADDRSTRLEN + 8];
  size_t len = strlen(d->all);

  if (e != 0)
    snprintf(d->last, sizeof(d->last), "%s: %s", why, strerror(e));
  else
    snprintf(d->last, sizeof(d->last), "%s", why);
  snprintf(d->all + len, sizeof(d->all) - len, "%s%s: %s", len ? "; " : "",
           dial_addr_text(d, i, addr, sizeof(addr)), d->last);
  dial_label(d, i);
  d->nfail++;
  d->nnet += kind == 'n';
  d->nskip += kind == 's';
  d->cut |= kind == 'c';
}

/* dial_errno_kind - the failure kind of errno E */
static int dial_errno_kind(int e) {
  if (net_errno(e))
    return 'n';
  return e == EAFNOSUPPORT || e == EPFNOSUPPORT ? 's' : 'l';
}

/* dial_drop - close attempt K and take it off the list */
static void dial_drop(DLP_DIAL *d, size_t k) {
  close(d->act[k].fd);
  d->act[k] = d->act[--d->nact];
}

/* dial_won - attempt K connected: keep it, close the others */
static void dial_won(DLP_DIAL *d, size_t k) {
  d->fd = d->act[k].fd;
  dial_label(d, d->act[k].idx);
  d->act[k] = d->act[--d->nact];
  while (d->nact > 0)
    dial_drop(d, 0);
  d->done = 1;
}

/* dial_start_next - start connect() to the next address at NOW */
static void dial_start_next(DLP_DIAL *d, int64_t now) {
  size_t i = d->next++;
  struct attempt *a = &d->act[d->nact];
  int on = 1, e;

  dial_label(d, i);
  d->next_at = d->stagger_ms > 0 ? now + d->stagger_ms : 0;
  a->idx = i;
  a->deadline = now + d->connect_ms;
  a->cut = a->deadline >= d->deadline;
  if (a->cut)
    a->deadline = d->deadline;
  a->fd = socket(d->addr[i].ss_family,
                 SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (a->fd < 0) {
    e = errno;
    dial_addr_failed(d, i, dial_errno_kind(e), "socket", e);
    return;
  }
  (void)setsockopt(a->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  if (connect(a->fd, (struct sockaddr *)&d->addr[i], d->alen[i]) == 0) {
    d->nact++;
    dial_won(d, d->nact - 1);
    return;
  }
  e = errno;
  if (e == EINPROGRESS || e == EINTR) {
    d->nact++; /* dlp_dial_wait() finishes it */
    return;
  }
  close(a->fd);
  dial_addr_failed(d, i, dial_errno_kind(e), "connect", e);
}

/* dial_finish_failed - no attempt left: decide the kind, say why */
static void dial_finish_failed(DLP_DIAL *d) {
  d->done = 1;
  if (d->nnet > 0 && d->nnet + d->nskip == d->naddr)
    d->kind = DLP_DIAL_ERR_NET;
  else if (d->cut)
    d->kind = DLP_DIAL_ERR_DEADLINE;
  else
    d->kind = DLP_DIAL_ERR_LOCAL;
  snprintf(d->err, sizeof(d->err), "%s", d->nfail > 1 ? d->all : d->last);
}

/* dial_advance - time out attempts, start addresses due, maybe finish */
static void dial_advance(DLP_DIAL *d) {
  int64_t now;
  size_t k;

  while (!d->done) {
    now = dlp_now_ms();
    for (k = 0; k < d->nact;) {
      if (now < d->act[k].deadline) {
        k++;
        continue;
      }
      dial_addr_failed(d, d->act[k].idx, d->act[k].cut ? 'c' : 'n',
                       d->act[k].cut ? "connect: cut short by the deadline"
                                     : "connect: timed out",
                       0);
      dial_drop(d, k);
    }
    if (d->next < d->naddr && now >= d->deadline) {
      d->cut = 1; /* addresses never tried */
      d->next = d->naddr;
    }
    if (d->next < d->naddr &&
        (d->nact == 0 || (d->next_at != 0 && now >= d->next_at))) {
      dial_start_next(d, now);
      continue; /* it may have failed (or connected) at once */
    }
    if (d->nact == 0)
      dial_finish_failed(d);
    return;
  }
}

/* dial_order - copy ADDRS into D, the two families interleaved */
static void dial_order(DLP_DIAL *d, const DLP_ADDRS *addrs) {
  size_t n = dlp_addrs_count(addrs), i, j, na = 0, nb = 0;
  size_t fa[DLP_ADDRS_MAX], fb[DLP_ADDRS_MAX];
  const struct sockaddr *sa;
  socklen_t len;
  int first = dlp_addrs_get(addrs, 0, NULL)->sa_family;

  for (i = 0; i < n && i < DLP_ADDRS_MAX; i++) {
    if (dlp_addrs_get(addrs, i, NULL)->sa_family == first)
      fa[na++] = i;
    else
      fb[nb++] = i;
  }
  for (j = 0; j < na || j < nb; j++) {
    for (i = 0; i < 2; i++) {
      if (j >= (i == 0 ? na : nb))
        continue;
      sa = dlp_addrs_get(addrs, i == 0 ? fa[j] : fb[j], &len);
      memcpy(&d->addr[d->naddr], sa, len);
      if (sa->sa_family == AF_INET)
        ((struct sockaddr_in *)&d->addr[d->naddr])->sin_port = htons(d->port);
      else
        ((struct sockaddr_in6 *)&d->addr[d->naddr])->sin6_port = htons(d->port);
      d->alen[d->naddr++] = len;
    }
  }
}

/* dlp_dial_start - start racing the addresses */
DLP_DIAL *dlp_dial_start(const DLP_ADDRS *addrs, const char *host,
                         unsigned port, int connect_ms, int stagger_ms,
                         int64_t deadline_ms) {
  DLP_DIAL *d = calloc(1, sizeof(*d));

  if (d == NULL || (d->host = strdup(host)) == NULL) {
    free(d);
    return NULL;
  }
  d->port = port;
  d->connect_ms = connect_ms > 0 ? connect_ms : 0;
  d->stagger_ms = stagger_ms > 0 ? stagger_ms : 0;
  d->deadline = deadline_ms;
  d->fd = -1;
  snprintf(d->label, sizeof(d->label), "%s[unknown]:%u", host, port);
  if (dlp_addrs_count(addrs) == 0) {
    snprintf(d->err, sizeof(d->err), "no address to connect to");
    d->kind = DLP_DIAL_ERR_DNS;
    d->done = 1;
    return d;
  }
  dial_order(d, addrs);
  dial_label(d, 0);
  if (dlp_now_ms() >= d->deadline) {
    snprintf(d->err, sizeof(d->err), "not dialled: the deadline had passed");
    d->kind = DLP_DIAL_ERR_DEADLINE;
    d->done = 1;
    return d;
  }
  dial_advance(d);
  return d;
}

/* dial_check - poll the attempts until UNTIL (or the wake); advance */
static void dial_check(DLP_DIAL *d, int64_t until) {
  struct pollfd pfd[DLP_DIAL_MAXFDS];
  int64_t wake = dlp_dial_wake(d);
  size_t n = dlp_dial_pollfds(d, pfd, DLP_DIAL_MAXFDS), i, k;
  int soerr, rc;
  socklen_t sl;

  if (until > wake)
    until = wake;
  rc = dlp_io_wait_many(pfd, n, until);
  for (i = 0; rc > 0 && i < n && !d->done; i++) {
    if (pfd[i].revents == 0)
      continue;
    for (k = 0; k < d->nact && d->act[k].fd != pfd[i].fd; k++)
      ;
    if (k == d->nact)
      continue;
    soerr = 0;
    sl = sizeof(soerr);
    if (getsockopt(pfd[i].fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
      soerr = errno;
    if (soerr == 0) {
      dial_won(d, k);
      return;
    }
    dial_addr_failed(d, d->act[k].idx, dial_errno_kind(soerr), "connect",
                     soerr);
    dial_drop(d, k);
  }
  dial_advance(d);
}

/* dlp_dial_wait - go on connecting until UNTIL_MS */
dlp_io_status dlp_dial_wait(DLP_DIAL *d, int64_t until_ms) {
  int once = 1;

  while (!d->done && (once || dlp_now_ms() < until_ms)) {
    once = 0;
    dial_check(d, until_ms);
  }
  if (!d->done)
    return DLP_IO_TIMEOUT;
  return d->fd >= 0 ? DLP_IO_OK : DLP_IO_ERROR;
}

/* dlp_dial_pollfds - the sockets still connecting, for poll() */
size_t dlp_dial_pollfds(const DLP_DIAL *d, struct pollfd *pfd, size_t max) {
  size_t k;

  for (k = 0; k < d->nact && k < max; k++) {
    pfd[k].fd = d->act[k].fd;
    pfd[k].events = POLLOUT;
    pfd[k].revents = 0;
  }
  return k;
}

/* dlp_dial_wake - the earliest moment the dial needs attention */
int64_t dlp_dial_wake(const DLP_DIAL *d) {
  int64_t wake = d->deadline;
  size_t k;

  if (d->done)
    return 0;
  for (k = 0; k < d->nact; k++)
    if (d->act[k].deadline < wake)
      wake = d->act[k].deadline;
  if (d->next < d->naddr && d->next_at != 0 && d->next_at < wake)
    wake = d->next_at;
  return wake;
}

/* dlp_dial_fd - the oldest socket still connecting, or the connected one */
int dlp_dial_fd(const DLP_DIAL *d) {
  if (d->fd >= 0)
    return d->fd;
  return d->nact > 0 ? d->act[0].fd : -1;
}

/* dlp_dial_take - the connected socket as a DLP_IO */
DLP_IO *dlp_dial_take(DLP_DIAL *d) {
  DLP_IO *io;

  if (!d->done || d->fd < 0)
    return NULL;
  if ((io = dlp_io_adopt(d->fd)) == NULL) {
    close(d->fd);
    d->fd = -1;
    snprintf(d->err, sizeof(d->err), "out of memory");
    d->kind = DLP_DIAL_ERR_LOCAL;
    return NULL;
  }
  d->fd = -1;
  d->kind = DLP_DIAL_ERR_NONE;
  return io;
}

/* dlp_dial_label - "host[addr]:port" */
const char *dlp_dial_label(const DLP_DIAL *d) {
  return d->label;
}

/* dlp_dial_error - why the dial failed */
const char *dlp_dial_error(const DLP_DIAL *d) {
  return d->done && d->kind != DLP_DIAL_ERR_NONE ? d->err : "";
}

/* dlp_dial_errkind - the kind of failure */
dlp_dial_errkind_t dlp_dial_errkind(const DLP_DIAL *d) {
  return d->done ? d->kind : DLP_DIAL_ERR_NONE;
}

/* dlp_dial_free - close sockets not taken, free */
void dlp_dial_free(DLP_DIAL *d) {
  if (d == NULL)
    return;
  while (d->nact > 0)
    dial_drop(d, 0);
  if (d->fd >= 0)
    close(d->fd);
  free(d->host);
  free(d);
}
