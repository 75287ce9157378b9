#!/bin/bash
# privdrop.sh - the milter as a Debian service would run it: started as
# root in the background (no -f) with milter.user = "nobody", a unix
# socket and a pid file in a directory of that user.  The starting
# process exits 0 once the milter is ready; the milter then runs with
# every uid and gid of nobody in every thread (/proc/PID/status, no
# supplementary group 0; the milter itself checks that setuid(0) now
# fails), its pid file belongs to nobody, its socket is "srw-rw----
# nobody postfix" (milter.socket_mode and socket_group), and a real
# private Postfix, whose smtpd runs as postfix, hands a message larger
# than milter.spill_size through that socket to the DLP (spilled into a
# tmpdir only nobody may write).  SIGUSR1 reopens the logs and does not
# stop it, SIGHUP reloads as nobody; SIGTERM stops it and removes the pid
# file and the socket.
. "$(dirname "$0")/../e2e/testlib.sh"
tl_init privdrop

getent passwd nobody >/dev/null || tl_skip "no user nobody"
getent group postfix >/dev/null || tl_skip "no group postfix"
nobody_uid=$(id -u nobody)
nobody_gid=$(id -g nobody)
run=$TL_DIR/run
sock=$run/milter.sock
pidf=$run/milter.pid
install -d -o nobody -m 755 "$run"
install -d -o nobody -m 700 "$TL_DIR/spool"

TL_MILTER_SOCKET_PF=unix:$sock
tl_setup
tl_sink dlp "$(tl_port 6)"
T_MILTER="user = \"nobody\"; socket_mode = \"0660\"; socket_group = \"postfix\";
  pidfile = \"$pidf\"; tmpdir = \"$TL_DIR/spool\"; spill_size = 4096;
  log = \"stderr\";" \
    t_conf "$TL_DIR/dlp.conf" "127.0.0.1:$(tl_port 6)"
"$TL_MILTER_BIN" -n -c "$TL_DIR/dlp.conf" >"$TL_DIR/milter-n.out" 2>&1 ||
    tl_fail "config rejected: $(cat "$TL_DIR/milter-n.out")"

# start it as an init script would: no -f; the parent returns when ready
status=0
"$TL_MILTER_BIN" -c "$TL_DIR/dlp.conf" -p "unix:$sock" \
    >>"$TL_DIR/milter.log" 2>&1 </dev/null || status=$?
[ "$status" = 0 ] || tl_fail "the milter did not start (status $status)"
[ -s "$pidf" ] || tl_fail "no pid file $pidf"
pid=$(cat "$pidf")
TL_MILTER_PID=$pid # tl_cleanup stops it
kill -0 "$pid" 2>/dev/null || tl_fail "pid $pid of the pid file does not run"
[ "$pid" != "$$" ] && [ "$(tr '\0' ' ' </proc/"$pid"/cmdline)" != "" ] ||
    tl_fail "pid file names no milter"
grep -q dlpbypass-milter "/proc/$pid/cmdline" ||
    tl_fail "pid $pid is not dlpbypass-milter"

# every uid and gid of the process is nobody's, no supplementary group
ids=$(awk '/^Uid:/ { print "uid", $2, $3, $4, $5 } /^Gid:/ { print "gid", $2, $3, $4, $5 }
    /^Groups:/ { $1 = "groups"; print }' "/proc/$pid/status")
want="uid $nobody_uid $nobody_uid $nobody_uid $nobody_uid
gid $nobody_gid $nobody_gid $nobody_gid $nobody_gid"
[ "$(echo "$ids" | head -n 2)" = "$want" ] ||
    tl_fail "privileges not dropped: $ids"
groups=$(echo "$ids" | sed -n 's/^groups *//p')
for g in $groups; do
    [ "$g" = 0 ] && tl_fail "supplementary group 0 kept: $ids"
done
# every thread too (setuid applies to all of them)
for t in /proc/"$pid"/task/*; do
    u=$(awk '/^Uid:/ { print $2 $3 $4 $5 }' "$t/status")
    [ "$u" = "$nobody_uid$nobody_uid$nobody_uid$nobody_uid" ] ||
        tl_fail "thread ${t##*/} runs as uid $u"
done

# the files it made: pid file and socket
[ "$(stat -c %U "$pidf")" = nobody ] ||
    tl_fail "pid file belongs to $(stat -c %U:%G "$pidf"), not nobody"
[ "$(stat -c '%A %U %G' "$sock")" = "srw-rw---- nobody postfix" ] ||
    tl_fail "socket is $(stat -c '%A %U %G' "$sock"), want srw-rw---- nobody postfix"
grep -Eq "starting dlpbypass-milter [0-9][^ ]* on unix:$sock .*user=nobody" \
    "$TL_DIR/milter.log" || tl_fail "no start line with the version and user"

# a real Postfix (smtpd as postfix) delivers through the socket; the
# message is larger than spill_size, so the milter writes it to tmpdir
{
    printf 'From: <sender@sender.test>\nTo: <rcpt@example.com>\n'
    printf 'Subject: privdrop\nMessage-ID: <privdrop.%s@sender.test>\n\n' "$$"
    for i in $(seq 1 400); do
        printf 'line %04d %s\n' "$i" "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    done
} >"$TL_DIR/msg"
tl_smtp "$(tl_port 0)" sender@sender.test rcpt@example.com <"$TL_DIR/msg" ||
    tl_fail "the gateway did not accept the message"
tl_settle
tl_expect_nmsgs dlp 1
tl_expect_nmsgs internet 0
tl_expect_milter_log "verdict=delivered reason=accepted "
[ "$(grep -c '^line 0[0-9]* x*' "$(tl_msg dlp)")" = 400 ] ||
    tl_fail "the DLP did not get all 400 body lines"
grep -q "milter.tmpdir" "$TL_DIR/milter.log" &&
    tl_fail "milter.tmpdir warning for a directory nobody may write"

# SIGUSR1: logs reopened, still running; SIGHUP: reloaded as nobody
kill -USR1 "$pid"
tl_expect_milter_log "SIGUSR1: log files reopened"
sleep 0.3
kill -0 "$pid" 2>/dev/null || tl_fail "SIGUSR1 stopped the milter"
kill -HUP "$pid"
tl_expect_milter_log "configuration reloaded from $TL_DIR/dlp.conf"
kill -0 "$pid" 2>/dev/null || tl_fail "SIGHUP stopped the milter"

# SIGTERM: it stops, and removes its pid file and socket
kill -TERM "$pid"
for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
kill -0 "$pid" 2>/dev/null && tl_fail "the milter did not stop on SIGTERM"
TL_MILTER_PID=""
[ -e "$pidf" ] && tl_fail "pid file $pidf left behind"
[ -e "$sock" ] && tl_fail "socket $sock left behind"
tl_pass
