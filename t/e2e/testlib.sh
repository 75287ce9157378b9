# t/e2e/testlib.sh - harness for end-to-end tests with a real Postfix
# (source it, do not run it).  Needs root: Postfix's master runs as root
# and network namespaces need CAP_NET_ADMIN; tests skip (77) otherwise.
#
# A test calls tl_init NAME once.  It gets a private directory $TL_DIR
# (mode 755: Postfix and smtp-sink drop privileges), a block of 20 ports
# PORTBASE..PORTBASE+19 on 127.0.0.1 allocated by t_ports (t/testlib.sh;
# tl_init NAME PORTBASE asks for that block: only for tests not converted
# yet, refused when the block is taken), and at exit everything it started
# is stopped by pid / by its own config directory, namespaces deleted and
# $TL_DIR removed (kept when TL_KEEP=1, and its logs printed on failure).
#
# Port plan (tl_port N = PORTBASE+N); tl_gateway uses 0-5:
#   0 public smtpd (the ":25")      1 the smtpd with the milter (":10025")
#   2 reflect smtpd (":10026")      3 the milter (":10030")
#   4 "the Internet" (relayhost)    5 sink for mail to the sender domain
#                                     (bounces: sender@sender.test)
#   6-19 free for DLP stand-ins
#
# Private Postfix instances (any number, each a directory of its own):
#   tl_pf_new NAME                  make $TL_DIR/pf.NAME with main.cf,
#                                   a chroot-free master.cf (internal
#                                   services only), queue and data dirs
#   tl_pf_main NAME 'p = v'...      set main.cf parameters (postconf -e)
#   tl_pf_master NAME <TEXT         append master.cf entries
#   tl_pf_start NAME / tl_pf_stop NAME / tl_pf_reload NAME
#   tl_pf_dir NAME                  print its config directory
#   tl_pf_log NAME                  print its maillog
#   tl_pf_json NAME                 postqueue -j (one JSON object a line)
#   tl_pf_count NAME                number of messages in its queue
#   tl_pf_flush NAME                postqueue -f (retry deferred mail now)
#   tl_pf_drain NAME [TRIES]        tl_pf_flush every 2 s until the queue
#                                   is empty (at most TRIES times, 30)
#   tl_pf_purge NAME                postsuper -d ALL
#   tl_pf_wait_empty NAME [SECS]    until the queue is empty
#   tl_pf_wait_deferred NAME [SECS] until a message is in the deferred
#                                   queue with a reason; prints the reason
#   tl_pf_wait_log NAME REGEX [SECS] until the maillog matches (grep -E)
#
# The DLP sandwich (DESIGN.md section 1) from postfix-conf/*.fragment:
#   tl_gateway                      instance "gw": public smtpd on port 0,
#                                   the fragments with their ports moved to
#                                   1/2/3, relayhost port 4, sender.test
#                                   mail to port 5; started
#   t_conf FILE HOST:PORT...        write a milter config (t/testlib.sh;
#                                   defaults here: timeouts 1 1 2,
#                                   deadline 8)
#   tl_milter CONF [SOCKET]         start dlpbypass-milter -f in the
#                                   background (socket default: port 3);
#                                   with TL_NETNS set, inside that namespace
#   tl_milter_stop                  stop it
#
# smtp-sink, SMTP client, checks:
#   tl_sink NAME PORT [opts...]     smtp-sink dumping each message into
#                                   $TL_DIR/sink.NAME/
#   tl_sink_ns NAME ADDR:PORT [opts...]  the same inside $TL_NETNS
#   tl_sink_stop NAME
#   tl_sink_idle NAME               until sink NAME has no transaction
#                                   open (t/testlib.sh tb_sink_idle)
#   tl_nmsgs NAME                   messages sink NAME received
#   tl_msg NAME                     path of sink NAME's only message
#   tl_unfold FILE                  FILE with folded lines joined
#   tl_smtp PORT FROM RCPT... <MSG  send MSG (LF line ends) over SMTP;
#                                   transcript in $TL_DIR/smtp.out;
#                                   status 0 when the dot got 250
#   tl_listening PORT               something listens on 127.0.0.1:PORT
#   tl_wait_port PORT [SECS]
#   tl_netns                        create namespace $TL_NETNS (lo up)
#   tl_fail MESSAGE / tl_pass / tl_skip MESSAGE
#
# Practical notes (Debian 12, Postfix 3.7, verified):
# - No /etc/postfix/main.cf is needed: as root, "postfix -c DIR" and
#   "postqueue -c DIR" accept any DIR; alternate_config_directories is
#   checked only for set-gid use by other users, which these tests avoid.
#   Without a syslog daemon Postfix logs nowhere, so each instance sets
#   maillog_file (and maillog_file_prefixes) and keeps the postlog service.
# - "postfix -c DIR check" creates the queue sub-directories; data_directory
#   must belong to the mail_owner (postfix).  The Debian master.cf.dist has
#   chroot "y", which would need a populated jail: tl_pf_new writes a
#   master.cf of its own with chroot "n".
# - The postfix command prints its errors only on a terminal or to the
#   maillog; tl_pf_start shows the maillog when it fails.
# Shared helpers (smtp-sink, ports, tools): t/testlib.sh.

. "$(dirname "${BASH_SOURCE[0]}")/../testlib.sh"

TL_PIDS=""
TL_INSTANCES=""
TL_NETNS=""
TL_NETNS_MADE=""
TL_MILTER_PID=""

# tl_init - set up a test: name, port block, private directory, cleanup
tl_init() {
    TL_NAME=$1
    TB_FAIL=tl_fail
    tb_tools
    [ -n "${2-}" ] && T_PORTBASE=$2
    t_ports 20
    TL_PORTBASE=$T_PORTBASE
    t_conf_defaults 1 1 2 8
    TL_MILTER_BIN=${TL_MILTER_BIN:-$top_builddir/milter/dlpbypass-milter}
    if [ "$(id -u)" != 0 ]; then
        tl_skip "needs root (starts a private Postfix instance)"
    fi
    [ -x "$POSTFIX" ] || tl_skip "postfix is not installed"
    [ -x "$SMTP_SINK" ] || tl_skip "smtp-sink (package postfix) is not installed"
    TL_DIR=$(mktemp -d "/tmp/dlpe2e.$TL_NAME.XXXXXX")
    chmod 755 "$TL_DIR"
    trap tl_cleanup EXIT
    trap 'exit 1' INT TERM
}

# tl_skip - skip the test with a reason
tl_skip() {
    echo "SKIP: ${TL_NAME:-e2e}: $*"
    exit 77
}

# tl_fail - fail the test, showing what the logs say
tl_fail() {
    {
        echo "FAIL: $TL_NAME: $*"
        tl_dump
    } >&2
    exit 1
}

# tl_pass - the test passed
tl_pass() {
    echo "PASS: $TL_NAME"
    exit 0
}

# tl_dump - print the logs of everything the test started
tl_dump() {
    local n f
    for n in $TL_INSTANCES; do
        f=$TL_DIR/pf.$n/maillog
        [ -f "$f" ] || continue
        echo "---- maillog of Postfix instance $n"
        grep -v 'postfix-script.*warning: \(not owned by\|group or other\)' "$f" |
            tail -n 60
    done
    if [ -f "$TL_DIR/milter.log" ]; then
        echo "---- milter log"
        tail -n 40 "$TL_DIR/milter.log"
    fi
    if [ -f "$TL_DIR/smtp.out" ]; then
        echo "---- last SMTP client transcript"
        cat "$TL_DIR/smtp.out"
    fi
    for f in "$TL_DIR"/sink.*.log; do
        [ -s "$f" ] || continue
        echo "---- ${f##*/}"
        tail -n 20 "$f"
    done
}

# tl_cleanup - stop everything this test started, remove its directory
tl_cleanup() {
    local rc=$? n pid
    trap - EXIT
    for n in $TL_INSTANCES; do
        "$POSTFIX" -c "$TL_DIR/pf.$n" stop >/dev/null 2>&1
    done
    for pid in $TL_MILTER_PID $TL_PIDS; do
        kill "$pid" 2>/dev/null
    done
    # master exits within a second or two of "postfix stop"; then make
    # sure no process of ours is left (by pid file, never by name)
    for n in $TL_INSTANCES; do
        tl_pf_kill "$n"
    done
    for pid in $TL_MILTER_PID $TL_PIDS; do
        wait "$pid" 2>/dev/null
    done
    for n in $TL_NETNS_MADE; do
        ip netns pids "$n" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$n" 2>/dev/null
    done
    t_ports_release
    if [ "${TL_KEEP-}" = 1 ]; then
        echo "kept $TL_DIR"
    else
        rm -rf "$TL_DIR"
    fi
    exit "$rc"
}

# tl_pf_kill - kill what is left of instance NAME: its master and children
tl_pf_kill() {
    local pidf=$TL_DIR/pf.$1/q/pid/master.pid pid i
    [ -f "$pidf" ] || return 0
    pid=$(tr -dc 0-9 <"$pidf")
    [ -n "$pid" ] || return 0
    for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    pkill -9 -P "$pid" 2>/dev/null
    kill -9 "$pid" 2>/dev/null
}

# tl_port - print port PORTBASE+N
tl_port() {
    echo $((TL_PORTBASE + $1))
}

# tl_listening - true when something listens on TCP port PORT (127.0.0.1)
tl_listening() {
    tb_listening "$1"
}

# tl_listening_ns - the same inside $TL_NETNS (here when there is none)
tl_listening_ns() {
    tb_listening "$1" "$TL_NETNS"
}

# tl_wait_port - wait until PORT listens (default 10 s); with a third
# argument "ns", inside $TL_NETNS
tl_wait_port() {
    local ns=""
    [ "${3-}" = ns ] && ns=$TL_NETNS
    tb_wait_port "$1" "${2:-10}" "$ns"
}

# tl_netns - create network namespace $TL_NETNS (named after the test)
tl_netns() {
    TL_NETNS=dlpe2e-$TL_NAME-$$
    ip netns add "$TL_NETNS" 2>/dev/null ||
        tl_skip "cannot create a network namespace (ip netns add refused)"
    TL_NETNS_MADE="$TL_NETNS_MADE $TL_NETNS"
    ip netns exec "$TL_NETNS" ip link set lo up ||
        tl_skip "cannot configure the network namespace"
}

# tl_in_ns - run a command in $TL_NETNS (or here when there is none)
tl_in_ns() {
    if [ -n "$TL_NETNS" ]; then
        ip netns exec "$TL_NETNS" "$@"
    else
        "$@"
    fi
}

# ---- private Postfix instances ------------------------------------------

# tl_pf_dir - print the config directory of instance NAME
tl_pf_dir() {
    echo "$TL_DIR/pf.$1"
}

# tl_pf_new - make instance NAME: main.cf, master.cf, queue and data dirs
tl_pf_new() {
    local n=$1 d=$TL_DIR/pf.$1
    mkdir -p "$d/q" "$d/data"
    chown postfix "$d/data"
    chmod 755 "$d" "$d/q"
    # the queue as postfix-files makes it; "quick-start" lets "postfix
    # start" skip its 3-second integrity check of what we just made
    local q
    for q in active bounce corrupt defer deferred flush hold incoming \
        private saved trace; do
        install -d -o postfix -g root -m 700 "$d/q/$q"
    done
    install -d -o postfix -g postdrop -m 730 "$d/q/maildrop"
    install -d -o postfix -g postdrop -m 710 "$d/q/public"
    install -d -o root -g root -m 755 "$d/q/pid"
    touch "$d/q/quick-start"
    cat >"$d/main.cf" <<EOF
# private test instance "$n" (t/e2e/testlib.sh)
compatibility_level = 3.6
queue_directory = $d/q
data_directory = $d/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = $d/maillog
maillog_file_prefixes = $d
myhostname = $n.test
mydomain = test
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains =
local_transport = error:5.1.1 no local delivery in this instance
alias_maps =
alias_database =
local_recipient_maps =
biff = no
append_dot_mydomain = no
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
smtp_tls_security_level = none
smtpd_tls_security_level = none
delay_warning_time = 0
smtpd_error_sleep_time = 0
smtp_connect_timeout = 2s
master_service_disable =
EOF
    # the internal services of Debian's master.cf.dist, chroot off, no
    # network listeners (tests add their own with tl_pf_master)
    tb_pf_master_cf >"$d/master.cf"
    TL_INSTANCES="$TL_INSTANCES $n"
}

# tl_pf_main - set main.cf parameters of instance NAME ('name = value')
tl_pf_main() {
    local n=$1
    shift
    postconf -c "$(tl_pf_dir "$n")" -e "$@" ||
        tl_fail "postconf -e $* failed for instance $n"
}

# tl_pf_master - append master.cf entries (stdin) to instance NAME
tl_pf_master() {
    cat >>"$(tl_pf_dir "$1")/master.cf"
}

# tl_pf_start - start instance NAME; fail showing its log if it does not
tl_pf_start() {
    local d
    d=$(tl_pf_dir "$1")
    "$POSTFIX" -c "$d" start >/dev/null 2>&1 ||
        tl_fail "Postfix instance $1 did not start"
    # master writes its pid file once it runs; then its listeners are open
    local i
    for ((i = 0; i < 50; i++)); do
        [ -s "$d/q/pid/master.pid" ] && return 0
        sleep 0.1
    done
    tl_fail "Postfix instance $1: no master.pid"
}

# tl_pf_stop - stop instance NAME and wait until its master is gone
tl_pf_stop() {
    "$POSTFIX" -c "$(tl_pf_dir "$1")" stop >/dev/null 2>&1
    tl_pf_kill "$1"
}

# tl_pf_reload - make instance NAME re-read its configuration
tl_pf_reload() {
    "$POSTFIX" -c "$(tl_pf_dir "$1")" reload >/dev/null 2>&1 ||
        tl_fail "postfix reload of instance $1 failed"
    sleep 0.5
}

# tl_pf_log - print the maillog of instance NAME
tl_pf_log() {
    cat "$(tl_pf_dir "$1")/maillog" 2>/dev/null
}

# tl_pf_json - postqueue -j of instance NAME
tl_pf_json() {
    postqueue -c "$(tl_pf_dir "$1")" -j 2>/dev/null
}

# tl_pf_count - number of messages in the queue of instance NAME
tl_pf_count() {
    tl_pf_json "$1" | grep -c '"queue_id"'
}

# tl_pf_flush - retry the deferred mail of instance NAME now
tl_pf_flush() {
    postqueue -c "$(tl_pf_dir "$1")" -f ||
        tl_fail "postqueue -f failed for instance $1"
}

# tl_pf_drain - flush instance NAME every 2 s until its queue is empty
# (at most TRIES times, default 30); status 1 when it is not
tl_pf_drain() {
    local i
    for ((i = 0; i < ${2:-30}; i++)); do
        tl_pf_flush "$1"
        sleep 2
        [ "$(tl_pf_count "$1")" = 0 ] && return 0
    done
    return 1
}

# tl_pf_purge - delete every message in the queue of instance NAME
tl_pf_purge() {
    postsuper -c "$(tl_pf_dir "$1")" -d ALL >/dev/null 2>&1
}

# _tl_pf_empty - true when the queue of instance NAME is empty
_tl_pf_empty() {
    [ "$(tl_pf_count "$1")" = 0 ]
}

# tl_pf_wait_empty - wait until the queue of NAME is empty (default 20 s)
tl_pf_wait_empty() {
    t_wait "${2:-20}" _tl_pf_empty "$1" && return 0
    tl_fail "queue of instance $1 not empty after ${2:-20}s: $(tl_pf_json "$1")"
}

# tl_pf_wait_deferred - wait for a deferred message with a reason in NAME;
# print (and keep in $TL_REASONS) "RCPT<tab>deferred<tab>REASON" lines
tl_pf_wait_deferred() {
    local i n=$((${2:-20} * 5)) j
    for ((i = 0; i < n; i++)); do
        j=$(tl_pf_json "$1")
        if echo "$j" | grep -q '"queue_name": *"deferred"' &&
            echo "$j" | grep -q '"delay_reason"'; then
            TL_REASONS=$(tl_json_reasons <<<"$j" | grep -P '\tdeferred\t')
            echo "$TL_REASONS"
            return 0
        fi
        sleep 0.2
    done
    tl_fail "no deferred message in instance $1 after ${2:-20}s: $j"
}

# tl_json_reasons - print each delay_reason of postqueue -j output (stdin)
tl_json_reasons() {
    python3 -c '
import json, sys
for line in sys.stdin:
    if line.strip():
        m = json.loads(line)
        for r in m.get("recipients", []):
            print(r.get("address", ""), m.get("queue_name", ""), r.get("delay_reason", ""), sep="\t")
'
}

# tl_pf_wait_log - wait until the maillog of NAME matches REGEX
tl_pf_wait_log() {
    t_wait "${3:-20}" grep -Eq -- "$2" "$(tl_pf_dir "$1")/maillog" 2>/dev/null &&
        return 0
    tl_fail "maillog of $1 does not match /$2/ after ${3:-20}s"
}

# ---- the DLP sandwich ---------------------------------------------------

# tl_fragment FILE - print a postfix-conf fragment with the test's ports
tl_fragment() {
    sed -e "s/127\.0\.0\.1\]:10025/127.0.0.1]:$(tl_port 1)/g" \
        -e "s/^127\.0\.0\.1:10025 /127.0.0.1:$(tl_port 1) /" \
        -e "s/^[0-9.]*:10026 /127.0.0.1:$(tl_port 2) /" \
        -e "s|^dlp_milter = .*|dlp_milter = ${TL_MILTER_SOCKET_PF:-inet:127.0.0.1:$(tl_port 3)}|" \
        -e "s|^dlp_reflect_clients = .*|dlp_reflect_clients = ${TL_REFLECT_NETS:-127.0.0.1/32}|" \
        "$top_srcdir/postfix-conf/$1"
}

# tl_gateway - make and start instance "gw": the sandwich of DESIGN.md
tl_gateway() {
    tl_pf_new gw
    {
        echo
        tl_fragment main.cf.fragment
    } >>"$(tl_pf_dir gw)/main.cf"
    tl_pf_main gw "relayhost = [127.0.0.1]:$(tl_port 4)" \
        "transport_maps = inline:{sender.test=smtp:[127.0.0.1]:$(tl_port 5)}" \
        "myhostname = gw.test"
    {
        echo "127.0.0.1:$(tl_port 0) inet n - n - - smtpd"
        echo "  -o syslog_name=postfix/public"
        tl_fragment master.cf.fragment
    } | tl_pf_master gw
    tl_pf_start gw
    tl_wait_port "$(tl_port 0)" || tl_fail "gateway smtpd does not listen"
    tl_wait_port "$(tl_port 1)" || tl_fail "gateway :10025 smtpd does not listen"
}

# tl_milter - start the milter with config CONF on SOCKET (default port 3)
tl_milter() {
    local conf=$1 sock=${2:-inet:$(tl_port 3)@127.0.0.1}
    [ -x "$TL_MILTER_BIN" ] || tl_skip "$TL_MILTER_BIN is not built"
    "$TL_MILTER_BIN" -n -c "$conf" >"$TL_DIR/milter-n.out" 2>&1 ||
        tl_fail "config rejected: $(cat "$TL_DIR/milter-n.out")"
    case $sock in unix:*) rm -f "${sock#unix:}" ;; esac
    (
        umask 000 # a unix socket must be writable by the postfix user
        exec ${TL_NETNS:+ip netns exec "$TL_NETNS"} \
            "$TL_MILTER_BIN" -f -c "$conf" -p "$sock"
    ) >>"$TL_DIR/milter.log" 2>&1 &
    TL_MILTER_PID=$!
    local i
    for ((i = 0; i < 50; i++)); do
        case $sock in
        unix:*) [ -S "${sock#unix:}" ] && return 0 ;;
        *) tl_listening_ns "$(tl_port 3)" && return 0 ;;
        esac
        kill -0 "$TL_MILTER_PID" 2>/dev/null || break
        sleep 0.1
    done
    tl_fail "the milter did not start: $(cat "$TL_DIR/milter.log")"
}

# tl_milter_stop - stop the milter started by tl_milter
tl_milter_stop() {
    [ -n "$TL_MILTER_PID" ] || return 0
    kill "$TL_MILTER_PID" 2>/dev/null
    wait "$TL_MILTER_PID" 2>/dev/null
    TL_MILTER_PID=""
}

# ---- smtp-sink, the SMTP client, checks ---------------------------------

# tl_sink - start smtp-sink NAME on 127.0.0.1:PORT with extra options
tl_sink() {
    _tl_sink "" "$@"
}

# tl_sink_ns - tl_sink inside $TL_NETNS, on ADDR:PORT (ADDR of the namespace)
tl_sink_ns() {
    _tl_sink ns "$@"
}

# _tl_sink - start smtp-sink: WHERE ("" or ns) NAME [ADDR:]PORT options...
_tl_sink() {
    local where=$1 name=$2 addr_port=$3 ns=()
    [ "$3" = "${3##*:}" ] && addr_port=127.0.0.1:$3
    shift 3
    [ "$where" = ns ] && ns=(-n "$TL_NETNS")
    tb_sink "${ns[@]}" "$name" "$TL_DIR/sink.$name" "$addr_port" 50 "$@"
    TL_PIDS="$TL_PIDS $TB_PID"
    eval "TL_SINK_PID_$name=$TB_PID"
}

# tl_sink_stop - stop smtp-sink NAME
tl_sink_stop() {
    tb_kill_var TL_SINK_PID_$1
}

# tl_sink_idle - wait until sink NAME has no transaction open (5 s)
tl_sink_idle() {
    tb_sink_idle "$TL_DIR/sink.$1"
}

# tl_nmsgs - number of messages sink NAME received (files, empty ones too)
tl_nmsgs() {
    find "$TL_DIR/sink.$1" -type f 2>/dev/null | wc -l
}

# tl_msg - path of the only message sink NAME received (fails otherwise)
tl_msg() {
    local n
    n=$(tl_nmsgs "$1")
    [ "$n" = 1 ] || tl_fail "sink $1 has $n messages, want 1"
    find "$TL_DIR/sink.$1" -type f
}

# tl_smtp - send a message (stdin, LF line ends) to 127.0.0.1:PORT
# Prints nothing; $TL_DIR/smtp.out has the transcript.  Status 0 when the
# end of data got a 2xx reply; 1 when anything was refused.
tl_smtp() {
    local port=$1 from=$2 r fd line code ok=1 out=$TL_DIR/smtp.out
    shift 2
    : >"$out"
    exec {fd}<>"/dev/tcp/127.0.0.1/$port" || return 1
    _tl_reply() { # read one reply; its code in $code
        code=""
        while IFS= read -r -t 10 -u "$fd" line; do
            line=${line%$'\r'}
            echo "S: $line" >>"$out"
            [ "${line:3:1}" = "-" ] && continue
            code=${line:0:3}
            return 0
        done
        echo "S: (no reply)" >>"$out"
        return 1
    }
    _tl_cmd() { # send a command, read its reply
        echo "C: $1" >>"$out"
        printf '%s\r\n' "$1" >&"$fd"
        _tl_reply
    }
    if _tl_reply && [ "$code" = 220 ] &&
        _tl_cmd "EHLO client.test" && [ "$code" = 250 ] &&
        _tl_cmd "MAIL FROM:<$from>" && [ "$code" = 250 ]; then
        local nrcpt=0
        for r in "$@"; do
            _tl_cmd "RCPT TO:<$r>" && [ "$code" = 250 ] && nrcpt=$((nrcpt + 1))
        done
        if [ "$nrcpt" -gt 0 ] && _tl_cmd "DATA" && [ "$code" = 354 ]; then
            echo "C: (message)" >>"$out"
            sed -e 's/^\./../' -e 's/$/\r/' >&"$fd"
            _tl_cmd "." && [ "${code:0:1}" = 2 ] && [ "$nrcpt" = $# ] && ok=0
        fi
    fi
    _tl_cmd "QUIT"
    exec {fd}>&-
    return $ok
}

# tl_unfold - print FILE with folded header/DSN lines joined (one space)
tl_unfold() {
    awk '/^[ \t]/ { sub(/^[ \t]+/, " "); printf "%s", $0; next }
         NR > 1 { print "" } { printf "%s", $0 } END { print "" }' "$1"
}

# tl_msgfile - write a simple test message to FILE with Subject SUBJ
tl_msgfile() {
    cat >"$1" <<EOF
From: Sender <sender@sender.test>
To: Rcpt <rcpt@example.com>
Subject: ${2:-e2e test}
Message-ID: <$TL_NAME.$$.$RANDOM@sender.test>

Test message of $TL_NAME.
EOF
}

# ---- the usual set-up and checks of a sandwich test ---------------------

# tl_setup - sinks "internet" (port 4) and "bounce" (port 5), the gateway
tl_setup() {
    tl_sink internet "$(tl_port 4)"
    tl_sink bounce "$(tl_port 5)"
    tl_gateway
}

# tl_send - send one test message from sender@sender.test to RCPT...
# through the gateway's public smtpd; Subject SUBJ (default: the test name)
tl_send() {
    tl_msgfile "$TL_DIR/msg" "${TL_SUBJECT:-$TL_NAME}"
    tl_smtp "$(tl_port 0)" sender@sender.test "$@" <"$TL_DIR/msg" ||
        tl_fail "the gateway did not accept the message"
}

# tl_settle - wait until the gateway queue is empty and no sink has a
# transaction open (each wrote what it got: smtp-sink closes a dump
# before its reply to the dot, and Postfix dequeues after that reply)
tl_settle() {
    local d
    tl_pf_wait_empty gw "${1:-20}"
    for d in "$TL_DIR"/sink.*.pid; do
        [ -f "$d" ] && tb_sink_idle "${d%.pid}"
    done
    return 0
}

# tl_expect_nmsgs - sink NAME must have received exactly COUNT messages
# (counted once it has no transaction open)
tl_expect_nmsgs() {
    local n
    tl_sink_idle "$1"
    n=$(tl_nmsgs "$1")
    [ "$n" = "$2" ] || tl_fail "sink $1 received $n messages, want $2"
}

# tl_expect_in_msg - the only message of sink NAME must match REGEX
tl_expect_in_msg() {
    local f
    f=$(tl_msg "$1") || exit 1
    grep -Eq -- "$2" "$f" ||
        tl_fail "message in sink $1 does not match /$2/: $(cat "$f")"
}

# tl_expect_not_in_msg - the only message of sink NAME must not match REGEX
tl_expect_not_in_msg() {
    local f
    f=$(tl_msg "$1") || exit 1
    grep -Eq -- "$2" "$f" && tl_fail "message in sink $1 matches /$2/: $(cat "$f")"
    return 0
}

# tl_expect_milter_log - the milter's log must match REGEX (waits 5 s)
tl_expect_milter_log() {
    t_wait 5 grep -Eq -- "$1" "$TL_DIR/milter.log" 2>/dev/null && return 0
    tl_fail "milter log does not match /$1/"
}

# tl_expect_bypassed REASON - delivered directly, once, stamped
# "X-DLP-Bypass: REASON"; nothing bounced; the queue is empty
tl_expect_bypassed() {
    tl_settle
    tl_expect_nmsgs internet 1
    tl_expect_nmsgs bounce 0
    tl_expect_in_msg internet "^X-DLP-Bypass: $1\$"
    tl_expect_milter_log "verdict=bypass reason=$1 "
}

# tl_expect_deferred REGEX - the message waits in the deferred queue with
# a reason matching REGEX; nothing was delivered or bounced
tl_expect_deferred() {
    tl_pf_wait_deferred gw 20 >/dev/null
    echo "$TL_REASONS" | grep -Eq -- "$1" ||
        tl_fail "deferral reason does not match /$1/: $TL_REASONS"
    # the attempt is over (deferred with a reason); the sinks hold no
    # transaction open, so a copy that did get through is counted
    tl_sink_idle internet
    tl_sink_idle bounce
    tl_expect_nmsgs internet 0
    tl_expect_nmsgs bounce 0
    [ "$(tl_pf_count gw)" = 1 ] || tl_fail "want 1 message queued: $(tl_pf_json gw)"
}
