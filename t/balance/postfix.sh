#!/bin/bash
# postfix.sh - round-robin through the milter and a real Postfix at the
# shipped timeouts (nothing but servers and dlp.balance in the config):
# 30 messages sent to the gateway one after another reach three DLP
# hosts (smtp-sink) 10 each (+-1), each exactly once, none delivered
# directly or bounced; with one host stopped, 12 more go to the other two
# only, never bypassed.  Ports 28660-28679.
. "$(dirname "$0")/../e2e/testlib.sh"
tl_init balance_postfix

tl_setup
for n in 6 7 8; do
    tl_sink "d$n" "$(tl_port $n)"
done
T_CONNECT=default T_COMMAND=default T_DATA=default T_DEADLINE=default \
    T_DLP_EXTRA='balance = "round-robin";' t_conf "$TL_DIR/dlp.conf" 6 7 8
tl_milter "$TL_DIR/dlp.conf"

# send N FIRST - N messages, numbered from FIRST, one connection each
send() {
    local i
    for ((i = $2; i < $2 + $1; i++)); do
        TL_SUBJECT="balance $i" tl_send rcpt@example.com
    done
}
send 30 1
tl_settle 60
for n in 6 7 8; do
    got=$(tl_nmsgs "d$n")
    [ "$got" -ge 9 ] && [ "$got" -le 11 ] ||
        tl_fail "host d$n received $got of 30 messages, want 10 +- 1"
done
[ $(($(tl_nmsgs d6) + $(tl_nmsgs d7) + $(tl_nmsgs d8))) = 30 ] ||
    tl_fail "the DLP hosts received $(($(tl_nmsgs d6) + $(tl_nmsgs d7) + $(tl_nmsgs d8))) messages, want 30"
tl_expect_nmsgs internet 0
tl_expect_nmsgs bounce 0
[ "$(grep -c 'verdict=delivered reason=accepted' "$TL_DIR/milter.log")" = 30 ] ||
    tl_fail "want 30 delivered decisions in the milter log"

tl_sink_stop d7
before6=$(tl_nmsgs d6) before7=$(tl_nmsgs d7) before8=$(tl_nmsgs d8)
send 12 31
tl_settle 60
[ "$(tl_nmsgs d7)" = "$before7" ] || tl_fail "the stopped host received messages"
new=$(($(tl_nmsgs d6) - before6 + $(tl_nmsgs d8) - before8))
[ "$new" = 12 ] || tl_fail "the two live hosts received $new of 12 messages"
[ $(($(tl_nmsgs d6) - before6)) -ge 3 ] && [ $(($(tl_nmsgs d8) - before8)) -ge 3 ] ||
    tl_fail "the load did not move to both live hosts: d6 +$(($(tl_nmsgs d6) - before6)), d8 +$(($(tl_nmsgs d8) - before8))"
tl_expect_nmsgs internet 0
tl_expect_nmsgs bounce 0
grep -q 'verdict=bypass' "$TL_DIR/milter.log" && tl_fail "a message was bypassed"
[ "$(grep -c 'verdict=delivered reason=accepted' "$TL_DIR/milter.log")" = 42 ] ||
    tl_fail "want 42 delivered decisions in the milter log"
tl_pass
