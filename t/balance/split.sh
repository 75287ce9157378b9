#!/bin/bash
# split.sh - three healthy DLP hosts (smtp-sink), 300 messages from two
# threads through one pool: round-robin splits them within +-10 % of even,
# weights 1:2:3 are respected within +-10 %, and "ordered" (the default)
# is unchanged: the first host takes everything.  Ports 28600-28609.
. "$(dirname "$0")/ballib.sh"
bl_init split
lt_sink 1
lt_sink 2
lt_sink 3

bl_conf "$LT_DIR/rr" round-robin 1 2 3
bl_send "$LT_DIR/rr" 300 2
[ "$(bl_verdicts)" = "300 delivered" ] || lt_fail "verdicts: $(bl_verdicts)"
for n in 1 2 3; do
    bl_near "$(bl_taken $n)" 100 10 ||
        lt_fail "round-robin: host $n took $(bl_taken $n) of 300, want 100 +- 10 %"
done

bl_conf "$LT_DIR/w" round-robin 1:w=1 2:w=2 3:w=3
bl_send "$LT_DIR/w" 300 2
[ "$(bl_verdicts)" = "300 delivered" ] || lt_fail "verdicts: $(bl_verdicts)"
want=(0 50 100 150)
for n in 1 2 3; do
    bl_near "$(bl_taken $n)" "${want[$n]}" 10 ||
        lt_fail "weights 1:2:3: host $n took $(bl_taken $n) of 300, want ${want[$n]} +- 10 %"
done

bl_conf "$LT_DIR/o" ordered 1 2 3
bl_send "$LT_DIR/o" 60 2
[ "$(bl_taken 1)" = 60 ] || lt_fail "ordered: host 1 took $(bl_taken 1) of 60, want all"
grep -Ev "dlp=127\.0\.0\.1\[127\.0\.0\.1\]:$(lt_port 1)/accepted$" "$LT_OUT" | grep -q . &&
    lt_fail "ordered: a message tried another host: $(grep -Ev ":$(lt_port 1)/accepted$" "$LT_OUT" | head -3)"
echo "PASS: split"
