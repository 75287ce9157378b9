#!/bin/bash
# greeting_5xx.sh - a 5xx before the mail transaction (to the greeting, or
# to HELO after EHLO's 5xx) refuses the session, not the message: BUSY,
# the next host is tried (row 6, as Postfix's smtp_skip_5xx_greeting);
# with no other host: tempfail with the DLP's text, never a bounce.  A 5xx
# in the transaction still rejects (t/lib/reject.sh).  Data the DLP sends
# unasked before MAIL (it would pass for the reply to MAIL) refuses the
# session as well (python stand-in t/lib/oddpeer.py, early-mail).
. "$(dirname "$0")/libtest.sh"
lt_init greeting_5xx 20150

echo "Subject: x" >"$LT_DIR/msg"
lt_sink 1 -f CONNECT
lt_sink 2 -f EHLO,HELO
lt_sink 9

t_conf "$LT_DIR/c" 1 9
lt_send "$LT_DIR/c" s@example.com r@example.com <"$LT_DIR/msg"
lt_expect "^verdict=delivered reason=accepted dlp=[^ ]*:$(lt_port 1)/busy,[^ ]*:$(lt_port 9)/accepted "
[ "$(lt_nmsgs 9)" = 1 ] || lt_fail "host 9 did not get the message"

t_conf "$LT_DIR/c" 1
lt_send "$LT_DIR/c" s@example.com r@example.com <"$LT_DIR/msg"
lt_expect "^verdict=tempfail reason=busy dlp=[^ ]*:$(lt_port 1)/busy reply=451 4\.4\.1 DLP 127\.0\.0\.1\[127\.0\.0\.1\]:$(lt_port 1) said: 5[0-9][0-9] 5\.[0-9.]* .*\(in reply to initial greeting command\)"
lt_reject '^verdict=reject'

# EHLO 5xx, then HELO 5xx: the session is refused too
t_conf "$LT_DIR/c" 2 9
lt_send "$LT_DIR/c" s@example.com r@example.com <"$LT_DIR/msg"
lt_expect "^verdict=delivered reason=accepted dlp=[^ ]*:$(lt_port 2)/busy,[^ ]*:$(lt_port 9)/accepted "
[ "$(lt_nmsgs 9)" = 2 ] || lt_fail "host 9 did not get the second message"

t_conf "$LT_DIR/c" 2
lt_send "$LT_DIR/c" s@example.com r@example.com <"$LT_DIR/msg"
lt_expect "^verdict=tempfail reason=busy dlp=[^ ]*:$(lt_port 2)/busy reply=451 4\.4\.1 DLP [^ ]* said: 5[0-9][0-9] 5\.[0-9.]* .*\(in reply to HELO command\)"
[ "$(lt_nmsgs 2)" = 0 ] || lt_fail "host 2 got a message"

command -v python3 >/dev/null || { echo "SKIP (in part): python3 is not installed"; exit 77; }
lt_serve oddpeer 3 "$LT_DIR/peer3.out" python3 "$(dirname "$0")/oddpeer.py" \
    "$(lt_port 3)" "$LT_DIR/peer3.log" early-mail
t_conf "$LT_DIR/c" 3 9
lt_send "$LT_DIR/c" s@example.com r@example.com <"$LT_DIR/msg"
lt_expect "^verdict=delivered reason=accepted dlp=[^ ]*:$(lt_port 3)/busy,[^ ]*:$(lt_port 9)/accepted "
t_conf "$LT_DIR/c" 3
lt_send "$LT_DIR/c" s@example.com r@example.com <"$LT_DIR/msg"
lt_expect "^verdict=tempfail reason=busy dlp=[^ ]*:$(lt_port 3)/busy reply=451 4\.5\.0 DLP [^ ]*: unexpected data from the host before sending MAIL FROM "
grep -q '^MAIL$' "$LT_DIR/peer3.log" && lt_fail "MAIL was sent after the unasked reply"
echo "PASS: greeting_5xx"
