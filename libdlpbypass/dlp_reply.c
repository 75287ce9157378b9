/*
 * dlp_reply.c - parse and sanitise SMTP replies from the DLP (after
 * Postfix's smtp_chat_resp).
 *
 * Contract:
 *   dlp_reply_init(r)            empties R for the lines of one reply.
 *   dlp_reply_line(r, line, len) adds one line (without CRLF; any bytes,
 *                                NUL included).  Returns DLP_REPLY_MORE for
 *                                a continuation line ("250-"), DLP_REPLY_DONE
 *                                for the last one ("250 " or just "250"),
 *                                DLP_REPLY_MALFORMED when:
 *                                - the line is longer than DLP_REPLY_LINE_MAX,
 *                                - it does not start with three digits, the
 *                                  first 2..5, followed by ' ', '-' or its end,
 *                                - its code differs from the earlier lines'.
 *   The reply then holds: code (200..599); dsn, the enhanced status code of
 *   the first line ("c.s.d", c in 2/4/5, s and d 1-3 digits) when its class
 *   equals the code's first digit, else a made-up "2.0.0"/"4.0.0"/"5.0.0";
 *   text, the text of every line without code and agreeing enhanced code,
 *   trimmed, joined by one space, each byte that is not printable ASCII
 *   (control, DEL, NUL, 8-bit) replaced by '?', at most DLP_REPLY_TEXT_MAX
 *   bytes.  A single CR left at the end of a line is dropped.
 *   dlp_reply_escape_percent(text, buf, buflen) doubles each '%' for
 *   smfi_setreply(), never splitting a pair, and always NUL-terminates.
 *   dlp_reply_queue_id(text, out, cap) (dlp_reply.h) is a pure function of
 *   the text of the DLP's reply to the dot and never leaves an enclosing
 *   bracket on either side of the id.
 */
#include "config.h"

#include "dlp_private.h"
#include "dlp_reply.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* dlp_reply_init - prepare REPLY to receive the lines of one reply */
void dlp_reply_init(DLP_REPLY *reply) {
  memset(reply, 0, sizeof(*reply));
}

/* reply_is_digit - ASCII digit test, independent of locale */
static int reply_is_digit(char c) {
  return c >= '0' && c <= '9';
}

/* reply_digits - length (1-3) of the digit run at P[0..LEN), 0 if none */
static size_t reply_digits(const char *p, size_t len) {
  size_t n = 0;

  while (n < len && n < 4 && reply_is_digit(p[n]))
    n++;
  return n >= 1 && n <= 3 ? n : 0;
}

/*
 * reply_dsn_len - length of an enhanced status code "c.s.d" at the start
 * of P[0..LEN) that ends there or before a space; 0 if there is none.
 */
static size_t reply_dsn_len(const char *p, size_t len) {
  size_t i, n;

  if (len < 5 || (p[0] != '2' && p[0] != '4' && p[0] != '5') || p[1] != '.')
    return 0;
  i = 2;
  if ((n = reply_digits(p + i, len - i)) == 0)
    return 0;
  i += n;
  if (i >= len || p[i] != '.')
    return 0;
  i++;
  if ((n = reply_digits(p + i, len - i)) == 0)
    return 0;
  i += n;
  if (i < len && p[i] != ' ')
    return 0;
  return i;
}

/* reply_append - add sanitised P[0..LEN) to the text, one space between */
static void reply_append(DLP_REPLY *reply, const char *p, size_t len) {
  size_t used = strlen(reply->text), i;

  while (len > 0 && p[0] == ' ') {
    p++;
    len--;
  }
  while (len > 0 && p[len - 1] == ' ')
    len--;
  if (len == 0)
    return;
  if (used > 0 && used < DLP_REPLY_TEXT_MAX)
    reply->text[used++] = ' ';
  for (i = 0; i < len && used < DLP_REPLY_TEXT_MAX; i++) {
    unsigned char c = (unsigned char)p[i];

    reply->text[used++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
  }
  reply->text[used] = 0;
}

/* dlp_reply_line - add one reply line to REPLY */
dlp_reply_status dlp_reply_line(DLP_REPLY *reply, const char *line,
                                size_t len) {
  const char *text;
  size_t tlen, dlen;
  int code;

  if (len > 0 && line[len - 1] == '\r')
    len--;
  if (len > DLP_REPLY_LINE_MAX || len < 3 || line[0] < '2' || line[0] > '5' ||
      !reply_is_digit(line[1]) || !reply_is_digit(line[2]) ||
      (len > 3 && line[3] != ' ' && line[3] != '-'))
    return DLP_REPLY_MALFORMED;
  code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (reply->code != 0 && reply->code != code)
    return DLP_REPLY_MALFORMED;
  text = len > 4 ? line + 4 : line + len;
  tlen = len > 4 ? len - 4 : 0;
  dlen = reply_dsn_len(text, tlen);
  if (dlen > 0 && text[0] != line[0])
    dlen = 0; /* contradicting class: not ours, leave it in the text */
  if (reply->code == 0) {
    reply->code = code;
    if (dlen > 0 && dlen < sizeof(reply->dsn)) {
      memcpy(reply->dsn, text, dlen);
      reply->dsn[dlen] = 0;
    } else {
      snprintf(reply->dsn, sizeof(reply->dsn), "%c.0.0", line[0]);
    }
  }
  reply_append(reply, text + dlen, tlen - dlen);
  return len > 3 && line[3] == '-' ? DLP_REPLY_MORE : DLP_REPLY_DONE;
}

/* dlp_reply_escape_percent - TEXT with '%' doubled, into BUF */
char *dlp_reply_escape_percent(const char *text, char *buf, size_t buflen) {
  size_t used = 0;

  if (buflen == 0)
    return buf;
  for (; text != NULL && *text; text++) {
    size_t need = *text == '%' ? 2 : 1;

    if (used + need > buflen - 1)
      break;
    buf[used++] = *text;
    if (*text == '%')
      buf[used++] = '%';
  }
  buf[used] = 0;
  return buf;
}

/* reply_find - the first place of NEEDLE in TEXT, any case, or NULL */
static const char *reply_find(const char *text, const char *needle) {
  size_t n = strlen(needle);

  for (; *text; text++)
    if (strncasecmp(text, needle, n) == 0)
      return text;
  return NULL;
}

/* reply_word - the word of TEXT at W, its length in *LEN */
static const char *reply_word(const char *w, size_t *len) {
  *len = strcspn(w, " ");
  return w;
}

/*
 * reply_unwrap - the word W (LEN) without what encloses or ends it:
 * brackets, parentheses, angle brackets, braces, quotes on either side
 * (each side on its own: "(id" and "id)" lose theirs too), then a
 * trailing ".,;:!?" and an "id=" prefix (Exim); its length in *LEN
 */
static const char *reply_unwrap(const char *w, size_t *len) {
  static const char open[] = "([<{\"'", close[] = ")]>}\"'.,;:!?";
  size_t n = *len;

  while (n > 0 && strchr(open, *w) != NULL)
    w++, n--;
  while (n > 0 && strchr(close, w[n - 1]) != NULL)
    n--;
  if (n > 3 && strncasecmp(w, "id=", 3) == 0)
    w += 3, n -= 3;
  *len = n;
  return w;
}

/* reply_has_digit - W (LEN) has a digit in it */
static int reply_has_digit(const char *w, size_t len) {
  while (len-- > 0)
    if (*w >= '0' && *w <= '9')
      return 1;
    else
      w++;
  return 0;
}

/*
 * dlp_reply_queue_id - the DLP's queue id in reply TEXT: the word after
 * "queued as " (Postfix), else the first word in <...> (Exchange's
 * "<id@host> Queued mail for delivery"), else the first word with a digit
 * in it (sendmail's "id Message accepted for delivery", Haraka's "Message
 * Queued (id)", Exim's "OK id=..."), each without what encloses it; none
 * ("") in a bare "Ok"
 */
void dlp_reply_queue_id(const char *text, char *out, size_t cap) {
  const char *p, *w, *id = NULL;
  size_t len = 0, n;

  if (cap == 0)
    return;
  if ((p = reply_find(text, "queued as ")) != NULL) {
    id = reply_word(p + 10, &len);
  } else {
    for (p = text; *p && id == NULL; p = w + n + strspn(w + n, " "))
      if (*(w = reply_word(p, &n)) == '<' && n > 2)
        id = w, len = n;
    for (p = text; *p && id == NULL; p = w + n + strspn(w + n, " ")) {
      w = reply_word(p, &n);
      if (reply_has_digit(w, n))
        id = w, len = n;
    }
  }
  if (id != NULL)
    id = reply_unwrap(id, &len);
  if (id == NULL || len == 0) {
    out[0] = 0;
    return;
  }
  if (len > cap - 1)
    len = cap - 1;
  memcpy(out, id, len);
  out[len] = 0;
}
