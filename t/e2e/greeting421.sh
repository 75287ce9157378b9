#!/bin/bash
# greeting421.sh - seed row 6: the only DLP host answers the connection
# with "421" (busy) and hangs up.  It was reachable, so no bypass: the
# message waits in the deferred queue with the DLP's 421 text.
. "$(dirname "$0")/testlib.sh"
tl_init greeting421 22140

tl_setup
tl_sink busy "$(tl_port 6)" -Q CONNECT
t_conf "$TL_DIR/dlp.conf" "127.0.0.1:$(tl_port 6)"
tl_milter "$TL_DIR/dlp.conf"
tl_send rcpt@example.com
tl_expect_deferred "DLP [^ ]*:$(tl_port 6) said: 421 "
tl_expect_nmsgs busy 0
tl_expect_milter_log "verdict=tempfail "
tl_pass
