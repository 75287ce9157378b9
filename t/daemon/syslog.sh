#!/bin/bash
# syslog.sh - where the log goes: with -f -l (or milter.log = "syslog")
# the lines go to syslog, not stderr, with milter.syslog_facility
# (local3: <158> for info); without -f the default is syslog, facility
# mail (<22> info, <19> err); start-up warnings and errors are copied to
# stderr as well, whatever the log; SIGUSR1's "log files reopened" is
# logged.  /dev/log is a datagram socket of this test, inside a private
# mount namespace (a tmpfs over /dev there, nothing changes outside).
# Unix sockets only, no ports.
if [ -z "${DLP_SYSLOG_NS-}" ]; then
    [ "$(id -u)" = 0 ] || { echo "SKIP: needs root (mount namespace)"; exit 77; }
    unshare --mount true 2>/dev/null ||
        { echo "SKIP: unshare --mount refused"; exit 77; }
    DLP_SYSLOG_NS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/../testlib.sh"
tb_tools
M=$top_builddir/milter/dlpbypass-milter
[ -x "$M" ] || { echo "FAIL: $M not built"; exit 1; }
. "$(dirname "$0")/daemonlib.sh"
dd_init syslog
fail() {
    echo "FAIL: syslog: $*"
    for f in syslog stderr; do
        [ -f "$D/$f" ] && sed "s/^/  $f: /" "$D/$f"
    done
    exit 1
}

# a /dev of our own (a tmpfs, in this mount namespace only) with the
# devices the milter needs, made with mknod, and /dev/log.  Never a bind
# mount of the real /dev: a cleanup that removed it would empty /dev.
mount -t tmpfs -o mode=755 tmpfs /dev || { echo "SKIP: no tmpfs over /dev"; exit 77; }
mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/zero c 1 5 &&
    mknod -m 666 /dev/random c 1 8 && mknod -m 666 /dev/urandom c 1 9 ||
    { echo "SKIP: mknod refused on the private /dev"; exit 77; }
python3 -u -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
os.chmod("/dev/log", 0o666)
out = open(sys.argv[1], "a")
while True:
    out.write(s.recv(65536).decode("utf-8", "replace").rstrip("\n") + "\n")
    out.flush()' "$D/syslog" &
PIDS="$PIDS $!"
for ((i = 0; i < 50; i++)); do
    [ -S /dev/log ] && break
    sleep 0.1
done
[ -S /dev/log ] || fail "the syslog stand-in did not start"

# wait_syslog REGEX - until the syslog stand-in got a matching line (5 s)
wait_syslog() {
    for ((i = 0; i < 50; i++)); do
        grep -Eq -- "$1" "$D/syslog" 2>/dev/null && return 0
        sleep 0.1
    done
    fail "no syslog line /$1/"
}
# wait_sock PID - until the milter's socket exists
wait_sock() {
    for ((i = 0; i < 100; i++)); do
        [ -S "$D/m.sock" ] && return 0
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    fail "the milter did not start"
}
# stop PID - SIGTERM and wait until it is gone
stop() {
    kill "$1"
    for ((i = 0; i < 150; i++)); do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.1
    done
    fail "pid $1 did not stop"
}
conf() { # conf MILTER-LINES
    {
        printf 'dlp: {\n  servers = ( { host = "127.0.0.1"; port = %d; } );\n};\n' $((P + 9))
        printf 'milter: {\n  socket = "unix:%s/m.sock"; allow_root = true;\n  %s\n};\n' \
            "$D" "$1"
    } >"$D/c"
}
pri() { # pri FACILITY SEVERITY - the <PRI> of a syslog line
    echo "<$(($1 * 8 + $2))>"
}

# -f -l, facility local3: syslog gets the lines, stderr only the warning
conf 'syslog_facility = "local3";'
"$M" -f -l -c "$D/c" 2>"$D/stderr" &
pid=$!
PIDS="$PIDS $pid"
wait_sock "$pid"
wait_syslog "^$(pri 19 6).*dlpbypass-milter\[$pid\]: starting dlpbypass-milter [^ ]+ on unix:$D/m.sock"
grep -q "^$(pri 19 4).*dlpbypass-milter\[$pid\]: running as root" "$D/syslog" ||
    fail "the root warning is not in syslog at local3.warning"
grep -q "running as root" "$D/stderr" ||
    fail "the start-up warning was not copied to stderr"
kill -USR1 "$pid"
wait_syslog "^$(pri 19 6).*dlpbypass-milter\[$pid\]: SIGUSR1: log files reopened"
stop "$pid"
grep -q "starting\|SIGUSR1\|stopped" "$D/stderr" &&
    fail "with -l, info lines went to stderr"

# -f with milter.log = "syslog", default facility mail; a start-up error
# (unknown user) is in syslog at mail.err and on stderr
: >"$D/syslog"
conf 'log = "syslog";'
status=0
"$M" -f -c "$D/c" -u nosuchuser-dlp 2>"$D/stderr" || status=$?
[ "$status" = 1 ] || fail "unknown user: status $status, want 1"
wait_syslog "^$(pri 2 3).*dlpbypass-milter\[[0-9]+\]: .*user \"nosuchuser-dlp\" does not exist"
grep -q 'user "nosuchuser-dlp" does not exist' "$D/stderr" ||
    fail "the start-up error is not on stderr"

# without -f: syslog, facility mail; the starting process exits 0
: >"$D/syslog"
conf "pidfile = \"$D/m.pid\";"
status=0
"$M" -c "$D/c" 2>"$D/stderr" || status=$?
[ "$status" = 0 ] || fail "background start: status $status"
pid=$(cat "$D/m.pid")
wait_syslog "^$(pri 2 6).*dlpbypass-milter\[$pid\]: starting dlpbypass-milter "
stop "$pid"
wait_syslog "^$(pri 2 6).*dlpbypass-milter\[$pid\]: stopped"
echo "PASS: syslog"
