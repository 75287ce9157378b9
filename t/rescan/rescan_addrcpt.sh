#!/bin/bash
# rescan_addrcpt.sh - the milter side of the retro-scan, with miltertest:
# a bypassed message gets the rescan recipient (smfi_addrcpt) and one
# X-DLP-Rescan field (QUEUEID ISO-TIME REASON), the forged one deleted,
# and the decision line says rescan=yes; when the MTA does not offer
# SMFIF_ADDRCPT, smfi_addrcpt fails and the message is tempfailed with
# reason internal:rescan, never bypassed without its copy.
. "$(dirname "$0")/../milter/mtlib.sh"
mt_init rescan_addrcpt

rs_rcpt=dlp-rescan@gw.example.com
t_conf "$MT_DIR/c" 1 # nothing listens there
sed -i "/^  enabled = /a\\  rescan: { enabled = true; recipient = \"$rs_rcpt\"; };" "$MT_DIR/c"
"$MT_MILTER" -n -c "$MT_DIR/c" >"$MT_DIR/n.out" 2>&1 ||
    mt_fail "config rejected: $(cat "$MT_DIR/n.out")"
mt_start "$MT_DIR/c"
for offer in all noaddrcpt; do
    "$MILTERTEST" -s "$top_srcdir/t/rescan/addrcpt.lua" -D "sock=$MT_SOCK" \
        -D "lib=$top_srcdir/t/milter/mt.lua" -D "offer=$offer" \
        -D "rcpt_addr=$rs_rcpt" >"$MT_OUT" 2>&1 ||
        mt_fail "miltertest addrcpt.lua offer=$offer failed (status $?)"
done
mt_stop
mt_log_expect 'QR-all: verdict=bypass reason=unreachable .* rescan=yes '
mt_log_expect 'QR-noaddrcpt: verdict=tempfail reason=internal:rescan .*reply="451 4\.3\.0 DLP filter: cannot add the retro-scan recipient'
mt_log_reject 'QR-noaddrcpt: verdict=bypass'
echo "PASS: rescan_addrcpt"
