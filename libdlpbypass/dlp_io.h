/*
 * dlp_io.h - a buffered, deadline-bound connection to one DLP host.
 *
 * Plain TCP at first; after dlp_io_set_ssl() every read and write goes
 * through TLS.  All waits use poll() against an absolute deadline on
 * CLOCK_MONOTONIC (dlp_now_ms() milliseconds).  The DLP_IO owns its
 * socket and, once set, its SSL object.
 */
#ifndef DLP_IO_H
#define DLP_IO_H

#include "dlp_private.h"

#include <openssl/ssl.h>
#include <poll.h>

#define DLP_IO_WAIT_CLAMP_MS 60000 /* one poll() waits this long at most */

typedef struct dlp_io DLP_IO;

/* Status of an I/O call. */
typedef enum {
  DLP_IO_OK = 0,
  DLP_IO_TIMEOUT = -1, /* the deadline passed */
  DLP_IO_EOF = -2,     /* the peer closed the connection */
  DLP_IO_ERROR = -3,   /* any other error (reset, TLS error, ...) */
  DLP_IO_TOOLONG = -4  /* a line longer than the caller's buffer */
} dlp_io_status;

/*
 * dlp_io_wait_many - the one wait primitive (after Postfix's poll_fd.c):
 * poll the N entries of PFD (events set by the caller, revents cleared
 * here) until one has an event or DEADLINE_MS (dlp_now_ms() time) has
 * passed; a deadline already past looks once without waiting (a
 * readiness check).  EINTR is retried, each poll() waits at most
 * DLP_IO_WAIT_CLAMP_MS.  How many have an event (revents set), 0 on
 * timeout, -1 with errno on error.  N may be 0: a sleep until DEADLINE_MS.
 */
int dlp_io_wait_many(struct pollfd *pfd, size_t n, int64_t deadline_ms);

/*
 * dlp_io_wait - dlp_io_wait_many() for the one socket FD and EVENTS
 * (POLLIN, POLLOUT): 1 ready (or an error the next call on FD reports),
 * 0 timeout, -1 error
 */
int dlp_io_wait(int fd, short events, int64_t deadline_ms);

/*
 * dlp_io_adopt - a connection on the connected, non-blocking socket FD,
 * which it owns from now on (dlp_dial.c makes it); NULL when out of memory
 */
DLP_IO *dlp_io_adopt(int fd);

/* dlp_io_write - write all LEN bytes before DEADLINE_MS */
dlp_io_status dlp_io_write(DLP_IO *io, const void *buf, size_t len,
                           int64_t deadline_ms);

/*
 * dlp_io_read_line - read one line (LF-terminated; CR LF or LF removed)
 * into BUF of CAP bytes, NUL-terminated, length in *LEN.  A line that does
 * not fit is DLP_IO_TOOLONG (the connection is then unusable).
 */
dlp_io_status dlp_io_read_line(DLP_IO *io, char *buf, size_t cap, size_t *len,
                               int64_t deadline_ms);

/* dlp_io_pending - bytes received but not yet consumed */
size_t dlp_io_pending(const DLP_IO *io);

/* dlp_io_fd - the socket */
int dlp_io_fd(const DLP_IO *io);

/* dlp_io_set_ssl - route all further I/O through SSL; IO takes ownership */
void dlp_io_set_ssl(DLP_IO *io, SSL *ssl);

/* dlp_io_close - shut TLS down (best effort), close, free */
void dlp_io_close(DLP_IO *io);

#endif /* DLP_IO_H */
