#!/bin/bash
# health.sh - the pool's health state (dlp_pool.c): a host whose connect
# failed is skipped (UNREACHABLE without a dial) until its retry time,
# with a backoff doubling from retry_min up to retry_max; once the retry
# time passes it is dialled again, so a host that comes back is used
# within the bound; a host that connects (even one that then times out)
# is never skipped.
. "$(dirname "$0")/libtest.sh"
lt_init health
printf 'Subject: health\n\nbody\n' >"$LT_DIR/msg"

# 1. skip and backoff: nothing listens on port 1; a message every 250 ms.
# With probe = false the half-open trials are messages, so the dials can
# be seen in dlpsend's output
T_DLP_EXTRA='health: { retry_min = 1; retry_max = 2; probe = false; };' t_conf "$LT_DIR/c1" 1
lt_sendn "$LT_DIR/c1" 20 250 s@example.com r@example.com <"$LT_DIR/msg"
lt_summary >"$LT_DIR/sum1"
awk '$3 != "bypass" { exit 1 }' "$LT_DIR/sum1" ||
    lt_fail "every message must be a bypass: $(cat "$LT_DIR/sum1")"
lt_expect 'verdict=bypass reason=unreachable dlp=127\.0\.0\.1\[127\.0\.0\.1\]:'"$(lt_port 1)"'/unreachable reply=250 2\.0\.0 DLP connect to .*: connect: Connection refused \(not dialled: unreachable for [0-9]+ ms, next try in [0-9]+ ms\)'
# the dials: first message, then after >= 1 s, then >= 2 s, 2 s (capped)
awk '$4 == 0 { print $1, $2 }' "$LT_DIR/sum1" >"$LT_DIR/dials"
[ "$(head -n 1 "$LT_DIR/dials" | cut -d' ' -f1)" = 1 ] ||
    lt_fail "the first message must dial: $(cat "$LT_DIR/sum1")"
awk 'NR > 1 { gap = $2 - prev; want = (NR == 2 ? 1000 : 2000);
              if (gap < want || gap > want + 250 + 200) {
                  print "dial " NR " came " gap " ms after the one before, want " want "+[0,450]"; bad = 1 } }
     { prev = $2 } END { if (NR < 3) { print "only " NR " dials"; bad = 1 }; exit bad }' \
    "$LT_DIR/dials" >"$LT_DIR/why" || lt_fail "backoff: $(cat "$LT_DIR/why"); $(cat "$LT_DIR/sum1")"

# 1b. with the pool's own probe (the default) no message after the first
# waits for a dial while the state is fresh: every later one is skipped
T_DLP_EXTRA='health: { retry_min = 1; retry_max = 2; };' t_conf "$LT_DIR/c1b" 1
lt_sendn "$LT_DIR/c1b" 16 250 s@example.com r@example.com <"$LT_DIR/msg"
lt_summary >"$LT_DIR/sum1b"
awk '$3 != "bypass" { exit 1 } NR > 1 && $4 != 1 { exit 1 }' "$LT_DIR/sum1b" ||
    lt_fail "with probes every message after the first must be skipped: $(cat "$LT_DIR/sum1b")"
grep -q 'a trial is under way' "$LT_OUT" ||
    lt_fail "no message saw a probe under way in 4 s: $(cat "$LT_DIR/sum1b")"

# 2. recovery within the bound (the pool's probe notices): port 2 comes to life while messages flow
T_DLP_EXTRA='health: { retry_min = 1; retry_max = 2; };' t_conf "$LT_DIR/c2" 2
"$DLPSEND" -c "$LT_DIR/c2" -n 80 -i 100 -f s@example.com -r r@example.com \
    <"$LT_DIR/msg" >"$LT_OUT" 2>&1 &
send_pid=$!
sleep 3.2
lt_sink 2
up=$(date +%s%3N)
wait $send_pid || lt_fail "dlpsend failed"
lt_summary >"$LT_DIR/sum2"
# before the sink: bypass; the first delivered within retry_max (+slack)
first=$(awk '$3 == "delivered" { print $2; exit }' "$LT_DIR/sum2")
[ -n "$first" ] || lt_fail "never delivered after the host came back: $(cat "$LT_DIR/sum2")"
[ $((first - up)) -le 2400 ] ||
    lt_fail "host back at $up, first delivered at $first (> retry_max 2 s)"
awk -v f="$first" '$2 > f && $3 != "delivered" { exit 1 }' "$LT_DIR/sum2" ||
    lt_fail "a message after recovery was not delivered: $(cat "$LT_DIR/sum2")"
awk -v u="$up" '$2 < u - 100 && $3 != "bypass" { exit 1 }' "$LT_DIR/sum2" ||
    lt_fail "a message before recovery was not a bypass: $(cat "$LT_DIR/sum2")"
[ "$(lt_nmsgs 2)" = "$(awk '$3 == "delivered"' "$LT_DIR/sum2" | wc -l)" ] ||
    lt_fail "sink count differs from delivered count"

# 3. no false bypass: host 3 connects and then stalls (session timeout),
# host 4 refuses.  Row 2 makes each message a bypass, but host 3 must be
# dialled for every message (it is reachable), host 4 skipped after the
# first; and once host 3 answers again, mail goes to it.
# -p: with PIPELINING, smtp-sink's -W lets the pipelined RCPT overtake
# the delayed MAIL (it answers "503 need MAIL" first), which no real
# server does; the stall at MAIL is tested without it (t/lib/pipelining.sh
# tests the pipelined path)
lt_sink 3 -v -p -W MAIL:2
T_COMMAND=1 T_DLP_EXTRA='health: { retry_min = 30; retry_max = 60; };' \
    t_conf "$LT_DIR/c3" 3 4
lt_sendn "$LT_DIR/c3" 3 0 s@example.com r@example.com <"$LT_DIR/msg"
[ "$(grep -c 'dlp=[^ ]*:'"$(lt_port 3)"'/session_timeout,[^ ]*:'"$(lt_port 4)"'/unreachable' "$LT_OUT")" = 3 ] ||
    lt_fail "host 3 must be tried by all three messages"
[ "$(grep -c 'smtp-sink: connect' "$LT_DIR/sink3.log")" = 3 ] ||
    lt_fail "host 3 saw $(grep -c 'smtp-sink: connect' "$LT_DIR/sink3.log") connections, want 3"
# host 1 down, host 5 up: delivered by 5, never a bypass
lt_sink 5
T_DLP_EXTRA='health: { retry_min = 30; retry_max = 60; };' t_conf "$LT_DIR/c5" 1 5
lt_sendn "$LT_DIR/c5" 3 0 s@example.com r@example.com <"$LT_DIR/msg"
[ "$(grep -c '^verdict=delivered .*:'"$(lt_port 1)"'/unreachable,[^ ]*:'"$(lt_port 5)"'/accepted' "$LT_OUT")" = 3 ] ||
    lt_fail "with host 5 up every message must go to it"
echo "PASS: health"
