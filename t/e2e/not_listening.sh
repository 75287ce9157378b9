#!/bin/bash
# not_listening.sh - the DLP server runs, but not on the configured port
# (it listens on another one): the configured port refuses, so the message
# is bypassed like any unreachable host, and the DLP gets nothing.
. "$(dirname "$0")/testlib.sh"
tl_init not_listening

tl_setup
tl_sink dlp "$(tl_port 7)"
t_conf "$TL_DIR/dlp.conf" "127.0.0.1:$(tl_port 6)"
tl_milter "$TL_DIR/dlp.conf"
tl_send rcpt@example.com
tl_expect_bypassed unreachable
tl_expect_nmsgs dlp 0
tl_pass
