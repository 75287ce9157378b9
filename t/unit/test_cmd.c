/*
 * test_cmd.c - the text functions of dlp_cmd.c: the DLP's queue id read
 * from its reply to the final dot (Postfix, Haraka, sendmail, Exchange,
 * Exim, no id at all), and the injection guard of the envelope commands
 * (no CR, LF, other control byte or bracket of an address on the wire,
 * nothing after a NUL, unsafe or unadvertised parameters dropped).
 */
#include "dlp_cmd.h"
#include "dlp_smtp.h"
#include "tap.h"

#include <string.h>

struct qcase {
  const char *name;
  const char *text; /* reply text, after the code and enhanced code */
  const char *want;
};

static const struct qcase qcases[] = {
    {"Postfix", "Ok: queued as 4XyZ1", "4XyZ1"},
    {"Postfix, long id", "Ok: queued as 4Xk9fL2Q7Mz3bC", "4Xk9fL2Q7Mz3bC"},
    {"queued as, trailing dot", "Ok: queued as 4XyZ1.", "4XyZ1"},
    {"queued as, in parentheses", "Ok (queued as ABC123)", "ABC123"},
    {"Haraka", "Message Queued (35924554-8A1B-4B70-9F2E-2D7A2E9E0B5C.1)",
     "35924554-8A1B-4B70-9F2E-2D7A2E9E0B5C.1"},
    {"Haraka, more after the id",
     "Message Queued (35924554-8A1B-4B70-9F2E-2D7A2E9E0B5C.1) [mx1]",
     "35924554-8A1B-4B70-9F2E-2D7A2E9E0B5C.1"},
    {"sendmail", "x5TLe4aB012345 Message accepted for delivery",
     "x5TLe4aB012345"},
    {"Exchange",
     "<DB7PR01MB4321.eurprd01.prod.example.com@example.com> "
     "[InternalId=12345, Hostname=EX01] Queued mail for delivery",
     "DB7PR01MB4321.eurprd01.prod.example.com@example.com"},
    {"Exchange, id without a digit", "<abc@host> Queued mail for delivery",
     "abc@host"},
    {"Exim", "OK id=1hXyZ2-0001Ab-Cd", "1hXyZ2-0001Ab-Cd"},
    {"square brackets", "accepted [Q42]", "Q42"},
    {"bracket on one side only", "accepted (Q42", "Q42"},
    {"quoted", "queued \"Q42\";", "Q42"},
    {"bare Ok", "Ok", ""},
    {"empty", "", ""},
    {"no digit anywhere", "Message accepted for delivery", ""},
    {"only brackets", "queued as ()", ""},
};

/* test_queue_ids - each reply's id, nothing around it */
static void test_queue_ids(void) {
  char out[64];
  size_t i;

  for (i = 0; i < sizeof(qcases) / sizeof(qcases[0]); i++) {
    memset(out, 'x', sizeof(out));
    dlp_cmd_queue_id(qcases[i].text, out, sizeof(out));
    tap_ok(strcmp(out, qcases[i].want) == 0,
           "queue id, %s: \"%s\" (want \"%s\")", qcases[i].name, out,
           qcases[i].want);
  }
}

/* test_queue_id_caps - a small buffer is cut, never overrun */
static void test_queue_id_caps(void) {
  char out[8];

  memset(out, 'x', sizeof(out));
  dlp_cmd_queue_id("Ok: queued as 0123456789ABCDEF", out, 5);
  tap_ok(strcmp(out, "0123") == 0 && out[5] == 'x',
         "queue id cut to the buffer: \"%s\"", out);
  out[0] = 'x';
  dlp_cmd_queue_id("Ok: queued as 1", out, 0);
  tap_ok(out[0] == 'x', "queue id, no room: nothing written");
}

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

/* main - run the checks */
int main(void) {
  test_queue_ids();
  test_queue_id_caps();
  test_envelope();
  return tap_done();
}
