#!/bin/bash
# noroute.sh - seed row 1 with "no route to host": the milter runs in a
# network namespace of this test whose routing table says "unreachable"
# for the DLP's address (10.200.0.1, which exists nowhere).  Bypass,
# delivered once with "X-DLP-Bypass: unreachable", decided at once.
. "$(dirname "$0")/testlib.sh"
tl_init noroute

tl_netns
tl_in_ns ip route add unreachable 10.200.0.1/32 ||
    tl_skip "cannot add an unreachable route in the namespace"
# the gateway (host namespace) reaches the milter through a unix socket
TL_MILTER_SOCKET_PF=unix:$TL_DIR/milter.sock
tl_setup
t_conf "$TL_DIR/dlp.conf" "10.200.0.1:10025"
tl_milter "$TL_DIR/dlp.conf" "unix:$TL_DIR/milter.sock"
tl_send rcpt@example.com
tl_expect_bypassed unreachable
tl_expect_milter_log "dlp=[^ ]*10\.200\.0\.1[^ ]*:10025/unreachable"
tl_pass
