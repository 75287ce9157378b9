#!/bin/bash
# accepted.sh - the DLP says 250 to the dot: verdict delivered, its queue id
# kept, and the DLP received exactly the message, with one end of data,
# dot-stuffing undone (leading dots, a lone dot line, a final line with no
# newline).
. "$(dirname "$0")/libtest.sh"
lt_init accepted

lt_sink 1
t_conf "$LT_DIR/c" 1
printf 'Subject: test\nFrom: <s@example.com>\n\n.\n..two dots\n.leading\nbody line\r\nlast line' \
    >"$LT_DIR/msg"
lt_send "$LT_DIR/c" s@example.com r1@example.com r2@example.com <"$LT_DIR/msg"
lt_expect '^rcpt=<r1@example.com> status=accepted'
lt_expect '^rcpt=<r2@example.com> status=accepted'
lt_expect "^verdict=delivered reason=accepted dlp=127\.0\.0\.1\[127\.0\.0\.1\]:$(lt_port 1)/accepted "
# smtp-sink's final reply is "250 2.0.0 Ok": no queue id in it
lt_expect 'queue_id=$'
[ "$(lt_nmsgs 1)" = 1 ] || lt_fail "sink got $(lt_nmsgs 1) messages, want 1"
# what the client handed in, with line ends as the sink writes them (LF)
printf 'Subject: test\nFrom: <s@example.com>\n\n.\n..two dots\n.leading\nbody line\nlast line\n' \
    >"$LT_DIR/want"
lt_body 1 >"$LT_DIR/got"
cmp -s "$LT_DIR/want" "$LT_DIR/got" ||
    lt_fail "content differs: $(diff "$LT_DIR/want" "$LT_DIR/got")"
f=$(find "$LT_DIR/sink1" -type f)
grep -qx 'X-Mail-Args: <s@example.com>' "$f" || lt_fail "MAIL args: $(grep X-Mail "$f")"
[ "$(grep -c '^X-Rcpt-Args: <r[12]@example.com>$' "$f")" = 2 ] ||
    lt_fail "RCPT args: $(grep X-Rcpt "$f")"

# a 3 MB message, many lines starting with dots, goes over whole
lt_sink 2
t_conf "$LT_DIR/c2" 2
awk 'BEGIN { print "Subject: big"; print "";
             for (i = 0; i < 60000; i++)
                 printf "%s line %d %s\n", (i % 3 ? "." : ".."), i,
                        "0123456789abcdefghijklmnopqrstuvwxyz"; print "." }' \
    >"$LT_DIR/big"
lt_send "$LT_DIR/c2" s@example.com r@example.com <"$LT_DIR/big"
lt_expect '^verdict=delivered reason=accepted '
lt_body 2 >"$LT_DIR/got2"
cmp -s "$LT_DIR/big" "$LT_DIR/got2" || lt_fail "big message content differs"
echo "PASS: accepted"
