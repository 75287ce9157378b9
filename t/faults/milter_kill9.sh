#!/bin/bash
# milter_kill9.sh - TESTING.md row 13: kill -9 of the milter while messages
# are in flight.  Postfix's milter_default_action = tempfail (set by
# master.cf.fragment) keeps every message queued: nothing delivered
# unscanned, nothing bounced, nothing lost.  After a restart of the milter
# the queue drains and the DLP has received every message exactly once
# (counted by Subject at the sinks).
# Private Postfix sandwich (t/e2e/testlib.sh)
. "$(dirname "$0")/../e2e/testlib.sh"
tl_init milter_kill9 26040
N=${KILL9_MESSAGES:-8}

tl_setup
# the DLP waits 5 s before answering DATA: messages pile up in the milter
tl_sink dlp1 "$(tl_port 6)" -w 5
T_COMMAND=15 T_DATA=15 T_DEADLINE=20 \
    t_conf "$TL_DIR/dlp.conf" "127.0.0.1:$(tl_port 6)"
tl_milter "$TL_DIR/dlp.conf"
for i in $(seq 1 "$N"); do
    TL_SUBJECT="kill9 message $i" tl_send "rcpt$i@example.com"
done
# wait until the milter holds DLP sessions, then kill it hard
dlp_port=$(tl_port 6)
for _ in $(seq 1 100); do
    n=$(ss -Htn state established "dport = :$dlp_port" | wc -l)
    [ "$n" -ge 2 ] && break
    sleep 0.1
done
echo "DLP sessions open at the kill: $n"
[ "$n" -ge 1 ] || tl_fail "no message reached the DLP stage"
kill -9 "$TL_MILTER_PID"
wait "$TL_MILTER_PID" 2>/dev/null
TL_MILTER_PID=
# every message must come back deferred with the milter tempfail
for _ in $(seq 1 150); do
    d=$(tl_pf_json gw | grep -c '"queue_name": *"deferred"')
    [ "$d" = "$N" ] && break
    sleep 0.2
done
[ "$d" = "$N" ] || tl_fail "$d of $N messages deferred after the kill: $(tl_pf_json gw)"
tl_expect_nmsgs internet 0
tl_expect_nmsgs bounce 0
complete() { # messages with a body the DLP sinks received, by Subject
    grep -h '^Subject: kill9 message' "$TL_DIR"/sink.dlp*/* 2>/dev/null
}
[ -z "$(complete)" ] || tl_fail "the DLP completed messages before the kill: $(complete)"

# restart: the DLP answers at once now, the milter comes back
tl_sink_stop dlp1
tl_sink dlp2 "$(tl_port 6)"
tl_milter "$TL_DIR/dlp.conf"
# Postfix retries deferred mail on its own schedule (minutes); flush it
# now and again: an smtpd session that dlpscan had cached from before the
# kill still holds the dead milter connection and defers once more
tl_pf_drain gw
tl_settle 10
got=$(complete | sort | uniq -c | awk '{print $1}' | sort -u | tr '\n' ' ')
total=$(complete | wc -l)
uniq=$(complete | sort -u | wc -l)
[ "$uniq" = "$N" ] || tl_fail "the DLP received $uniq distinct messages, want $N"
[ "$total" = "$N" ] || tl_fail "the DLP received $total copies of $N messages (counts: $got)"
tl_expect_nmsgs internet 0
tl_expect_nmsgs bounce 0
echo "all $N messages delivered to the DLP exactly once after the restart"
tl_pass
