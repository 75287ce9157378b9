#!/bin/bash
# data_ahead.sh - DATA goes to the DLP at end of header (dlp_txn_eoh), so
# end of message does not wait one round trip for the 354; nothing is
# submitted before end of message, and a DATA refused there fails over.
#   slow:     the body comes 2 s after the header: the DLP got DATA when
#             the header ended (>= 1.5 s before the content), the message
#             is delivered.
#   abort:    the client aborts after the header: that DLP connection
#             got DATA and was closed without content or dot (never
#             reused); the next message goes on a new connection.
#   failover: the first host never answers DATA: after the command
#             timeout the message goes to the second host (smtp-sink)
#             at end of message, delivered.
#   deferred: the first host answers DATA with 451: the DLP's word
#             counts (DESIGN.md 3), TEMPFAIL with its reply, no failover.
. "$(dirname "$0")/mtlib.sh"
mt_init data_ahead

peer() { # peer MODE: aheadpeer.py on port 1, log in $MT_DIR/peer.log
    : >"$MT_DIR/peer.log"
    python3 "$MT_SRC/aheadpeer.py" "$(mt_port 1)" "$MT_DIR/peer.log" "$1" &
    PEER_PID=$!
    MT_PIDS="$MT_PIDS $PEER_PID"
    t_wait 5 grep -q LISTENING "$MT_DIR/peer.log" ||
        mt_fail "aheadpeer.py did not start on port $(mt_port 1)"
}
peer_stop() {
    tb_kill_var PEER_PID
}
at() { # at CONN EVENT: the time of the first EVENT on connection CONN
    awk -v c="$1" -v e="$2" '$2 == c && $3 == e { print $1; exit }' \
        "$MT_DIR/peer.log"
}

# slow
peer normal
t_conf "$MT_DIR/c" 1
mt_start "$MT_DIR/c"
mt_run data_ahead.lua -D mode=slow
mt_stop
d=$(at 1 DATA) c=$(at 1 CONTENT)
[ -n "$d" ] && [ -n "$c" ] || mt_fail "slow: no DATA or no content: $(cat "$MT_DIR/peer.log")"
awk -v d="$d" -v c="$c" 'BEGIN { exit !(c - d >= 1.5) }' ||
    mt_fail "slow: DATA came $d, the content $c: DATA was not sent at end of header"
[ -n "$(at 1 DOT)" ] || mt_fail "slow: no final dot"
mt_log_expect 'QA1: verdict=delivered reason=accepted'
peer_stop

# abort
peer normal
mt_start "$MT_DIR/c"
mt_run data_ahead.lua -D mode=abort
mt_stop
[ -n "$(at 1 DATA)" ] || mt_fail "abort: the first connection got no DATA"
[ -z "$(at 1 CONTENT)$(at 1 DOT)" ] ||
    mt_fail "abort: the aborted message's content or dot reached the DLP"
[ -n "$(at 1 CLOSED)" ] || mt_fail "abort: the first connection was not closed"
[ -z "$(at 1 RSET)" ] || mt_fail "abort: the session with DATA sent was reused"
[ -n "$(at 2 DOT)" ] || mt_fail "abort: the next message did not go on a new connection"
[ "$(grep -c ' DOT$' "$MT_DIR/peer.log")" = 1 ] ||
    mt_fail "abort: $(grep -c ' DOT$' "$MT_DIR/peer.log") messages submitted, want 1"
mt_log_expect 'QA1: verdict=delivered reason=accepted'
mt_log_reject 'QA0: verdict='
peer_stop

# failover
peer data-silent
mt_sink 2
t_conf "$MT_DIR/c2" 1 2
mt_start "$MT_DIR/c2"
mt_run data_ahead.lua -D mode=failover
mt_stop
[ -n "$(at 1 DATA)" ] || mt_fail "failover: the first host got no DATA"
[ "$(mt_nmsgs 2)" = 1 ] || mt_fail "failover: the second host got $(mt_nmsgs 2) messages, want 1"
mt_log_expect 'QA1: verdict=delivered reason=accepted'
peer_stop

# deferred
peer data-451
mt_start "$MT_DIR/c2"
mt_run data_ahead.lua -D mode=deferred
mt_stop
[ "$(mt_nmsgs 2)" = 1 ] || mt_fail "deferred: the second host got a message"
mt_log_expect 'QA1: verdict=tempfail reason=deferred .*said: 451 4.3.0 not now \(in reply to DATA command\)'
echo "PASS: data_ahead"
