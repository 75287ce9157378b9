#!/bin/bash
# milter_down.sh - the milter is not running: milter_default_action =
# tempfail (set by master.cf.fragment) keeps the message deferred, never
# delivered unscanned.  Once the milter runs, "postqueue -f" hands the
# message to the DLP, which gets it exactly once.
. "$(dirname "$0")/testlib.sh"
tl_init milter_down

tl_setup
tl_sink dlp "$(tl_port 6)"
tl_send rcpt@example.com
tl_expect_deferred "said: 4[0-9][0-9] 4\.7\.1 "
t_conf "$TL_DIR/dlp.conf" "127.0.0.1:$(tl_port 6)"
tl_milter "$TL_DIR/dlp.conf"
tl_pf_flush gw
tl_settle
tl_expect_nmsgs dlp 1
tl_expect_nmsgs internet 0
tl_expect_nmsgs bounce 0
tl_expect_milter_log "verdict=delivered "
tl_pass
