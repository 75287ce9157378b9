#!/bin/bash
# delivered.sh - a message the DLP accepts: the milter answers
# SMFIS_DISCARD, the DLP received it exactly once, byte for byte (header
# fields with their own spacing and folding, the empty line, the body),
# and the decision is logged with the queue id and the DLP's queue id.
. "$(dirname "$0")/mtlib.sh"
mt_init delivered

mt_sink 1
t_conf "$MT_DIR/c" 1
mt_start "$MT_DIR/c"
mt_run delivered.lua
mt_stop
[ "$(mt_nmsgs 1)" = 1 ] || mt_fail "sink got $(mt_nmsgs 1) messages, want 1"
mt_body 1 >"$MT_DIR/got"
printf '%s\n' \
    'From: sender@example.com' \
    'Subject:  two spaces and a	tab ' \
    'X-Folded: first line' \
    '	second line' \
    '  third line' \
    'X-Empty: ' \
    '' \
    'Line one.' \
    '.leading dot' \
    '' \
    'last line' >"$MT_DIR/want"
cmp -s "$MT_DIR/got" "$MT_DIR/want" ||
    mt_fail "content differs: $(diff "$MT_DIR/want" "$MT_DIR/got")"
grep -q '^X-Mail-Args: <sender@example.com>$' "$MT_DIR"/sink1/* ||
    mt_fail "MAIL was not <sender@example.com>"
grep -q '^X-Rcpt-Args: <rcpt@example.org>$' "$MT_DIR"/sink1/* ||
    mt_fail "RCPT was not <rcpt@example.org>"
mt_log_expect "QID1: verdict=delivered reason=accepted dlp=[^ ]+ delay=[0-9]+\.[0-9]{3} from=<sender@example.com> nrcpt=1"
# with -f: one line on stderr, syslog-style tag; dlp_time= (the DLP
# hand-off's own time) comes last, after the contract's keys
mt_log_expect '^dlpbypass-milter\[[0-9]+\]: QID1: verdict=delivered .* dlp_time=[0-9]+\.[0-9]{6}$'
mt_log_reject 'verdict=(bypass|tempfail|reject)'
echo "PASS: delivered"
