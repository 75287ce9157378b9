#!/bin/bash
# syn_drop_milter_load.sh - TESTING.md row 22: one of two DLP hosts drops
# SYNs at the shipped connect timeout (5 s) while the real
# dlpbypass-milter behind a private Postfix sandwich (t/e2e/testlib.sh)
# gets at least 60 msg/s for 15 s (smtp-source, several sessions, a batch
# every second).  Pass means: the milter is still alive at the end and its
# stderr has no sanitizer report; nothing is lost (every message the
# gateway accepted reaches the DLP sink exactly once, deferred ones after
# the test flushes the queue); nothing is bypassed (no X-DLP-Bypass header
# at the Internet sink), nothing bounced.  Meant for the sanitizer build
# (bash t/sanitize t/faults/syn_drop_milter_load.sh) as much as the plain
# one: in the first 5 s every message dials the dead host, abandons that
# connect after the 250 ms stagger and hands it to the pool's sweeper
# until its connect timeout: some 300 connects in flight at once.  The
# gateway's dlpscan and 10025 smtpd process limits are raised from the
# fragments' 10 to 30 so that the offered rate reaches the milter.
# The milter runs in a network namespace of this test where 10.200.0.2 is
# a local address whose SYNs iptables drops.  SDML_RATE (msg/s, default
# 70), SDML_SECS (default 15), SDML_SESSIONS (per batch, default 5).
#
. "$(dirname "$0")/../e2e/testlib.sh"
tl_init syn_drop_milter_load
RATE=${SDML_RATE:-70}
SECS=${SDML_SECS:-15}
SESS=${SDML_SESSIONS:-5}
: "${SMTP_SOURCE:=$(command -v smtp-source || echo /usr/sbin/smtp-source)}"
[ -x "$SMTP_SOURCE" ] || tl_skip "smtp-source (package postfix) is not installed"
command -v iptables >/dev/null || tl_skip "iptables is not installed"

tl_netns
tl_in_ns ip addr add 10.200.0.2/32 dev lo ||
    tl_skip "cannot add an address in the namespace"
tl_in_ns iptables -A INPUT -d 10.200.0.2 -p tcp --syn -j DROP ||
    tl_skip "iptables refused a rule in the namespace"
TL_MILTER_SOCKET_PF=unix:$TL_DIR/milter.sock
tl_setup
# 70 msg/s, each waiting the 250 ms stagger while the dead host is not yet
# known down, need some 20 milter sessions at once: the fragments' 10
# dlpscan/10025 processes would cap the milter at 40 msg/s (10 / 0.25 s)
# and the offered rate would pile up in the gateway's queue instead
GW=$(tl_pf_dir gw)
tl_pf_main gw "dlpscan_destination_concurrency_limit = 30" \
    "dlpscan_initial_destination_concurrency = 30" # no slow start either
sed -i -e 's/^\(dlpscan *unix *- *- *n *- *\)10 /\130 /' \
    -e "s/^\(127\.0\.0\.1:$(tl_port 1) *inet *n *- *n *- *\)10 /\130 /" "$GW/master.cf"
[ "$(grep -cE '^(dlpscan|127\.0\.0\.1:'"$(tl_port 1)"') .* 30 +smtpd?$' "$GW/master.cf")" = 2 ] ||
    tl_fail "could not raise the process limits in $GW/master.cf: $(grep -E '^(dlpscan|127)' "$GW/master.cf")"
tl_pf_stop gw
tl_pf_start gw
tl_wait_port "$(tl_port 1)" || tl_fail "gateway :10025 smtpd does not listen"
tl_sink_ns dlp "127.0.0.1:$(tl_port 6)"
tl_wait_port "$(tl_port 6)" 5 ns || tl_fail "the DLP sink did not start"
# the shipped defaults but for the servers: connect_timeout said
# explicitly, stagger, the other timeouts, health and reuse not set
cat >"$TL_DIR/dlp.conf" <<EOF
milter: { tmpdir = "$TL_DIR"; allow_root = true; };
dlp: {
  servers = (
    { host = "10.200.0.2"; port = 10025; },
    { host = "127.0.0.1"; port = $(tl_port 6); }
  );
  connect_timeout = 5; # the shipped default
  helo_name = "gw.test";
};
EOF
tl_milter "$TL_DIR/dlp.conf" "unix:$TL_DIR/milter.sock"

# the load: a batch of RATE messages (SESS sessions) started every second;
# smtp-source -N makes each recipient N<batch tag>: "12r.b3@example.com"
pids=()
t0=$(date +%s%3N)
for b in $(seq 1 "$SECS"); do
    "$SMTP_SOURCE" -s "$SESS" -m "$RATE" -N -S "sdml batch $b" \
        -f sender@sender.test -t "r.b$b@example.com" "127.0.0.1:$(tl_port 0)" \
        >"$TL_DIR/source.$b.log" 2>&1 &
    pids+=($!)
    next=$((t0 + b * 1000))
    now=$(date +%s%3N)
    [ "$now" -lt "$next" ] && sleep "$(awk -v ms=$((next - now)) 'BEGIN { print ms / 1000 }')"
done
bad=""
for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || bad="$bad $((i + 1))"
done
t1=$(date +%s%3N)
[ -z "$bad" ] || tl_fail "the gateway did not take every message of batch(es)$bad: $(cat "$TL_DIR/source.${bad# }".log | head -5)"
sent=$((RATE * SECS))
offered=$(awk -v n=$sent -v ms=$((t1 - t0)) 'BEGIN { printf "%.1f", n * 1000 / ms }')
echo "offered: $sent messages in $((t1 - t0)) ms ($offered msg/s, $SESS sessions a batch)"
awk -v r="$offered" 'BEGIN { exit !(r >= 60) }' ||
    tl_fail "only $offered msg/s offered, want >= 60 (the gateway's public smtpd was too slow)"

# let the queue drain; deferred messages are flushed every 5 s
for ((i = 1; i <= 120; i++)); do
    [ "$(tl_pf_count gw)" = 0 ] && break
    kill -0 "$TL_MILTER_PID" 2>/dev/null || break
    [ $((i % 10)) = 0 ] && tl_pf_flush gw
    sleep 0.5
done
drain=$(($(date +%s%3N) - t1))
sleep 0.5
echo "verdicts: $(grep -o ' verdict=[a-z]* reason=[a-z_]*' "$TL_DIR/milter.log" |
    sort | uniq -c | awk '{ printf "%s %s %s; ", $1, $2, $3 }')"
echo "queue drained $drain ms after the last batch; deferrals logged: $(tl_pf_log gw | grep -c 'status=deferred')"

# the milter: alive, no sanitizer report
san=$(grep -E -A12 '==[0-9]+==ERROR: (Address|Leak|Thread)Sanitizer|runtime error:|AddressSanitizer:DEADLYSIGNAL' "$TL_DIR/milter.log" | head -40)
[ -z "$san" ] || tl_fail "sanitizer report in the milter's stderr: $san"
kill -0 "$TL_MILTER_PID" 2>/dev/null ||
    tl_fail "the milter died (queue: $(tl_pf_count gw) messages left): $(tail -n 20 "$TL_DIR/milter.log")"
[ "$(tl_pf_count gw)" = 0 ] ||
    tl_fail "$(tl_pf_count gw) messages still queued after the flushes: $(tl_pf_json gw | head -3)"

# nothing bypassed or bounced; each message at the DLP exactly once
bypassed=$(grep -l '^X-DLP-Bypass:' "$TL_DIR"/sink.internet/* 2>/dev/null | wc -l)
[ "$bypassed" = 0 ] || tl_fail "$bypassed messages bypassed the DLP (X-DLP-Bypass at the Internet sink)"
tl_expect_nmsgs internet 0
tl_expect_nmsgs bounce 0
for b in $(seq 1 "$SECS"); do
    for n in $(seq 1 "$RATE"); do echo "<${n}r.b$b@example.com>"; done
done | sort >"$TL_DIR/want"
find "$TL_DIR/sink.dlp" -type f -size +0 -exec sed -n 's/^X-Rcpt-Args: \(<[^>]*>\).*/\1/p' {} + |
    sort >"$TL_DIR/got"
dup=$(uniq -d "$TL_DIR/got" | head -5)
[ -z "$dup" ] || tl_fail "the DLP received messages more than once: $(echo $dup)"
missing=$(comm -23 "$TL_DIR/want" "$TL_DIR/got" | wc -l)
extra=$(comm -13 "$TL_DIR/want" "$TL_DIR/got" | head -3)
[ "$missing" = 0 ] || tl_fail "$missing of $sent messages never reached the DLP: $(comm -23 "$TL_DIR/want" "$TL_DIR/got" | head -3 | tr '\n' ' ')"
[ -z "$extra" ] || tl_fail "the DLP received messages nobody sent: $extra"
echo "all $sent messages at the DLP exactly once, none bypassed, the milter alive"
tl_pass
