#!/bin/bash
# rotate.sh - audit.what = "bypass" writes only bypass lines (a message
# the DLP took leaves none); after logrotate's "mv" and a SIGHUP the
# milter writes to a new file whose first line links to the last line
# of the moved one: "dlpbypass-audit verify OLD NEW" and "verify --prev"
# pass across the two files, and a wrong --prev fails at line 1.  A
# restarted milter continues the chain of the existing file.
. "$(dirname "$0")/../e2e/testlib.sh"
. "$(dirname "$0")/auditlib.sh"
tl_init audit_rotate
[ -x "$AT_AUDIT_BIN" ] || tl_skip "$AT_AUDIT_BIN is not built"

trail=$TL_DIR/audit.jsonl
tl_setup
tl_sink dlp "$(tl_port 6)"
# two servers: port 6 takes the message; with the first one refused and
# the second one gone, the message is bypassed
at_conf "$TL_DIR/ok.conf" "$trail" bypass "127.0.0.1:$(tl_port 6)"
at_conf "$TL_DIR/down.conf" "$trail" bypass "127.0.0.1:$(tl_port 7)"
cp "$TL_DIR/ok.conf" "$TL_DIR/dlp.conf"
tl_milter "$TL_DIR/dlp.conf"

tl_send rcpt@example.com # taken by the DLP: no line
tl_settle
tl_expect_nmsgs dlp 1
cp "$TL_DIR/down.conf" "$TL_DIR/dlp.conf"
at_reload
TL_SUBJECT=bypass1 tl_send rcpt@example.com
tl_settle
[ "$(at_lines "$trail")" = 1 ] ||
    tl_fail "audit.what=bypass: want 1 line, have: $(cat "$trail" 2>&1)"
[ "$(at_field "$trail" 1 'j["verdict"]')" = bypass ] ||
    tl_fail "the line is not the bypass: $(cat "$trail")"
cp "$TL_DIR/ok.conf" "$TL_DIR/dlp.conf"
at_reload
tl_send rcpt@example.com # taken again: still no line
tl_settle
tl_expect_nmsgs dlp 2
[ "$(at_lines "$trail")" = 1 ] || tl_fail "a delivered message left a line: $(cat "$trail")"

# logrotate: move the file away, then the postrotate signal
cp "$TL_DIR/down.conf" "$TL_DIR/dlp.conf"
at_reload
TL_SUBJECT=bypass2 tl_send rcpt@example.com
tl_settle
mv "$trail" "$trail.1"
at_reload
TL_SUBJECT=bypass3 tl_send rcpt@example.com
tl_settle
[ "$(at_lines "$trail.1")" = 2 ] || tl_fail "old file: $(cat "$trail.1")"
[ "$(at_lines "$trail")" = 1 ] || tl_fail "no new file after the reopen: $(ls -l "$TL_DIR")"
last=$("$AT_AUDIT_BIN" last "$trail.1")
[ "$(at_field "$trail" 1 'j["prev"]')" = "$last" ] ||
    tl_fail "the new file's first line does not link to the old file's last"
at_verify "$trail.1" "$trail" || tl_fail "verify OLD NEW: $AT_OUT"
[ "$AT_OUT" = "$trail.1: 2 lines, chain ok
$trail: 1 lines, chain ok" ] || tl_fail "verify OLD NEW said: $AT_OUT"
at_verify --prev "$last" "$trail" || tl_fail "verify --prev: $AT_OUT"
at_verify --prev "$(at_field "$trail.1" 1 'j["prev"]')" "$trail" &&
    tl_fail "verify --prev with a wrong link passed: $AT_OUT"
[[ $AT_OUT == "$trail:1: "* ]] || tl_fail "wrong --prev: verify said: $AT_OUT"
at_verify "$trail" "$trail.1" && tl_fail "verify NEW OLD passed: $AT_OUT"

# a restart continues the chain of the existing file
tl_milter_stop
tl_milter "$TL_DIR/dlp.conf"
TL_SUBJECT=bypass4 tl_send rcpt@example.com
tl_settle
[ "$(at_lines "$trail")" = 2 ] || tl_fail "after the restart: $(cat "$trail")"
at_verify "$trail.1" "$trail" || tl_fail "verify after the restart: $AT_OUT"
tl_pass
