#!/bin/bash
# least_loaded.sh - least-loaded sends fewer messages to a slow host: the
# first of three hosts answers DATA only after 1 s; 60 messages from three
# threads through one pool (a thread picks while the other two hold
# sessions).  Under "ordered" the slow first host would take all of them,
# under round-robin a third; least-loaded (fewest sessions in use, ties
# in order) gives it under a sixth, and the fast hosts take the rest.
# Weights count: with the fast hosts at weights 1 and 4, the weight-4
# host takes the most.  Ports 28610-28619.
. "$(dirname "$0")/ballib.sh"
bl_init least_loaded
lt_sink 1 -w 1
lt_sink 2
lt_sink 3

bl_conf "$LT_DIR/ll" least-loaded 1 2 3
bl_send "$LT_DIR/ll" 60 3
[ "$(bl_verdicts)" = "60 delivered" ] || lt_fail "verdicts: $(bl_verdicts)"
slow=$(bl_taken 1)
[ "$slow" -lt 10 ] || lt_fail "least-loaded: the slow host took $slow of 60, want < 10"
# (how the two fast hosts share is timing: idle, they tie, and ties go
# in configured order)
[ $(($(bl_taken 2) + $(bl_taken 3))) = $((60 - slow)) ] ||
    lt_fail "least-loaded: the fast hosts took $(bl_taken 2) + $(bl_taken 3) of 60"

bl_conf "$LT_DIR/llw" least-loaded 1 2:w=1 3:w=4
bl_send "$LT_DIR/llw" 60 3
[ "$(bl_verdicts)" = "60 delivered" ] || lt_fail "verdicts: $(bl_verdicts)"
[ "$(bl_taken 1)" -lt 10 ] || lt_fail "weighted: the slow host took $(bl_taken 1) of 60"
[ "$(bl_taken 3)" -gt "$(bl_taken 2)" ] ||
    lt_fail "weighted: host 3 (weight 4) took $(bl_taken 3), host 2 (weight 1) $(bl_taken 2)"
echo "PASS: least_loaded (slow host $slow of 60)"
