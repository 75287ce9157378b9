#!/bin/bash
# bad_replies.sh - TESTING.md row 10: malformed DLP replies (a 10 MB line,
# no line end, codes that are not three digits, a multiline reply whose
# codes disagree, NUL bytes, a peer that trickles one byte a second) at
# every step of the session.  Each must end, within a bounded time, in
# TEMPFAIL: never a crash, a hang, a bypass or "delivered".
# dlpsend (the library) against t/faults/badpeer.py.
. "$(dirname "$0")/../lib/libtest.sh"
lt_init bad_replies
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }

T_COMMAND=2 T_DATA=3 T_DEADLINE=6 t_conf "$LT_DIR/c" 0
printf 'Subject: row 10\n\nbody\n' >"$LT_DIR/msg"
# two peers (the second for the cases that need two hosts), each reading
# the mode and step of the next connection from $LT_DIR/mode
echo "badcode greeting" >"$LT_DIR/mode"
for n in 0 1; do
    lt_serve badpeer $n "$LT_DIR/peer$n.out" python3 "$(dirname "$0")/badpeer.py" \
        "$(lt_port $n)" "@$LT_DIR/mode" "$LT_DIR/peer.log"
done
T_COMMAND=2 T_DATA=3 T_DEADLINE=6 t_conf "$LT_DIR/c2" 0 1

# bound: the per-step timeout (3 s at most) plus the session deadline (6 s)
# plus slack for a loaded machine; a hang is caught by timeout(1) at 60 s
bound_ms=15000
cases=0
try() { # try MODE STEP [CONF]
    local mode=$1 step=$2 conf=${3:-$LT_DIR/c} t0 t1 rc
    echo "$mode $step" >"$LT_DIR/mode"
    t0=$(date +%s%3N)
    timeout 60 "$DLPSEND" -c "$conf" -f s@example.com -r r@example.com \
        <"$LT_DIR/msg" >"$LT_OUT" 2>&1
    rc=$?
    t1=$(date +%s%3N)
    [ "$rc" = 124 ] && lt_fail "$mode at $step: dlpsend hung (killed after 60 s)"
    [ "$rc" = 0 ] || lt_fail "$mode at $step: dlpsend exited with status $rc (crash?)"
    grep -q '^verdict=tempfail ' "$LT_OUT" ||
        lt_fail "$mode at $step: want verdict=tempfail"
    [ $((t1 - t0)) -le $bound_ms ] ||
        lt_fail "$mode at $step: took $((t1 - t0)) ms (bound $bound_ms ms)"
    printf '%-10s %-8s %5d ms  %s\n' "$mode" "$step" $((t1 - t0)) \
        "$(grep '^verdict=' "$LT_OUT" | cut -c1-110)"
    cases=$((cases + 1))
}

for mode in longline badcode shortcode lettercode lowcode mixed nulcode nultext; do
    for step in greeting ehlo mail rcpt data dot; do
        try "$mode" "$step"
    done
done
# a reply that never ends is a timeout.  After the final dot that is
# TEMPFAIL (DEFERRED); before it, a single host that timed out is
# DESIGN.md row 2 (bypass by design), so there two hosts both time out
# (row 4: TEMPFAIL)
for mode in nolf trickle; do
    try "$mode" greeting "$LT_DIR/c2"
    try "$mode" rcpt "$LT_DIR/c2"
    try "$mode" dot
done
# the sanitised text of a reply with NUL and control bytes
try nultext mail
grep -q 'a?b?c?d' "$LT_OUT" || lt_fail "NUL/control bytes not censored in the reply text"
grep -qP '[\x00-\x08]' "$LT_OUT" && lt_fail "control bytes passed through"
# nothing ever reached the end of data except at step "dot"
echo "PASS: bad_replies ($cases cases)"
