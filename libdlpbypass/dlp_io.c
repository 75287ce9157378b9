/*
 * dlp_io.c - buffered, deadline-bound TCP (and TLS) connection to a DLP host.
 *
 * Contract (see dlp_io.h):
 *   dlp_now_ms()        monotonic milliseconds (CLOCK_MONOTONIC).
 *   dlp_io_adopt()      wrap a socket dlp_dial.c connected.
 *   dlp_io_write()      write everything or fail (DLP_IO_TIMEOUT/ERROR).
 *   dlp_io_read_line()  one LF-terminated line, CR LF or LF stripped, from
 *                       a private buffer; lines that do not fit the
 *                       caller's buffer are DLP_IO_TOOLONG.
 *   dlp_io_pending()    bytes read from the socket but not yet consumed
 *                       (CVE-2011-0411 check before a TLS handshake).
 *   dlp_io_set_ssl()    route I/O through SSL_read/SSL_write; the socket
 *                       stays non-blocking and WANT_READ/WANT_WRITE waits
 *                       in poll().
 *   dlp_io_close()      SSL_shutdown (best effort, no wait), close, free.
 *   dlp_io_wait(), dlp_io_wait_many()  the library's only wait for a
 *                       socket (or several): until an event or the
 *                       deadline, each poll() at most 60 s, EINTR retried;
 *                       a deadline already past looks once.
 *
 * Plain writes use send(MSG_NOSIGNAL), so a peer that hangs up never
 * raises SIGPIPE whatever the application's signal setup.  SSL_write
 * cannot pass that flag: around it SIGPIPE is blocked in the calling
 * thread and a SIGPIPE it raised is consumed with sigtimedwait() before
 * the old mask comes back (the libcurl/git technique).
 */
#include "config.h"

#include "dlp_io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>

#define DLP_IO_BUFSIZE 8192

struct dlp_io {
  int fd;
  SSL *ssl;
  char buf[DLP_IO_BUFSIZE]; /* received, not consumed: buf[start..end) */
  size_t start;
  size_t end;
};

/* dlp_now_ms - monotonic clock in milliseconds */
int64_t dlp_now_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * dlp_io_wait_many - the one wait of the library (after Postfix's
 * poll_fd.c): poll PFD[0..N) until one has an event or DEADLINE_MS has
 * passed, each poll clamped to DLP_IO_WAIT_CLAMP_MS, EINTR retried
 */
int dlp_io_wait_many(struct pollfd *pfd, size_t n, int64_t deadline_ms) {
  int64_t left;
  int r, first;
  size_t i;

  for (first = 1;; first = 0) {
    left = deadline_ms - dlp_now_ms();
    if (left <= 0 && !first)
      return 0;
    if (left < 0)
      left = 0; /* a time already past: one look without waiting */
    for (i = 0; i < n; i++)
      pfd[i].revents = 0;
    r = poll(pfd, (nfds_t)n,
             left > DLP_IO_WAIT_CLAMP_MS ? DLP_IO_WAIT_CLAMP_MS : (int)left);
    if (r > 0)
      return r; /* ready, or an error the next call reports */
    if (r < 0 && errno != EINTR)
      return -1;
    if (left == 0)
      return 0;
  }
}

/* dlp_io_wait - dlp_io_wait_many() for one socket FD and EVENTS */
int dlp_io_wait(int fd, short events, int64_t deadline_ms) {
  struct pollfd pfd;
  int r;

  pfd.fd = fd;
  pfd.events = events;
  r = dlp_io_wait_many(&pfd, 1, deadline_ms);
  return r > 0 ? 1 : r;
}

/* dlp_io_adopt - a connection on connected socket FD (owned from now) */
DLP_IO *dlp_io_adopt(int fd) {
  DLP_IO *io = calloc(1, sizeof(*io));

  if (io == NULL)
    return NULL;
  io->fd = fd;
  return io;
}

/* io_block_sigpipe - block SIGPIPE in this thread; OLD gets the old mask */
static void io_block_sigpipe(sigset_t *mask, sigset_t *old) {
  sigemptyset(mask);
  sigaddset(mask, SIGPIPE);
  (void)pthread_sigmask(SIG_BLOCK, mask, old);
}

/* io_unblock_sigpipe - drop a SIGPIPE we raised, restore the old mask */
static void io_unblock_sigpipe(const sigset_t *mask, const sigset_t *old) {
  struct timespec zero = {0, 0};
  sigset_t pending;

  /* a SIGPIPE pending before we blocked it belongs to the application;
     if it was already blocked, leave whatever is pending alone */
  if (!sigismember(old, SIGPIPE) && sigpending(&pending) == 0 &&
      sigismember(&pending, SIGPIPE))
    (void)sigtimedwait(mask, NULL, &zero);
  (void)pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* ssl_wait - wait as SSL error E asks; DLP_IO_OK to retry, else status */
static dlp_io_status ssl_wait(DLP_IO *io, int e, int64_t deadline_ms) {
  int r;

  if (e == SSL_ERROR_WANT_READ)
    r = dlp_io_wait(io->fd, POLLIN, deadline_ms);
  else if (e == SSL_ERROR_WANT_WRITE)
    r = dlp_io_wait(io->fd, POLLOUT, deadline_ms);
  else if (e == SSL_ERROR_ZERO_RETURN)
    return DLP_IO_EOF;
  else
    return DLP_IO_ERROR;
  if (r == 0)
    return DLP_IO_TIMEOUT;
  return r < 0 ? DLP_IO_ERROR : DLP_IO_OK;
}

/* dlp_io_write - write all LEN bytes before DEADLINE_MS */
dlp_io_status dlp_io_write(DLP_IO *io, const void *buf, size_t len,
                           int64_t deadline_ms) {
  const char *p = buf;
  dlp_io_status st;
  ssize_t n;
  int r;

  while (len > 0) {
    if (io->ssl != NULL) {
      sigset_t mask, old;

      io_block_sigpipe(&mask, &old);
      ERR_clear_error();
      r = SSL_write(io->ssl, p, len > 16384 ? 16384 : (int)len);
      io_unblock_sigpipe(&mask, &old);
      if (r > 0) {
        p += r, len -= (size_t)r;
        continue;
      }
      if ((st = ssl_wait(io, SSL_get_error(io->ssl, r), deadline_ms)) != 0)
        return st == DLP_IO_EOF ? DLP_IO_ERROR : st;
      continue;
    }
    n = send(io->fd, p, len, MSG_NOSIGNAL);
    if (n > 0) {
      p += n, len -= (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      r = dlp_io_wait(io->fd, POLLOUT, deadline_ms);
      if (r == 0)
        return DLP_IO_TIMEOUT;
      if (r < 0)
        return DLP_IO_ERROR;
      continue;
    }
    return DLP_IO_ERROR;
  }
  return DLP_IO_OK;
}

/* io_fill - read more bytes into the buffer before DEADLINE_MS */
static dlp_io_status io_fill(DLP_IO *io, int64_t deadline_ms) {
  size_t room;
  ssize_t n;
  int r;

  if (io->start > 0) {
    memmove(io->buf, io->buf + io->start, io->end - io->start);
    io->end -= io->start;
    io->start = 0;
  }
  room = sizeof(io->buf) - io->end;
  for (;;) {
    if (io->ssl != NULL) {
      dlp_io_status st;

      /* ACK at once: after a full TLS 1.3 handshake the server sends its
         session ticket unasked, and a server with Nagle on (Postfix)
         holds its next reply until that is ACKed - 40 ms of delayed ACK
         per new connection without this */
      r = 1;
      (void)setsockopt(io->fd, IPPROTO_TCP, TCP_QUICKACK, &r, sizeof(r));
      ERR_clear_error();
      r = SSL_read(io->ssl, io->buf + io->end, (int)room);
      if (r > 0) {
        io->end += (size_t)r;
        return DLP_IO_OK;
      }
      if ((st = ssl_wait(io, SSL_get_error(io->ssl, r), deadline_ms)) != 0)
        return st;
      continue;
    }
    n = recv(io->fd, io->buf + io->end, room, 0);
    if (n > 0) {
      io->end += (size_t)n;
      return DLP_IO_OK;
    }
    if (n == 0)
      return DLP_IO_EOF;
    if (errno == EINTR)
      continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      return DLP_IO_ERROR;
    r = dlp_io_wait(io->fd, POLLIN, deadline_ms);
    if (r == 0)
      return DLP_IO_TIMEOUT;
    if (r < 0)
      return DLP_IO_ERROR;
  }
}

/* dlp_io_read_line - one line into BUF (CAP bytes), terminators removed */
dlp_io_status dlp_io_read_line(DLP_IO *io, char *buf, size_t cap, size_t *len,
                               int64_t deadline_ms) {
  size_t scanned = 0, n;
  dlp_io_status st;
  char *p, *lf;

  *len = 0;
  if (cap > 0)
    buf[0] = 0;
  for (;;) {
    p = io->buf + io->start;
    lf = memchr(p + scanned, '\n', io->end - io->start - scanned);
    if (lf != NULL) {
      n = (size_t)(lf - p);
      io->start += n + 1;
      if (n > 0 && p[n - 1] == '\r')
        n--;
      if (n + 1 > cap)
        return DLP_IO_TOOLONG;
      memcpy(buf, p, n);
      buf[n] = 0;
      *len = n;
      return DLP_IO_OK;
    }
    scanned = io->end - io->start;
    /* no LF yet: a line that can no longer fit is too long */
    if (scanned > cap || scanned >= sizeof(io->buf))
      return DLP_IO_TOOLONG;
    if ((st = io_fill(io, deadline_ms)) != DLP_IO_OK)
      return st;
  }
}

/* dlp_io_pending - bytes received but not yet consumed */
size_t dlp_io_pending(const DLP_IO *io) {
  size_t n = io->end - io->start;

  if (io->ssl != NULL)
    n += (size_t)SSL_pending(io->ssl);
  return n;
}

/* dlp_io_fd - the socket */
int dlp_io_fd(const DLP_IO *io) {
  return io->fd;
}

/* dlp_io_set_ssl - route all further I/O through SSL; IO takes ownership */
void dlp_io_set_ssl(DLP_IO *io, SSL *ssl) {
  io->ssl = ssl;
}

/* dlp_io_close - shut TLS down (best effort), close, free */
void dlp_io_close(DLP_IO *io) {
  sigset_t mask, old;

  if (io == NULL)
    return;
  if (io->ssl != NULL) {
    io_block_sigpipe(&mask, &old);
    ERR_clear_error();
    (void)SSL_shutdown(io->ssl); /* non-blocking: one attempt, no wait */
    io_unblock_sigpipe(&mask, &old);
    SSL_free(io->ssl);
  }
  close(io->fd);
  free(io);
}
