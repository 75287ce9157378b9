#!/bin/bash
# failclosed.sh - a bypass that cannot be recorded must not happen: with
# audit.file in a directory that does not exist, a message the DLP takes
# is still handed over (the DLP owns it: nothing to undo), but a message
# no DLP host takes is deferred (reason internal:audit), never delivered
# unscanned, and the error is logged; once the directory exists (the
# file is opened again at the next message), the next such message is
# bypassed and recorded.
. "$(dirname "$0")/../e2e/testlib.sh"
. "$(dirname "$0")/auditlib.sh"
tl_init audit_failclosed

trail=$TL_DIR/missing/audit.jsonl
tl_setup
tl_sink dlp "$(tl_port 6)"
at_conf "$TL_DIR/dlp.conf" "$trail" all "127.0.0.1:$(tl_port 6)"
tl_milter "$TL_DIR/dlp.conf"
tl_send rcpt@example.com
tl_settle
tl_expect_nmsgs dlp 1
tl_expect_milter_log "verdict=delivered reason=accepted "
tl_expect_milter_log "audit: cannot open $trail"

at_conf "$TL_DIR/dlp.conf" "$trail" all "127.0.0.1:$(tl_port 7)"
at_reload
tl_send rcpt@example.com
tl_expect_deferred "bypass cannot be recorded"
tl_expect_milter_log "verdict=tempfail reason=internal:audit "
grep -q "verdict=bypass" "$TL_DIR/milter.log" &&
    tl_fail "a bypass decision was logged: $(cat "$TL_DIR/milter.log")"
tl_pf_purge gw

mkdir "$TL_DIR/missing"
TL_SUBJECT=recorded tl_send rcpt@example.com
tl_settle
tl_expect_nmsgs internet 1
[ "$(at_lines "$trail")" = 1 ] && [ "$(at_field "$trail" 1 'j["verdict"]')" = bypass ] ||
    tl_fail "the bypass was not recorded: $(cat "$trail" 2>&1)"
tl_pass
