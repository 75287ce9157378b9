#!/bin/bash
# refused.sh - seed row 1: the only DLP host refuses the connection
# (nothing listens on its port).  The message is bypassed: delivered
# directly to the Internet once, stamped "X-DLP-Bypass: unreachable".
. "$(dirname "$0")/testlib.sh"
tl_init refused

tl_setup
t_conf "$TL_DIR/dlp.conf" "127.0.0.1:$(tl_port 6)"
tl_milter "$TL_DIR/dlp.conf"
tl_send rcpt@example.com
tl_expect_bypassed unreachable
tl_expect_milter_log "dlp=[^ ]*:$(tl_port 6)/unreachable"
tl_pass
