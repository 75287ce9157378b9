#!/bin/bash
# per_recipient.sh - the DLP refuses one recipient (5xx at RCPT) and
# accepts the other.  Only the refused recipient bounces, with the DLP's
# text in the DSN; the DLP receives the message once, for the accepted
# recipient only; nothing is delivered directly.  The milter logs the
# refused recipient with the message's queue id (macro {i}; the fragment
# makes the 10025 smtpd pick it at MAIL: dlpscan sends blocked@ first, as
# qmgr sorts the recipients) and the same mid= as its decision line.
# The DLP is a second private Postfix that refuses blocked@example.com and
# relays what it accepts to a sink.
. "$(dirname "$0")/testlib.sh"
tl_init per_recipient

tl_setup
tl_sink dlpout "$(tl_port 7)"
tl_pf_new dlp
tl_pf_main dlp "relayhost = [127.0.0.1]:$(tl_port 7)" \
    "smtpd_recipient_restrictions = check_recipient_access inline:{ {blocked@example.com = 550 5.7.1 DLP-blocked-recipient policy} }, permit_mynetworks, reject"
echo "127.0.0.1:$(tl_port 6) inet n - n - - smtpd" | tl_pf_master dlp
tl_pf_start dlp
tl_wait_port "$(tl_port 6)" || tl_fail "the DLP Postfix does not listen"

t_conf "$TL_DIR/dlp.conf" "127.0.0.1:$(tl_port 6)"
tl_milter "$TL_DIR/dlp.conf"
tl_send good@example.com blocked@example.com
tl_settle
tl_pf_wait_empty dlp
tl_expect_nmsgs internet 0
tl_expect_nmsgs dlpout 1
tl_expect_in_msg dlpout '^X-Rcpt-Args: <good@example\.com>( |$)'
tl_expect_not_in_msg dlpout 'blocked@example\.com>'
tl_expect_nmsgs bounce 1
f=$(tl_msg bounce)
grep -q '^Final-Recipient: rfc822; *blocked@example\.com' "$f" ||
    tl_fail "the DSN is not about blocked@: $(cat "$f")"
grep -q 'good@example\.com' "$f" && grep -q '^Final-Recipient: rfc822; *good@' "$f" &&
    tl_fail "the DSN also reports good@: $(cat "$f")"
# the DSN folds long lines: unfold before looking for the DLP's text
tl_unfold "$f" | grep -q '^Diagnostic-Code: smtp; 550 5\.7\.1 .*DLP-blocked-recipient policy' ||
    tl_fail "the DSN does not carry the DLP text: $(cat "$f")"
# the refusal line names the message: same queue id and mid= as the
# decision line, not NOQUEUE
tl_expect_milter_log 'verdict=delivered reason=accepted '
dline=$(grep -E ': verdict=delivered reason=accepted ' "$TL_DIR/milter.log")
qid=$(sed -n 's/^[^ ]*: \([0-9A-Za-z]*\): verdict=.*/\1/p' <<<"$dline")
mid=$(sed -n 's/.* mid=\([0-9][0-9]*\) dlp_time=.*/\1/p' <<<"$dline")
[ -n "$qid" ] && [ "$qid" != NOQUEUE ] && [ -n "$mid" ] ||
    tl_fail "decision line without queue id or mid=: $dline"
rline=$(grep -F 'rcpt=<blocked@example.com> verdict=reject' "$TL_DIR/milter.log")
grep -Eq "^[^ ]*: $qid: rcpt=<blocked@example\.com> verdict=reject .* mid=$mid\$" <<<"$rline" ||
    tl_fail "refusal line does not carry queue id $qid and mid=$mid: $rline"
tl_pass
