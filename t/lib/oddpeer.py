#!/usr/bin/env python3
"""oddpeer.py - an SMTP stand-in DLP that answers in ways smtp-sink cannot.

Usage: oddpeer.py PORT LOG MODE

Listens on 127.0.0.1:PORT and behaves like a plain SMTP server (no
PIPELINING) except as MODE says:
  dot:CODE TEXT  answer the final dot with "CODE TEXT" (e.g. "221 2.0.0
                 Bye, message NOT accepted") and close
  early250       send "250 2.0.0 Ok: queued as EARLY1" with the 354 to
                 DATA (one write), before any content came (then 250 to
                 the dot)
  early-mail     send an extra "250 2.0.0 Ok" with the EHLO reply (one
                 write), before MAIL was sent
  stall-content  after the 354 to DATA, stop reading the socket (the
                 client's writes of a large message block) and hold the
                 connection until the client closes it
  dot250 TEXT    answer the dot with "250 TEXT" (the DLP's queue id)
LOG gets one line per command received ("MESSAGE" for a final dot).
"""
import socket
import sys
import threading
import time

PORT, LOG, MODE = int(sys.argv[1]), sys.argv[2], sys.argv[3]
lock = threading.Lock()


def log(line):
    with lock:
        with open(LOG, "a") as f:
            f.write(line + "\n")


def data_phase(c, buf):
    """Read the content up to the final dot; the bytes after it or None."""
    while True:
        end = buf.find(b"\r\n.\r\n")
        if end >= 0:
            return buf[end + 5:]
        chunk = c.recv(65536)
        if not chunk:
            return None
        buf = buf[-4:] + chunk if len(buf) > 4 else buf + chunk


def after_354(c, buf):
    """DATA was answered: content, final dot, its reply; False: stop."""
    if MODE == "stall-content":
        log("STALL")
        time.sleep(60)  # the client gives up long before
        return False
    rest = data_phase(c, buf)
    if rest is None:
        return False
    log("MESSAGE")
    if MODE.startswith("dot:"):
        c.sendall(MODE[4:].encode() + b"\r\n")
        return False
    if MODE.startswith("dot250 "):
        c.sendall(b"250 " + MODE[7:].encode() + b"\r\n")
    else:
        c.sendall(b"250 2.0.0 Ok: queued as ODD1\r\n")
    return rest


def serve(c):
    c.sendall(b"220 oddpeer ESMTP\r\n")
    buf = b""
    while True:
        eol = buf.find(b"\r\n")
        if eol < 0:
            chunk = c.recv(65536)
            if not chunk:
                return
            buf += chunk
            continue
        line, buf = buf[:eol].decode("ascii", "replace"), buf[eol + 2:]
        verb = line.split(" ")[0].split(":")[0].upper()
        log(verb)
        if verb == "EHLO":
            extra = b"250 2.0.0 Ok\r\n" if MODE == "early-mail" else b""
            c.sendall(b"250-oddpeer\r\n250 8BITMIME\r\n" + extra)
        elif verb == "DATA":
            early = b"250 2.0.0 Ok: queued as EARLY1\r\n"
            c.sendall(b"354 go ahead\r\n" + (early if MODE == "early250" else b""))
            rest = after_354(c, buf)
            if rest is False or rest is None:
                return
            buf = rest
        elif verb == "QUIT":
            c.sendall(b"221 bye\r\n")
            return
        else:
            c.sendall(b"250 2.0.0 Ok\r\n")


def run(c):
    try:
        serve(c)
    except OSError:
        pass
    finally:
        c.close()


def main():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", PORT))
    s.listen(16)
    while True:
        c, _ = s.accept()
        threading.Thread(target=run, args=(c,), daemon=True).start()


main()
