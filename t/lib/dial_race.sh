#!/bin/bash
# dial_race.sh - one name, two addresses, the first dropping SYNs
# (dlp_dial.c, RFC 8305 for the addresses of one DLP host): the dial
# connects to the second after about the stagger, not after the connect
# timeout; with the stagger 0 it waits the first's whole connect timeout
# (shows the test can fail); each address keeps its own connect time, and
# only a dial whose every address failed at the network is "net".
# Runs t/lib/dialtest in a network namespace of its own, where
# dlp.race.test resolves (/etc/netns/NS/hosts) to 10.202.0.2 (SYNs
# dropped by iptables) and 10.202.0.3 (smtp-sink).
. "$(dirname "$0")/libtest.sh"
lt_init dial_race
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespace)"; exit 77; }
DIALTEST=$top_builddir/t/lib/dialtest
[ -x "$DIALTEST" ] || lt_fail "$DIALTEST not built (make check builds it)"
NS=dlpL-race-$$
ip netns add "$NS" 2>/dev/null ||
    { echo "SKIP: cannot create a network namespace (ip netns add refused)"; exit 77; }
trap 'ip netns pids "$NS" 2>/dev/null | xargs -r kill -9; ip netns del "$NS" 2>/dev/null; rm -rf "/etc/netns/$NS"; lt_cleanup' EXIT
in_ns() { ip netns exec "$NS" "$@"; }
in_ns ip link set lo up && in_ns ip addr add 10.202.0.2/32 dev lo &&
    in_ns ip addr add 10.202.0.3/32 dev lo ||
    { echo "SKIP: cannot configure the namespace's loopback"; exit 77; }
in_ns iptables -A INPUT -d 10.202.0.2 -p tcp --syn -j DROP 2>/dev/null ||
    { echo "SKIP: iptables refused (no netfilter in this kernel?)"; exit 77; }
# port 1 of the second address drops SYNs too
in_ns iptables -A INPUT -d 10.202.0.3 -p tcp --dport "$(lt_port 1)" --syn -j DROP
mkdir -p "/etc/netns/$NS"
printf '127.0.0.1 localhost\n10.202.0.2 dlp.race.test\n10.202.0.3 dlp.race.test\n' \
    >"/etc/netns/$NS/hosts"
# no DNS server: a name missing from hosts fails at once, nothing leaves
echo "nameserver 127.0.0.1" >"/etc/netns/$NS/resolv.conf"
mkdir -p "$LT_DIR/sink" && chmod 777 "$LT_DIR/sink"
tb_serve -n "$NS" smtp-sink "$(lt_port 0)" "$LT_DIR/sink.log" \
    "$SMTP_SINK" -u nobody -d "$LT_DIR/sink/%M." "10.202.0.3:$(lt_port 0)" 20

# dial PORT STAGGER - dialtest dial with a 3 s connect time; ms in $MS
dial() {
    in_ns "$DIALTEST" dial dlp.race.test "$1" 3000 "$2" >"$LT_OUT" 2>&1 ||
        lt_fail "dialtest exited with status $?"
    MS=$(sed -n 's/^result=.* ms=\([0-9]*\).*/\1/p' "$LT_OUT")
    [ -n "$MS" ] || lt_fail "no result"
}
first="dlp\.race\.test\[10\.202\.0\.3\]:$(lt_port 0)"

# 1. the stagger: the second address wins after about 250 ms
dial "$(lt_port 0)" 250
lt_expect '^addrs=10\.202\.0\.2,10\.202\.0\.3 '
lt_expect "^result=ok label=$first "
[ "$MS" -ge 200 ] && [ "$MS" -lt 1500 ] ||
    lt_fail "connected after $MS ms: want about the 250 ms stagger"

# 2. the stagger 0: one address after the other, the first's whole
# connect time (3 s) is lost
dial "$(lt_port 0)" 0
lt_expect "^result=ok label=$first "
[ "$MS" -ge 2900 ] || lt_fail "with stagger 0 connected after only $MS ms"

# 3. both drop: each address times out by its own connect time (3 s from
# its start: the second at about 3.25 s), and that is the network: net
dial "$(lt_port 1)" 250
lt_expect '^result=error kind=net .*err=10\.202\.0\.2: connect: timed out; 10\.202\.0\.3: connect: timed out'
[ "$MS" -ge 3150 ] && [ "$MS" -lt 4500 ] ||
    lt_fail "both addresses failed after $MS ms: want about 3250"

# 4. the second refuses at once: the dial still waits for the first
# address's own connect time before it says net
dial "$(lt_port 2)" 250
lt_expect '^result=error kind=net .*10\.202\.0\.3: connect: Connection refused'
[ "$MS" -ge 2900 ] || lt_fail "gave up after $MS ms, before the first address timed out"
echo "PASS: dial_race"
