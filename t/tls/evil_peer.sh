#!/bin/bash
# evil_peer.sh - what no real server does, from t/tls/evilpeer.py:
#  - bytes right after "220 Ready to start TLS" (CVE-2011-0411), in the
#    same segment or arriving during the handshake: TLS_FAILED, tempfail
#    4.7.5, and the forged reply is never taken as an SMTP reply;
#  - a handshake that stalls: TLS_FAILED once the command timeout passes;
#  - 454 to STARTTLS: TLS_FAILED (at level may too: STARTTLS was offered).
# The peer captures everything the client sent: when TLS is required,
# never a byte of the message (nor MAIL FROM) in clear.
. "$(dirname "$0")/libtls.sh"
tt_init evil_peer
tt_evil 1 inject
tt_evil 2 late
tt_evil 3 stall
tt_evil 4 454
c=$LT_DIR/c

# N - the capture of peer N must hold nothing of the transaction
clean_capture() {
    if grep -aq -e "$TT_MARK" -e "MAIL FROM" -e "RCPT TO" "$LT_DIR/evil$1.cap"; then
        lt_fail "peer $1 received the transaction in clear: $(strings "$LT_DIR/evil$1.cap" | head -20)"
    fi
}

for level in encrypt verify; do
    T_TLS="$level" T_TLS_EXTRA="ca_file = \"$CERTS/ca.pem\";" t_conf "$c" 1
    tt_send "$c"
    lt_expect "^verdict=tempfail reason=tls_failed dlp=127\.0\.0\.1\[127\.0\.0\.1\]:$(lt_port 1)/tls_failed "
    lt_expect "reply=4[0-9][0-9] 4\.7\.5 "
    lt_reject "injected"
    clean_capture 1

    T_TLS="$level" T_TLS_EXTRA="ca_file = \"$CERTS/ca.pem\";" t_conf "$c" 2
    tt_send "$c"
    lt_expect "^verdict=tempfail reason=tls_failed "
    lt_expect "reply=4[0-9][0-9] 4\.7\.5 "
    clean_capture 2

    T_COMMAND=1 T_TLS="$level" t_conf "$c" 3
    start=$(date +%s%N)
    tt_send "$c"
    ms=$((($(date +%s%N) - start) / 1000000))
    lt_expect "^verdict=tempfail reason=tls_failed "
    lt_expect "reply=4[0-9][0-9] 4\.7\.5 .*(timed out|handshake)"
    [ "$ms" -lt 4000 ] || lt_fail "stalled handshake took $ms ms (timeout 1 s)"
    clean_capture 3

    T_TLS="$level" t_conf "$c" 4
    tt_send "$c"
    lt_expect "^verdict=tempfail reason=tls_failed "
    lt_expect "reply=4[0-9][0-9] 4\.7\.[45] .*454"
    clean_capture 4
done
# level may: STARTTLS is offered here, so TLS must be had; plaintext only
# when it is not offered.  Injection, a failed handshake and 454 are all
# TLS_FAILED at may too, and the message is not sent in clear.
for n in 1 2 4; do
    T_TLS=may t_conf "$c" "$n"
    tt_send "$c"
    lt_expect "^verdict=tempfail reason=tls_failed dlp=127\.0\.0\.1\[127\.0\.0\.1\]:$(lt_port "$n")/tls_failed "
    lt_reject "injected"
    clean_capture "$n"
done
echo "PASS: evil_peer"
