#!/usr/bin/env python3
"""tlsdlp.py - a DLP host that offers STARTTLS with a certificate the
client may refuse: greets, answers EHLO with STARTTLS, does the TLS
handshake with CERT/KEY, then answers 250 to everything and takes mail
(250 after the dot).  Counts sessions that reached MAIL in COUNTFILE.
Usage: tlsdlp.py PORT CERT KEY COUNTFILE"""
import socket
import ssl
import sys
import threading

port, cert, key, countfile = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
lock = threading.Lock()


def lines(f):
    while True:
        line = f.readline()
        if not line:
            return
        yield line.rstrip(b"\r\n")


def session(c):
    try:
        c.sendall(b"220 tlsdlp ESMTP\r\n")
        f = c.makefile("rb")
        for line in lines(f):
            cmd = line[:4].upper()
            if cmd == b"EHLO":
                c.sendall(b"250-tlsdlp\r\n250 STARTTLS\r\n")
            elif cmd == b"STAR":
                c.sendall(b"220 2.0.0 go ahead\r\n")
                c = ctx.wrap_socket(c, server_side=True)
                f = c.makefile("rb")
                for l2 in lines(f):
                    if l2[:4].upper() == b"MAIL":
                        with lock, open(countfile, "a") as out:
                            out.write("mail\n")
                    if l2.upper() == b"DATA":
                        c.sendall(b"354 go\r\n")
                        for body in lines(f):
                            if body == b".":
                                break
                    elif l2[:4].upper() == b"QUIT":
                        c.sendall(b"221 bye\r\n")
                        return
                    c.sendall(b"250 ok\r\n")
                return
            elif cmd == b"QUIT":
                c.sendall(b"221 bye\r\n")
                return
            else:
                c.sendall(b"503 5.5.1 STARTTLS first\r\n")
    except (OSError, ssl.SSLError):
        pass
    finally:
        c.close()


s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(port)))
s.listen(16)
while True:
    c, _ = s.accept()
    threading.Thread(target=session, args=(c,), daemon=True).start()
