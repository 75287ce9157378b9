#!/bin/bash
# strip.sh - header hygiene: the fields only the filter or the DLP may
# write (milter.strip_headers, default X-DLP-Bypass and X-CFilter-Loop,
# plus bypass.header; names in any case) never reach the DLP, and on a
# bypass Postfix is told to delete each of them (smfi_chgheader with its
# index among the fields of that name, NULL value) before our own bypass
# header is added.  Look-alike names (X-DLP-Bypass-Note) stay.  With a
# strip_headers list of its own and another bypass.header, that list and
# that header are stripped instead.
. "$(dirname "$0")/mtlib.sh"
mt_init strip

# sink_fields - the header fields the DLP (sink 1) received, one a line
sink_fields() {
    mt_body 1 | sed -n '/^$/q;p' | grep -v -e '^Received:' -e '^[ 	]' \
        -e '^X-Mail-Args:' -e '^X-Rcpt-Args:'
}

# expect_fields WANT... - sink 1 got exactly these fields, in this order
expect_fields() {
    local got want
    got=$(sink_fields | tr -d '\r')
    want=$(printf '%s\n' "$@")
    [ "$got" = "$want" ] ||
        mt_fail "the DLP got the fields:"$'\n'"$got"$'\n'"want:"$'\n'"$want"
}

# expect_client LINE... - milter-client.pl printed these eom lines, in order
expect_client() {
    local got want
    got=$(grep '^eom' "$MT_OUT")
    want=$(printf '%s\n' "$@")
    [ "$got" = "$want" ] ||
        mt_fail "eom changes:"$'\n'"$got"$'\n'"want:"$'\n'"$want"
}

mt_sink 1

# 1. the defaults, the DLP takes the message: it never sees the fields
t_conf "$MT_DIR/c" 1
mt_start "$MT_DIR/c"
mt_run strip.lua -D mode=dlp
mt_stop
[ "$(mt_nmsgs 1)" = 1 ] || mt_fail "the DLP got $(mt_nmsgs 1) messages, want 1"
expect_fields 'From: sender@example.com' 'Subject: strip dlp' \
    'X-DLP-Bypass-Note: kept' 'X-Corp-Bypass: forged' 'X-Spam-Flag: NO' \
    'X-Keep: 1'
mt_log_expect 'QS-dlp: verdict=delivered reason=accepted '

# 2. the defaults, bypass: the fields are deleted, ours added
t_conf "$MT_DIR/c" 2 # nothing listens there
mt_start "$MT_DIR/c"
mt_run strip.lua -D mode=bypass -D header=X-DLP-Bypass \
    -D strip=X-DLP-Bypass,X-CFilter-Loop \
    -D keep=From,Subject,X-DLP-Bypass-Note,X-Corp-Bypass,X-Spam-Flag,X-Keep
# the same with milter-client.pl, which shows every change with its index
printf '%s\n' 'From: s@example.com' 'X-CFilter-Loop: Reflected' \
    'x-dlp-bypass: yes' 'Subject: pre-stamped' 'X-DLP-Bypass-Note: kept' \
    'X-CFILTER-LOOP: Reflected' 'X-DLP-Bypass: unreachable' >"$MT_DIR/h"
printf 'body\r\n' >"$MT_DIR/b"
perl "$MT_SRC/milter-client.pl" "$MT_DIR/milter.sock" QS-client s@example.com \
    r@example.org "$MT_DIR/h" "$MT_DIR/b" >"$MT_OUT" 2>&1 ||
    mt_fail "milter-client.pl failed"
expect_client 'eom -DEL 2 X-DLP-Bypass' 'eom -DEL 1 X-DLP-Bypass' \
    'eom -DEL 2 X-CFilter-Loop' 'eom -DEL 1 X-CFilter-Loop' \
    'eom +ADD h X-DLP-Bypass  unreachable' 'eom a'
mt_stop
mt_log_expect 'QS-bypass: verdict=bypass reason=unreachable '
mt_log_expect 'QS-client: verdict=bypass reason=unreachable '

# 3. a list of its own and another bypass.header: those are stripped
rm -f "$MT_DIR"/sink1/*
T_STRIP='"X-Spam-Flag"' T_HEADER=X-Corp-Bypass t_conf "$MT_DIR/c" 1
mt_start "$MT_DIR/c"
mt_run strip.lua -D mode=dlp
mt_stop
expect_fields 'From: sender@example.com' 'X-DLP-Bypass: yes' \
    'Subject: strip dlp' 'x-cfilter-loop: Reflected' \
    'X-DLP-Bypass-Note: kept' 'X-CFILTER-LOOP: Reflected' 'X-Keep: 1'
T_STRIP='"X-Spam-Flag"' T_HEADER=X-Corp-Bypass t_conf "$MT_DIR/c" 2
mt_start "$MT_DIR/c"
mt_run strip.lua -D mode=bypass -D header=X-Corp-Bypass \
    -D strip=X-Spam-Flag,X-Corp-Bypass \
    -D keep=From,Subject,X-DLP-Bypass,X-CFilter-Loop,X-DLP-Bypass-Note,X-Keep
mt_stop
echo "PASS: strip"
