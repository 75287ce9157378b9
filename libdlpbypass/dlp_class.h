/*
 * dlp_class.h - what a failure means, in one table (dlp_class.c), as
 * Postfix's smtp_trouble.c holds all failure policy of its client.
 *
 * A failure is an event (a timeout, a hang-up, a reply the step cannot go
 * on with, a failed TLS handshake, ...) in a step of the SMTP session
 * (the states of dlp_smtp.c, grouped by what a failure in them means).
 * dlp_class_of() gives its outcome class (DESIGN.md section 3), the
 * enhanced status code of the failure and the words of its text;
 * dlp_class_final() the client reply's code and enhanced status code for
 * a final verdict.  Nothing else in the library decides either.
 */
#ifndef DLP_CLASS_H
#define DLP_CLASS_H

#include "dlp_private.h"

/* Steps of the session, by what a failure in them means. */
typedef enum {
  DLP_STEP_CONNECT, /* the TCP connect */
  DLP_STEP_SESSION, /* greeting, EHLO, HELO, EHLO after TLS, QUIT */
  DLP_STEP_TLS,     /* STARTTLS and the handshake: TLS must be had */
  DLP_STEP_MAIL,    /* MAIL FROM */
  DLP_STEP_TXN,     /* RCPT TO, DATA */
  DLP_STEP_RSET,    /* RSET (in the transaction, judges nothing) */
  DLP_STEP_CONTENT, /* the content and the final dot */
  DLP_STEP_ANY      /* no step: the connection manager's own events */
} dlp_step;

/* Events that end an attempt (or make up a reply). */
typedef enum {
  DLP_EV_TIMEOUT,          /* read or write timed out */
  DLP_EV_LOST,             /* hang-up or I/O error */
  DLP_EV_TOOLONG,          /* reply line too long */
  DLP_EV_MALFORMED,        /* reply not SMTP */
  DLP_EV_UNASKED,          /* data nobody asked for before a command */
  DLP_EV_REPLY,            /* a reply (not 5xx) the step cannot go on with */
  DLP_EV_REPLY_5XX,        /* a 5xx the step cannot go on with */
  DLP_EV_TLS_HANDSHAKE,    /* the handshake or the certificate check failed */
  DLP_EV_TLS_NOT_OFFERED,  /* TLS required, STARTTLS not offered */
  DLP_EV_TLS_UNASKED,      /* bytes after the 220 to STARTTLS */
  DLP_EV_STORE,            /* the stored message cannot be read */
  DLP_EV_ENVELOPE,         /* the sender is not safe to send */
  DLP_EV_RCPT_UNSAFE,      /* a recipient not safe to send (made-up 451) */
  DLP_EV_CACHED_CLOSED,    /* a cached session was closed or spoke */
  DLP_EV_CONNECT,          /* the connect failed at the network */
  DLP_EV_CONNECT_DEADLINE, /* the deadline cut the connect short */
  DLP_EV_CONNECT_LOCAL,    /* the connect failed here (ports, no address) */
  DLP_EV_NOMEM,            /* out of memory */
  DLP_EV_SKIPPED,          /* the health state skipped the host */
  DLP_EV_INTERNAL          /* our own failure (internal:WHAT) */
} dlp_event;

/* What an event in a step means. */
typedef struct dlp_class {
  dlp_outcome outcome; /* DLP_OUTCOME_NONE for a made-up reply */
  const char *dsn;     /* enhanced status code; NULL: the DLP's own */
  const char *what;    /* the failure in words: "conversation timed out" */
  const char *link;    /* "while" or "before" the step's description */
} DLP_CLASS;

/* dlp_class_of - what EVENT in STEP means (never NULL: fails closed) */
const DLP_CLASS *dlp_class_of(dlp_step step, dlp_event event);

/*
 * dlp_class_final - the client reply's *CODE and enhanced status code
 * (into DSN of LEN bytes) for final verdict V after a failure of outcome
 * F_OUTCOME with code F_DSN (NULL: no failure, or DELIVERED); a REJECT
 * the DLP answered itself keeps the DLP's reply (not made here)
 */
void dlp_class_final(dlp_verdict v, dlp_outcome f_outcome, const char *f_dsn,
                     int *code, char *dsn, size_t len);

#endif /* DLP_CLASS_H */
