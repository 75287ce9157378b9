/* dlp_tls.c - STARTTLS client side; to be written (stub: TLS always fails) */
#include "dlp_tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dlp_tls {
  int unused;
};

/* dlp_tls_create - stub */
DLP_TLS *dlp_tls_create(const struct dlp_tls_config *cfg, char *err,
                        size_t errlen) {
  (void)cfg;
  (void)err;
  (void)errlen;
  return calloc(1, sizeof(DLP_TLS));
}

/* dlp_tls_free - stub */
void dlp_tls_free(DLP_TLS *tls) { free(tls); }

/* dlp_tls_handshake - stub: always fails */
int dlp_tls_handshake(DLP_TLS *tls, DLP_IO *io,
                      const struct dlp_server *server, int level,
                      int64_t deadline_ms, char *info, size_t infolen,
                      char *dsn, char *err, size_t errlen) {
  (void)tls, (void)io, (void)server, (void)level, (void)deadline_ms;
  if (infolen)
    info[0] = 0;
  snprintf(dsn, 16, "4.7.5");
  snprintf(err, errlen, "TLS not built yet");
  return -1;
}
