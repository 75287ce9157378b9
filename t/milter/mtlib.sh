# t/milter/mtlib.sh - helpers for the milter tests (source it, do not run it).
#
# Each test calls mt_init NAME once; it gets a private directory $MT_DIR
# (removed at exit; every process it started is killed by pid) and a
# block of ten ports PORTBASE..PORTBASE+9 on 127.0.0.1 allocated by
# t_ports (t/testlib.sh; the block of an earlier lt_init/tt_init of the
# same test when there is one).
#
#   mt_sink N [smtp-sink options...]  smtp-sink on port PORTBASE+N, one
#                                     dump file per message in $MT_DIR/sinkN/
#   mt_peer N                         smtp-peer.pl (per-recipient replies)
#                                     on port PORTBASE+N, files in $MT_DIR/peerN/
#   mt_port N                         print port PORTBASE+N
#   t_conf FILE N...                  a config with servers 127.0.0.1:
#                                     PORTBASE+N in that order (t/testlib.sh;
#                                     defaults here: timeouts 1 2 3,
#                                     deadline 8, milter.socket on port 9)
#   mt_start CONF                     start the milter in the foreground on
#                                     unix:$MT_DIR/milter.sock, log in
#                                     $MT_LOG (MT_VALGRIND=1: under valgrind)
#   mt_stop                           SIGTERM; the milter must exit 0
#   mt_run SCRIPT.lua [-D name=value...]  run miltertest (output in $MT_OUT);
#                                     scripts get sock= and lib= (mt.lua)
#   mt_log_expect REGEX / mt_log_reject REGEX   the milter's log must (not)
#                                     match (grep -E)
#   mt_nmsgs N                        messages smtp-sink N received
#   mt_body N [I]                     content of sink N's I-th message (1)
#   mt_fail MESSAGE                   print MESSAGE, the logs, exit 1
# Debugging: MT_KEEP=1 keeps $MT_DIR; MT_MILTER overrides the binary.
# Shared helpers: t/testlib.sh.

. "$(dirname "${BASH_SOURCE[0]}")/../testlib.sh"

MT_PIDS=""
MT_MILTER_PID=""

mt_init() {
    MT_NAME=$1
    TB_FAIL=mt_fail
    tb_tools
    [ -n "${2-}" ] && T_PORTBASE=$2
    t_ports 10
    MT_PORTBASE=$T_PORTBASE
    t_conf_defaults 1 2 3 8 "inet:$(mt_port 9)@127.0.0.1"
    : "${MT_MILTER:=$top_builddir/milter/dlpbypass-milter}"
    MT_SRC=$top_srcdir/t/milter
    if [ -z "$MILTERTEST" ] || [ ! -x "$MILTERTEST" ]; then
        echo "SKIP: miltertest (package miltertest) is not installed" \
            "(MILTERTEST='$MILTERTEST')"
        exit 77
    fi
    if [ ! -x "$SMTP_SINK" ]; then
        echo "SKIP: smtp-sink (package postfix) is not installed"
        exit 77
    fi
    [ -x "$MT_MILTER" ] || { echo "FAIL: $MT_MILTER not built"; exit 1; }
    MT_DIR=$(mktemp -d "/tmp/dlpmilter.$MT_NAME.XXXXXX")
    chmod 755 "$MT_DIR"
    MT_OUT=$MT_DIR/mt.out
    MT_LOG=$MT_DIR/milter.log
    MT_SOCK=unix:$MT_DIR/milter.sock
    trap mt_cleanup EXIT
}

mt_cleanup() {
    # shellcheck disable=SC2086 # lists of pids
    tb_kill $MT_MILTER_PID $MT_PIDS
    t_ports_release
    [ -n "$MT_KEEP" ] && echo "kept $MT_DIR" && return
    rm -rf "$MT_DIR"
}

mt_port() {
    echo $((MT_PORTBASE + $1))
}

mt_fail() {
    echo "FAIL: $MT_NAME: $*"
    [ -f "$MT_OUT" ] && sed 's/^/  miltertest: /' "$MT_OUT"
    [ -f "$MT_LOG" ] && sed 's/^/  milter: /' "$MT_LOG"
    exit 1
}

# mt_listening PORT - true when something listens on 127.0.0.1:PORT
mt_listening() {
    tb_listening "$1"
}

mt_sink() {
    local n=$1
    shift
    tb_sink "sink$n" "$MT_DIR/sink$n" "127.0.0.1:$(mt_port "$n")" 50 "$@"
    MT_PIDS="$MT_PIDS $TB_PID"
}

mt_peer() {
    local n=$1 port
    port=$(mt_port "$n")
    mkdir -p "$MT_DIR/peer$n"
    tb_serve smtp-peer.pl "$port" "$MT_DIR/peer$n.err" \
        perl "$MT_SRC/smtp-peer.pl" "$port" "$MT_DIR/peer$n"
    MT_PIDS="$MT_PIDS $TB_PID"
}

mt_start() {
    local conf=$1 vg=()
    rm -f "$MT_DIR/milter.sock"
    if [ -n "$MT_VALGRIND" ]; then
        vg=(valgrind --leak-check=full --show-leak-kinds=definite,indirect
            --errors-for-leak-kinds=definite,indirect --error-exitcode=99
            --log-file="$MT_DIR/valgrind.log")
    fi
    "${vg[@]}" "$MT_MILTER" -f -c "$conf" -p "$MT_SOCK" >>"$MT_LOG" 2>&1 &
    MT_MILTER_PID=$!
    for _ in $(seq 1 100); do
        [ -S "$MT_DIR/milter.sock" ] && return 0
        kill -0 "$MT_MILTER_PID" 2>/dev/null || break
        sleep 0.1
    done
    mt_fail "the milter did not start"
}

mt_stop() {
    local status=0
    [ -n "$MT_MILTER_PID" ] || return 0
    kill -TERM "$MT_MILTER_PID" 2>/dev/null
    wait "$MT_MILTER_PID" || status=$?
    MT_MILTER_PID=""
    [ "$status" = 0 ] || mt_fail "the milter exited with status $status"
}

mt_run() {
    local script=$1
    shift
    "$MILTERTEST" -s "$MT_SRC/$script" -D "sock=$MT_SOCK" \
        -D "lib=$MT_SRC/mt.lua" "$@" >"$MT_OUT" 2>&1 ||
        mt_fail "miltertest $script failed (status $?)"
}

mt_log_expect() {
    grep -Eq -- "$1" "$MT_LOG" || mt_fail "expected in the log: /$1/"
}

mt_log_reject() {
    grep -Eq -- "$1" "$MT_LOG" && mt_fail "did not expect in the log: /$1/"
    return 0
}

mt_nmsgs() {
    tb_sink_nmsgs "$MT_DIR/sink$1"
}

mt_body() {
    local f
    f=$(find "$MT_DIR/sink$1" -type f -size +0 | sort | sed -n "${2:-1}p")
    [ -n "$f" ] || mt_fail "sink $1 has no message ${2:-1}"
    tb_sink_body "$f"
}
