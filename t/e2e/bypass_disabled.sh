#!/bin/bash
# bypass_disabled.sh - every DLP host unreachable, but bypass.enabled is
# false: the message is not delivered unscanned; it waits in the deferred
# queue with a 4.4.1 reason naming the DLP host, and goes nowhere.
. "$(dirname "$0")/testlib.sh"
tl_init bypass_disabled

tl_setup
T_BYPASS=false t_conf "$TL_DIR/dlp.conf" \
    "127.0.0.1:$(tl_port 6)" "127.0.0.1:$(tl_port 7)"
tl_milter "$TL_DIR/dlp.conf"
tl_send rcpt@example.com
tl_expect_deferred "4\.4\.1 .*DLP .*:($(tl_port 6)|$(tl_port 7))"
tl_expect_milter_log "verdict=tempfail "
grep -q 'X-DLP-Bypass' "$(tl_pf_dir gw)"/q/deferred/*/* 2>/dev/null &&
    tl_fail "the queued message carries a bypass header"
tl_pass
