/*
 * dlp_resolve.h - the addresses of DLP host names, looked up with a
 * bound on the time and cached, so that no message waits for DNS.
 *
 * A DLP_RESOLVER holds, for each host name it was asked about, the last
 * addresses a lookup returned ("last good").  dlp_resolver_refresh()
 * looks a name up (bounded by the resolver's timeout) and replaces them
 * on success only: a failed or slow lookup keeps the last good ones.
 * dlp_resolver_get() never blocks and never does DNS: it hands out the
 * cached addresses.  The pool refreshes from a background thread
 * (dlp_resolver_refresh_due()).  All functions are thread-safe.
 *
 * Lookups: a numeric address is converted at once (AI_NUMERICHOST);
 * a name is looked up by getaddrinfo() (no AI_ADDRCONFIG: it hides
 * 127.0.0.1 in a namespace with only lo) in a detached helper thread the
 * caller waits for at most the timeout.  A lookup that outlives its
 * timeout finishes in its thread and is thrown away.
 *
 * Ownership: a DLP_ADDRS is immutable and reference counted; every
 * DLP_ADDRS returned to the caller (dlp_resolver_get, dlp_addrs_lookup,
 * dlp_addrs_ref) is the caller's reference, released by dlp_addrs_free().
 * Addresses carry no port (the dial sets it).  The resolver owns its
 * cache; dlp_resolver_free() releases it (references handed out stay
 * valid).  ERR/ERRLEN are the caller's buffers (may be NULL/0).
 */
#ifndef DLP_RESOLVE_H
#define DLP_RESOLVE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* the most addresses kept for one name (the rest are dropped) */
#define DLP_ADDRS_MAX 16

typedef struct dlp_resolver DLP_RESOLVER;
typedef struct dlp_addrs DLP_ADDRS;

/* dlp_resolver_create - an empty cache, lookups bounded by TIMEOUT_MS */
DLP_RESOLVER *dlp_resolver_create(int timeout_ms);

/* dlp_resolver_free - free the cache (NULL is a no-op) */
void dlp_resolver_free(DLP_RESOLVER *r);

/*
 * dlp_resolver_refresh - look HOST up now, bounded by the resolver's
 * timeout.  0: HOST's cached addresses are replaced.  -1: the lookup
 * failed or timed out (reason in ERR, also kept for dlp_resolver_get);
 * the last good addresses stay.
 */
int dlp_resolver_refresh(DLP_RESOLVER *r, const char *host, char *err,
                         size_t errlen);

/*
 * dlp_resolver_get - the last good addresses of HOST (a reference), at
 * once, without DNS.  NULL when none is known (never looked up, or no
 * lookup ever succeeded, or out of memory), with ERR like "no address
 * known for HOST: Name or service not known".  An unknown HOST is
 * remembered, so that dlp_resolver_refresh_due() looks it up.
 */
DLP_ADDRS *dlp_resolver_get(DLP_RESOLVER *r, const char *host, char *err,
                            size_t errlen);

/*
 * dlp_resolver_refresh_due - refresh each host whose last lookup is
 * MAX_AGE_MS old or more; a host without any good address also when its
 * last lookup is 1 s old (or MAX_AGE_MS if smaller).  One host after the
 * other, each bounded by the timeout; for a background thread.
 */
void dlp_resolver_refresh_due(DLP_RESOLVER *r, int64_t max_age_ms);

/*
 * dlp_resolve_check - one bounded lookup of HOST, not cached: 0, or -1
 * with the reason in ERR (for dlpbypass-milter -n)
 */
int dlp_resolve_check(const char *host, int timeout_ms, char *err,
                      size_t errlen);

/*
 * dlp_addrs_lookup - one bounded lookup of HOST, not cached: its
 * addresses (the caller's reference), or NULL with the reason in ERR
 */
DLP_ADDRS *dlp_addrs_lookup(const char *host, int timeout_ms, char *err,
                            size_t errlen);

/* dlp_addrs_ref - one more reference to A (A itself; NULL gives NULL) */
DLP_ADDRS *dlp_addrs_ref(DLP_ADDRS *a);

/* dlp_addrs_free - release a reference (NULL is a no-op) */
void dlp_addrs_free(DLP_ADDRS *a);

/* dlp_addrs_count - how many addresses A holds (0 for NULL) */
size_t dlp_addrs_count(const DLP_ADDRS *a);

/*
 * dlp_addrs_get - address I of A (port 0), its length in *LEN; NULL when
 * I is out of range.  Borrowed: valid while the reference to A is held.
 */
const struct sockaddr *dlp_addrs_get(const DLP_ADDRS *a, size_t i,
                                     socklen_t *len);

/* dlp_addrs_text - address I of A as numeric text in BUF ("?" if none) */
const char *dlp_addrs_text(const DLP_ADDRS *a, size_t i, char *buf,
                           size_t buflen);

#endif /* DLP_RESOLVE_H */
