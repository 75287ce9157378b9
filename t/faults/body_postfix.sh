#!/bin/bash
# body_postfix.sh - TESTING.md row 11 against Postfix itself: each body of
# t/faults/bodycases.py (bare CR, bare LF, "\n.\n" and "\r\n.\r" with a
# smuggled transaction behind, leading dots, no final line end, 8-bit,
# NUL, a 1 MB line, empty) goes through the real sandwich twice: once the
# DLP takes it (what the milter handed the DLP), once the DLP is down and
# Postfix delivers it directly (bypass: what Postfix itself delivers).  The
# two bodies must be equal except that a bare CR is a space in the DLP's
# copy (DESIGN.md: canonical CRLF, Postfix 3.9 cleanup_replace_stray_cr_lf);
# each message arrives exactly once at each place, and no smuggled message
# ever appears.  Private Postfix sandwich
. "$(dirname "$0")/../e2e/testlib.sh"
tl_init body_postfix
command -v python3 >/dev/null || tl_skip "python3 is not installed"
cases=$(python3 "$(dirname "$0")/bodycases.py" bodies "$TL_DIR") ||
    tl_fail "cannot write the bodies"

tl_setup
tl_pf_main gw "message_size_limit = 0"
tl_pf_reload gw
tl_sink dlp "$(tl_port 6)"
T_COMMAND=10 T_DATA=30 t_conf "$TL_DIR/dlp.conf" "127.0.0.1:$(tl_port 6)"
tl_milter "$TL_DIR/dlp.conf"
send() { # send NAME: one case through the gateway
    python3 "$(dirname "$0")/rawsmtp.py" "$(tl_port 0)" sender@sender.test \
        rcpt@example.com "row11 $1" "$TL_DIR/$1.body" ||
        tl_fail "$1: the gateway did not accept the message"
}
for name in $cases; do send "$name"; done
tl_settle 60
tl_expect_nmsgs internet 0
tl_sink_stop dlp # from now on the DLP port refuses: bypass
for name in $cases; do send "$name"; done
tl_settle 60
tl_expect_nmsgs bounce 0
n=$(echo $cases | wc -w)
[ "$(tl_nmsgs dlp)" = "$n" ] || tl_fail "the DLP received $(tl_nmsgs dlp) messages, want $n"
[ "$(tl_nmsgs internet)" = "$n" ] || tl_fail "the Internet received $(tl_nmsgs internet) messages, want $n"
# a smuggled transaction would be a message without our Subject
for f in "$TL_DIR"/sink.dlp/* "$TL_DIR"/sink.internet/*; do
    grep -q '^Subject: row11 ' "$f" || tl_fail "a smuggled message was delivered: $(head -c 600 "$f")"
done
for name in $cases; do
    d=$(grep -l "^Subject: row11 $name\$" "$TL_DIR"/sink.dlp/*)
    i=$(grep -l "^Subject: row11 $name\$" "$TL_DIR"/sink.internet/*)
    [ "$(echo "$d" | grep -c .)" = 1 ] || tl_fail "$name: not exactly once at the DLP"
    [ "$(echo "$i" | grep -c .)" = 1 ] || tl_fail "$name: not exactly once at the Internet"
    grep -q '^X-DLP-Bypass: unreachable' "$i" || tl_fail "$name: the direct copy is not stamped"
    python3 "$(dirname "$0")/bodycases.py" same "$d" "$i" || tl_fail "$name: bodies differ"
    echo "ok: $name"
done
tl_pass
