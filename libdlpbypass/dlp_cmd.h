/*
 * dlp_cmd.h - envelope commands as text (dlp_cmd.c), used by the SMTP
 * client state machine (dlp_smtp.c), and the capabilities of the EHLO
 * reply that decide which parameters go out.
 */
#ifndef DLP_CMD_H
#define DLP_CMD_H

#include <stddef.h>

#define DLP_CMD_MAX 1024      /* longest command line we build */
#define DLP_CMD_ADDR_MAX 512  /* longest address we send */
#define DLP_CMD_PARAM_MAX 500 /* longest ESMTP parameter we pass on */

/* Capabilities from the EHLO reply (forgotten after STARTTLS). */
#define DLP_SMTP_CAP_PIPELINING 0x01
#define DLP_SMTP_CAP_8BITMIME 0x02
#define DLP_SMTP_CAP_SMTPUTF8 0x04
#define DLP_SMTP_CAP_DSN 0x08
#define DLP_SMTP_CAP_SIZE 0x10
#define DLP_SMTP_CAP_STARTTLS 0x20

/*
 * dlp_cmd_envelope - "VERB:<ADDR>" with those of ARGS (NULL-ended, may be
 * NULL) that are safe and that CAPS (DLP_SMTP_CAP_* of the EHLO reply)
 * support for MAIL (RCPT zero) or RCPT, and CR LF, into OUT of
 * DLP_CMD_MAX + 3 bytes.  ADDR may come with or without its <>.  0, or -1
 * when ADDR is not safe to send.
 */
int dlp_cmd_envelope(char *out, const char *verb, const char *addr,
                     const char *const *args, int rcpt, unsigned caps);

#endif /* DLP_CMD_H */
