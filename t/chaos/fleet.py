#!/usr/bin/env python3
"""fleet.py - a fleet of misbehaving DLP hosts for t/chaos/chaos.sh.

usage: fleet.py --seed N --log FILE [--epoch A:B] [--syndrop auto|off]
                ADDR:PORT...

Serves one SMTP "DLP host" per ADDR:PORT (python asyncio, stdlib only).
Run it inside a network namespace of the test: SYN drops are iptables
rules on the namespace's INPUT chain.  Everything it does is drawn from
one random.Random(seed), so a seed names a run (timing still varies).

Host modes change by epochs (A..B seconds, default 2..6).  Each epoch
picks how many hosts are out (0-3, weighted towards 2 so that "one host
left" is common) and for each host one of:
  up       accepting; each connection draws a behaviour from the mix
  refused  the listener is closed (connect refused)
  syndrop  iptables drops SYNs to ADDR:PORT (connect times out); falls
           back to refused, with a "skip" log line, where iptables fails
and, for an up host, a mix: "normal", or "nasty" (the faults that break
bypass decisions drawn more often; always when it is the only host up).
Per connection (and per further transaction on a reused connection):
  healthy      250 to everything, "250 2.0.0 Ok: queued as Q..." to the dot
  code@STEP    a 4xx or 5xx at greeting, ehlo, mail, rcpt, data or dot
  stall@STEP   no reply at STEP (content: stops reading the data)
  close@STEP   hangs up at STEP
  trickle      every reply one byte at a time, 20-150 ms a byte
  weird2xx     the dot gets 251/252/220/299 instead of 250
  silent:K     K transactions answered, then silence on this connection
               while new connections work (an L4 balancer's dead node)
  stallbig     stops reading the content after 64 KB (a small message
               goes through): the sender's writes block
Every 4xx/5xx text and every queue id carries a token
"chaos-hH-cC-tT-STEP" (host, connection, transaction, step) so that a
reply quoted by the milter or Postfix can be tied to this log.

SIGUSR1 heals the fleet: every host up and healthy from then on.
SIGTERM removes the iptables rules and exits.

Log (JSON lines, "t" = time.time()): ev = "mode" (host, mode, mix),
"skip" (what, why), "conn" (host, cid, behaviour), "cmd" (cid, line),
"reply" (cid, host, txn, step, from, code, text, t0 = first byte),
"txn" (cid, host, txn, from, mid, bytes, bypass_hdr, dot_reply,
dot250, ended, fresh = first transaction of the connection), "close"
(cid, host, why, stalled = step or null, ntxn).
"""
import argparse
import asyncio
import json
import random
import signal
import socket
import subprocess
import sys
import time

STEPS_CODE = ["greeting", "ehlo", "mail", "rcpt", "data", "dot"]
STEPS_ALL = ["greeting", "ehlo", "mail", "rcpt", "data", "content", "dot"]
TXN_STEPS = ("mail", "rcpt", "data", "content", "dot")
STALL_MAX = 60.0  # a stalled connection is closed by us after this long
MIXES = {
    "normal": [("healthy", 40), ("code", 18), ("stall", 8), ("close", 7),
               ("trickle", 5), ("weird2xx", 5), ("silent", 12),
               ("stallbig", 8)],
    "nasty": [("healthy", 10), ("silent", 26), ("code", 15), ("stall", 18),
              ("weird2xx", 10), ("close", 5), ("trickle", 5),
              ("stallbig", 12)],
    "healthy": [("healthy", 1)],
}


class Log:
    """log - JSON lines, flushed at once"""

    def __init__(self, path):
        self.f = open(path, "a", buffering=1)

    def write(self, ev, **kw):
        """write - one event"""
        kw["ev"] = ev
        kw.setdefault("t", time.time())
        self.f.write(json.dumps(kw, sort_keys=True) + "\n")


class Host:
    """host - one DLP host: its address, listener and mode"""

    def __init__(self, idx, addr, port):
        self.idx, self.addr, self.port = idx, addr, port
        self.name = "h%d" % idx
        self.server = None
        self.mode = "refused"
        self.mix = "normal"
        self.dropping = False


class Conn:
    """conn - one accepted connection and its state"""

    def __init__(self, cid, host, behav):
        self.cid, self.host, self.b = cid, host, behav
        self.txn = -1  # index of the transaction under way
        self.done = 0  # transactions answered at the dot
        self.frm = None
        self.cur = None  # the transaction record being built
        self.fault = behav if behav.get("step") in TXN_STEPS else None
        if behav.get("step") in ("greeting", "ehlo"):
            self.cfault = behav
        else:
            self.cfault = None
        self.stalled = None
        self.last = ""
        self.mail_ok, self.nrcpt_ok = False, 0


class Fleet:
    """fleet - the hosts, the epoch schedule and the SMTP sessions"""

    def __init__(self, args):
        self.rng = random.Random(args.seed)
        self.log = Log(args.log)
        self.hosts = []
        for i, spec in enumerate(args.hosts):
            addr, port = spec.rsplit(":", 1)
            self.hosts.append(Host(i + 1, addr, int(port)))
        self.epoch = [float(x) for x in args.epoch.split(":")]
        self.syndrop = args.syndrop != "off"
        self.healed = False
        self.ncid = 0
        self.sched = None

    # ---- listeners, SYN drops, modes --------------------------------

    async def listen(self, h):
        """listen - open host H's listener (small receive buffer)"""
        if h.server is not None:
            return
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.bind((h.addr, h.port))
        s.listen(1024)
        s.setblocking(False)
        h.server = await asyncio.start_server(
            lambda r, w, h=h: self.session(h, r, w), sock=s, limit=1 << 20)

    def unlisten(self, h):
        """unlisten - close host H's listener (open connections stay)"""
        if h.server is not None:
            h.server.close()
            h.server = None

    def iptables(self, h, on):
        """iptables - add (ON) or remove the SYN DROP rule of host H"""
        if h.dropping == on:
            return True
        rule = ["INPUT", "-p", "tcp", "-d", h.addr, "--dport", str(h.port),
                "--syn", "-j", "DROP"]
        r = subprocess.run(["iptables", "-I" if on else "-D"] + rule,
                           capture_output=True, text=True)
        if r.returncode != 0:
            if on:
                self.syndrop = False
                self.log.write("skip", what="syndrop",
                               why="iptables: " + r.stderr.strip())
                print("fleet: SYN drop skipped, iptables refused: "
                      + r.stderr.strip(), file=sys.stderr)
            return False
        h.dropping = on
        return True

    async def set_mode(self, h, mode, mix):
        """set_mode - put host H in MODE (up, refused, syndrop) with MIX"""
        if mode == "syndrop" and not (self.syndrop and self.iptables(h, True)):
            mode = "refused"
        if mode != "syndrop":
            self.iptables(h, False)
        if mode == "refused":
            self.unlisten(h)
        else:
            await self.listen(h)
        h.mode, h.mix = mode, mix
        self.log.write("mode", host=h.name, addr=h.addr, port=h.port,
                       mode=mode, mix=mix)

    async def schedule(self):
        """schedule - the epochs: how many hosts are out, which, how"""
        n = len(self.hosts)
        while not self.healed:
            ndown = self.rng.choices(range(n + 1),
                                     weights=[20, 20, 35, 25][: n + 1])[0]
            down = set(self.rng.sample(range(n), ndown))
            for i, h in enumerate(self.hosts):
                if i in down:
                    mode = self.rng.choice(["refused", "syndrop"])
                    await self.set_mode(h, mode, h.mix)
                else:
                    nasty = ndown == n - 1 or self.rng.random() < 0.3
                    await self.set_mode(h, "up", "nasty" if nasty else "normal")
            await asyncio.sleep(self.rng.uniform(*self.epoch))

    async def heal(self):
        """heal - every host up and healthy, for good"""
        self.healed = True
        if self.sched is not None:
            self.sched.cancel()
        for h in self.hosts:
            await self.set_mode(h, "up", "healthy")
        self.log.write("healed")

    def stop(self):
        """stop - remove the iptables rules, log the end"""
        for h in self.hosts:
            self.iptables(h, False)
        self.log.write("end")

    # ---- behaviours ----------------------------------------------------

    def draw(self, h):
        """draw - a behaviour for a new connection to host H"""
        kinds, weights = zip(*MIXES[h.mix])
        kind = self.rng.choices(kinds, weights=weights)[0]
        b = {"kind": kind}
        if kind == "code":
            if h.mix == "nasty" and self.rng.random() < 0.5:
                b["step"], b["code"] = "ehlo", self.rng.choice([550, 554, 502])
            else:
                b["step"] = self.rng.choice(STEPS_CODE)
                four = self.rng.random() < 0.5
                if b["step"] == "greeting":
                    b["code"] = 421 if four else 554
                else:
                    b["code"] = self.rng.choice([451, 452] if four else [550, 554])
        elif kind in ("stall", "close"):
            if h.mix == "nasty" and kind == "stall" and self.rng.random() < 0.6:
                b["step"] = self.rng.choice(["greeting", "ehlo", "mail",
                                             "rcpt", "data"])
            else:
                b["step"] = self.rng.choice(STEPS_ALL)
        elif kind == "weird2xx":
            b["step"], b["code"] = "dot", self.rng.choice([251, 252, 220, 299])
        elif kind == "stallbig":
            b["step"] = "content"
        elif kind == "silent":
            b["k"] = self.rng.randint(1, 3)
        elif kind == "trickle":
            b["delay"] = round(self.rng.uniform(0.02, 0.15), 3)
        return b

    def draw_txn(self, c):
        """draw_txn - the fault for a further transaction on connection C"""
        b = self.draw(c.host)
        return b if b.get("step") in TXN_STEPS else None

    def token(self, c, step):
        """token - the tag of a reply: host, connection, transaction, step"""
        return "chaos-%s-c%d-t%d-%s" % (c.host.name, c.cid, max(c.txn, 0), step)

    # ---- the SMTP session ----------------------------------------------

    async def session(self, h, reader, writer):
        """session - one connection to host H"""
        self.ncid += 1
        c = Conn(self.ncid, h, self.draw(h))
        c.w = writer
        self.log.write("conn", host=h.name, cid=c.cid, behav=c.b, mix=h.mix)
        why = "peer"
        try:
            why = await self.serve(c, reader)
        except (ConnectionError, OSError, asyncio.IncompleteReadError,
                asyncio.LimitOverrunError, ValueError):
            why = "peer-error"
        finally:
            self.end_txn(c, "closed:" + why)
            self.log.write("close", host=h.name, cid=c.cid, why=why,
                           stalled=c.stalled, ntxn=c.done)
            try:
                writer.close()
            except Exception:
                pass

    async def send(self, c, step, text):
        """send - one reply (CRLF added per line), trickled if so drawn"""
        t0 = time.time()
        data = "".join(line + "\r\n" for line in text.split("\n")).encode()
        if c.b["kind"] == "trickle":
            for i in range(len(data)):
                c.w.write(data[i:i + 1])
                await c.w.drain()
                await asyncio.sleep(c.b["delay"])
        else:
            c.w.write(data)
            await c.w.drain()
        code = int(text[:3])
        c.last = text.split("\n")[-1]
        self.log.write("reply", cid=c.cid, host=c.host.name, txn=c.txn,
                       step=step, code=code, text=text.split("\n")[-1],
                       t0=t0, **{"from": c.frm if step in TXN_STEPS else None})

    async def stall(self, c, step, reader, read=True):
        """stall - no reply at STEP until the peer leaves (or STALL_MAX)"""
        c.stalled = step
        self.log.write("stall", cid=c.cid, host=c.host.name, txn=c.txn,
                       step=step, **{"from": c.frm})
        end = time.time() + STALL_MAX
        while time.time() < end:
            if not read:
                await asyncio.sleep(1)
                continue
            try:
                line = await asyncio.wait_for(reader.readline(), 1)
            except asyncio.TimeoutError:
                continue
            if not line:
                return "peer-left-stall"
            self.log.write("cmd", cid=c.cid, line=line.decode("latin-1")[:200].rstrip(),
                           ignored=True)
        return "stall-max"

    async def step(self, c, step, reader, ok):
        """step - reply OK at STEP unless a fault says otherwise.
        Returns None to go on, "refused" when a code was sent and the
        session goes on, or a reason when the session is over."""
        if c.b["kind"] == "silent" and c.done >= c.b["k"]:
            return await self.stall(c, step, reader)
        f = c.cfault if step in ("greeting", "ehlo") else c.fault
        if f is not None and f.get("step") == step:
            if f["kind"] == "stall":
                return await self.stall(c, step, reader, step != "content")
            if f["kind"] == "close":
                c.stalled = None
                return "fault-close@" + step
            if f["kind"] in ("code", "weird2xx"):
                code = f["code"]
                d = "%d.%s" % (code // 100, "0.0" if code < 400 else
                               "3.0" if code < 500 else "7.1")
                if f["kind"] == "weird2xx":
                    text = "%d %s Ok: queued as Q%s" % (code, d, self.token(c, step).replace("-", ""))
                else:
                    text = "%d %s chaos %s %s" % (code, d, step, self.token(c, step))
                await self.send(c, step, text)
                if code == 421 or (step == "greeting" and code >= 400):
                    return "fault-%d@%s" % (code, step)
                return "refused"
        await self.send(c, step, ok)
        return None

    async def serve(self, c, reader):
        """serve - the SMTP dialogue; returns why it ended"""
        h = c.host
        r = await self.step(c, "greeting", reader, "220 %s.chaos.test ESMTP chaos" % h.name)
        if r is not None and r != "refused":
            return r
        while True:
            line = await reader.readline()
            if not line:
                return "peer"
            cmd = line.decode("latin-1").rstrip("\r\n")
            self.log.write("cmd", cid=c.cid, line=cmd[:300])
            verb = cmd.split(" ", 1)[0].upper()
            r = None
            if verb in ("EHLO", "HELO"):
                r = await self.step(c, "ehlo", reader, "\n".join([
                    "250-%s.chaos.test" % h.name, "250-PIPELINING",
                    "250-8BITMIME", "250-SIZE 0", "250 ENHANCEDSTATUSCODES"]))
            elif verb == "MAIL":
                self.end_txn(c, "new-mail")
                self.begin_txn(c, cmd)
                r = await self.step(c, "mail", reader, "250 2.1.0 Ok")
                c.mail_ok = r is None
            elif verb == "RCPT" and not c.mail_ok:
                r = await self.step(c, "rcpt", reader, "503 5.5.1 Error: need MAIL command " + self.token(c, "rcpt"))
            elif verb == "RCPT":
                c.cur["rcpts"] += 1
                r = await self.step(c, "rcpt", reader, "250 2.1.5 Ok")
                c.nrcpt_ok += r is None
            elif verb == "DATA" and not c.nrcpt_ok:
                r = await self.step(c, "data", reader, "554 5.5.1 Error: no valid recipients " + self.token(c, "data"))
            elif verb == "DATA":
                r = await self.step(c, "data", reader, "354 End data with <CR><LF>.<CR><LF>")
                if r is None:
                    r = await self.content(c, reader)
            elif verb == "RSET":
                self.end_txn(c, "rset")
                r = await self.step(c, "rset", reader, "250 2.0.0 Ok")
            elif verb == "QUIT":
                r = await self.step(c, "quit", reader, "221 2.0.0 Bye")
                if r is None:
                    return "quit"
            elif verb == "NOOP":
                r = await self.step(c, "noop", reader, "250 2.0.0 Ok")
            else:
                r = await self.step(c, "other", reader, "502 5.5.2 Error: command not recognized")
            if r is not None and r != "refused":
                return r

    async def content(self, c, reader):
        """content - read the message up to the dot, then answer it"""
        f = c.fault
        cut = None
        big = f is not None and f["kind"] == "stallbig"
        if f is not None and f.get("step") == "content" and not big:
            cut = self.rng.randint(1, 40)  # lines read before the fault
        cur = c.cur if c.cur is not None else self.begin_txn(c, "MAIL FROM:<>")
        cur["data_t"] = time.time()
        inhdr, n = True, 0
        while True:
            if cut is not None and n >= cut:
                r = await self.step(c, "content", reader, "")
                return r or "fault@content"
            if big and cur["bytes"] >= 65536:
                return await self.stall(c, "content", reader, False)
            line = await reader.readline()
            if not line:
                return "peer-in-content"
            n += 1
            cur["bytes"] += len(line)
            if line in (b".\r\n", b".\n"):
                break
            if inhdr:
                s = line.decode("latin-1").rstrip("\r\n")
                if s == "":
                    inhdr = False
                elif s.lower().startswith("message-id:"):
                    cur["mid"] = s.split(":", 1)[1].strip()
                elif s.lower().startswith("x-dlp-bypass:"):
                    cur["bypass_hdr"] = True
        tok = self.token(c, "dot").replace("-", "")
        r = await self.step(c, "dot", reader, "250 2.0.0 Ok: queued as Q" + tok)
        if r is None or r == "refused":
            cur["dot_reply"] = c.last
            cur["dot250"] = c.last.startswith("250 ")
            c.done += 1
            self.end_txn(c, "dot")
        return r

    def begin_txn(self, c, cmd):
        """begin_txn - a new transaction record at MAIL"""
        c.txn += 1
        a = cmd[cmd.find("<") + 1: cmd.find(">")] if "<" in cmd else ""
        c.frm = a
        c.cur = {"from": a, "mid": None, "bytes": 0, "bypass_hdr": False,
                 "rcpts": 0, "t_mail": time.time(), "fresh": c.txn == 0,
                 "txn": c.txn, "dot_reply": None, "dot250": False}
        if c.txn > 0 and c.fault is None:
            c.fault = self.draw_txn(c)
        return c.cur

    def end_txn(self, c, ended):
        """end_txn - log the transaction record, if one is open"""
        if c.cur is None:
            return
        cur, c.cur = c.cur, None
        c.fault, c.mail_ok, c.nrcpt_ok = None, False, 0
        self.log.write("txn", cid=c.cid, host=c.host.name, ended=ended,
                       stalled=c.stalled, **cur)


async def main():
    """main - start the hosts and the schedule, heal on SIGUSR1"""
    p = argparse.ArgumentParser()
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--epoch", default="2:6")
    p.add_argument("--syndrop", default="auto")
    p.add_argument("hosts", nargs="+")
    args = p.parse_args()
    fleet = Fleet(args)
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    loop.add_signal_handler(signal.SIGUSR1,
                            lambda: asyncio.ensure_future(fleet.heal()))
    loop.add_signal_handler(signal.SIGTERM, done.set)
    loop.add_signal_handler(signal.SIGINT, done.set)
    fleet.log.write("start", seed=args.seed,
                    hosts=[[h.name, h.addr, h.port] for h in fleet.hosts])
    for h in fleet.hosts:
        await fleet.set_mode(h, "up", "normal")
    print("fleet: listening", flush=True)
    fleet.sched = asyncio.ensure_future(fleet.schedule())
    await done.wait()
    fleet.stop()


if __name__ == "__main__":
    asyncio.run(main())
