#!/bin/bash
# budget.sh - the bypass budget (issue 10) with a real Postfix sandwich,
# the only DLP host refused:
# - max_messages 3: messages 1-3 are bypassed (delivered once each with
#   the bypass header), the 4th is deferred with reason budget-spent (the
#   decision line, the event, postqueue); a SIGHUP and a restart of the
#   milter (state file) keep it spent; the DLP comes back, takes the
#   deferred message, the episode ends and the next outage bypasses again;
# - max_bytes 5000 with ~3.6 kB messages: 2 bypassed, the 3rd deferred;
# - max_duration 2: 2 bypassed at once, one 2.5 s later deferred.
. "$(dirname "$0")/testlib.sh"
tl_init budget

STATE=$TL_DIR/budget.state
CONF=$TL_DIR/dlp.conf

# expect_spent SUBJECT LIMIT - SUBJECT waits deferred, budget-spent
expect_spent() {
    local r
    r=$(pt_deferred_reason "$1")
    echo "$r" | grep -q "budget-spent" ||
        tl_fail "message $1 deferred for another reason: $r"
    tl_expect_milter_log "verdict=tempfail reason=budget-spent "
    tl_expect_milter_log "event=budget-spent limit=$2 "
    postqueue -c "$(tl_pf_dir gw)" -p | grep -q "budget-spent" ||
        tl_fail "postqueue -p does not show budget-spent"
}

# flush_until_dlp COUNT - retry the queue until the DLP sink has COUNT
flush_until_dlp() {
    local i
    for ((i = 0; i < 20; i++)); do
        tl_pf_flush gw
        sleep 1
        [ "$(tl_nmsgs dlp)" -ge "$1" ] && [ "$(tl_pf_count gw)" = 0 ] &&
            return 0
    done
    tl_fail "the DLP did not get the deferred message"
}

# bypassed COUNT - the Internet sink has COUNT messages, all stamped
bypassed() {
    pt_wait_sink internet "$1"
    sleep 0.3
    tl_expect_nmsgs internet "$1"
    [ "$(grep -l '^X-DLP-Bypass: unreachable' "$TL_DIR"/sink.internet/* |
        wc -l)" = "$1" ] || tl_fail "not every bypassed message is stamped"
}

tl_setup
pt_conf "$CONF" "budget: { max_messages = 3; state_file = \"$STATE\"; };"
tl_milter "$CONF"

# max_messages 3: three bypassed, the fourth deferred
for i in 1 2 3; do
    pt_send "m$i"
    bypassed "$i"
done
tl_expect_milter_log "event=bypass-start "
pt_send m4
expect_spent m4 max_messages
grep -q "^spent 1\$" "$STATE" || tl_fail "state file not spent: $(cat "$STATE")"
tl_expect_nmsgs internet 3

# SIGHUP keeps it spent
pt_hup
n=$(pt_count_log "reason=budget-spent ")
tl_pf_flush gw
pt_wait_count_log "reason=budget-spent " $((n + 1))
tl_expect_nmsgs internet 3

# a restart of the milter keeps it spent (state file)
tl_milter_stop
tl_milter "$CONF"
n=$(pt_count_log "reason=budget-spent ")
tl_pf_flush gw
pt_wait_count_log "reason=budget-spent " $((n + 1))
tl_expect_nmsgs internet 3
tl_expect_milter_log "bypass budget state from $STATE: .*spent=max_messages"

# the DLP comes back: it takes m4, the episode ends, the budget refills
pt_dlp_up
flush_until_dlp 1
tl_pf_wait_empty gw
tl_expect_milter_log "event=bypass-end by=(dlp|host-up) messages=3 "
grep -q "^spent 0\$" "$STATE" || tl_fail "state file still spent: $(cat "$STATE")"
grep -q "^Subject: m4\$" "$TL_DIR"/sink.dlp/* || tl_fail "the DLP got another message"

# the next outage bypasses again
pt_dlp_down
pt_send m5
bypassed 4
[ "$(pt_count_log "event=bypass-start ")" = 2 ] ||
    tl_fail "want 2 bypass-start events: $(grep event= "$TL_DIR/milter.log")"

# max_bytes 5000, messages of ~3.6 kB: two bypassed, the third deferred
pt_conf "$CONF" "budget: { max_bytes = 5000; state_file = \"$STATE\"; };"
pt_hup
pt_dlp_up
sleep 1.5 # the host's health retry (1 s)
pt_send b0
pt_wait_count_log "verdict=delivered " 2 # the DLP took b0: m5's episode ends
tl_expect_milter_log "event=bypass-end by=(dlp|host-up) messages=1 "
pt_dlp_down
pt_send b1 -b 3000
bypassed 5
pt_send b2 -b 3000
bypassed 6
pt_send b3 -b 3000
expect_spent b3 max_bytes
tl_expect_milter_log "event=budget-spent limit=max_bytes messages=2 "
tl_expect_nmsgs internet 6

# max_duration 2: two at once are bypassed, one 2.5 s later is deferred
pt_conf "$CONF" "budget: { max_duration = 2; state_file = \"$STATE\"; };"
pt_hup
pt_dlp_up
sleep 1.5
flush_until_dlp 3 # b3 taken: the episode ends
tl_pf_wait_empty gw
pt_wait_count_log "event=bypass-end by=(dlp|host-up) messages=2 " 1
pt_dlp_down
pt_send d1
bypassed 7
pt_send d2
bypassed 8
sleep 2.5
pt_send d3
expect_spent d3 max_duration
tl_expect_milter_log "event=budget-spent limit=max_duration messages=2 "
tl_expect_nmsgs internet 8
tl_pass
