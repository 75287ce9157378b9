#!/bin/bash
# after_dot.sh - the DLP hangs up after the final dot, or never answers
# it: it may hold the message, so DEFERRED -> tempfail, never another host
# and never bypass ("message may be sent more than once").
. "$(dirname "$0")/libtest.sh"
lt_init after_dot

echo "Subject: x" >"$LT_DIR/msg"
lt_sink 9
lt_sink 1 -q .
t_conf "$LT_DIR/c" 1 9
lt_send "$LT_DIR/c" s@example.com r@example.com <"$LT_DIR/msg"
lt_expect "^verdict=tempfail reason=deferred dlp=[^ ]*:$(lt_port 1)/deferred reply=451 4\.4\.2 DLP [^ ]*: lost connection while sending end of data -- message may be sent more than once "

lt_sink 2 -W .:5
t_conf "$LT_DIR/c" 2 9
lt_send "$LT_DIR/c" s@example.com r@example.com <"$LT_DIR/msg"
lt_expect "^verdict=tempfail reason=deferred dlp=[^ ]*:$(lt_port 2)/deferred reply=451 4\.4\.2 DLP [^ ]*: conversation timed out while sending end of data -- message may be sent more than once "

[ "$(lt_nmsgs 9)" = 0 ] || lt_fail "the second host was tried"
echo "PASS: after_dot"
