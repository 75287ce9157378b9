# t/testlib.sh - helpers shared by the test harnesses (source it, do not
# run it): t/lib/libtest.sh, t/milter/mtlib.sh, t/tls/libtls.sh (through
# libtest.sh) and t/e2e/testlib.sh source it; tests call those harnesses'
# own functions (lt_*, mt_*, tt_*, tl_*), not these.
#
#   tb_tools                       default top_srcdir, top_builddir,
#                                  SMTP_SINK and POSTFIX when make check
#                                  did not export them (a test run alone)
#   tb_listening PORT [NETNS]      something listens on TCP PORT (inside
#                                  network namespace NETNS when given)
#   tb_wait_port PORT [SECS [NETNS]]  until PORT listens (default 10 s);
#                                  status 1 when it never did
#   tb_serve [-n NETNS] DESC PORT LOG COMMAND...
#                                  start COMMAND in the background (output
#                                  in LOG), its pid in $TB_PID, and wait
#                                  until it listens on PORT; "$TB_FAIL
#                                  MESSAGE" when the port is taken before
#                                  or nothing listens after 10 s
#   tb_sink [-n NETNS] NAME DIR ADDR:PORT BACKLOG [smtp-sink options...]
#                                  tb_serve smtp-sink (-h NAME, as nobody
#                                  when root) dumping each message into
#                                  DIR/, its log in DIR.log
#   tb_sink_nmsgs DIR              messages smtp-sink dumped into DIR (a
#                                  dump is empty when the transaction never
#                                  reached the end of data)
#   tb_sink_body FILE              a dump without smtp-sink's own headers:
#                                  the content as the client sent it
#   tb_kill PID...                 SIGTERM each process, wait for each
#   tb_conf_servers HOST:PORT[/LEVEL]...
#                                  the "servers = (...);" lines of a dlp:
#                                  config group, in that order, each with
#                                  its own tls_level when given
#   tb_conf_limits CONNECT COMMAND DATA DEADLINE
#                                  the timeout, session_deadline and
#                                  helo_name lines of a dlp: group
#   tb_netns_drop NS ADDR          make network namespace NS (root only)
#                                  with lo up and ADDR on it, TCP SYNs
#                                  to ADDR dropped by iptables; where
#                                  that cannot be done: NS removed, a
#                                  SKIP line, exit 77
#   tb_pf_master_cf                the internal services of a private
#                                  Postfix instance's master.cf (Debian's
#                                  master.cf.dist, chroot off, no network
#                                  listeners)
#
# Each harness sets TB_FAIL to its fail function (lt_fail, mt_fail,
# tl_fail) in its init function; "exit 1" until then.

TB_SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TB_FAIL=${TB_FAIL:-tb_fail}
TB_PID=""

# tb_fail - the fallback fail function: print MESSAGE, exit 1
tb_fail() {
    echo "FAIL: $*"
    exit 1
}

# tb_tools - defaults for what make check exports, for a test run alone
tb_tools() {
    : "${top_srcdir:=$TB_SRCDIR}"
    : "${top_builddir:=$top_srcdir}"
    : "${SMTP_SINK:=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)}"
    : "${POSTFIX:=$(command -v postfix || echo /usr/sbin/postfix)}"
}

# tb_listening - true when something listens on TCP port PORT [in NETNS]
tb_listening() {
    if [ -n "${2-}" ]; then
        ip netns exec "$2" ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
    else
        ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
    fi
}

# tb_wait_port - wait until PORT [in NETNS] listens, up to SECS (10)
tb_wait_port() {
    local i n=$((${2:-10} * 10))
    for ((i = 0; i < n; i++)); do
        tb_listening "$1" "${3-}" && return 0
        sleep 0.1
    done
    return 1
}

# tb_serve - start a server COMMAND and wait until it listens on PORT
tb_serve() {
    local ns=() netns="" desc port log
    if [ "$1" = -n ]; then
        netns=$2 ns=(ip netns exec "$2")
        shift 2
    fi
    desc=$1 port=$2 log=$3
    shift 3
    if [ -z "$netns" ] && tb_listening "$port"; then
        "$TB_FAIL" "port $port is already in use"
    fi
    "${ns[@]}" "$@" >"$log" 2>&1 &
    TB_PID=$!
    tb_wait_port "$port" 10 "$netns" ||
        "$TB_FAIL" "$desc on port $port did not start: $(cat "$log")"
}

# tb_sink - start smtp-sink NAME on ADDR:PORT dumping into DIR/
tb_sink() {
    local ns=() name dir addr_port backlog user=()
    if [ "$1" = -n ]; then
        ns=(-n "$2")
        shift 2
    fi
    name=$1 dir=$2 addr_port=$3 backlog=$4
    shift 4
    mkdir -p "$dir"
    chmod 777 "$dir"
    [ "$(id -u)" = 0 ] && user=(-u nobody)
    tb_serve "${ns[@]}" "smtp-sink $name" "${addr_port##*:}" "$dir.log" \
        "$SMTP_SINK" "${user[@]}" -h "$name" -d "$dir/%M." "$@" \
        "$addr_port" "$backlog"
}

# tb_sink_nmsgs - messages smtp-sink dumped into DIR (waits a moment for
# smtp-sink to write the last one)
tb_sink_nmsgs() {
    sleep 0.2
    find "$1" -type f -size +0 | wc -l
}

# tb_sink_body - print smtp-sink dump FILE without what smtp-sink added
tb_sink_body() {
    # drop smtp-sink's own headers (up to its three-line Received:) and
    # the empty line it appends
    awk 'done { print; next }
         /^Received: / { skip = 2; next }
         skip > 0 { skip--; if (skip == 0) done = 1; next }' "$1" |
        sed '$d'
}

# tb_kill - SIGTERM each PID (those already gone are passed over), then
# wait for each
tb_kill() {
    local pid
    for pid in "$@"; do
        kill "$pid" 2>/dev/null
    done
    for pid in "$@"; do
        wait "$pid" 2>/dev/null
    done
}

# tb_conf_servers - print a config's servers list: HOST:PORT[/LEVEL]...
tb_conf_servers() {
    local spec hp sep=""
    echo "  servers = ("
    for spec in "$@"; do
        hp=${spec%%/*}
        printf '%s    { host = "%s"; port = %d;' "$sep" "${hp%:*}" "${hp##*:}"
        [ "$spec" != "$hp" ] && printf ' tls_level = "%s";' "${spec#*/}"
        printf ' }\n'
        sep=","
    done
    echo "  );"
}

# tb_conf_limits - print a config's timeouts, session deadline, helo name
tb_conf_limits() {
    echo "  connect_timeout = $1;"
    echo "  command_timeout = $2;"
    echo "  data_timeout = $3;"
    echo "  session_deadline = $4;"
    echo "  helo_name = \"gw.test\";"
}

# tb_netns_drop - a namespace where ADDR drops SYNs, or skip the test
tb_netns_drop() {
    local ns=$1 addr=$2 why=""
    [ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespace)"; exit 77; }
    ip netns add "$ns" 2>/dev/null ||
        { echo "SKIP: cannot create a network namespace (ip netns add refused)"; exit 77; }
    if ! ip netns exec "$ns" ip link set lo up ||
        ! ip netns exec "$ns" ip addr add "$addr/32" dev lo; then
        why="cannot configure the namespace's loopback"
    elif ! ip netns exec "$ns" iptables -A INPUT -d "$addr" -p tcp --syn \
        -j DROP 2>/dev/null; then
        why="iptables refused (no netfilter in this kernel?)"
    fi
    [ -z "$why" ] && return 0
    ip netns del "$ns" 2>/dev/null
    echo "SKIP: $why"
    exit 77
}

# tb_pf_master_cf - print the internal services of a test master.cf
tb_pf_master_cf() {
    cat <<'EOF'
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}
