/*
 * fuzz_reply.c - libFuzzer target for the SMTP reply parser and sanitiser
 * (dlp_reply.c).
 *
 * The input is split at LF into reply lines (a trailing CR stays, as a
 * peer may send it); the lines are fed to dlp_reply_line() until it says
 * DONE or MALFORMED, then a new reply starts.  After each completed reply
 * the invariants of dlp_reply.c's contract are checked, and a violation
 * aborts (a finding):
 *   - code is 200..599, dsn starts with the code's first digit and is
 *     "c.s.d" shaped, text is printable ASCII of at most
 *     DLP_REPLY_TEXT_MAX bytes;
 *   - dlp_reply_escape_percent() never overruns, always terminates, never
 *     leaves a single '%'.
 */
#include "dlpbypass.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* check_dsn - non-zero when DSN is "c.s.d" with class C and 1-3 digits */
static int check_dsn(const char *dsn, char c) {
  const char *p = dsn;
  int part, n;

  if (p[0] != c || p[1] != '.')
    return 0;
  p += 2;
  for (part = 0; part < 2; part++) {
    for (n = 0; *p >= '0' && *p <= '9'; p++)
      n++;
    if (n < 1 || n > 3)
      return 0;
    if (part == 0 && *p++ != '.')
      return 0;
  }
  return *p == 0;
}

/* count_percent - how many '%' TEXT holds */
static size_t count_percent(const char *text) {
  size_t n = 0;

  for (; *text; text++)
    n += *text == '%';
  return n;
}

/* check_escape - escape TEXT into buffers of several sizes and check */
static void check_escape(const char *text) {
  static const size_t sizes[] = {1, 2, 3, 7, 64, 2 * DLP_REPLY_TEXT_MAX + 2};
  char buf[2 * DLP_REPLY_TEXT_MAX + 2 + 8];
  size_t i, j, len;

  for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
    memset(buf, 'Z', sizeof(buf));
    dlp_reply_escape_percent(text, buf, sizes[i]);
    len = strnlen(buf, sizes[i]);
    if (len >= sizes[i] || buf[sizes[i]] != 'Z')
      abort(); /* not terminated inside the buffer, or overrun */
    for (j = 0; j < len; j++) {
      if (buf[j] != '%')
        continue;
      if (j + 1 >= len || buf[j + 1] != '%')
        abort(); /* a lone '%' would reach smfi_setreply */
      j++;
    }
    if (sizes[i] > 2 * strlen(text) &&
        len != strlen(text) + count_percent(text))
      abort(); /* room enough, yet text was lost */
  }
}

/* check_reply - the contract's promises about a complete reply */
static void check_reply(const DLP_REPLY *r) {
  size_t i, len = strnlen(r->text, sizeof(r->text));

  if (r->code < 200 || r->code > 599)
    abort();
  if (!check_dsn(r->dsn, (char)('0' + r->code / 100)))
    abort();
  if (len > DLP_REPLY_TEXT_MAX)
    abort();
  for (i = 0; i < len; i++)
    if ((unsigned char)r->text[i] < 0x20 || (unsigned char)r->text[i] >= 0x7f)
      abort();
  check_escape(r->text);
}

/* LLVMFuzzerTestOneInput - one input: a stream of reply lines */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  DLP_REPLY reply;
  size_t off = 0, end;
  char *line;

  dlp_reply_init(&reply);
  while (off < size) {
    for (end = off; end < size && data[end] != '\n'; end++)
      ;
    /* a private copy, exactly the line's size: ASan sees any overread */
    line = malloc(end > off ? end - off : 1);
    if (line == NULL)
      return 0;
    memcpy(line, data + off, end - off);
    switch (dlp_reply_line(&reply, line, end - off)) {
    case DLP_REPLY_MORE:
      break;
    case DLP_REPLY_DONE:
      check_reply(&reply);
      dlp_reply_init(&reply);
      break;
    default:
      dlp_reply_init(&reply);
      break;
    }
    free(line);
    off = end + 1;
  }
  return 0;
}
