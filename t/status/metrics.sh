#!/bin/bash
# metrics.sh - the Prometheus endpoint against a real Postfix sandwich:
# during a full outage (the only DLP port refused) three messages are
# bypassed, and /metrics says so exactly (decisions by verdict and reason,
# attempts by host and outcome, the host down, bypassed messages and
# bytes, the hand-off histogram); the DLP comes back and two messages are
# taken by it, and the counters follow.  promtool check metrics passes on
# the output each time; other paths are 404.
. "$(dirname "$0")/../e2e/testlib.sh"
. "$(dirname "$0")/stlib.sh"
tl_init metrics
command -v curl >/dev/null || tl_skip "curl is not installed"
command -v promtool >/dev/null || tl_skip "promtool (package prometheus) is not installed"

DLP=127.0.0.1:$(tl_port 6)
tl_setup
t_conf "$TL_DIR/dlp.conf" "$DLP"
st_conf "$TL_DIR/dlp.conf"
tl_milter "$TL_DIR/dlp.conf"
tl_wait_port "$(tl_port 10)" || tl_fail "the metrics endpoint does not listen"

# before any message: the series that exist from the start
st_metrics
st_expect 'dlpbypass_config_generation' 1
st_expect 'dlpbypass_handoff_seconds_count' 0
st_expect "dlpbypass_host_up{host=\"$DLP\"}" 1

# the outage: three messages, all bypassed (nothing listens on the port)
for i in 1 2 3; do
    TL_SUBJECT="outage $i" tl_send rcpt@example.com
done
tl_settle
tl_expect_nmsgs internet 3
st_metrics
promtool check metrics <"$TL_DIR/metrics.txt" >"$TL_DIR/promtool.out" 2>&1 ||
    tl_fail "promtool check metrics: $(cat "$TL_DIR/promtool.out")"
st_expect 'dlpbypass_decisions_total{verdict="bypass",reason="unreachable"}' 3
st_expect "dlpbypass_attempts_total{host=\"$DLP\",outcome=\"unreachable\"}" 3
st_expect "dlpbypass_host_up{host=\"$DLP\"}" 0
st_expect 'dlpbypass_bypassed_messages_total' 3
st_expect 'dlpbypass_handoff_seconds_count' 3
st_expect 'dlpbypass_handoff_seconds_bucket{le="+Inf"}' 3
# bypassed bytes: what the milter stored of the three messages (>0)
b=$(st_value 'dlpbypass_bypassed_bytes_total')
[ -n "$b" ] && [ "$b" -gt 300 ] || tl_fail "dlpbypass_bypassed_bytes_total is '$b'"
grep -q '^dlpbypass_decisions_total{verdict="delivered"' "$TL_DIR/metrics.txt" &&
    tl_fail "a delivered decision counted during the outage"

# recovery: the DLP is back; after the health state's retry window
# (retry_max 5 s + connect_timeout 1 s) the next messages dial it
tl_sink dlp "$(tl_port 6)"
sleep 7
for i in 1 2; do
    TL_SUBJECT="recovered $i" tl_send rcpt@example.com
done
tl_settle
tl_expect_nmsgs dlp 2
tl_expect_nmsgs internet 3
st_metrics
promtool check metrics <"$TL_DIR/metrics.txt" >"$TL_DIR/promtool.out" 2>&1 ||
    tl_fail "promtool check metrics: $(cat "$TL_DIR/promtool.out")"
st_expect 'dlpbypass_decisions_total{verdict="bypass",reason="unreachable"}' 3
st_expect 'dlpbypass_decisions_total{verdict="delivered",reason="accepted"}' 2
st_expect "dlpbypass_attempts_total{host=\"$DLP\",outcome=\"accepted\"}" 2
st_expect "dlpbypass_host_up{host=\"$DLP\"}" 1
st_expect 'dlpbypass_bypassed_messages_total' 3
st_expect 'dlpbypass_handoff_seconds_count' 5

# only /metrics is served
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://$ST_METRICS/")
[ "$code" = 404 ] || tl_fail "GET / answered $code, want 404"
tl_pass
