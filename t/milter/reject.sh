#!/bin/bash
# reject.sh - the DLP answers 5xx to the final dot: the milter rejects the
# message with the DLP's own code, enhanced code and text (row 7); a DLP
# reply with '%' in it reaches Postfix intact (escaped for smfi_setreply).
. "$(dirname "$0")/mtlib.sh"
mt_init reject

mt_sink 1 -f . -B '554 5.7.1 Blocked by DLP policy: 100% confidential'
t_conf "$MT_DIR/c" 1
mt_start "$MT_DIR/c"
mt_run reject.lua
mt_stop
mt_log_expect "QID4: verdict=reject reason=rejected dlp=[^ ]*:$(mt_port 1)/rejected delay=[0-9.]+ from=<sender@example.com> nrcpt=1 reply=\"554 5\.7\.1 Blocked by DLP policy: 100% confidential\""
echo "PASS: reject"
