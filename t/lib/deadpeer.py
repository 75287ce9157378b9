#!/usr/bin/env python3
"""deadpeer.py - a stand-in DLP behind an L4 load balancer whose node died.

Usage: deadpeer.py PORT LOG K [nopipe|mailstall]

Listens on 127.0.0.1:PORT and answers each new connection like a healthy
DLP (PIPELINING offered unless "nopipe"; 250 to the dot), but after K
messages on one connection it goes silent on that connection: it keeps
reading and never replies again (the balancer still holds the old
connection; the node behind it is gone).  With "mailstall" (no
PIPELINING) it still answers the RSET after the K messages and goes
silent from the next MAIL on.  New connections work.  LOG
gets "conn N open", "conn N silent" and "conn N accepted MSG" lines.
"""
import socket
import sys
import threading

PORT, LOG, K = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
MODE = sys.argv[4] if len(sys.argv) > 4 else "pipe"
PIPE = MODE == "pipe"
lock = threading.Lock()
nconn = [0]


def log(line):
    with lock:
        with open(LOG, "a") as f:
            f.write(line + "\n")


def serve(c, n):
    log("conn %d open" % n)
    c.sendall(b"220 deadpeer ESMTP\r\n")
    buf, in_data, done, silent = b"", False, 0, False
    while True:
        chunk = c.recv(65536)
        if not chunk:
            return
        if silent:
            continue
        buf += chunk
        while True:
            if in_data:
                end = buf.find(b"\r\n.\r\n")
                if end < 0:
                    break
                buf, in_data = buf[end + 5:], False
                done += 1
                log("conn %d accepted %d" % (n, done))
                c.sendall(b"250 2.0.0 Ok: queued as DEAD%dM%d\r\n" % (n, done))
                if done >= K and MODE != "mailstall":
                    silent = True
                    log("conn %d silent" % n)
                    break
                continue
            eol = buf.find(b"\r\n")
            if eol < 0:
                break
            cmd, buf = buf[:eol].upper(), buf[eol + 2:]
            if cmd.startswith(b"EHLO"):
                c.sendall(b"250-deadpeer\r\n" + (b"250-PIPELINING\r\n" if PIPE else b"")
                          + b"250 8BITMIME\r\n")
            elif cmd.startswith(b"DATA"):
                c.sendall(b"354 go ahead\r\n")
                in_data = True
            elif cmd.startswith(b"MAIL") and done >= K and MODE == "mailstall":
                silent = True
                log("conn %d silent" % n)
                break
            elif cmd.startswith(b"QUIT"):
                c.sendall(b"221 bye\r\n")
                return
            else:
                c.sendall(b"250 2.0.0 Ok\r\n")
        if silent:
            buf = b""


def main():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", PORT))
    s.listen(50)
    while True:
        c, _ = s.accept()
        nconn[0] += 1
        threading.Thread(target=serve, args=(c, nconn[0]), daemon=True).start()


main()
