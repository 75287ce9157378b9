#!/usr/bin/env python3
"""send.py - the message source of t/chaos/chaos.sh.

usage: send.py --port P --count N --secs S --seed N --log FILE
               [--workers W] [--first K]

W concurrent SMTP sessions (smtplib, default 5) into 127.0.0.1:P send N
messages in about S seconds, each with a unique envelope sender
mNNNNNN@chaos.test (NNNNNN from K) and a unique Message-ID
<mNNNNNN.SEED@chaos.test>, to rcpt@example.com.  Drawn from the seed:
about 1 in 6 is large (300-900 KB, so that a DLP that stops reading
blocks the writer), 1 in 8 brings a forged "X-DLP-Bypass: unreachable"
header (and an X-CFilter-Loop), some carry leading dots and long lines.
Every message whose number is 5 modulo 11 (not drawn: the draws of a
seed stay as they were) carries "Sensitivity: Company-Confidential", a
never-bypass rule of chaos.sh's configuration ("never": true in the log).
Each worker keeps its connection for a few messages, then opens a new one.
Log: JSON lines {"from", "mid", "t", "ok", "reply", "size", "forged",
"never"}.
"""
import argparse
import json
import random
import smtplib
import threading
import time


def body(rng, n, seed):
    """body - the message number N: headers and body, CRLF line ends"""
    tag = "m%06d" % n
    mid = "<%s.%d@chaos.test>" % (tag, seed)
    forged = rng.random() < 0.125
    hdr = ["From: Chaos <%s@chaos.test>" % tag, "To: <rcpt@example.com>",
           "Subject: chaos %s" % tag, "Message-ID: %s" % mid,
           "Date: Mon, 30 Nov 2026 00:00:00 +0000"]
    if forged:
        hdr += ["X-DLP-Bypass: unreachable", "X-CFilter-Loop: dlp"]
    never = n % 11 == 5
    if never:
        hdr += ["Sensitivity: Company-Confidential"]
    lines = ["Message %s of the chaos test (seed %d)." % (tag, seed),
             ".a line with a leading dot", "", "x" * rng.randint(1, 990)]
    if rng.random() < 1 / 6:
        size = rng.randint(300000, 900000)
        lines += ["%08d " % i + "y" * 70 for i in range(size // 80)]
    text = "\r\n".join(hdr + [""] + lines) + "\r\n"
    return tag, mid, forged, never, text


def worker(args, jobs, lock, log, wid):
    """worker - send the messages of JOBS, a few per connection"""
    rng = random.Random(args.seed * 100 + wid)
    conn, left = None, 0
    gap = args.secs * args.workers / max(args.count, 1)
    while True:
        with lock:
            if not jobs:
                break
            n, text_rng = jobs.pop(0)
        tag, mid, forged, never, text = body(text_rng, n, args.seed)
        frm = tag + "@chaos.test"
        ok, reply = False, ""
        try:
            if conn is None or left <= 0:
                if conn is not None:
                    conn.quit()
                conn = smtplib.SMTP("127.0.0.1", args.port, timeout=60)
                conn.ehlo("sender.chaos.test")
                left = rng.randint(1, 6)
            conn.sendmail(frm, ["rcpt@example.com"], text.encode("latin-1"))
            ok, reply = True, "250"
            left -= 1
        except (smtplib.SMTPException, OSError) as e:
            reply = str(e)[:200]
            conn = None
        with lock:
            log.write(json.dumps({"from": frm, "mid": mid, "t": time.time(),
                                  "ok": ok, "reply": reply, "size": len(text),
                                  "forged": forged, "never": never}) + "\n")
            log.flush()
        time.sleep(rng.uniform(0, 2 * gap))
    if conn is not None:
        try:
            conn.quit()
        except (smtplib.SMTPException, OSError):
            pass


def main():
    """main - start the workers, wait for them"""
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--secs", type=float, default=60)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--workers", type=int, default=5)
    p.add_argument("--first", type=int, default=1)
    args = p.parse_args()
    rng = random.Random(args.seed)
    jobs = [(args.first + i, random.Random(rng.random()))
            for i in range(args.count)]
    lock = threading.Lock()
    with open(args.log, "a") as log:
        ts = [threading.Thread(target=worker, args=(args, jobs, lock, log, w))
              for w in range(args.workers)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()


if __name__ == "__main__":
    main()
