#!/bin/bash
# refund.sh - a bypass refused after the budget counted it (here: the
# audit trail cannot record it, reason internal:audit) does not use up the
# bypass budget: with bypass.budget.max_messages = 1, two unrecordable
# bypasses are deferred as internal:audit (never budget-spent), and once
# the trail can be written the next message is still bypassed.
. "$(dirname "$0")/../e2e/testlib.sh"
. "$(dirname "$0")/auditlib.sh"
tl_init audit_refund

trail=$TL_DIR/missing/audit.jsonl
tl_setup
T_BYPASS_EXTRA="budget: { max_messages = 1; state_file = \"$TL_DIR/budget.state\"; };" \
    at_conf "$TL_DIR/dlp.conf" "$trail" all "127.0.0.1:$(tl_port 7)"
tl_milter "$TL_DIR/dlp.conf"
for i in 1 2; do
    TL_SUBJECT=unrecorded$i tl_send rcpt@example.com
    tl_expect_deferred "bypass cannot be recorded"
    tl_pf_purge gw
done
[ "$(grep -c 'verdict=tempfail reason=internal:audit ' "$TL_DIR/milter.log")" = 2 ] ||
    tl_fail "expected two internal:audit deferrals: $(cat "$TL_DIR/milter.log")"
grep -q "budget-spent" "$TL_DIR/milter.log" &&
    tl_fail "refused bypasses used up the budget: $(cat "$TL_DIR/milter.log")"

mkdir "$TL_DIR/missing"
TL_SUBJECT=recorded tl_send rcpt@example.com
tl_settle
tl_expect_nmsgs internet 1
tl_expect_milter_log "verdict=bypass reason=unreachable "
[ "$(at_lines "$trail")" = 1 ] && [ "$(at_field "$trail" 1 'j["verdict"]')" = bypass ] ||
    tl_fail "the bypass was not recorded: $(cat "$trail" 2>&1)"
tl_pass
