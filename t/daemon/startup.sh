#!/bin/bash
# startup.sh - start-up failures reach stderr with a status that says
# why, also without -f (the parent waits for the milter in the
# background): 1 bad config, unknown user, root without milter.user and
# without milter.allow_root; 3 missing socket directory, a file that is
# not a socket (left alone); 4 a unix socket another milter answers on,
# an inet port in use, a pid file whose process runs; 5 a pid file the
# user may not create.  A stale socket and a stale pid file are replaced.
# -V prints "dlpbypass-milter VERSION" (configure's version); -n rejects
# a host-less inet: socket (milter.socket or -p), bad socket_mode,
# syslog_facility, log, user and pidfile values with file and line, an
# unknown user or socket_group; SIGUSR1 and SIGUSR2 do not stop it.
# Ports P (dd_init) to P+9 on 127.0.0.1.
. "$(dirname "$0")/../testlib.sh"
tb_tools
M=$top_builddir/milter/dlpbypass-milter
[ -x "$M" ] || { echo "FAIL: $M not built"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (switches users)"; exit 77; }
getent passwd nobody >/dev/null || { echo "SKIP: no user nobody"; exit 77; }
. "$(dirname "$0")/daemonlib.sh"
dd_init startup
OUT=$D/out
fail() {
    echo "FAIL: startup: $*"
    [ -f "$OUT" ] && sed 's/^/  output: /' "$OUT"
    exit 1
}
# run WANT ARGS... - run the milter, want exit status WANT; output in $OUT
run() {
    local want=$1 status=0
    shift
    timeout 20 "$M" "$@" >"$OUT" 2>&1 </dev/null || status=$?
    [ "$status" = "$want" ] || fail "$* exited with $status, want $want"
}
# expect REGEX - $OUT must match
expect() {
    grep -Eq -- "$1" "$OUT" || fail "expected /$1/"
}
# conf FILE MILTER-LINES - a config whose DLP nothing listens on
conf() {
    printf 'dlp: {\n  servers = ( { host = "127.0.0.1"; port = %d; } );\n};\n' $((P + 9)) >"$1"
    printf 'milter: {\n%s\n};\n' "$2" >>"$1"
}
# stop_pidfile FILE - SIGTERM the milter of pid file FILE, wait until gone
stop_pidfile() {
    local p i
    p=$(cat "$1")
    kill "$p"
    for ((i = 0; i < 150; i++)); do
        kill -0 "$p" 2>/dev/null || return 0
        sleep 0.1
    done
    fail "pid $p did not stop"
}
run_dir=$D/run
install -d -o nobody -m 755 "$run_dir"
sock=unix:$run_dir/m.sock
base="  socket = \"$sock\";"

# -V: the version configure knows
run 0 -V
ver=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h")
[ "$(cat "$OUT")" = "dlpbypass-milter $ver" ] ||
    fail "-V printed '$(cat "$OUT")', want 'dlpbypass-milter $ver'"

# -n: host-less inet sockets, bad values with file:line, unknown names
conf "$D/c" "  socket = \"inet:$P\";"
run 1 -n -c "$D/c"
expect "^$D/c: milter socket \"inet:$P\" has no host"
conf "$D/c" "  socket = \"inet:$P@127.0.0.1\";"
run 0 -n -c "$D/c"
run 1 -n -c "$D/c" -p "inet6:$P"
expect 'has no host'
for bad in 'socket_mode = "0999";' 'socket_mode = "10660";' \
    'syslog_facility = "mial";' 'log = "file";' 'user = "bad user";' \
    'pidfile = "run/x.pid";' 'socket_group = "";' 'allow_root = "yes";'; do
    conf "$D/c" "$base
  $bad"
    run 1 -n -c "$D/c"
    expect "^$D/c:6: milter\.${bad%% *}: "
done
conf "$D/c" "$base
  user = \"nosuchuser-dlp\";"
run 1 -n -c "$D/c"
expect 'user "nosuchuser-dlp" does not exist'
run 1 -n -c "$D/c" -u nobody:nosuchgroup-dlp
expect 'group "nosuchgroup-dlp"'
conf "$D/c" "$base
  socket_group = \"nosuchgroup-dlp\";"
run 1 -n -c "$D/c"
expect 'milter.socket_group "nosuchgroup-dlp" does not exist'
conf "$D/c" "$base
  user = \"nobody\"; socket_mode = \"0660\"; socket_group = \"root\";
  pidfile = \"$run_dir/m.pid\"; syslog_facility = \"local3\"; log = \"syslog\";"
run 0 -n -c "$D/c"
expect "^$D/c: ok\$"

# start-up failures without -f: on stderr, with the status
printf 'dlp: {\n  servers = ( { host = "127.0.0.1"; port = %d; } );\n};\nbogus = 1;\n' $((P + 9)) >"$D/bad"
run 1 -c "$D/bad"
expect "$D/bad:4: unknown key 'bogus'"
conf "$D/c" "$base"
run 1 -c "$D/c"
expect 'refusing to run as root: set milter.user or -u USER'
[ -e "$run_dir/m.sock" ] && fail "the refused start left its socket"
run 1 -c "$D/c" -u nosuchuser-dlp
expect 'user "nosuchuser-dlp" does not exist'
run 1 -c "$D/c" -p "inet:$P"
expect 'has no host: it would listen on every interface'
run 3 -c "$D/c" -u nobody -p "unix:$D/missing/m.sock"
expect "directory $D/missing of the milter socket $D/missing/m.sock does not exist"
echo keep >"$D/notasocket"
run 3 -c "$D/c" -u nobody -p "unix:$D/notasocket"
expect "$D/notasocket exists and is not a socket"
[ "$(cat "$D/notasocket")" = keep ] || fail "the file at the socket path was touched"
# the pid file directory is root's, 0755: nobody cannot create it there
run 5 -c "$D/c" -u nobody -P "$D/m.pid"
expect "cannot create the pid file $D/m.pid: Permission denied"
[ -e "$run_dir/m.sock" ] && fail "the failed start left its socket"

# a stale socket (nothing answers) and a stale pid file are replaced
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
    "$run_dir/m.sock"
echo 999999999 >"$run_dir/m.pid"
run 0 -c "$D/c" -u nobody -P "$run_dir/m.pid"
[ "$(cat "$run_dir/m.pid")" != 999999999 ] || fail "stale pid file kept"
kill -0 "$(cat "$run_dir/m.pid")" || fail "the milter is not running"
[ -S "$run_dir/m.sock" ] || fail "no socket"
# the live socket, and the live pid file, are in use: status 4
run 4 -c "$D/c" -u nobody -P "$run_dir/m2.pid"
expect "milter socket $run_dir/m.sock is in use"
run 4 -c "$D/c" -u nobody -P "$run_dir/m.pid" -p "unix:$run_dir/m2.sock"
expect "pid file $run_dir/m.pid: dlpbypass-milter already runs as pid $(cat "$run_dir/m.pid")"
[ -e "$run_dir/m2.sock" ] && fail "the start refused for its pid file left its socket"
# SIGUSR1 and SIGUSR2 do not stop it
kill -USR1 "$(cat "$run_dir/m.pid")"
kill -USR2 "$(cat "$run_dir/m.pid")"
sleep 0.5
kill -0 "$(cat "$run_dir/m.pid")" || fail "SIGUSR1/SIGUSR2 stopped the milter"
stop_pidfile "$run_dir/m.pid"
[ -e "$run_dir/m.pid" ] && fail "pid file left behind"
[ -e "$run_dir/m.sock" ] && fail "socket left behind"

# an inet port in use: status 4
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); print("up", flush=True); time.sleep(30)' \
    $((P + 1)) \
    >"$D/busy.out" 2>&1 &
PIDS="$PIDS $!"
tb_wait_port $((P + 1)) 5 || fail "the port-holder did not start"
run 4 -c "$D/c" -u nobody -p "inet:$((P + 1))@127.0.0.1"
expect "cannot open the milter socket inet:$((P + 1))@127.0.0.1: Address already in use"
echo "PASS: startup"
