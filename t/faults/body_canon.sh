#!/bin/bash
# body_canon.sh - TESTING.md row 11: bare CR, bare LF, "\n.\n", "\r\n.\r",
# "\n.\r\n", leading dots, no final CRLF, 8-bit, NUL, a 1 MB line, an
# empty message.  The DLP (Postfix's smtp-sink, which itself takes a bare
# LF as a line end, so any stray line end that reached it would end the
# data early) must receive each as exactly one message, canonical CRLF,
# correctly dot-stuffed (it un-stuffs to the canonical text), and no
# command smuggled in the body may reach it as a command.
# dlpsend (the library) against smtp-sink
. "$(dirname "$0")/../lib/libtest.sh"
lt_init body_canon
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
cases=$(python3 "$(dirname "$0")/bodycases.py" write "$LT_DIR") ||
    lt_fail "cannot write the cases"
lt_sink 0 -v
t_conf "$LT_DIR/c" 0
for name in $cases; do
    rm -f "$LT_DIR"/sink0/*
    lt_send "$LT_DIR/c" s@example.com r@example.com <"$LT_DIR/$name.in"
    lt_expect '^verdict=delivered '
    n=$(lt_nmsgs 0)
    [ "$n" = 1 ] || lt_fail "$name: the DLP received $n messages, want 1"
    python3 "$(dirname "$0")/bodycases.py" check "$LT_DIR" "$name" \
        "$(find "$LT_DIR/sink0" -type f -size +0)" || lt_fail "$name: content"
    echo "ok: $name"
done
# smtp-sink -v logs every command it got: none of the smuggled ones
grep -Eqi 'evil@example|victim@example' "$LT_DIR/sink0.log" &&
    lt_fail "a command from a message body reached the DLP as a command"
echo "PASS: body_canon"
