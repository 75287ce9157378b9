#!/usr/bin/env python3
"""aheadpeer.py - an SMTP stand-in DLP for t/milter/data_ahead.sh.

Usage: aheadpeer.py PORT LOG MODE

Listens on 127.0.0.1:PORT and speaks plain SMTP (PIPELINING offered).
LOG gets one line per event, "SECONDS CONN EVENT": "0 LISTENING" first,
then the command verb (EHLO, RSET, MAIL, RCPT, DATA, QUIT), CONTENT when
the first byte of the message content arrives, DOT at the final dot,
CLOSED when the client hung up (or reset); SECONDS is time.monotonic().
MODE "normal" answers 354 to DATA
and 250 to the dot; "data-451" answers DATA with 451 4.3.0;
"data-silent" never answers DATA (and hangs up after 30 s).
"""
import socket
import sys
import threading
import time

PORT, LOG, MODE = int(sys.argv[1]), sys.argv[2], sys.argv[3]
lock = threading.Lock()
nconn = [0]


def log(conn, event):
    with lock:
        with open(LOG, "a") as f:
            f.write("%.3f %d %s\n" % (time.monotonic(), conn, event))


def serve(sock, conn):
    try:
        talk(sock, conn)
    except OSError:  # a reset: the client closed with our reply unread
        pass
    log(conn, "CLOSED")
    sock.close()


def talk(sock, conn):
    f = sock.makefile("rb")
    sock.sendall(b"220 aheadpeer ESMTP\r\n")
    while True:
        line = f.readline()
        if not line:
            break
        verb = line.split(b" ")[0].strip().upper().split(b":")[0]
        log(conn, verb.decode("ascii", "replace"))
        if verb == b"EHLO":
            sock.sendall(b"250-aheadpeer\r\n250 PIPELINING\r\n")
        elif verb == b"DATA" and MODE == "data-451":
            sock.sendall(b"451 4.3.0 not now\r\n")
        elif verb == b"DATA" and MODE == "data-silent":
            time.sleep(30)
            break
        elif verb == b"DATA":
            sock.sendall(b"354 go ahead\r\n")
            first = True
            while True:
                line = f.readline()
                if not line:
                    break
                if first:
                    log(conn, "CONTENT")
                    first = False
                if line == b".\r\n":
                    log(conn, "DOT")
                    sock.sendall(b"250 2.0.0 Ok: queued as AHEAD%d\r\n" % conn)
                    break
            if not line:
                break
        elif verb == b"QUIT":
            sock.sendall(b"221 2.0.0 bye\r\n")
            break
        else:
            sock.sendall(b"250 2.0.0 ok\r\n")


def main():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", PORT))
    srv.listen(16)
    log(0, "LISTENING")
    while True:
        sock, _ = srv.accept()
        nconn[0] += 1
        threading.Thread(target=serve, args=(sock, nconn[0]),
                         daemon=True).start()


main()
