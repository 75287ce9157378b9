#!/bin/bash
# reflect.sh - the reflect listener (":10026") of master.cf.fragment takes
# mail back from the DLP hosts only, and what it takes skips DLP: here
# the "DLP host" is 127.0.0.2.  A client at 127.0.0.1 is refused; the
# DLP host's message is delivered directly, once, with no milter running
# (had it gone through dlpscan again it would wait in the queue).
. "$(dirname "$0")/testlib.sh"
tl_init reflect

command -v python3 >/dev/null || tl_skip "python3 is needed to send from 127.0.0.2"
TL_REFLECT_NETS=127.0.0.2/32
tl_setup
tl_msgfile "$TL_DIR/msg" reflected
tl_smtp "$(tl_port 2)" sender@sender.test rcpt@example.com <"$TL_DIR/msg" &&
    tl_fail "the reflect port accepted mail from 127.0.0.1"
grep -Eq '^S: 554 .*(Client host|Relay access|rejected)' "$TL_DIR/smtp.out" ||
    tl_fail "no 554 refusal for 127.0.0.1: $(cat "$TL_DIR/smtp.out")"

python3 - "$(tl_port 2)" "$TL_DIR/msg" <<'PY' || tl_fail "the DLP host could not reflect"
import smtplib, sys
port, path = int(sys.argv[1]), sys.argv[2]
with open(path, "rb") as f:
    msg = f.read().replace(b"\n", b"\r\n")
s = smtplib.SMTP("127.0.0.1", port, source_address=("127.0.0.2", 0), timeout=10)
s.sendmail("sender@sender.test", ["rcpt@example.com"], msg)
s.quit()
PY
tl_settle
tl_expect_nmsgs internet 1
tl_expect_nmsgs bounce 0
tl_expect_in_msg internet '^Subject: reflected$'
tl_expect_not_in_msg internet '^X-DLP-Bypass:'
tl_pass
