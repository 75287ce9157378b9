#!/bin/bash
# dead_cached.sh - TESTING.md row 17 at the shipped defaults: a cached
# DLP session goes silent while new connections work (an L4 balancer
# whose node died: deadpeer.py answers one message per connection, then
# never replies on it).  The next message must not wait out its deadline
# on the dead session and must never be bypassed: the dead cached session
# is no outcome, a fresh connection to the same host takes the message.
# With PIPELINING (the owed RSET goes out with MAIL and RCPT), without,
# and a cached session that still answers RSET but hangs at MAIL (its
# failure before the content is no outcome either: the previous
# message's content on that session must not count).  Timeouts are the
# shipped defaults.
. "$(dirname "$0")/libtest.sh"
lt_init dead_cached
command -v python3 >/dev/null ||
    { echo "SKIP: python3 (for the stand-in DLP) is not installed"; exit 77; }
printf 'Subject: dead cached\n\nbody\n' >"$LT_DIR/msg"
host="127\.0\.0\.1\[127\.0\.0\.1\]:"
# the shipped defaults (dlpbypass.conf(5))
export T_CONNECT=5 T_COMMAND=10 T_DATA=120 T_DEADLINE=25

# pipe30: the same with command_timeout = 30 (the contract's example,
# longer than the session deadline): the reuse check bounds the wait
for mode in pipe nopipe mailstall pipe30; do
    case $mode in pipe) n=1 bound=9000 ;; nopipe) n=2 bound=9000 ;;
    pipe30) n=4 bound=9000 ;;
    # messages 2 and 3 each pay one command timeout (10 s) at MAIL
    mailstall) n=3 bound=25000 ;; esac
    lt_serve "deadpeer $mode" "$n" "$LT_DIR/peer$n.err" \
        python3 "$top_srcdir/t/lib/deadpeer.py" "$(lt_port "$n")" \
        "$LT_DIR/peer$n.log" 1 "${mode%30}"
    T_COMMAND=$([ $mode = pipe30 ] && echo 30 || echo 10) t_conf "$LT_DIR/c$n" "$n"
    start=$(date +%s%N)
    lt_sendn "$LT_DIR/c$n" 3 300 s@example.com r@example.com <"$LT_DIR/msg"
    ms=$((($(date +%s%N) - start) / 1000000))
    cp "$LT_OUT" "$LT_DIR/out.$mode"
    lt_reject "^verdict=bypass"
    [ "$(grep -c "^verdict=delivered reason=accepted dlp=$host$(lt_port "$n")/accepted " "$LT_OUT")" = 3 ] ||
        lt_fail "$mode: want all three messages taken by the DLP: $(grep '^verdict' "$LT_OUT" | tr '\n' '|')"
    [ "$(grep -c ' accepted ' "$LT_DIR/peer$n.log")" = 3 ] ||
        lt_fail "$mode: the stand-in did not take three messages"
    [ "$(grep -c ' open$' "$LT_DIR/peer$n.log")" = 3 ] ||
        lt_fail "$mode: want a fresh connection for each message"
    # the dead session costs the reuse check (2 s), not a deadline
    [ "$ms" -lt "$bound" ] || lt_fail "$mode: three messages took $ms ms"
done
echo "PASS: dead_cached"
