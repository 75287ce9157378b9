#!/bin/bash
# bypass_disabled.sh - every DLP port refused and bypass.enabled = false:
# no bypass; the milter refuses MAIL with 451 4.4.1 (TEMPFAIL), the
# message stays queued, and nothing is stamped.
. "$(dirname "$0")/mtlib.sh"
mt_init bypass_disabled

T_BYPASS=false t_conf "$MT_DIR/c" 1 # nothing listens there
mt_start "$MT_DIR/c"
mt_run bypass_disabled.lua
mt_stop
mt_log_expect "QID3: verdict=tempfail reason=disabled dlp=[^ ]*:$(mt_port 1)/unreachable delay=[0-9.]+ from=<sender@example.com> nrcpt=0 reply=\"451 4\.4\.1 [^\"]+\""
mt_log_reject 'verdict=bypass'
echo "PASS: bypass_disabled"
