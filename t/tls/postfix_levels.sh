#!/bin/bash
# postfix_levels.sh - a real Postfix smtpd with a good certificate as the
# DLP: levels may, encrypt and verify (by IP address and by match name,
# with a TLSv1.3 floor, with a client certificate) all deliver over TLS; a
# TLS 1.2-only server passes the default floor and fails a TLSv1.3 one;
# the log summary names protocol and cipher, and at verify the subject and
# SHA-256 digest; a per-server verify under a global none works; level none
# talks plaintext.
. "$(dirname "$0")/libtls.sh"
tt_init postfix_levels
tt_postfix 1:good 2:good:tls12

c=$LT_DIR/c
p=$(lt_port 1)
good_fp=$(cat "$CERTS/good.sha256")

tls_before=0
# LEVEL TLSLINES WHAT - deliver once at LEVEL over TLS
delivered_tls() {
    T_TLS="$1" T_TLS_EXTRA="$2" t_conf "$c" 1
    tt_send "$c"
    lt_expect "^verdict=delivered reason=accepted dlp=127\.0\.0\.1\[127\.0\.0\.1\]:$p/accepted "
    lt_expect '^tls=TLSv1\.[23] [A-Z0-9_-]+ resumed=no'
    tls_now=$(tt_pf_tls)
    [ "$tls_now" -gt "$tls_before" ] || lt_fail "$3: Postfix logged no TLS session"
    tls_before=$tls_now
}

delivered_tls may "" "may"
lt_reject 'subject='
delivered_tls encrypt "" "encrypt"
lt_reject 'subject='
delivered_tls verify "ca_file = \"$CERTS/ca.pem\";" "verify by IP"
lt_expect "^tls=TLSv1\.[23] .* subject=/CN=dlp\.test sha256=$good_fp\$"
delivered_tls verify "ca_file = \"$CERTS/ca.pem\"; match = \"dlp.test\";" "verify by name"
lt_expect "sha256=$good_fp\$"
delivered_tls verify "ca_path = \"$CERTS/hashed\"; match = \"dlp.test\";" "verify with ca_path"
delivered_tls verify "ca_file = \"$CERTS/ca.pem\"; protocols = \"TLSv1.3\";" "TLSv1.3 floor"
lt_expect '^tls=TLSv1\.3 '
delivered_tls encrypt "ciphers = \"TLS_CHACHA20_POLY1305_SHA256\";" "cipher list"
lt_expect '^tls=TLSv1\.3 TLS_CHACHA20_POLY1305_SHA256 '
delivered_tls encrypt "cert_file = \"$CERTS/client.pem\"; key_file = \"$CERTS/client.key\";" "client certificate"
grep -q 'Trusted TLS connection established from.*' "$TT_PFLOG" ||
    lt_fail "Postfix did not see a trusted client certificate"

# the protocol floor: a TLS 1.2-only server is fine by default, refused
# with protocols = "TLSv1.3" (and never gets the message)
T_TLS=encrypt t_conf "$c" 2
tt_send "$c"
lt_expect "^verdict=delivered reason=accepted "
lt_expect '^tls=TLSv1\.2 '
T_TLS=encrypt T_TLS_EXTRA='protocols = "TLSv1.3";' t_conf "$c" 2
tt_send "$c"
lt_expect "^verdict=tempfail reason=tls_failed .*4\.7\.5 .*TLS handshake failed: .*protocol version"
tls_before=$(tt_pf_tls)

# global none, this server verify: the TLS context is built all the same
T_TLS=none T_TLS_EXTRA="ca_file = \"$CERTS/ca.pem\";" t_conf "$c" 1/verify
tt_send "$c"
lt_expect "^verdict=delivered reason=accepted "
lt_expect "^tls=TLSv1\.[23] .* sha256=$good_fp\$"
tls_before=$(tt_pf_tls)

# level none: plaintext, even though STARTTLS is offered
T_TLS=none t_conf "$c" 1
tt_send "$c"
lt_expect "^verdict=delivered reason=accepted "
lt_reject '^tls='
[ "$(tt_pf_tls)" = "$tls_before" ] || lt_fail "level none started TLS"
[ "$(tt_pf_got)" = 11 ] || lt_fail "Postfix queued $(tt_pf_got) messages, want 11"
echo "PASS: postfix_levels"
