#!/bin/bash
# alert_hang.sh - an alert command that hangs does not slow mail: the
# only DLP host is down, so the first message raises host-down and the
# alert command (it runs "sleep 1000") hangs.  N messages through the
# sandwich take about as long as the same N with no alert command at
# all (measured in the same run; generous ratio), certainly less than
# the alert timeout; the hung command and its sleep are killed at the
# timeout and that is logged; the milter keeps running.  A storm of
# events while a run hangs fills the bounded queue: the rest are dropped,
# counted and logged, exactly.
. "$(dirname "$0")/../e2e/testlib.sh"
. "$(dirname "$0")/evlib.sh"
tl_init events_alert_hang

N=15
TIMEOUT=10
dlp=127.0.0.1:$(tl_port 6) # nothing listens there
mark=1000.$$               # the hung sleep, found by its argument
tl_setup

# send_n TAG - send N messages; print the seconds they took
send_n() {
    local t0 t1 i
    t0=$(date +%s.%N)
    for ((i = 0; i < N; i++)); do
        TL_SUBJECT=$1$i tl_send rcpt@example.com
    done
    tl_settle 60
    t1=$(date +%s.%N)
    echo "$t0 $t1" | awk '{ printf "%.2f\n", $2 - $1 }'
}

# hung_sleep [PID] - the pid of a live "sleep $mark" (the alert command's
# child: command line exactly that, not a zombie), or only whether PID is
# still that process; pgrep -f would also match any process whose
# command line merely contains the words
hung_sleep() {
    local p
    for p in /proc/${1:-[0-9]*}; do
        [ "$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)" = "sleep $mark " ] || continue
        awk '$1 == "State:" { exit ($2 == "Z") }' "$p/status" 2>/dev/null &&
            { echo "${p#/proc/}"; return 0; }
    done
    return 1
}

# without an alert command
t_conf "$TL_DIR/plain.conf" "$dlp"
tl_milter "$TL_DIR/plain.conf"
plain=$(send_n plain)
tl_milter_stop
tl_expect_nmsgs internet "$N"

# with one that hangs
cat >"$TL_DIR/hang.sh" <<SH
#!/bin/sh
cat >"$TL_DIR/hang.\$DLPBYPASS_EVENT.json"
sleep $mark # a child of the command: its whole group is killed
exit 0
SH
chmod 755 "$TL_DIR/hang.sh"
t_conf "$TL_DIR/hang.conf" "$dlp"
ev_alert_conf "$TL_DIR/hang.conf" "$TL_DIR/hang.sh" \
    "timeout = $TIMEOUT; max_running = 1; burst = 1000;"
tl_milter "$TL_DIR/hang.conf"
t0=$SECONDS
hung=$(send_n hang)
tl_expect_nmsgs internet $((2 * N))
ev_wait host-down
echo "$N messages: $plain s without an alert command, $hung s with one that hangs"
first_sleep=$(hung_sleep | head -n 1)
[ -n "$first_sleep" ] ||
    tl_fail "the alert command was not running (or not hanging) during the mail"
awk -v a="$hung" -v b="$plain" -v t="$TIMEOUT" \
    'BEGIN { exit !(a <= 2 * b + 2 && a < t) }' ||
    tl_fail "mail took $hung s with a hanging alert command, $plain s without"

# the timeout: killed, with its sleep, and logged; the milter lives on
killed="alert: $TL_DIR/hang.sh for event=host-down did not finish in $TIMEOUT s: killed"
while ! grep -qF "$killed" "$TL_DIR/milter.log"; do
    [ $((SECONDS - t0)) -le $((TIMEOUT + 5)) ] ||
        tl_fail "not logged in time: $killed"
    sleep 0.2
done
sleep 0.5
# (the next queued event, bypass-start, may be running its own sleep now)
hung_sleep "$first_sleep" >/dev/null && tl_fail "the alert command's sleep survived the timeout"
[ "$(ev_json_get "$TL_DIR/hang.host-down.json" event)" = host-down ] ||
    tl_fail "the hanging command did not get the JSON: $(cat "$TL_DIR"/hang.*.json)"
kill -0 "$TL_MILTER_PID" 2>/dev/null || tl_fail "the milter died"
TL_SUBJECT=after tl_send rcpt@example.com
tl_settle
tl_expect_nmsgs internet $((2 * N + 1))

# a storm of events while one run hangs: 64 wait in the queue, the rest
# are dropped, counted and logged; the reloads themselves are not held up
for ((i = 0; i < 120; i++)); do
    kill -HUP "$TL_MILTER_PID"
    sleep 0.02
done
sleep 1
reloads=$(ev_count config-reload)
dropped=$(sed -n 's/.*alert: \([0-9]*\) events* not run (the alert queue was full.*/\1/p' \
    "$TL_DIR/milter.log" | awk '{ n += $1 } END { print n + 0 }')
echo "$reloads config-reload events while the command hung: $dropped dropped"
[ "$reloads" -gt 70 ] || tl_fail "only $reloads reloads of 120 SIGHUPs"
# the one running is the first reload's, or still bypass-start's (queued
# behind host-down, then hanging for its own timeout)
[ "$dropped" = $((reloads - 65)) ] || [ "$dropped" = $((reloads - 64)) ] ||
    tl_fail "$reloads events, one running and 64 queued: want $((reloads - 65)) (or $((reloads - 64))) dropped, logged $dropped"
TL_SUBJECT=storm tl_send rcpt@example.com
tl_settle
tl_expect_nmsgs internet $((2 * N + 2))
tl_pass
