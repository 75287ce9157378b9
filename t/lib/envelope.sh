#!/bin/bash
# envelope.sh - nothing unsafe reaches the wire: a sender with CR/LF is
# refused before MAIL (tempfail, 4.3.0); a recipient with CR/LF or '>'
# is refused for itself only; ESMTP parameters go out only when the DLP
# advertised them and only when clean; the null sender is "<>".
. "$(dirname "$0")/libtest.sh"
lt_init envelope

echo "Subject: x" >"$LT_DIR/msg"
run() { # run CONF SENDER [dlpsend options]
    local conf=$1 sender=$2
    shift 2
    "$DLPSEND" -c "$conf" -f "$sender" "$@" <"$LT_DIR/msg" >"$LT_OUT" 2>&1 ||
        lt_fail "dlpsend exited with status $?"
}
mailargs() { # the X-Mail-Args of sink N's message
    grep -h '^X-Mail-Args: ' "$LT_DIR/sink$1"/*
}

lt_sink 1 -v
t_conf "$LT_DIR/c" 1
run "$LT_DIR/c" $'s@example.com>\r\nRCPT TO:<evil@example.com' -r r@example.com
lt_expect "^verdict=tempfail reason=internal:envelope dlp=[^ ]*:$(lt_port 1)/internal reply=451 4\.3\.0 "
grep -qi 'evil' "$LT_DIR/sink1.log" && lt_fail "injected command reached the DLP"
grep -qi 'MAIL FROM' "$LT_DIR/sink1.log" && lt_fail "MAIL was sent"
[ "$(lt_nmsgs 1)" = 0 ] || lt_fail "a message was delivered"

run "$LT_DIR/c" "" -r $'bad@example.com>\r\nRCPT TO:<evil@example.com' \
    -r 'x<y@example.com' -r $'n\001l@example.com' -r good@example.com
lt_expect '^rcpt=<bad@example.com>\\015\\012RCPT TO:<evil@example.com> status=tempfail reply=451 4\.3\.0 '
lt_expect '^rcpt=<x<y@example.com> status=tempfail reply=451 4\.3\.0 '
lt_expect '^rcpt=<n\\001l@example.com> status=tempfail reply=451 4\.3\.0 '
lt_expect '^rcpt=<good@example.com> status=accepted'
lt_expect '^verdict=delivered '
grep -qi 'evil' "$LT_DIR/sink1.log" && lt_fail "injected command reached the DLP"
[ "$(mailargs 1)" = "X-Mail-Args: <>" ] || lt_fail "null sender: $(mailargs 1)"
[ "$(grep -h '^X-Rcpt-Args:' "$LT_DIR"/sink1/*)" = "X-Rcpt-Args: <good@example.com>" ] ||
    lt_fail "recipients: $(grep -h '^X-Rcpt-Args:' "$LT_DIR"/sink1/*)"

# sink 2 advertises 8BITMIME and DSN, not SMTPUTF8
lt_sink 2
t_conf "$LT_DIR/c2" 2
run "$LT_DIR/c2" s@example.com -r r@example.com -a BODY=8BITMIME \
    -a $'ENVID=x\r\nRSET' -a SIZE=100 -a SMTPUTF8 -a RET=HDRS -a ENVID=abc \
    -a 'AUTH=<>' -a BODY=BINARYMIME -a 'X=<a>'
lt_expect '^verdict=delivered '
[ "$(mailargs 2)" = "X-Mail-Args: <s@example.com> BODY=8BITMIME RET=HDRS ENVID=abc" ] ||
    lt_fail "MAIL parameters: $(mailargs 2)"

# sink 3 advertises neither 8BITMIME nor DSN
lt_sink 3 -8 -N
t_conf "$LT_DIR/c3" 3
run "$LT_DIR/c3" s@example.com -r r@example.com -a BODY=8BITMIME -a RET=HDRS
lt_expect '^verdict=delivered '
[ "$(mailargs 3)" = "X-Mail-Args: <s@example.com>" ] ||
    lt_fail "MAIL parameters: $(mailargs 3)"
echo "PASS: envelope"
