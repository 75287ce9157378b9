# t/rescan/rslib.sh - helpers of the retro-scan tests (source it, do not
# run it): the e2e harness (t/e2e/testlib.sh) with the gateway built from
# the shipped fragments' retro-scan lines the way a gateway uses them.
#
#   rs_setup                the sinks "internet" (port 4) and "bounce"
#                           (port 5) and the gateway: main.cf.fragment and
#                           master.cf.fragment with dlp_rescan_recipient
#                           $RS_RCPT, dlp_rescan_nexthop the DLP stand-in
#                           on port 6, and transport_maps =
#                           $dlp_rescan_transport first, then the test's
#                           own route for sender.test (as an operator
#                           with tables of his own writes it)
#   rs_conf FILE            a milter config: the DLP on port 6,
#                           bypass.rescan enabled for $RS_RCPT
#   rs_dumps NAME           messages sink NAME received to the end of
#                           data (empty dumps of a transaction that
#                           stopped early not counted)
#   rs_expect_dumps NAME N  that count must be N
#   rs_rescan_waiting       the queue holds exactly one message, for
#                           $RS_RCPT only, deferred; its queue id in $RS_QID
#   rs_send_from ADDR PORT RCPT FILE  send FILE (LF line ends) from
#                           source address ADDR to 127.0.0.1:PORT (python)
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/testlib.sh"

RS_RCPT=dlp-rescan@gw.test

# rs_setup - the sinks and the gateway with the retro-scan route
rs_setup() {
    tl_sink internet "$(tl_port 4)"
    tl_sink bounce "$(tl_port 5)"
    tl_pf_new gw
    {
        echo
        tl_fragment main.cf.fragment
    } >>"$(tl_pf_dir gw)/main.cf"
    tl_pf_main gw "relayhost = [127.0.0.1]:$(tl_port 4)" \
        "myhostname = gw.test" \
        "dlp_rescan_recipient = $RS_RCPT" \
        "dlp_rescan_nexthop = [127.0.0.1]:$(tl_port 6)" \
        "transport_maps = \$dlp_rescan_transport, inline:{sender.test=smtp:[127.0.0.1]:$(tl_port 5)}"
    {
        echo "127.0.0.1:$(tl_port 0) inet n - n - - smtpd"
        echo "  -o syslog_name=postfix/public"
        tl_fragment master.cf.fragment
    } | tl_pf_master gw
    tl_pf_start gw
    tl_wait_port "$(tl_port 0)" || tl_fail "gateway smtpd does not listen"
    tl_wait_port "$(tl_port 1)" || tl_fail "gateway :10025 smtpd does not listen"
}

# rs_conf - a milter configuration with retro-scan on
rs_conf() {
    T_BYPASS_EXTRA="rescan: { enabled = true; recipient = \"$RS_RCPT\"; };" \
        t_conf "$1" "127.0.0.1:$(tl_port 6)"
}

# rs_dumps - messages sink NAME received to the end of data
rs_dumps() {
    tl_sink_idle "$1"
    find "$TL_DIR/sink.$1" -type f -size +0 2>/dev/null | wc -l
}

# rs_expect_dumps - sink NAME must have received COUNT whole messages
rs_expect_dumps() {
    local n
    n=$(rs_dumps "$1")
    [ "$n" = "$2" ] || tl_fail "sink $1 received $n messages, want $2"
}

# rs_rescan_waiting - exactly one message queued, for $RS_RCPT only, deferred
rs_rescan_waiting() {
    local j rcpts
    tl_pf_wait_deferred gw 20 >/dev/null
    j=$(tl_pf_json gw)
    [ "$(tl_pf_count gw)" = 1 ] || tl_fail "want 1 message queued: $j"
    rcpts=$(tl_json_reasons <<<"$j" | cut -f1 | sort -u)
    [ "$rcpts" = "$RS_RCPT" ] ||
        tl_fail "the queued message is for '$rcpts', want only $RS_RCPT: $j"
    RS_QID=$(python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["queue_id"])' <<<"$j")
    postqueue -c "$(tl_pf_dir gw)" -p | grep -q "$RS_RCPT" ||
        tl_fail "postqueue -p does not show the copy: $(postqueue -c "$(tl_pf_dir gw)" -p)"
}

# rs_send_from - FILE from source ADDR to 127.0.0.1:PORT for RCPT
rs_send_from() {
    python3 - "$@" <<'PY'
import smtplib, sys
addr, port, rcpt, path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
with open(path, "rb") as f:
    msg = f.read().replace(b"\n", b"\r\n")
s = smtplib.SMTP("127.0.0.1", port, source_address=(addr, 0), timeout=10)
s.sendmail("sender@sender.test", [rcpt], msg)
s.quit()
PY
}
