#!/bin/bash
# reload_msg.sh - a reload applies per message, not per connection: on one
# milter connection (as Postfix keeps one cached for minutes), message 1
# is bypassed (no DLP listens), the operator turns bypass off and sends
# SIGHUP while message 2 is in flight: message 2 keeps the configuration
# it started with (bypassed, stamped with its header name), message 3 on
# the same connection is tempfailed (reason=disabled).
. "$(dirname "$0")/mtlib.sh"
mt_init reload_msg

t_conf "$MT_DIR/c" 1 # nothing listens there
T_BYPASS=false T_HEADER=X-Other-Bypass t_conf "$MT_DIR/c2" 1
mt_start "$MT_DIR/c"
mt_run reload_msg.lua -D "pid=$MT_MILTER_PID" -D "conf=$MT_DIR/c" \
    -D "newconf=$MT_DIR/c2" -D "log=$MT_LOG"
mt_stop
mt_log_expect 'QM1: verdict=bypass reason=unreachable '
mt_log_expect 'QM2: verdict=bypass reason=unreachable '
mt_log_expect "QM3: verdict=tempfail reason=disabled .* reply=\"451 4\\.4\\.1 "
echo "PASS: reload_msg"
