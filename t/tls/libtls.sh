# t/tls/libtls.sh - helpers for the TLS tests (source it, do not run it).
#
# Builds on t/lib/libtest.sh (lt_init, lt_sink, lt_send, lt_expect, lt_fail,
# lt_port ...); lt_init allocates the test's block of ten ports.
#
#   tt_init NAME                   lt_init, plus the test certificates in
#                                  $CERTS (made once by gen-certs.sh)
#   tt_postfix N:CERT[:tls12]...   one private Postfix instance (needs root)
#                                  as the DLP, an smtpd with STARTTLS on
#                                  port PORTBASE+N for each N, presenting
#                                  $CERTS/CERT.pem (":tls12": TLS 1.3 off
#                                  on that listener); mail it accepts is
#                                  discarded; log in $TT_PFLOG
#   tt_evil N MODE                 t/tls/evilpeer.py on port PORTBASE+N,
#                                  capturing to $LT_DIR/evilN.cap
#   T_TLS=LEVEL T_TLS_EXTRA=TLSLINES t_conf FILE N[/LEVEL]...
#                                  a config with dlp.tls.level LEVEL, the
#                                  extra dlp.tls settings TLSLINES and the
#                                  servers 127.0.0.1:PORTBASE+N in that
#                                  order, each with its own tls_level when
#                                  given (t/testlib.sh; defaults here:
#                                  timeouts 2 5 5, deadline 20)
#   tt_send CONF                   lt_send CONF s@example.com r@example.com
#                                  with a fixed message whose body carries
#                                  the marker $TT_MARK
#   tt_pf_got                      how many messages the Postfix DLP queued
#   tt_pf_got_from SENDER          the same, from SENDER
#   tt_pf_tls                      how many TLS sessions Postfix logged

. "$(dirname "${BASH_SOURCE[0]}")/../lib/libtest.sh"

TT_PF_DIR=""
TT_MARK="SECRET-BODY-MARKER-4711"

tt_init() {
    lt_init "$@"
    t_conf_defaults 2 5 5 20
    trap tt_cleanup EXIT
    command -v openssl >/dev/null || {
        echo "SKIP: the openssl command is not installed"
        exit 77
    }
    CERTS=$top_builddir/t/tls/certs
    mkdir -p "$top_builddir/t/tls"
    (
        flock 9
        bash "$top_srcdir/t/tls/gen-certs.sh" "$CERTS"
    ) 9>"$top_builddir/t/tls/.certs.lock" ||
        lt_fail "cannot make the test certificates"
    printf 'Subject: tls test\nFrom: <s@example.com>\n\n%s\n' "$TT_MARK" \
        >"$LT_DIR/msg"
}

tt_cleanup() {
    if [ -n "$TT_PF_DIR" ]; then
        "$POSTFIX" -c "$TT_PF_DIR" stop >/dev/null 2>&1
        for _ in $(seq 1 30); do
            [ -f "$TT_PF_DIR/q/pid/master.pid" ] || break
            kill -0 "$(cat "$TT_PF_DIR/q/pid/master.pid" 2>/dev/null)" \
                2>/dev/null || break
            sleep 0.1
        done
    fi
    lt_cleanup
}

tt_postfix() {
    local spec n cert port d opt
    : "${POSTFIX:=$(command -v postfix || echo /usr/sbin/postfix)}"
    if [ ! -x "$POSTFIX" ]; then
        echo "SKIP: postfix is not installed"
        exit 77
    fi
    if [ "$(id -u)" != 0 ]; then
        echo "SKIP: a private Postfix instance needs root"
        exit 77
    fi
    d=$LT_DIR/pf
    mkdir -p "$d/q" "$d/data"
    TT_PFLOG=$d/maillog
    cat >"$d/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $d/q
data_directory = $d/data
maillog_file = $TT_PFLOG
maillog_file_prefixes = $LT_DIR
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = dlp.test
mydestination =
relay_domains =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
default_transport = discard:dlp
alias_maps =
alias_database =
local_recipient_maps =
smtpd_tls_security_level = may
smtpd_tls_CAfile = $CERTS/ca.pem
smtpd_tls_ask_ccert = yes
smtpd_tls_loglevel = 1
EOF
    tb_pf_master_cf >"$d/master.cf"
    for spec in "$@"; do
        n=${spec%%:*} cert=${spec#*:} opt=""
        case $cert in
        *:tls12) cert=${cert%:tls12} opt="-o smtpd_tls_protocols=!TLSv1.3" ;;
        esac
        port=$(lt_port "$n")
        lt_listening "$port" && lt_fail "port $port is already in use"
        echo "127.0.0.1:$port inet n - n - - smtpd" \
            "-o smtpd_tls_cert_file=$CERTS/$cert.pem" \
            "-o smtpd_tls_key_file=$CERTS/$cert.key $opt" >>"$d/master.cf"
    done
    "$POSTFIX" -c "$d" set-permissions >/dev/null 2>&1
    TT_PF_DIR=$d
    "$POSTFIX" -c "$d" start >"$LT_DIR/pf.start" 2>&1 ||
        lt_fail "postfix did not start: $(cat "$LT_DIR/pf.start")"
    for spec in "$@"; do
        port=$(lt_port "${spec%%:*}")
        tb_wait_port "$port" 5 || lt_fail "postfix does not listen on $port"
    done
}

tt_evil() {
    local n=$1 mode=$2 port
    port=$(lt_port "$n")
    command -v python3 >/dev/null || {
        echo "SKIP: python3 (for the misbehaving test peer) is not installed"
        exit 77
    }
    lt_serve evilpeer "$n" "$LT_DIR/evil$n.log" \
        python3 "$top_srcdir/t/tls/evilpeer.py" "$port" "$mode" \
        "$LT_DIR/evil$n.cap" "" "$CERTS/good.pem" "$CERTS/good.key"
}

tt_send() {
    lt_send "$1" s@example.com r@example.com <"$LT_DIR/msg"
}

# _tt_pf_quiet - true when the Postfix DLP has logged the end of every
# smtpd session it logged the start of, and qmgr has picked up every
# message cleanup took in (the log is one datagram queue to postlogd:
# cleanup's line comes before smtpd's 250, so before its disconnect)
_tt_pf_quiet() {
    local c d m q
    c=$(grep -c 'smtpd\[[0-9]*\]: connect from' "$TT_PFLOG")
    d=$(grep -c 'smtpd\[[0-9]*\]: disconnect from' "$TT_PFLOG")
    m=$(grep -c 'cleanup\[[0-9]*\]: [0-9A-F]*: message-id=' "$TT_PFLOG")
    q=$(grep -c 'qmgr\[[0-9]*\]: [0-9A-F]*: from=' "$TT_PFLOG")
    [ "$c" = "$d" ] && [ "$m" = "$q" ]
}

# tt_pf_got_from - messages from SENDER the Postfix DLP queued, once the
# DLP is quiet (5 s at most)
tt_pf_got_from() {
    t_wait 5 _tt_pf_quiet
    grep -c "qmgr.*from=<$1>" "$TT_PFLOG"
}

tt_pf_got() {
    tt_pf_got_from s@example.com
}

# tt_pf_tls - TLS sessions the Postfix DLP logged, once it is quiet
tt_pf_tls() {
    t_wait 5 _tt_pf_quiet
    grep -c 'TLS connection established from' "$TT_PFLOG"
}
