#!/usr/bin/env python3
"""rawsmtp.py - send a body of raw bytes (bare CR, bare LF, NUL, 8-bit) over
SMTP, as a client would that treats every LF as a line end for SMTP
transparency (so a line that starts with a dot after a CRLF or a bare LF is
stuffed, and nothing in the body ends the data early at a server that
accepts bare LF, as Postfix 3.7 does by default).

usage: rawsmtp.py PORT FROM RCPT SUBJECT BODYFILE

The message is "Subject: SUBJECT", an empty line, then BODYFILE's bytes
and CRLF "." CRLF.  Exit 0 when the final dot got 2xx.
"""
import re
import socket
import sys

port, sender, rcpt, subject, path = sys.argv[1:6]
body = open(path, "rb").read()
msg = b"Subject: " + subject.encode() + b"\r\n\r\n" + body
stuffed = re.sub(rb"(^|\n)\.", rb"\1..", msg)
if not stuffed.endswith(b"\n"):
    stuffed += b"\r\n"
s = socket.create_connection(("127.0.0.1", int(port)), timeout=60)
f = s.makefile("rb")


def reply():
    while True:
        line = f.readline()
        if not line or line[3:4] != b"-":
            return line.decode("latin-1").rstrip()


def cmd(c):
    s.sendall(c + b"\r\n")
    return reply()


reply()
ok = (cmd(b"EHLO raw.test").startswith("250") and
      cmd(b"MAIL FROM:<" + sender.encode() + b">").startswith("250") and
      cmd(b"RCPT TO:<" + rcpt.encode() + b">").startswith("250") and
      cmd(b"DATA").startswith("354"))
if ok:
    s.sendall(stuffed)
    r = cmd(b".")
    ok = r.startswith("2")
    if not ok:
        print("final dot:", r)
cmd(b"QUIT")
sys.exit(0 if ok else 1)
