# t/fleet/fleetlib.sh - a fleet of gateways in front of several DLP hosts
# (issue 15), on top of t/e2e/testlib.sh (source it, do not run it).
#
# Layout (everything but the Postfix instances lives in namespaces made
# here, deleted at exit by tl_cleanup):
#   namespace "dlp"   the DLP hosts: 10.210.0.I/32 on its lo (I = 1..M),
#                     each an smtp-sink dumping into $TL_DIR/sink.dlpI/
#   namespace "gwN"   the milter of gateway N; a veth pair to "dlp",
#                     10.210.N.2/30 here, 10.210.N.1/30 there, and a
#                     route to 10.210.0.0/24 through it
#   Postfix "gwN"     a private instance on 127.0.0.1 (its own port
#                     block of 20), the sandwich of DESIGN.md section 1,
#                     its milter on the unix socket $TL_DIR/gwN.sock;
#                     bypassed mail to the one "internet" sink, bounces
#                     to the one "bounce" sink (ports 4 and 5 of the
#                     test's block)
#
#   fl_init NAME PORTBASE          tl_init, and skip without smtp-source,
#                                  iptables or network namespaces
#   fl_ns NAME                     make namespace NAME (lo up); its real
#                                  name in $FL_NS_<NAME>
#   fl_dlp_host I PORT             10.210.0.I on the dlp namespace's lo,
#                                  smtp-sink "dlpI" on it at PORT
#   fl_link N                      namespace gwN, linked to "dlp"
#   fl_drop ADDR / fl_undrop ADDR  in "dlp", iptables drops (stops
#                                  dropping) every TCP packet to ADDR: the
#                                  host died (established sessions stall
#                                  too, as with a power cut)
#   fl_gateway N BASE              Postfix instance gwN, ports BASE..+5
#   fl_conf FILE HOST:PORT...      the milter configuration of a gateway
#                                  (FLEET_BALANCE and the FLEET_* timings,
#                                  see fl_conf)
#   fl_milter N CONF               the milter of gateway N, in namespace
#                                  gwN, each log line prefixed with the
#                                  wall clock (epoch seconds): the log is
#                                  $TL_DIR/milter.gwN.log
#   fl_load N SESSIONS             smtp-source into gateway N until
#                                  fl_load_stop N: SESSIONS sessions, each
#                                  one message then a 1 s pause
#   fl_load_stop N
#   fl_now                         the wall clock, epoch seconds with ms

. "$(dirname "${BASH_SOURCE[0]}")/../e2e/testlib.sh"

FL_GATEWAYS=""

# fl_init - set up a fleet test: tl_init, the tools it needs
fl_init() {
    tl_init "$1" "$2"
    FL_OUT_BASE=$2
    : "${SMTP_SOURCE:=$(command -v smtp-source || echo /usr/sbin/smtp-source)}"
    [ -x "$SMTP_SOURCE" ] || tl_skip "smtp-source (package postfix) is not installed"
    command -v iptables >/dev/null || tl_skip "iptables is not installed"
    command -v python3 >/dev/null || tl_skip "python3 is not installed"
}

# tl_dump (the e2e one, and the milter log of each gateway)
eval "$(declare -f tl_dump | sed '1s/^tl_dump/fl_dump_e2e/')"
tl_dump() {
    local n
    fl_dump_e2e
    for n in $FL_GATEWAYS; do
        echo "---- milter log of gateway $n"
        tail -n 30 "$TL_DIR/milter.$n.log" 2>/dev/null
    done
}

# fl_now - the wall clock in epoch seconds, with milliseconds
fl_now() {
    date +%s.%3N
}

# fl_ns - make network namespace NAME (lo up), remembered for cleanup
fl_ns() {
    local ns=dlpfl-$1-$$
    ip netns add "$ns" 2>/dev/null ||
        tl_skip "cannot create a network namespace (ip netns add refused)"
    TL_NETNS_MADE="$TL_NETNS_MADE $ns"
    ip netns exec "$ns" ip link set lo up ||
        tl_skip "cannot configure the network namespace"
    eval "FL_NS_$1=$ns"
}

# fl_dlp_host - DLP host I: 10.210.0.I in namespace dlp, smtp-sink at PORT
fl_dlp_host() {
    local i=$1 port=$2
    ip netns exec "$FL_NS_dlp" ip addr add "10.210.0.$i/32" dev lo ||
        tl_skip "cannot add 10.210.0.$i in the namespace"
    TL_NETNS=$FL_NS_dlp tl_sink_ns "dlp$i" "10.210.0.$i:$port"
}

# fl_link - namespace gwN and a veth pair from it to namespace dlp
fl_link() {
    local n=$1 ns a=flg$1-$$ b=fld$1-$$
    fl_ns "gw$n"
    ns=$(fl_ns_of "gw$n")
    ip link add "$a" netns "$ns" type veth peer name "$b" netns "$FL_NS_dlp" ||
        tl_skip "cannot create a veth pair between namespaces"
    ip netns exec "$ns" ip addr add "10.210.$n.2/30" dev "$a" &&
        ip netns exec "$ns" ip link set "$a" up &&
        ip netns exec "$FL_NS_dlp" ip addr add "10.210.$n.1/30" dev "$b" &&
        ip netns exec "$FL_NS_dlp" ip link set "$b" up &&
        ip netns exec "$ns" ip route add 10.210.0.0/24 via "10.210.$n.1" ||
        tl_skip "cannot configure the veth pair of gw$n"
}

# fl_ns_of - print the real name of namespace NAME
fl_ns_of() {
    local v=FL_NS_$1
    echo "${!v}"
}

# fl_drop - the DLP host at ADDR stops answering anything (TCP dropped)
fl_drop() {
    ip netns exec "$FL_NS_dlp" iptables -A INPUT -d "$1" -p tcp -j DROP ||
        tl_skip "iptables refused a rule in the namespace"
}

# fl_undrop - the DLP host at ADDR answers again
fl_undrop() {
    ip netns exec "$FL_NS_dlp" iptables -D INPUT -d "$1" -p tcp -j DROP ||
        tl_fail "could not remove the iptables rule for $1"
}

# fl_gateway - Postfix instance gwN on ports BASE..BASE+5 (tl_gateway's
# layout), its milter on $TL_DIR/gwN.sock, mail out to the test's sinks
fl_gateway() {
    local n=gw$1 TL_PORTBASE=$2 out=$FL_OUT_BASE
    local TL_MILTER_SOCKET_PF=unix:$TL_DIR/$n.sock
    tl_pf_new "$n"
    {
        echo
        tl_fragment main.cf.fragment
    } >>"$(tl_pf_dir "$n")/main.cf"
    # a deferred message is retried within seconds, so that a tempfail
    # would show as a duplicate or a delay, never as a message left over
    tl_pf_main "$n" "relayhost = [127.0.0.1]:$((out + 4))" \
        "transport_maps = inline:{sender.test=smtp:[127.0.0.1]:$((out + 5))}" \
        "myhostname = $n.test" "queue_run_delay = 1s" \
        "minimal_backoff_time = 1s" "maximal_backoff_time = 2s"
    {
        echo "127.0.0.1:$(tl_port 0) inet n - n - - smtpd"
        echo "  -o syslog_name=postfix/public"
        tl_fragment master.cf.fragment
    } | tl_pf_master "$n"
    tl_pf_start "$n"
    tl_wait_port "$(tl_port 0)" || tl_fail "$n: public smtpd does not listen"
    tl_wait_port "$(tl_port 1)" || tl_fail "$n: :10025 smtpd does not listen"
    eval "FL_PUBLIC_$n=$(tl_port 0)"
}

# fl_conf - a gateway's milter configuration with DLP servers HOST:PORT...
# FLEET_BALANCE: "ordered" writes no dlp.balance key (the default), any
# other value is written as it is.  FLEET_CONNECT, FLEET_COMMAND,
# FLEET_DATA, FLEET_DEADLINE, FLEET_STAGGER_MS, FLEET_RETRY_MIN,
# FLEET_RETRY_MAX: written only when set (unset: the shipped defaults)
fl_conf() {
    local file=$1 extra="" health=""
    shift
    [ "${FLEET_BALANCE:-ordered}" != ordered ] &&
        extra="balance = \"$FLEET_BALANCE\"; "
    [ -n "${FLEET_STAGGER_MS-}" ] &&
        extra+="connect_stagger_ms = $FLEET_STAGGER_MS; "
    [ -n "${FLEET_RETRY_MIN-}" ] && health+="retry_min = $FLEET_RETRY_MIN; "
    [ -n "${FLEET_RETRY_MAX-}" ] && health+="retry_max = $FLEET_RETRY_MAX; "
    T_CONNECT=${FLEET_CONNECT:-default} T_COMMAND=${FLEET_COMMAND:-default} \
        T_DATA=${FLEET_DATA:-default} T_DEADLINE=${FLEET_DEADLINE:-default} \
        T_DLP_EXTRA="${extra}health: { $health};" T_TMPDIR=$TL_DIR \
        T_SOCKET="" T_DEF_SOCKET="" t_conf "$file" "$@"
}

# fl_milter - start the milter of gateway N with CONF in namespace gwN;
# every log line gets the wall clock in front ($TL_DIR/milter.gwN.log)
fl_milter() {
    local n=gw$1 conf=$2 sock ns pid i
    sock=$TL_DIR/$n.sock
    ns=$(fl_ns_of "$n")
    [ -x "$TL_MILTER_BIN" ] || tl_skip "$TL_MILTER_BIN is not built"
    "$TL_MILTER_BIN" -n -c "$conf" >"$TL_DIR/milter-n.out" 2>&1 || {
        grep -q 'balance' "$TL_DIR/milter-n.out" && [ -z "${FLEET_BALANCE_SET-}" ] &&
            tl_skip "this milter does not know dlp.balance = \"$FLEET_BALANCE\" (issue 15, balance); run with FLEET_BALANCE=ordered"
        tl_fail "config rejected: $(cat "$TL_DIR/milter-n.out")"
    }
    rm -f "$sock"
    (
        umask 000 # the socket must be writable by the postfix user
        exec ip netns exec "$ns" "$TL_MILTER_BIN" -f -c "$conf" -p "unix:$sock"
    ) > >(exec python3 -u -c '
import sys, time
for line in sys.stdin.buffer:
    sys.stdout.buffer.write(b"%.3f " % time.time() + line)
    sys.stdout.buffer.flush()
' >>"$TL_DIR/milter.$n.log") 2>&1 &
    pid=$!
    TL_PIDS="$TL_PIDS $pid"
    eval "FL_MILTER_PID_$n=$pid"
    FL_GATEWAYS="$FL_GATEWAYS $n"
    for ((i = 0; i < 50; i++)); do
        [ -S "$sock" ] && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    tl_fail "the milter of $n did not start: $(cat "$TL_DIR/milter.$n.log")"
}

# fl_load - steady load into gateway N: SESSIONS smtp-source sessions,
# each sending one message and pausing 1 s, until fl_load_stop N
fl_load() {
    local n=gw$1 port v
    v=FL_PUBLIC_$n
    port=${!v}
    "$SMTP_SOURCE" -s "$2" -w 1 -m 1000000 -l 2048 -f sender@sender.test \
        -t rcpt@example.com -M "client.$n.test" "127.0.0.1:$port" \
        >>"$TL_DIR/source.$n.log" 2>&1 &
    eval "FL_LOAD_PID_$n=$!"
    TL_PIDS="$TL_PIDS $!"
}

# fl_load_stop - stop the load into gateway N
fl_load_stop() {
    tb_kill_var FL_LOAD_PID_gw$1
}
