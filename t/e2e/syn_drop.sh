#!/bin/bash
# syn_drop.sh - seed row 1 with a firewall that drops SYNs: the milter runs
# in a network namespace of this test where 10.200.0.2 is a local address
# and iptables drops every TCP packet to it.  After the 1 s connect
# timeout the host counts as unreachable: bypass, delivered once.
. "$(dirname "$0")/testlib.sh"
tl_init syn_drop

command -v iptables >/dev/null || tl_skip "iptables is not installed"
tl_netns
tl_in_ns ip addr add 10.200.0.2/32 dev lo ||
    tl_skip "cannot add an address in the namespace"
tl_in_ns iptables -A INPUT -d 10.200.0.2 -p tcp -j DROP ||
    tl_skip "iptables refused a rule in the namespace"
TL_MILTER_SOCKET_PF=unix:$TL_DIR/milter.sock
tl_setup
T_CONNECT=1 t_conf "$TL_DIR/dlp.conf" "10.200.0.2:10025"
tl_milter "$TL_DIR/dlp.conf" "unix:$TL_DIR/milter.sock"
tl_send rcpt@example.com
tl_expect_bypassed unreachable
tl_expect_milter_log "dlp=[^ ]*10\.200\.0\.2[^ ]*:10025/unreachable"
# the decision waited for the connect timeout (delay= is in seconds)
d=$(grep -o 'verdict=bypass .*delay=[0-9.]*' "$TL_DIR/milter.log" | head -n 1 | sed 's/.*delay=//')
awk -v d="$d" 'BEGIN { exit !(d >= 0.9 && d < 5) }' ||
    tl_fail "decision delay $d s, want about the 1 s connect timeout"
tl_pass
