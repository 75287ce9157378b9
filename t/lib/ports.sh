#!/bin/bash
# ports.sh - the port allocator of t/testlib.sh (t_ports): tests started
# at the same moment get blocks that do not overlap; a block leased by a
# live test is refused when asked for by number (T_PORTBASE), and so is
# one where something listens; a lease whose process is gone is free
# again; blocks never leave T_PORT_MIN..T_PORT_MAX (so never t/balance's
# and t/fleet's fixed 28600-28799) and wrap around; t_ports_release
# removes this process's leases only.  On a private lease directory and
# a small range of its own (31900-32099), so it runs beside any test.
. "$(dirname "$0")/../testlib.sh"
D=$(mktemp -d /tmp/dlpports.XXXXXX)
HOLD_PIDS=""
trap 'tb_kill $HOLD_PIDS; rm -rf "$D"' EXIT
export T_PORT_DIR=$D/leases T_PORT_MIN=31900 T_PORT_MAX=32100
fail() {
    echo "FAIL: ports: $*"
    exit 1
}
# alloc SIZE SECS - a test of its own (a new bash: its own $$) that
# allocates SIZE ports, writes "pid base size" to $D/got.PID, holds the
# lease SECS seconds and releases it (run it in the background: it execs)
alloc() {
    exec bash -c '. "$1"; t_ports "$2"; echo "$$ $T_PORTBASE $2" >"$4/got.$$"
             sleep "$3"; t_ports_release' alloc "$TB_SRCDIR/t/testlib.sh" "$@" "$D"
}

# 1. eight tests at once, blocks of 20 and 10: no two overlap
for i in 1 2 3 4 5 6 7 8; do
    alloc $((i % 2 ? 20 : 10)) 3 &
    HOLD_PIDS="$HOLD_PIDS $!"
done
t_wait 10 t_ge 8 eval 'ls "$D" | grep -c "^got\."' || fail "not all eight allocated"
sort -n -k2 "$D"/got.* >"$D/all"
awk -v min=31900 -v max=32100 '
    $2 < min || $2 + $3 > max { print "outside the range: " $2; bad = 1 }
    $2 < end { print "overlap at " $2; bad = 1 }
    { end = $2 + $3 }
    END { exit bad }' "$D/all" || fail "blocks: $(tr '\n' ' ' <"$D/all")"
n=$(awk '{ print $2 }' "$D/all" | sort -u | wc -l)
[ "$n" = 8 ] || fail "eight tests got $n different blocks: $(tr '\n' ' ' <"$D/all")"
# the leases of the 20-port blocks cover both of their slots
while read -r pid base size; do
    for ((p = base; p < base + size; p += 10)); do
        [ "$(cat "$T_PORT_DIR/slot.$p")" = "$pid" ] ||
            fail "slot $p of block $base is not leased by its test $pid"
    done
done <"$D/all"

# 2. a block asked for by number while a live test holds it: refused
read -r holder base _ < <(head -n 1 "$D/all")
out=$( (T_PORTBASE=$base; t_ports 10) 2>&1) &&
    fail "block $base was handed out twice: $out"
echo "$out" | grep -q "port block $base-$((base + 9)) is taken (leased by pid $holder)" ||
    fail "the refusal does not say why: $out"
echo "refused as it should: $out"
tb_kill $HOLD_PIDS
HOLD_PIDS=""

# 3. the holders are gone (released, or killed: a dead pid's lease is
# free too): the same block by number is handed out
echo 999999 >"$T_PORT_DIR/slot.$base" # a lease of a process that is gone
out=$( (T_PORTBASE=$base; t_ports 10; echo "got $T_PORTBASE") 2>&1)
[ "$out" = "got $base" ] || fail "a stale lease kept block $base: $out"

# 4. something listens on a port of a block: that block is skipped
echo $((31960)) >"$T_PORT_DIR/next"
python3 -c 'import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 31965)); s.listen(1); print("up", flush=True); time.sleep(30)' \
    >"$D/listener.out" 2>&1 &
HOLD_PIDS=$!
tb_wait_port 31965 5 || fail "the listener did not start"
out=$( (t_ports 10; echo "got $T_PORTBASE") 2>&1)
[ "$out" = "got 31970" ] || fail "a block with a listener: $out, want got 31970"
out=$( (T_PORTBASE=31960; t_ports 10) 2>&1) && fail "31960 handed out with 31965 in use"
echo "$out" | grep -q 'port 31965 is in use' || fail "the refusal does not say why: $out"

# 5. the end of the range wraps around to its start
echo 32090 >"$T_PORT_DIR/next"
out=$( (t_ports 20; echo "got $T_PORTBASE") 2>&1)
[ "$out" = "got 31900" ] || fail "a 20-port block past the end: $out, want got 31900"

# 6. the whole range taken (by the live listener): a clear failure
for ((p = 31900; p < 32100; p += 10)); do echo "$HOLD_PIDS" >"$T_PORT_DIR/slot.$p"; done
out=$( (t_ports 10) 2>&1) && fail "a block was handed out from a full range: $out"
echo "$out" | grep -q 'no free block of 10 ports in 31900-32099' ||
    fail "a full range: $out"

# 7. t_ports_release removes this process's leases, no other's
rm -f "$T_PORT_DIR"/slot.*
(T_PORTBASE=31900; t_ports 20; echo 1 >"$T_PORT_DIR/slot.31950"; t_ports_release
 [ ! -e "$T_PORT_DIR/slot.31900" ] && [ ! -e "$T_PORT_DIR/slot.31910" ] &&
     [ -e "$T_PORT_DIR/slot.31950" ]) || fail "t_ports_release"
echo "PASS: ports"
