#!/bin/bash
# refused_fast.sh - TESTING.md row 1, the timing: every DLP port refused,
# 2 threads sharing one pool hand messages over for 2 s.  Every message is
# bypassed (verdict BYPASS, nothing else), and the slowest decision takes
# under 100 ms (measured inside the process, from the start of the
# transaction to the verdict, so process start-up does not count).  Where
# the bypassed mail goes (delivered once, stamped): t/e2e/refused.sh.
# Nothing listens on ports 1-9 of its block.
. "$(dirname "$0")/../lib/libtest.sh"
lt_init refused_fast
LOADSEND=$top_builddir/t/faults/loadsend
[ -x "$LOADSEND" ] || lt_fail "$LOADSEND not built (make check builds it)"
for n in 1 2; do
    lt_listening "$(lt_port $n)" && lt_fail "port $(lt_port $n) is in use"
done
t_conf "$LT_DIR/c" 1 2
"$LOADSEND" -c "$LT_DIR/c" -t 2 -w 0 -d 2 >"$LT_OUT" 2>&1 ||
    lt_fail "loadsend failed"
cat "$LT_OUT"
grep -Eq ' messages=[1-9][0-9]* .* delivered=0 bypass=[1-9][0-9]* tempfail=0 reject=0 other=0 ' "$LT_OUT" ||
    lt_fail "want every message bypassed"
lat=$(sed -n 's/.* p99_ms=\([0-9]*\) .*/\1/p' "$LT_OUT")
[ -n "$lat" ] && [ "$lat" -lt 100 ] ||
    lt_fail "99% of the bypass decisions took up to $lat ms, want < 100 ms"
echo "PASS: refused_fast (p99 $lat ms)"
