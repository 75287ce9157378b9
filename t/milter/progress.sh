#!/bin/bash
# progress.sh - a DLP that takes 12 s to answer the final dot: the milter
# keeps Postfix waiting with smfi_progress() at least every 5 s (Postfix
# would otherwise give up after milter_content_timeout) and then passes
# on the DLP's verdict (DISCARD).
. "$(dirname "$0")/mtlib.sh"
mt_init progress

mt_sink 1 -W .:12
T_DATA=20 t_conf "$MT_DIR/c" 1
mt_start "$MT_DIR/c"
printf 'Subject: slow\r\n' >"$MT_DIR/head"
printf 'text\r\n' >"$MT_DIR/body"
perl "$MT_SRC/milter-client.pl" "$MT_DIR/milter.sock" QP1 s@example.com \
    r@example.org "$MT_DIR/head" "$MT_DIR/body" >"$MT_OUT" 2>&1 ||
    mt_fail "milter-client.pl failed"
mt_stop
grep -q '^eom d$' "$MT_OUT" || mt_fail "eom was not discard"
n=$(sed -n 's/^progress //p' "$MT_OUT")
[ -n "$n" ] && [ "$n" -ge 2 ] || mt_fail "only ${n:-0} progress messages in 12 s"
mt_log_expect 'QP1: verdict=delivered reason=accepted .*delay=1[2-9]\.'
echo "PASS: progress ($n progress messages)"
