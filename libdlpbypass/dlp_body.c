/*
 * dlp_body.c - the message store, kept wire-ready for the DATA phase.
 *
 * Contract:
 *   dlp_body_create(mem_limit, tmpdir) makes an empty store.
 *   dlp_body_write(b, data, len) appends raw message bytes, converted on
 *   the way in, statefully across calls (a chunk may end anywhere):
 *     - CR LF stays CRLF, also when CR ends one chunk and LF starts the next;
 *     - a bare LF becomes CRLF;
 *     - a bare CR (not followed by LF) becomes a space (Postfix 3.9's
 *       cleanup_replace_stray_cr_lf): no lone CR or LF ever reaches the
 *       DLP, so nothing in the message can end the data early;
 *     - a '.' that starts a line gets a second '.' (RFC 5321 4.5.2);
 *     - all other bytes, NUL and 8-bit included, pass unchanged.
 *   dlp_body_finish(b) settles a trailing bare CR and adds CRLF when the
 *   last line lacks one; an empty message stays empty (the sender then
 *   sends only ".\r\n").  It may be called again (no-op); writes after it
 *   fail with EINVAL.
 *   Up to mem_limit bytes of wire data are kept in memory; the first write
 *   beyond moves everything into an unlinked mkstemp() file in tmpdir.
 *   dlp_body_read(b, off, buf, len) copies stored wire data by offset
 *   (pread on the file), 0 at the end.
 *   Write, read and finish return -1 with errno set on failure; a failed
 *   write leaves the store unusable (every later write fails the same way).
 *   dlp_body_sha256(b, out) gives, after dlp_body_finish, the SHA-256 of
 *   the canonical message: the stored bytes without the dots added by
 *   dot-stuffing, i.e. what the DLP has after SMTP un-stuffing (CRLF line
 *   ends, no end-of-data dot).  It is computed on the way in (OpenSSL
 *   EVP), never by reading the store back; the digest context is made at
 *   the first write.  dlp_body_no_digest(b), before the first write,
 *   turns it off (no audit trail wants it): dlp_body_sha256 then fails
 *   with ENOENT.
 *   Runs of bytes without CR or LF are copied whole (memchr), not byte
 *   by byte: the conversion above is the same, only faster.
 */
#include "config.h"

#include "dlp_private.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BODY_CHUNK 16384 /* converted bytes staged before storing */

struct dlp_body {
  size_t mem_limit; /* bytes kept in memory before spilling */
  char *tmpdir;     /* where the spill file goes */
  char *mem;        /* wire data while in memory */
  size_t mem_cap;
  int fd;                   /* spill file, -1 while in memory */
  off_t size;               /* wire bytes stored */
  int line_start;           /* the next byte starts a line */
  int pending_cr;           /* the last raw byte was a CR, its LF may follow */
  int finished;             /* dlp_body_finish() was called */
  int error;                /* errno of a failed write, sticky */
  EVP_MD_CTX *md;           /* SHA-256 of the canonical (unstuffed) bytes */
  int no_digest;            /* dlp_body_no_digest(): md stays NULL */
  unsigned char sha256[32]; /* its value once finished */
};

/* dlp_body_create - empty store; spill above MEM_LIMIT bytes into TMPDIR */
DLP_BODY *dlp_body_create(size_t mem_limit, const char *tmpdir) {
  DLP_BODY *body = calloc(1, sizeof(*body));

  if (body == NULL)
    return NULL;
  if ((body->tmpdir = strdup(tmpdir != NULL ? tmpdir : "/tmp")) == NULL) {
    free(body);
    return NULL;
  }
  body->mem_limit = mem_limit;
  body->fd = -1;
  body->line_start = 1;
  return body;
}

/* dlp_body_no_digest - no SHA-256 for this store; before the first write */
int dlp_body_no_digest(DLP_BODY *body) {
  if (body->md != NULL || body->size > 0 || body->finished) {
    errno = EINVAL;
    return -1;
  }
  body->no_digest = 1;
  return 0;
}

/* body_digest_init - the digest context, made at the first use; 0 or -1 */
static int body_digest_init(DLP_BODY *body) {
  if (body->no_digest || body->md != NULL)
    return 0;
  if ((body->md = EVP_MD_CTX_new()) == NULL ||
      EVP_DigestInit_ex(body->md, EVP_sha256(), NULL) != 1) {
    EVP_MD_CTX_free(body->md);
    body->md = NULL;
    errno = ENOMEM;
    return -1;
  }
  return 0;
}

/* body_write_all - write LEN bytes to FD; 0 or -1 (errno set) */
static int body_write_all(int fd, const char *p, size_t len) {
  ssize_t n;

  while (len > 0) {
    if ((n = write(fd, p, len)) < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    if (n == 0) {
      errno = EIO;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* body_spill - move the memory contents into a new unlinked file; 0/-1 */
static int body_spill(DLP_BODY *body) {
  size_t n = strlen(body->tmpdir) + sizeof("/dlpbypass.XXXXXX");
  char *path = malloc(n);
  int fd, saved;

  if (path == NULL)
    return -1;
  snprintf(path, n, "%s/dlpbypass.XXXXXX", body->tmpdir);
  if ((fd = mkstemp(path)) < 0) {
    free(path);
    return -1;
  }
  unlink(path);
  free(path);
  (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
  if (body_write_all(fd, body->mem, (size_t)body->size) < 0) {
    saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  body->fd = fd;
  free(body->mem);
  body->mem = NULL;
  body->mem_cap = 0;
  return 0;
}

/* body_store - append converted bytes P[0..LEN); 0 or -1 (errno set) */
static int body_store(DLP_BODY *body, const char *p, size_t len) {
  size_t need = (size_t)body->size + len, cap;
  char *mem;

  if (len == 0)
    return 0;
  if (body->fd < 0 && need > body->mem_limit && body_spill(body) < 0)
    return -1;
  if (body->fd >= 0) {
    if (body_write_all(body->fd, p, len) < 0)
      return -1;
  } else {
    if (need > body->mem_cap) {
      cap = body->mem_cap ? body->mem_cap : 4096;
      while (cap < need)
        cap *= 2;
      if (cap > body->mem_limit)
        cap = body->mem_limit;
      if ((mem = realloc(body->mem, cap)) == NULL)
        return -1;
      body->mem = mem;
      body->mem_cap = cap;
    }
    memcpy(body->mem + body->size, p, len);
  }
  body->size += (off_t)len;
  return 0;
}

/* body_hash - add canonical bytes P[0..LEN) to the digest; 0 or -1 */
static int body_hash(DLP_BODY *body, const char *p, size_t len) {
  if (len == 0 || body->md == NULL || EVP_DigestUpdate(body->md, p, len) == 1)
    return 0;
  errno = EIO;
  return -1;
}

/* body_fail - make a write error sticky; -1 */
static int body_fail(DLP_BODY *body) {
  body->error = errno ? errno : EIO;
  return -1;
}

/* body_run - bytes of P[0..LEN) before the first CR or LF, at most MAX */
static size_t body_run(const unsigned char *p, size_t len, size_t max) {
  const unsigned char *e;

  if (len > max)
    len = max;
  if ((e = memchr(p, '\n', len)) != NULL)
    len = (size_t)(e - p);
  if ((e = memchr(p, '\r', len)) != NULL)
    len = (size_t)(e - p);
  return len;
}

/* dlp_body_write - append raw message bytes, converted for the wire */
int dlp_body_write(DLP_BODY *body, const void *data, size_t len) {
  const unsigned char *in = data;
  char out[BODY_CHUNK + 4];
  size_t i, n = 0, h = 0; /* out[h..n) not hashed yet */

  if (body->error || body->finished) {
    errno = body->error ? body->error : EINVAL;
    return -1;
  }
  if (body_digest_init(body) < 0)
    return body_fail(body);
  for (i = 0; i < len; i++) {
    unsigned char c = in[i];
    size_t run;

    if (n >= BODY_CHUNK) {
      if (body_hash(body, out + h, n - h) < 0 || body_store(body, out, n) < 0)
        return body_fail(body);
      n = h = 0;
    }
    if (!body->pending_cr && !body->line_start && c != '\r' && c != '\n') {
      run = body_run(in + i, len - i, BODY_CHUNK - n); /* plain bytes */
      memcpy(out + n, in + i, run);
      n += run;
      i += run - 1;
      continue;
    }
    if (body->pending_cr) {
      body->pending_cr = 0;
      if (c == '\n') {
        out[n++] = '\r';
        out[n++] = '\n';
        body->line_start = 1;
        continue;
      }
      out[n++] = ' '; /* bare CR: a space in the middle of the line */
      body->line_start = 0;
    }
    if (c == '\r') {
      body->pending_cr = 1;
    } else if (c == '\n') {
      out[n++] = '\r'; /* bare LF */
      out[n++] = '\n';
      body->line_start = 1;
    } else {
      if (body->line_start && c == '.') {
        if (body_hash(body, out + h, n - h) < 0)
          return body_fail(body);
        out[n++] = '.'; /* the stuffing dot: not in the digest */
        h = n;
      }
      out[n++] = (char)c;
      body->line_start = 0;
    }
  }
  if (body_hash(body, out + h, n - h) < 0 || body_store(body, out, n) < 0)
    return body_fail(body);
  return 0;
}

/* dlp_body_finish - close the last line; no writes after */
int dlp_body_finish(DLP_BODY *body) {
  char out[3];
  size_t n = 0;

  if (body->error) {
    errno = body->error;
    return -1;
  }
  if (body->finished)
    return 0;
  if (body->pending_cr) {
    out[n++] = ' ';
    body->pending_cr = 0;
    body->line_start = 0;
  }
  if (!body->line_start) {
    out[n++] = '\r';
    out[n++] = '\n';
    body->line_start = 1;
  }
  if (body_digest_init(body) < 0 || body_hash(body, out, n) < 0 ||
      body_store(body, out, n) < 0 ||
      (body->md != NULL &&
       EVP_DigestFinal_ex(body->md, body->sha256, NULL) != 1))
    return body_fail(body);
  body->finished = 1;
  return 0;
}

/* dlp_body_sha256 - SHA-256 of the canonical message, after finish */
int dlp_body_sha256(const DLP_BODY *body, unsigned char out[32]) {
  if (!body->finished || body->error || body->md == NULL) {
    errno = body->error ? body->error : body->finished ? ENOENT : EINVAL;
    return -1;
  }
  memcpy(out, body->sha256, sizeof(body->sha256));
  return 0;
}

/* dlp_body_size - bytes of wire data stored so far */
off_t dlp_body_size(const DLP_BODY *body) {
  return body->size;
}

/* dlp_body_spilled - non-zero when the data lives in a file */
int dlp_body_spilled(const DLP_BODY *body) {
  return body->fd >= 0;
}

/* dlp_body_read - copy up to LEN bytes of wire data from OFF into BUF */
ssize_t dlp_body_read(const DLP_BODY *body, off_t off, void *buf, size_t len) {
  ssize_t n;

  if (off < 0) {
    errno = EINVAL;
    return -1;
  }
  if (off >= body->size || len == 0)
    return 0;
  if ((off_t)len > body->size - off)
    len = (size_t)(body->size - off);
  if (len > (size_t)SSIZE_MAX)
    len = (size_t)SSIZE_MAX;
  if (body->fd < 0) {
    memcpy(buf, body->mem + off, len);
    return (ssize_t)len;
  }
  do
    n = pread(body->fd, buf, len, off);
  while (n < 0 && errno == EINTR);
  return n;
}

/* dlp_body_free - release the store and its file */
void dlp_body_free(DLP_BODY *body) {
  if (body == NULL)
    return;
  if (body->fd >= 0)
    close(body->fd);
  EVP_MD_CTX_free(body->md);
  free(body->mem);
  free(body->tmpdir);
  free(body);
}
