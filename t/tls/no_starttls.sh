#!/bin/bash
# no_starttls.sh - smtp-sink offers no STARTTLS: level none and may deliver
# in plaintext; encrypt and verify are TLS_FAILED -> tempfail 4.7.4 "not
# offered" and the sink gets nothing (not one byte of the message in
# clear).  A per-server tls_level overrides dlp.tls.level both ways.
. "$(dirname "$0")/libtls.sh"
tt_init no_starttls
lt_sink 1
p=$(lt_port 1)
c=$LT_DIR/c
ca="ca_file = \"$CERTS/ca.pem\";"

T_TLS=none t_conf "$c" 1
tt_send "$c"
lt_expect "^verdict=delivered reason=accepted dlp=127\.0\.0\.1\[127\.0\.0\.1\]:$p/accepted "
T_TLS=may T_TLS_EXTRA="$ca" t_conf "$c" 1
tt_send "$c"
lt_expect "^verdict=delivered reason=accepted "
lt_reject '^tls='
[ "$(lt_nmsgs 1)" = 2 ] || lt_fail "sink has $(lt_nmsgs 1) messages, want 2"

for level in encrypt verify; do
    T_TLS="$level" T_TLS_EXTRA="$ca" t_conf "$c" 1
    tt_send "$c"
    lt_expect "^verdict=tempfail reason=tls_failed dlp=127\.0\.0\.1\[127\.0\.0\.1\]:$p/tls_failed "
    lt_expect "reply=4[0-9][0-9] 4\.7\.4 .*not offered"
    [ "$(lt_nmsgs 1)" = 2 ] || lt_fail "$level: the sink received the message"
done

# overrides: global encrypt, this server none -> delivered
T_TLS=encrypt t_conf "$c" 1/none
tt_send "$c"
lt_expect "^verdict=delivered reason=accepted "
# global none, this server encrypt -> tls_failed
T_TLS=none t_conf "$c" 1/encrypt
tt_send "$c"
lt_expect "^verdict=tempfail reason=tls_failed "
[ "$(lt_nmsgs 1)" = 3 ] || lt_fail "sink has $(lt_nmsgs 1) messages, want 3"
grep -rq "$TT_MARK" "$LT_DIR/sink1" || lt_fail "marker not found in the sink"
echo "PASS: no_starttls"
