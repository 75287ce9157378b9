#!/bin/bash
# outage.sh - a DLP outage and its recovery through a real Postfix
# sandwich: the milter logs host-down (outcome unreachable) when the only
# DLP host stops listening, host-up when it is back, each exactly once
# and in that order (with bypass-start between them and bypass-end after
# host-up once the policy code emits those); the alert command ran for
# each with the event as one JSON object on stdin and in DLPBYPASS_*
# environment variables.
. "$(dirname "$0")/../e2e/testlib.sh"
. "$(dirname "$0")/evlib.sh"
tl_init events_outage

dlp=127.0.0.1:$(tl_port 6)
tl_setup
tl_sink dlp "$(tl_port 6)"
ev_alert_script "$TL_DIR/alert.sh"
t_conf "$TL_DIR/dlp.conf" "$dlp"
ev_alert_conf "$TL_DIR/dlp.conf" "$TL_DIR/alert.sh" "timeout = 5;"
tl_milter "$TL_DIR/dlp.conf"

# 1: the DLP takes it; a host seen up for the first time is no event
TL_SUBJECT=m1 tl_send rcpt@example.com
tl_settle
tl_expect_nmsgs dlp 1
[ -z "$(ev_events)" ] || tl_fail "events before any outage: $(ev_events)"

# 2: the DLP is gone: bypass, host-down
tl_sink_stop dlp
TL_SUBJECT=m2 tl_send rcpt@example.com
tl_settle
tl_expect_nmsgs internet 1
ev_wait host-down
# 3: still down (skipped by the health state): no second host-down
TL_SUBJECT=m3 tl_send rcpt@example.com
tl_settle
tl_expect_nmsgs internet 2

# back: the next message after the retry time sees it (or the pool's
# probe does), host-up follows
tl_sink dlp "$(tl_port 6)"
sleep 1.5
TL_SUBJECT=m4 tl_send rcpt@example.com
tl_settle
ev_wait host-up 1 10
TL_SUBJECT=m5 tl_send rcpt@example.com
tl_settle
[ "$(tl_nmsgs dlp)" -ge 2 ] || tl_fail "the DLP did not take mail again"
sleep 0.5

# the event lines: each once, in order
seq=$(ev_events | tr '\n' ' ')
# a message whose MAIL came before the host was seen back may still be
# bypassed on the health state's word (DESIGN.md 3a item 2): such a
# message is an episode of its own, ended by the next scanned message
while [ "${seq% event=bypass-start event=bypass-end }" != "$seq" ]; do
    seq="${seq% event=bypass-start event=bypass-end } "
done
case $seq in
"event=host-down event=host-up ") policy=no ;;
"event=host-down event=bypass-start event=host-up event=bypass-end ") policy=yes ;;
*) tl_fail "event lines, want host-down [bypass-start] host-up [bypass-end]: $seq" ;;
esac
grep -Eq "event=host-down host=$dlp addr=127\.0\.0\.1\[127\.0\.0\.1\]:$(tl_port 6) outcome=unreachable detail=\"[^\"]*(refused|Connection)" \
    "$TL_DIR/milter.log" || tl_fail "host-down line without host, addr, outcome, detail"
grep -Eq "event=host-up host=$dlp addr=[^ ]+ down_seconds=[0-9.]+" \
    "$TL_DIR/milter.log" || tl_fail "host-up line without host, addr, down_seconds"

# the alert command: once per event, the JSON and the environment
for ev in host-down host-up; do
    files=$(ev_alert_files $ev)
    [ "$(echo "$files" | grep -c .)" = 1 ] ||
        tl_fail "want one alert for $ev, got: $files $(cat "$TL_DIR"/alerts/*.json 2>/dev/null)"
    [ "$(ev_json_get "$files" host)" = "$dlp" ] ||
        tl_fail "$ev alert: host is not $dlp: $(cat "$files")"
    env=${files%.json}.env
    grep -qx "DLPBYPASS_EVENT=$ev" "$env" && grep -qx "DLPBYPASS_HOST=$dlp" "$env" ||
        tl_fail "$ev alert environment: $(cat "$env")"
done
f=$(ev_alert_files host-down)
[ "$(ev_json_get "$f" outcome)" = unreachable ] &&
    [ "$(ev_json_get "$f" priority)" = warning ] &&
    [ -n "$(ev_json_get "$f" time)" ] &&
    [ -n "$(ev_json_get "$f" detail)" ] ||
    tl_fail "host-down alert JSON: $(cat "$f")"
grep -qx "DLPBYPASS_OUTCOME=unreachable" "${f%.json}.env" ||
    tl_fail "host-down alert environment: $(cat "${f%.json}.env")"
f=$(ev_alert_files host-up)
[ "$(ev_json_get "$f" priority)" = notice ] || tl_fail "host-up alert JSON: $(cat "$f")"
[ "$policy" = yes ] || echo "note: no bypass-start/bypass-end events (policy code not merged): checked host-down and host-up only"
tl_pass
