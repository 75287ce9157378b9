#!/bin/bash
# huge_header.sh - big header sections reach the DLP byte for byte:
# a 64 KB header field folded over 1,000 lines and a field with no space
# after its colon (sent the way Postfix does, by milter-client.pl), and
# 150 fields of 900 bytes each (miltertest).  Postfix passes header fields
# up to header_size_limit (100 KB), more than libmilter's default 64 KB.
. "$(dirname "$0")/mtlib.sh"
mt_init huge_header

mt_sink 1
t_conf "$MT_DIR/c" 1
mt_start "$MT_DIR/c"

# 1. one 64 KB field, CRLF at the folds, as the client sent it
{
    printf 'X-Nospace:value\r\n'
    printf 'X-Huge: start'
    for i in $(seq 1 1000); do
        printf '\r\n\tfold %04d %s' "$i" "$(printf '%054d' "$i")"
    done
    printf '\r\n'
    printf 'Subject:   three spaces\r\n'
} >"$MT_DIR/head"
printf 'body line\r\n.dot line\r\n' >"$MT_DIR/body"
[ "$(wc -c <"$MT_DIR/head")" -gt 65536 ] || mt_fail "test header too small"
perl "$MT_SRC/milter-client.pl" "$MT_DIR/milter.sock" QH1 s@example.com \
    r@example.org "$MT_DIR/head" "$MT_DIR/body" >"$MT_OUT" 2>&1 ||
    mt_fail "milter-client.pl failed"
grep -q '^leadspc yes$' "$MT_OUT" || mt_fail "SMFIP_HDR_LEADSPC not negotiated"
grep -q '^eom d$' "$MT_OUT" || mt_fail "eom was not discard"
[ "$(mt_nmsgs 1)" = 1 ] || mt_fail "sink got $(mt_nmsgs 1) messages, want 1"
{ tr -d '\r' <"$MT_DIR/head"; echo; tr -d '\r' <"$MT_DIR/body"; } >"$MT_DIR/want"
mt_body 1 >"$MT_DIR/got"
cmp -s "$MT_DIR/want" "$MT_DIR/got" ||
    mt_fail "content differs: $(diff "$MT_DIR/want" "$MT_DIR/got" | head -20)"
mt_log_expect 'QH1: verdict=delivered reason=accepted '

# 2. 150 fields of 900 bytes through miltertest
rm -f "$MT_DIR"/sink1/*
mt_run huge_header.lua
[ "$(mt_nmsgs 1)" = 1 ] || mt_fail "sink got $(mt_nmsgs 1) messages, want 1"
mt_body 1 >"$MT_DIR/got"
[ "$(grep -c '^X-Big-[0-9]*: x\{890\}$' "$MT_DIR/got")" = 150 ] ||
    mt_fail "the DLP got $(grep -c '^X-Big-' "$MT_DIR/got") of the 150 fields"
mt_log_expect 'QH2: verdict=delivered reason=accepted '
mt_stop
echo "PASS: huge_header"
