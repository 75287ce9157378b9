#!/bin/bash
# flap.sh - a flapping DLP host cannot flood the log: the only DLP host
# listens and goes away every 0.7 s for 12 s while mail flows, so its
# health goes down and up several times; with alert.burst = 1 and a long
# alert.interval the milter logs (and alerts) one host-down and one
# host-up line in all.  Then a reload shortens the interval, the host
# goes down once more, and that line says how many were suppressed
# (suppressed=N, N >= 1, in the line and in the alert's JSON).
. "$(dirname "$0")/../e2e/testlib.sh"
. "$(dirname "$0")/evlib.sh"
tl_init events_flap

port=$(tl_port 6)
dlp=127.0.0.1:$port
tl_setup
ev_alert_script "$TL_DIR/alert.sh"
t_conf "$TL_DIR/dlp.conf" "$dlp"
# a down host is tried again after 1 s, always (no growing backoff)
sed -i 's/^dlp: {$/dlp: {\n  health: { retry_min = 1; retry_max = 1; };/' "$TL_DIR/dlp.conf"
ev_alert_conf "$TL_DIR/dlp.conf" "$TL_DIR/alert.sh" \
    "timeout = 5; burst = 1; interval = 3600;"
cp "$TL_DIR/dlp.conf" "$TL_DIR/dlp.conf.tmpl"
tl_milter "$TL_DIR/dlp.conf"

python3 "$(dirname "$0")/flapper.py" "$port" 0.7 0.7 12 >"$TL_DIR/flapper.out" 2>&1 &
flapper=$!
TL_PIDS="$TL_PIDS $flapper"
tl_wait_port "$port" || tl_fail "the flapping DLP does not listen"
end=$((SECONDS + 13))
n=0
while [ $SECONDS -lt $end ]; do
    TL_SUBJECT=flap$n tl_send rcpt@example.com
    n=$((n + 1))
    sleep 0.05
done
# the flapper listens for good now; wait until the milter saw it up
for ((i = 0; i < 40; i++)); do
    TL_SUBJECT=up$i tl_send rcpt@example.com
    sleep 0.3
    tail -n 3 "$TL_DIR/milter.log" | grep -q "verdict=tempfail .*$port/busy" && break
done
echo "flapper: $(grep -c '^down' "$TL_DIR/flapper.out") down spells, $n messages"
downs=$(ev_count host-down)
ups=$(ev_count host-up)
[ "$downs" = 1 ] && [ "$ups" -le 1 ] ||
    tl_fail "burst 1: want 1 host-down and at most 1 host-up line, got $downs and $ups"
[ "$(ev_alert_files host-down | grep -c .)" = 1 ] ||
    tl_fail "alerts for host-down: $(ev_alert_files host-down | grep -c .), want 1"

# a short interval from now on: the next host-down passes, with the count
sed 's/interval = 3600;/interval = 1;/' "$TL_DIR/dlp.conf.tmpl" >"$TL_DIR/dlp.conf.new"
mv "$TL_DIR/dlp.conf.new" "$TL_DIR/dlp.conf"
kill -HUP "$TL_MILTER_PID"
tl_expect_milter_log "configuration reloaded"
sleep 1.2
kill "$flapper"
wait "$flapper" 2>/dev/null
TL_SUBJECT=last tl_send rcpt@example.com
ev_wait host-down 2 10
line=$(grep "event=host-down " "$TL_DIR/milter.log" | tail -n 1)
n=$(echo "$line" | sed -n 's/.* suppressed=\([0-9]*\).*/\1/p')
[ -n "$n" ] && [ "$n" -ge 1 ] ||
    tl_fail "the host-down line after the flapping has no suppressed=N: $line"
sleep 0.5
f=$(ev_alert_files host-down | xargs ls -t | head -n 1)
[ "$(ev_json_get "$f" suppressed)" = "$n" ] ||
    tl_fail "alert JSON of the last host-down: suppressed is not $n: $(cat "$f")"
grep -qx "DLPBYPASS_SUPPRESSED=$n" "${f%.json}.env" ||
    tl_fail "alert environment of the last host-down: $(cat "${f%.json}.env")"
echo "suppressed=$n host-down events during the flapping"
tl_pass
