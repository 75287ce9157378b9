#!/bin/bash
# slow_start.sh - a host back from an outage gets its share gradually:
# three hosts, round-robin, balance_slow_start = 4 s, messages every
# 20 ms from one thread through one pool.  Host 3 is stopped after 1 s
# and started again 1.5 s later; the pool's probe sees it back.  In the
# first second after its first message it takes under 20 % (a third
# would be its full share), and from 4.5 s on 25-42 % again.
# Ports 28630-28639.
. "$(dirname "$0")/ballib.sh"
bl_init slow_start
for n in 1 2 3; do
    bl_sink_start $n
done
BL_EXTRA="balance_slow_start = 4; health: { retry_min = 1; retry_max = 1; };"
bl_conf "$LT_DIR/c" round-robin 1 2 3
"$BALSEND" -c "$LT_DIR/c" -n 500 -i 20 >"$LT_OUT" 2>&1 &
pid=$!
sleep 1
bl_sink_stop 3
sleep 1.5
bl_sink_start 3
wait $pid || lt_fail "balsend exited with status $?"
[ "$(bl_verdicts)" = "500 delivered" ] || lt_fail "verdicts: $(bl_verdicts)"
p3=":$(lt_port 3)/accepted"
# the gap: the last message host 3 took before it stopped, then its first
# one after; SHARE FROM TO: host 3's share (%) of the messages in [FROM, TO)
back=$(awk -v h="$p3" 'index($0, h) { split($2, a, "="); if (last && a[2] - last > 1000) { print a[2]; exit } last = a[2] }' "$LT_OUT")
[ -n "$back" ] || lt_fail "host 3 never came back: $(grep -c "$p3" "$LT_OUT") messages"
share() {
    awk -v h="$p3" -v f="$1" -v t="$2" '{ split($2, a, "=") }
        a[2] >= f && a[2] < t { n++; if (index($0, h)) k++ }
        END { print (n ? int(100 * k / n) : -1), n }' "$LT_OUT"
}
read -r early nearly < <(share "$back" $((back + 1000)))
read -r late nlate < <(share $((back + 4500)) $((back + 100000)))
[ "$nearly" -ge 20 ] && [ "$nlate" -ge 40 ] ||
    lt_fail "too few messages to judge: $nearly early, $nlate late"
[ "$early" -lt 20 ] ||
    lt_fail "host 3 back took $early % of $nearly messages in its first second, want < 20 %"
[ "$late" -ge 25 ] && [ "$late" -le 42 ] ||
    lt_fail "host 3 took $late % of $nlate messages after the slow start, want 25-42 %"
echo "PASS: slow_start (first second $early %, later $late %)"
