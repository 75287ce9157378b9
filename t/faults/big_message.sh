#!/bin/bash
# big_message.sh - TESTING.md row 15: a 100 MB message.  The milter keeps
# its memory bounded (the body spills to disk above milter.spill_size): the
# growth of its resident set while it handles the message stays under
# 8 MB (measured from /proc, printed).  The verdict is right: the DLP
# received the whole message exactly once, intact, nothing went to the
# Internet directly.  Private Postfix sandwich
# BIG_MBYTES changes the size (default 100).
. "$(dirname "$0")/../e2e/testlib.sh"
tl_init big_message
MB=${BIG_MBYTES:-100}
command -v python3 >/dev/null || tl_skip "python3 is not installed"
avail=$(df -Pm "$TL_DIR" | awk 'NR == 2 { print $4 }')
[ "$avail" -gt $((MB * 5)) ] || tl_skip "needs $((MB * 5)) MB free in $TL_DIR"

tl_setup
tl_pf_main gw "message_size_limit = 0" "mailbox_size_limit = 0"
tl_pf_reload gw
tl_sink dlp "$(tl_port 6)"
T_COMMAND=30 T_DATA=120 T_DEADLINE=20 \
    T_MILTER="spill_size = 1048576; tmpdir = \"$TL_DIR\";" \
    t_conf "$TL_DIR/dlp.conf" "127.0.0.1:$(tl_port 6)"
tl_milter "$TL_DIR/dlp.conf"
pid=$TL_MILTER_PID
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status"; }
hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status"; }

# warm-up: one small message (threads, libraries, first allocations)
TL_SUBJECT="warm-up" tl_send rcpt@example.com
tl_settle 30
tl_expect_nmsgs dlp 1
base=$(rss)
base_hwm=$(hwm)

# sample the resident set while the big message goes through
(
    max=0
    while kill -0 "$pid" 2>/dev/null; do
        r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
        [ -n "$r" ] && [ "$r" -gt "$max" ] && max=$r && echo "$max" >"$TL_DIR/rss.max"
        sleep 0.1
    done
) &
sampler=$!
TL_PIDS="$TL_PIDS $sampler"
python3 "$(dirname "$0")/bigsend.py" "$(tl_port 0)" sender@sender.test \
    rcpt@example.com "$MB" "big message" >"$TL_DIR/bigsend.out" 2>&1 ||
    tl_fail "the gateway did not take the big message: $(cat "$TL_DIR/bigsend.out")"
tl_settle 300
kill "$sampler" 2>/dev/null
peak=$(cat "$TL_DIR/rss.max" 2>/dev/null || echo 0)
end_hwm=$(hwm)
[ "$end_hwm" -gt "$peak" ] && [ "$end_hwm" -gt "$base_hwm" ] && peak=$end_hwm
growth=$((peak - base))
echo "milter RSS: ${base} kB before, peak ${peak} kB, growth ${growth} kB for a ${MB} MB message"

tl_expect_milter_log "verdict=delivered .*"
tl_expect_nmsgs internet 0
tl_expect_nmsgs bounce 0
tl_expect_nmsgs dlp 2
f=$(grep -l '^Subject: big message' "$TL_DIR"/sink.dlp/*) || tl_fail "no big message at the DLP"
size=$(stat -c %s "$f")
[ "$size" -ge $((MB * 1000000)) ] || tl_fail "the DLP's copy has $size bytes, want >= $MB MB"
tail -n 2 "$f" | grep -qx 'END-OF-BIG-MESSAGE' || tl_fail "the DLP's copy is cut short"
want=$(sed -n 's/^lines=\([0-9]*\) .*/\1/p' "$TL_DIR/bigsend.out")
got=$(awk 'body { n++ } /^$/ && !body { body = 1 } END { print n - 1 }' "$f")
[ "$got" = "$want" ] || tl_fail "the DLP's copy has $got body lines, want $want"
grep -c '^\.[0-9]' "$f" | grep -qx "$(( (want - 1 + 999) / 1000 ))" ||
    tl_fail "dot lines not un-stuffed to one dot: $(grep -c '^\.[0-9]' "$f")"
[ "$growth" -lt 8192 ] || tl_fail "milter RSS grew by $growth kB (limit 8192 kB)"
tl_pass
