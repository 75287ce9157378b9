/*
 * dlp_tls.c - STARTTLS client side for the DLP hosts (OpenSSL).
 *
 * Contract (see dlp_tls.h):
 *   dlp_tls_create()     one SSL_CTX per configuration: protocol floor
 *                        (dlp.tls.protocols, TLSv1.2 by default), cipher
 *                        list (TLS 1.2 names and TLS 1.3 "TLS_*" suites),
 *                        CA file/path (the system default paths when
 *                        neither is set), client certificate and key.
 *                        NULL + the reason when any of them is bad.
 *   dlp_tls_handshake()  after "220" to STARTTLS, with nothing else
 *                        buffered: non-blocking SSL_connect with poll()
 *                        against the deadline, SNI = the match name,
 *                        then the checks of the level:
 *                          may      none (opportunistic)
 *                          encrypt  none, unless fingerprints are set
 *                          verify   chain to the CA and name match
 *                        and, at encrypt and verify, when dlp.tls.
 *                        fingerprint is set, the SHA-256 digest of the
 *                        leaf certificate must be one of them (so
 *                        encrypt + fingerprint accepts a pinned
 *                        self-signed certificate).  0 and the SSL object
 *                        installed in the DLP_IO, or -1 with the reason
 *                        (TLS_FAILED 4.7.5: dlp_class.c); nothing is ever
 *                        written to the peer after a failed check.
 *   dlp_tls_free()       drop the configuration's reference.
 *
 * Like Postfix's smtp client, the handshake itself never aborts on a
 * certificate problem (SSL_VERIFY_NONE); the chain result that OpenSSL
 * records anyway, and the digest, are checked once it is done, so the
 * error names the exact reason ("certificate has expired").
 *
 * Session resumption: one SSL_SESSION per DLP host (server label), under
 * a mutex.  It is offered with SSL_set_session before the handshake and
 * replaced from the new-session callback, which is how TLS 1.3 tickets
 * (sent after the handshake, read with the first reply) arrive too.
 * Each handshake is offered a copy, so that a ticket stays usable when
 * the server sends no new one on resumption (as Postfix's client does).  The
 * SSL knows its cache slot through ex_data.  The cache hangs on the
 * SSL_CTX (ex_data with a free function), so it lives as long as the
 * last connection that might still receive a ticket.  A session whose
 * checks failed is never stored.
 */
#include "config.h"

#include "dlp_tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* One cached session. */
struct tls_slot {
  char *key;            /* server label "host:port" */
  SSL_SESSION *session; /* NULL until one arrives */
  int usable;           /* set once a handshake passed the checks */
};

/* The session cache, hung on the SSL_CTX. */
struct tls_cache {
  pthread_mutex_t lock;
  struct tls_slot **slots; /* each slot stays put: SSLs point to it */
  size_t nslots;
};

struct dlp_tls {
  SSL_CTX *ctx;            /* holds the cache in ex_data */
  struct tls_cache *cache; /* borrowed from ctx */
  char **fingerprints;     /* normalised: upper-case hex, no colons */
  size_t nfingerprints;
  char *match; /* NULL: the server's host */
};

static int ctx_index = -1; /* SSL_CTX ex_data: struct tls_cache */
static int ssl_index = -1; /* SSL ex_data: struct tls_slot (borrowed) */
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

/* cache_free - SSL_CTX ex_data destructor: free the session cache */
static void cache_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
                       long argl, void *argp) {
  struct tls_cache *c = ptr;
  size_t i;

  (void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
  if (c == NULL)
    return;
  for (i = 0; i < c->nslots; i++) {
    free(c->slots[i]->key);
    SSL_SESSION_free(c->slots[i]->session);
    free(c->slots[i]);
  }
  free(c->slots);
  pthread_mutex_destroy(&c->lock);
  free(c);
}

/* index_init - allocate the ex_data indexes once */
static void index_init(void) {
  ctx_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, cache_free);
  ssl_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

/* cache_slot - the slot for KEY, created if new; NULL when out of memory */
static struct tls_slot *cache_slot(struct tls_cache *c, const char *key) {
  struct tls_slot *s, **grown;
  size_t i;

  for (i = 0; i < c->nslots; i++)
    if (strcmp(c->slots[i]->key, key) == 0)
      return c->slots[i];
  if ((grown = realloc(c->slots, (c->nslots + 1) * sizeof(*grown))) == NULL)
    return NULL;
  c->slots = grown;
  if ((s = calloc(1, sizeof(*s))) == NULL)
    return NULL;
  if ((s->key = strdup(key)) == NULL) {
    free(s);
    return NULL;
  }
  c->slots[c->nslots++] = s;
  return s;
}

/* new_session_cb - store a session (ticket) the server just gave us */
static int new_session_cb(SSL *ssl, SSL_SESSION *sess) {
  SSL_CTX *ctx = SSL_get_SSL_CTX(ssl);
  struct tls_cache *c = SSL_CTX_get_ex_data(ctx, ctx_index);
  struct tls_slot *slot = SSL_get_ex_data(ssl, ssl_index);
  SSL_SESSION *old = NULL;
  int taken = 0;

  if (c == NULL || slot == NULL)
    return 0;
  pthread_mutex_lock(&c->lock);
  if (slot->usable) {
    old = slot->session;
    slot->session = sess;
    taken = 1;
  }
  pthread_mutex_unlock(&c->lock);
  SSL_SESSION_free(old);
  return taken; /* 1: we keep the reference */
}

/* parse_protocol - "TLSv1.2" (or ">=TLSv1.2") to a version; 0 if unknown */
static int parse_protocol(const char *p) {
  static const struct {
    const char *name;
    int version;
  } tab[] = {{"TLSv1", TLS1_VERSION},
             {"TLSv1.1", TLS1_1_VERSION},
             {"TLSv1.2", TLS1_2_VERSION},
             {"TLSv1.3", TLS1_3_VERSION}};
  size_t i;

  if (strncmp(p, ">=", 2) == 0)
    p += 2;
  while (*p == ' ')
    p++;
  for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
    if (strcasecmp(p, tab[i].name) == 0)
      return tab[i].version;
  return 0;
}

/* set_ciphers - split LIST into TLS 1.3 suites ("TLS_*") and the rest */
static int set_ciphers(SSL_CTX *ctx, const char *list) {
  char *copy = strdup(list), *tok, *save = NULL;
  char *v12 = calloc(1, strlen(list) + 1), *v13 = calloc(1, strlen(list) + 1);
  int ok = copy != NULL && v12 != NULL && v13 != NULL;

  for (tok = ok ? strtok_r(copy, ":, ", &save) : NULL; tok != NULL;
       tok = strtok_r(NULL, ":, ", &save)) {
    char *dst = strncmp(tok, "TLS_", 4) == 0 ? v13 : v12;

    if (*dst)
      strcat(dst, ":");
    strcat(dst, tok);
  }
  if (ok && *v12 && !SSL_CTX_set_cipher_list(ctx, v12))
    ok = 0;
  if (ok && *v13 && !SSL_CTX_set_ciphersuites(ctx, v13))
    ok = 0;
  free(copy), free(v12), free(v13);
  return ok;
}

/* normalise_fp - "ab:cd:..." to "ABCD..." in a new string; NULL if bad */
static char *normalise_fp(const char *in) {
  char *out = malloc(strlen(in) + 1), *o = out;

  if (out == NULL)
    return NULL;
  for (; *in; in++) {
    if (*in == ':' || *in == ' ')
      continue;
    if (!((*in >= '0' && *in <= '9') || (*in >= 'a' && *in <= 'f') ||
          (*in >= 'A' && *in <= 'F'))) {
      free(out);
      return NULL;
    }
    *o++ = (char)(*in >= 'a' ? *in - 'a' + 'A' : *in);
  }
  *o = 0;
  if (o - out != 2 * SHA256_DIGEST_LENGTH) {
    free(out);
    return NULL;
  }
  return out;
}

/* ssl_error_text - the first queued OpenSSL error, or WHAT */
static void ssl_error_text(char *buf, size_t len, const char *what) {
  unsigned long e = ERR_peek_error();
  const char *r = e ? ERR_reason_error_string(e) : NULL;
  char text[256];

  if (e != 0 && ERR_SYSTEM_ERROR(e))
    snprintf(buf, len, "%s: %s", what, strerror(ERR_GET_REASON(e)));
  else if (r != NULL)
    snprintf(buf, len, "%s: %s", what, r);
  else if (e != 0) {
    ERR_error_string_n(e, text, sizeof(text));
    snprintf(buf, len, "%s: %s", what, text);
  } else
    snprintf(buf, len, "%s", what);
  ERR_clear_error();
}

/* ctx_credentials - CA locations and client certificate; 0 or -1 */
static int ctx_credentials(SSL_CTX *ctx, const struct dlp_tls_config *cfg,
                           char *err, size_t errlen) {
  const char *key = cfg->key_file ? cfg->key_file : cfg->cert_file;

  if (cfg->ca_file != NULL || cfg->ca_path != NULL) {
    if (!SSL_CTX_load_verify_locations(ctx, cfg->ca_file, cfg->ca_path)) {
      ssl_error_text(err, errlen, "dlp.tls: cannot load ca_file/ca_path");
      return -1;
    }
  } else if (!SSL_CTX_set_default_verify_paths(ctx)) {
    ssl_error_text(err, errlen, "dlp.tls: cannot load the default CAs");
    return -1;
  }
  if (cfg->cert_file == NULL && cfg->key_file != NULL) {
    snprintf(err, errlen, "dlp.tls: key_file given without cert_file");
    return -1;
  }
  if (cfg->cert_file == NULL)
    return 0;
  if (!SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file)) {
    ssl_error_text(err, errlen, "dlp.tls: cannot load cert_file");
    return -1;
  }
  if (!SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM)) {
    ssl_error_text(err, errlen,
                   ERR_GET_REASON(ERR_peek_error()) ==
                           X509_R_KEY_VALUES_MISMATCH
                       ? "dlp.tls: key_file does not match cert_file"
                       : "dlp.tls: cannot load key_file");
    return -1;
  }
  if (!SSL_CTX_check_private_key(ctx)) {
    ssl_error_text(err, errlen, "dlp.tls: key_file does not match cert_file");
    return -1;
  }
  return 0;
}

/* ctx_build - the SSL_CTX for CFG; NULL + reason */
static SSL_CTX *ctx_build(const struct dlp_tls_config *cfg, char *err,
                          size_t errlen) {
  int floor = TLS1_2_VERSION;
  SSL_CTX *ctx;

  if (cfg->protocols != NULL && (floor = parse_protocol(cfg->protocols)) == 0) {
    snprintf(err, errlen,
             "dlp.tls.protocols: \"%s\" is not TLSv1, TLSv1.1, TLSv1.2 or "
             "TLSv1.3",
             cfg->protocols);
    return NULL;
  }
  if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
    ssl_error_text(err, errlen, "dlp.tls: SSL_CTX_new");
    return NULL;
  }
  SSL_CTX_set_min_proto_version(ctx, floor);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                            SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
                                          SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, new_session_cb);
  if (cfg->ciphers != NULL && !set_ciphers(ctx, cfg->ciphers)) {
    ssl_error_text(err, errlen, "dlp.tls.ciphers: no usable cipher");
    SSL_CTX_free(ctx);
    return NULL;
  }
  if (ctx_credentials(ctx, cfg, err, errlen) < 0) {
    SSL_CTX_free(ctx);
    return NULL;
  }
  return ctx;
}

/* dlp_tls_create - build the client context from CFG */
DLP_TLS *dlp_tls_create(const struct dlp_tls_config *cfg, char *err,
                        size_t errlen) {
  DLP_TLS *tls;
  size_t i;

  pthread_once(&index_once, index_init);
  if (ctx_index < 0 || ssl_index < 0) {
    snprintf(err, errlen, "dlp.tls: cannot allocate OpenSSL ex_data");
    return NULL;
  }
  if ((tls = calloc(1, sizeof(*tls))) == NULL ||
      (tls->cache = calloc(1, sizeof(*tls->cache))) == NULL) {
    free(tls);
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  pthread_mutex_init(&tls->cache->lock, NULL);
  if ((tls->ctx = ctx_build(cfg, err, errlen)) == NULL) {
    cache_free(NULL, tls->cache, NULL, 0, 0, NULL);
    free(tls);
    return NULL;
  }
  SSL_CTX_set_ex_data(tls->ctx, ctx_index, tls->cache); /* ctx owns it */
  if (cfg->nfingerprints > 0 &&
      (tls->fingerprints = calloc(cfg->nfingerprints, sizeof(char *))) ==
          NULL) {
    dlp_tls_free(tls);
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  for (i = 0; i < cfg->nfingerprints; i++) {
    tls->fingerprints[tls->nfingerprints] = normalise_fp(cfg->fingerprints[i]);
    if (tls->fingerprints[tls->nfingerprints] == NULL) {
      snprintf(err, errlen,
               "dlp.tls.fingerprint: \"%s\" is not a SHA-256 digest "
               "(64 hex digits, colons allowed)",
               cfg->fingerprints[i]);
      dlp_tls_free(tls);
      return NULL;
    }
    tls->nfingerprints++;
  }
  if (cfg->match != NULL && (tls->match = strdup(cfg->match)) == NULL) {
    dlp_tls_free(tls);
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  return tls;
}

/* dlp_tls_free - release the context (the cache goes with the last SSL) */
void dlp_tls_free(DLP_TLS *tls) {
  size_t i;

  if (tls == NULL)
    return;
  SSL_CTX_free(tls->ctx);
  for (i = 0; i < tls->nfingerprints; i++)
    free(tls->fingerprints[i]);
  free(tls->fingerprints);
  free(tls->match);
  free(tls);
}

/* is_ip_literal - NAME is an IPv4 or IPv6 address */
static int is_ip_literal(const char *name) {
  unsigned char buf[sizeof(struct in6_addr)];

  return inet_pton(AF_INET, name, buf) == 1 ||
         inet_pton(AF_INET6, name, buf) == 1;
}

/* set_match - SNI and the names the certificate must carry; 0 or -1 */
static int set_match(SSL *ssl, const char *match, int verify) {
  X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
  char *copy = strdup(match), *tok, *save = NULL;
  int first = 1, ok = copy != NULL;

  X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  for (tok = ok ? strtok_r(copy, ", ", &save) : NULL; tok && ok;
       tok = strtok_r(NULL, ", ", &save)) {
    if (is_ip_literal(tok)) {
      if (verify && first)
        ok = X509_VERIFY_PARAM_set1_ip_asc(vp, tok);
      /* one IP only; OpenSSL has no add1_ip: extra names must be DNS */
    } else {
      if (first && !SSL_set_tlsext_host_name(ssl, tok))
        ok = 0;
      if (verify)
        ok = ok && (first ? X509_VERIFY_PARAM_set1_host(vp, tok, 0)
                          : X509_VERIFY_PARAM_add1_host(vp, tok, 0));
    }
    first = 0;
  }
  free(copy);
  return ok ? 0 : -1;
}

/* run_connect - SSL_connect until done or DEADLINE; 0 or -1 + reason */
static int run_connect(SSL *ssl, int fd, int64_t deadline_ms, char *err,
                       size_t errlen) {
  int r, e, w;

  for (;;) {
    ERR_clear_error();
    errno = 0;
    if ((r = SSL_connect(ssl)) == 1)
      return 0;
    e = SSL_get_error(ssl, r);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
      break;
    w = dlp_io_wait(fd, e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN,
                    deadline_ms);
    if (w == 0) {
      snprintf(err, errlen, "TLS handshake timed out");
      return -1;
    }
    if (w < 0) {
      snprintf(err, errlen, "TLS handshake: poll: %s", strerror(errno));
      return -1;
    }
  }
  if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
    snprintf(err, errlen, "TLS handshake failed: %s",
             errno ? strerror(errno) : "connection closed by the server");
  else if (e == SSL_ERROR_ZERO_RETURN)
    snprintf(err, errlen, "TLS handshake failed: closed by the server");
  else
    ssl_error_text(err, errlen, "TLS handshake failed");
  ERR_clear_error();
  return -1;
}

/* cert_digest - SHA-256 of CERT as "AB:CD:..." into HEX (97 bytes) */
static void cert_digest(X509 *cert, char *hex, size_t len) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0, i;
  size_t o = 0;

  hex[0] = 0;
  if (!X509_digest(cert, EVP_sha256(), md, &n))
    return;
  for (i = 0; i < n && o + 3 < len; i++)
    o += (size_t)snprintf(hex + o, len - o, "%s%02X", i ? ":" : "", md[i]);
}

/* fp_listed - the colon form HEX is one of the pinned digests */
static int fp_listed(const DLP_TLS *tls, const char *hex) {
  char flat[2 * EVP_MAX_MD_SIZE + 1];
  size_t i, o = 0;

  for (; *hex && o + 1 < sizeof(flat); hex++)
    if (*hex != ':')
      flat[o++] = *hex;
  flat[o] = 0;
  for (i = 0; i < tls->nfingerprints; i++)
    if (strcmp(tls->fingerprints[i], flat) == 0)
      return 1;
  return 0;
}

/* check_peer - the level's certificate checks; 0, or -1 + reason */
static int check_peer(const DLP_TLS *tls, SSL *ssl, int level,
                      const char *match, char *subject, size_t subjlen,
                      char *hex, size_t hexlen, char *err, size_t errlen) {
  X509 *cert = SSL_get1_peer_certificate(ssl);
  long vr;

  subject[0] = hex[0] = 0;
  if (level < DLP_TLS_ENCRYPT ||
      (level == DLP_TLS_ENCRYPT && tls->nfingerprints == 0)) {
    X509_free(cert); /* may, or encrypt without pins: anything goes */
    return 0;
  }
  if (cert == NULL) {
    snprintf(err, errlen, "the server sent no certificate");
    return -1;
  }
  X509_NAME_oneline(X509_get_subject_name(cert), subject, (int)subjlen);
  cert_digest(cert, hex, hexlen);
  X509_free(cert);
  if (level >= DLP_TLS_VERIFY &&
      (vr = SSL_get_verify_result(ssl)) != X509_V_OK) {
    if (vr == X509_V_ERR_HOSTNAME_MISMATCH ||
        vr == X509_V_ERR_IP_ADDRESS_MISMATCH)
      snprintf(err, errlen,
               "certificate verify failed: the certificate (%s) does not "
               "match \"%s\"",
               subject, match);
    else
      snprintf(err, errlen, "certificate verify failed: %s (subject %s)",
               X509_verify_cert_error_string(vr), subject);
    return -1;
  }
  if (tls->nfingerprints > 0 && !fp_listed(tls, hex)) {
    snprintf(err, errlen,
             "certificate fingerprint sha256=%s (subject %s) is not in "
             "dlp.tls.fingerprint",
             hex, subject);
    return -1;
  }
  return 0;
}

/* slot_for - the cache slot of SERVER and its session (a reference) */
static struct tls_slot *slot_for(DLP_TLS *tls, const struct dlp_server *server,
                                 SSL_SESSION **sess) {
  struct tls_cache *c = tls->cache;
  struct tls_slot *slot;

  *sess = NULL;
  pthread_mutex_lock(&c->lock);
  slot = cache_slot(c, server->label ? server->label : server->host);
  /* a copy: OpenSSL marks a TLS 1.3 session it resumed as used up, but
     a server that sends no new ticket on resumption (Postfix) takes the
     same ticket again, as Postfix's own client offers it again */
  if (slot != NULL && slot->session != NULL &&
      SSL_SESSION_is_resumable(slot->session))
    *sess = SSL_SESSION_dup(slot->session);
  pthread_mutex_unlock(&c->lock);
  return slot;
}

/* slot_settle - after the checks: allow storing (OK) or forget the host */
static void slot_settle(DLP_TLS *tls, struct tls_slot *slot, SSL *ssl, int ok) {
  SSL_SESSION *old = NULL, *now = ok ? SSL_get1_session(ssl) : NULL;

  if (slot == NULL) {
    SSL_SESSION_free(now);
    return;
  }
  pthread_mutex_lock(&tls->cache->lock);
  slot->usable = ok;
  /* failed: forget the host's session.  A full TLS 1.2 handshake: keep
     its session.  TLS 1.3: tickets arrive later (new_session_cb).  A
     resumed session stays as it is: servers such as Postfix send no new
     ticket on resumption, and the one we hold can be offered again. */
  if (!ok || (now != NULL && !SSL_session_reused(ssl) &&
              SSL_SESSION_is_resumable(now))) {
    old = slot->session;
    slot->session = now, now = NULL;
  }
  pthread_mutex_unlock(&tls->cache->lock);
  SSL_SESSION_free(old);
  SSL_SESSION_free(now);
}

/* dlp_tls_handshake - client handshake on IO for SERVER at LEVEL */
int dlp_tls_handshake(DLP_TLS *tls, DLP_IO *io, const struct dlp_server *server,
                      int level, int64_t deadline_ms, char *info,
                      size_t infolen, char *err, size_t errlen) {
  const char *match = tls->match ? tls->match : server->host;
  char subject[256], hex[3 * EVP_MAX_MD_SIZE + 1];
  SSL_SESSION *sess;
  struct tls_slot *slot;
  SSL *ssl;
  int checked = 0;

  if (infolen)
    info[0] = 0;
  if (dlp_io_pending(io) > 0) {
    snprintf(err, errlen, "unexpected data after the reply to STARTTLS");
    return -1;
  }
  if ((ssl = SSL_new(tls->ctx)) == NULL || !SSL_set_fd(ssl, dlp_io_fd(io)) ||
      set_match(ssl, match, level >= DLP_TLS_VERIFY) < 0) {
    ssl_error_text(err, errlen, "TLS setup failed");
    SSL_free(ssl);
    return -1;
  }
  slot = slot_for(tls, server, &sess);
  SSL_set_ex_data(ssl, ssl_index, slot);
  if (sess != NULL) {
    SSL_set_session(ssl, sess);
    SSL_SESSION_free(sess);
  }
  if (run_connect(ssl, dlp_io_fd(io), deadline_ms, err, errlen) < 0 ||
      (checked = 1, check_peer(tls, ssl, level, match, subject, sizeof(subject),
                               hex, sizeof(hex), err, errlen) < 0)) {
    slot_settle(tls, slot, ssl, 0);
    SSL_set_ex_data(ssl, ssl_index, NULL);
    SSL_free(ssl); /* no close_notify: nothing more goes to this peer */
    return checked ? -2 : -1; /* -2: the certificate failed the checks */
  }
  slot_settle(tls, slot, ssl, 1);
  if (level >= DLP_TLS_VERIFY ||
      (level == DLP_TLS_ENCRYPT && tls->nfingerprints > 0))
    snprintf(info, infolen, "%s %s resumed=%s subject=%s sha256=%s",
             SSL_get_version(ssl), SSL_get_cipher_name(ssl),
             SSL_session_reused(ssl) ? "yes" : "no", subject, hex);
  else
    snprintf(info, infolen, "%s %s resumed=%s", SSL_get_version(ssl),
             SSL_get_cipher_name(ssl), SSL_session_reused(ssl) ? "yes" : "no");
  dlp_io_set_ssl(io, ssl);
  return 0;
}
