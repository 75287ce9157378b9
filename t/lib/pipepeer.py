#!/usr/bin/env python3
"""pipepeer.py - an SMTP stand-in DLP for t/lib/pipelining.sh.

Usage: pipepeer.py PORT LOG MODE

Listens on 127.0.0.1:PORT, advertises PIPELINING and answers every
command in order, but (RFC 2920 allows a server to) holds the replies to
RSET and MAIL until the RCPT that follows them has arrived, or 3 s have
passed.  A client that waits for each reply before sending the next
command therefore pays 3 s per held command; one that pipelines does not.
LOG gets one line per command: "CONN READ COMMAND", READ numbering the
recv() calls of that connection, so commands that came in one write
share it.  MODE "die-at-rset" closes a connection, without a reply, when
its first RSET arrives (a session that died while cached); "normal"
does not.
"""
import socket
import sys
import threading
import time

PORT, LOG, MODE = int(sys.argv[1]), sys.argv[2], sys.argv[3]
lock = threading.Lock()
nconn = [0]


def log(line):
    with lock:
        with open(LOG, "a") as f:
            f.write(line + "\n")


def serve(c, conn_no):
    c.sendall(b"220 pipepeer ESMTP\r\n")
    buf, held, nread, in_data = b"", [], 0, False
    c.settimeout(0.2)
    held_since = None
    while True:
        try:
            chunk = c.recv(65536)
            if not chunk:
                return
            nread += 1
            buf += chunk
        except socket.timeout:
            pass
        if held and time.time() - held_since > 3:
            c.sendall(b"".join(held))
            held = []
        while True:
            if in_data:
                end = buf.find(b"\r\n.\r\n")
                if end < 0:
                    break
                buf = buf[end + 5:]
                in_data = False
                c.sendall(b"250 2.0.0 Ok: queued as PIPE%d\r\n" % conn_no)
                continue
            eol = buf.find(b"\r\n")
            if eol < 0:
                break
            line, buf = buf[:eol].decode("ascii", "replace"), buf[eol + 2:]
            verb = line.split(" ")[0].split(":")[0].upper()
            log("%d %d %s" % (conn_no, nread, verb))
            if verb in ("EHLO",):
                c.sendall(b"250-pipepeer\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
            elif verb == "RSET" and MODE == "die-at-rset":
                c.close()
                return
            elif verb in ("RSET", "MAIL"):
                if not held:
                    held_since = time.time()
                held.append(b"250 2.0.0 Ok\r\n")
            elif verb == "RCPT":
                c.sendall(b"".join(held) + b"250 2.1.5 Ok\r\n")
                held = []
            elif verb == "DATA":
                c.sendall(b"".join(held) + b"354 go ahead\r\n")
                held = []
                in_data = True
            elif verb == "QUIT":
                c.sendall(b"".join(held) + b"221 bye\r\n")
                c.close()
                return
            else:
                c.sendall(b"".join(held) + b"250 Ok\r\n")
                held = []


def main():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", PORT))
    s.listen(16)
    while True:
        c, _ = s.accept()
        nconn[0] += 1
        threading.Thread(target=serve, args=(c, nconn[0]), daemon=True).start()


main()
