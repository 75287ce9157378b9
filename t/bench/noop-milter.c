/*
 * noop-milter.c - the floors of "make bench": a libmilter milter that does
 * nothing, negotiated exactly as dlpbypass-milter is (no HELO, DATA or
 * unknown-command steps; no replies to header fields and end of header;
 * a reply to every body chunk; header values with their leading space)
 * and with a per-connection context allocated and freed the same way, so
 * that the difference to dlpbypass-milter is our own work.
 *
 * Usage: noop-milter [-H] [-x HOST:PORT] SOCKET
 *   -H  add one header field at end of message (X-DLP-Bypass: noop), as a
 *       bypass does (figure NH); without it, ACCEPT unchanged (figure N).
 *   -x  also hand every message to the SMTP server at HOST:PORT (the DLP
 *       stand-in) with the fewest syscalls and round trips any hand-off
 *       could use (figure NX, the hand-off's floor), then ACCEPT:
 *       - a global pool of connected sockets (blocking I/O, TCP_NODELAY,
 *         10 s send/receive timeouts set once), EHLO once per connection;
 *         a socket goes back to the pool after the server's 250 to the
 *         end of data, so the session is in its initial state (RFC 5321
 *         4.1.1.4) and no RSET is owed;
 *       - the message buffered in the context during the header and body
 *         callbacks ("Name:value\r\n", the blank line, the body; dot-
 *         stuffed while buffered; a lone LF in a folded header value sent
 *         as CRLF), the envelope too ("MAIL FROM:<s>\r\n", one
 *         "RCPT TO:<r>\r\n" per recipient);
 *       - at end of message one write of MAIL, the RCPTs and DATA
 *         (PIPELINING; the server is assumed to announce it, as smtp-sink
 *         does), reads until all their replies are in (2xx, 2xx each,
 *         354), one write of the content and ".\r\n", reads until the
 *         final reply (2xx): 2 writes and normally 2 reads per message.
 *       Any failure or other reply: the socket is closed, TEMPFAIL (a bench
 *       tool: no failover, no retry).  At exit (SIGTERM) it prints
 *       "noop-milter: handed off N, failed M" to stderr: N messages the
 *       server accepted (its 250 to the end of data), M TEMPFAILs, and
 *       "noop-milter: hand-off time p50 X ms, p99 Y ms" (each hand-off
 *       from end of message to the server's last reply: the floor of
 *       dlpbypass-milter's dlp_time=).
 * Runs in the foreground until SIGTERM/SIGINT (libmilter's handling).
 * Like dlpbypass-milter, it sets TCP_NODELAY on a TCP listening socket
 * (found among its descriptors after smfi_opensocket), so that the floor
 * has the same socket behaviour as the milter it is compared with.
 */
#include <libmilter/mfapi.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int noop_addhdr; /* -H */

/* -x: the DLP stand-in and the pool of connected sockets */
#define NOOP_POOL_MAX 64 /* idle sockets kept */
#define NOOP_RCPT_MAX 64 /* recipients per message */
static int noop_dlp;     /* -x given */
static struct sockaddr_storage noop_addr;
static socklen_t noop_addrlen;
static pthread_mutex_t noop_lock = PTHREAD_MUTEX_INITIALIZER;
static int noop_pool[NOOP_POOL_MAX]; /* idle sockets, under noop_lock */
static int noop_npool;
static unsigned long noop_ok, noop_failed;     /* under noop_lock */
#define NOOP_HIST 10000                        /* 0.1 ms buckets, 1 s */
static unsigned long noop_hist[NOOP_HIST + 1]; /* hand-off times, ditto */

/* a growing buffer, reused across the messages of a context */
struct noop_buf {
  char *p;
  size_t len, cap;
};

/* the per-connection context (smfi_setpriv) */
struct noop_ctx {
  struct noop_buf env;  /* MAIL, RCPT..., then DATA */
  struct noop_buf data; /* the dot-stuffed content, then ".\r\n" */
  int bol;              /* the content is at the start of a line */
  int bad;              /* out of memory: TEMPFAIL at end of message */
};

/* noop_reserve - room for LEN more bytes in B; -1 when out of memory */
static int noop_reserve(struct noop_buf *b, size_t len) {
  size_t cap = b->cap ? b->cap : 16384;
  char *p;

  if (b->len + len <= b->cap)
    return 0;
  while (cap < b->len + len)
    cap *= 2;
  if ((p = realloc(b->p, cap)) == NULL)
    return -1;
  b->p = p;
  b->cap = cap;
  return 0;
}

/* noop_put - append LEN bytes to B; -1 when out of memory */
static int noop_put(struct noop_buf *b, const char *s, size_t len) {
  if (noop_reserve(b, len) < 0)
    return -1;
  memcpy(b->p + b->len, s, len);
  b->len += len;
  return 0;
}

/* noop_stuff - append content to C's data, a '.' doubled at line start */
static void noop_stuff(struct noop_ctx *c, const char *s, size_t len) {
  const char *nl;
  size_t n;

  if (c->bad || noop_reserve(&c->data, len + len / 64 + 2) < 0) {
    c->bad = 1;
    return;
  }
  while (len > 0) {
    if (c->bol && *s == '.' && noop_put(&c->data, ".", 1) < 0) {
      c->bad = 1;
      return;
    }
    nl = memchr(s, '\n', len);
    n = nl ? (size_t)(nl - s) + 1 : len;
    if (noop_put(&c->data, s, n) < 0) {
      c->bad = 1;
      return;
    }
    c->bol = nl != NULL;
    s += n;
    len -= n;
  }
}

/* noop_ctx_of - the context of CTX */
static struct noop_ctx *noop_ctx_of(SMFICTX *ctx) {
  return smfi_getpriv(ctx);
}

/* noop_negotiate - the protocol steps of dlpbypass-milter */
static sfsistat noop_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
                               unsigned long f2, unsigned long f3,
                               unsigned long *pf0, unsigned long *pf1,
                               unsigned long *pf2, unsigned long *pf3) {
  (void)f2;
  (void)f3;
  if (smfi_getpriv(ctx) == NULL) {
    void *conn = calloc(1, sizeof(struct noop_ctx));

    if (conn == NULL || smfi_setpriv(ctx, conn) != MI_SUCCESS) {
      free(conn);
      return SMFIS_TEMPFAIL;
    }
  }
  *pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS);
  *pf1 = f1 & (SMFIP_HDR_LEADSPC | SMFIP_NOHELO | SMFIP_NR_HDR | SMFIP_NR_EOH |
               SMFIP_NODATA | SMFIP_NOUNKNOWN);
  *pf2 = 0;
  *pf3 = 0;
  return SMFIS_CONTINUE;
}

/* noop_connect - nothing to do */
static sfsistat noop_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr) {
  (void)ctx;
  (void)host;
  (void)addr;
  return SMFIS_CONTINUE;
}

/* noop_envfrom - nothing to do; with -x a new message: MAIL FROM */
static sfsistat noop_envfrom(SMFICTX *ctx, char **argv) {
  struct noop_ctx *c;

  if (!noop_dlp || (c = noop_ctx_of(ctx)) == NULL)
    return SMFIS_CONTINUE;
  c->env.len = c->data.len = 0;
  c->bol = 1;
  c->bad = noop_put(&c->env, "MAIL FROM:", 10) < 0 ||
           noop_put(&c->env, argv[0], strlen(argv[0])) < 0 ||
           noop_put(&c->env, "\r\n", 2) < 0;
  return SMFIS_CONTINUE;
}

/* noop_envrcpt - nothing to do; with -x one RCPT TO */
static sfsistat noop_envrcpt(SMFICTX *ctx, char **argv) {
  struct noop_ctx *c;

  if (!noop_dlp || (c = noop_ctx_of(ctx)) == NULL)
    return SMFIS_CONTINUE;
  if (noop_put(&c->env, "RCPT TO:", 8) < 0 ||
      noop_put(&c->env, argv[0], strlen(argv[0])) < 0 ||
      noop_put(&c->env, "\r\n", 2) < 0)
    c->bad = 1;
  return SMFIS_CONTINUE;
}

/* noop_header - no reply was negotiated; with -x "Name:value\r\n" */
static sfsistat noop_header(SMFICTX *ctx, char *name, char *value) {
  struct noop_ctx *c;
  char *nl;
  size_t n;

  if (!noop_dlp || (c = noop_ctx_of(ctx)) == NULL)
    return SMFIS_NOREPLY;
  noop_stuff(c, name, strlen(name));
  noop_stuff(c, ":", 1);
  while ((nl = strchr(value, '\n')) != NULL) {
    n = (size_t)(nl - value);
    noop_stuff(c, value, n > 0 && value[n - 1] == '\r' ? n - 1 : n);
    noop_stuff(c, "\r\n", 2);
    value = nl + 1;
  }
  noop_stuff(c, value, strlen(value));
  noop_stuff(c, "\r\n", 2);
  return SMFIS_NOREPLY;
}

/* noop_eoh - no reply was negotiated; with -x the blank line */
static sfsistat noop_eoh(SMFICTX *ctx) {
  struct noop_ctx *c;

  if (noop_dlp && (c = noop_ctx_of(ctx)) != NULL)
    noop_stuff(c, "\r\n", 2);
  return SMFIS_NOREPLY;
}

/* noop_body - one chunk, answered; with -x buffered */
static sfsistat noop_body(SMFICTX *ctx, unsigned char *chunk, size_t len) {
  struct noop_ctx *c;

  if (noop_dlp && (c = noop_ctx_of(ctx)) != NULL)
    noop_stuff(c, (const char *)chunk, len);
  return SMFIS_CONTINUE;
}

/* noop_send - write all of B to FD; -1 on error */
static int noop_send(int fd, const struct noop_buf *b) {
  size_t off = 0;
  ssize_t n;

  while (off < b->len) {
    n = send(fd, b->p + off, b->len - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    off += (size_t)n;
  }
  return 0;
}

/*
 * noop_replies - read the next COUNT replies from FD; each final line's
 * first digit must match the one in WANT (one per reply); -1 otherwise
 */
static int noop_replies(int fd, int count, const char *want) {
  char buf[4096];
  size_t len = 0, i, start;
  ssize_t n;

  while (count > 0) {
    n = recv(fd, buf + len, sizeof(buf) - len, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    len += (size_t)n;
    for (start = i = 0; i < len; i++) {
      if (buf[i] != '\n')
        continue;
      if (i - start >= 3 && (i - start == 3 || buf[start + 3] != '-')) {
        if (count == 0 || buf[start] != *want++)
          return -1; /* more replies than asked for, or a refusal */
        count--;
      }
      start = i + 1;
    }
    if (start == 0 && len == sizeof(buf))
      return -1; /* a line longer than the buffer */
    memmove(buf, buf + start, len - start);
    len -= start;
  }
  return len == 0 ? 0 : -1;
}

/* noop_dial - a new connection to the server, greeted and EHLO'd; -1 */
static int noop_dial(void) {
  static const struct noop_buf ehlo = {(char *)"EHLO noop.test\r\n", 16, 16};
  struct timeval tv = {10, 0};
  int fd, on = 1;

  if ((fd = socket(noop_addr.ss_family, SOCK_STREAM, 0)) < 0)
    return -1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (connect(fd, (struct sockaddr *)&noop_addr, noop_addrlen) < 0 ||
      noop_replies(fd, 1, "2") < 0 || noop_send(fd, &ehlo) < 0 ||
      noop_replies(fd, 1, "2") < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* noop_handoff - C's message to the server: MAIL..DATA, content, dot */
static int noop_handoff(struct noop_ctx *c) {
  char want[NOOP_RCPT_MAX + 2];
  size_t nrcpt = 0, i;
  int fd = -1;

  if (c->bad || (!c->bol && noop_put(&c->data, "\r\n", 2) < 0) ||
      noop_put(&c->data, ".\r\n", 3) < 0 ||
      noop_put(&c->env, "DATA\r\n", 6) < 0)
    return -1;
  for (i = 0; i < c->env.len; i++)
    nrcpt += c->env.p[i] == '\n';
  nrcpt -= 2; /* MAIL and DATA */
  if (nrcpt < 1 || nrcpt > NOOP_RCPT_MAX)
    return -1; /* no recipient, or more than a bench tool takes */
  memset(want, '2', nrcpt + 1);
  want[nrcpt + 1] = '3';
  pthread_mutex_lock(&noop_lock);
  if (noop_npool > 0)
    fd = noop_pool[--noop_npool];
  pthread_mutex_unlock(&noop_lock);
  if (fd < 0 && (fd = noop_dial()) < 0)
    return -1;
  if (noop_send(fd, &c->env) < 0 || noop_replies(fd, nrcpt + 2, want) < 0 ||
      noop_send(fd, &c->data) < 0 || noop_replies(fd, 1, "2") < 0) {
    close(fd);
    return -1;
  }
  pthread_mutex_lock(&noop_lock);
  if (noop_npool < NOOP_POOL_MAX) {
    noop_pool[noop_npool++] = fd;
    fd = -1;
  }
  pthread_mutex_unlock(&noop_lock);
  if (fd >= 0)
    close(fd);
  return 0;
}

/*
 * noop_percentiles - "noop-milter: hand-off time p50 X ms, p99 Y ms" to
 * stderr: the time of each hand-off at end of message (the floor of
 * dlpbypass-milter's dlp_time=), from 0.1 ms buckets
 */
static void noop_percentiles(void) {
  unsigned long n = noop_ok + noop_failed, seen = 0;
  double p[2] = {0, 0}, want[2] = {0.50, 0.99};
  int i, k = 0;

  for (i = 0; i <= NOOP_HIST && k < 2 && n > 0; i++) {
    seen += noop_hist[i];
    while (k < 2 && (double)seen >= want[k] * (double)n)
      p[k++] = i / 10.0;
  }
  fprintf(stderr, "noop-milter: hand-off time p50 %.1f ms, p99 %.1f ms\n", p[0],
          p[1]);
}

/* noop_eom - ACCEPT (-H: after one added field; -x: after the hand-off) */
static sfsistat noop_eom(SMFICTX *ctx) {
  struct noop_ctx *c;
  int r;

  if (noop_dlp && (c = noop_ctx_of(ctx)) != NULL) {
    struct timespec t0, t1;
    long tenths;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    r = noop_handoff(c);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    tenths =
        (t1.tv_sec - t0.tv_sec) * 10000 + (t1.tv_nsec - t0.tv_nsec) / 100000;
    pthread_mutex_lock(&noop_lock);
    if (r < 0)
      noop_failed++;
    else
      noop_ok++;
    noop_hist[tenths < 0 ? 0 : tenths > NOOP_HIST ? NOOP_HIST : tenths]++;
    pthread_mutex_unlock(&noop_lock);
    if (r < 0)
      return SMFIS_TEMPFAIL;
  }
  if (noop_addhdr && smfi_addheader(ctx, (char *)"X-DLP-Bypass",
                                    (char *)" noop") != MI_SUCCESS)
    return SMFIS_TEMPFAIL;
  return SMFIS_ACCEPT;
}

/* noop_close - free the connection context */
static sfsistat noop_close(SMFICTX *ctx) {
  struct noop_ctx *c = noop_ctx_of(ctx);

  if (c != NULL) {
    free(c->env.p);
    free(c->data.p);
    free(c);
  }
  smfi_setpriv(ctx, NULL);
  return SMFIS_CONTINUE;
}

/* noop_nodelay - TCP_NODELAY on the listening TCP socket(s) */
static void noop_nodelay(void) {
  int fd, on = 1, listening;
  socklen_t len;
  struct sockaddr_storage ss;

  for (fd = 3; fd < 64; fd++) {
    len = sizeof(listening);
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 ||
        !listening)
      continue;
    len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
        (ss.ss_family == AF_INET || ss.ss_family == AF_INET6))
      (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  }
}

/* noop_server - -x HOST:PORT into noop_addr; -1 with a message */
static int noop_server(const char *arg) {
  struct addrinfo hints, *ai;
  char host[256];
  const char *colon = strrchr(arg, ':');
  size_t n;
  int e;

  if (colon == NULL || (n = (size_t)(colon - arg)) == 0 || n >= sizeof(host)) {
    fprintf(stderr, "noop-milter: -x %s: not HOST:PORT\n", arg);
    return -1;
  }
  memcpy(host, arg, n);
  host[n] = '\0';
  memset(&hints, 0, sizeof(hints));
  hints.ai_socktype = SOCK_STREAM;
  if ((e = getaddrinfo(host, colon + 1, &hints, &ai)) != 0) {
    fprintf(stderr, "noop-milter: -x %s: %s\n", arg, gai_strerror(e));
    return -1;
  }
  memcpy(&noop_addr, ai->ai_addr, ai->ai_addrlen);
  noop_addrlen = ai->ai_addrlen;
  freeaddrinfo(ai);
  noop_dlp = 1;
  return 0;
}

#define NOOP_USAGE "usage: noop-milter [-H] [-x HOST:PORT] SOCKET\n"

int main(int argc, char **argv) {
  struct smfiDesc desc;
  int c, r;

  while ((c = getopt(argc, argv, "Hx:")) != -1) {
    if (c == 'H')
      noop_addhdr = 1;
    else if (c != 'x' || noop_server(optarg) < 0)
      break;
  }
  if (c != -1 || optind + 1 != argc) {
    fprintf(stderr, NOOP_USAGE);
    return 2;
  }
  memset(&desc, 0, sizeof(desc));
  desc.xxfi_name = (char *)"noop-milter";
  desc.xxfi_version = SMFI_VERSION;
  desc.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS;
  desc.xxfi_connect = noop_connect;
  desc.xxfi_envfrom = noop_envfrom;
  desc.xxfi_envrcpt = noop_envrcpt;
  desc.xxfi_header = noop_header;
  desc.xxfi_eoh = noop_eoh;
  desc.xxfi_body = noop_body;
  desc.xxfi_eom = noop_eom;
  desc.xxfi_close = noop_close;
  desc.xxfi_negotiate = noop_negotiate;
  if (smfi_setconn(argv[optind]) != MI_SUCCESS ||
      smfi_register(desc) != MI_SUCCESS || smfi_opensocket(1) != MI_SUCCESS) {
    fprintf(stderr, "noop-milter: cannot listen on %s\n", argv[optind]);
    return 1;
  }
  noop_nodelay();
  r = smfi_main() == MI_SUCCESS ? 0 : 1;
  if (noop_dlp) {
    fprintf(stderr, "noop-milter: handed off %lu, failed %lu\n", noop_ok,
            noop_failed);
    noop_percentiles();
  }
  return r;
}
