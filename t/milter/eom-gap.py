#!/usr/bin/python3
# eom-gap.py - the MTA side of the milter protocol over TCP, timing the
# end of each message: how long after the milter's last header
# modification its final reply arrives.  Over a socket with Nagle's
# algorithm on, libmilter's final reply (its second small write) waits for
# the ACK of the modification, which the MTA's kernel delays (>= 40 ms on
# Linux); with TCP_NODELAY both follow each other at once.  This client
# turns delayed ACKs on (TCP_QUICKACK 0, renewed after every read) so the
# stall shows whenever Nagle holds the reply back.
# Usage: eom-gap.py HOST PORT CONNECTIONS MESSAGES HEADER
#   sends MESSAGES messages on each of CONNECTIONS connections, each
#   message needing a modification (HEADER is what the milter must add);
#   prints one line per message "gap MS" (milliseconds), then
#   "median MS"; exits 1 on a protocol error or a message without HEADER
#   added or without an accept/continue reply.
import socket
import struct
import sys
import time

MODS = b"+mhicfrbeqlo"  # replies that modify the message (no answer due)
FINAL = b"acrtdy"  # the replies that end a message


class Milter:
    """one connection to the milter, replies time-stamped on arrival"""

    def __init__(self, host, port):
        self.s = socket.create_connection((host, port), timeout=10)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.delayed_acks()

    def delayed_acks(self):
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 0)

    def send(self, cmd, data=b""):
        self.s.sendall(struct.pack("!I", len(data) + 1) + cmd + data)

    def reply(self):
        """(command, data, arrival time of its last byte)"""
        while True:
            if len(self.buf) >= 4:
                n = struct.unpack("!I", self.buf[:4])[0]
                if len(self.buf) >= 4 + n:
                    pkt, self.buf = self.buf[4:4 + n], self.buf[4 + n:]
                    return pkt[:1], pkt[1:], self.stamp
            chunk = self.s.recv(65536)
            self.stamp = time.monotonic()
            self.delayed_acks()
            if not chunk:
                raise EOFError("the milter closed the connection")
            self.buf += chunk

    def ask(self, cmd, data, want=b"c"):
        self.send(cmd, data)
        c, d, _ = self.reply()
        if c != want:
            raise ValueError("%s: reply %r %r, want %r" % (cmd, c, d, want))


def session(host, port, nmsgs, header, gaps):
    m = Milter(host, port)
    # version 6, all actions, no protocol steps left out
    m.ask(b"O", struct.pack("!III", 6, 0x1FF, 0), want=b"O")
    m.ask(b"C", b"client.example\0" + b"4" + struct.pack("!H", 12345) +
          b"127.0.0.1\0")
    m.ask(b"H", b"client.example\0")
    for i in range(nmsgs):
        qid = b"GAP%d" % len(gaps)
        m.send(b"D", b"M" + b"i\0" + qid + b"\0")
        m.ask(b"M", b"<sender@example.com>\0")
        m.ask(b"R", b"<rcpt@example.org>\0")
        m.ask(b"L", b"From\0 sender@example.com\0")
        m.ask(b"L", b"Subject\0 gap %d\0" % i)
        m.ask(b"N", b"")
        m.ask(b"B", b"text\r\n")
        m.send(b"E", b"")
        last_mod, added = None, False
        while True:
            c, d, t = m.reply()
            if c in FINAL:
                break
            if c == b"p":
                continue
            if c not in MODS:
                raise ValueError("eom: unexpected reply %r" % c)
            last_mod = t
            if c == b"h" and d.split(b"\0")[0] == header:
                added = True
        if c not in b"ac" or not added or last_mod is None:
            raise ValueError("eom: reply %r, %s added: %s" %
                             (c, header.decode(), added))
        gaps.append((t - last_mod) * 1000.0)
        print("gap %.2f" % gaps[-1], flush=True)
    m.send(b"Q")
    m.s.close()


def main():
    host, port, nconn, nmsgs, header = sys.argv[1:6]
    gaps = []
    try:
        for _ in range(int(nconn)):
            session(host, int(port), int(nmsgs), header.encode(), gaps)
    except (OSError, EOFError, ValueError) as e:
        print("error: %s" % e)
        return 1
    gaps.sort()
    n = len(gaps)
    med = gaps[n // 2] if n % 2 else (gaps[n // 2 - 1] + gaps[n // 2]) / 2
    print("median %.2f" % med)
    return 0


if __name__ == "__main__":
    sys.exit(main())
