/*
 * dlp_dial.c - a non-blocking TCP connect to one DLP host, waited for in
 * pieces (dlp_dial.h).
 *
 * Contract: dlp_dial_start() resolves the name (getaddrinfo, no
 * AI_ADDRCONFIG: it hides 127.0.0.1 in a namespace with only lo) and
 * starts connect() to the first address; dlp_dial_wait() polls the
 * socket for POLLOUT and reads SO_ERROR, and moves to the next address
 * when one fails or its connect time passes.  A dial is in one of three
 * states: connecting (fd >= 0), connected (done, fd >= 0) or failed
 * (done, fd -1, reason in err).  Every wait is bounded by the caller's
 * UNTIL and by the dial's own deadlines, all on CLOCK_MONOTONIC.
 */
#include "dlp_dial.h"

#include <errno.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct dlp_dial {
  char *host;
  unsigned port;
  int connect_ms;         /* per address */
  int64_t deadline;       /* all addresses */
  int64_t addr_deadline;  /* the current address */
  struct addrinfo *res;   /* resolved addresses */
  struct addrinfo *ai;    /* the next one to try */
  int fd;                 /* connecting or connected socket, or -1 */
  int done;               /* connected (fd >= 0) or failed (fd < 0) */
  int local;              /* an address failed locally */
  int cut;                /* the overall deadline cut an address short */
  int dns;                /* the name did not resolve */
  char label[300];
  char err[256];
};

/* dial_local_errno - E says the failure was ours, not the network's */
static int dial_local_errno(int e) {
  return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM ||
         e == EADDRNOTAVAIL || e == EAFNOSUPPORT || e == EPERM ||
         e == EACCES || e == EINVAL;
}

/* dial_fail_addr - the current address failed: say why, close it */
static void dial_fail_addr(DLP_DIAL *d, const char *why, int e) {
  if (e != 0 && dial_local_errno(e))
    d->local = 1;
  if (e != 0)
    snprintf(d->err, sizeof(d->err), "%s: %s", why, strerror(e));
  else
    snprintf(d->err, sizeof(d->err), "%s", why);
  if (d->fd >= 0)
    close(d->fd);
  d->fd = -1;
}

/* dial_next - start connect() to the next address; none left: failed */
static void dial_next(DLP_DIAL *d) {
  char addr[INET6_ADDRSTRLEN + 8];
  int64_t now;
  int on = 1;

  while (d->ai != NULL) {
    struct addrinfo *ai = d->ai;

    d->ai = ai->ai_next;
    if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof(addr), NULL, 0,
                    NI_NUMERICHOST) != 0)
      snprintf(addr, sizeof(addr), "?");
    snprintf(d->label, sizeof(d->label), "%s[%s]:%u", d->host, addr, d->port);
    now = dlp_now_ms();
    if (now >= d->deadline) {
      d->cut = 1;
      dial_fail_addr(d, "connect: timed out (deadline)", 0);
      break;
    }
    d->addr_deadline = now + d->connect_ms;
    if (d->addr_deadline > d->deadline)
      d->addr_deadline = d->deadline;
    d->fd = socket(ai->ai_family,
                   ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                   ai->ai_protocol);
    if (d->fd < 0) {
      dial_fail_addr(d, "socket", errno);
      continue;
    }
    (void)setsockopt(d->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    if (connect(d->fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      d->done = 1;
      return;
    }
    if (errno == EINPROGRESS || errno == EINTR)
      return; /* dlp_dial_wait() finishes it */
    dial_fail_addr(d, "connect", errno);
  }
  d->done = 1; /* every address failed: d->err says the last reason */
}

/* dlp_dial_start - resolve and start connecting */
DLP_DIAL *dlp_dial_start(const char *host, unsigned port, int connect_ms,
                         int64_t deadline_ms) {
  struct addrinfo hints;
  char portstr[16];
  DLP_DIAL *d = calloc(1, sizeof(*d));
  int gai;

  if (d == NULL || (d->host = strdup(host)) == NULL) {
    free(d);
    return NULL;
  }
  d->port = port;
  d->connect_ms = connect_ms;
  d->deadline = deadline_ms;
  d->fd = -1;
  snprintf(d->label, sizeof(d->label), "%s[%s]:%u", host, host, port);
  snprintf(d->err, sizeof(d->err), "no address");
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  snprintf(portstr, sizeof(portstr), "%u", port);
  gai = getaddrinfo(host, portstr, &hints, &d->res);
  if (gai != 0) {
    d->res = NULL;
    snprintf(d->label, sizeof(d->label), "%s[unknown]:%u", host, port);
    snprintf(d->err, sizeof(d->err), "cannot resolve %s: %s", host,
             gai_strerror(gai));
    d->dns = 1;
    d->done = 1;
    return d;
  }
  d->ai = d->res;
  dial_next(d);
  return d;
}

/* dial_check - poll the current socket until UNTIL; advance the dial */
static void dial_check(DLP_DIAL *d, int64_t until) {
  struct pollfd pfd;
  int64_t left, now = dlp_now_ms();
  int soerr = 0, n;
  socklen_t sl = sizeof(soerr);

  if (until > d->addr_deadline)
    until = d->addr_deadline;
  left = until > now ? until - now : 0;
  pfd.fd = d->fd;
  pfd.events = POLLOUT;
  pfd.revents = 0;
  n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
  if (n < 0 && errno != EINTR) {
    dial_fail_addr(d, "connect: poll", errno);
    dial_next(d);
  } else if (n > 0) {
    if (getsockopt(d->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
      soerr = errno;
    if (soerr == 0) {
      d->done = 1;
      return;
    }
    dial_fail_addr(d, "connect", soerr);
    dial_next(d);
  } else if (dlp_now_ms() >= d->addr_deadline) {
    if (d->addr_deadline >= d->deadline)
      d->cut = 1; /* the overall deadline, not the connect timeout */
    dial_fail_addr(d, "connect: timed out", 0);
    dial_next(d);
  }
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

/* dlp_dial_fd - the socket being connected, or -1 */
int dlp_dial_fd(const DLP_DIAL *d) {
  return d->fd;
}

/* dlp_dial_wake - when the current address's connect times out */
int64_t dlp_dial_wake(const DLP_DIAL *d) {
  return d->done ? 0 : d->addr_deadline;
}

/* dlp_dial_take - the connected socket as a DLP_IO */
DLP_IO *dlp_dial_take(DLP_DIAL *d) {
  DLP_IO *io;

  if (!d->done || d->fd < 0)
    return NULL;
  if ((io = dlp_io_adopt(d->fd)) == NULL) {
    dial_fail_addr(d, "out of memory", 0);
    return NULL;
  }
  d->fd = -1;
  return io;
}

/* dlp_dial_label - "host[addr]:port" */
const char *dlp_dial_label(const DLP_DIAL *d) {
  return d->label;
}

/* dlp_dial_error - why the dial failed */
const char *dlp_dial_error(const DLP_DIAL *d) {
  return d->done && d->fd < 0 ? d->err : "";
}

/* dlp_dial_errkind - why the dial failed */
int dlp_dial_errkind(const DLP_DIAL *d) {
  if (!d->done || d->fd >= 0)
    return DLP_DIAL_ERR_NONE;
  if (d->dns)
    return DLP_DIAL_ERR_DNS;
  if (d->local)
    return DLP_DIAL_ERR_LOCAL;
  if (d->cut)
    return DLP_DIAL_ERR_DEADLINE;
  return DLP_DIAL_ERR_NET;
}

/* dlp_dial_free - close a socket not taken, free */
void dlp_dial_free(DLP_DIAL *d) {
  if (d == NULL)
    return;
  if (d->fd >= 0)
    close(d->fd);
  if (d->res != NULL)
    freeaddrinfo(d->res);
  free(d->host);
  free(d);
}
