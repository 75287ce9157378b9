#!/bin/bash
# timeout_alone.sh - seed row 2: the first DLP host accepts the connection
# but never greets (session timeout), the other host refuses.  One timed
# out host and every other unreachable: bypass, delivered once, stamped
# "X-DLP-Bypass: session_timeout"; the stalled host got nothing.
. "$(dirname "$0")/testlib.sh"
tl_init timeout_alone

tl_setup
tl_sink stall "$(tl_port 6)" -W CONNECT:30
t_conf "$TL_DIR/dlp.conf" "127.0.0.1:$(tl_port 6)" "127.0.0.1:$(tl_port 7)"
tl_milter "$TL_DIR/dlp.conf"
tl_send rcpt@example.com
tl_expect_bypassed session_timeout
tl_expect_milter_log "dlp=[^ ]*:$(tl_port 6)/session_timeout,[^ ]*:$(tl_port 7)/unreachable"
tl_expect_nmsgs stall 0
tl_pass
