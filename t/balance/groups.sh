#!/bin/bash
# groups.sh - priority groups: hosts 1 and 2 (priority 0) share the load
# and hosts 3 and 4 (priority 1, a DR cluster) get nothing while group 1
# has a live host, even with one host of group 1 down; when all of group
# 1 is down, group 2 shares the load; BYPASS only when every host of both
# groups is unreachable (and then every host is in the decision's dlp=).
# Round-robin, 40 messages from two threads each time; the DR hosts come
# first in dlp.servers (priority, not position, decides).  Ports 28620-28629.
. "$(dirname "$0")/ballib.sh"
bl_init groups
for n in 1 2 3 4; do
    bl_sink_start $n
done
BL_EXTRA="health: { retry_min = 30; retry_max = 60; };"
bl_conf "$LT_DIR/c" round-robin 3:p=1 1:p=0 4:p=1 2:p=0 # DR hosts listed first

# 1. all up: group 1 only, split
bl_send "$LT_DIR/c" 40 2
[ "$(bl_verdicts)" = "40 delivered" ] || lt_fail "all up: verdicts: $(bl_verdicts)"
[ "$(bl_taken 3)" = 0 ] && [ "$(bl_taken 4)" = 0 ] ||
    lt_fail "all up: group 2 took $(bl_taken 3) + $(bl_taken 4) messages"
bl_near "$(bl_taken 1)" 20 10 && bl_near "$(bl_taken 2)" 20 10 ||
    lt_fail "all up: group 1 split $(bl_taken 1) / $(bl_taken 2), want 20 / 20"

# 2. host 1 down: host 2 takes everything, group 2 still untouched
bl_sink_stop 1
bl_send "$LT_DIR/c" 40 2
[ "$(bl_verdicts)" = "40 delivered" ] || lt_fail "host 1 down: verdicts: $(bl_verdicts)"
[ "$(bl_taken 2)" = 40 ] ||
    lt_fail "host 1 down: host 2 took $(bl_taken 2), group 2 $(bl_taken 3) + $(bl_taken 4)"

# 3. group 1 down: group 2 shares the load; every message tried both
# hosts of group 1 first (unreachable), never bypassed
bl_sink_stop 2
bl_send "$LT_DIR/c" 40 2
[ "$(bl_verdicts)" = "40 delivered" ] || lt_fail "group 1 down: verdicts: $(bl_verdicts)"
bl_near "$(bl_taken 3)" 20 10 && bl_near "$(bl_taken 4)" 20 10 ||
    lt_fail "group 1 down: group 2 split $(bl_taken 3) / $(bl_taken 4), want 20 / 20"
g1="127\.0\.0\.1\[127\.0\.0\.1\]:($(lt_port 1)|$(lt_port 2))/unreachable"
[ "$(grep -Ec "dlp=$g1,$g1,[^ ]*/accepted$" "$LT_OUT")" = 40 ] ||
    lt_fail "group 1 down: not every message tried group 1 first: $(head -3 "$LT_OUT")"

# 4. every host of both groups down: bypass, with all four unreachable
bl_sink_stop 3
bl_sink_stop 4
bl_send "$LT_DIR/c" 10 2
[ "$(bl_verdicts)" = "10 bypass" ] || lt_fail "all down: verdicts: $(bl_verdicts)"
[ "$(grep -c 'reason=unreachable dlp=[^ ]*/unreachable,[^ ]*/unreachable,[^ ]*/unreachable,[^ ]*/unreachable$' "$LT_OUT")" = 10 ] ||
    lt_fail "all down: a bypass without every host unreachable: $(head -3 "$LT_OUT")"

# 5. group 2 down but group 1 back: no bypass and nothing to group 2
bl_sink_start 1
bl_conf "$LT_DIR/c2" round-robin 3:p=1 1:p=0 4:p=1 2:p=0 # a fresh pool
bl_send "$LT_DIR/c2" 10 1
[ "$(bl_verdicts)" = "10 delivered" ] || lt_fail "host 1 back: verdicts: $(bl_verdicts)"
echo "PASS: groups"
