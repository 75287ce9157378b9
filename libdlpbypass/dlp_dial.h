/*
 * dlp_dial.h - a TCP connect to one DLP host that can be waited for in
 * pieces: started, polled together with other dials, finished later.
 *
 * No DNS here: the dial is given the host's addresses (dlp_resolve.h)
 * and races them (RFC 8305 "happy eyeballs" for one name): it connects
 * to the first; when that has not connected STAGGER_MS later (or fails
 * before), it starts the next as well, and so on; the first to connect
 * wins, the others are closed.  Each address has its own connect time
 * (CONNECT_MS from its start), all of them the caller's overall
 * deadline.  STAGGER_MS 0 tries the addresses one after the other.
 * Addresses alternate between the families, the first address's first.
 *
 * Why a dial failed (dlp_dial_errkind) decides the outcome class of
 * DESIGN.md section 3: only DLP_DIAL_ERR_NET (every address of the
 * host failed at the network) is UNREACHABLE; the other kinds say
 * nothing about the DLP and are INTERNAL.
 *
 * Ownership: dlp_dial_start() copies the addresses it is given (the
 * caller keeps and frees its DLP_ADDRS).  A DLP_DIAL owns its sockets
 * until dlp_dial_take() hands the connected one over inside a DLP_IO;
 * dlp_dial_free() closes the rest.  Strings returned are borrowed from
 * the dial.  A dial is used by one thread at a time.
 */
#ifndef DLP_DIAL_H
#define DLP_DIAL_H

#include "dlp_io.h"
#include "dlp_resolve.h"

#include <poll.h>

typedef struct dlp_dial DLP_DIAL;

/* the most sockets a dial has open at once (for dlp_dial_pollfds) */
#define DLP_DIAL_MAXFDS DLP_ADDRS_MAX

/* why a dial failed */
typedef enum {
  DLP_DIAL_ERR_NONE = 0, /* it has not failed (connecting or connected) */
  DLP_DIAL_ERR_NET,      /* every address failed at the network: refused,
                            no route, its own connect time ran out, any
                            other error from the network: UNREACHABLE */
  DLP_DIAL_ERR_LOCAL,    /* not every address failed at the network and
                            the deadline did not cut any short: socket()
                            EMFILE/ENFILE/ENOBUFS/ENOMEM, connect()
                            EADDRNOTAVAIL (no ephemeral port), EPERM/EACCES
                            (local firewall), out of memory: INTERNAL */
  DLP_DIAL_ERR_DEADLINE, /* not every address failed at the network and
                            the overall deadline cut a connect short or
                            kept one from starting (also: it had passed
                            before the dial started): INTERNAL */
  DLP_DIAL_ERR_DNS       /* no address to dial (NULL or empty list): the
                            name did not resolve: INTERNAL */
} dlp_dial_errkind_t;

/*
 * dlp_dial_start - start connecting to ADDRS (port PORT), HOST only for
 * labels and messages, CONNECT_MS per address, the next address started
 * STAGGER_MS after the last (0: only when the last failed), all before
 * DEADLINE_MS (dlp_now_ms() time).  NULL only when out of memory; an
 * empty ADDRS or a deadline already past gives a dial that has already
 * failed (DLP_DIAL_ERR_DNS, DLP_DIAL_ERR_DEADLINE).
 */
DLP_DIAL *dlp_dial_start(const DLP_ADDRS *addrs, const char *host,
                         unsigned port, int connect_ms, int stagger_ms,
                         int64_t deadline_ms);

/*
 * dlp_dial_wait - go on until UNTIL_MS at most (a time already past
 * checks once without waiting).  DLP_IO_OK: connected; DLP_IO_TIMEOUT:
 * still connecting at UNTIL_MS (not a failure); DLP_IO_ERROR: every
 * address failed or the time ran out (dlp_dial_errkind, dlp_dial_error).
 */
dlp_io_status dlp_dial_wait(DLP_DIAL *d, int64_t until_ms);

/*
 * dlp_dial_pollfds - up to MAX pollfds (POLLOUT) for the sockets still
 * connecting, into PFD; how many.  Poll them with other dials' until
 * dlp_dial_wake(), then call dlp_dial_wait(d, 0) when any is ready or
 * the wake moment has come.
 */
size_t dlp_dial_pollfds(const DLP_DIAL *d, struct pollfd *pfd, size_t max);

/*
 * dlp_dial_wake - the earliest moment (ms) the dial needs dlp_dial_wait()
 * without a socket being ready: an address's connect time running out,
 * the stagger moment of the next address, the deadline; 0 when done
 */
int64_t dlp_dial_wake(const DLP_DIAL *d);

/* dlp_dial_fd - one socket still connecting (the oldest) or the
 * connected one, or -1; a caller polling only this one must also wake
 * at dlp_dial_wake() (prefer dlp_dial_pollfds) */
int dlp_dial_fd(const DLP_DIAL *d);

/* dlp_dial_take - the connected socket as a DLP_IO (NULL if not connected) */
DLP_IO *dlp_dial_take(DLP_DIAL *d);

/* dlp_dial_label - "host[addr]:port" of the address connected or tried
 * last ("host[unknown]:port" when there was none) */
const char *dlp_dial_label(const DLP_DIAL *d);

/* dlp_dial_error - why the dial failed ("" while it has not) */
const char *dlp_dial_error(const DLP_DIAL *d);

/* dlp_dial_errkind - the kind of failure (DLP_DIAL_ERR_NONE if none) */
dlp_dial_errkind_t dlp_dial_errkind(const DLP_DIAL *d);

/* dlp_dial_free - close sockets not taken, free (NULL is a no-op) */
void dlp_dial_free(DLP_DIAL *d);

#endif /* DLP_DIAL_H */
