#!/bin/bash
# config.sh - the alert keys and the configuration events: -n refuses a
# relative or non-executable alert.command, out-of-range alert.timeout,
# alert.max_running, alert.burst, alert.interval and unknown alert keys,
# naming file and line; a reload logs event=config-reload (and runs the
# alert command of the new configuration), a refused one
# event=config-refused with the error (the old configuration stays); an
# alert command that fails (exit status, cannot be run) is logged and
# the milter goes on; postfix-conf/alert-webhook.sh posts the JSON.
. "$(dirname "$0")/../e2e/testlib.sh"
. "$(dirname "$0")/evlib.sh"
tl_init events_config

dlp=127.0.0.1:$(tl_port 6)
c=$TL_DIR/dlp.conf
ev_alert_script "$TL_DIR/alert.sh"
printf '#!/bin/sh\nexit 0\n' >"$TL_DIR/noexec.sh"
chmod 644 "$TL_DIR/noexec.sh"

# bad ALERT-GROUP-BODY REGEX - -n refuses it with REGEX
bad() {
    t_conf "$c" "$dlp"
    printf 'alert: {\n  %s\n};\n' "$1" >>"$c"
    "$TL_MILTER_BIN" -n -c "$c" >"$TL_DIR/n.out" 2>&1 &&
        tl_fail "-n accepted alert: { $1 }"
    grep -Eq -- "^$c:[0-9]+: .*$2" "$TL_DIR/n.out" ||
        tl_fail "-n on alert: { $1 } said: $(cat "$TL_DIR/n.out"), want /$2/"
}
bad 'command = "alert.sh";' 'alert\.command: "alert\.sh" is not an absolute path'
bad "command = \"$TL_DIR/noexec.sh\";" 'alert\.command: .* is not an executable file'
bad "command = \"$TL_DIR/missing.sh\";" 'alert\.command: .* is not an executable file'
bad 'command = 7;' 'alert\.command: expected a string'
bad 'timeout = 0;' 'alert\.timeout: 0 is out of range'
bad 'max_running = 65;' 'alert\.max_running: 65 is out of range'
bad 'burst = 0;' 'alert\.burst: 0 is out of range'
bad 'interval = 0;' 'alert\.interval: 0 is out of range'
bad 'colour = "red";' "unknown key 'alert\.colour'"
t_conf "$c" "$dlp"
ev_alert_conf "$c" "$TL_DIR/alert.sh" "timeout = 3; max_running = 2; burst = 5; interval = 10;"
"$TL_MILTER_BIN" -n -c "$c" >"$TL_DIR/n.out" 2>&1 || tl_fail "-n refused a good alert group: $(cat "$TL_DIR/n.out")"

# reloads: config-reload and config-refused, each alerted
tl_milter "$c"
kill -HUP "$TL_MILTER_PID"
ev_wait config-reload
grep -q "event=config-reload file=$c\$" "$TL_DIR/milter.log" ||
    tl_fail "config-reload line: $(grep event= "$TL_DIR/milter.log")"
cp "$c" "$c.good"
echo 'bogus = 1;' >>"$c"
kill -HUP "$TL_MILTER_PID"
ev_wait config-refused
grep -Eq "event=config-refused file=$c error=\"$c:[0-9]+: unknown key 'bogus'\"" "$TL_DIR/milter.log" ||
    tl_fail "config-refused line: $(grep event= "$TL_DIR/milter.log")"
grep -q "reload failed, keeping the old configuration" "$TL_DIR/milter.log" ||
    tl_fail "the reload failure line is gone"
sleep 0.5
f=$(ev_alert_files config-refused)
[ -n "$f" ] && [ "$(ev_json_get "$f" file)" = "$c" ] &&
    ev_json_get "$f" error | grep -q "unknown key 'bogus'" ||
    tl_fail "config-refused alert: $(cat "$TL_DIR"/alerts/*.json)"
[ -n "$(ev_alert_files config-reload)" ] || tl_fail "no config-reload alert"

# a failing command: its exit status is logged; one that cannot be run too
printf '#!/bin/sh\nexit 3\n' >"$TL_DIR/fail.sh"
chmod 755 "$TL_DIR/fail.sh"
sed "s|$TL_DIR/alert.sh|$TL_DIR/fail.sh|" "$c.good" >"$c"
kill -HUP "$TL_MILTER_PID"
ev_wait config-reload 2
tl_expect_milter_log "alert: $TL_DIR/fail.sh for event=config-reload exited with status 3"
rm -f "$TL_DIR/fail.sh" # the next reload is refused, its alert cannot run
kill -HUP "$TL_MILTER_PID"
ev_wait config-refused 2
tl_expect_milter_log "alert: cannot run $TL_DIR/fail.sh for event=config-refused: No such file or directory"
kill -0 "$TL_MILTER_PID" 2>/dev/null || tl_fail "the milter died"

# the shipped webhook script posts the JSON with curl
command -v curl >/dev/null || tl_fail "curl is not installed (t/deps.sh)"
python3 "$(dirname "$0")/webhook.py" "$(tl_port 7)" "$TL_DIR/hook.out" &
TL_PIDS="$TL_PIDS $!"
tl_wait_port "$(tl_port 7)" || tl_fail "the webhook receiver does not listen"
cp "$top_srcdir/postfix-conf/alert-webhook.sh" "$TL_DIR/"
echo "URL=http://127.0.0.1:$(tl_port 7)/hook" >"$TL_DIR/alert-webhook.conf"
sed "s|$TL_DIR/alert.sh|$TL_DIR/alert-webhook.sh|" "$c.good" >"$c"
kill -HUP "$TL_MILTER_PID"
ev_wait config-reload 3
for ((i = 0; i < 50; i++)); do
    [ -s "$TL_DIR/hook.out" ] && break
    sleep 0.1
done
grep -q "^application/json	{\"event\":\"config-reload\",.*\"file\":\"$c\"}\$" "$TL_DIR/hook.out" ||
    tl_fail "the webhook got: $(cat "$TL_DIR/hook.out" 2>/dev/null)"
tl_milter_stop
grep -q "stopped" "$TL_DIR/milter.log" || tl_fail "the milter did not stop cleanly"
tl_pass
