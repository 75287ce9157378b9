/*
 * fuzz_body.c - libFuzzer target for the message store: CRLF
 * canonicalisation and dot-stuffing (dlp_body.c).
 *
 * Input: byte 0 picks the memory limit (0: never spill; else spill above
 * a few bytes .. 64 KiB), byte 1 seeds the chunk sizes the message is
 * written in (0: one write), the rest is the raw message.  The wire data
 * read back must:
 *   - equal a one-pass reference conversion of the whole message (so it
 *     cannot depend on where the chunks were cut, or on spilling);
 *   - hold no CR without LF after it and no LF without CR before it;
 *   - have every line that starts with '.' start with "..", so that no
 *     line is a lone "." and the only end-of-data is the one the sender
 *     adds (no SMTP smuggling);
 *   - be empty or end in CRLF;
 * and dlp_body_size() must agree, writes after dlp_body_finish() fail.
 * A violation aborts (a finding).
 */
#include "dlpbypass.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* reference - the conversion done in one pass, independently; *OUTLEN */
static char *reference(const uint8_t *in, size_t len, size_t *outlen) {
  char *out = malloc(2 * len + 3);
  size_t i, n = 0;
  int line_start = 1;

  if (out == NULL)
    abort();
  for (i = 0; i < len; i++) {
    if (in[i] == '\r' && i + 1 < len && in[i + 1] == '\n') {
      i++;
      out[n++] = '\r', out[n++] = '\n', line_start = 1;
    } else if (in[i] == '\n') {
      out[n++] = '\r', out[n++] = '\n', line_start = 1;
    } else if (in[i] == '\r') {
      out[n++] = ' ', line_start = 0;
    } else {
      if (line_start && in[i] == '.')
        out[n++] = '.';
      out[n++] = (char)in[i], line_start = 0;
    }
  }
  if (!line_start)
    out[n++] = '\r', out[n++] = '\n';
  *outlen = n;
  return out;
}

/* check_wire - the wire properties of W[0..LEN), independent of reference */
static void check_wire(const char *w, size_t len) {
  size_t i;

  if (len > 0 && (len < 2 || w[len - 2] != '\r' || w[len - 1] != '\n'))
    abort();
  for (i = 0; i < len; i++) {
    if (w[i] == '\r' && (i + 1 >= len || w[i + 1] != '\n'))
      abort(); /* bare CR */
    if (w[i] == '\n' && (i == 0 || w[i - 1] != '\r'))
      abort(); /* bare LF */
    if ((i == 0 || w[i - 1] == '\n') && w[i] == '.' &&
        (i + 1 >= len || w[i + 1] != '.'))
      abort(); /* a line starting with an unstuffed dot */
  }
}

/* read_all - the stored wire data, read back in pieces of varying size */
static char *read_all(DLP_BODY *body, size_t len, unsigned seed) {
  char *w = malloc(len + 1);
  size_t off = 0, want;
  ssize_t n;

  if (w == NULL)
    abort();
  while (off < len) {
    seed = seed * 1103515245u + 12345u;
    want = 1 + (seed >> 16) % 4096;
    if ((n = dlp_body_read(body, (off_t)off, w + off, want)) <= 0)
      abort();
    off += (size_t)n;
  }
  if (dlp_body_read(body, (off_t)len, w, 16) != 0)
    abort(); /* data past the end */
  return w;
}

/* LLVMFuzzerTestOneInput - one message, written in chunks, read back */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t limit, off, chunk, reflen;
  unsigned seed;
  int one_write;
  DLP_BODY *body;
  char *ref, *wire;
  const char *tmp = getenv("TMPDIR");

  if (size < 2)
    return 0;
  limit = data[0] == 0 ? (size_t)1 << 30 : (size_t)data[0] * data[0];
  seed = data[1];
  one_write = data[1] == 0;
  data += 2;
  size -= 2;
  if ((body = dlp_body_create(limit, tmp ? tmp : "/tmp")) == NULL)
    abort();
  for (off = 0; off < size; off += chunk) {
    seed = seed * 1103515245u + 12345u;
    chunk = one_write ? size : 1 + (seed >> 16) % 17;
    if (chunk > size - off)
      chunk = size - off;
    if (dlp_body_write(body, data + off, chunk) != 0)
      abort();
  }
  if (dlp_body_finish(body) != 0 || dlp_body_finish(body) != 0)
    abort();
  if (dlp_body_write(body, "x", 1) != -1 || errno != EINVAL)
    abort();
  ref = reference(data, size, &reflen);
  if ((size_t)dlp_body_size(body) != reflen)
    abort();
  wire = read_all(body, reflen, seed);
  check_wire(wire, reflen);
  if (memcmp(wire, ref, reflen) != 0)
    abort();
  if ((reflen > limit) != (dlp_body_spilled(body) != 0))
    abort(); /* spilled although it fit, or kept in memory although not */
  free(wire);
  free(ref);
  dlp_body_free(body);
  return 0;
}
