#!/bin/bash
# ehlo_again.sh - after the TLS handshake the client says EHLO again and
# forgets what it learnt in plaintext (RFC 3207): a peer that offers
# 8BITMIME only before TLS gets no BODY=8BITMIME in MAIL; the same peer
# offering it after TLS too does get it (so the check can fail).  Nothing
# but EHLO and STARTTLS goes in clear.
. "$(dirname "$0")/libtls.sh"
tt_init ehlo_again
tt_evil 1 tls
tt_evil 2 tls8
c=$LT_DIR/c

# N - send with BODY=8BITMIME to peer N at level encrypt
send8() {
    T_TLS=encrypt t_conf "$c" "$1"
    "$DLPSEND" -c "$c" -f s@example.com -r r@example.com -a BODY=8BITMIME \
        <"$LT_DIR/msg" >"$LT_OUT" 2>&1 || lt_fail "dlpsend failed"
    lt_expect "^verdict=delivered reason=accepted "
    lt_expect '^tls=TLSv1\.[23] '
}

send8 1
tls=$LT_DIR/evil1.cap.tls
[ -f "$tls" ] || lt_fail "peer 1 saw no TLS session"
head -n 1 "$tls" | grep -q '^EHLO gw\.test' || lt_fail "first command inside TLS: $(head -n 1 "$tls")"
grep -aq '^MAIL FROM:<s@example.com>' "$tls" || lt_fail "no MAIL inside TLS"
grep -aqi 'BODY=8BITMIME' "$tls" && lt_fail "BODY=8BITMIME sent: plaintext capabilities were kept"
grep -aq "$TT_MARK" "$tls" || lt_fail "the message did not go inside TLS"
# in clear: EHLO and STARTTLS, nothing else
[ "$(tr -d '\r' <"$LT_DIR/evil1.cap" | grep -ac .)" = 2 ] &&
    grep -aq '^STARTTLS' "$LT_DIR/evil1.cap" ||
    lt_fail "in clear: $(cat -v "$LT_DIR/evil1.cap")"

send8 2
grep -aq '^MAIL FROM:<s@example.com> BODY=8BITMIME' "$LT_DIR/evil2.cap.tls" ||
    lt_fail "8BITMIME offered after TLS, but MAIL has no BODY=8BITMIME: $(grep -a MAIL "$LT_DIR/evil2.cap.tls")"
echo "PASS: ehlo_again"
