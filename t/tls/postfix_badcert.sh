#!/bin/bash
# postfix_badcert.sh - real Postfix smtpd listeners presenting an expired
# certificate, one for the wrong name and a self-signed one.  At verify
# each is TLS_FAILED -> tempfail 4.7.5 with the certificate reason, and
# Postfix never receives the message; at encrypt (no verification) each
# delivers; pinned fingerprints: encrypt + the self-signed certificate's
# digest delivers, a digest that is not listed fails, and verify + pin
# still demands the chain.
. "$(dirname "$0")/libtls.sh"
tt_init postfix_badcert
tt_postfix 1:expired 2:wrongname 3:self

c=$LT_DIR/c
ca="ca_file = \"$CERTS/ca.pem\";"
self_fp=$(cat "$CERTS/self.sha256")
good_fp=$(cat "$CERTS/good.sha256")
got=0

# N LEVEL TLSLINES REASON-REGEX - delivery to server N fails on TLS
tls_fails() {
    T_TLS="$2" T_TLS_EXTRA="$3" t_conf "$c" "$1"
    tt_send "$c"
    lt_expect "^verdict=tempfail reason=tls_failed dlp=127\.0\.0\.1\[127\.0\.0\.1\]:$(lt_port "$1")/tls_failed "
    lt_expect "reply=4[0-9][0-9] 4\.7\.5 .*$4"
    [ "$(tt_pf_got)" = "$got" ] || lt_fail "Postfix received the message"
}

# N LEVEL TLSLINES - delivery to server N succeeds over TLS
tls_works() {
    T_TLS="$2" T_TLS_EXTRA="$3" t_conf "$c" "$1"
    tt_send "$c"
    lt_expect "^verdict=delivered reason=accepted "
    lt_expect '^tls=TLSv1\.[23] '
    got=$((got + 1))
    [ "$(tt_pf_got)" = "$got" ] || lt_fail "Postfix did not receive the message"
}

tls_fails 1 verify "$ca" "certificate has expired"
tls_fails 2 verify "$ca" "does not match"
tls_fails 2 verify "$ca match = \"dlp.test\";" "does not match \"dlp\.test\""
tls_fails 3 verify "$ca" "self-signed certificate"
tls_works 1 encrypt ""
tls_works 2 encrypt ""
tls_works 3 encrypt ""
tls_works 2 verify "$ca match = \"wrong.test\";"
# pins
tls_works 3 encrypt "fingerprint = [ \"$self_fp\" ];"
lt_expect "subject=/CN=dlp\.test sha256=$self_fp\$"
tls_works 3 encrypt "fingerprint = [ \"$good_fp\", \"$(echo "$self_fp" | tr -d : | tr A-F a-f)\" ];"
tls_fails 3 encrypt "fingerprint = [ \"$good_fp\" ];" "fingerprint sha256=$self_fp .*not in dlp\.tls\.fingerprint"
tls_fails 3 verify "$ca fingerprint = [ \"$self_fp\" ];" "self-signed certificate"
tls_fails 1 verify "$ca fingerprint = [ \"$(cat "$CERTS/expired.sha256")\" ];" "certificate has expired"
# after a failed check not one command followed STARTTLS: Postfix saw
# MAIL exactly in the sessions that delivered (once every session's end
# is logged)
t_wait 5 _tt_pf_quiet
mails=$(grep 'smtpd.*disconnect from' "$TT_PFLOG" | grep -c ' mail=')
[ "$mails" = "$got" ] || lt_fail "Postfix saw MAIL in $mails sessions, want $got"
[ "$(grep 'smtpd.*disconnect from' "$TT_PFLOG" | grep -c ' starttls=1')" -ge 13 ] ||
    lt_fail "fewer STARTTLS sessions than attempts"
echo "PASS: postfix_badcert"
