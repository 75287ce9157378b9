#!/usr/bin/env python3
"""t/tls/evilpeer.py - an SMTP server that does at STARTTLS what no real
server does, for the TLS tests.

Usage: evilpeer.py PORT MODE CAPTURE [READYFILE] [CERT KEY]

Listens on 127.0.0.1:PORT, offers STARTTLS in its EHLO reply and answers
STARTTLS according to MODE:
  inject  "220 2.0.0 Ready to start TLS" and, in the same segment, a
          forged "250 injected" line (the CVE-2011-0411 attack)
  late    the 220, then 0.2 s later the forged line (it arrives while
          the client is in the handshake)
  stall   the 220, then nothing: the handshake never progresses
  454     "454 4.7.0 TLS not available due to local problem", then goes
          on in plaintext and accepts a message (so a client that wrongly
          continues without TLS is caught by the capture)
  tls     a real TLS server (CERT, KEY): offers 8BITMIME only before TLS,
          accepts the message after it; what the client says inside TLS
          is appended, decrypted, to CAPTURE.tls
  tls8    the same, offering 8BITMIME after TLS too
Everything any client sends is appended, raw, to CAPTURE (one file for all
connections).  Writes its pid to READYFILE once listening.  Runs until
killed.
"""
import os
import socket
import ssl
import sys
import threading
import time

TLS_CERT = TLS_KEY = None


def serve(conn, mode, capture, lock):
    """one SMTP session; returns when the client goes away"""
    buf = b""
    in_data = False

    def record(data):
        with lock:
            with open(capture, "ab") as f:
                f.write(data)

    def send(data):
        try:
            conn.sendall(data)
        except OSError:
            pass

    send(b"220 evil.test ESMTP\r\n")
    conn.settimeout(30)
    for data in received(conn, record):
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            cmd = line.rstrip(b"\r").upper()
            if in_data:
                if line.rstrip(b"\r") == b".":
                    in_data = False
                    send(b"250 2.0.0 Ok: queued as EVIL\r\n")
                continue
            if cmd.startswith(b"EHLO"):
                send(b"250-evil.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
                     b"250 STARTTLS\r\n")
            elif cmd.startswith(b"HELO"):
                send(b"250 evil.test\r\n")
            elif cmd == b"STARTTLS":
                if mode in ("tls", "tls8"):
                    send(b"220 2.0.0 Ready to start TLS\r\n")
                    serve_tls(conn, mode, capture, lock)
                    return
                if mode == "inject":
                    send(b"220 2.0.0 Ready to start TLS\r\n250 injected\r\n")
                elif mode == "late":
                    send(b"220 2.0.0 Ready to start TLS\r\n")
                    time.sleep(0.2)
                    send(b"250 injected\r\n")
                elif mode == "stall":
                    send(b"220 2.0.0 Ready to start TLS\r\n")
                else:
                    send(b"454 4.7.0 TLS not available due to local problem\r\n")
                if mode != "454":
                    # from here on the client speaks TLS (or should be
                    # silent): keep capturing, never answer
                    for _ in received(conn, record):
                        pass
                    return
            elif cmd.startswith(b"DATA"):
                in_data = True
                send(b"354 End data with <CR><LF>.<CR><LF>\r\n")
            elif cmd.startswith(b"QUIT"):
                send(b"221 2.0.0 Bye\r\n")
                return
            else:
                send(b"250 2.0.0 Ok\r\n")


def serve_tls(conn, mode, capture, lock):
    """the session inside TLS: record what the client says, decrypted"""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(TLS_CERT, TLS_KEY)
    try:
        tls = ctx.wrap_socket(conn, server_side=True)
    except (ssl.SSLError, OSError):
        return
    f = tls.makefile("rb")
    in_data = False

    def send(data):
        tls.sendall(data)

    try:
        for line in f:
            with lock:
                with open(capture + ".tls", "ab") as out:
                    out.write(line)
            cmd = line.rstrip(b"\r\n").upper()
            if in_data:
                if line.rstrip(b"\r\n") == b".":
                    in_data = False
                    send(b"250 2.0.0 Ok: queued as TLSEVIL\r\n")
            elif cmd.startswith(b"EHLO"):
                extra = b"250-8BITMIME\r\n" if mode == "tls8" else b""
                send(b"250-evil.test\r\n" + extra + b"250 PIPELINING\r\n")
            elif cmd.startswith(b"DATA"):
                in_data = True
                send(b"354 End data with <CR><LF>.<CR><LF>\r\n")
            elif cmd.startswith(b"QUIT"):
                send(b"221 2.0.0 Bye\r\n")
                break
            else:
                send(b"250 2.0.0 Ok\r\n")
    except (ssl.SSLError, OSError):
        pass


def received(conn, record):
    """yield what the client sends, each piece recorded first, until it
    closes the connection or the connection fails"""
    while True:
        try:
            data = conn.recv(65536)
        except OSError:
            return
        if not data:
            return
        record(data)
        yield data


def main():
    port, mode, capture = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    if mode not in ("inject", "late", "stall", "454", "tls", "tls8"):
        sys.exit("evilpeer: unknown mode " + mode)
    global TLS_CERT, TLS_KEY
    if len(sys.argv) > 6:
        TLS_CERT, TLS_KEY = sys.argv[5], sys.argv[6]
    lock = threading.Lock()
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(16)
    open(capture, "ab").close()
    if len(sys.argv) > 4 and sys.argv[4]:
        with open(sys.argv[4], "w") as f:
            f.write("%d\n" % os.getpid())
    while True:
        conn, _ = ls.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def run(c=conn):
            try:
                serve(c, mode, capture, lock)
            finally:
                c.close()

        threading.Thread(target=run, daemon=True).start()


if __name__ == "__main__":
    main()
