#!/bin/bash
# syn_drop_load.sh - TESTING.md row 3: one of two DLP hosts drops SYNs
# while 8 threads sharing one pool (as the milter's do) offer load.  No
# message is bypassed or deferred, and the throughput over a 6 s window
# (after 2 s of warm-up) is at least 90% of the throughput with the
# healthy host alone.  Runs in a network namespace of its own, where
# 10.200.0.2 is a local address whose SYNs iptables drops; skips where the
# kernel refuses namespaces or iptables.  Ports 26100-26109 (in the
# namespace).
. "$(dirname "$0")/../lib/libtest.sh"
lt_init syn_drop_load 26100
LOADSEND=$top_builddir/t/faults/loadsend
[ -x "$LOADSEND" ] || lt_fail "$LOADSEND not built (make check builds it)"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespace)"; exit 77; }
NS=dlpF-syndrop-$$
ip netns add "$NS" 2>/dev/null ||
    { echo "SKIP: cannot create a network namespace (ip netns add refused)"; exit 77; }
SINK=
trap '[ -n "$SINK" ] && kill $SINK 2>/dev/null; ip netns pids "$NS" 2>/dev/null | xargs -r kill -9; ip netns del "$NS" 2>/dev/null; lt_cleanup' EXIT
in_ns() { ip netns exec "$NS" "$@"; }
in_ns ip link set lo up && in_ns ip addr add 10.200.0.2/32 dev lo ||
    { echo "SKIP: cannot configure the namespace's loopback"; exit 77; }
in_ns iptables -A INPUT -d 10.200.0.2 -p tcp --syn -j DROP 2>/dev/null ||
    { echo "SKIP: iptables refused (no netfilter in this kernel?)"; exit 77; }
port=$(lt_port 0)
in_ns "$SMTP_SINK" -u nobody 127.0.0.1:$port 100 >"$LT_DIR/sink.log" 2>&1 &
SINK=$!
for _ in $(seq 1 50); do in_ns ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.1; done
conf() { # conf FILE HOST...
    local f=$1 h sep=""
    shift
    {
        echo 'dlp: { servers = ('
        for h in "$@"; do echo "$sep{ host = \"$h\"; port = $port; }"; sep=,; done
        echo '); connect_timeout = 1; command_timeout = 2; helo_name = "gw.test"; };'
    } >"$f"
}
conf "$LT_DIR/healthy" 127.0.0.1
conf "$LT_DIR/faulty" 10.200.0.2 127.0.0.1

# the dead host really is in play: a single message dials it first and,
# after the staggered connect's 250 ms, the healthy host too, which takes
# it (the abandoned connect is no outcome of the message)
start=$(date +%s%N)
echo "Subject: x" | in_ns "$DLPSEND" -c "$LT_DIR/faulty" -f s@example.com \
    -r r@example.com >"$LT_OUT" 2>&1
ms=$((($(date +%s%N) - start) / 1000000))
lt_expect '^verdict=delivered reason=accepted dlp=127\.0\.0\.1[^ ]*/accepted '
[ "$ms" -ge 240 ] || lt_fail "delivered after $ms ms: the first host was not dialled first"

h=0 f=0
for round in 1 2; do
    for c in healthy faulty; do
        in_ns "$LOADSEND" -c "$LT_DIR/$c" -t 8 -w 2 -d 6 >"$LT_DIR/$c.out" 2>&1 ||
            lt_fail "loadsend failed: $(cat "$LT_DIR/$c.out")"
        echo "round $round $c: $(cat "$LT_DIR/$c.out")"
        grep -q ' bypass=0 tempfail=0 reject=0 other=0 ' "$LT_DIR/$c.out" ||
            lt_fail "$c: a message was not delivered to the DLP: $(cat "$LT_DIR/$c.out")"
        n=$(sed -n 's/.* messages=\([0-9]*\) .*/\1/p' "$LT_DIR/$c.out")
        [ "$c" = healthy ] && h=$((h + n)) || f=$((f + n))
    done
done
[ "$h" -gt 0 ] || lt_fail "no messages with the healthy host"
pct=$((f * 100 / h))
echo "throughput with one host dropping SYNs: $pct% of healthy ($f / $h messages)"
[ "$pct" -ge 90 ] || lt_fail "throughput $pct% of healthy, want >= 90%"
echo "PASS: syn_drop_load"
