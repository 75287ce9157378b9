#!/bin/bash
# reload_load.sh - TESTING.md row 14: configuration reload (SIGHUP) under
# load, changing the TLS level of the DLP host.  Messages flow through
# the real sandwich while the milter is told that the DLP (an smtp-sink,
# which offers no STARTTLS) now requires TLS ("encrypt"), and later back.
#   - After the reload, no message reaches the DLP in plaintext: cached
#     plaintext sessions from the old configuration are never reused
#     (they are keyed by configuration object) -- they are deferred
#     (TLS_FAILED -> TEMPFAIL), never bypassed.
#   - Messages in flight at the reload finish under the configuration
#     they started with (delivered) or are deferred: none lost, none
#     delivered directly, none bounced.
#   - After the reload back to plaintext, every message reaches the DLP
#     exactly once (counted by Subject).
# Private Postfix sandwich
. "$(dirname "$0")/../e2e/testlib.sh"
tl_init reload_load
N1=10 N2=20 N3=5

tl_setup
tl_sink dlp "$(tl_port 6)"
T_COMMAND=5 T_DATA=10 t_conf "$TL_DIR/plain.conf" "127.0.0.1:$(tl_port 6)"
awk '/^};$/ && !done { print "  tls: { level = \"encrypt\"; };"; done = 1 } { print }' \
    "$TL_DIR/plain.conf" >"$TL_DIR/tls.conf"
cp "$TL_DIR/plain.conf" "$TL_DIR/dlp.conf"
tl_milter "$TL_DIR/dlp.conf"
"$TL_MILTER_BIN" -n -c "$TL_DIR/tls.conf" >/dev/null 2>&1 ||
    tl_fail "tls.conf rejected: $("$TL_MILTER_BIN" -n -c "$TL_DIR/tls.conf" 2>&1)"
reload() { # reload CONF: switch the milter to CONF, wait for the log line
    local before
    before=$(grep -c 'configuration reloaded' "$TL_DIR/milter.log")
    cp "$1" "$TL_DIR/dlp.conf"
    kill -HUP "$TL_MILTER_PID"
    for _ in $(seq 1 50); do
        [ "$(grep -c 'configuration reloaded' "$TL_DIR/milter.log")" -gt "$before" ] && return 0
        sleep 0.1
    done
    tl_fail "the milter did not reload $1"
}
at_dlp() { grep -l '^Subject: reload ' "$TL_DIR"/sink.dlp/* 2>/dev/null | wc -l; }

# 1. plaintext: messages delivered, sessions to the DLP cached
for i in $(seq 1 "$N1"); do TL_SUBJECT="reload $i" tl_send "r$i@example.com"; done
tl_settle 30
[ "$(at_dlp)" = "$N1" ] || tl_fail "phase 1: the DLP got $(at_dlp) of $N1"

# 2. under load: the reload to "encrypt" happens while messages flow
(
    for i in $(seq $((N1 + 1)) $((N1 + N2))); do
        TL_SUBJECT="reload $i" tl_send "r$i@example.com"
        sleep 0.05
    done
) &
sender=$!
sleep 0.5
reload "$TL_DIR/tls.conf"
wait "$sender" || tl_fail "sending during the reload failed"
mark=$(at_dlp)
# 3. after the reload: nothing may reach the plaintext DLP any more
for i in $(seq $((N1 + N2 + 1)) $((N1 + N2 + N3))); do
    TL_SUBJECT="reload $i" tl_send "r$i@example.com"
done
total=$((N1 + N2 + N3))
for _ in $(seq 1 100); do
    q=$(tl_pf_json gw | grep -c '"queue_name": *"deferred"')
    [ $((q + $(at_dlp))) -ge "$total" ] && break
    sleep 0.2
done
sleep 1
got=$(at_dlp)
echo "delivered before/at the reload: $mark, after it: $((got - mark)), deferred: $q"
[ "$got" = "$mark" ] || tl_fail "$((got - mark)) messages reached the DLP in plaintext after the reload to encrypt"
[ $((q + got)) = "$total" ] || tl_fail "$got delivered + $q deferred != $total sent: $(tl_pf_json gw)"
[ "$q" -ge "$N3" ] || tl_fail "only $q deferred, want at least $N3"
tl_pf_json gw | tl_json_reasons | grep -q '4\.7\.' ||
    tl_fail "deferral reasons do not name TLS: $(tl_pf_json gw | tl_json_reasons | head -3)"
tl_expect_nmsgs internet 0
tl_expect_nmsgs bounce 0
grep -q 'verdict=bypass' "$TL_DIR/milter.log" && tl_fail "a message was bypassed"

# 4. back to plaintext: the queue drains, each message exactly once
reload "$TL_DIR/plain.conf"
tl_pf_drain gw
tl_settle 20
all=$(grep -h '^Subject: reload ' "$TL_DIR"/sink.dlp/* | sort)
[ "$(echo "$all" | wc -l)" = "$total" ] || tl_fail "the DLP has $(echo "$all" | wc -l) copies, want $total"
[ "$(echo "$all" | sort -u | wc -l)" = "$total" ] || tl_fail "duplicates at the DLP: $(echo "$all" | uniq -d)"
tl_expect_nmsgs internet 0
tl_expect_nmsgs bounce 0
tl_pass
