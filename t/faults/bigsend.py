#!/usr/bin/env python3
"""bigsend.py - send one large generated message over SMTP, streaming.

usage: bigsend.py PORT FROM RCPT MBYTES SUBJECT

The body is MBYTES MiB of 78-character lines (every 1000th starts with a
dot, stuffed on the wire), then "END-OF-BIG-MESSAGE".  Prints the body's
line count and the reply to the final dot; exit 0 when that is 2xx.
"""
import socket
import sys

port, sender, rcpt, mbytes, subject = (int(sys.argv[1]), sys.argv[2],
                                       sys.argv[3], int(sys.argv[4]),
                                       sys.argv[5])
s = socket.create_connection(("127.0.0.1", port), timeout=600)
f = s.makefile("rb")


def reply():
    while True:
        line = f.readline()
        if not line:
            sys.exit("connection closed")
        if line[3:4] != b"-":
            return line.decode("latin-1").rstrip()


def cmd(c, want):
    s.sendall(c.encode() + b"\r\n")
    r = reply()
    if not r.startswith(want):
        sys.exit("%s -> %s" % (c, r))
    return r


reply()
cmd("EHLO big.test", "250")
cmd("MAIL FROM:<%s>" % sender, "250")
cmd("RCPT TO:<%s>" % rcpt, "250")
cmd("DATA", "354")
head = "From: %s\r\nTo: %s\r\nSubject: %s\r\n\r\n" % (sender, rcpt, subject)
s.sendall(head.encode())
nlines = (mbytes << 20) // 80
buf = []
for i in range(nlines):
    line = b"%09d " % i + b"y" * 68
    buf.append(b".." + line if i % 1000 == 0 else line)  # stuffed
    if len(buf) == 4096:
        s.sendall(b"\r\n".join(buf) + b"\r\n")
        buf = []
buf.append(b"END-OF-BIG-MESSAGE")
s.sendall(b"\r\n".join(buf) + b"\r\n")
r = cmd(".", "")
print("lines=%d reply=%s" % (nlines + 1, r))
cmd("QUIT", "")
sys.exit(0 if r.startswith("2") else 1)
