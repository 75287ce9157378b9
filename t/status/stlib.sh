# t/status/stlib.sh - helpers of the metrics and status tests (issue 11);
# source it after t/e2e/testlib.sh and tl_init.
#   st_conf FILE                   append metrics.listen (port 10 of the
#                                  block) and control.socket ($ST_SOCK,
#                                  mode $ST_MODE, group $ST_GROUP) to FILE
#   st_metrics                     curl /metrics into $TL_DIR/metrics.txt
#   st_value 'NAME{LABELS}'        print that sample's value (exact match
#                                  of everything before the value), or
#                                  nothing
#   st_expect 'NAME{LABELS}' V     the sample must have value V
#   st_ctl ARGS...                 dlpbypass-ctl -s $ST_SOCK ARGS; stdout
#                                  in $TL_DIR/ctl.out, stderr in ctl.err,
#                                  status in $ST_RC
ST_CTL=${ST_CTL:-$top_builddir/milter/dlpbypass-ctl}

# st_conf - append the metrics and control groups to config FILE
st_conf() {
    ST_SOCK=${ST_SOCK:-$TL_DIR/control}
    ST_METRICS=127.0.0.1:$(tl_port 10)
    {
        echo "metrics: { listen = \"$ST_METRICS\"; };"
        printf 'control: { socket = "%s"; mode = "%s";' "$ST_SOCK" \
            "${ST_MODE:-0600}"
        [ -n "${ST_GROUP-}" ] && printf ' group = "%s";' "$ST_GROUP"
        echo " };"
    } >>"$1"
}

# st_metrics - fetch /metrics (fails the test when it cannot)
st_metrics() {
    curl -sS --max-time 5 -o "$TL_DIR/metrics.txt" -w '%{http_code}' \
        "http://$ST_METRICS/metrics" >"$TL_DIR/metrics.code" 2>"$TL_DIR/metrics.err" ||
        tl_fail "curl /metrics failed: $(cat "$TL_DIR/metrics.err")"
    [ "$(cat "$TL_DIR/metrics.code")" = 200 ] ||
        tl_fail "/metrics answered HTTP $(cat "$TL_DIR/metrics.code")"
}

# st_value - the value of sample KEY in the last st_metrics
st_value() {
    awk -v k="$1" 'substr($0, 1, 1) != "#" {
        v = $NF; s = substr($0, 1, length($0) - length(v) - 1)
        if (s == k) { print v; exit } }' "$TL_DIR/metrics.txt"
}

# st_expect - sample KEY must have value WANT
st_expect() {
    local got
    got=$(st_value "$1")
    [ "$got" = "$2" ] || {
        echo "---- /metrics"
        cat "$TL_DIR/metrics.txt"
        tl_fail "metric $1 is '${got:-absent}', want $2"
    } >&2
}

# st_ctl - run dlpbypass-ctl on the test's control socket
st_ctl() {
    ST_RC=0
    "$ST_CTL" -s "$ST_SOCK" "$@" >"$TL_DIR/ctl.out" 2>"$TL_DIR/ctl.err" ||
        ST_RC=$?
}
