/*
 * audit_chain.h - the link of the audit trail's hash chain, shared by
 * dlpbypass-milter (which writes the trail) and dlpbypass-audit (which
 * verifies it).
 *
 * Contract: every line of an audit file is one JSON object whose "prev"
 * member is audit_chain_hex() of the line before it: the lowercase hex
 * SHA-256 of that line's bytes, without its newline.  The first line of
 * a file carries the hash of the last line the milter wrote before it
 * (the previous file after a logrotate), or AUDIT_CHAIN_ZERO when it
 * knows none.
 */
#ifndef AUDIT_CHAIN_H
#define AUDIT_CHAIN_H

#include <stddef.h>

#define AUDIT_CHAIN_HEXLEN 64 /* hex digits of one link */
#define AUDIT_CHAIN_ZERO                                                       \
  "0000000000000000000000000000000000000000000000000000000000000000"

/* audit_chain_hex - HEX (65 bytes) = hex SHA-256 of LINE[0..LEN); 0/-1 */
int audit_chain_hex(const char *line, size_t len, char hex[65]);

#endif /* AUDIT_CHAIN_H */
