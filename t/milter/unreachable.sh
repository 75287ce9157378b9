#!/bin/bash
# unreachable.sh - every DLP port refused (nothing listens): the milter
# stamps the bypass header with the reason and answers SMFIS_ACCEPT
# (row 1), quickly; the configured header name is used, and a field of
# that name the message brought along is deleted.
. "$(dirname "$0")/mtlib.sh"
mt_init unreachable

T_HEADER=X-Test-Bypass t_conf "$MT_DIR/c" 1 2 # nothing listens there
mt_start "$MT_DIR/c"
mt_run unreachable.lua -D "header=X-Test-Bypass"
mt_stop
mt_log_expect "QID2: verdict=bypass reason=unreachable dlp=[^ ]*:$(mt_port 1)/unreachable,[^ ]*:$(mt_port 2)/unreachable delay=0\.[0-9]{3} from=<sender@example.com> nrcpt=1"
echo "PASS: unreachable"
