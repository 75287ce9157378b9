#!/bin/bash
# sink_idle.sh - the event the negative checks wait for (t/testlib.sh
# tb_sink_idle, used by tb_sink_nmsgs, tl_expect_nmsgs, tl_settle,
# tl_expect_deferred): smtp-sink holds a dump open from RCPT to the end
# of data and closes it before its reply to the dot.  A message whose dot
# arrives a second after the count starts is counted (a fixed sleep of
# 0.2 s counted 0); with no transaction open the count is immediate; a
# transaction that stays open makes tb_sink_idle give up after its bound
# with status 1.  A raw SMTP client in python3 against smtp-sink.
. "$(dirname "$0")/libtest.sh"
lt_init sink_idle
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
lt_sink 1
# client SECS - one transaction to sink 1 that waits SECS before its dot;
# "open" in $LT_DIR/open once RCPT got its reply
client() {
    python3 - "$(lt_port 1)" "$1" "$LT_DIR/open" <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
f = s.makefile("rb")
def reply():
    while True:
        line = f.readline()
        if line[3:4] != b"-":
            return line
reply()
for c in (b"EHLO t", b"MAIL FROM:<s@example.com>", b"RCPT TO:<r@example.com>"):
    s.sendall(c + b"\r\n")
    reply()
open(sys.argv[3], "w").write("open\n")
s.sendall(b"DATA\r\n")
reply()
s.sendall(b"Subject: late\r\n\r\nbody\r\n")
time.sleep(float(sys.argv[2]))
s.sendall(b".\r\n")
reply()
s.sendall(b"QUIT\r\n")
reply()
EOF
}

# 1. the dot comes 1 s after the count starts: counted
client 1 &
cpid=$!
t_wait 5 test -s "$LT_DIR/open" || lt_fail "the client did not get through RCPT"
start=$(date +%s%N)
n=$(lt_nmsgs 1)
ms=$((($(date +%s%N) - start) / 1000000))
wait "$cpid" || lt_fail "the client failed"
[ "$n" = 1 ] || lt_fail "counted $n messages while the transaction was open, want 1"
[ "$ms" -ge 500 ] || lt_fail "the count did not wait for the dot (${ms} ms)"

# 2. nothing open: no wait
start=$(date +%s%N)
n=$(lt_nmsgs 1)
ms=$((($(date +%s%N) - start) / 1000000))
[ "$n" = 1 ] || lt_fail "counted $n messages, want 1"
[ "$ms" -lt 500 ] || lt_fail "an idle sink made the count wait ${ms} ms"

# 3. a transaction open longer than the bound: status 1 after it
rm -f "$LT_DIR/open"
client 4 &
cpid=$!
t_wait 5 test -s "$LT_DIR/open" || lt_fail "the client did not get through RCPT"
tb_sink_idle "$LT_DIR/sink1" 1 && lt_fail "tb_sink_idle saw an open transaction as idle"
wait "$cpid" || lt_fail "the client failed"
[ "$(lt_nmsgs 1)" = 2 ] || lt_fail "the second message was not counted"
echo "PASS: sink_idle"
