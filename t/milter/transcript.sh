#!/bin/bash
# transcript.sh - the SMTP transcript of a failed DLP attempt is logged
# after the decision line (commands, replies, state changes, timings),
# without the message content; a successful attempt is not transcribed
# unless its host is in dlp.debug_peers (by address here).
. "$(dirname "$0")/mtlib.sh"
mt_init transcript

# 1. the DLP rejects at the dot: the failed attempt's transcript
mt_sink 1 -f . -B '554 5.7.1 Blocked by DLP policy: 100% confidential'
t_conf "$MT_DIR/c" 1
mt_start "$MT_DIR/c"
mt_run reject.lua
mt_stop
mt_log_expect "QID4: verdict=reject reason=rejected"
line=$(grep 'QID4: transcript dlp=' "$MT_LOG")
[ "$(printf '%s\n' "$line" | grep -c .)" = 1 ] ||
    mt_fail "want one transcript line, got: $line"
for item in "dlp=[^ ]*\\[127\\.0\\.0\\.1\\]:$(mt_port 1): \\+[0-9]+ms =CONNECT" \
    '=GREETING; \+[0-9]+ms < 220 ' '> EHLO ' \
    '> MAIL FROM:<sender@example.com>' '> RCPT TO:<rcpt@example.org>' \
    '> DATA; ' '< 354 ' '> \(content, [0-9]+ bytes\)' '=DOT; ' \
    '< 554 5\.7\.1 Blocked by DLP policy' '! rejected 5\.7\.1' ' mid=[0-9]+$'; do
    printf '%s\n' "$line" | grep -Eq -- "$item" ||
        mt_fail "transcript lacks /$item/: $line"
done
# the content never: the body line and header values stay out of it
printf '%s\n' "$line" | grep -q 'Body of\|Subject' &&
    mt_fail "the transcript carries message content: $line"

# 2. accepted: no transcript; with dlp.debug_peers naming the address: one
rm -f "$MT_LOG"
mt_sink 2
t_conf "$MT_DIR/c2" 2
mt_start "$MT_DIR/c2"
mt_run delivered.lua
mt_stop
mt_log_expect "verdict=delivered"
mt_log_reject "transcript dlp="
rm -f "$MT_LOG"
T_DLP_EXTRA='debug_peers = ( "127.0.0.1" );'
t_conf "$MT_DIR/c3" 2
mt_start "$MT_DIR/c3"
mt_run delivered.lua
mt_stop
mt_log_expect "verdict=delivered"
mt_log_expect "transcript dlp=[^ ]*:$(mt_port 2): .*> \\(content, [0-9]+ bytes\\).*< 250 "
echo "PASS: transcript"
