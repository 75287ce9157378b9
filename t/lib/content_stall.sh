#!/bin/bash
# content_stall.sh - a DLP that stops reading while the content is being
# sent (our writes of a large message block until the data timeout) is
# DEFERRED, not SESSION_TIMEOUT: a message made to stall a lone DLP on its
# content must not be bypassed (invariant 5).  Tempfail, and no other host
# is tried (row 5).  The wait for the 354 to DATA is still before the
# content: SESSION_TIMEOUT (row 2 with a lone host).
# Python stand-in: t/lib/oddpeer.py (stall-content).
. "$(dirname "$0")/libtest.sh"
lt_init content_stall
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }

# 16 MB: more than any loopback socket buffers hold
{
    echo "Subject: big"
    echo
    head -c 12000000 /dev/zero | base64 -w 76
} >"$LT_DIR/msg"
lt_sink 9
lt_serve oddpeer 1 "$LT_DIR/peer1.out" python3 "$(dirname "$0")/oddpeer.py" \
    "$(lt_port 1)" "$LT_DIR/peer1.log" stall-content

T_DATA=1 t_conf "$LT_DIR/c" 1 8 # 8: refused
lt_send "$LT_DIR/c" s@example.com r@example.com <"$LT_DIR/msg"
lt_expect "^verdict=tempfail reason=deferred dlp=[^ ]*:$(lt_port 1)/deferred reply=451 4\.4\.2 DLP [^ ]*: conversation timed out while sending message body "
lt_reject '^verdict=bypass'
grep -q '^STALL$' "$LT_DIR/peer1.log" || lt_fail "the peer did not stall in the content"

T_DATA=1 t_conf "$LT_DIR/c" 1
lt_send "$LT_DIR/c" s@example.com r@example.com <"$LT_DIR/msg"
lt_expect "^verdict=tempfail reason=deferred dlp=[^ ]*:$(lt_port 1)/deferred reply=451 4\.4\.2 DLP [^ ]*: conversation timed out while sending message body "

T_DATA=1 t_conf "$LT_DIR/c" 1 9
lt_send "$LT_DIR/c" s@example.com r@example.com <"$LT_DIR/msg"
lt_expect "^verdict=tempfail reason=deferred dlp=[^ ]*:$(lt_port 1)/deferred reply=451 4\.4\.2 "
[ "$(lt_nmsgs 9)" = 0 ] || lt_fail "the second host was tried"

# a stall before the content (no 354 to DATA) is still a session timeout
echo "Subject: x" >"$LT_DIR/small"
lt_sink 2 -p -W DATA:5
t_conf "$LT_DIR/c" 2
lt_send "$LT_DIR/c" s@example.com r@example.com <"$LT_DIR/small"
lt_expect "^verdict=bypass reason=session_timeout dlp=[^ ]*:$(lt_port 2)/session_timeout reply=[0-9]+ [0-9.]+ DLP [^ ]*: conversation timed out while sending DATA command "
echo "PASS: content_stall"
