#!/bin/bash
# sessions.sh - several messages on one milter connection, and a message
# aborted in the middle (after part of its body) followed by another one:
# every finished message reaches the DLP exactly once with its own
# content, the aborted one never does (its DLP transaction is dropped
# before the final dot), and each decision is logged under its own queue
# id.
. "$(dirname "$0")/mtlib.sh"
mt_init sessions

mt_sink 1
t_conf "$MT_DIR/c" 1
mt_start "$MT_DIR/c"
mt_run sessions.lua
mt_stop
[ "$(mt_nmsgs 1)" = 4 ] || mt_fail "sink got $(mt_nmsgs 1) messages, want 4"
for s in first second third after-abort; do
    [ "$(grep -l "^Subject: $s\$" "$MT_DIR"/sink1/* | wc -l)" = 1 ] ||
        mt_fail "message \"$s\" not received exactly once"
done
grep -q 'aborted' "$MT_DIR"/sink1/* && mt_fail "the aborted message reached the DLP"
for q in QS1 QS2 QS3 QS5; do
    mt_log_expect "$q: verdict=delivered reason=accepted "
done
mt_log_reject 'QS4: verdict='
echo "PASS: sessions"
