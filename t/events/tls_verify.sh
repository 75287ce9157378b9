#!/bin/bash
# tls_verify.sh - a DLP host whose certificate fails verification (signed
# by the test CA for wrong.test only) at tls level verify: the message is
# tempfailed (never sent in clear) and the milter logs
# event=tls-verify-failed with the host, outcome tls_failed and the
# reason, at most alert.burst times for many messages (rate limit), and
# the alert command gets it; it is no host-down.  At level encrypt the
# same host takes the mail and no such event is logged.
. "$(dirname "$0")/../e2e/testlib.sh"
. "$(dirname "$0")/evlib.sh"
tl_init events_tls_verify

command -v openssl >/dev/null || tl_skip "the openssl command is not installed"
CERTS=$top_builddir/t/tls/certs
mkdir -p "$top_builddir/t/tls"
(
    flock 9
    bash "$top_srcdir/t/tls/gen-certs.sh" "$CERTS"
) 9>"$top_builddir/t/tls/.certs.lock" || tl_fail "cannot make the test certificates"

port=$(tl_port 6)
dlp=127.0.0.1:$port
tl_setup
python3 "$(dirname "$0")/tlsdlp.py" "$port" "$CERTS/wrongname.pem" \
    "$CERTS/wrongname.key" "$TL_DIR/tlsdlp.mail" 2>"$TL_DIR/tlsdlp.err" &
TL_PIDS="$TL_PIDS $!"
tl_wait_port "$port" || tl_fail "the TLS DLP stand-in does not listen"
ev_alert_script "$TL_DIR/alert.sh"

# conf LEVEL - the configuration at dlp.tls.level LEVEL
conf() {
    T_TLS=$1 T_TLS_EXTRA="ca_file = \"$CERTS/ca.pem\";" \
        t_conf "$TL_DIR/dlp.conf" "$dlp"
    ev_alert_conf "$TL_DIR/dlp.conf" "$TL_DIR/alert.sh" "burst = 2;"
}

conf verify
tl_milter "$TL_DIR/dlp.conf"
for i in 1 2 3 4; do
    TL_SUBJECT=v$i tl_send rcpt@example.com
done
tl_pf_wait_deferred gw 20 >/dev/null
sleep 1
[ ! -s "$TL_DIR/tlsdlp.mail" ] || tl_fail "the DLP got MAIL over a connection that failed verification"
tl_expect_nmsgs internet 0
[ "$(grep -c 'verdict=tempfail reason=tls_failed' "$TL_DIR/milter.log")" -ge 3 ] ||
    tl_fail "want the messages tempfailed with reason tls_failed"
ev_wait tls-verify-failed 2
grep -Eq "event=tls-verify-failed host=$dlp addr=127\.0\.0\.1\[127\.0\.0\.1\]:$port outcome=tls_failed detail=\".*does not match" \
    "$TL_DIR/milter.log" || tl_fail "tls-verify-failed line without host, addr, outcome, detail"
[ "$(ev_count tls-verify-failed)" = 2 ] ||
    tl_fail "burst 2: want 2 tls-verify-failed lines, got $(ev_count tls-verify-failed)"
[ "$(ev_count host-down)" = 0 ] || tl_fail "a TLS failure is no host-down"
sleep 0.5
f=$(ev_alert_files tls-verify-failed | head -n 1)
[ -n "$f" ] && [ "$(ev_json_get "$f" outcome)" = tls_failed ] &&
    [ "$(ev_json_get "$f" host)" = "$dlp" ] ||
    tl_fail "tls-verify-failed alert: $(cat "$TL_DIR"/alerts/*.json 2>/dev/null)"

# encrypt: no verification, the same host takes the mail, no event
tl_milter_stop
: >"$TL_DIR/milter.log"
conf encrypt
tl_milter "$TL_DIR/dlp.conf"
tl_pf_flush gw
tl_settle 30
[ "$(grep -c . "$TL_DIR/tlsdlp.mail" 2>/dev/null)" -ge 4 ] ||
    tl_fail "at level encrypt the DLP did not take the messages"
[ "$(ev_count tls-verify-failed)" = 0 ] || tl_fail "tls-verify-failed at level encrypt"
tl_pass
