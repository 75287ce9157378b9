# t/balance/ballib.sh - helpers for the load-balancing tests of issue 15
# (source it, do not run it).  Built on t/lib/libtest.sh (lt_init, lt_sink,
# lt_port, lt_fail ...); each test takes a block of ten ports of
# 28600-28699 (28660-28679 the Postfix test's).
#
#   bl_init NAME [PORTBASE]        lt_init, and $BALSEND
#   bl_conf FILE POLICY SPEC...    a config with dlp.balance = POLICY and
#                                  one server per SPEC "N[:w=W][:p=P]"
#                                  (127.0.0.1:PORTBASE+N, weight, priority);
#                                  BL_EXTRA is added to the dlp: group
#   bl_send CONF COUNT [THREADS [MS]]  balsend, output in $LT_OUT
#   bl_sink_start N [opts]         lt_sink N, its pid in BL_PID_N
#   bl_sink_stop N                 stop sink N (started by bl_sink_start)
#   bl_taken N [FILE]              messages host N accepted (its dlp= entry
#                                  "/accepted"), from $LT_OUT or FILE
#   bl_verdicts                    "COUNT VERDICT" lines of $LT_OUT
#   bl_near GOT WANT PCT           GOT within WANT +- PCT % (status)
. "$(dirname "${BASH_SOURCE[0]}")/../lib/libtest.sh"

bl_init() {
    lt_init "$1" "$2"
    BALSEND=$top_builddir/t/balance/balsend
    [ -x "$BALSEND" ] || lt_fail "$BALSEND not built (make check builds it)"
}

bl_conf() {
    local file=$1 policy=$2 spec srv=()
    shift 2
    for spec in "$@"; do # N[:w=W][:p=P] -> N[+weight=W][+priority=P]
        spec=$(echo "$spec" | sed 's/:w=/+weight=/; s/:p=/+priority=/')
        srv+=("$spec")
    done
    T_CONNECT=${T_CONNECT:-2} T_COMMAND=${T_COMMAND:-5} T_DATA=${T_DATA:-5} \
        T_DEADLINE=${T_DEADLINE:-20} \
        T_DLP_EXTRA="balance = \"$policy\";${BL_EXTRA:+ $BL_EXTRA}" \
        t_conf "$file" "${srv[@]}"
}

bl_send() {
    "$BALSEND" -c "$1" -n "$2" -j "${3:-1}" -i "${4:-0}" >"$LT_OUT" 2>&1 ||
        lt_fail "balsend exited with status $?"
}

bl_sink_start() {
    local n=$1
    shift
    lt_sink "$n" "$@"
    eval "BL_PID_$n=$TB_PID"
}

bl_sink_stop() {
    tb_kill_var BL_PID_$1
}

bl_taken() {
    grep -c -- ":$(lt_port "$1")/accepted" "${2:-$LT_OUT}"
}

bl_verdicts() {
    sed -n 's/.* verdict=\([^ ]*\) .*/\1/p' "$LT_OUT" | sort | uniq -c |
        awk '{ print $1, $2 }'
}

bl_near() {
    awk -v g="$1" -v w="$2" -v p="$3" 'BEGIN { exit !(g >= w - w * p / 100 && g <= w + w * p / 100) }'
}
