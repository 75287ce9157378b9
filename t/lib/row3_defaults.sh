#!/bin/bash
# row3_defaults.sh - TESTING.md row 18 at the shipped defaults: a host
# that accepts TCP and then hangs at a step before the content (greeting,
# EHLO, MAIL, RCPT) is given up after command_timeout or its share of
# the session deadline, whichever is shorter, never the whole deadline,
# so a healthy second host still takes the message (row 3), never a
# tempfail or a bypass; also with command_timeout 30 (the contract's
# example, longer than the deadline).  And issue 9's three-host case: the first host
# drops SYNs, the second accepts and never greets, the third is healthy:
# the third takes the message (no connect is started on a spent
# deadline).  Shipped defaults for greeting and RCPT and the three hosts
# (connect 5, command 10, deadline 25, stagger 250 ms); EHLO and MAIL with
# the defaults scaled by 1/5 (ratios kept).  In a network namespace of its
# own (10.202.0.2 drops SYNs).
. "$(dirname "$0")/libtest.sh"
lt_init row3_defaults 20270
NS=dlpL-row3-$$
tb_netns_drop "$NS" 10.202.0.2
trap 'ip netns pids "$NS" 2>/dev/null | xargs -r kill -9; ip netns del "$NS" 2>/dev/null; lt_cleanup' EXIT
in_ns() { ip netns exec "$NS" "$@"; }

# ns_sink N [options] - smtp-sink on 127.0.0.1:PORTBASE+N in the namespace
ns_sink() {
    local n=$1
    shift
    tb_sink -n "$NS" "sink$n" "$LT_DIR/sink$n" "127.0.0.1:$(lt_port "$n")" 20 "$@"
}
# conf FILE SCALE SERVER... - SERVER "drop" (10.202.0.2) or a sink N;
# SCALE 1: the shipped defaults (no timeout written: a change of a
# default is tested too), 5: all of them divided by 5, 30: the defaults
# but command_timeout 30 (longer than the deadline: the share decides)
conf() {
    local f=$1 scale=$2 h srv=()
    shift 2
    for h in "$@"; do
        if [ "$h" = drop ]; then srv+=("10.202.0.2:$(lt_port 9)"); else srv+=("$h"); fi
    done
    case $scale in
    5) T_CONNECT=1 T_COMMAND=2 T_DATA=24 T_DEADLINE=5 \
        T_DLP_EXTRA="connect_stagger_ms = 50;" t_conf "$f" "${srv[@]}" ;;
    30) T_CONNECT=default T_COMMAND=30 T_DATA=default T_DEADLINE=default \
        t_conf "$f" "${srv[@]}" ;;
    *) T_CONNECT=default T_COMMAND=default T_DATA=default T_DEADLINE=default \
        t_conf "$f" "${srv[@]}" ;;
    esac
}
# send CONF - one message through dlpsend in the namespace; ms in $MS
send() {
    local start
    start=$(date +%s%N)
    in_ns "$DLPSEND" -c "$1" -f s@example.com -r r@example.com \
        <"$LT_DIR/msg" >"$LT_OUT" 2>&1 || lt_fail "dlpsend exited with status $?"
    MS=$((($(date +%s%N) - start) / 1000000))
}
printf 'Subject: row 3\n\nbody\n' >"$LT_DIR/msg"
ok="127\.0\.0\.1\[127\.0\.0\.1\]:$(lt_port 5)"
ns_sink 5

# 1. one hanging step on host N, host 5 healthy; SCALE, and the bounds
# of the time the message took (the command timeout or, when that is
# longer, the hanging host's share: deadline / 2)
hang() {
    local n=$1 step=$2 scale=$3 lo=$4 hi=$5 p
    p="127\.0\.0\.1\[127\.0\.0\.1\]:$(lt_port "$n")"
    conf "$LT_DIR/c$n" "$scale" "$n" 5
    send "$LT_DIR/c$n"
    lt_expect "^verdict=delivered reason=accepted dlp=$p/session_timeout,$ok/accepted "
    [ "$MS" -ge "$lo" ] && [ "$MS" -lt "$hi" ] ||
        lt_fail "hang at $step: decided after $MS ms, want $lo..$hi"
}
ns_sink 1 -W CONNECT:60
ns_sink 2 -W EHLO:60
ns_sink 3 -p -W MAIL:60 # -p: no PIPELINING (smtp-sink -W lets RCPT overtake)
ns_sink 4 -W RCPT:60
hang 1 greeting 1 9500 14000   # defaults: command_timeout (10 s) < share
hang 2 EHLO 5 1500 4000        # scaled: the command timeout (2 s) < share
hang 3 MAIL 5 1500 4000
hang 4 RCPT 1 9500 14000
hang 1 greeting 30 11500 15000 # command 30 > deadline: the share, 12.5 s

# 2. drop, never greets, healthy: the healthy host decides
conf "$LT_DIR/c3h" 1 drop 1 5
send "$LT_DIR/c3h"
lt_expect "^verdict=delivered reason=accepted "
lt_expect " dlp=[^ ]*10\.202\.0\.2\[10\.202\.0\.2\]:$(lt_port 9)/unreachable"
lt_expect " dlp=[^ ]*127\.0\.0\.1\[127\.0\.0\.1\]:$(lt_port 1)/session_timeout"
lt_expect " dlp=[^ ]*$ok/accepted "
[ "$(tb_sink_nmsgs "$LT_DIR/sink5")" -ge 1 ] || lt_fail "the healthy host got nothing"
echo "PASS: row3_defaults"
