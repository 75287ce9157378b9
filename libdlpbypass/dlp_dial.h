/*
 * dlp_dial.h - a TCP connect to one DLP host that can be waited for in
 * pieces: started, polled together with other dials, finished later.
 *
 * The name is resolved when the dial starts; each address is tried in
 * turn, each bounded by the per-address connect time and all by the
 * overall deadline given at the start.  The staggered connect of
 * dlp_txn.c races dials to several hosts; the pool (dlp_pool.c) finishes
 * the ones a message no longer needs.
 *
 * Ownership: a DLP_DIAL owns its socket until dlp_dial_take() hands it
 * over inside a DLP_IO.
 */
#ifndef DLP_DIAL_H
#define DLP_DIAL_H

#include "dlp_io.h"

typedef struct dlp_dial DLP_DIAL;

/* Why a dial failed: only DLP_DIAL_ERR_NET is the host's failure. */
typedef enum {
  DLP_DIAL_ERR_NONE = 0, /* not failed */
  DLP_DIAL_ERR_NET,      /* every address failed at the network */
  DLP_DIAL_ERR_LOCAL,    /* descriptors, ports, memory: ours */
  DLP_DIAL_ERR_DEADLINE, /* the caller's deadline cut it short */
  DLP_DIAL_ERR_DNS       /* no address for the name */
} dlp_dial_errkind_t;

/*
 * dlp_dial_start - resolve HOST and start a non-blocking connect to
 * HOST:PORT, CONNECT_MS per address, all before DEADLINE_MS.  NULL only
 * when out of memory; a name that does not resolve gives a dial that has
 * already failed.
 */
DLP_DIAL *dlp_dial_start(const char *host, unsigned port, int connect_ms,
                         int64_t deadline_ms);

/*
 * dlp_dial_wait - go on until UNTIL_MS at most (a time already past
 * checks once without waiting).  DLP_IO_OK: connected; DLP_IO_TIMEOUT:
 * still connecting at UNTIL_MS (not a failure); DLP_IO_ERROR: every
 * address failed or the time ran out (reason in dlp_dial_error()).
 */
dlp_io_status dlp_dial_wait(DLP_DIAL *d, int64_t until_ms);

/* dlp_dial_fd - the socket being connected (for poll POLLOUT), or -1 */
int dlp_dial_fd(const DLP_DIAL *d);

/* dlp_dial_wake - when the current address's connect times out (ms) */
int64_t dlp_dial_wake(const DLP_DIAL *d);

/* dlp_dial_take - the connected socket as a DLP_IO (NULL if not connected) */
DLP_IO *dlp_dial_take(DLP_DIAL *d);

/* dlp_dial_label - "host[addr]:port" of the address used or tried last */
const char *dlp_dial_label(const DLP_DIAL *d);

/* dlp_dial_error - why the dial failed ("" while it has not) */
const char *dlp_dial_error(const DLP_DIAL *d);

/* dlp_dial_errkind - DLP_DIAL_ERR_* of a failed dial (NONE otherwise) */
int dlp_dial_errkind(const DLP_DIAL *d);

/* dlp_dial_free - close a socket not taken, free */
void dlp_dial_free(DLP_DIAL *d);

#endif /* DLP_DIAL_H */
