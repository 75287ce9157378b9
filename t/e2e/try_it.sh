#!/bin/bash
# try_it.sh - the README's first command, postfix-conf/try-it, runs end
# to end on the tree make check built (TRYIT_BUILT=1: no package install,
# no rebuild): it exits 0 only when every outcome it shows happened
# (scanned, bounced, deferred then delivered, bypassed with its
# retro-scan copy scanned, the queue empty), and it prints each RESULT.
# It broke once unnoticed (a removed test helper) because nothing ran it.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: try_it: try-it starts private Postfix instances as root"
    exit 77
fi
out=$(TRYIT_BUILT=1 top_builddir=$top_builddir \
    bash "$top_srcdir/postfix-conf/try-it" 2>&1 </dev/null)
rc=$?
fail() {
    printf '%s\n' "$out" | sed 's/^/  try-it: /'
    echo "FAIL: try_it: $*"
    exit 1
}
[ "$rc" = 0 ] || fail "postfix-conf/try-it exited $rc"
for want in "scanned: it carries X-CFilter-Loop: Reflected" \
    "alice got a bounce" "deferred, nothing delivered" \
    "delivered directly to bob, once, unscanned" \
    "the DLP scanned the copy once"; do
    printf '%s\n' "$out" | grep -q "RESULT: .*$want" ||
        fail "no RESULT line with \"$want\""
done
echo "PASS: try_it ($(printf '%s\n' "$out" | grep -c 'RESULT:') results)"
