# t/audit/auditlib.sh - helpers of the audit trail tests (source it after
# t/e2e/testlib.sh).
#   at_conf FILE AUDIT WHAT HOST:PORT...  t_conf plus an audit group
#                                   (audit.file AUDIT, audit.what WHAT)
#   at_reload                       SIGHUP the milter, wait for its reload
#   at_field FILE LINE EXPR         print the Python expression EXPR over
#                                   line LINE (1-based) of trail FILE,
#                                   parsed as "j" (json.loads)
#   at_lines FILE                   lines in FILE (0 when it is missing)
#   at_verify FILE...               dlpbypass-audit verify; its output in
#                                   $AT_OUT, its status returned
#   at_sha FILE                     sha256sum of smtp-sink dump FILE as the
#                                   DLP received it (CRLF, unstuffed)

AT_AUDIT_BIN=${AT_AUDIT_BIN:-$top_builddir/milter/dlpbypass-audit}
AT_RELOADS=0

# at_conf - a milter configuration with an audit group
at_conf() {
    local file=$1 audit=$2 what=$3
    shift 3
    t_conf "$file" "$@"
    cat >>"$file" <<EOF2
audit: {
  file = "$audit";
  what = "$what";
};
EOF2
}

# at_reload - SIGHUP the milter and wait until it says it reloaded
at_reload() {
    local i
    AT_RELOADS=$((AT_RELOADS + 1))
    kill -HUP "$TL_MILTER_PID" || tl_fail "cannot signal the milter"
    for ((i = 0; i < 50; i++)); do
        [ "$(grep -c 'configuration reloaded' "$TL_DIR/milter.log")" -ge \
            "$AT_RELOADS" ] && return 0
        sleep 0.1
    done
    tl_fail "the milter did not reload"
}

# at_field - EXPR over line LINE of trail FILE ("j" is the object)
at_field() {
    python3 -c '
import json, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
j = json.loads(lines[int(sys.argv[2]) - 1])
print(eval(sys.argv[3]))
' "$1" "$2" "$3" || tl_fail "line $2 of $1 is not what at_field wants: $3"
}

# at_lines - number of lines of FILE
at_lines() {
    if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi
}

# at_verify - run dlpbypass-audit verify ARGS; output in AT_OUT
at_verify() {
    local rc=0
    AT_OUT=$("$AT_AUDIT_BIN" verify "$@" 2>&1) || rc=$?
    return $rc
}

# at_sha - sha256 of what the DLP received, from smtp-sink dump FILE
at_sha() {
    tb_sink_body "$1" | sed 's/$/\r/' | sha256sum | cut -d' ' -f1
}
