#!/bin/bash
# pipelining.sh - PIPELINING to a DLP that offers it (RFC 2920): MAIL
# goes out with the first RCPT in one write, and on a reused session the
# owed RSET too, so a cached session costs one round trip before DATA
# instead of three.  The stand-in DLP (pipepeer.py) holds its replies to
# RSET and MAIL until the RCPT after them arrives (or 3 s pass), so a
# client that does not pipeline takes >= 3 s per message here.  A cached
# session that dies at its owed RSET is replaced by a new one to the same
# host without counting as an outcome.
. "$(dirname "$0")/libtest.sh"
lt_init pipelining
command -v python3 >/dev/null ||
    { echo "SKIP: python3 (for the stand-in DLP) is not installed"; exit 77; }
PEER_PIDS=""
trap 'for p in $PEER_PIDS; do kill $p 2>/dev/null; done; lt_cleanup' EXIT
printf 'Subject: pipelining\n\nbody\n' >"$LT_DIR/msg"

# peer N MODE - pipepeer.py on port N, commands logged to $LT_DIR/peerN.log
peer() {
    python3 "$top_srcdir/t/lib/pipepeer.py" "$(lt_port "$1")" \
        "$LT_DIR/peer$1.log" "$2" 2>"$LT_DIR/peer$1.err" &
    PEER_PIDS="$PEER_PIDS $!"
    for _ in $(seq 1 50); do
        lt_listening "$(lt_port "$1")" && return 0
        sleep 0.1
    done
    lt_fail "pipepeer on port $(lt_port "$1") did not start: $(cat "$LT_DIR/peer$1.err")"
}
host="127\.0\.0\.1\[127\.0\.0\.1\]:"

# 1. three messages on one cached session
peer 1 normal
T_COMMAND=5 t_conf "$LT_DIR/c1" 1
start=$(date +%s%N)
lt_sendn "$LT_DIR/c1" 3 0 s@example.com r@example.com <"$LT_DIR/msg"
ms=$((($(date +%s%N) - start) / 1000000))
[ "$(grep -c "^verdict=delivered reason=accepted dlp=$host$(lt_port 1)/accepted " "$LT_OUT")" = 3 ] ||
    lt_fail "want three messages delivered"
[ "$ms" -lt 2500 ] || lt_fail "three messages took $ms ms: not pipelined"
# the queue id from "250 2.0.0 Ok: queued as PIPE1"
[ "$(grep -c ' queue_id=PIPE1$' "$LT_OUT")" = 3 ] || lt_fail "want queue_id=PIPE1"
# one connection; in each message MAIL came in the same read as RCPT,
# and from the second message on RSET did too
awk '$1 != 1 { print "a second connection: " $0; bad = 1 }
     $3 == "MAIL" || $3 == "RSET" { held[$3] = $2 }
     $3 == "RCPT" { if (held["MAIL"] != $2) { print "MAIL and RCPT in different reads"; bad = 1 }
                    n++; if (n > 1 && held["RSET"] != $2) { print "RSET and RCPT in different reads"; bad = 1 }
                    delete held["MAIL"]; delete held["RSET"] }
     END { if (n != 3) { print n " RCPTs, want 3"; bad = 1 }; exit bad }' \
    "$LT_DIR/peer1.log" >"$LT_DIR/why" ||
    lt_fail "$(cat "$LT_DIR/why"); peer saw: $(tr '\n' ';' <"$LT_DIR/peer1.log")"

# 2. the cached session dies at its owed RSET: a new session to the same
# host takes the message; no outcome, no second host, no delay
peer 2 die-at-rset
T_COMMAND=5 t_conf "$LT_DIR/c2" 2
lt_sendn "$LT_DIR/c2" 3 0 s@example.com r@example.com <"$LT_DIR/msg"
[ "$(grep -c "^verdict=delivered reason=accepted dlp=$host$(lt_port 2)/accepted " "$LT_OUT")" = 3 ] ||
    lt_fail "want three messages delivered, each with the host once in dlp="
[ "$(awk '$3 == "RSET"' "$LT_DIR/peer2.log" | wc -l)" = 2 ] ||
    lt_fail "want two reuses that died at RSET: $(tr '\n' ';' <"$LT_DIR/peer2.log")"
[ "$(awk '{ print $1 }' "$LT_DIR/peer2.log" | sort -u | wc -l)" = 3 ] ||
    lt_fail "want three connections: $(tr '\n' ';' <"$LT_DIR/peer2.log")"
echo "PASS: pipelining"
