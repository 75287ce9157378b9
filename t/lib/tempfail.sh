#!/bin/bash
# tempfail.sh - a 4xx at MAIL, DATA or the final dot is TEMPFAIL at once
# (row 5: the next host is not tried), with the DLP's reply in the text;
# a 4xx to RCPT is that recipient's result, and with every recipient
# refused the message gets no DATA and ends TEMPFAIL.
. "$(dirname "$0")/libtest.sh"
lt_init tempfail

echo "Subject: x" >"$LT_DIR/msg"
lt_sink 9 # the second host: must never see a message
check() { # check PORTNUM COMMAND-TEXT
    lt_expect "^verdict=tempfail reason=deferred dlp=[^ ]*:$(lt_port "$1")/deferred reply=451 4\.4\.1 DLP 127\.0\.0\.1\[127\.0\.0\.1\]:$(lt_port "$1") said: 450 4\.3\.0 Error: command failed \(in reply to $2 command\)"
}
lt_sink 1 -r MAIL
t_conf "$LT_DIR/c" 1 9
lt_send "$LT_DIR/c" s@example.com r@example.com <"$LT_DIR/msg"
check 1 "MAIL FROM"

lt_sink 2 -r DATA
t_conf "$LT_DIR/c" 2 9
lt_send "$LT_DIR/c" s@example.com r@example.com <"$LT_DIR/msg"
check 2 DATA

lt_sink 3 -r .
t_conf "$LT_DIR/c" 3 9
lt_send "$LT_DIR/c" s@example.com r@example.com <"$LT_DIR/msg"
check 3 "end of DATA"

lt_sink 4 -r RCPT
t_conf "$LT_DIR/c" 4 9
lt_send "$LT_DIR/c" s@example.com r1@example.com r2@example.com <"$LT_DIR/msg"
lt_expect '^rcpt=<r1@example.com> status=tempfail reply=450 4\.3\.0 Error: command failed$'
lt_expect '^rcpt=<r2@example.com> status=tempfail reply=450 4\.3\.0'
lt_expect "^verdict=tempfail reason=deferred dlp=[^ ]*:$(lt_port 4)/deferred reply=451 4\.4\.1 DLP [^ ]* said: 450 4\.3\.0 Error: command failed \(in reply to RCPT TO command\)"
grep -q 'DATA' "$LT_DIR/sink4.log" && lt_fail "DATA was sent"

[ "$(lt_nmsgs 9)" = 0 ] || lt_fail "the second host was tried"
echo "PASS: tempfail"
