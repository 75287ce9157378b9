#!/usr/bin/env python3
"""oracle.py - checks DESIGN.md 3a for every message of a chaos run.

usage: oracle.py --seed N --fleet FLEET.log --milter MILTER.log
                 --maillog MAILLOG --sink DIR --queue POSTQUEUE-J
                 --sent SEND.log --hosts ADDR:PORT,... --connect S
                 --retry-max S [--bypass 1] [--slack S]
                 [--budget-messages N]

Ground truth is what fleet.py logged (every connection, reply, stall and
transaction, and the schedule of host modes) and what send.py sent; the
claims checked are the milter's decision lines (time-stamped by the
test: "EPOCH milter[pid]: QID: verdict=... mid=M dlp_time=..."), the
Postfix maillog, the Internet sink's dumps and postqueue -j.

For every decision (t1 = its stamp, t0 = t1 - delay):
  bypass     bypass enabled, and every configured host either
             unreachable (refused or SYN-dropped at some moment in
             [t0 - (retry_max + connect + slack), t1]) or, for at most one
             host, a session timeout: a fresh connection of the window
             that stalled (or trickled) before content, carrying no
             sender or this message's.  The host outcomes the milter
             logged must match that truth; a transaction of this message
             that got a 4xx/5xx or reached the content refutes a bypass.
  delivered  the fleet sent exactly "250 " to this message's final dot
             (the dlp_queue_id, when logged, names that reply)
  reject     the reply quotes a 5xx the fleet sent to MAIL, RCPT, DATA or
             the dot of this message's transaction (never greeting/EHLO);
             the same for each "rcpt=<R> verdict=reject" line
  tempfail   reason=never-bypass:header only for a message that carries
             the never-bypass header (send.py's "never"), and no other
             never-bypass kind (chaos.sh sets only a header rule);
             reason=budget-spent only when at least N (--budget-messages)
             bypass decisions were logged since the last delivered or
             reject decision (the refills) before t1 - BUDGET_SKEW, and
             never when the budget is off (N = 0)
  bypass     (policy) never for a message with the never-bypass header;
             with N > 0, fewer than N + BUDGET_SLACK bypasses since the
             last refill (the slack: messages counted in flight while a
             refill was logged)
For every message the public smtpd took: it ends exactly once (DLP 250
with a delivered decision, an Internet copy, a queue entry, a bounce);
an Internet copy has a bypass decision and exactly one bypass header; a
bounce quotes a DLP 5xx of its transaction; the DLP never saw a forged
X-DLP-Bypass header (DESIGN 4 header hygiene: --note
dlp-saw-forged-header reports it without failing).
Prints each violation (kind, message, evidence) and a summary line;
exit 1 when there is any violation.
"""
import argparse
import collections
import glob
import json
import re
import sys

TOKEN = re.compile(r"chaos-(h\d+)-c(\d+)-t(\d+)-(\w+)")
QTOKEN = re.compile(r"Qchaos(h\d+)c(\d+)t(\d+)(\w+)")
DECISION = re.compile(
    r"^(\d+\.\d+) \S+ (\S+): verdict=(\w+) reason=(\S+) dlp=(\S+) "
    r"delay=([\d.]+) from=<([^>]*)> nrcpt=(\d+)(.*) mid=(\d+) dlp_time=")
RCPTLINE = re.compile(
    r"^(\d+\.\d+) \S+ (\S+): rcpt=<([^>]*)> verdict=(\w+) dlp=(\S+) "
    r"reply=\"(.*)\" mid=(\d+)")
TXN_STEPS = ("mail", "rcpt", "data", "dot")
BUDGET_SKEW = 0.5  # s: a refill logged this close to a decision may follow it
BUDGET_SLACK = 8   # bypasses counted in flight across a refill


class Truth:
    """truth - the fleet log, indexed"""

    def __init__(self, path, hosts):
        self.modes = collections.defaultdict(list)  # host -> [(t, mode)]
        self.conns, self.txns, self.replies = {}, [], []
        self.by_cid_txn = collections.defaultdict(list)
        self.by_from = collections.defaultdict(list)
        self.skips, self.end = [], None
        self.addr = {}  # (addr, port) -> host name
        for line in open(path):
            e = json.loads(line)
            ev = e["ev"]
            if ev == "start":
                for name, a, p in e["hosts"]:
                    self.addr[(a, int(p))] = name
            elif ev == "mode":
                self.modes[e["host"]].append((e["t"], e["mode"]))
            elif ev == "conn":
                self.conns[e["cid"]] = dict(e, close=None)
            elif ev == "close":
                self.conns[e["cid"]]["close"] = e
            elif ev == "reply":
                self.replies.append(e)
                self.by_cid_txn[(e["cid"], e["txn"])].append(e)
            elif ev == "txn":
                self.txns.append(e)
                self.by_from[e["from"]].append(e)
            elif ev == "skip":
                self.skips.append(e)
            elif ev == "end":
                self.end = e["t"]
        self.tokens = {}
        for r in self.replies:
            for m in TOKEN.finditer(r["text"]):
                self.tokens[m.group(0)] = r
            for m in QTOKEN.finditer(r["text"]):
                self.tokens[m.group(0)] = r

    def unreachable_in(self, host, a, b):
        """unreachable_in - HOST refused or dropped SYNs at some time in [a,b]"""
        ms = self.modes.get(host, [])
        for i, (t, mode) in enumerate(ms):
            until = ms[i + 1][0] if i + 1 < len(ms) else float("inf")
            if mode != "up" and t <= b and until >= a:
                return True
        return False

    def up_spans(self, host, a, b):
        """up_spans - text: the modes of HOST over [a, b] (evidence)"""
        out, ms = [], self.modes.get(host, [])
        for i, (t, mode) in enumerate(ms):
            until = ms[i + 1][0] if i + 1 < len(ms) else float("inf")
            if t <= b and until >= a:
                out.append("%s %.2f-%s" % (mode, t, "end" if until == float("inf")
                                           else "%.2f" % until))
        return "; ".join(out)

    def codes(self, t):
        """codes - reply codes the fleet sent in transaction record T"""
        return [r["code"] for r in self.by_cid_txn[(t["cid"], t["txn"])]
                if r["step"] in TXN_STEPS]


class Oracle:
    """oracle - the checks and the violations"""

    def __init__(self, args):
        self.a = args
        self.hosts = args.hosts.split(",")
        self.truth = Truth(args.fleet, self.hosts)
        self.violations = []
        self.kinds = collections.Counter()
        self.notes = collections.Counter()

    def bad(self, kind, msg, summary, evidence=()):
        """bad - record one violation (a note only, for a kind in --note)"""
        if kind in self.a.note.split(","):
            self.notes[kind] += 1
            if self.notes[kind] <= 3:
                print("NOTE %s: %s: %s" % (kind, msg, summary))
                for e in evidence:
                    print("    " + e[:600])
            return
        self.violations.append((kind, msg, summary, list(evidence)))
        self.kinds[kind] += 1

    # ---- inputs ---------------------------------------------------------

    def load(self):
        """load - the sender's log, milter decisions, maillog, sink, queue"""
        a = self.a
        self.sent = {}
        for line in open(a.sent):
            e = json.loads(line)
            if e["ok"]:
                self.sent[e["from"]] = e
        self.nattempted = sum(1 for _ in open(a.sent))
        self.decisions, self.rcptlines = [], []
        for line in open(a.milter, errors="replace"):
            m = DECISION.match(line)
            if m:
                t1, qid, v, why, dlp, delay, frm, nrcpt, extra, mid = m.groups()
                q = re.search(r"dlp_queue_id=(\S+)", extra)
                rp = re.search(r'reply="(.*)"', extra)
                self.decisions.append(dict(
                    t1=float(t1), qid=qid, verdict=v, reason=why, dlp=dlp,
                    delay=float(delay), frm=frm, qidlp=q.group(1) if q else None,
                    reply=rp.group(1) if rp else "", line=line.strip()))
                continue
            m = RCPTLINE.match(line)
            if m:
                self.rcptlines.append(dict(t1=float(m.group(1)), verdict=m.group(4),
                                           reply=m.group(6), line=line.strip()))
        self.qid_from, self.bounces = {}, collections.defaultdict(list)
        maillog = open(a.maillog, errors="replace").read().splitlines()
        for line in maillog:
            m = re.search(r" ([0-9A-F]{6,}): from=<([^>]*)>", line)
            if m:
                self.qid_from[m.group(1)] = m.group(2)
        for line in maillog:
            m = re.search(r" ([0-9A-F]{6,}): to=<.*status=bounced", line)
            if m and m.group(1) in self.qid_from:
                self.bounces[self.qid_from[m.group(1)]].append(line)
        self.copies = collections.defaultdict(list)
        for f in glob.glob(a.sink + "/*"):
            hdr = open(f, "rb").read().split(b"\n\n", 1)[0].decode("latin-1")
            hdr = hdr.replace("\r", "")
            mid = re.search(r"(?im)^message-id:\s*(\S+)", hdr)
            nby = len(re.findall(r"(?im)^x-dlp-bypass:", hdr))
            self.copies[mid.group(1) if mid else "?"].append((f, nby))
        self.queued = collections.Counter()
        for line in open(a.queue):
            if line.strip():
                self.queued[json.loads(line).get("sender", "")] += 1

    # ---- per decision -----------------------------------------------------

    def host_of(self, label):
        """host_of - fleet host name of a dlp= label h[a]:p or a:p"""
        m = re.search(r"\[([^\]]+)\]:(\d+)$", label) or re.search(r"^(.*):(\d+)$", label)
        return self.truth.addr.get((m.group(1), int(m.group(2))), label) if m else label

    def fresh_timeout(self, t):
        """fresh_timeout - txn T: first of its connection, no reply >= 400,
        no content, ended by the peer leaving while the fleet stalled or
        trickled (a session timeout as the client sees it)"""
        c = self.truth.conns.get(t["cid"], {})
        why = (c.get("close") or {}).get("why", "")
        return (t["fresh"] and t.get("data_t") is None and not why.startswith("fault")
                and t["ended"].startswith("closed:")
                and not any(x >= 400 for x in self.truth.codes(t)))

    def conn_timeout(self, c):
        """conn_timeout - connection C stalled or trickled before MAIL"""
        cl = c.get("close") or {}
        if cl.get("why", "").startswith("fault") or cl.get("why") == "quit":
            return False
        if any(r["cid"] == c["cid"] and r["code"] >= 400 for r in
               self.truth.by_cid_txn[(c["cid"], -1)]):
            return False
        return (cl.get("stalled") in ("greeting", "ehlo")
                or c["behav"]["kind"] == "trickle") and cl.get("ntxn", 0) == 0

    def check_bypass(self, d):
        """check_bypass - DESIGN 3a.2 for bypass decision D"""
        tr, a = self.truth, self.a
        t1, t0 = d["t1"], d["t1"] - d["delay"]
        R = a.retry_max + a.connect + a.slack
        claims = {}
        for item in d["dlp"].split(","):
            if "/" in item:
                label, out = item.rsplit("/", 1)
                claims.setdefault(self.host_of(label), []).append(out)
        if not a.bypass:
            self.bad("bypass-disabled", d["frm"], "bypass while bypass is off", [d["line"]])
        ntimeout = 0
        for h in sorted(set(tr.addr.values())):
            unreach = tr.unreachable_in(h, t0 - R, t1)
            mine = [t for t in tr.by_from.get(d["frm"], []) if t["host"] == h
                    and t0 - a.slack <= t["t_mail"] <= t1]
            stall_ev, answered = [], False
            for t in mine:
                codes = tr.codes(t)
                if t.get("data_t") is not None or any(x >= 400 for x in codes):
                    self.bad("bypass-host-answered", d["frm"],
                             "%s took part in this message's transaction (codes %s%s), yet bypass"
                             % (h, codes, ", content sent" if t.get("data_t") else ""),
                             [d["line"], json.dumps(t)])
                    answered = True
                elif self.fresh_timeout(t):
                    stall_ev.append(t)
            stall_ev += [c for c in tr.conns.values() if c["host"] == h
                         and t0 - a.slack <= c["t"] <= t1 and self.conn_timeout(c)]
            outs = claims.get(h, [])
            final = [o for o in outs if o != "internal"]
            out = final[-1] if final else None
            ev = [d["line"], "%s modes: %s" % (h, tr.up_spans(h, t0 - R, t1))]
            if answered:
                pass
            elif out == "unreachable" and not unreach:
                self.bad("bypass-host-reachable", d["frm"],
                         "%s logged unreachable, but it accepted connections throughout "
                         "[%.2f, %.2f]" % (h, t0 - R, t1), ev)
            elif out == "session_timeout" and not stall_ev and not unreach:
                self.bad("bypass-host-reachable", d["frm"],
                         "%s logged session_timeout, but it accepted connections "
                         "throughout [%.2f, %.2f] and no fresh connection of the "
                         "window stalled before content (a reused connection that "
                         "went silent is INTERNAL)" % (h, t0 - R, t1),
                         ev + [json.dumps(t) for t in mine])
            elif out == "session_timeout" and not stall_ev:
                self.bad("bypass-cached-timeout", d["frm"],
                         "%s logged session_timeout from a reused connection that "
                         "went silent (INTERNAL: a fresh connection must decide; "
                         "the host was in fact down, so the verdict held by luck)" % h,
                         ev + [json.dumps(t) for t in mine])
            elif out is None and not (unreach or stall_ev):
                self.bad("bypass-host-missing", d["frm"],
                         "%s not accounted for in dlp= and reachable" % h, ev)
            elif out not in (None, "unreachable", "session_timeout"):
                self.bad("bypass-bad-outcome", d["frm"],
                         "bypass with %s outcome %s" % (h, out), ev)
            if out == "session_timeout" or (out is None and not unreach):
                ntimeout += 1
        if ntimeout > 1:
            self.bad("bypass-two-timeouts", d["frm"],
                     "%d hosts timed out: row 4 is TEMPFAIL" % ntimeout, [d["line"]])

    # ---- the bypass policy (never-bypass rule, budget) -------------------

    def bypasses_since_refill(self, t1, skew):
        """bypasses_since_refill - bypass decisions logged after the last
        refill (delivered or reject decision) before T1 - SKEW, up to T1"""
        last = max([r for r in self.refills if r < t1 - skew], default=0.0)
        return sum(1 for b in self.bypass_times if last < b < t1)

    def check_policy(self, d):
        """check_policy - a tempfail that names a policy was due to it"""
        e = self.sent.get(d["frm"], {})
        if d["reason"].startswith("never-bypass:"):
            if d["reason"] != "never-bypass:header" or not e.get("never"):
                self.bad("never-bypass-not-matching", d["frm"],
                         "%s for a message without the never-bypass header"
                         % d["reason"], [d["line"]])
        elif d["reason"] == "budget-spent":
            n = self.bypasses_since_refill(d["t1"], BUDGET_SKEW)
            if self.a.budget_messages <= 0 or n < self.a.budget_messages:
                self.bad("budget-spent-early", d["frm"],
                         "budget-spent after %d bypasses since a DLP last took "
                         "a message (max_messages %d)" % (n, self.a.budget_messages),
                         [d["line"]])

    def check_bypass_policy(self, d):
        """check_bypass_policy - a bypass the policy should have refused"""
        if self.sent.get(d["frm"], {}).get("never"):
            self.bad("bypass-never-rule", d["frm"], "bypassed a message that "
                     "matches the never-bypass header rule", [d["line"]])
        n = self.bypasses_since_refill(d["t1"], 0.0)
        if self.a.budget_messages > 0 and n >= self.a.budget_messages + BUDGET_SLACK:
            self.bad("bypass-over-budget", d["frm"], "bypass number %d since a "
                     "DLP last took a message (max_messages %d)"
                     % (n + 1, self.a.budget_messages), [d["line"]])

    def check_delivered(self, d):
        """check_delivered - DESIGN 3a.3 for delivered decision D"""
        tr, s = self.truth, self.a.slack
        t0 = d["t1"] - d["delay"]
        if d["qidlp"]:
            r = tr.tokens.get(d["qidlp"])
            if r is None:
                self.bad("delivered-unknown-id", d["frm"],
                         "dlp_queue_id %s was never sent by the fleet" % d["qidlp"], [d["line"]])
            elif not (r["step"] == "dot" and r["text"].startswith("250 ")
                      and r["from"] == d["frm"]):
                self.bad("delivered-without-250", d["frm"],
                         "DISCARD on a dot reply that is not 250 for this message",
                         [d["line"], json.dumps(r)])
            return
        ok = [t for t in tr.by_from.get(d["frm"], []) if t["dot250"]
              and t0 - s <= t["t"] <= d["t1"] + s]
        if not ok:
            self.bad("delivered-without-250", d["frm"],
                     "DISCARD without a 250 to this message's dot",
                     [d["line"]] + [json.dumps(t) for t in tr.by_from.get(d["frm"], [])])

    def check_reject(self, frm, reply, line):
        """check_reject - DESIGN 3a.4: REPLY quotes a 5xx of FRM's transaction"""
        m = TOKEN.search(reply)
        r = self.truth.tokens.get(m.group(0)) if m else None
        if r is None:
            self.bad("reject-unknown-reply", frm, "reject with a reply the fleet never sent",
                     [line])
        elif r["code"] < 500 or r["step"] not in TXN_STEPS:
            self.bad("reject-outside-transaction", frm or r.get("from"),
                     "reject on a %d to %s (not MAIL/RCPT/DATA/dot 5xx)"
                     % (r["code"], r["step"]), [line, json.dumps(r)])
        elif frm is not None and r["from"] != frm:
            self.bad("reject-other-message", frm, "reject quotes another message's reply",
                     [line, json.dumps(r)])

    # ---- per message ------------------------------------------------------

    def check_messages(self):
        """check_messages - DESIGN 3a.1 and 3a.5 for every message sent"""
        dec = collections.defaultdict(list)
        for d in self.decisions:
            dec[d["frm"]].append(d)
        for frm, e in sorted(self.sent.items()):
            ds = dec.get(frm, [])
            ndel = sum(1 for d in ds if d["verdict"] == "delivered")
            nby = sum(1 for d in ds if d["verdict"] == "bypass")
            copies = self.copies.get(e["mid"], [])
            nq, nb = self.queued.get(frm, 0), len(self.bounces.get(frm, []))
            n = ndel + len(copies) + nq + nb
            ev = [d["line"] for d in ds] + ["copies %s queued %d" % (
                [c[0].rsplit("/", 1)[-1] for c in copies], nq)] + self.bounces.get(frm, [])
            if n == 0:
                self.bad("end-lost", frm, "message ended nowhere", ev)
            elif n > 1:
                self.bad("end-duplicate", frm, "message ended %d times (%d DLP, %d "
                         "Internet, %d queued, %d bounced)" % (n, ndel, len(copies), nq, nb), ev)
            if len(copies) > nby:
                self.bad("internet-without-bypass", frm,
                         "%d Internet copies, %d bypass decisions" % (len(copies), nby), ev)
            for f, nh in copies:
                if nh != 1:
                    self.bad("bypass-header-count", frm, "%s has %d bypass headers" % (f, nh))
            for bl in self.bounces.get(frm, []):
                m = TOKEN.search(bl)
                r = self.truth.tokens.get(m.group(0)) if m else None
                if r is None or r["code"] < 500 or r["step"] not in TXN_STEPS:
                    self.bad("bounce-without-dlp-5xx", frm,
                             "bounced without a DLP 5xx of its transaction",
                             [bl] + ([json.dumps(r)] if r else []))
        for t in self.truth.txns:
            if t.get("bypass_hdr"):
                self.bad("dlp-saw-forged-header", t["from"],
                         "the DLP received an X-DLP-Bypass header", [json.dumps(t)])

    def run(self):
        """run - every check; print the violations and the summary"""
        self.load()
        self.refills = [d["t1"] for d in self.decisions
                        if d["verdict"] in ("delivered", "reject")]
        self.bypass_times = [d["t1"] for d in self.decisions
                             if d["verdict"] == "bypass"]
        for d in self.decisions:
            if d["frm"] not in self.sent:
                self.bad("decision-unknown-sender", d["frm"], "decision for a message "
                         "that was never sent", [d["line"]])
            if d["verdict"] == "bypass":
                self.check_bypass(d)
                self.check_bypass_policy(d)
            elif d["verdict"] == "tempfail":
                self.check_policy(d)
            elif d["verdict"] == "delivered":
                self.check_delivered(d)
            elif d["verdict"] == "reject":
                self.check_reject(d["frm"], d["reply"], d["line"])
        for r in self.rcptlines:
            if r["verdict"] == "reject":
                self.check_reject(None, r["reply"], r["line"])
        self.check_messages()
        for kind, msg, summary, ev in self.violations:
            print("VIOLATION %s: %s: %s" % (kind, msg, summary))
            for e in ev:
                print("    " + e[:600])
        verdicts = collections.Counter(d["verdict"] for d in self.decisions)
        for s in self.truth.skips:
            print("oracle: fleet skipped %s: %s" % (s["what"], s["why"]))
        print("chaos: seed %d: messages %d (taken %d), decisions %d (%s), "
              "violations %d%s" % (
                  self.a.seed, self.nattempted, len(self.sent), len(self.decisions),
                  " ".join("%s=%d" % kv for kv in sorted(verdicts.items())),
                  len(self.violations),
                  (" (" + " ".join("%s=%d" % kv for kv in sorted(self.kinds.items())) + ")")
                  if self.violations else ""))
        policy = collections.Counter(d["reason"] for d in self.decisions
                                     if d["verdict"] == "tempfail" and
                                     (d["reason"] == "budget-spent" or
                                      d["reason"].startswith("never-bypass:")))
        print("oracle: policy tempfails: %s; messages with the never-bypass "
              "header: %d" % (" ".join("%s=%d" % kv for kv in sorted(policy.items()))
                              or "none",
                              sum(1 for e in self.sent.values() if e.get("never"))))
        if self.notes:
            print("chaos: notes (not 3a, not counted): " + " ".join(
                "%s=%d" % kv for kv in sorted(self.notes.items())))
        return 1 if self.violations else 0


def main():
    """main - parse the options, run the oracle"""
    p = argparse.ArgumentParser()
    for o in ("fleet", "milter", "maillog", "sink", "queue", "sent", "hosts"):
        p.add_argument("--" + o, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--connect", type=float, required=True)
    p.add_argument("--retry-max", type=float, required=True)
    p.add_argument("--bypass", type=int, default=1)
    p.add_argument("--slack", type=float, default=1.0)
    p.add_argument("--budget-messages", type=int, default=0)
    p.add_argument("--note", default="", help="violation kinds only noted")
    sys.exit(Oracle(p.parse_args()).run())


if __name__ == "__main__":
    main()
