#!/bin/bash
# failover.sh - a host that times out at RCPT or at DATA (after MAIL and
# RCPT went through) is a session timeout: the next host gets MAIL and
# every RCPT replayed, then the message (row 3); with no other host
# reachable it is a bypass (row 2).
. "$(dirname "$0")/libtest.sh"
lt_init failover

printf 'Subject: failover\n\nbody\n' >"$LT_DIR/msg"
lt_sink 1 -W DATA:5
lt_sink 2 -W RCPT:5
lt_sink 3

for n in 1 2; do
    t_conf "$LT_DIR/c" $n 3
    lt_send "$LT_DIR/c" s@example.com r1@example.com r2@example.com <"$LT_DIR/msg"
    lt_expect '^rcpt=<r1@example.com> status=accepted'
    lt_expect '^rcpt=<r2@example.com> status=accepted'
    lt_expect "^verdict=delivered reason=accepted dlp=[^ ]*:$(lt_port $n)/session_timeout,[^ ]*:$(lt_port 3)/accepted "
done
[ "$(lt_nmsgs 3)" = 2 ] || lt_fail "host 3 got $(lt_nmsgs 3) messages, want 2"
for f in "$LT_DIR"/sink3/*; do
    [ "$(grep -c '^X-Rcpt-Args: <r[12]@example.com>$' "$f")" = 2 ] ||
        lt_fail "recipients not replayed: $(grep X-Rcpt "$f")"
done
[ "$(lt_nmsgs 1)" = 0 ] || lt_fail "host 1 got the message"

t_conf "$LT_DIR/c" 1 8 # 8: refused
lt_send "$LT_DIR/c" s@example.com r1@example.com <"$LT_DIR/msg"
lt_expect "^verdict=bypass reason=session_timeout dlp=[^ ]*:$(lt_port 1)/session_timeout,[^ ]*:$(lt_port 8)/unreachable reply=250 2\.0\.0 DLP [^ ]*: conversation timed out while sending DATA command"
echo "PASS: failover"
