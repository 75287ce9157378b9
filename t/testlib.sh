# t/testlib.sh - helpers shared by the test harnesses (source it, do not
# run it): t/lib/libtest.sh, t/milter/mtlib.sh, t/tls/libtls.sh (through
# libtest.sh), t/e2e/testlib.sh and t/daemon/daemonlib.sh source it.
# Tests call t_conf (the one config writer) and t_wait (the one wait)
# from here, and their harness's functions (lt_*, mt_*, tt_*, tl_*) for
# the rest.
#
#   tb_tools                       default top_srcdir, top_builddir,
#                                  SMTP_SINK and POSTFIX when make check
#                                  did not export them (a test run alone)
#   t_wait SECS COMMAND...         the one wait: run COMMAND every 0.1 s
#                                  until it succeeds; status 1 when it
#                                  did not within SECS (the caller fails
#                                  with its own message)
#   t_ge N COMMAND...              COMMAND prints a number >= N (for
#                                  t_wait: t_wait 5 t_ge 2 tl_nmsgs x)
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
#                                  reached the end of data), once the sink
#                                  is idle
#   tb_sink_idle DIR [SECS]        wait (5 s) until the smtp-sink of DIR
#                                  holds no dump open: no transaction
#                                  between RCPT and the end of data, so
#                                  every message it got is counted (it
#                                  closes a dump before its reply to the
#                                  dot); status 1 when it still does
#   tb_sink_body FILE              a dump without smtp-sink's own headers:
#                                  the content as the client sent it
#   tb_kill PID...                 SIGTERM each process, wait for each
#   tb_kill_var VAR                tb_kill the pid in variable VAR, empty it
#   t_conf FILE SERVER...          write a test configuration (the one
#                                  config writer, see "Configs" below)
#   tb_conf_servers HOST:PORT[/LEVEL][+KEY=VALUE...]...
#                                  the "servers = (...);" lines of a dlp:
#                                  config group, in that order, each with
#                                  its own tls_level and other settings
#                                  (e.g. +weight=2+priority=1) when given
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
#   t_ports SIZE                   allocate a block of SIZE loopback
#                                  ports for this test: its first port
#                                  in $T_PORTBASE (see "Port blocks")
#   t_ports_release                give the block back (harness cleanup)
#
# Each harness sets TB_FAIL to its fail function (lt_fail, mt_fail,
# tl_fail) in its init function; "exit 1" until then.
#
# Configs: t_conf FILE SERVER... writes dlp:, bypass: and milter: groups;
# SERVER is N (127.0.0.1, port PORTBASE+N of the test's block) or
# HOST:PORT, either with /LEVEL for its own tls_level and +KEY=VALUE for
# more settings of that server (+weight=2+priority=1).  These variables
# change it (set them for one call, VAR=value t_conf ..., or for the test):
#   T_CONNECT T_COMMAND T_DATA T_DEADLINE   dlp.connect_timeout,
#                      command_timeout, data_timeout, session_deadline
#                      (unset: the harness's default; "default": the
#                      line left out, the shipped default applies)
#   T_TLS              dlp.tls.level (no tls group when empty)
#   T_TLS_EXTRA        more dlp.tls lines (libconfig text)
#   T_DLP_EXTRA        more dlp lines
#   T_BYPASS           bypass.enabled (default true)
#   T_HEADER           bypass.header (left out when empty)
#   T_BYPASS_EXTRA     more bypass lines
#   T_SOCKET           milter.socket (unset: the harness's default)
#   T_SPILL T_TMPDIR   milter.spill_size, milter.tmpdir
#   T_STRIP            the inside of milter.strip_headers = ( ... )
#   T_MILTER           more milter lines
# milter.allow_root is always true: the tests run as root with no
# milter.user.  A harness's init sets its defaults with t_conf_defaults
# CONNECT COMMAND DATA DEADLINE [SOCKET].
#
# Port blocks: a test never names port numbers; its harness's init calls
# t_ports with the block size it uses (10 for lt/mt/tt, 20 for tl) and
# the test uses PORTBASE+N through lt_port/mt_port/tl_port.  Blocks come
# from T_PORT_MIN..T_PORT_MAX (29000-32699: above every fixed-number
# test, 28600-28799 of t/balance and t/fleet included, below Linux's
# ephemeral range 32768-60999), in steps of 10.  Under flock(1) on
# $T_PORT_DIR/lock, starting after the block handed out last (a counter
# file), a block is taken when none of its slots is leased by a live
# process and nothing listens on any of its ports; the lease files
# ($T_PORT_DIR/slot.PORT, holding the pid of the test's shell) are
# removed by t_ports_release, and a lease whose process is gone is free.
# T_PORTBASE set by hand (debugging; or "lt_init NAME PORTBASE", for a
# test not converted yet) is checked the same way and refused when the
# block is taken.  A second init of the same test (mt_init after tt_init)
# keeps the block it has.

T_PORT_DIR=${T_PORT_DIR:-/tmp/dlpbypass-ports}
T_PORT_MIN=${T_PORT_MIN:-29000}
T_PORT_MAX=${T_PORT_MAX:-32700}
T_PORTS_OWNED=""

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

# t_wait - run COMMAND every 0.1 s until it succeeds, at most SECS seconds
t_wait() {
    local i n
    n=$(awk -v s="$1" 'BEGIN { printf "%d", s * 10 }')
    shift
    for ((i = 0; i < n; i++)); do
        "$@" && return 0
        sleep 0.1
    done
    "$@"
}

# t_ge - true when COMMAND prints a number of at least N
t_ge() {
    local n=$1 got
    shift
    got=$("$@")
    [ "${got:-0}" -ge "$n" ] 2>/dev/null
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
    t_wait "${2:-10}" tb_listening "$1" "${3-}"
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
    echo "$TB_PID" >"$dir.pid" # ip netns exec execs: the sink's own pid
}

# _tb_sink_closed - true unless the smtp-sink of DIR holds a dump open
_tb_sink_closed() {
    local pid f
    pid=$(cat "$1.pid" 2>/dev/null) || return 0
    [ -d "/proc/$pid/fd" ] || return 0
    for f in /proc/"$pid"/fd/*; do
        case $(readlink "$f" 2>/dev/null) in "$1"/*) return 1 ;; esac
    done
    return 0
}

# tb_sink_idle - wait until the smtp-sink of DIR holds no dump open
tb_sink_idle() {
    t_wait "${2:-5}" _tb_sink_closed "$1"
}

# tb_sink_nmsgs - messages smtp-sink dumped into DIR, once it is idle
tb_sink_nmsgs() {
    tb_sink_idle "$1"
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

# tb_kill_var VAR - tb_kill the process whose pid is in variable VAR (if
# any), then empty VAR
tb_kill_var() {
    [ -n "${!1-}" ] || return 0
    tb_kill "${!1}"
    eval "$1="
}

# tb_conf_servers - print a config's servers list: HOST:PORT[/LEVEL]...
tb_conf_servers() {
    local spec hp kv sep=""
    echo "  servers = ("
    for spec in "$@"; do
        kv=${spec#"${spec%%+*}"}
        spec=${spec%%+*}
        hp=${spec%%/*}
        printf '%s    { host = "%s"; port = %d;' "$sep" "${hp%:*}" "${hp##*:}"
        [ "$spec" != "$hp" ] && printf ' tls_level = "%s";' "${spec#*/}"
        while [ -n "$kv" ]; do # "+KEY=VALUE" per-server settings
            kv=${kv#+}
            printf ' %s = %s;' "${kv%%=*}" "$(echo "${kv%%+*}" | cut -d= -f2-)"
            case $kv in *+*) kv=+${kv#*+} ;; *) kv="" ;; esac
        done
        printf ' }\n'
        sep=","
    done
    echo "  );"
}

# t_conf_defaults - the harness's timeouts (and milter socket) for t_conf
t_conf_defaults() {
    T_DEF_LIMITS=("$1" "$2" "$3" "$4")
    T_DEF_SOCKET=${5-}
}

# _t_conf_line - print "  KEY = VALUE;" unless VALUE is "default"
_t_conf_line() {
    [ "$2" = default ] || echo "  $1 = $2;"
}

# t_conf - write a test configuration FILE with servers SERVER...
t_conf() {
    local file=$1 spec hp=() d=("${T_DEF_LIMITS[@]:-1 1 2 10}")
    local socket=${T_SOCKET-${T_DEF_SOCKET-}}
    shift
    [ "${#d[@]}" = 4 ] || d=(1 1 2 10)
    for spec in "$@"; do
        case ${spec%%[/+]*} in
        *:*) hp+=("$spec") ;;
        *) hp+=("127.0.0.1:$((T_PORTBASE + ${spec%%[/+]*}))${spec#"${spec%%[/+]*}"}") ;;
        esac
    done
    {
        echo "dlp: {"
        tb_conf_servers "${hp[@]}"
        _t_conf_line connect_timeout "${T_CONNECT:-${d[0]}}"
        _t_conf_line command_timeout "${T_COMMAND:-${d[1]}}"
        _t_conf_line data_timeout "${T_DATA:-${d[2]}}"
        _t_conf_line session_deadline "${T_DEADLINE:-${d[3]}}"
        echo "  helo_name = \"gw.test\";"
        if [ -n "${T_TLS-}" ]; then
            echo "  tls: {"
            echo "    level = \"$T_TLS\";"
            [ -n "${T_TLS_EXTRA-}" ] && echo "    $T_TLS_EXTRA"
            echo "  };"
        fi
        [ -n "${T_DLP_EXTRA-}" ] && echo "  $T_DLP_EXTRA"
        echo "};"
        echo "bypass: {"
        echo "  enabled = ${T_BYPASS:-true};"
        [ -n "${T_HEADER-}" ] && echo "  header = \"$T_HEADER\";"
        [ -n "${T_BYPASS_EXTRA-}" ] && echo "  $T_BYPASS_EXTRA"
        echo "};"
        echo "milter: {"
        echo "  allow_root = true; # tests run as root with no milter.user"
        [ -n "$socket" ] && echo "  socket = \"$socket\";"
        [ -n "${T_SPILL-}" ] && echo "  spill_size = $T_SPILL;"
        [ -n "${T_TMPDIR-}" ] && echo "  tmpdir = \"$T_TMPDIR\";"
        [ -n "${T_STRIP-}" ] && echo "  strip_headers = ( $T_STRIP );"
        [ -n "${T_MILTER-}" ] && echo "  $T_MILTER"
        echo "};"
    } >"$file"
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

# _t_block_free - true when the SIZE ports from BASE are neither leased by
# a live process nor in LISTENING (an associative array of the ports
# something listens on); BUSY says by what when not
_t_block_free() {
    local base=$1 size=$2 p pid
    for ((p = base; p < base + size; p += 10)); do
        pid=$(cat "$T_PORT_DIR/slot.$p" 2>/dev/null)
        if [ -n "$pid" ] && [ "$pid" != $$ ] && kill -0 "$pid" 2>/dev/null; then
            BUSY="leased by pid $pid"
            return 1
        fi
    done
    for ((p = base; p < base + size; p++)); do
        if [ -n "${LISTENING[$p]-}" ]; then
            BUSY="port $p is in use"
            return 1
        fi
    done
    return 0
}

# t_ports - allocate a block of SIZE ports (multiple of 10): $T_PORTBASE
t_ports() {
    local size=$1 fd base start next p span=$((T_PORT_MAX - T_PORT_MIN)) BUSY=""
    local -A LISTENING=()
    mkdir -p "$T_PORT_DIR" || "$TB_FAIL" "cannot make $T_PORT_DIR"
    exec {fd}>>"$T_PORT_DIR/lock"
    flock -w 60 "$fd" || "$TB_FAIL" "no lock on $T_PORT_DIR/lock in 60 s"
    for p in $(ss -Hltn 2>/dev/null | awk '{ sub(/.*:/, "", $4); print $4 }'); do
        LISTENING[$p]=1
    done
    if [ -n "${T_PORTBASE-}" ]; then
        if ! _t_block_free "$T_PORTBASE" "$size"; then
            exec {fd}>&-
            "$TB_FAIL" "port block $T_PORTBASE-$((T_PORTBASE + size - 1)) is taken ($BUSY)"
        fi
        base=$T_PORTBASE
    else
        start=$(cat "$T_PORT_DIR/next" 2>/dev/null)
        [[ "$start" =~ ^[0-9]+$ ]] || start=$T_PORT_MIN
        for ((next = 0; next < span; next += 10)); do
            base=$(((start - T_PORT_MIN + next) % span + T_PORT_MIN))
            base=$((base - base % 10))
            [ $((base + size)) -le "$T_PORT_MAX" ] || continue
            _t_block_free "$base" "$size" && break
            base=""
        done
        if [ -z "$base" ]; then
            exec {fd}>&-
            "$TB_FAIL" "no free block of $size ports in $T_PORT_MIN-$((T_PORT_MAX - 1))"
        fi
        echo $((base + size)) >"$T_PORT_DIR/next"
    fi
    for ((p = base; p < base + size; p += 10)); do
        echo $$ >"$T_PORT_DIR/slot.$p"
        T_PORTS_OWNED="$T_PORTS_OWNED $p"
    done
    exec {fd}>&-
    T_PORTBASE=$base
}

# t_ports_release - remove the leases this test holds
t_ports_release() {
    local p
    for p in $T_PORTS_OWNED; do
        [ "$(cat "$T_PORT_DIR/slot.$p" 2>/dev/null)" = $$ ] &&
            rm -f "$T_PORT_DIR/slot.$p"
    done
    T_PORTS_OWNED=""
}
