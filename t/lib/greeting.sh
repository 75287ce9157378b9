#!/bin/bash
# greeting.sh - a 421 greeting means "busy": the next host is tried (row 6)
# and takes the message; with no other host: tempfail with the DLP's text.
. "$(dirname "$0")/libtest.sh"
lt_init greeting

lt_sink 1 -Q CONNECT
lt_sink 2
echo "Subject: x" >"$LT_DIR/msg"

t_conf "$LT_DIR/c" 1 2
lt_send "$LT_DIR/c" s@example.com r@example.com <"$LT_DIR/msg"
lt_expect "^verdict=delivered reason=accepted dlp=[^ ]*:$(lt_port 1)/busy,[^ ]*:$(lt_port 2)/accepted "
[ "$(lt_nmsgs 2)" = 1 ] || lt_fail "host 2 did not get the message"

t_conf "$LT_DIR/c1" 1
lt_send "$LT_DIR/c1" s@example.com r@example.com <"$LT_DIR/msg"
lt_expect "^verdict=tempfail reason=busy dlp=[^ ]*:$(lt_port 1)/busy reply=451 4\.4\.1 DLP 127\.0\.0\.1\[127\.0\.0\.1\]:$(lt_port 1) said: 421 4\.0\.0 Server closing connection \(in reply to initial greeting command\)"

# 5xx to EHLO: HELO instead, and the message goes through
lt_sink 3 -f EHLO
t_conf "$LT_DIR/c3" 3
lt_send "$LT_DIR/c3" s@example.com r@example.com <"$LT_DIR/msg"
lt_expect '^verdict=delivered reason=accepted'
f=$(find "$LT_DIR/sink3" -type f)
grep -q '^X-Client-Proto: SMTP$' "$f" || lt_fail "HELO was not used"
echo "PASS: greeting"
