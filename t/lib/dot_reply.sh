#!/bin/bash
# dot_reply.sh - only exactly 250 to the final dot hands the message over
# (ACCEPTED, the local copy discarded).  Any other reply that is not a
# 4xx/5xx (a 221 "NOT accepted", a 354, a 251) is DEFERRED: the DLP may
# hold the message, so tempfail, no other host, never bypass ("message may
# be sent more than once").  A "250" the DLP sent before it got the dot
# (waiting when the dot is to be sent) is not taken for its reply:
# DEFERRED too.  The DLP's queue id is logged without its brackets.
# Python stand-in: t/lib/oddpeer.py.
. "$(dirname "$0")/libtest.sh"
lt_init dot_reply
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }

echo "Subject: x" >"$LT_DIR/msg"
lt_sink 9 # the second host: must never see a message
peer() { # peer N MODE - oddpeer.py on port N
    lt_serve oddpeer "$1" "$LT_DIR/peer$1.out" python3 "$(dirname "$0")/oddpeer.py" \
        "$(lt_port "$1")" "$LT_DIR/peer$1.log" "$2"
}
deferred() { # deferred N REGEX - tempfail by DEFERRED at peer N (REGEX after "451 ")
    t_conf "$LT_DIR/c" "$1" 9
    lt_send "$LT_DIR/c" s@example.com r@example.com <"$LT_DIR/msg"
    lt_expect "^verdict=tempfail reason=deferred dlp=[^ ]*:$(lt_port "$1")/deferred reply=451 $2"
}
dotted() { # dotted N - peer N received the final dot
    grep -q '^MESSAGE$' "$LT_DIR/peer$1.log"
}

peer 1 "dot:221 2.0.0 Bye, message NOT accepted"
deferred 1 "4\.4\.1 DLP [^ ]* said: 221 2\.0\.0 Bye, message NOT accepted \(in reply to end of DATA command\) -- not 250, message may be sent more than once"
dotted 1 || lt_fail "peer 1 never got the dot"
peer 2 "dot:354 go on"
deferred 2 "4\.4\.1 DLP [^ ]* said: 354 3\.0\.0 go on \(in reply to end of DATA command\)"
dotted 2 || lt_fail "peer 2 never got the dot"
peer 3 "dot:251 2.1.5 will forward"
deferred 3 "4\.4\.1 DLP [^ ]* said: 251 2\.1\.5 will forward \(in reply to end of DATA command\)"
dotted 3 || lt_fail "peer 3 never got the dot"
peer 4 early250
deferred 4 "4\.5\.0 DLP [^ ]*: unexpected data from the host before sending end of data -- message may be sent more than once"
dotted 4 && lt_fail "the dot was sent after the early 250"

# exactly 250: accepted, the queue id without its parentheses (Haraka)
peer 5 "dot250 Message Queued (35924554-8A1B-4B70-9F2E-2D7A2E9E0B5C.1)"
t_conf "$LT_DIR/c" 5 9
lt_send "$LT_DIR/c" s@example.com r@example.com <"$LT_DIR/msg"
lt_expect "^verdict=delivered reason=accepted dlp=[^ ]*:$(lt_port 5)/accepted .*queue_id=35924554-8A1B-4B70-9F2E-2D7A2E9E0B5C\.1$"

[ "$(lt_nmsgs 9)" = 0 ] || lt_fail "the second host was tried"
echo "PASS: dot_reply"
