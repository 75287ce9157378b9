/*
 * test_body.c - the wire-ready message store (dlp_body.c): line-end
 * canonicalisation, dot-stuffing, the final CRLF, chunk boundaries at
 * every position, spilling to an unlinked file, and write errors.
 * Every output is also checked for the smuggling invariants: no bare CR,
 * no bare LF, no line that is just ".", ends in CRLF unless empty.
 * dlp_body_sha256 (audit trail): the digest of the canonical message
 * (stuffing dots left out), checked against sha256sum of known bytes.
 */
#include "dlpbypass.h"
#include "tap.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct bytes {
  const char *s;
  size_t len;
};

#define B(s)                                                                   \
  { s, sizeof(s) - 1 }

struct bcase {
  const char *name;
  struct bytes in, want;
};

static const struct bcase cases[] = {
    {"empty message stays empty", B(""), B("")},
    {"one char, final CRLF added", B("a"), B("a\r\n")},
    {"CRLF unchanged", B("a\r\nb\r\n"), B("a\r\nb\r\n")},
    {"bare LF becomes CRLF", B("a\nb\n"), B("a\r\nb\r\n")},
    {"lone LF", B("\n"), B("\r\n")},
    {"lone CRLF", B("\r\n"), B("\r\n")},
    {"two bare LFs", B("\n\n"), B("\r\n\r\n")},
    {"bare CR mid-line becomes space", B("a\rb\r\n"), B("a b\r\n")},
    {"bare CR at end of message", B("a\r"), B("a \r\n")},
    {"lone bare CR", B("\r"), B(" \r\n")},
    {"CR CR LF", B("\r\r\n"), B(" \r\n")},
    {"several bare CRs", B("x\r\r\r\n"), B("x  \r\n")},
    {"\\n.\\n is stuffed", B("\n.\n"), B("\r\n..\r\n")},
    {"\\r\\n.\\r: stuffed, CR to space", B("\r\n.\r"), B("\r\n.. \r\n")},
    {"\\r\\n.\\r\\n (end-of-data inside)", B("\r\n.\r\n"), B("\r\n..\r\n")},
    {"smuggled next command",
     B("a\n.\r\nMAIL FROM:<x>\r\nRCPT TO:<y>\r\nDATA\r\n"),
     B("a\r\n..\r\nMAIL FROM:<x>\r\nRCPT TO:<y>\r\nDATA\r\n")},
    {"\\r.\\r\\n: space, not a dot line", B("\r.\r\n"), B(" .\r\n")},
    {"LF CR LF dot LF", B("\n\r\n.\n"), B("\r\n\r\n..\r\n")},
    {"leading dot at start", B(".\r\n"), B("..\r\n")},
    {"leading dot, bare LF", B(".\n"), B("..\r\n")},
    {"double dot", B("..\r\n"), B("...\r\n")},
    {"three dots, no CRLF", B("..."), B("....\r\n")},
    {"leading dots on each line", B(".foo\r\n.bar\r\nbaz\r\n.\r\n"),
     B("..foo\r\n..bar\r\nbaz\r\n..\r\n")},
    {"dot inside line untouched", B("a.b\r\n. \r\n"), B("a.b\r\n.. \r\n")},
    {"no final CRLF", B("Subject: x\r\n\r\nbody"),
     B("Subject: x\r\n\r\nbody\r\n")},
    {"8-bit passes", B("caf\xc3\xa9 \xff\x80\r\n"),
     B("caf\xc3\xa9 \xff\x80\r\n")},
    {"NUL passes", B("a\0b\r\n"), B("a\0b\r\n")},
    {"lone NUL", B("\0"), B("\0\r\n")},
    {"NUL then dot line", B("\0\n.\n"), B("\0\r\n..\r\n")},
    {"header folding kept", B("X: a\r\n\tb\r\n\r\nbody\r\n"),
     B("X: a\r\n\tb\r\n\r\nbody\r\n")},
};

/* check_invariants - no bare CR/LF, no "." line, CRLF at the end */
static int check_invariants(const char *p, size_t len) {
  size_t i, line = 0;

  if (len > 0 && (len < 2 || p[len - 2] != '\r' || p[len - 1] != '\n'))
    return 0;
  for (i = 0; i < len; i++) {
    if (p[i] == '\r' && (i + 1 >= len || p[i + 1] != '\n'))
      return 0;
    if (p[i] == '\n') {
      if (i == 0 || p[i - 1] != '\r')
        return 0;
      if (i - line == 2 && p[line] == '.')
        return 0; /* ".\r\n" */
      line = i + 1;
    }
  }
  return 1;
}

/* read_all - the whole store, read in pieces of STEP bytes; malloc'd */
static char *read_all(const DLP_BODY *b, size_t step, size_t *len) {
  size_t size = (size_t)dlp_body_size(b), off = 0;
  char *buf = malloc(size + 1);
  ssize_t n;

  while ((n = dlp_body_read(b, (off_t)off, buf + off,
                            step < size + 1 - off ? step : size + 1 - off)) > 0)
    off += (size_t)n;
  *len = n < 0 ? (size_t)-1 : off;
  return buf;
}

/*
 * run_split - store IN written in pieces cut at CUT1 <= CUT2, with
 * MEM_LIMIT; 1 when the wire data equals WANT and the invariants hold.
 */
static int run_split(const struct bytes *in, const struct bytes *want,
                     size_t cut1, size_t cut2, size_t mem_limit,
                     const char *tmpdir, int *spilled) {
  DLP_BODY *b = dlp_body_create(mem_limit, tmpdir);
  size_t len;
  char *out;
  int ok;

  ok = b != NULL && dlp_body_write(b, in->s, cut1) == 0 &&
       dlp_body_write(b, in->s + cut1, cut2 - cut1) == 0 &&
       dlp_body_write(b, in->s + cut2, in->len - cut2) == 0 &&
       dlp_body_finish(b) == 0 && dlp_body_finish(b) == 0;
  if (!ok) {
    dlp_body_free(b);
    return 0;
  }
  out = read_all(b, 7, &len);
  ok = len == want->len && (size_t)dlp_body_size(b) == want->len &&
       memcmp(out, want->s, len) == 0 && check_invariants(out, len);
  if (spilled != NULL)
    *spilled = dlp_body_spilled(b);
  free(out);
  dlp_body_free(b);
  return ok;
}

/* test_case - one input at every pair of cut positions, memory and spill */
static void test_case(const struct bcase *c, const char *tmpdir) {
  size_t i, j, bad = 0, runs = 0;
  int spilled, spill_ok = 1;

  for (i = 0; i <= c->in.len; i++)
    for (j = i; j <= c->in.len; j++) {
      runs++;
      if (!run_split(&c->in, &c->want, i, j, 1 << 20, tmpdir, NULL))
        bad++;
      if (!run_split(&c->in, &c->want, i, j, 5, tmpdir, &spilled))
        bad++;
      if (spilled != (c->want.len > 5))
        spill_ok = 0;
    }
  tap_ok(bad == 0, "%s (%zu splits, memory and spilled)", c->name, runs);
  tap_ok(spill_ok, "%s: spilled exactly when over the limit", c->name);
}

/* test_bytewise - every input written one byte per call */
static void test_bytewise(void) {
  size_t i, j, len, bad = 0;
  char *out;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    const struct bcase *c = &cases[i];
    DLP_BODY *b = dlp_body_create(3, "/tmp");
    int ok = b != NULL;

    for (j = 0; ok && j < c->in.len; j++)
      ok = dlp_body_write(b, c->in.s + j, 1) == 0;
    ok = ok && dlp_body_finish(b) == 0;
    if (ok) {
      out = read_all(b, 1, &len);
      ok = len == c->want.len && memcmp(out, c->want.s, len) == 0;
      free(out);
    }
    if (!ok)
      bad++;
    dlp_body_free(b);
  }
  tap_ok(bad == 0, "every input written one byte at a time, spilled, read "
                   "one byte at a time");
}

/* count_files - entries in DIR besides . and .. */
static int count_files(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  int n = 0;

  if (d == NULL)
    return -1;
  while ((e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
      n++;
  closedir(d);
  return n;
}

/* test_big_line - a 1 MB line with a leading dot, memory and spilled */
static void test_big_line(const char *tmpdir) {
  size_t n = 1 << 20, len, cuts[] = {0, 1, 2, 4095, 4096, 65537, 1 << 20};
  struct bytes in, want;
  char *ibuf = malloc(n + 1), *wbuf = malloc(n + 4);
  size_t i, bad = 0;
  int spilled, files = -1;
  DLP_BODY *b;
  char *out;

  ibuf[0] = '.';
  memset(ibuf + 1, 'x', n);
  wbuf[0] = wbuf[1] = '.';
  memset(wbuf + 2, 'x', n);
  memcpy(wbuf + n + 2, "\r\n", 2);
  in.s = ibuf;
  in.len = n + 1;
  want.s = wbuf;
  want.len = n + 4;
  for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
    if (!run_split(&in, &want, cuts[i], cuts[i], 2 << 20, tmpdir, &spilled) ||
        spilled)
      bad++;
    if (!run_split(&in, &want, cuts[i], cuts[i] + (cuts[i] < n ? 1 : 0), 4096,
                   tmpdir, &spilled) ||
        !spilled)
      bad++;
  }
  tap_ok(bad == 0, "1 MB line: stuffed, CRLF added, in memory and spilled");

  /* the spill file is unlinked: nothing visible in tmpdir while in use */
  b = dlp_body_create(4096, tmpdir);
  if (b != NULL && dlp_body_write(b, ibuf, n + 1) == 0)
    files = count_files(tmpdir);
  tap_ok(b != NULL && dlp_body_spilled(b) && files == 0,
         "spill file is unlinked (%d files in tmpdir)", files);
  if (b != NULL && dlp_body_finish(b) == 0) {
    out = read_all(b, 65536, &len);
    tap_ok(len == want.len && memcmp(out, want.s, len) == 0,
           "spilled store reads back identical");
    free(out);
  }
  dlp_body_free(b);
  free(ibuf);
  free(wbuf);
}

/* test_reads - offsets past the end, negative offsets, short reads */
static void test_reads(void) {
  DLP_BODY *b = dlp_body_create(1024, "/tmp");
  char buf[16];

  dlp_body_write(b, "hello\n", 6);
  dlp_body_finish(b);
  tap_ok(dlp_body_size(b) == 7, "size counts wire bytes");
  tap_ok(dlp_body_read(b, 7, buf, sizeof(buf)) == 0, "read at end gives 0");
  tap_ok(dlp_body_read(b, 100, buf, sizeof(buf)) == 0, "read past end gives 0");
  tap_ok(dlp_body_read(b, 5, buf, sizeof(buf)) == 2 && buf[0] == '\r' &&
             buf[1] == '\n',
         "read near the end is short");
  errno = 0;
  tap_ok(dlp_body_read(b, -1, buf, sizeof(buf)) == -1 && errno == EINVAL,
         "negative offset is EINVAL");
  errno = 0;
  tap_ok(dlp_body_write(b, "x", 1) == -1 && errno == EINVAL,
         "write after finish is EINVAL");
  dlp_body_free(b);
}

/* test_write_error - spilling into a missing directory fails cleanly */
static void test_write_error(void) {
  DLP_BODY *b = dlp_body_create(8, "/nonexistent/dir");
  int rc1, rc2, e1;

  tap_ok(dlp_body_write(b, "short", 5) == 0, "write within limit ok");
  errno = 0;
  rc1 = dlp_body_write(b, "this is longer than 8", 21);
  e1 = errno;
  rc2 = dlp_body_write(b, "x", 1);
  tap_ok(rc1 == -1 && e1 == ENOENT, "spill into missing dir: -1, ENOENT");
  tap_ok(rc2 == -1 && errno == ENOENT, "error is sticky");
  tap_ok(dlp_body_finish(b) == -1, "finish after error fails");
  dlp_body_free(b);
  dlp_body_free(NULL);
}

/* reference - whole-buffer conversion, written independently; its length */
static size_t reference(const char *in, size_t len, char *out) {
  size_t i, n = 0;
  int line_start = 1;

  for (i = 0; i < len; i++) {
    if (in[i] == '\r' && i + 1 < len && in[i + 1] == '\n') {
      out[n++] = '\r', out[n++] = '\n', line_start = 1, i++;
    } else if (in[i] == '\r') {
      out[n++] = ' ', line_start = 0;
    } else if (in[i] == '\n') {
      out[n++] = '\r', out[n++] = '\n', line_start = 1;
    } else {
      if (line_start && in[i] == '.')
        out[n++] = '.';
      out[n++] = in[i], line_start = 0;
    }
  }
  if (!line_start)
    out[n++] = '\r', out[n++] = '\n';
  return n;
}

/* test_random - random inputs, random chunking and limits vs reference */
static void test_random(const char *tmpdir) {
  static const char alphabet[] = "\r\n.\r\n.a\0\xff";
  char in[200], want[600], *out;
  unsigned seed = 4242;
  size_t i, k, len, wlen, off, olen;
  int bad = 0, ok;

  for (i = 0; i < 3000; i++) {
    DLP_BODY *b;

    len = (seed = seed * 1103515245 + 12345) >> 16 & 127;
    for (k = 0; k < len; k++) {
      seed = seed * 1103515245 + 12345;
      in[k] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
    }
    wlen = reference(in, len, want);
    b = dlp_body_create((seed >> 8) % 300, tmpdir);
    ok = b != NULL;
    for (off = 0; ok && off < len; off += k) {
      seed = seed * 1103515245 + 12345;
      k = 1 + (seed >> 16) % 9;
      if (k > len - off)
        k = len - off;
      ok = dlp_body_write(b, in + off, k) == 0;
    }
    ok = ok && dlp_body_finish(b) == 0;
    if (ok) {
      out = read_all(b, 1 + seed % 13, &olen);
      ok = olen == wlen && memcmp(out, want, wlen) == 0 &&
           check_invariants(out, olen);
      free(out);
    }
    if (!ok)
      bad++;
    dlp_body_free(b);
  }
  tap_ok(bad == 0,
         "3000 random inputs, random chunks and spill limits, "
         "match the reference conversion (%d differ)",
         bad);
}

/* hex - S as lowercase hex (static buffer) */
static const char *hex(const unsigned char *s, size_t n) {
  static char buf[2 * 64 + 1];
  size_t i;

  for (i = 0; i < n && i < 64; i++)
    snprintf(buf + 2 * i, 3, "%02x", s[i]);
  buf[2 * i] = '\0';
  return buf;
}

/* sha_of - digest of IN written in pieces of STEP with MEM_LIMIT, or "" */
static const char *sha_of(const struct bytes *in, size_t step,
                          size_t mem_limit) {
  DLP_BODY *b = dlp_body_create(mem_limit, "/tmp");
  unsigned char md[32];
  size_t off, n;
  int ok = b != NULL;

  for (off = 0; ok && off < in->len; off += n) {
    n = in->len - off < step ? in->len - off : step;
    ok = dlp_body_write(b, in->s + off, n) == 0;
  }
  ok = ok && dlp_body_finish(b) == 0 && dlp_body_sha256(b, md) == 0;
  dlp_body_free(b);
  return ok ? hex(md, sizeof(md)) : "";
}

/* test_sha256 - the digest leaves out the stuffing dots (sha256sum) */
static void test_sha256(void) {
  /* canonical form: "From: a@b\r\nSubject: dots\r\n\r\n.leading dot\r\n
     ..two\r\nbare LF\r\nCRLF\r\n.\r\nend \r\n" | sha256sum */
  static const struct bytes msg = B("From: a@b\nSubject: dots\r\n\n.leading "
                                    "dot\n..two\nbare LF\r\nCRLF\n.\nend\r");
  static const char want[] =
      "64204574dd9eb3b0a408ba3e47b210c1224529d84bf089d6c3e520f9023f2383";
  static const struct bytes empty = B(""), one = B("a");
  DLP_BODY *b = dlp_body_create(1024, "/tmp");
  unsigned char md[32];
  size_t step;
  int bad = 0;

  tap_ok(b != NULL && dlp_body_sha256(b, md) < 0 && errno == EINVAL,
         "sha256 before finish: -1 EINVAL");
  dlp_body_free(b);
  tap_ok(strcmp(sha_of(&msg, msg.len, 1 << 20), want) == 0,
         "sha256: dot-leading lines, bare LF, bare CR: sha256sum of the "
         "canonical message (%s)",
         sha_of(&msg, msg.len, 1 << 20));
  for (step = 1; step <= msg.len; step++)
    if (strcmp(sha_of(&msg, step, 1 << 20), want) != 0 ||
        strcmp(sha_of(&msg, step, 7), want) != 0)
      bad++;
  tap_ok(bad == 0, "sha256: the same for every chunk size, memory and "
                   "spilled");
  tap_ok(strcmp(sha_of(&empty, 1, 1024),
                "e3b0c44298fc1c149afbf4c8996fb924"
                "27ae41e4649b934ca495991b7852b855") == 0,
         "sha256 of the empty message");
  tap_ok(strcmp(sha_of(&one, 1, 1024), "8e4621379786ef42a4fec155cd525c29"
                                       "1dd7db3c1fde3478522f4f61c03fd1bd") == 0,
         "sha256 includes the CRLF that finish adds");
}

/* test_no_digest - no digest asked: same wire data, sha256 ENOENT */
static void test_no_digest(void) {
  static const char in[] = "a\n.b\r\nc";
  DLP_BODY *b = dlp_body_create(1024, "/tmp");
  unsigned char md[32];
  char buf[64];
  ssize_t n;

  tap_ok(b != NULL && dlp_body_no_digest(b) == 0 &&
             dlp_body_write(b, in, strlen(in)) == 0 && dlp_body_finish(b) == 0,
         "no digest: write and finish");
  n = b != NULL ? dlp_body_read(b, 0, buf, sizeof(buf)) : -1;
  tap_ok(n == 11 && memcmp(buf, "a\r\n..b\r\nc\r\n", 11) == 0,
         "no digest: the same wire data");
  tap_ok(b != NULL && dlp_body_sha256(b, md) < 0 && errno == ENOENT,
         "no digest: sha256 -1 ENOENT");
  tap_ok(b != NULL && dlp_body_no_digest(b) < 0 && errno == EINVAL,
         "no_digest after writes: -1 EINVAL");
  dlp_body_free(b);
}

int main(void) {
  char tmpdir[] = "/tmp/test_body.XXXXXX";
  size_t i;

  if (mkdtemp(tmpdir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    test_case(&cases[i], tmpdir);
  test_bytewise();
  test_big_line(tmpdir);
  test_reads();
  test_write_error();
  test_random(tmpdir);
  test_sha256();
  test_no_digest();
  tap_ok(count_files(tmpdir) == 0, "no files left in tmpdir");
  rmdir(tmpdir);
  return tap_done();
}
