#!/usr/bin/env python3
"""fleetcheck.py - the checks and figures of t/fleet/fleet.sh (issue 15).

usage: fleetcheck.py --dir TL_DIR --gateways gw1,gw2
                     --hosts dlp1=ADDR,dlp2=ADDR,... --down dlp1
                     --balance POLICY --times T0,T1,T2,T3
                     --connect S --stagger S --retry-max S --slack S
                     [--reuse-check S] [--gap S]

T0 load started, T1 the down host died, T2 it came back, T3 load stopped
(epoch seconds).  Reads, in TL_DIR: pf.GW/maillog (the public smtpd's
"QID: client=" lines that qmgr then took, "QID: from=": the messages each
gateway accepted),
milter.GW.log (each line "EPOCH dlpbypass-milter[PID]: ...", the
decision lines and event=host-down / event=host-up), and the smtp-sink
dumps sink.HOST/ (every DLP host), sink.internet/ and sink.bounce/.

A message is named by the gateway and the queue id of its public smtpd,
from its Received header ("by GW.test (Postfix) with SMTP id QID"), which
the DLP copy keeps whatever happened later (a deferral and a retry keep
it too).  Checks, each printed as "FAIL: ..." (exit 1 when any fails):
  exactly once  every accepted message is in exactly one dump of all the
                sinks, once; none in the internet or bounce sink; every
                decision is "delivered" (no bypass, tempfail or reject)
  delay         every decision's delay= <= connect + stagger + slack
  cost          per gateway one host-down event for the down host, at
                most T1 + gap + reuse-check + connect + stagger + slack
                (a gateway learns when it next uses the host: gap, default
                1, is the pause of the load's sessions); every
                message that waited on the DLP hand-off (dlp_time= at
                least 0.9 x stagger: it dialled the down host, or
                reused a session to it) was decided before the event +
                connect + stagger + slack: after that the health state
                skips the host and its probes pay, no message does
  load moves    while down (from the event + slack to T2) the down host
                decides nothing; "ordered": the next host decides all,
                "round-robin": each other host at least a third (any
                other policy, e.g. least-loaded with ties by order: only
                that the others took it all)
  back          per gateway the down host decides a message again by
                T2 + retry-max + connect + slack (and a host-up event)
reuse-check (default 2) is the milter's bound on the RSET of a cached
session (CONN_RSET_MS in libdlpbypass/dlp_conn.c): a session cached to
a host that died costs the message using it that long, then it goes on.
Figures: decisions per second per gateway before [T0,T1), during
[T1,T2), after [T2,T3] (the mean, and the fewest in any one second of
the phase: the dip), and the share of each DLP host in each phase.
"""
import argparse
import glob
import os
import re
import sys

DECISION = re.compile(
    r"^(?P<t>[0-9.]+) \S+: (?P<qid>\S+): verdict=(?P<verdict>\S+) "
    r"reason=\S+ dlp=(?P<dlp>\S+) delay=(?P<delay>[0-9.]+) .*"
    r" dlp_time=(?P<dlp_time>[0-9.]+)")
EVENT = re.compile(r"^(?P<t>[0-9.]+) \S+: event=(?P<ev>\S+) host=(?P<host>\S+)")
CLIENT = re.compile(r"postfix/public/smtpd\[\d+\]: (?P<qid>[0-9A-Za-z]+): client=")
QUEUED = re.compile(r"postfix/qmgr\[\d+\]: (?P<qid>[0-9A-Za-z]+): from=")
RECEIVED = re.compile(r"by (?P<gw>[^ ]+)\.test \(Postfix\) with E?SMTP id "
                      r"(?P<qid>[0-9A-Za-z]+)")

failures = []


def fail(msg):
    """fail - record and print one failed check"""
    failures.append(msg)
    print("FAIL: " + msg)


def parse_args():
    """parse_args - the command line"""
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--gateways", required=True)
    p.add_argument("--hosts", required=True)
    p.add_argument("--down", required=True)
    p.add_argument("--balance", required=True)
    p.add_argument("--times", required=True)
    p.add_argument("--connect", type=float, required=True)
    p.add_argument("--stagger", type=float, required=True)
    p.add_argument("--retry-max", type=float, required=True)
    p.add_argument("--slack", type=float, required=True)
    p.add_argument("--reuse-check", type=float, default=2.0)
    p.add_argument("--gap", type=float, default=1.0)
    a = p.parse_args()
    a.gateways = a.gateways.split(",")
    a.hosts = dict(h.split("=", 1) for h in a.hosts.split(","))
    a.t0, a.t1, a.t2, a.t3 = (float(x) for x in a.times.split(","))
    return a


def host_of(a, label):
    """host_of - the DLP host name (dlpI) of a dlp= label ADDR[ADDR]:PORT"""
    addr = label.split("[", 1)[0]
    for name, ha in a.hosts.items():
        if ha == addr:
            return name
    return None


def read_milter(a, gw):
    """read_milter - the decisions (dicts) and events of gateway GW"""
    decisions, events = [], []
    with open(os.path.join(a.dir, "milter.%s.log" % gw), errors="replace") as f:
        for line in f:
            m = DECISION.match(line)
            if m:
                d = m.groupdict()
                d["t"] = float(d["t"])
                d["delay"] = float(d["delay"])
                d["dlp_time"] = float(d["dlp_time"])
                d["by"] = None
                for part in d["dlp"].split(","):
                    label, _, outcome = part.rpartition("/")
                    if outcome == "accepted":
                        d["by"] = host_of(a, label)
                decisions.append(d)
                continue
            m = EVENT.match(line)
            if m:
                events.append((float(m["t"]), m["ev"], m["host"]))
    return decisions, events


def accepted_ids(a, gw):
    """accepted_ids - queue ids of the messages GW's public smtpd queued"""
    ids, queued = set(), set()
    with open(os.path.join(a.dir, "pf.%s" % gw, "maillog"), errors="replace") as f:
        for line in f:
            m = CLIENT.search(line)
            if m:
                ids.add(m["qid"])
            m = QUEUED.search(line)
            if m:
                queued.add(m["qid"])
    # a session cut at the end of the load logged client= for a message
    # that never reached the queue: only those qmgr took count
    return ids & queued


def dump_keys(path):
    """dump_keys - (gateway, public queue id) of every message in a dump dir"""
    keys = []
    for f in sorted(glob.glob(os.path.join(path, "*"))):
        if os.path.getsize(f) == 0:
            continue  # the transaction never reached the end of data
        with open(f, errors="replace") as fh:
            head = fh.read(8192).split("\n\n", 1)[0]
        found = RECEIVED.findall(head.replace("\n\t", " ").replace("\n ", " "))
        keys.append(found[-1] if found else ("?", os.path.basename(f)))
    return keys


def check_once(a, decisions):
    """check_once - every accepted message at exactly one DLP, once"""
    want = {(gw, q) for gw in a.gateways for q in accepted_ids(a, gw)}
    seen = {}
    for where in list(a.hosts) + ["internet", "bounce"]:
        for k in dump_keys(os.path.join(a.dir, "sink." + where)):
            seen.setdefault(k, []).append(where)
    dup = {k: v for k, v in seen.items() if len(v) > 1}
    lost = want - set(seen)
    extra = set(seen) - want
    out = {k: v for k, v in seen.items() if "internet" in v or "bounce" in v}
    print("messages: %d accepted by the gateways, %d distinct at the sinks, "
          "%d duplicated, %d lost, %d unknown, %d bypassed or bounced"
          % (len(want), len(seen), len(dup), len(lost), len(extra), len(out)))
    if not want:
        fail("no message was accepted by the gateways")
    if dup:
        fail("delivered more than once: %s" % sorted(dup.items())[:5])
    if lost:
        fail("lost (in no sink): %s" % sorted(lost)[:5])
    if extra:
        fail("at a sink but never accepted: %s" % sorted(extra)[:5])
    if out:
        fail("bypassed or bounced: %s" % sorted(out.items())[:5])
    for gw, ds in decisions.items():
        bad = [d for d in ds if d["verdict"] != "delivered"]
        if bad:
            fail("%s: %d decisions other than delivered, first: %s %s dlp=%s"
                 % (gw, len(bad), bad[0]["qid"], bad[0]["verdict"], bad[0]["dlp"]))


def down_event(a, events, kind, after):
    """down_event - times of KIND events for the down host after AFTER"""
    addr = a.hosts[a.down]
    return [t for t, ev, h in events
            if ev == kind and h.split(":")[0] == addr and t >= after]


def check_cost(a, gw, ds, events):
    """check_cost - GW paid for the dead host once, then the state did"""
    limit = a.connect + a.stagger + a.slack
    slow = [d for d in ds if d["delay"] > limit]
    if slow:
        fail("%s: %d decisions took longer than %.2f s, the longest %.3f s"
             % (gw, len(slow), limit, max(d["delay"] for d in slow)))
    downs = [t for t in down_event(a, events, "host-down", a.t1) if t < a.t2]
    if len(downs) != 1:
        fail("%s: %d host-down events for %s while it was down, want 1"
             % (gw, len(downs), a.down))
        return None
    learnt = downs[0]
    if learnt > a.t1 + a.gap + a.reuse_check + a.connect + a.stagger + a.slack:
        fail("%s: the health state knew %s down only %.2f s after it died"
             % (gw, a.down, learnt - a.t1))
    paid = [d for d in ds if a.t1 <= d["t"] < a.t2 + a.slack and
            d["dlp_time"] >= 0.9 * a.stagger]
    late = [d for d in paid if d["t"] > learnt + a.connect + a.stagger + a.slack]
    print("%s: knew %s down after %.2f s; %d messages waited on it (the "
          "longest %.3f s), %d of them after the health state knew"
          % (gw, a.down, learnt - a.t1, len(paid),
             max([d["dlp_time"] for d in paid] or [0]), len(late)))
    if late:
        fail("%s: %d messages still waited on %s after the health state knew "
             "it down, first at +%.2f s (dlp_time=%.3f dlp=%s)"
             % (gw, len(late), a.down, late[0]["t"] - a.t1,
                late[0]["dlp_time"], late[0]["dlp"]))
    return learnt


def check_moved(a, gw, ds, learnt):
    """check_moved - while down the others took the load, as the policy says"""
    win = [d for d in ds if learnt + a.slack <= d["t"] < a.t2]
    counts = {h: sum(1 for d in win if d["by"] == h) for h in a.hosts}
    others = [h for h in a.hosts if h != a.down]
    if not win:
        fail("%s: no decisions while %s was down" % (gw, a.down))
        return
    if counts[a.down]:
        fail("%s: %s took %d messages while it was down"
             % (gw, a.down, counts[a.down]))
    if a.balance == "ordered":
        nxt = others[0]
        if counts[nxt] != len(win):
            fail("%s: ordered: %s took %d of %d messages while %s was down, "
                 "want all" % (gw, nxt, counts[nxt], len(win), a.down))
    elif a.balance == "round-robin":
        for h in others:
            if counts[h] * 3 < len(win):
                fail("%s: %s: %s took %d of %d messages while %s was down, "
                     "want at least a third" % (gw, a.balance, h, counts[h],
                                                len(win), a.down))


def check_back(a, gw, ds, events):
    """check_back - the host gets traffic again within the probe interval"""
    bound = a.retry_max + a.connect + a.slack
    back = [d["t"] for d in ds if d["t"] >= a.t2 and d["by"] == a.down]
    if not back:
        fail("%s: %s took no message after it came back" % (gw, a.down))
        return
    print("%s: %s took a message again %.2f s after it came back "
          "(bound %.2f s)" % (gw, a.down, back[0] - a.t2, bound))
    if back[0] - a.t2 > bound:
        fail("%s: %s took its first message %.2f s after it came back, "
             "want <= %.2f s" % (gw, a.down, back[0] - a.t2, bound))
    # at least one: a connect begun just before T2 may still time out
    # after the host is back (a new host-down, then host-up again)
    if not down_event(a, events, "host-up", a.t2):
        fail("%s: no host-up event for %s after it came back" % (gw, a.down))


def figures(a, decisions):
    """figures - decisions per second and host shares, per gateway, phase"""
    phases = [("before", a.t0, a.t1), ("during", a.t1, a.t2),
              ("after", a.t2, a.t3)]
    print("throughput (decisions/s: mean, fewest in one second) and DLP "
          "host shares, balance %s:" % a.balance)
    print("  %-5s %-7s %7s %6s %6s   %s"
          % ("gw", "phase", "msg/s", "min/s", "msgs",
             " ".join("%6s" % h for h in a.hosts)))
    for gw in a.gateways:
        for name, lo, hi in phases:
            win = [d for d in decisions[gw] if lo <= d["t"] < hi]
            n = len(win)
            bins = [0] * max(1, int(hi - lo))
            for d in win:
                if int(d["t"] - lo) < len(bins):
                    bins[int(d["t"] - lo)] += 1
            shares = " ".join("%5.0f%%" % (100.0 * sum(1 for d in win if
                                                         d["by"] == h) / n
                                            if n else 0) for h in a.hosts)
            print("  %-5s %-7s %7.1f %6d %6d   %s"
                  % (gw, name, n / (hi - lo), min(bins), n, shares))


def main():
    """main - read everything, check, print the figures"""
    a = parse_args()
    decisions, events = {}, {}
    for gw in a.gateways:
        decisions[gw], events[gw] = read_milter(a, gw)
    figures(a, decisions)
    check_once(a, decisions)
    for gw in a.gateways:
        learnt = check_cost(a, gw, decisions[gw], events[gw])
        if learnt is not None:
            check_moved(a, gw, decisions[gw], learnt)
        check_back(a, gw, decisions[gw], events[gw])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
