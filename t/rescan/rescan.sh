#!/bin/bash
# rescan.sh - the retro-scan of a bypassed message, end to end (issue 10),
# through a private Postfix built from the shipped fragments:
# 1. the DLP is down: the message is bypassed and delivered once to the
#    Internet, stamped X-DLP-Bypass and X-DLP-Rescan: QUEUEID TIME REASON;
#    the decision line says rescan=yes; its marked copy, for the rescan
#    address only, waits in the deferred queue (postqueue -p), and went
#    nowhere else;
# 2. the DLP is back but refuses the copy with 5xx: no bounce, the copy
#    stays deferred with the DLP's text (dlprescan's reply filter);
# 3. the DLP takes it (postqueue -f): it reaches the DLP exactly once,
#    with the same X-DLP-Rescan; nothing else is delivered;
# 4. the DLP reflects it to 10026: discarded, never delivered;
# 5. a DLP in forward mode sends it to the gateway's port 25: discarded
#    at the 10025 smtpd before the milter hands it to the DLP again.
. "$(dirname "$0")/rslib.sh"
tl_init rescan

command -v python3 >/dev/null || tl_skip "python3 is needed to reflect from 127.0.0.2"
TL_REFLECT_NETS=127.0.0.2/32
rs_setup
rs_conf "$TL_DIR/dlp.conf"
tl_milter "$TL_DIR/dlp.conf"
hdr_re='^X-DLP-Rescan: [0-9A-Za-z]+ [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z unreachable'

# 1. the DLP is down: bypassed, delivered once; the marked copy waits
TL_SUBJECT=bypassed tl_send rcpt@example.com
rs_rescan_waiting
for ((i = 0; i < 50; i++)); do
    [ "$(rs_dumps internet)" -ge 1 ] && break
    sleep 0.2
done
rs_expect_dumps internet 1
tl_expect_nmsgs bounce 0
tl_expect_in_msg internet '^X-DLP-Bypass: unreachable'
tl_expect_in_msg internet '^X-Rcpt-Args: <rcpt@example.com> '
tl_expect_in_msg internet "^X-DLP-Rescan: $RS_QID [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z unreachable"$'\r?$'
tl_expect_milter_log "verdict=bypass reason=unreachable .* rescan=yes "
[ "$(grep -c 'verdict=' "$TL_DIR/milter.log")" = 1 ] ||
    tl_fail "want one decision line: $(grep 'verdict=' "$TL_DIR/milter.log")"
# the copy was offered to the DLP's port and to nothing else
grep "to=<$RS_RCPT>" "$(tl_pf_dir gw)/maillog" | grep -v 'postfix/dlprescan/' &&
    tl_fail "the copy was handled by another transport than dlprescan"
tl_pf_wait_log gw "postfix/dlprescan/smtp.*to=<$RS_RCPT>.*relay=none.*status=deferred.*127\.0\.0\.1\]:$(tl_port 6)"

# 2. the DLP refuses the copy with 5xx: deferred with its text, no bounce
tl_sink block "$(tl_port 6)" -f . -B "550 5.7.1 DLP-policy-blocked"
tl_pf_flush gw
tl_pf_wait_log gw "postfix/dlprescan/smtp.*to=<$RS_RCPT>.*status=deferred.*DLP-policy-blocked"
sleep 0.5
tl_pf_json gw | grep -q '"queue_name": *"deferred"' ||
    tl_fail "the refused copy is not deferred: $(tl_pf_json gw)"
[ "$(tl_pf_count gw)" = 1 ] || tl_fail "want the copy queued: $(tl_pf_json gw)"
tl_expect_nmsgs bounce 0
grep -q "to=<$RS_RCPT>.*status=bounced" "$(tl_pf_dir gw)/maillog" &&
    tl_fail "the copy bounced"
tl_sink_stop block

# 3. the DLP is back: the copy reaches it, once, marked
tl_sink dlp "$(tl_port 6)"
tl_pf_flush gw
tl_settle
rs_expect_dumps dlp 1
tl_expect_in_msg dlp '^Subject: bypassed'
tl_expect_in_msg dlp "^X-DLP-Rescan: $RS_QID "
[ "$(grep -c '^X-Rcpt-Args:' "$(tl_msg dlp)")" = 1 ] ||
    tl_fail "the DLP got the copy for more than one recipient"
tl_expect_in_msg dlp "^X-Rcpt-Args: <$RS_RCPT>"
got=$(grep -E '^X-DLP-Rescan:' "$(tl_msg dlp)" | tr -d '\r')
want=$(grep -E '^X-DLP-Rescan:' "$(tl_msg internet)" | tr -d '\r')
[ "$got" = "$want" ] && echo "$got" | grep -Eq "$hdr_re" ||
    tl_fail "the DLP got '$got', the Internet '$want'"
grep -q "to=<$RS_RCPT>.*relay=127\.0\.0\.1\[127\.0\.0\.1\]:$(tl_port 6).*status=sent" \
    "$(tl_pf_dir gw)/maillog" || tl_fail "no delivery of the copy to the DLP logged"
rs_expect_dumps internet 1
tl_expect_nmsgs bounce 0

# 4. the DLP reflects the copy back to 10026: discarded
tb_sink_body "$(tl_msg dlp)" | tr -d '\r' >"$TL_DIR/copy"
rs_send_from 127.0.0.2 "$(tl_port 2)" "$RS_RCPT" "$TL_DIR/copy" ||
    tl_fail "the DLP could not reflect the copy"
tl_settle
sleep 1
rs_expect_dumps dlp 1
rs_expect_dumps internet 1
tl_pf_wait_log gw "postfix/dlp-reflect/smtpd.*discard.*<$RS_RCPT>" 2

# 5. a DLP in forward mode sends it to the gateway's port 25: discarded
rs_send_from 127.0.0.1 "$(tl_port 0)" "$RS_RCPT" "$TL_DIR/copy" ||
    tl_fail "the gateway did not take the forwarded copy"
tl_settle
sleep 1
rs_expect_dumps dlp 1
rs_expect_dumps internet 1
tl_expect_nmsgs bounce 0
tl_pf_wait_log gw "postfix/dlp-in/smtpd.*discard.*<$RS_RCPT>" 2
[ "$(grep -c 'verdict=' "$TL_DIR/milter.log")" = 1 ] ||
    tl_fail "the milter decided again: $(grep 'verdict=' "$TL_DIR/milter.log")"
tl_pass
