# t/lib/libtest.sh - helpers for the t/lib tests (source it, do not run it).
#
# Each test calls lt_init NAME once; it gets a private directory $LT_DIR
# (removed at exit, with every smtp-sink it started killed by pid) and a
# block of ten ports PORTBASE..PORTBASE+9 on 127.0.0.1, allocated by
# t_ports (t/testlib.sh); lt_init NAME PORTBASE asks for that block (only
# for tests not converted yet, refused when the block is taken).
#
#   lt_sink N [smtp-sink options...]   start smtp-sink on port PORTBASE+N,
#                                      dumping each message into
#                                      $LT_DIR/sinkN/ (wait until it listens)
#   lt_serve DESC N LOG COMMAND...     start another server COMMAND that
#                                      listens on port PORTBASE+N (output
#                                      in LOG; wait until it listens)
#   lt_listening PORT                  something listens on 127.0.0.1:PORT
#   lt_port N                          print port PORTBASE+N
#   t_conf FILE N...                   write a config with servers
#                                      127.0.0.1:PORTBASE+N, in that order
#                                      (t/testlib.sh; defaults here:
#                                      timeouts 1 1 2, deadline 10)
#   lt_sendn CONF COUNT MS SENDER RCPT <MSG  dlpsend -n COUNT -i MS (one
#                                      pool for all), output in $LT_OUT
#   lt_summary                         one line per message of lt_sendn:
#                                      "K AT_MS VERDICT SKIPPED(0|1)"
#   lt_send CONF SENDER RCPT... <MSG   run dlpsend, output in $LT_OUT
#   lt_expect REGEX                    $LT_OUT must match (grep -E)
#   lt_reject REGEX                    $LT_OUT must not match
#   lt_nmsgs N                         messages smtp-sink N received
#   lt_body N                          the content of sink N's only message,
#                                      as the client sent it (un-stuffed)
#   lt_fail MESSAGE                    print MESSAGE and $LT_OUT, exit 1
# Debugging: LT_SHOW=1 prints dlpsend's last output at exit, LT_KEEP=1
# keeps $LT_DIR (sink dumps and logs).  Shared helpers: t/testlib.sh.

. "$(dirname "${BASH_SOURCE[0]}")/../testlib.sh"

LT_SINK_PIDS=""

lt_init() {
    LT_NAME=$1
    TB_FAIL=lt_fail
    tb_tools
    [ -n "${2-}" ] && T_PORTBASE=$2
    t_ports 10
    LT_PORTBASE=$T_PORTBASE
    t_conf_defaults 1 1 2 10
    DLPSEND=$top_builddir/t/lib/dlpsend
    if [ ! -x "$SMTP_SINK" ]; then
        echo "SKIP: smtp-sink (package postfix) is not installed"
        exit 77
    fi
    if [ ! -x "$DLPSEND" ]; then
        echo "FAIL: $DLPSEND not built (make check builds it)"
        exit 1
    fi
    LT_DIR=$(mktemp -d "/tmp/dlplib.$LT_NAME.XXXXXX")
    chmod 755 "$LT_DIR"
    LT_OUT=$LT_DIR/out
    trap lt_cleanup EXIT
}

lt_cleanup() {
    [ -n "$LT_SHOW" ] && [ -f "$LT_OUT" ] && cat "$LT_OUT"
    # shellcheck disable=SC2086 # a list of pids
    tb_kill $LT_SINK_PIDS
    t_ports_release
    [ -n "$LT_KEEP" ] && echo "kept $LT_DIR" && return
    rm -rf "$LT_DIR"
}

lt_port() {
    echo $((LT_PORTBASE + $1))
}

lt_fail() {
    echo "FAIL: $LT_NAME: $*"
    [ -f "$LT_OUT" ] && sed 's/^/  dlpsend: /' "$LT_OUT"
    exit 1
}

# lt_listening PORT - true when something listens on 127.0.0.1:PORT
lt_listening() {
    tb_listening "$1"
}

lt_sink() {
    local n=$1
    shift
    tb_sink "sink$n" "$LT_DIR/sink$n" "127.0.0.1:$(lt_port "$n")" 20 "$@"
    LT_SINK_PIDS="$LT_SINK_PIDS $TB_PID"
}

lt_serve() {
    local desc=$1 n=$2 log=$3
    shift 3
    tb_serve "$desc" "$(lt_port "$n")" "$log" "$@"
    LT_SINK_PIDS="$LT_SINK_PIDS $TB_PID"
}

lt_send() {
    local conf=$1 sender=$2 r args=()
    shift 2
    for r in "$@"; do
        args+=(-r "$r")
    done
    "$DLPSEND" -c "$conf" -f "$sender" "${args[@]}" >"$LT_OUT" 2>&1 ||
        lt_fail "dlpsend exited with status $?"
}

lt_sendn() {
    "$DLPSEND" -c "$1" -n "$2" -i "$3" -f "$4" -r "$5" >"$LT_OUT" 2>&1 ||
        lt_fail "dlpsend exited with status $?"
}

lt_summary() {
    awk '/^msg=/ { split($1, a, "="); split($2, b, "="); k = a[2]; at = b[2] }
         /^verdict=/ { split($1, v, "="); print k, at, v[2],
                       (index($0, "not dialled") ? 1 : 0) }' "$LT_OUT"
}

lt_expect() {
    grep -Eq -- "$1" "$LT_OUT" || lt_fail "expected /$1/"
}

lt_reject() {
    grep -Eq -- "$1" "$LT_OUT" && lt_fail "did not expect /$1/"
    return 0
}

lt_nmsgs() {
    tb_sink_nmsgs "$LT_DIR/sink$1"
}

lt_body() {
    local f
    f=$(find "$LT_DIR/sink$1" -type f -size +0 | head -n 1)
    [ -n "$f" ] || lt_fail "sink $1 received no message"
    tb_sink_body "$f"
}
