#!/bin/bash
# group_stagger.sh - the staggered connect never starts a host of a later
# priority group while a host of an earlier group is undecided: group 1
# is one host whose SYNs are dropped, group 2 one healthy host.  With
# priorities the message waits for group 1's connect to fail (about
# connect_timeout, 2 s) and then goes to group 2: dlp= lists the dropped
# host unreachable, then the accepting one.  The same two hosts in one
# group: the stagger moves on after 250 ms (what the gating holds back).
# In a network namespace of its own (10.202.0.2 drops SYNs); skips where
# the kernel refuses.  Ports 28640-28649 (in the namespace).
. "$(dirname "$0")/ballib.sh"
bl_init group_stagger
NS=dlpB-stagger-$$
tb_netns_drop "$NS" 10.202.0.2
trap 'ip netns pids "$NS" 2>/dev/null | xargs -r kill -9; ip netns del "$NS" 2>/dev/null; lt_cleanup' EXIT
tb_sink -n "$NS" sink1 "$LT_DIR/sink1" "127.0.0.1:$(lt_port 1)" 20

# conf FILE POLICY P_DROP P_SINK - the dropping host first, then sink 1
conf() {
    T_CONNECT=2 T_COMMAND=2 T_DATA=default T_DEADLINE=default \
        T_DLP_EXTRA="balance = \"$2\"; health: { retry_min = 30; retry_max = 60; };" \
        t_conf "$1" "10.202.0.2:$(lt_port 9)+priority=$3" "1+priority=$4"
}
# send CONF - one message in the namespace; ms in $MS
send() {
    local start
    start=$(date +%s%N)
    ip netns exec "$NS" "$BALSEND" -c "$1" -n 1 >"$LT_OUT" 2>&1 ||
        lt_fail "balsend exited with status $?"
    MS=$((($(date +%s%N) - start) / 1000000))
}
drop="10\.202\.0\.2\[10\.202\.0\.2\]:$(lt_port 9)"
one="127\.0\.0\.1\[127\.0\.0\.1\]:$(lt_port 1)"

for policy in ordered round-robin least-loaded; do
    conf "$LT_DIR/g" $policy 0 1
    send "$LT_DIR/g"
    lt_expect "verdict=delivered reason=accepted dlp=$drop/unreachable,$one/accepted$"
    [ "$MS" -ge 1900 ] || lt_fail "$policy: group 2 used after $MS ms, before group 1's connect failed"
done
conf "$LT_DIR/s" ordered 0 0
send "$LT_DIR/s"
lt_expect "verdict=delivered reason=accepted dlp=$one/accepted$"
[ "$MS" -lt 1500 ] || lt_fail "one group: delivered after $MS ms, the stagger did not work"
echo "PASS: group_stagger"
