#!/usr/bin/env python3
"""nxdomain.py - a DNS stand-in for t/lib/resolve_bound.sh: answers every
UDP query on ADDR:PORT with NXDOMAIN (the question echoed, no records).

usage: nxdomain.py ADDR PORT
"""
import socket
import sys


def question_end(msg):
    """offset just past the first question (name labels, type, class)"""
    i = 12
    while i < len(msg) and msg[i] != 0:
        i += 1 + msg[i]
    return i + 5


def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((sys.argv[1], int(sys.argv[2])))
    while True:
        msg, peer = sock.recvfrom(4096)
        if len(msg) < 17:
            continue
        end = question_end(msg)
        # QR, the query's opcode and RD, AA; RA, rcode 3 (NXDOMAIN);
        # one question, no answer, authority or additional records
        flags = bytes([0x80 | (msg[2] & 0x79) | 0x04, 0x83])
        sock.sendto(msg[:2] + flags + b"\x00\x01" + b"\x00" * 6 + msg[12:end],
                    peer)


if __name__ == "__main__":
    main()
