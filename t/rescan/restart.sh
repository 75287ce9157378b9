#!/bin/bash
# restart.sh - the retro-scan copy survives a gateway restart mid-outage:
# the DLP is down, a message is bypassed and its marked copy waits; the
# private Postfix and the milter are stopped and started again; the copy
# is still queued, and once the DLP is back it reaches the DLP exactly
# once.  The original recipient got exactly one copy throughout.
. "$(dirname "$0")/rslib.sh"
tl_init rescan-restart

command -v python3 >/dev/null || tl_skip "python3 is needed to read postqueue -j"
rs_setup
rs_conf "$TL_DIR/dlp.conf"
tl_milter "$TL_DIR/dlp.conf"
TL_SUBJECT=restarted tl_send rcpt@example.com
rs_rescan_waiting
qid=$RS_QID
tl_expect_milter_log "$qid: verdict=bypass reason=unreachable .* rescan=yes "

# the gateway goes down and comes back while the DLP is still down
tl_milter_stop
tl_pf_stop gw
tl_pf_start gw
tl_wait_port "$(tl_port 1)" || tl_fail "gateway :10025 smtpd does not listen"
tl_milter "$TL_DIR/dlp.conf"
rs_rescan_waiting
[ "$RS_QID" = "$qid" ] || tl_fail "the queued message is $RS_QID, want $qid"

# the DLP is back
tl_sink dlp "$(tl_port 6)"
tl_pf_flush gw
tl_settle
rs_expect_dumps dlp 1
tl_expect_in_msg dlp '^Subject: restarted'
tl_expect_in_msg dlp "^X-DLP-Rescan: $qid [0-9T:-]+Z unreachable"
tl_expect_in_msg dlp "^X-Rcpt-Args: <$RS_RCPT>"
sleep 1
rs_expect_dumps dlp 1
rs_expect_dumps internet 1
tl_expect_in_msg internet '^Subject: restarted'
tl_expect_nmsgs bounce 0
tl_pass
