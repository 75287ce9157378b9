/*
 * test_reply.c - the SMTP reply parser and sanitiser (dlp_reply.c):
 * codes, multiline replies, enhanced status codes, censoring of bytes
 * that are not printable, length caps and '%' escaping; the DLP's queue
 * id read from its reply to the final dot (Postfix, Haraka, sendmail,
 * Exchange, Exim, no id at all).
 */
#include "dlp_reply.h"
#include "dlpbypass.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

struct rline {
  const char *s;
  size_t len;
};

#define L(s)                                                                   \
  { s, sizeof(s) - 1 }
#define MAXLINES 4

struct rcase {
  const char *name;
  struct rline lines[MAXLINES]; /* fed in order; stops at s == NULL */
  dlp_reply_status want;        /* status of the last line fed */
  int code;                     /* when not malformed */
  const char *dsn;
  const char *text;
};

static const struct rcase cases[] = {
    {"simple 250", {L("250 ok")}, DLP_REPLY_DONE, 250, "2.0.0", "ok"},
    {"code alone", {L("250")}, DLP_REPLY_DONE, 250, "2.0.0", ""},
    {"code and space, no text", {L("354 ")}, DLP_REPLY_DONE, 354, "3.0.0", ""},
    {"enhanced code taken",
     {L("550 5.7.1 blocked by policy")},
     DLP_REPLY_DONE,
     550,
     "5.7.1",
     "blocked by policy"},
    {"enhanced code 3-digit parts",
     {L("452 4.123.456 busy")},
     DLP_REPLY_DONE,
     452,
     "4.123.456",
     "busy"},
    {"enhanced code alone", {L("250 2.0.0")}, DLP_REPLY_DONE, 250, "2.0.0", ""},
    {"contradicting enhanced code made up, kept in text",
     {L("550 4.7.1 blocked")},
     DLP_REPLY_DONE,
     550,
     "5.0.0",
     "4.7.1 blocked"},
    {"250 with 5.x code",
     {L("250 5.0.0 queued")},
     DLP_REPLY_DONE,
     250,
     "2.0.0",
     "5.0.0 queued"},
    {"4-digit detail is not an enhanced code",
     {L("451 4.3.1000 x")},
     DLP_REPLY_DONE,
     451,
     "4.0.0",
     "4.3.1000 x"},
    {"enhanced code glued to text is text",
     {L("451 4.3.1busy")},
     DLP_REPLY_DONE,
     451,
     "4.0.0",
     "4.3.1busy"},
    {"class 3 enhanced code not valid",
     {L("354 3.0.0 go")},
     DLP_REPLY_DONE,
     354,
     "3.0.0",
     "3.0.0 go"},
    {"multiline joined by one space",
     {L("250-dlp.example.com"), L("250-PIPELINING"), L("250 STARTTLS")},
     DLP_REPLY_DONE,
     250,
     "2.0.0",
     "dlp.example.com PIPELINING STARTTLS"},
    {"multiline dsn from first line, stripped from all",
     {L("550-5.7.1 first"), L("550 5.7.1 second")},
     DLP_REPLY_DONE,
     550,
     "5.7.1",
     "first second"},
    {"continuation line returns MORE",
     {L("250-first")},
     DLP_REPLY_MORE,
     250,
     "2.0.0",
     "first"},
    {"empty continuation text",
     {L("250-"), L("250 done")},
     DLP_REPLY_DONE,
     250,
     "2.0.0",
     "done"},
    {"mixed multiline codes",
     {L("250-ok"), L("550 no")},
     DLP_REPLY_MALFORMED,
     0,
     NULL,
     NULL},
    {"mixed multiline codes, same class",
     {L("451-a"), L("452 b")},
     DLP_REPLY_MALFORMED,
     0,
     NULL,
     NULL},
    {"2-digit code", {L("25 ok")}, DLP_REPLY_MALFORMED, 0, NULL, NULL},
    {"2-digit code alone", {L("25")}, DLP_REPLY_MALFORMED, 0, NULL, NULL},
    {"4-digit code 2500", {L("2500 ok")}, DLP_REPLY_MALFORMED, 0, NULL, NULL},
    {"4-digit code alone", {L("2500")}, DLP_REPLY_MALFORMED, 0, NULL, NULL},
    {"code 1xx", {L("150 ok")}, DLP_REPLY_MALFORMED, 0, NULL, NULL},
    {"code 6xx", {L("650 ok")}, DLP_REPLY_MALFORMED, 0, NULL, NULL},
    {"code 0xx", {L("050 ok")}, DLP_REPLY_MALFORMED, 0, NULL, NULL},
    {"letters", {L("abc def")}, DLP_REPLY_MALFORMED, 0, NULL, NULL},
    {"digit then letter", {L("2a0 ok")}, DLP_REPLY_MALFORMED, 0, NULL, NULL},
    {"empty line", {L("")}, DLP_REPLY_MALFORMED, 0, NULL, NULL},
    {"tab after code", {L("250\tok")}, DLP_REPLY_MALFORMED, 0, NULL, NULL},
    {"NUL in code",
     {L("2\0"
        "0 ok")},
     DLP_REPLY_MALFORMED,
     0,
     NULL,
     NULL},
    {"NUL after code", {L("250\0ok")}, DLP_REPLY_MALFORMED, 0, NULL, NULL},
    {"NUL in text censored",
     {L("250 a\0b")},
     DLP_REPLY_DONE,
     250,
     "2.0.0",
     "a?b"},
    {"control bytes censored",
     {L("451 x\ty\033z\177")},
     DLP_REPLY_DONE,
     451,
     "4.0.0",
     "x?y?z?"},
    {"8-bit censored",
     {L("550 caf\xc3\xa9")},
     DLP_REPLY_DONE,
     550,
     "5.0.0",
     "caf??"},
    {"trailing CR dropped",
     {L("250 ok\r")},
     DLP_REPLY_DONE,
     250,
     "2.0.0",
     "ok"},
    {"inner CR censored", {L("250 a\rb")}, DLP_REPLY_DONE, 250, "2.0.0", "a?b"},
    {"spaces trimmed", {L("250   ok   ")}, DLP_REPLY_DONE, 250, "2.0.0", "ok"},
    {"percent kept in text",
     {L("550 100% sure")},
     DLP_REPLY_DONE,
     550,
     "5.0.0",
     "100% sure"},
    {"421 greeting",
     {L("421 4.3.2 shutting down")},
     DLP_REPLY_DONE,
     421,
     "4.3.2",
     "shutting down"},
};

/* run_case - feed one case; report it */
static void run_case(const struct rcase *c) {
  DLP_REPLY r;
  dlp_reply_status st = DLP_REPLY_MALFORMED;
  int i, ok;

  dlp_reply_init(&r);
  for (i = 0; i < MAXLINES && c->lines[i].s != NULL; i++)
    st = dlp_reply_line(&r, c->lines[i].s, c->lines[i].len);
  ok = st == c->want;
  if (ok && c->want != DLP_REPLY_MALFORMED)
    ok = r.code == c->code && strcmp(r.dsn, c->dsn) == 0 &&
         strcmp(r.text, c->text) == 0;
  if (!tap_ok(ok, "%s", c->name))
    printf("#   got status %d code %d dsn '%s' text '%s'\n", (int)st, r.code,
           r.dsn, r.text);
}

/* test_caps - line length limit and text length cap */
static void test_caps(void) {
  size_t n = DLP_REPLY_LINE_MAX + 10, i;
  char *line = malloc(n + 1);
  DLP_REPLY r;
  int ok;

  memcpy(line, "250 ", 4);
  memset(line + 4, 'x', n - 4);
  line[n] = 0;
  dlp_reply_init(&r);
  tap_ok(dlp_reply_line(&r, line, DLP_REPLY_LINE_MAX) == DLP_REPLY_DONE,
         "line of exactly DLP_REPLY_LINE_MAX bytes accepted");
  tap_ok(strlen(r.text) == DLP_REPLY_TEXT_MAX,
         "text capped at DLP_REPLY_TEXT_MAX (%zu)", strlen(r.text));
  dlp_reply_init(&r);
  tap_ok(dlp_reply_line(&r, line, DLP_REPLY_LINE_MAX + 1) ==
             DLP_REPLY_MALFORMED,
         "line of DLP_REPLY_LINE_MAX+1 bytes malformed");
  /* many continuation lines: the text stays capped */
  dlp_reply_init(&r);
  memcpy(line, "250-", 4);
  ok = 1;
  for (i = 0; i < 50; i++)
    ok &= dlp_reply_line(&r, line, 100) == DLP_REPLY_MORE;
  ok &= dlp_reply_line(&r, "250 end", 7) == DLP_REPLY_DONE;
  tap_ok(ok && strlen(r.text) == DLP_REPLY_TEXT_MAX,
         "50 continuation lines: text capped (%zu)", strlen(r.text));
  free(line);
}

/* test_escape - '%' doubled for smfi_setreply, within the buffer */
static void test_escape(void) {
  char buf[16];

  dlp_reply_escape_percent("100% sure", buf, sizeof(buf));
  tap_ok(strcmp(buf, "100%% sure") == 0, "escape: one percent doubled");
  dlp_reply_escape_percent("%s%n%%", buf, sizeof(buf));
  tap_ok(strcmp(buf, "%%s%%n%%%%") == 0, "escape: format directives");
  dlp_reply_escape_percent("no percent", buf, sizeof(buf));
  tap_ok(strcmp(buf, "no percent") == 0, "escape: plain text unchanged");
  dlp_reply_escape_percent("abcdefghijklmnopqrstuvwxyz", buf, sizeof(buf));
  tap_ok(strcmp(buf, "abcdefghijklmno") == 0, "escape: truncated to buflen-1");
  dlp_reply_escape_percent("abcdefghijklmn%", buf, sizeof(buf));
  tap_ok(strcmp(buf, "abcdefghijklmn") == 0, "escape: never half a %% pair");
  dlp_reply_escape_percent("", buf, sizeof(buf));
  tap_ok(buf[0] == 0, "escape: empty text");
  tap_ok(dlp_reply_escape_percent("x", buf, 1) == buf && buf[0] == 0,
         "escape: buflen 1 gives empty string");
}

/* reply_sane - the invariants of any reply that was not malformed */
static int reply_sane(const DLP_REPLY *r) {
  size_t i, n = strlen(r->text);

  if (r->code < 200 || r->code > 599 || n > DLP_REPLY_TEXT_MAX)
    return 0;
  if (r->dsn[0] != '0' + r->code / 100 || r->dsn[1] != '.')
    return 0;
  for (i = 0; i < n; i++)
    if ((unsigned char)r->text[i] < 0x20 || (unsigned char)r->text[i] >= 0x7f)
      return 0;
  return 1;
}

/* test_random - random lines never break the invariants (a small fuzz) */
static void test_random(void) {
  static const char alphabet[] = "0123456789 -.245\r\n\0\t%aZ\xff";
  static const char *const prefixes[] = {"250-", "250 ", "550-", "451 "};
  char line[64];
  unsigned seed = 12345;
  int i, j, bad = 0, lines, done = 0;
  DLP_REPLY r;

  for (i = 0; i < 20000; i++) {
    dlp_reply_init(&r);
    lines = 1 + i % 3;
    for (j = 0; j < lines; j++) {
      size_t len = (seed = seed * 1103515245 + 12345) >> 16 & 31, k;
      dlp_reply_status st;

      for (k = 0; k < len; k++) {
        seed = seed * 1103515245 + 12345;
        line[k] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
      }
      if (len >= 4 && (seed >> 20 & 3) != 0) /* often a plausible start */
        memcpy(line, prefixes[seed >> 24 & 3], 4);
      st = dlp_reply_line(&r, line, len);
      if (st == DLP_REPLY_MALFORMED)
        break;
      if (!reply_sane(&r))
        bad++;
      if (st == DLP_REPLY_DONE) {
        done++;
        break;
      }
    }
  }
  tap_ok(bad == 0 && done > 0,
         "20000 random replies: code, dsn class and text always sane "
         "(%d complete)",
         done);
}

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
    dlp_reply_queue_id(qcases[i].text, out, sizeof(out));
    tap_ok(strcmp(out, qcases[i].want) == 0,
           "queue id, %s: \"%s\" (want \"%s\")", qcases[i].name, out,
           qcases[i].want);
  }
}

/* test_queue_id_caps - a small buffer is cut, never overrun */
static void test_queue_id_caps(void) {
  char out[8];

  memset(out, 'x', sizeof(out));
  dlp_reply_queue_id("Ok: queued as 0123456789ABCDEF", out, 5);
  tap_ok(strcmp(out, "0123") == 0 && out[5] == 'x',
         "queue id cut to the buffer: \"%s\"", out);
  out[0] = 'x';
  dlp_reply_queue_id("Ok: queued as 1", out, 0);
  tap_ok(out[0] == 'x', "queue id, no room: nothing written");
}

int main(void) {
  size_t i;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    run_case(&cases[i]);
  test_caps();
  test_escape();
  test_random();
  test_queue_ids();
  test_queue_id_caps();
  return tap_done();
}
