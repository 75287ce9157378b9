#!/bin/bash
# progress.sh - while end of message waits on a slow DLP (7 s to answer
# the final dot), the progress callback runs at least every 5 s, and the
# slow answer still counts (data_timeout 10 s).
. "$(dirname "$0")/libtest.sh"
lt_init progress

echo "Subject: x" >"$LT_DIR/msg"
lt_sink 1 -W .:7
T_DATA=10 t_conf "$LT_DIR/c" 1
"$DLPSEND" -P -c "$LT_DIR/c" -f s@example.com -r r@example.com \
    <"$LT_DIR/msg" >"$LT_OUT" 2>&1 || lt_fail "dlpsend failed"
lt_expect '^verdict=delivered reason=accepted '
# the times of the calls, then the 7 s of waiting: no gap over 5.5 s
awk -F'[= ]' '/^progress t=/ { t = $3; if (t - last > 5.5) bad = 1; last = t; n++ }
     END { if (7 - last > 5.5 || n < 1) bad = 1; exit bad }' "$LT_OUT" ||
    lt_fail "progress calls too far apart"
echo "PASS: progress"
