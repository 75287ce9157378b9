#!/bin/bash
# reject.sh - seed row 7: the DLP answers 5xx, once at RCPT and once
# after the final dot.  The message is bounced: the sender gets one DSN
# that carries the DLP's text, and nothing is delivered or kept.
. "$(dirname "$0")/testlib.sh"
tl_init reject

tl_setup
t_conf "$TL_DIR/dlp.conf" "127.0.0.1:$(tl_port 6)"
tl_milter "$TL_DIR/dlp.conf"
n=0
for step in RCPT .; do
    name=reject_${step/./dot}
    n=$((n + 1))
    tl_sink "$name" "$(tl_port 6)" -f "$step" \
        -B "550 5.7.1 DLP-policy-violation-at-$name"
    tl_send rcpt@example.com
    tl_settle
    tl_expect_nmsgs internet 0
    tl_expect_nmsgs bounce "$n"
    f=$(ls -t "$TL_DIR"/sink.bounce/* | head -n 1)
    grep -q '^X-Rcpt-Args: <sender@sender\.test>' "$f" ||
        tl_fail "the DSN is not addressed to the sender: $(cat "$f")"
    grep -q '^X-Mail-Args: <>' "$f" || tl_fail "the DSN has a sender: $(cat "$f")"
    tl_unfold "$f" | grep -q "^Diagnostic-Code: smtp; 550 5\.7\.1 DLP-policy-violation-at-$name" ||
        tl_fail "the DSN does not carry the DLP text: $(cat "$f")"
    grep -q '^Action: failed' "$f" || tl_fail "the DSN is not a failure: $(cat "$f")"
    tl_sink_stop "$name"
done
tl_expect_milter_log "verdict=reject "
tl_pass
