#!/usr/bin/env python3
"""flapper.py - a DLP host that flaps: listens on 127.0.0.1:PORT for UP
seconds (each connection gets "421 4.3.2 flapping" and is closed), then
does not listen for DOWN seconds (connects are refused), for TOTAL
seconds in all; it ends listening and writes one line per change
("up"/"down") to stdout.  Usage: flapper.py PORT UP DOWN TOTAL"""
import select
import socket
import sys
import time

port, up, down, total = int(sys.argv[1]), float(sys.argv[2]), \
    float(sys.argv[3]), float(sys.argv[4])


def listen():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)
    return s


def serve(s, secs):
    end = time.monotonic() + secs
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return
        r, _, _ = select.select([s], [], [], left)
        if r:
            c, _ = s.accept()
            try:
                c.sendall(b"421 4.3.2 flapping\r\n")
            except OSError:
                pass
            c.close()


start = time.monotonic()
while time.monotonic() - start < total:
    s = listen()
    print("up", flush=True)
    serve(s, up)
    s.close()
    print("down", flush=True)
    time.sleep(down)
s = listen()
print("up (final)", flush=True)
serve(s, 3600)
