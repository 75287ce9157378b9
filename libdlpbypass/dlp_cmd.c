/*
 * dlp_cmd.c - the text of the SMTP commands that carry message data:
 * envelope commands built safely (dlp_cmd.h), the command-injection guard.
 *
 * Contract: dlp_cmd_envelope() never puts a control character, a bracket
 * or an unsupported ESMTP parameter on the wire: an unsafe address is
 * refused (-1), an unsafe or unadvertised parameter is dropped.  Replies
 * (the DLP's queue id among them) are parsed in dlp_reply.c.
 */
#include "config.h"

#include "dlp_cmd.h"

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
