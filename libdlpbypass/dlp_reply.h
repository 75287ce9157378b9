/*
 * dlp_reply.h - reply parsing inside the library (dlp_reply.c) beyond
 * the public dlp_reply_* functions of dlpbypass.h: the DLP's queue id.
 */
#ifndef DLP_REPLY_H
#define DLP_REPLY_H

#include <stddef.h>

/*
 * dlp_reply_queue_id - the queue id in the DLP's reply TEXT to the final
 * dot into OUT of CAP bytes: the word after "queued as ", else the first
 * word in <...>, else the first word with a digit in it, each without the
 * brackets, parentheses, angle brackets or quotes around it and without
 * trailing punctuation (an "id=" prefix dropped), cut to CAP - 1 bytes;
 * else "" (a bare "Ok")
 */
void dlp_reply_queue_id(const char *text, char *out, size_t cap);

#endif /* DLP_REPLY_H */
