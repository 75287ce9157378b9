# t/daemon/daemonlib.sh - what the milter-alone tests of t/daemon share:
# dd_init NAME makes the test's directory D (mode 755: the milter may run
# as nobody), PIDS (processes the test started), and an EXIT trap that
# kills them and every process named by a pid file in D or D/run, waits
# for them, and removes D (KEEP=1 keeps it).  --one-file-system: a test
# may mount things under D.  P is the first of the test's ten loopback
# ports (t_ports, t/testlib.sh, which the test sources first).
# dd_init NAME - the directory and the cleanup of test NAME
dd_init() {
    D=$(mktemp -d "/tmp/dlpdaemon.$1.XXXXXX")
    chmod 755 "$D"
    PIDS=""
    TB_FAIL=tb_fail
    t_ports 10
    P=$T_PORTBASE
    trap dd_cleanup EXIT
}

# dd_cleanup - stop what the test started, remove D
dd_cleanup() {
    local p
    for p in $PIDS $(cat "$D"/*.pid "$D"/run/*.pid 2>/dev/null); do
        kill "$p" 2>/dev/null
    done
    for p in $PIDS; do
        wait "$p" 2>/dev/null
    done
    t_ports_release
    [ -n "${KEEP-}" ] && echo "kept $D" && return
    rm -rf --one-file-system "$D"
}
