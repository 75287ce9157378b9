#!/bin/bash
# never.sh - never-bypass rules (issue 10) with a real Postfix sandwich.
# During an outage (the only DLP host refused) mail that matches a rule
# is deferred with reason never-bypass:KIND - a sender (exact and a
# subdomain of an @domain rule), one recipient of two (the whole message
# waits), a header (Sensitivity, and an msip_labels field whose match
# is after a fold), a size - while other mail (a look-alike domain, a
# harmless Sensitivity value) is bypassed.  When the DLP is back every
# deferred message is scanned normally: the DLP gets each once, nothing
# reaches the Internet unscanned.  -n refuses a bad regular expression
# and a bad address with file and line.
. "$(dirname "$0")/testlib.sh"
tl_init never

CONF=$TL_DIR/dlp.conf

# expect_reason SUBJECT KIND - SUBJECT is deferred with never-bypass:KIND
expect_reason() {
    local r
    r=$(pt_deferred_reason "$1")
    [ -n "$r" ] && ! echo "$r" | grep -qv "(never-bypass:$2)" ||
        tl_fail "message $1: want never-bypass:$2 for each recipient, got: $r"
}

tl_setup
pt_conf "$CONF" "never: {" \
    "  senders = ( \"ceo@example.com\", \"@finance.example.com\" );" \
    "  recipients = ( \"@competitor.example\" );" \
    "  headers = ( \"^Sensitivity: *Company-Confidential\"," \
    "              \"^msip_labels:.*_Enabled=true\" );" \
    "  max_size = 5000;" \
    "};"
tl_milter "$CONF"

pt_send s1 -f CEO@Example.com
pt_send s2 -f payroll@pay.finance.example.com
pt_send r1 rcpt@example.com someone@sales.competitor.example
pt_send h1 -h "Sensitivity: Company-Confidential"
pt_send h2 -h $'msip_labels: MSIP_Label_42_SiteId=abc;\n MSIP_Label_42_Enabled=true'
pt_send z1 -b 8000
pt_send ok1 -f someone@xfinance.example.com -h "Sensitivity: Normal"
pt_send ok2 rcpt@example.com other@competitor.example.org

expect_reason s1 sender
expect_reason s2 sender
expect_reason r1 recipient
expect_reason h1 header
expect_reason h2 header
expect_reason z1 size
tl_expect_milter_log "verdict=tempfail reason=never-bypass:sender "
tl_expect_milter_log "verdict=tempfail reason=never-bypass:recipient "
tl_expect_milter_log "verdict=tempfail reason=never-bypass:header "
tl_expect_milter_log "verdict=tempfail reason=never-bypass:size "
pt_wait_sink internet 2
sleep 0.5
tl_expect_nmsgs internet 2
tl_expect_nmsgs bounce 0
for s in ok1 ok2; do
    grep -l "^Subject: $s\$" "$TL_DIR"/sink.internet/* >/dev/null ||
        tl_fail "$s was not bypassed"
done
[ "$(grep -l '^X-DLP-Bypass: unreachable' "$TL_DIR"/sink.internet/* | wc -l)" = 2 ] ||
    tl_fail "the bypassed messages are not stamped"
[ "$(tl_pf_count gw)" = 6 ] || tl_fail "want 6 messages queued: $(tl_pf_json gw)"

# the DLP is back: each deferred message is scanned normally, once
pt_dlp_up
sleep 1.5 # the host's health retry (1 s)
for ((i = 0; i < 20; i++)); do
    tl_pf_flush gw
    sleep 1
    [ "$(tl_pf_count gw)" = 0 ] && break
done
tl_pf_wait_empty gw
sleep 0.3
tl_expect_nmsgs dlp 6
tl_expect_nmsgs internet 2
tl_expect_nmsgs bounce 0
for s in s1 s2 r1 h1 h2 z1; do
    [ "$(grep -l "^Subject: $s\$" "$TL_DIR"/sink.dlp/* | wc -l)" = 1 ] ||
        tl_fail "the DLP did not get $s exactly once"
done
[ "$(pt_count_log "verdict=delivered ")" = 6 ] ||
    tl_fail "want 6 messages delivered to the DLP"

# -n: a bad regular expression and a bad address, with file and line
cat >"$TL_DIR/bad.conf" <<EOF
dlp: { servers = ( { host = "127.0.0.1"; port = $(tl_port 6); } ); };
bypass: {
  never: {
    headers = ( "^Sensitivity: *Company-Confidential",
                "^X-Class: (secret" );
  };
};
EOF
"$TL_MILTER_BIN" -n -c "$TL_DIR/bad.conf" >"$TL_DIR/n.out" 2>&1 &&
    tl_fail "-n accepted a bad regular expression"
grep -q "bad.conf:5: bypass.never.headers\[1\]: bad regular expression: " \
    "$TL_DIR/n.out" || tl_fail "-n said: $(cat "$TL_DIR/n.out")"
sed -i -e 's/(secret/secret/' \
    -e 's/^  never: {/  never: {\n    senders = ( "finance.example.com" );/' \
    "$TL_DIR/bad.conf"
"$TL_MILTER_BIN" -n -c "$TL_DIR/bad.conf" >"$TL_DIR/n.out" 2>&1 &&
    tl_fail "-n accepted an address without @"
grep -q 'bad.conf:4: bypass.never.senders: "finance.example.com" is not an address' \
    "$TL_DIR/n.out" || tl_fail "-n said: $(cat "$TL_DIR/n.out")"
tl_pass
