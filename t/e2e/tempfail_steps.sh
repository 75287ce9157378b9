#!/bin/bash
# tempfail_steps.sh - seed row 5: the DLP answers 4xx to MAIL, to RCPT,
# to DATA, and to the final dot (one message each).  Every time the
# message waits in the deferred queue, postqueue -j shows the DLP's own
# text, and nothing is delivered or bounced.  The "(in reply to ...
# command)" that Postfix's dlpscan client adds for the step it was at
# appears once: the milter's reply does not repeat it.
. "$(dirname "$0")/testlib.sh"
tl_init tempfail_steps

tl_setup
t_conf "$TL_DIR/dlp.conf" "127.0.0.1:$(tl_port 6)"
tl_milter "$TL_DIR/dlp.conf"
for step in MAIL RCPT DATA .; do
    name=busy_${step/./dot}
    tl_sink "$name" "$(tl_port 6)" -r "$step" -b "452 4.3.1 DLP-busy-at-$name"
    tl_send rcpt@example.com
    tl_expect_deferred "said: 452 4\.3\.1 DLP-busy-at-$name"
    case $step in
    MAIL) echo_cmd="MAIL FROM" ;;
    RCPT) echo_cmd="RCPT TO" ;;
    *) echo_cmd="end of DATA" ;;
    esac
    n=$(grep -oF "(in reply to $echo_cmd command)" <<<"$TL_REASONS" | wc -l)
    [ "$n" = 1 ] ||
        tl_fail "4xx at $step: \"(in reply to $echo_cmd command)\" $n times, want once: $TL_REASONS"
    tl_sink_stop "$name"
    tl_pf_purge gw
done
tl_pass
