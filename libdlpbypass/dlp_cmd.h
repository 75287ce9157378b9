/*
 * dlp_cmd.h - envelope commands and queue ids as text (dlp_cmd.c), used
 * by the SMTP client state machine (dlp_smtp.c).
 */
#ifndef DLP_CMD_H
#define DLP_CMD_H

#include <stddef.h>

#define DLP_CMD_MAX 1024      /* longest command line we build */
#define DLP_CMD_ADDR_MAX 512  /* longest address we send */
#define DLP_CMD_PARAM_MAX 500 /* longest ESMTP parameter we pass on */

/*
 * dlp_cmd_envelope - "VERB:<ADDR>" with those of ARGS (NULL-ended, may be
 * NULL) that are safe and that CAPS (DLP_SMTP_CAP_* of the EHLO reply)
 * support for MAIL (RCPT zero) or RCPT, and CR LF, into OUT of
 * DLP_CMD_MAX + 3 bytes.  ADDR may come with or without its <>.  0, or -1
 * when ADDR is not safe to send.
 */
int dlp_cmd_envelope(char *out, const char *verb, const char *addr,
                     const char *const *args, int rcpt, unsigned caps);

/*
 * dlp_cmd_queue_id - the queue id in the DLP's reply TEXT to the final
 * dot into OUT of CAP bytes: the word after "queued as ", else the first
 * word in <...>, else the first word with a digit in it, each without the
 * brackets, parentheses, angle brackets or quotes around it and without
 * trailing punctuation (an "id=" prefix dropped), cut to CAP - 1 bytes;
 * else "" (a bare "Ok")
 */
void dlp_cmd_queue_id(const char *text, char *out, size_t cap);

#endif /* DLP_CMD_H */
