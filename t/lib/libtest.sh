# t/lib/libtest.sh - helpers for the t/lib tests (source it, do not run it).
#
# Each test calls lt_init NAME PORTBASE once; it gets a private directory
# $LT_DIR (removed at exit, with every smtp-sink it started killed by pid)
# and uses only ports PORTBASE..PORTBASE+9 on 127.0.0.1.  Tests of this
# directory use the range 20000-20999, one block of ten each.
#
#   lt_sink N [smtp-sink options...]   start smtp-sink on port PORTBASE+N,
#                                      dumping each message into
#                                      $LT_DIR/sinkN/ (wait until it listens)
#   lt_port N                          print port PORTBASE+N
#   lt_conf FILE N...                  write a config with servers
#                                      127.0.0.1:PORTBASE+N, in that order;
#                                      LT_BYPASS, LT_CONNECT, LT_COMMAND,
#                                      LT_DATA, LT_DEADLINE override defaults,
#                                      LT_TLS sets dlp.tls.level
#                                      and LT_DLP_EXTRA is added to dlp:
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
# keeps $LT_DIR (sink dumps and logs).

LT_SINK_PIDS=""

lt_init() {
    LT_NAME=$1
    LT_PORTBASE=$2
    : "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
    : "${SMTP_SINK:=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)}"
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
    local pid
    [ -n "$LT_SHOW" ] && [ -f "$LT_OUT" ] && cat "$LT_OUT"
    for pid in $LT_SINK_PIDS; do
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
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
    ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

lt_sink() {
    local n=$1 port
    shift
    port=$(lt_port "$n")
    mkdir -p "$LT_DIR/sink$n"
    chmod 777 "$LT_DIR/sink$n"
    lt_listening "$port" && lt_fail "port $port is already in use"
    local user=()
    [ "$(id -u)" = 0 ] && user=(-u nobody)
    "$SMTP_SINK" "${user[@]}" -h "sink$n" -d "$LT_DIR/sink$n/%M." "$@" \
        "127.0.0.1:$port" 20 >"$LT_DIR/sink$n.log" 2>&1 &
    LT_SINK_PIDS="$LT_SINK_PIDS $!"
    for _ in $(seq 1 50); do
        lt_listening "$port" && return 0
        sleep 0.1
    done
    lt_fail "smtp-sink on port $port did not start: $(cat "$LT_DIR/sink$n.log")"
}

lt_conf() {
    local file=$1 n sep=""
    shift
    {
        echo "dlp: {"
        echo "  servers = ("
        for n in "$@"; do
            printf '%s    { host = "127.0.0.1"; port = %d; }\n' "$sep" \
                "$(lt_port "$n")"
            sep=","
        done
        echo "  );"
        echo "  connect_timeout = ${LT_CONNECT:-1};"
        echo "  command_timeout = ${LT_COMMAND:-1};"
        echo "  data_timeout = ${LT_DATA:-2};"
        echo "  session_deadline = ${LT_DEADLINE:-10};"
        echo "  helo_name = \"gw.test\";"
        [ -n "$LT_TLS" ] && echo "  tls: { level = \"$LT_TLS\"; };"
        [ -n "$LT_DLP_EXTRA" ] && echo "  $LT_DLP_EXTRA"
        echo "};"
        echo "bypass: {"
        echo "  enabled = ${LT_BYPASS:-true};"
        echo "};"
    } >"$file"
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
    # each dump file is one transaction (empty when it never got to the
    # end of data); give smtp-sink a moment to write it
    sleep 0.2
    find "$LT_DIR/sink$1" -type f -size +0 | wc -l
}

lt_body() {
    local f
    f=$(find "$LT_DIR/sink$1" -type f -size +0 | head -n 1)
    [ -n "$f" ] || lt_fail "sink $1 received no message"
    # drop smtp-sink's own headers (up to its three-line Received:) and
    # the empty line it appends
    awk 'done { print; next }
         /^Received: / { skip = 2; next }
         skip > 0 { skip--; if (skip == 0) done = 1; next }' "$f" |
        sed '$d'
}
