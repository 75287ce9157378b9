#!/bin/bash
# valgrind.sh - the milter under valgrind --leak-check=full through the
# main paths (delivered, several messages and an abort on one connection,
# per-recipient refusals, bypass with stripped fields, reload) has no memory errors and leaks
# nothing, and exits 0 on SIGTERM.
. "$(dirname "$0")/mtlib.sh"
command -v valgrind >/dev/null || { echo "SKIP: valgrind is not installed"; exit 77; }
mt_init valgrind

mt_sink 1
mt_peer 2
t_conf "$MT_DIR/c" 1
t_conf "$MT_DIR/c2" 2
t_conf "$MT_DIR/c3" 3 # nothing listens there
MT_VALGRIND=1 mt_start "$MT_DIR/c"
mt_run delivered.lua
mt_run sessions.lua
# reloaded_count - "configuration reloaded" lines in the milter's log
reloaded_count() {
    grep -c 'configuration reloaded' "$MT_LOG"
}
cp "$MT_DIR/c2" "$MT_DIR/c"
kill -HUP "$MT_MILTER_PID"
t_wait 10 t_ge 1 reloaded_count || mt_fail "the first reload was not logged"
mt_run rcpt_status.lua
cp "$MT_DIR/c3" "$MT_DIR/c"
kill -HUP "$MT_MILTER_PID"
t_wait 10 t_ge 2 reloaded_count || mt_fail "the second reload was not logged"
mt_run unreachable.lua -D header=X-DLP-Bypass
mt_run strip.lua -D mode=bypass -D header=X-DLP-Bypass \
    -D strip=X-DLP-Bypass,X-CFilter-Loop -D keep=X-Keep
kill -TERM "$MT_MILTER_PID"
status=0
wait "$MT_MILTER_PID" || status=$?
MT_MILTER_PID=""
if [ "$status" != 0 ]; then
    cat "$MT_DIR/valgrind.log"
    mt_fail "the milter under valgrind exited with status $status"
fi
grep -q 'ERROR SUMMARY: 0 errors' "$MT_DIR/valgrind.log" ||
    { cat "$MT_DIR/valgrind.log"; mt_fail "valgrind found errors"; }
grep -E 'definitely lost|indirectly lost|ERROR SUMMARY' "$MT_DIR/valgrind.log"
echo "PASS: valgrind"
