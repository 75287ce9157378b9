#!/bin/bash
# pool_overflow.sh - issue 9 defect 2: the pool's sweeper finishes the
# connects messages abandon (the staggered connect hands them over).  One
# of two hosts drops SYNs at the default connect timeout (5 s), so every
# message for the first 5 s hands one over; 64 threads sharing one pool
# (as the milter's do) at a few thousand messages per second hand over
# far more than any fixed table holds.  The old code kept them in a
# 256-entry stack array and overflowed it (segfault; ASan: stack-buffer-
# overflow in pool_sweeper).  Pass: loadsend exits 0, every message is
# delivered by the healthy host, none bypassed or tempfailed.  In a
# network namespace of its own (10.204.0.2 drops SYNs).
# (Its ports are in the namespace.)
. "$(dirname "$0")/../lib/libtest.sh"
lt_init pool_overflow
LOADSEND=$top_builddir/t/faults/loadsend
[ -x "$LOADSEND" ] || lt_fail "$LOADSEND not built (make check builds it)"
NS=dlpF-poolovf-$$
tb_netns_drop "$NS" 10.204.0.2
SINK=
trap '[ -n "$SINK" ] && kill $SINK 2>/dev/null; ip netns pids "$NS" 2>/dev/null | xargs -r kill -9; ip netns del "$NS" 2>/dev/null; lt_cleanup' EXIT
in_ns() { ip netns exec "$NS" "$@"; }
port=$(lt_port 0)
in_ns "$SMTP_SINK" -u nobody 127.0.0.1:$port 256 >"$LT_DIR/sink.log" 2>&1 &
SINK=$!
for _ in $(seq 1 50); do in_ns ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.1; done
# connect_timeout 5 (the shipped default); a short stagger and no
# background probe, so that as many connects as possible are handed over
cat >"$LT_DIR/c" <<EOC
dlp: { servers = ( { host = "10.204.0.2"; port = 25; },
                   { host = "127.0.0.1"; port = $port; } );
       connect_timeout = 5; connect_stagger_ms = 20; helo_name = "gw.test";
       health: { probe = false; }; };
EOC
in_ns "$LOADSEND" -c "$LT_DIR/c" -t 64 -w 0 -d 6 >"$LT_OUT" 2>&1
rc=$?
[ "$rc" = 0 ] || lt_fail "loadsend died (exit $rc): $(tail -n 5 "$LT_OUT")"
line=$(grep '^window=' "$LT_OUT") || lt_fail "loadsend printed no result"
echo "$line"
case $line in *" bypass=0 tempfail=0 reject=0 other=0 "*) ;;
*) lt_fail "want every message delivered: $line" ;; esac
delivered=$(echo "$line" | sed -E 's/.* delivered=([0-9]+) .*/\1/')
[ "$delivered" -gt 300 ] || lt_fail "only $delivered messages: the load did not exceed the old table"
echo "PASS: pool_overflow"
