#!/bin/bash
# syn_drop_load.sh - TESTING.md row 3: one of two DLP hosts drops SYNs
# while 8 threads sharing one pool (as the milter's do) offer load.  From
# the first message on, while the SYN-dropping host's first connect is
# still pending and after it failed, no decision waits a connect timeout
# (the staggered connect dials the healthy host after connect_stagger_ms;
# then the pool knows the host is down): the slowest message of the run
# (loadsend's maxlat_ms, every message counted) stays under
# connect_timeout; nothing is bypassed, deferred or rejected.
# stagger : connect_timeout is the shipped 250 ms : 5 s, scaled to
# 100 ms : 2 s.  The throughput ratio against the healthy host alone is a
# benchmark figure (make bench, t/bench/run), not asserted here.
# DROP_STAGGER_MS overrides the stagger (0 must make this test fail: each
# message then waits the connect timeout).
# Runs in a network namespace of its own, where 10.200.0.2 is a local
# address whose SYNs iptables drops; skips where the kernel refuses
# namespaces or iptables.
. "$(dirname "$0")/../lib/libtest.sh"
lt_init syn_drop_load
LOADSEND=$top_builddir/t/faults/loadsend
[ -x "$LOADSEND" ] || lt_fail "$LOADSEND not built (make check builds it)"
NS=dlpF-syndrop-$$
tb_netns_drop "$NS" 10.200.0.2
SINK=
trap '[ -n "$SINK" ] && kill $SINK 2>/dev/null; ip netns pids "$NS" 2>/dev/null | xargs -r kill -9; ip netns del "$NS" 2>/dev/null; lt_cleanup' EXIT
in_ns() { ip netns exec "$NS" "$@"; }
port=$(lt_port 0)
in_ns "$SMTP_SINK" -u nobody 127.0.0.1:$port 100 >"$LT_DIR/sink.log" 2>&1 &
SINK=$!
for _ in $(seq 1 50); do in_ns ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.1; done
CT=2                               # connect_timeout, s
STAGGER=${DROP_STAGGER_MS:-100}    # the shipped 250 ms : 5 s
{
    echo "dlp: { servers = ( { host = \"10.200.0.2\"; port = $port; },"
    echo "                   { host = \"127.0.0.1\"; port = $port; } );"
    echo "  connect_timeout = $CT; connect_stagger_ms = $STAGGER;"
    echo '  command_timeout = 2; helo_name = "gw.test"; };'
} >"$LT_DIR/faulty"

# load from a fresh pool: the first messages start while the dead host's
# first connect is pending (CT s), the rest after it failed; every
# message finishing in the 4 s is counted (no warm-up)
in_ns "$LOADSEND" -c "$LT_DIR/faulty" -t 8 -w 0 -d 4 >"$LT_DIR/load.out" 2>&1 ||
    lt_fail "loadsend failed: $(cat "$LT_DIR/load.out")"
out=$(cat "$LT_DIR/load.out")
echo "load with one host dropping SYNs: $out"
grep -q ' bypass=0 tempfail=0 reject=0 other=0 ' "$LT_DIR/load.out" ||
    lt_fail "a message was not delivered to the DLP: $out"
n=$(sed -n 's/.* delivered=\([0-9]*\) .*/\1/p' "$LT_DIR/load.out")
max=$(sed -n 's/.* maxlat_ms=\([0-9]*\).*/\1/p' "$LT_DIR/load.out")
[ "${n:-0}" -ge 8 ] || lt_fail "only ${n:-0} messages delivered: $out"
[ -n "$max" ] && [ "$max" -lt $((CT * 1000)) ] ||
    lt_fail "slowest decision ${max:-?} ms: a message waited the ${CT} s connect timeout: $out"

# the dead host really is in play: a single message (dlpsend, a pool of
# its own) dials it first and, after the stagger, the healthy host too,
# which takes it (the abandoned connect is no outcome of the message)
start=$(date +%s%N)
echo "Subject: x" | in_ns "$DLPSEND" -c "$LT_DIR/faulty" -f s@example.com \
    -r r@example.com >"$LT_OUT" 2>&1
ms=$((($(date +%s%N) - start) / 1000000))
lt_expect '^verdict=delivered reason=accepted dlp=127\.0\.0\.1[^ ]*/accepted '
[ "$ms" -ge $((STAGGER - 10)) ] || lt_fail "delivered after $ms ms: the first host was not dialled first"
echo "PASS: syn_drop_load ($n messages, slowest decision $max ms < ${CT} s)"
