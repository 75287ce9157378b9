/*
 * dlp_cmd.c - text of the SMTP commands and replies that carry message
 * data: envelope commands built safely, the DLP's queue id read from its
 * reply (dlp_cmd.h).
 *
 * Contract: dlp_cmd_envelope() never puts a control character, a bracket
 * or an unsupported ESMTP parameter on the wire: an unsafe address is
 * refused (-1), an unsafe or unadvertised parameter is dropped.
 * dlp_cmd_queue_id() is a pure function of the reply text and never
 * leaves an enclosing bracket on either side of the id.
 */
#include "config.h"

#include "dlp_cmd.h"
#include "dlp_smtp.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* cmd_addr_ok - ADDR is safe inside <...>: no controls, no brackets */
static int cmd_addr_ok(const char *addr) {
  const unsigned char *p;

  if (strlen(addr) > DLP_CMD_ADDR_MAX)
    return 0;
  for (p = (const unsigned char *)addr; *p; p++)
    if (*p < 0x20 || *p == 0x7f || *p == '<' || *p == '>')
      return 0;
  return 1;
}

/* cmd_param_ok - ESMTP parameter P is safe and CAPS support it */
static int cmd_param_ok(unsigned caps, const char *p, int rcpt) {
  static const struct {
    const char *kw;
    unsigned cap;
    int rcpt;
  } known[] = {{"BODY", DLP_SMTP_CAP_8BITMIME, 0},
               {"SMTPUTF8", DLP_SMTP_CAP_SMTPUTF8, 0},
               {"RET", DLP_SMTP_CAP_DSN, 0},
               {"ENVID", DLP_SMTP_CAP_DSN, 0},
               {"NOTIFY", DLP_SMTP_CAP_DSN, 1},
               {"ORCPT", DLP_SMTP_CAP_DSN, 1}};
  const unsigned char *c;
  size_t i, kwlen = strcspn(p, "=");

  if (strlen(p) > DLP_CMD_PARAM_MAX || kwlen == 0)
    return 0;
  for (c = (const unsigned char *)p; *c; c++)
    if (*c <= 0x20 || *c >= 0x7f || *c == '<' || *c == '>')
      return 0;
  if (strncasecmp(p, "BODY=", 5) == 0 && strcasecmp(p + 5, "8BITMIME") &&
      strcasecmp(p + 5, "7BIT"))
    return 0; /* BINARYMIME would need CHUNKING */
  for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
    if (strlen(known[i].kw) == kwlen && strncasecmp(p, known[i].kw, kwlen) == 0)
      return known[i].rcpt == rcpt && (caps & known[i].cap) != 0;
  return 0;
}

/* dlp_cmd_envelope - "VERB:<ADDR>" plus the allowed ARGS into OUT */
int dlp_cmd_envelope(char *out, const char *verb, const char *addr,
                     const char *const *args, int rcpt, unsigned caps) {
  size_t len, alen = strlen(addr);
  int bracketed = alen >= 2 && addr[0] == '<' && addr[alen - 1] == '>';
  char bare[DLP_CMD_ADDR_MAX + 1];

  if (bracketed) { /* "<a@b>" from a caller that kept the brackets */
    if (alen - 2 > DLP_CMD_ADDR_MAX)
      return -1;
    memcpy(bare, addr + 1, alen - 2);
    bare[alen - 2] = 0;
    addr = bare;
  }
  if (!cmd_addr_ok(addr))
    return -1;
  len = (size_t)snprintf(out, DLP_CMD_MAX, "%s:<%s>", verb, addr);
  for (; args != NULL && *args != NULL; args++) {
    alen = strlen(*args);
    if (!cmd_param_ok(caps, *args, rcpt) || len + 1 + alen >= DLP_CMD_MAX)
      continue; /* dropped: never put on the wire */
    out[len++] = ' ';
    memcpy(out + len, *args, alen + 1);
    len += alen;
  }
  memcpy(out + len, "\r\n", 3);
  return 0;
}

/* cmd_find - the first place of NEEDLE in TEXT, any case, or NULL */
static const char *cmd_find(const char *text, const char *needle) {
  size_t n = strlen(needle);

  for (; *text; text++)
    if (strncasecmp(text, needle, n) == 0)
      return text;
  return NULL;
}

/* cmd_word - the word of TEXT at W, its length in *LEN */
static const char *cmd_word(const char *w, size_t *len) {
  *len = strcspn(w, " ");
  return w;
}

/*
 * cmd_unwrap - the word W (LEN) without what encloses or ends it:
 * brackets, parentheses, angle brackets, braces, quotes on either side
 * (each side on its own: "(id" and "id)" lose theirs too), then a
 * trailing ".,;:!?" and an "id=" prefix (Exim); its length in *LEN
 */
static const char *cmd_unwrap(const char *w, size_t *len) {
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

/* cmd_has_digit - W (LEN) has a digit in it */
static int cmd_has_digit(const char *w, size_t len) {
  while (len-- > 0)
    if (*w >= '0' && *w <= '9')
      return 1;
    else
      w++;
  return 0;
}

/*
 * dlp_cmd_queue_id - the DLP's queue id in reply TEXT: the word after
 * "queued as " (Postfix), else the first word in <...> (Exchange's
 * "<id@host> Queued mail for delivery"), else the first word with a digit
 * in it (sendmail's "id Message accepted for delivery", Haraka's "Message
 * Queued (id)", Exim's "OK id=..."), each without what encloses it; none
 * ("") in a bare "Ok"
 */
void dlp_cmd_queue_id(const char *text, char *out, size_t cap) {
  const char *p, *w, *id = NULL;
  size_t len = 0, n;

  if (cap == 0)
    return;
  if ((p = cmd_find(text, "queued as ")) != NULL) {
    id = cmd_word(p + 10, &len);
  } else {
    for (p = text; *p && id == NULL; p = w + n + strspn(w + n, " "))
      if (*(w = cmd_word(p, &n)) == '<' && n > 2)
        id = w, len = n;
    for (p = text; *p && id == NULL; p = w + n + strspn(w + n, " ")) {
      w = cmd_word(p, &n);
      if (cmd_has_digit(w, n))
        id = w, len = n;
    }
  }
  if (id != NULL)
    id = cmd_unwrap(id, &len);
  if (id == NULL || len == 0) {
    out[0] = 0;
    return;
  }
  if (len > cap - 1)
    len = cap - 1;
  memcpy(out, id, len);
  out[len] = 0;
}
