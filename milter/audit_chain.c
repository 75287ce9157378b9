/*
 * audit_chain.c - one link of the audit trail's hash chain.
 *
 * Contract: see audit_chain.h.
 */
#include "config.h"

#include "audit_chain.h"

#include <openssl/evp.h>
#include <stdio.h>

/* audit_chain_hex - HEX = lowercase hex SHA-256 of LINE[0..LEN); 0 or -1 */
int audit_chain_hex(const char *line, size_t len, char hex[65]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0, i;

  if (EVP_Digest(line, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32) {
    hex[0] = '\0';
    return -1;
  }
  for (i = 0; i < n; i++)
    snprintf(hex + 2 * i, 3, "%02x", md[i]);
  return 0;
}
