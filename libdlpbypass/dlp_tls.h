/*
 * dlp_tls.h - TLS client side for STARTTLS to the DLP (OpenSSL).
 *
 * One DLP_TLS per configuration: the SSL_CTX built from dlp.tls (CA,
 * client certificate, protocol floor, ciphers) and a session cache per
 * DLP host for resumption.  Thread-safe.
 */
#ifndef DLP_TLS_H
#define DLP_TLS_H

#include "dlp_io.h"

typedef struct dlp_tls DLP_TLS;

/*
 * dlp_tls_create - build the client context from CFG.  Returns NULL with
 * "what is wrong" in ERR (unreadable CA or key file, bad cipher list...).
 */
DLP_TLS *dlp_tls_create(const struct dlp_tls_config *cfg, char *err,
                        size_t errlen);

/* dlp_tls_free - release the context and its session cache */
void dlp_tls_free(DLP_TLS *tls);

/*
 * dlp_tls_handshake - client handshake on IO (after "220" to STARTTLS and
 * after checking that nothing else was buffered) for SERVER at LEVEL,
 * finished before DEADLINE_MS.  LEVEL encrypt: any certificate; verify:
 * chain to the CA and name match (dlp.tls.match or the server's host);
 * fingerprints configured: the SHA-256 digest must be listed.  On success
 * installs the SSL object into IO and returns 0, with a summary such as
 * "TLSv1.3 TLS_AES_256_GCM_SHA384 resumed=no subject=CN=dlp1
 * sha256=AB:CD:..." in INFO.  On failure returns -1 (or -2 when the
 * handshake went through and the certificate failed the level's checks:
 * chain, name, fingerprint) with the reason in ERR (what it means:
 * dlp_class.c).
 */
int dlp_tls_handshake(DLP_TLS *tls, DLP_IO *io, const struct dlp_server *server,
                      int level, int64_t deadline_ms, char *info,
                      size_t infolen, char *err, size_t errlen);

#endif /* DLP_TLS_H */
