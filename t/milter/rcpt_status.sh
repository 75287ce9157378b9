#!/bin/bash
# rcpt_status.sh - per-recipient DLP replies keep their meaning: of three
# recipients, the one the DLP defers (450) is refused with TEMPFAIL, the
# one it refuses (550) with REJECT, each with the DLP's reply, and the
# message goes on for the third: the DLP takes it (DISCARD) with only that
# recipient.  One log line per refused recipient.
. "$(dirname "$0")/mtlib.sh"
mt_init rcpt_status 21050

mt_peer 1
mt_conf "$MT_DIR/c" 1
mt_start "$MT_DIR/c"
mt_run rcpt_status.lua
mt_stop
[ -f "$MT_DIR/peer1/msg.1" ] || mt_fail "the DLP got no message"
[ -f "$MT_DIR/peer1/msg.2" ] && mt_fail "the DLP got two messages"
[ "$(grep -c '^RCPT' "$MT_DIR/peer1/msg.1")" = 1 ] &&
    grep -q '^RCPT TO:<ok@example.org>' "$MT_DIR/peer1/msg.1" ||
    mt_fail "DLP recipients: $(grep '^RCPT' "$MT_DIR/peer1/msg.1")"
mt_log_expect 'QID5: rcpt=<defer@example.org> verdict=tempfail dlp=[^ ]+ reply="450 4\.2\.0 <defer@example.org>: Recipient deferred by peer"'
mt_log_expect 'QID5: rcpt=<refuse@example.org> verdict=reject dlp=[^ ]+ reply="550 5\.1\.1 <refuse@example.org>: Recipient refused by peer"'
mt_log_expect 'QID5: verdict=delivered reason=accepted dlp=[^ ]+ delay=[0-9.]+ from=<sender@example.com> nrcpt=1 dlp_queue_id=PEER1'
echo "PASS: rcpt_status"
