#!/bin/bash
# reuse.sh - cached sessions (dlp_pool.c): the next message to the same
# host goes over the same connection after RSET; a cached connection that
# the host closed, or that fails RSET, is replaced by a fresh one without
# being an outcome; idle sessions are closed after idle_timeout, sessions
# older than max_age are not reused, max_age = 0 turns reuse off.
. "$(dirname "$0")/libtest.sh"
lt_init reuse
printf 'Subject: reuse\n\nbody\n' >"$LT_DIR/msg"

# conns N - connections sink N saw
conns() {
    grep -c 'smtp-sink: connect' "$LT_DIR/sink$1.log"
}

# all_delivered COUNT PORT - COUNT messages, each "accepted" by PORT alone
all_delivered() {
    [ "$(grep -c "^verdict=delivered reason=accepted dlp=127\.0\.0\.1\[127\.0\.0\.1\]:$2/accepted reply" "$LT_OUT")" = "$1" ] ||
        lt_fail "want $1 messages delivered by port $2 with no other attempt"
}

# 1. two messages, one connection, RSET between them
lt_sink 1 -v
t_conf "$LT_DIR/c1" 1
lt_sendn "$LT_DIR/c1" 2 200 s@example.com r@example.com <"$LT_DIR/msg"
all_delivered 2 "$(lt_port 1)"
sleep 0.3
[ "$(conns 1)" = 1 ] || lt_fail "sink 1 saw $(conns 1) connections, want 1"
[ "$(grep -c 'smtp-sink: RSET' "$LT_DIR/sink1.log")" = 1 ] ||
    lt_fail "no RSET between the two messages"
[ "$(lt_nmsgs 1)" = 2 ] || lt_fail "sink 1 got $(lt_nmsgs 1) messages"

# 2. the host closes the idle connection (smtp-sink -t 1): replaced
lt_sink 2 -v -t 1
t_conf "$LT_DIR/c2" 2
lt_sendn "$LT_DIR/c2" 2 1800 s@example.com r@example.com <"$LT_DIR/msg"
all_delivered 2 "$(lt_port 2)"
[ "$(conns 2)" = 2 ] || lt_fail "sink 2 saw $(conns 2) connections, want 2"

# 3. the host hangs up on RSET (-q), or says 421 (-Q) or 451 (-r): replaced
for opt in -q -Q -r; do
    case $opt in -q) n=3 ;; -Q) n=4 ;; -r) n=5 ;; esac
    lt_sink $n -v $opt RSET
    t_conf "$LT_DIR/c$n" $n
    lt_sendn "$LT_DIR/c$n" 2 100 s@example.com r@example.com <"$LT_DIR/msg"
    all_delivered 2 "$(lt_port "$n")"
    [ "$(conns $n)" = 2 ] || lt_fail "$opt RSET: $(conns $n) connections, want 2"
done

# 4. idle_timeout = 1: the idle session is closed (QUIT) before the next
lt_sink 6 -v
T_DLP_EXTRA='reuse: { idle_timeout = 1; };' t_conf "$LT_DIR/c6" 6
lt_sendn "$LT_DIR/c6" 2 2500 s@example.com r@example.com <"$LT_DIR/msg"
all_delivered 2 "$(lt_port 6)"
[ "$(conns 6)" = 2 ] || lt_fail "idle: $(conns 6) connections, want 2"
[ "$(grep -c 'smtp-sink: QUIT' "$LT_DIR/sink6.log")" = 2 ] ||
    lt_fail "idle: the cached session was not closed with QUIT"
grep -q 'smtp-sink: RSET' "$LT_DIR/sink6.log" && lt_fail "idle: RSET sent"

# 5. max_age = 1: not reused once a second old; max_age = 0: never
lt_sink 7 -v
T_DLP_EXTRA='reuse: { max_age = 1; };' t_conf "$LT_DIR/c7" 7
lt_sendn "$LT_DIR/c7" 3 600 s@example.com r@example.com <"$LT_DIR/msg"
all_delivered 3 "$(lt_port 7)"
[ "$(conns 7)" = 2 ] || lt_fail "max_age: $(conns 7) connections, want 2"
lt_sink 8 -v
T_DLP_EXTRA='reuse: { max_age = 0; };' t_conf "$LT_DIR/c8" 8
lt_sendn "$LT_DIR/c8" 2 0 s@example.com r@example.com <"$LT_DIR/msg"
all_delivered 2 "$(lt_port 8)"
[ "$(conns 8)" = 2 ] || lt_fail "max_age 0: $(conns 8) connections, want 2"
echo "PASS: reuse"
