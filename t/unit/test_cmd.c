/*
 * test_cmd.c - the command-injection guard of dlp_cmd.c: no CR, LF,
 * other control byte or bracket of an address on the wire, nothing after
 * a NUL, over-long addresses refused; unsafe (8-bit, control, space,
 * bracket, over-long), unknown or unadvertised parameters dropped.
 */
#include "dlp_cmd.h"
#include "tap.h"

#include <string.h>

/* envelope - dlp_cmd_envelope into OUT; its return value */
static int envelope(char *out, const char *verb, const char *addr,
                    const char *const *args, int rcpt, unsigned caps) {
  memset(out, 0, DLP_CMD_MAX + 3);
  return dlp_cmd_envelope(out, verb, addr, args, rcpt, caps);
}

/* test_envelope - safe commands built, unsafe addresses refused */
static void test_envelope(void) {
  static const char *const bad[] = {"a@b\r\nRCPT TO:<x@y>",
                                    "a@b\nDATA",
                                    "a@b\r",
                                    "a\001b@c",
                                    "a\177b@c",
                                    "a<b@c",
                                    "a>b@c",
                                    "<a@b\r\nDATA>"};
  const char *args8[] = {"BODY=8BITMIME", "SIZE=10", "X\r\nDATA", NULL};
  const char *argsr[] = {"NOTIFY=NEVER", "ORCPT=rfc822;a@b\rQUIT", NULL};
  char out[DLP_CMD_MAX + 3], longaddr[DLP_CMD_ADDR_MAX + 2];
  size_t i;

  tap_ok(envelope(out, "MAIL FROM", "s@example.com", NULL, 0, 0) == 0 &&
             strcmp(out, "MAIL FROM:<s@example.com>\r\n") == 0,
         "plain sender: %s", out);
  tap_ok(envelope(out, "MAIL FROM", "<s@example.com>", NULL, 0, 0) == 0 &&
             strcmp(out, "MAIL FROM:<s@example.com>\r\n") == 0,
         "sender given with its brackets: no second pair");
  tap_ok(envelope(out, "MAIL FROM", "<>", NULL, 0, 0) == 0 &&
             strcmp(out, "MAIL FROM:<>\r\n") == 0,
         "null sender");
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    tap_ok(envelope(out, "RCPT TO", bad[i], NULL, 1, 0) < 0,
           "address %zu with CR/LF/control/bracket refused", i);
    tap_ok(envelope(out, "MAIL FROM", bad[i], NULL, 0, 0) < 0,
           "sender %zu with CR/LF/control/bracket refused", i);
  }
  /* a C string ends at NUL: nothing after it can reach the wire */
  tap_ok(envelope(out, "RCPT TO", "r@b\0\r\nDATA", NULL, 1, 0) == 0 &&
             strcmp(out, "RCPT TO:<r@b>\r\n") == 0,
         "nothing after a NUL in the address goes out: %s", out);
  memset(longaddr, 'a', sizeof(longaddr) - 1);
  longaddr[sizeof(longaddr) - 1] = 0;
  tap_ok(envelope(out, "RCPT TO", longaddr, NULL, 1, 0) < 0,
         "address over %d bytes refused", DLP_CMD_ADDR_MAX);
  tap_ok(envelope(out, "MAIL FROM", "s@b", args8, 0, DLP_SMTP_CAP_8BITMIME) ==
                 0 &&
             strcmp(out, "MAIL FROM:<s@b> BODY=8BITMIME\r\n") == 0,
         "MAIL: advertised BODY kept, SIZE and a CR LF parameter dropped: %s",
         out);
  tap_ok(envelope(out, "MAIL FROM", "s@b", args8, 0, 0) == 0 &&
             strcmp(out, "MAIL FROM:<s@b>\r\n") == 0,
         "MAIL: BODY dropped when 8BITMIME is not advertised");
  tap_ok(envelope(out, "RCPT TO", "r@b", argsr, 1, DLP_SMTP_CAP_DSN) == 0 &&
             strcmp(out, "RCPT TO:<r@b> NOTIFY=NEVER\r\n") == 0,
         "RCPT: NOTIFY kept, ORCPT with a CR dropped: %s", out);
  tap_ok(strchr(out, '\r') == out + strlen(out) - 2,
         "the only CR is the command's end");
}

/* test_params - every unsafe parameter dropped, never cut or passed */
static void test_params(void) {
  char over[DLP_CMD_PARAM_MAX + 8], out[DLP_CMD_MAX + 3];
  const char *bad[] = {
      "ENVID=a\200b", "ENVID=a b", "ENVID=<x>",       "ENVID=a\tb",
      "ENVID=a\177b", "=x",        "BODY=BINARYMIME", "X-UNKNOWN=1",
      over,           NULL};
  unsigned all = DLP_SMTP_CAP_8BITMIME | DLP_SMTP_CAP_SMTPUTF8 |
                 DLP_SMTP_CAP_DSN | DLP_SMTP_CAP_SIZE;
  const char *one[2] = {NULL, NULL};
  size_t i;

  memset(over, 'a', sizeof(over) - 1);
  memcpy(over, "ENVID=", 6);
  over[sizeof(over) - 1] = 0;
  for (i = 0; bad[i] != NULL; i++) {
    one[0] = bad[i];
    tap_ok(envelope(out, "MAIL FROM", "s@b", one, 0, all) == 0 &&
               strcmp(out, "MAIL FROM:<s@b>\r\n") == 0,
           "MAIL: unsafe parameter %zu dropped: %.60s", i, out);
  }
  one[0] = "NOTIFY=NEVER";
  tap_ok(envelope(out, "MAIL FROM", "s@b", one, 0, all) == 0 &&
             strcmp(out, "MAIL FROM:<s@b>\r\n") == 0,
         "MAIL: a RCPT-only parameter dropped");
  one[0] = "RET=HDRS";
  tap_ok(envelope(out, "RCPT TO", "r@b", one, 1, all) == 0 &&
             strcmp(out, "RCPT TO:<r@b>\r\n") == 0,
         "RCPT: a MAIL-only parameter dropped");
  one[0] = "ENVID=QQ";
  tap_ok(envelope(out, "MAIL FROM", "s@b", one, 0, all) == 0 &&
             strcmp(out, "MAIL FROM:<s@b> ENVID=QQ\r\n") == 0,
         "MAIL: a safe advertised parameter kept: %s", out);
}

/* test_8bit_and_length - 8-bit addresses pass (SMTPUTF8), nothing overruns */
static void test_8bit_and_length(void) {
  char addr[DLP_CMD_ADDR_MAX + 1], param[DLP_CMD_PARAM_MAX + 1];
  const char *args[4];
  char out[DLP_CMD_MAX + 3];

  tap_ok(envelope(out, "RCPT TO", "j\303\274rg@b", NULL, 1, 0) == 0 &&
             strcmp(out, "RCPT TO:<j\303\274rg@b>\r\n") == 0,
         "UTF-8 address sent as it is");
  memset(addr, 'a', sizeof(addr) - 1);
  addr[sizeof(addr) - 1] = 0;
  tap_ok(envelope(out, "RCPT TO", addr, NULL, 1, 0) == 0 &&
             strlen(out) == strlen("RCPT TO:<>\r\n") + DLP_CMD_ADDR_MAX,
         "address of exactly %d bytes sent", DLP_CMD_ADDR_MAX);
  memset(param, 'e', sizeof(param) - 1);
  memcpy(param, "ENVID=", 6);
  param[sizeof(param) - 1] = 0;
  args[0] = args[1] = args[2] = param;
  args[3] = NULL;
  tap_ok(envelope(out, "MAIL FROM", addr, args, 0, DLP_SMTP_CAP_DSN) == 0 &&
             strlen(out) <= DLP_CMD_MAX + 2 &&
             strcmp(out + strlen(out) - 2, "\r\n") == 0 &&
             strchr(out, '\r') == out + strlen(out) - 2,
         "parameters that do not fit are dropped whole: %zu bytes",
         strlen(out));
}

/* main - run the checks */
int main(void) {
  test_envelope();
  test_params();
  test_8bit_and_length();
  return tap_done();
}
