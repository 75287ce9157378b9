#!/bin/bash
# rcpt_status.sh - per-recipient DLP replies keep their meaning: of three
# recipients, the one the DLP defers (450) is refused with TEMPFAIL, the
# one it refuses (550) with REJECT, each with the DLP's reply, and the
# message goes on for the third: the DLP takes it (DISCARD) with only that
# recipient.  One log line per refused recipient, with the message's
# mid= of the decision line.  A second message gets its queue id ({i})
# only after its first accepted recipient, as from a Postfix smtpd with
# smtpd_delay_open_until_valid_rcpt=yes: the recipient refused before is
# logged as NOQUEUE, tied to the decision line by the same mid=; the one
# refused after carries the queue id.
. "$(dirname "$0")/mtlib.sh"
mt_init rcpt_status

mt_peer 1
t_conf "$MT_DIR/c" 1
mt_start "$MT_DIR/c"
mt_run rcpt_status.lua
mt_stop
[ -f "$MT_DIR/peer1/msg.2" ] || mt_fail "the DLP did not get two messages"
[ -f "$MT_DIR/peer1/msg.3" ] && mt_fail "the DLP got three messages"
[ "$(grep -c '^RCPT' "$MT_DIR/peer1/msg.1")" = 1 ] &&
    grep -q '^RCPT TO:<ok@example.org>' "$MT_DIR/peer1/msg.1" ||
    mt_fail "DLP recipients: $(grep '^RCPT' "$MT_DIR/peer1/msg.1")"
mt_log_expect 'QID5: rcpt=<defer@example.org> verdict=tempfail dlp=127\.0\.0\.1\[127\.0\.0\.1\]:[0-9]+ reply="450 4\.2\.0 <defer@example.org>: Recipient deferred by peer"'
mt_log_expect 'QID5: rcpt=<refuse@example.org> verdict=reject dlp=[^ ]+ reply="550 5\.1\.1 <refuse@example.org>: Recipient refused by peer"'
mt_log_expect 'QID5: verdict=delivered reason=accepted dlp=[^ ]+ delay=[0-9.]+ from=<sender@example.com> nrcpt=1 dlp_queue_id=PEER1'
# mid= ties each recipient line to its message's decision line
m5=$(sed -n 's/.* QID5: verdict=delivered .* mid=\([0-9][0-9]*\) dlp_time=.*/\1/p' "$MT_LOG")
m6=$(sed -n 's/.* QID6: verdict=delivered .* from=<sender2@example\.com> nrcpt=1 .*mid=\([0-9][0-9]*\) dlp_time=.*/\1/p' "$MT_LOG")
[ -n "$m5" ] && [ -n "$m6" ] && [ "$m5" != "$m6" ] ||
    mt_fail "decision lines: mid=$m5 and mid=$m6, want two different numbers"
mt_log_expect "QID5: rcpt=<defer@example.org> verdict=tempfail .* mid=$m5\$"
mt_log_expect "QID5: rcpt=<refuse@example.org> verdict=reject .* mid=$m5\$"
mt_log_expect "NOQUEUE: rcpt=<refuse2@example.org> verdict=reject dlp=[^ ]+ reply=\"550 5\.1\.1 <refuse2@example.org>: Recipient refused by peer\" mid=$m6\$"
mt_log_expect "QID6: rcpt=<refuse3@example.org> verdict=reject .* mid=$m6\$"
echo "PASS: rcpt_status"
