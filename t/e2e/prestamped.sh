#!/bin/bash
# prestamped.sh - TESTING.md row 23: a sender pre-stamps the fields that
# only the filter or the DLP may write, "X-DLP-Bypass: yes" and
# "X-CFilter-Loop: Reflected" (and a lower-case copy of each).  With the
# DLP up, the DLP stand-in receives the message without any of them
# (the look-alike X-DLP-Bypass-Note stays); with the DLP down, the
# bypassed copy reaches the Internet carrying only the milter's own
# "X-DLP-Bypass: unreachable" and no X-CFilter-Loop.
. "$(dirname "$0")/testlib.sh"
tl_init prestamped

# prestamped_msg FILE SUBJECT - a message with the forged fields
prestamped_msg() {
    cat >"$1" <<EOF2
From: Sender <sender@sender.test>
To: Rcpt <rcpt@example.com>
X-DLP-Bypass: yes
X-CFilter-Loop: Reflected
Subject: $2
x-cfilter-loop: Reflected
x-dlp-bypass: unreachable
X-DLP-Bypass-Note: kept
Message-ID: <$TL_NAME.$$.$RANDOM@sender.test>

Pre-stamped message of $TL_NAME.
EOF2
}

tl_setup
tl_sink dlp "$(tl_port 6)"

# 1. the DLP is up: it never sees the forged fields
t_conf "$TL_DIR/dlp.conf" "127.0.0.1:$(tl_port 6)"
tl_milter "$TL_DIR/dlp.conf"
prestamped_msg "$TL_DIR/msg" "to the DLP"
tl_smtp "$(tl_port 0)" sender@sender.test rcpt@example.com <"$TL_DIR/msg" ||
    tl_fail "the gateway did not accept the message"
tl_settle
tl_expect_nmsgs dlp 1
tl_expect_nmsgs internet 0
tl_expect_in_msg dlp '^Subject: to the DLP'
tl_expect_in_msg dlp '^X-DLP-Bypass-Note: kept'
grep -Ei '^(X-DLP-Bypass|X-CFilter-Loop):' "$(tl_msg dlp)" &&
    tl_fail "the DLP received a forged field: $(cat "$(tl_msg dlp)")"
tl_expect_milter_log "verdict=delivered reason=accepted "

# 2. the DLP is down: bypassed, only our own header goes out
tl_milter_stop
t_conf "$TL_DIR/dlp.conf" "127.0.0.1:$(tl_port 7)" # nothing listens
tl_milter "$TL_DIR/dlp.conf"
prestamped_msg "$TL_DIR/msg" "bypassed"
tl_smtp "$(tl_port 0)" sender@sender.test rcpt@example.com <"$TL_DIR/msg" ||
    tl_fail "the gateway did not accept the message"
tl_expect_bypassed unreachable
f=$(tl_msg internet)
tl_expect_in_msg internet '^Subject: bypassed'
tl_expect_in_msg internet '^X-DLP-Bypass-Note: kept'
got=$(grep -Ei '^(X-DLP-Bypass|X-CFilter-Loop):' "$f" | tr -d '\r')
[ "$got" = "X-DLP-Bypass: unreachable" ] ||
    tl_fail "the Internet got these fields: '$got', want only ours: $(cat "$f")"
tl_expect_nmsgs dlp 1
tl_pass
