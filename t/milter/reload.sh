#!/bin/bash
# reload.sh - SIGHUP reloads the configuration: the next message uses the
# new DLP host, on a connection opened before the reload (one Postfix
# keeps cached) as on a new one; a bad file is logged and the old
# configuration kept; SIGHUP never stops the milter (libmilter's own
# signal thread would).  reload_msg.sh: a message in flight keeps its own.
. "$(dirname "$0")/mtlib.sh"
mt_init reload

mt_sink 1
mt_sink 2
t_conf "$MT_DIR/c" 1
t_conf "$MT_DIR/c2" 2
mt_start "$MT_DIR/c"
# the script renames c2 over c, sends SIGHUP, and waits for the log line
mt_run reload.lua -D "pid=$MT_MILTER_PID" -D "conf=$MT_DIR/c" \
    -D "newconf=$MT_DIR/c2" -D "log=$MT_LOG"
for m in R1:1 R2:2 R3:2; do
    grep -lq "^Subject: ${m%:*}\$" "$MT_DIR"/sink"${m#*:}"/* 2>/dev/null ||
        mt_fail "message ${m%:*} did not reach sink ${m#*:}"
done
[ "$(mt_nmsgs 1)" = 1 ] && [ "$(mt_nmsgs 2)" = 2 ] ||
    mt_fail "sink 1 got $(mt_nmsgs 1) messages, sink 2 $(mt_nmsgs 2)"

# a bad file: logged, the old configuration (sink 2) stays
echo 'bogus = 1;' >>"$MT_DIR/c"
kill -HUP "$MT_MILTER_PID"
for _ in $(seq 1 50); do
    grep -q 'reload failed' "$MT_LOG" && break
    sleep 0.1
done
mt_log_expect "reload failed, keeping the old configuration: $MT_DIR/c:[0-9]+: "
# many SIGHUPs: the milter keeps running
for _ in 1 2 3 4 5 6 7 8; do
    kill -HUP "$MT_MILTER_PID"
    sleep 0.05
done
sleep 0.3
kill -0 "$MT_MILTER_PID" 2>/dev/null || mt_fail "SIGHUP stopped the milter"
mt_log_reject 'stopping'
mt_run reload2.lua
[ "$(mt_nmsgs 2)" = 3 ] || mt_fail "after a bad reload, sink 2 got $(mt_nmsgs 2) messages, want 3"
mt_stop
echo "PASS: reload"
