#!/usr/bin/env python3
"""badpeer.py - an SMTP server that answers one step with a broken reply.

usage: badpeer.py PORT MODE STEP [LOG]
       badpeer.py PORT @FILE [LOG]   (MODE and STEP read from FILE, one
                                      line "MODE STEP", at each connection)

Behaves like a plain SMTP server (220, EHLO, MAIL, RCPT, DATA, content,
final dot, RSET, QUIT: all 2xx/354) on 127.0.0.1:PORT, except that at STEP
(greeting, ehlo, mail, rcpt, data, dot) it sends the reply of MODE:
  longline  "250 " + 10 MB of text + CRLF
  nolf      "250 ok" and then nothing, no line end, connection kept open
  badcode   "2500 ok"           shortcode  "25 ok"
  lettercode "2x0 ok"           lowcode    "150 ok"
  mixed     "250-first" then "550 second" (codes disagree)
  nulcode   "2\\0 50 ok"         nultext    "451 4.3.0 a\\0b\\1c\\377d"
  trickle   "250 " then one byte a second, for ever
A recipient containing "reject" gets 550 5.1.1, one containing "defer" 451
4.2.0, whatever MODE and STEP say (per-recipient results).
Every command received is appended to LOG (one line each, repr()), and
"MESSAGE" when a final dot was received, so a test can count messages.
"""
import socket
import sys
import threading
import time

port = int(sys.argv[1])
if sys.argv[2].startswith("@"):
    modefile, rest = sys.argv[2][1:], sys.argv[3:]
    mode = step = None
else:
    modefile, mode, step, rest = None, sys.argv[2], sys.argv[3], sys.argv[4:]
logpath = rest[0] if rest else None
loglock = threading.Lock()


def log(what):
    if logpath:
        with loglock, open(logpath, "a") as f:
            f.write(what + "\n")


def bad(conn):
    """Send MODE's reply; return False when the session must stop here."""
    if mode == "longline":
        chunk = b"A" * 65536
        conn.sendall(b"250 ")
        for _ in range(160):
            conn.sendall(chunk)
        conn.sendall(b"\r\n")
    elif mode == "nolf":
        conn.sendall(b"250 ok")
        hold(conn)
        return False
    elif mode == "trickle":
        conn.sendall(b"250 ")
        while True:
            conn.sendall(b"x")
            time.sleep(1)
    else:
        conn.sendall({
            "badcode": b"2500 ok\r\n",
            "shortcode": b"25 ok\r\n",
            "lettercode": b"2x0 ok\r\n",
            "lowcode": b"150 ok\r\n",
            "mixed": b"250-first\r\n550 second\r\n",
            "nulcode": b"2\x0050 ok\r\n",
            "nultext": b"451 4.3.0 a\x00b\x01c\xffd\r\n",
        }[mode])
    return True


def hold(conn):
    """Keep the connection open until the client closes it."""
    try:
        while conn.recv(65536):
            pass
    except OSError:
        pass


def reply(conn, this, good):
    if this == step:
        return bad(conn)
    conn.sendall(good)
    return True


def session(conn):
    f = conn.makefile("rb")
    if not reply(conn, "greeting", b"220 badpeer ESMTP\r\n"):
        return
    while True:
        line = f.readline()
        if not line:
            return
        log(repr(line))
        cmd = line[:4].upper()
        if cmd in (b"EHLO", b"HELO"):
            ok = reply(conn, "ehlo", b"250-badpeer\r\n250 PIPELINING\r\n")
        elif cmd == b"MAIL":
            ok = reply(conn, "mail", b"250 2.1.0 ok\r\n")
        elif cmd == b"RCPT" and b"reject" in line:
            conn.sendall(b"550 5.1.1 no such user here\r\n")
            continue
        elif cmd == b"RCPT" and b"defer" in line:
            conn.sendall(b"451 4.2.0 mailbox busy\r\n")
            continue
        elif cmd == b"RCPT":
            ok = reply(conn, "rcpt", b"250 2.1.5 ok\r\n")
        elif cmd == b"DATA":
            ok = reply(conn, "data", b"354 go ahead\r\n")
            if ok and step != "data":
                while True:
                    l = f.readline()
                    if not l:
                        return
                    if l == b".\r\n":
                        break
                log("MESSAGE")
                ok = reply(conn, "dot", b"250 2.0.0 queued as BAD1\r\n")
        elif cmd == b"QUIT":
            conn.sendall(b"221 bye\r\n")
            return
        else:
            conn.sendall(b"250 ok\r\n")
            continue
        if not ok:
            return


def serve(conn):
    global mode, step
    if modefile:
        with open(modefile) as f:
            mode, step = f.read().split()
    try:
        session(conn)
    except OSError:
        pass
    finally:
        conn.close()


srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(16)
print("listening", flush=True)
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
