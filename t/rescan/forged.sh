#!/bin/bash
# forged.sh - a sender cannot forge the retro-scan marker: an
# X-DLP-Rescan field (any case) that the client wrote is removed like the
# bypass header.  With the DLP up, the DLP receives the message without
# it; with the DLP down, the bypassed message and its copy for the DLP
# carry exactly one X-DLP-Rescan, the milter's own.  And with bypass.rescan
# off the field is still stripped (only the filter may write it).
. "$(dirname "$0")/rslib.sh"
tl_init rescan-forged

command -v python3 >/dev/null || tl_skip "python3 is needed to read postqueue -j"

# forged_msg FILE SUBJECT - a message with forged X-DLP-Rescan fields
forged_msg() {
    cat >"$1" <<EOF2
From: Sender <sender@sender.test>
To: Rcpt <rcpt@example.com>
X-DLP-Rescan: FORGED 2000-01-01T00:00:00Z accepted
Subject: $2
x-dlp-rescan: forged too
X-DLP-Rescan-Note: kept
Message-ID: <$TL_NAME.$$.$RANDOM@sender.test>

Forged message of $TL_NAME.
EOF2
}

# send_forged SUBJECT - send forged_msg through the gateway
send_forged() {
    forged_msg "$TL_DIR/msg" "$1"
    tl_smtp "$(tl_port 0)" sender@sender.test rcpt@example.com <"$TL_DIR/msg" ||
        tl_fail "the gateway did not accept the message"
}

# only_ours SINK - SINK's message has one X-DLP-Rescan, the milter's
only_ours() {
    local f got
    f=$(tl_msg "$1") || exit 1
    got=$(grep -Ei '^X-DLP-Rescan:' "$f" | tr -d '\r')
    echo "$got" | grep -Eq '^X-DLP-Rescan: [0-9A-F]+ [0-9T:-]+Z unreachable$' &&
        [ "$(echo "$got" | wc -l)" = 1 ] ||
        tl_fail "sink $1 got these X-DLP-Rescan fields: '$got': $(cat "$f")"
    tl_expect_in_msg "$1" '^X-DLP-Rescan-Note: kept'
}

rs_setup

# 1. the DLP is up: it never sees the forged fields
tl_sink dlp "$(tl_port 6)"
rs_conf "$TL_DIR/dlp.conf"
tl_milter "$TL_DIR/dlp.conf"
send_forged "to the DLP"
tl_settle
rs_expect_dumps dlp 1
rs_expect_dumps internet 0
tl_expect_in_msg dlp '^X-DLP-Rescan-Note: kept'
grep -Ei '^X-DLP-Rescan:' "$(tl_msg dlp)" &&
    tl_fail "the DLP received a forged field: $(cat "$(tl_msg dlp)")"
tl_milter_stop
tl_sink_stop dlp
rm -f "$TL_DIR"/sink.dlp/*

# 2. the DLP is down: bypassed; the Internet and the copy carry only ours
tl_milter "$TL_DIR/dlp.conf"
send_forged "bypassed"
rs_rescan_waiting
for ((i = 0; i < 50; i++)); do
    [ "$(rs_dumps internet)" -ge 1 ] && break
    sleep 0.2
done
only_ours internet
tl_sink dlp "$(tl_port 6)"
tl_pf_flush gw
tl_settle
only_ours dlp
tl_milter_stop
rm -f "$TL_DIR"/sink.internet/*

# 3. retro-scan off: the forged fields are stripped all the same
t_conf "$TL_DIR/off.conf" "127.0.0.1:$(tl_port 7)" # nothing listens
tl_milter "$TL_DIR/off.conf"
send_forged "rescan off"
tl_settle
f=$(tl_msg internet)
grep -Ei '^X-DLP-Rescan:' "$f" && tl_fail "a forged field went out: $(cat "$f")"
tl_expect_in_msg internet '^X-DLP-Bypass: unreachable'
tl_expect_milter_log "verdict=bypass reason=unreachable .*nrcpt=1 mid"
tl_pass
