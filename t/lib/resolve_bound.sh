#!/bin/bash
# resolve_bound.sh - a name lookup is bounded (dlp_resolve.c): with the
# only name server dropping every query (UDP and TCP 53, glibc would wait
# 2 x 5 s), dlp_resolver_refresh returns -1 within its 1.5 s timeout (+
# margin) and the last good addresses stay; with a name server answering
# NXDOMAIN (t/lib/nxdomain.py) it returns -1 at once, the last good
# addresses staying too.  Runs t/lib/dialtest in a network namespace of
# its own: the name first resolves by /etc/netns/NS/hosts, then the test
# takes it out of that file.  No TCP ports (UDP 53 in the namespace).
. "$(dirname "$0")/libtest.sh"
lt_init resolve_bound
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespace)"; exit 77; }
DIALTEST=$top_builddir/t/lib/dialtest
[ -x "$DIALTEST" ] || lt_fail "$DIALTEST not built (make check builds it)"
NS=dlpL-resolve-$$
ip netns add "$NS" 2>/dev/null ||
    { echo "SKIP: cannot create a network namespace (ip netns add refused)"; exit 77; }
trap 'exec 3>&- 2>/dev/null; ip netns pids "$NS" 2>/dev/null | xargs -r kill -9; ip netns del "$NS" 2>/dev/null; rm -rf "/etc/netns/$NS"; lt_cleanup' EXIT
in_ns() { ip netns exec "$NS" "$@"; }
in_ns ip link set lo up && in_ns ip addr add 10.202.1.53/32 dev lo &&
    in_ns ip addr add 10.202.1.54/32 dev lo ||
    { echo "SKIP: cannot configure the namespace's loopback"; exit 77; }
in_ns iptables -A INPUT -d 10.202.1.53 -p udp --dport 53 -j DROP 2>/dev/null &&
    in_ns iptables -A INPUT -d 10.202.1.53 -p tcp --dport 53 -j DROP ||
    { echo "SKIP: iptables refused (no netfilter in this kernel?)"; exit 77; }
mkdir -p "/etc/netns/$NS"
HOSTS=/etc/netns/$NS/hosts
in_ns python3 "$top_srcdir/t/lib/nxdomain.py" 10.202.1.54 53 \
    >"$LT_DIR/nxdomain.log" 2>&1 &
for _ in $(seq 1 50); do
    in_ns ss -Hlun "sport = :53" | grep -q . && break
    sleep 0.1
done
in_ns ss -Hlun "sport = :53" | grep -q . || lt_fail "nxdomain.py did not start"

# refresh NAMESERVER - dialtest refresh: resolved by hosts, then (after
# the name is taken out of hosts) looked up by NAMESERVER; ms in $MS
refresh() {
    printf '127.0.0.1 localhost\n10.202.1.7 dlp.bound.test\n' >"$HOSTS"
    printf 'nameserver %s\noptions timeout:5 attempts:2\n' "$1" \
        >"/etc/netns/$NS/resolv.conf"
    rm -f "$LT_DIR/go" && mkfifo "$LT_DIR/go"
    in_ns "$DIALTEST" refresh dlp.bound.test 1500 <"$LT_DIR/go" >"$LT_OUT" 2>&1 &
    local pid=$!
    exec 3>"$LT_DIR/go"
    for _ in $(seq 1 50); do
        grep -q '^refresh1 ' "$LT_OUT" && break
        sleep 0.1
    done
    # in place (the same inode is bind-mounted over /etc/hosts)
    printf '127.0.0.1 localhost\n' >"$HOSTS"
    echo go >&3
    exec 3>&-
    wait "$pid" || lt_fail "dialtest exited with status $?"
    MS=$(sed -n 's/^refresh2 .* ms=\([0-9]*\) .*/\1/p' "$LT_OUT")
    [ -n "$MS" ] || lt_fail "no second refresh"
}

# 1. the name server drops every query: bounded by the 1.5 s timeout
refresh 10.202.1.53
lt_expect '^refresh1 rc=0 addrs=10\.202\.1\.7 '
lt_expect '^refresh2 rc=-1 .* err=cannot resolve dlp\.bound\.test: lookup timed out after 1500 ms'
lt_expect '^get addrs=10\.202\.1\.7 err=$'
[ "$MS" -ge 1400 ] && [ "$MS" -lt 2500 ] ||
    lt_fail "the lookup returned after $MS ms: want the 1500 ms timeout"

# 2. the name server says NXDOMAIN: -1 at once, the last good kept
refresh 10.202.1.54
lt_expect '^refresh1 rc=0 addrs=10\.202\.1\.7 '
lt_expect '^refresh2 rc=-1 .* err=cannot resolve dlp\.bound\.test: Name or service not known'
lt_expect '^get addrs=10\.202\.1\.7 err=$'
[ "$MS" -lt 1000 ] || lt_fail "NXDOMAIN took $MS ms"
echo "PASS: resolve_bound"
