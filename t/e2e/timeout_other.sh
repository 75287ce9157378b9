#!/bin/bash
# timeout_other.sh - seed row 3: the first DLP host times out (never
# greets), the second is reachable and accepts.  Not a bypass: the second
# host decides, so the message is delivered to DLP once, and neither
# delivered directly nor kept.
. "$(dirname "$0")/testlib.sh"
tl_init timeout_other

tl_setup
tl_sink stall "$(tl_port 6)" -W CONNECT:30
tl_sink dlp "$(tl_port 7)"
t_conf "$TL_DIR/dlp.conf" "127.0.0.1:$(tl_port 6)" "127.0.0.1:$(tl_port 7)"
tl_milter "$TL_DIR/dlp.conf"
tl_send rcpt@example.com
tl_settle
tl_expect_nmsgs dlp 1
tl_expect_nmsgs stall 0
tl_expect_nmsgs internet 0
tl_expect_nmsgs bounce 0
tl_expect_in_msg dlp "^X-Rcpt-Args: <rcpt@example\.com>"
tl_expect_not_in_msg dlp "^X-DLP-Bypass:"
tl_expect_milter_log "verdict=delivered .*dlp=[^ ]*:$(tl_port 6)/session_timeout,[^ ]*:$(tl_port 7)/accepted"
tl_pass
