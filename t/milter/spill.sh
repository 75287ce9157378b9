#!/bin/bash
# spill.sh - message store failures fail closed: with the spill directory
# missing, a body larger than milter.spill_size cannot be stored, so the
# milter answers 451 4.3.0 (TEMPFAIL, reason internal:local) during the body
# and the DLP never gets the message; the next message on the same
# connection is handled normally.  With a usable directory, a 300 KB body
# spills to disk and reaches the DLP intact.
. "$(dirname "$0")/mtlib.sh"
mt_init spill

mt_sink 1
T_SPILL=4096 T_TMPDIR=$MT_DIR/missing t_conf "$MT_DIR/c" 1
mt_start "$MT_DIR/c"
mt_run spill.lua -D mode=fail
mt_stop
mt_log_expect 'QF1: verdict=tempfail reason=internal:local dlp=[^ ]+ delay=[0-9.]+ from=<sender@example.com> nrcpt=1 reply="451 4\.3\.0 [^"]+"'
mt_log_expect 'QF2: verdict=delivered reason=accepted '
[ "$(mt_nmsgs 1)" = 1 ] || mt_fail "sink got $(mt_nmsgs 1) messages, want 1"
grep -q '^Subject: after$' "$MT_DIR"/sink1/* || mt_fail "the second message is missing"

rm -f "$MT_DIR"/sink1/*
mkdir "$MT_DIR/spool"
T_SPILL=4096 T_TMPDIR=$MT_DIR/spool t_conf "$MT_DIR/c" 1
mt_start "$MT_DIR/c"
mt_run spill.lua -D mode=spill
mt_stop
[ "$(mt_nmsgs 1)" = 1 ] || mt_fail "sink got $(mt_nmsgs 1) messages, want 1"
mt_body 1 >"$MT_DIR/got"
[ "$(grep -c '^line [0-9]* x*$' "$MT_DIR/got")" = 3000 ] ||
    mt_fail "the DLP got $(grep -c '^line ' "$MT_DIR/got") of 3000 body lines"
mt_log_expect 'QF3: verdict=delivered reason=accepted '
echo "PASS: spill"
