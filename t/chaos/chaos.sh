#!/bin/bash
# chaos.sh - randomized fault injection with a ground-truth oracle: the
# invariant of DESIGN.md 3a checked for every message and every decision.
#
# A private Postfix sandwich (t/e2e/testlib.sh) with
# the milter in a network namespace of this test, where t/chaos/fleet.py
# serves three DLP hosts on 10.201.0.1-3:25 whose modes change by epochs
# (refused, SYN-dropped by iptables, up with a per-connection mix of 4xx/
# 5xx/stalls/hang-ups/trickles/odd 2xx/silence after K messages).
# t/chaos/send.py sends CHAOS_MESSAGES (300) messages in CHAOS_SEND_SECS
# (60) seconds, each with its own sender and Message-ID; then the fleet
# is healed, the queue drained (bounded), and t/chaos/oracle.py compares
# what the milter, Postfix and the Internet sink say with what the fleet
# did.  Exit 0 only with zero violations.
#
# The bypass policy is on: bypass.budget.max_messages CHAOS_BUDGET (5)
# and a never-bypass header rule that 1 message in 11 matches (send.py);
# the oracle checks that budget-spent comes only after that many
# bypasses since a DLP last took or answered a message, never-bypass
# only for matching messages, and never a bypass of those.
# The milter runs with the shipped defaults scaled by one factor,
# CHAOS_SCALE (0.2): connect_timeout 5, command_timeout 10, data_timeout
# 120, session_deadline 25, connect_stagger_ms 250, health retry 1..5
# become 1, 2, 24, 5, 50 ms, 1..1.
# CHAOS_SEED=N replays a seed (the fleet's and the sender's draws; the
# timing of a run still varies).  On failure the logs are kept in
# ${CHAOS_KEEP:-/tmp}/chaos.SEED.XXXX.  CHAOS_NOTE lists violation kinds
# reported without failing (default dlp-saw-forged-header: DESIGN 4 header
# hygiene, not 3a; CHAOS_NOTE= makes it fatal).  Needs root (Postfix, netns).
. "$(dirname "$0")/../e2e/testlib.sh"
tl_init chaos

CH=$top_srcdir/t/chaos
SEED=${CHAOS_SEED:-$(((RANDOM << 15) | RANDOM))}
NMSG=${CHAOS_MESSAGES:-300}
SECS=${CHAOS_SEND_SECS:-60}
SCALE=${CHAOS_SCALE:-0.2}
BUDGET=${CHAOS_BUDGET:-5}
echo "chaos: seed $SEED (replay with CHAOS_SEED=$SEED), $NMSG messages, scale $SCALE"
command -v python3 >/dev/null || tl_skip "python3 is not installed"

# scaled defaults: seconds (at least 1), the stagger in milliseconds
sc() { python3 -c "import sys; print(max($2, round($1 * $SCALE)))"; }
CONNECT=$(sc 5 1) COMMAND=$(sc 10 1) DATA=$(sc 120 1) DEADLINE=$(sc 25 1)
STAGGER=$(sc 250 0) RMIN=$(sc 1 1) RMAX=$(sc 5 1)
[ "$RMAX" -lt "$RMIN" ] && RMAX=$RMIN

tl_netns
HOSTS=""
for i in 1 2 3; do
    tl_in_ns ip addr add 10.201.0.$i/32 dev lo ||
        tl_skip "cannot add an address in the namespace"
    HOSTS="$HOSTS 10.201.0.$i:25"
done
SYNDROP=auto
if ! command -v iptables >/dev/null || ! tl_in_ns iptables -L INPUT -n >/dev/null 2>&1; then
    echo "chaos: iptables unusable in the namespace: SYN-drop epochs become refused ones"
    SYNDROP=off
fi

TL_MILTER_SOCKET_PF=unix:$TL_DIR/milter.sock
tl_sink internet "$(tl_port 4)"
tl_sink bounce "$(tl_port 5)"
tl_gateway
tl_pf_main gw \
    "transport_maps = inline:{sender.test=smtp:[127.0.0.1]:$(tl_port 5), chaos.test=smtp:[127.0.0.1]:$(tl_port 5)}" \
    "queue_run_delay = 5s" "minimal_backoff_time = 5s" "maximal_backoff_time = 15s"
tl_pf_reload gw

conf=$TL_DIR/dlp.conf
# shellcheck disable=SC2086 # HOSTS is a list of HOST:PORT
T_CONNECT=$CONNECT T_COMMAND=$COMMAND T_DATA=$DATA T_DEADLINE=$DEADLINE \
    T_DLP_EXTRA="connect_stagger_ms = $STAGGER; health: { retry_min = $RMIN; retry_max = $RMAX; };" \
    T_BYPASS_EXTRA="budget: { max_messages = $BUDGET; state_file = \"$TL_DIR/budget.state\"; }; never: { headers = ( \"^Sensitivity: *Company-Confidential\" ); };" \
    t_conf "$conf" $HOSTS
echo "chaos: milter config: $(tr -s ' \n' ' ' <"$conf")"

# the fleet, inside the namespace (its iptables rules are the namespace's)
ip netns exec "$TL_NETNS" python3 "$CH/fleet.py" --seed "$SEED" \
    --log "$TL_DIR/fleet.log" --syndrop "$SYNDROP" $HOSTS \
    >"$TL_DIR/fleet.out" 2>&1 &
FLEET_PID=$!
TL_PIDS="$TL_PIDS $FLEET_PID"
for i in 1 2 3; do
    tl_wait_port 25 10 ns || tl_fail "the fleet did not start: $(cat "$TL_DIR/fleet.out")"
done

# the milter, in the namespace, each log line stamped with time.time()
"$TL_MILTER_BIN" -n -c "$conf" >"$TL_DIR/milter-n.out" 2>&1 ||
    tl_fail "config rejected: $(cat "$TL_DIR/milter-n.out")"
(
    umask 000
    exec ip netns exec "$TL_NETNS" "$TL_MILTER_BIN" -f -c "$conf" \
        -p "unix:$TL_DIR/milter.sock"
) > >(exec python3 -u -c '
import sys, time
for line in sys.stdin:
    sys.stdout.write("%.6f %s" % (time.time(), line))
    sys.stdout.flush()' >>"$TL_DIR/milter.log") 2>&1 &
TL_MILTER_PID=$!
for ((i = 0; i < 50; i++)); do
    [ -S "$TL_DIR/milter.sock" ] && break
    sleep 0.1
done
[ -S "$TL_DIR/milter.sock" ] || tl_fail "the milter did not start"

t_start=$(date +%s)
python3 "$CH/send.py" --port "$(tl_port 0)" --count "$NMSG" --secs "$SECS" \
    --seed "$SEED" --log "$TL_DIR/sent.log" ||
    tl_fail "the sender failed"
echo "chaos: sent $(grep -c '"ok": true' "$TL_DIR/sent.log") of $NMSG in $(($(date +%s) - t_start)) s"
sleep "${CHAOS_TAIL:-10}" # the chaos goes on a while for the queue

# heal, then drain: flush until the queue is empty (bounded)
kill -USR1 "$FLEET_PID"
echo "chaos: fleet healed, $(tl_pf_count gw) messages queued, draining"
sleep $((RMAX + CONNECT + 1))
for ((i = 0; i < ${CHAOS_DRAIN_TRIES:-40}; i++)); do
    [ "$(tl_pf_count gw)" = 0 ] && break
    tl_pf_flush gw
    sleep 3
done
sleep 1
tl_pf_json gw >"$TL_DIR/queue.json"
echo "chaos: queue after drain: $(grep -c . "$TL_DIR/queue.json") messages," \
    "$(($(date +%s) - t_start)) s since the first message"
kill "$FLEET_PID"
wait "$FLEET_PID" 2>/dev/null

rc=0
python3 "$CH/oracle.py" --seed "$SEED" --fleet "$TL_DIR/fleet.log" \
    --milter "$TL_DIR/milter.log" --maillog "$(tl_pf_dir gw)/maillog" \
    --sink "$TL_DIR/sink.internet" --queue "$TL_DIR/queue.json" \
    --sent "$TL_DIR/sent.log" --hosts "$(echo $HOSTS | tr ' ' ,)" \
    --connect "$CONNECT" --retry-max "$RMAX" --budget-messages "$BUDGET" \
    --note "${CHAOS_NOTE-dlp-saw-forged-header}" >"$TL_DIR/oracle.out" || rc=1
if [ $rc != 0 ]; then
    keep=$(mktemp -d "${CHAOS_KEEP:-/tmp}/chaos.$SEED.XXXX")
    cp "$TL_DIR"/{fleet.log,milter.log,sent.log,queue.json,oracle.out,dlp.conf} \
        "$(tl_pf_dir gw)/maillog" "$keep/" 2>/dev/null
    grep -Ev '^(chaos|oracle):' "$TL_DIR/oracle.out" | head -n "${CHAOS_SHOW:-150}"
    grep -E '^(chaos|oracle):' "$TL_DIR/oracle.out"
    echo "FAIL: chaos: seed $SEED: logs kept in $keep"
    exit 1
fi
grep -E '^(chaos|oracle):' "$TL_DIR/oracle.out"
tl_pass
