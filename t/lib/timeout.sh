#!/bin/bash
# timeout.sh - a stalled greeting: with the only other host unreachable,
# bypass (row 2); with a second host that answers, that host decides
# (row 3), also when the command timeout is longer than the session
# deadline (the hanging host gets its share of the deadline); with two
# stalled hosts, tempfail (row 4) with 4.4.2.
. "$(dirname "$0")/libtest.sh"
lt_init timeout

echo "Subject: x" >"$LT_DIR/msg"
lt_sink 1 -W CONNECT:5
lt_sink 2 -W CONNECT:5
lt_sink 3

t_conf "$LT_DIR/c" 1 8 # 8: refused
lt_send "$LT_DIR/c" s@example.com r@example.com <"$LT_DIR/msg"
lt_expect "^verdict=bypass reason=session_timeout dlp=[^ ]*:$(lt_port 1)/session_timeout,[^ ]*:$(lt_port 8)/unreachable "

t_conf "$LT_DIR/c" 1
lt_send "$LT_DIR/c" s@example.com r@example.com <"$LT_DIR/msg"
lt_expect "^verdict=bypass reason=session_timeout dlp=[^ ]*:$(lt_port 1)/session_timeout "

t_conf "$LT_DIR/c" 1 3
lt_send "$LT_DIR/c" s@example.com r@example.com <"$LT_DIR/msg"
lt_expect "^verdict=delivered reason=accepted dlp=[^ ]*:$(lt_port 1)/session_timeout,[^ ]*:$(lt_port 3)/accepted "
[ "$(lt_nmsgs 3)" = 1 ] || lt_fail "host 3 did not get the message"

t_conf "$LT_DIR/c" 1 2
lt_send "$LT_DIR/c" s@example.com r@example.com <"$LT_DIR/msg"
lt_expect "^verdict=tempfail reason=session_timeout dlp=[^ ]*:$(lt_port 1)/session_timeout,[^ ]*:$(lt_port 2)/session_timeout reply=451 4\.4\.2 DLP 127\.0\.0\.1\[127\.0\.0\.1\]:$(lt_port 2): conversation timed out while receiving the initial server greeting "

# a stall at MAIL is a session timeout too; with bypass off: tempfail
# -p: with PIPELINING, smtp-sink's -W lets the pipelined RCPT overtake
# the delayed MAIL (it answers "503 need MAIL" first), which no real
# server does; the stall at MAIL is tested without it (t/lib/pipelining.sh
# tests the pipelined path)
lt_sink 4 -p -W MAIL:5
T_BYPASS=false t_conf "$LT_DIR/c" 4
lt_send "$LT_DIR/c" s@example.com r@example.com <"$LT_DIR/msg"
lt_expect "^verdict=tempfail reason=disabled dlp=[^ ]*:$(lt_port 4)/session_timeout reply=451 4\.4\.2 .*timed out while sending MAIL FROM"

# a command timeout longer than the session deadline: host 1, which
# hangs, gets its share of the deadline (4 s / 2 hosts), not the command
# timeout, and host 3 still takes the message (row 3 reachable)
T_COMMAND=30 T_DEADLINE=4 t_conf "$LT_DIR/c" 1 3
t0=$(date +%s%N)
lt_send "$LT_DIR/c" s@example.com r@example.com <"$LT_DIR/msg"
ms=$((($(date +%s%N) - t0) / 1000000))
lt_expect "^verdict=delivered reason=accepted dlp=[^ ]*:$(lt_port 1)/session_timeout,[^ ]*:$(lt_port 3)/accepted "
[ "$ms" -ge 1500 ] && [ "$ms" -lt 4000 ] ||
    lt_fail "host 1 held the message ${ms} ms, want about its share (2 s)"
echo "PASS: timeout"
