#!/bin/bash
# failover.sh - two Postfix DLP hosts at verify: the first presents an
# expired certificate (TLS_FAILED), the second a good one: the second
# takes the message; the log line lists both.  Then a host with no
# STARTTLS (smtp-sink) first, the good one second: same.  All TLS hosts
# bad: tempfail 4.7.5, nothing delivered.
. "$(dirname "$0")/libtls.sh"
tt_init failover
tt_postfix 1:expired 2:good 3:wrongname
lt_sink 4
c=$LT_DIR/c
ca="ca_file = \"$CERTS/ca.pem\";"
h="127\.0\.0\.1\[127\.0\.0\.1\]"

T_TLS=verify T_TLS_EXTRA="$ca" t_conf "$c" 1 2
tt_send "$c"
lt_expect "^verdict=delivered reason=accepted dlp=$h:$(lt_port 1)/tls_failed,$h:$(lt_port 2)/accepted "
lt_expect "^tls=TLSv1\.[23] .* subject=/CN=dlp\.test sha256=$(cat "$CERTS/good.sha256")\$"
[ "$(tt_pf_got)" = 1 ] || lt_fail "Postfix queued $(tt_pf_got) messages, want 1"

T_TLS=verify T_TLS_EXTRA="$ca" t_conf "$c" 4 2
tt_send "$c"
lt_expect "^verdict=delivered reason=accepted dlp=$h:$(lt_port 4)/tls_failed,$h:$(lt_port 2)/accepted "
[ "$(lt_nmsgs 4)" = 0 ] || lt_fail "the host without STARTTLS got the message"

T_TLS=verify T_TLS_EXTRA="$ca" t_conf "$c" 1 3 4
tt_send "$c"
lt_expect "^verdict=tempfail reason=tls_failed dlp=$h:$(lt_port 1)/tls_failed,$h:$(lt_port 3)/tls_failed,$h:$(lt_port 4)/tls_failed "
lt_expect "reply=4[0-9][0-9] 4\.7\.[45] "
[ "$(tt_pf_got)" = 2 ] || lt_fail "Postfix queued $(tt_pf_got) messages, want 2"
[ "$(lt_nmsgs 4)" = 0 ] || lt_fail "the host without STARTTLS got the message"
# the same through one pool (health state kept): each message fails over
T_TLS=verify T_TLS_EXTRA="$ca" t_conf "$c" 1 2
"$DLPSEND" -n 3 -c "$c" -f s@example.com -r r@example.com \
    <"$LT_DIR/msg" >"$LT_OUT" 2>&1 || lt_fail "dlpsend -n failed"
[ "$(grep -c "^verdict=delivered reason=accepted .*$h:$(lt_port 2)/accepted " "$LT_OUT")" = 3 ] ||
    lt_fail "one pool: not every message delivered by the good host"
echo "PASS: failover"
