#!/bin/bash
# nodelay.sh - over a TCP milter socket (inet:) a bypassed message (every
# DLP port refused, so the milter adds its header) gets the header
# modification and the final accept back to back: no delayed-ACK stall
# between the two (Nagle's algorithm held the accept back until the MTA's
# delayed ACK, >= 40 ms on Linux, before the milter set TCP_NODELAY on
# its listening socket).  eom-gap.py plays the MTA with delayed ACKs on
# and times modification -> reply over 20 messages on 4 connections; the
# median must stay well under the 40 ms signature (20 ms), so a loaded
# machine's odd slow reply does not matter.
. "$(dirname "$0")/mtlib.sh"
mt_init nodelay

command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
port=$(mt_port 9)
mt_listening "$port" && mt_fail "port $port is already in use"
MT_SOCK=inet:$port@127.0.0.1
t_conf "$MT_DIR/c" 1 2 # nothing listens there: bypass
"$MT_MILTER" -f -c "$MT_DIR/c" -p "$MT_SOCK" >>"$MT_LOG" 2>&1 &
MT_MILTER_PID=$!
tb_wait_port "$port" 10 || mt_fail "the milter does not listen on $MT_SOCK"

python3 "$MT_SRC/eom-gap.py" 127.0.0.1 "$port" 4 5 X-DLP-Bypass >"$MT_OUT" 2>&1 ||
    mt_fail "eom-gap.py failed"
median=$(awk '$1 == "median" { print $2 }' "$MT_OUT")
[ -n "$median" ] || mt_fail "eom-gap.py printed no median"
awk -v m="$median" 'BEGIN { exit !(m < 20) }' ||
    mt_fail "modification -> accept takes $median ms (median): the delayed-ACK stall"
mt_stop
mt_log_expect "GAP19: verdict=bypass reason=unreachable"
mt_log_reject "TCP_NODELAY"
echo "PASS: nodelay (median gap $median ms)"
