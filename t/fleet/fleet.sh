#!/bin/bash
# fleet.sh - issue 15, "Fleet": two gateways (two private Postfix
# instances, each with its own dlpbypass-milter in a network namespace of
# its own) in front of three DLP hosts (smtp-sink at 10.210.0.1-3 in a
# third namespace), under steady load (smtp-source into both gateways).
# After FLEET_BEFORE seconds DLP host 1 dies (iptables drops every TCP
# packet to it), FLEET_DURING seconds later it comes back, and the load
# goes on for FLEET_AFTER seconds.  t/fleet/fleetcheck.py then checks:
#   - every message a gateway's public smtpd accepted reached exactly one
#     DLP host exactly once (by its first queue id, from the gateway's
#     Received header); nothing bypassed, nothing bounced, queues empty
#   - no decision took longer than connect_timeout + stagger + slack
#     (the cost of host 1 dying is at most one connect timeout a message)
#   - each gateway paid for host 1 once: one host-down event per gateway,
#     within the 2 s check of a cached session + connect_timeout (+ the
#     stagger, the load's 1 s pause, slack) of its death, and no message
#     waited on host 1 after that (the health state skipped it, its
#     probes paid)
#   - the load moved: while host 1 was down it took nothing; with
#     FLEET_BALANCE=ordered host 2 took all of it, with round-robin
#     hosts 2 and 3 each at least a third
#   - host 1 came back: each gateway sent it a message within
#     retry_max + connect_timeout + slack after the rule was removed
# and prints the throughput per gateway before, during and after.
#
# FLEET_BALANCE: dlp.balance (default "round-robin"; "ordered" writes no
# key, which is what "ordered" means in a milter without dlp.balance).
# FLEET_SCALE=check (the default, make check): timeouts scaled down from
# the shipped defaults keeping their ratios (connect 4 s, stagger 200 ms,
# retry_max 4 s, command 8 s, deadline 20 s; a shorter stagger would drown
# in the scheduling jitter of a loaded machine), phases 10/16/12 s;
# FLEET_SCALE=defaults (make bench, t/bench/fleet): the shipped defaults
# (no timing key written), phases 30/40/30 s.  FLEET_BEFORE, FLEET_DURING,
# FLEET_AFTER, FLEET_SESSIONS (per gateway, default 8) override.
# Ports: FLEET_PORTBASE (28700) .. +39 on 127.0.0.1.
. "$(dirname "$0")/fleetlib.sh"
fl_init fleet "${FLEET_PORTBASE:-28700}"

[ -n "${FLEET_BALANCE-}" ] && FLEET_BALANCE_SET=1
FLEET_BALANCE=${FLEET_BALANCE:-round-robin}
case ${FLEET_SCALE:=check} in
check)
    : "${FLEET_CONNECT:=4}" "${FLEET_STAGGER_MS:=200}" "${FLEET_RETRY_MIN:=1}"
    : "${FLEET_RETRY_MAX:=4}" "${FLEET_COMMAND:=8}" "${FLEET_DEADLINE:=20}"
    : "${FLEET_DATA:=96}"
    : "${FLEET_BEFORE:=10}" "${FLEET_DURING:=16}" "${FLEET_AFTER:=12}"
    ;;
defaults)
    : "${FLEET_BEFORE:=30}" "${FLEET_DURING:=40}" "${FLEET_AFTER:=30}"
    ;;
*) tl_fail "FLEET_SCALE must be check or defaults, not $FLEET_SCALE" ;;
esac
export FLEET_BALANCE FLEET_CONNECT FLEET_STAGGER_MS FLEET_RETRY_MIN \
    FLEET_RETRY_MAX FLEET_COMMAND FLEET_DEADLINE FLEET_DATA
# the bounds use the values in force (the shipped defaults when unset)
B_CONNECT=${FLEET_CONNECT:-5}
B_STAGGER=$(awk -v s="${FLEET_STAGGER_MS:-250}" 'BEGIN { print s / 1000 }')
B_RETRY_MAX=${FLEET_RETRY_MAX:-5}

for p in 0 1 2 4 5 20 21 22; do
    tl_listening "$(tl_port $p)" && tl_fail "port $(tl_port $p) is already in use"
done

fl_ns dlp
for i in 1 2 3; do
    fl_dlp_host "$i" "$(tl_port $((9 + i)))"
done
tl_sink internet "$(tl_port 4)"
tl_sink bounce "$(tl_port 5)"
SERVERS=()
for i in 1 2 3; do
    SERVERS+=("10.210.0.$i:$(tl_port $((9 + i)))")
done
for n in 1 2; do
    fl_link "$n"
    fl_gateway "$n" $((TL_PORTBASE + 20 * (n - 1)))
    fl_conf "$TL_DIR/gw$n.conf" "${SERVERS[@]}"
    fl_milter "$n" "$TL_DIR/gw$n.conf"
done

echo "fleet: balance $FLEET_BALANCE, scale $FLEET_SCALE (connect ${B_CONNECT}s, stagger ${B_STAGGER}s, retry_max ${B_RETRY_MAX}s), phases $FLEET_BEFORE/$FLEET_DURING/$FLEET_AFTER s"
for n in 1 2; do
    fl_load "$n" "${FLEET_SESSIONS:-8}"
done
T0=$(fl_now)
sleep "$FLEET_BEFORE"
T1=$(fl_now)
fl_drop 10.210.0.1
sleep "$FLEET_DURING"
T2=$(fl_now)
fl_undrop 10.210.0.1
sleep "$FLEET_AFTER"
T3=$(fl_now)
for n in 1 2; do
    fl_load_stop "$n"
done
for n in 1 2; do
    tl_pf_wait_empty "gw$n" 60
done
sleep 1 # the sinks write their last dumps

# the same check again on a kept directory (TL_KEEP=1): bash TL_DIR/check
CHECK=(python3 "$top_srcdir/t/fleet/fleetcheck.py" --dir "$TL_DIR"
    --gateways gw1,gw2 --hosts dlp1=10.210.0.1,dlp2=10.210.0.2,dlp3=10.210.0.3
    --down dlp1 --balance "$FLEET_BALANCE" --times "$T0,$T1,$T2,$T3"
    --connect "$B_CONNECT" --stagger "$B_STAGGER" --retry-max "$B_RETRY_MAX"
    --slack "${FLEET_SLACK:-1.5}")
printf '%q ' "${CHECK[@]}" >"$TL_DIR/check"
"${CHECK[@]}" || tl_fail "the fleet did not behave (above)"
tl_pass
