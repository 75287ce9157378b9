#!/bin/bash
# recover.sh - the DLP defers (4xx at the final dot), the message waits in
# the deferred queue; the DLP recovers, "postqueue -f" retries, and the
# message reaches the DLP exactly once and is neither delivered directly
# nor left in the queue.
. "$(dirname "$0")/testlib.sh"
tl_init recover

tl_setup
tl_sink busy "$(tl_port 6)" -r MAIL -b "451 4.3.2 DLP-overloaded"
t_conf "$TL_DIR/dlp.conf" "127.0.0.1:$(tl_port 6)"
tl_milter "$TL_DIR/dlp.conf"
tl_send rcpt@example.com
tl_expect_deferred "DLP-overloaded"
tl_sink_stop busy
tl_sink dlp "$(tl_port 6)"
tl_pf_flush gw
tl_settle
tl_expect_nmsgs dlp 1
tl_expect_nmsgs internet 0
tl_expect_nmsgs bounce 0
tl_expect_in_msg dlp "^Subject: recover$"
sleep 1
tl_expect_nmsgs dlp 1
tl_pass
