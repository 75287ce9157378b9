#!/bin/bash
# many_rcpts.sh - 100 recipients: each one is passed to the DLP, the DLP
# receives one message with all of them, and the log counts them.
. "$(dirname "$0")/mtlib.sh"
mt_init many_rcpts

mt_sink 1
t_conf "$MT_DIR/c" 1
mt_start "$MT_DIR/c"
mt_run many_rcpts.lua
mt_stop
[ "$(mt_nmsgs 1)" = 1 ] || mt_fail "sink got $(mt_nmsgs 1) messages, want 1"
f=$(find "$MT_DIR/sink1" -type f -size +0)
[ "$(grep -c '^X-Rcpt-Args: <r[0-9]*@example.org>$' "$f")" = 100 ] ||
    mt_fail "the DLP got $(grep -c '^X-Rcpt-Args:' "$f") recipients"
for i in 1 50 100; do
    grep -q "^X-Rcpt-Args: <r$i@example.org>\$" "$f" || mt_fail "r$i missing"
done
mt_log_expect 'QM1: verdict=delivered reason=accepted .* nrcpt=100( |$)'
echo "PASS: many_rcpts"
