#!/bin/bash
# ctl_budget.sh - the operator's budget commands end to end, over the
# control socket with dlpbypass-ctl, against a real Postfix sandwich whose
# only DLP host refuses (issues 10 and 11):
# - budget max_messages 100: m1 is bypassed; "bypass close" spends the
#   budget: m2 is deferred with reason budget-spent (spent_by operator in
#   status --json); "bypass reset" refills it: the queued m2 is bypassed.
. "$(dirname "$0")/testlib.sh"
tl_init ctl_budget

STATE=$TL_DIR/budget.state
CONF=$TL_DIR/dlp.conf
SOCK=$TL_DIR/control
CTL=$top_builddir/milter/dlpbypass-ctl
[ -x "$CTL" ] || tl_skip "$CTL is not built"

# ctl ARGS... - dlpbypass-ctl over this test's control socket
ctl() {
    "$CTL" -s "$SOCK" "$@" 2>&1
}

# json_get EXPR - a value of "status --json", by a Python expression on J
json_get() {
    ctl status --json | python3 -c "import json,sys; J=json.load(sys.stdin); print($1)"
}

tl_setup
pt_conf "$CONF" "budget: { max_messages = 100; state_file = \"$STATE\"; };"
echo "control: { socket = \"$SOCK\"; mode = \"0600\"; };" >>"$CONF"
tl_milter "$CONF"

pt_send m1
pt_wait_sink internet 1
[ "$(json_get 'J["budget"]["spent"]')" = False ] ||
    tl_fail "budget spent before close: $(ctl status)"

out=$(ctl bypass close) || tl_fail "bypass close failed: $out"
[ "$(json_get 'J["budget"]["spent"]')" = True ] ||
    tl_fail "bypass close did not spend the budget: $(ctl status)"
[ "$(json_get 'J["budget"]["spent_by"]')" = operator ] ||
    tl_fail "spent_by is not operator: $(ctl status --json)"
pt_send m2
pt_wait_count_log "verdict=tempfail reason=budget-spent " 1
r=$(pt_deferred_reason m2)
echo "$r" | grep -q budget-spent || tl_fail "m2 deferred for another reason: $r"
tl_expect_nmsgs internet 1

out=$(ctl bypass reset) || tl_fail "bypass reset failed: $out"
[ "$(json_get 'J["budget"]["spent"]')" = False ] ||
    tl_fail "bypass reset did not refill the budget: $(ctl status)"
tl_pf_flush gw
pt_wait_sink internet 2
grep -l '^Subject: m2$' "$TL_DIR"/sink.internet/* >/dev/null ||
    tl_fail "m2 was not bypassed after the reset"
tl_pass
