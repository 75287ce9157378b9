#!/bin/bash
# reject.sh - a 5xx at MAIL or the final dot is REJECT with the DLP's own
# code, enhanced code and text (row 7); a 5xx to RCPT rejects that
# recipient, and with every recipient rejected the message is rejected.
. "$(dirname "$0")/libtest.sh"
lt_init reject

echo "Subject: x" >"$LT_DIR/msg"
lt_sink 9
lt_sink 1 -f MAIL -B "554 5.7.1 Message blocked by DLP policy"
t_conf "$LT_DIR/c" 1 9
lt_send "$LT_DIR/c" s@example.com r@example.com <"$LT_DIR/msg"
lt_expect "^verdict=reject reason=rejected dlp=[^ ]*:$(lt_port 1)/rejected reply=554 5\.7\.1 Message blocked by DLP policy "

lt_sink 2 -f . -B "550 5.7.0 Message blocked by DLP policy"
t_conf "$LT_DIR/c" 2 9
lt_send "$LT_DIR/c" s@example.com r@example.com <"$LT_DIR/msg"
lt_expect "^verdict=reject reason=rejected dlp=[^ ]*:$(lt_port 2)/rejected reply=550 5\.7\.0 Message blocked by DLP policy "

lt_sink 3 -f RCPT -B "550 5.1.1 No such user"
t_conf "$LT_DIR/c" 3 9
lt_send "$LT_DIR/c" s@example.com r1@example.com <"$LT_DIR/msg"
lt_expect '^rcpt=<r1@example.com> status=rejected reply=550 5\.1\.1 No such user$'
lt_expect "^verdict=reject reason=rejected dlp=[^ ]*:$(lt_port 3)/rejected reply=550 5\.1\.1 "

[ "$(lt_nmsgs 9)" = 0 ] || lt_fail "the second host was tried"
echo "PASS: reject"
