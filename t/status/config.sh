#!/bin/bash
# config.sh - dlpbypass-milter -n checks the metrics and control keys:
# good values pass; a non-loopback or non-numeric metrics.listen, a bad
# port, a relative control.socket, a bad control.mode, an unknown
# control.group and an unknown key are each refused with FILE:LINE and
# what is wrong; dlpbypass-ctl says when control.socket is not set.
top_builddir=${top_builddir:-.}
M=$top_builddir/milter/dlpbypass-milter
C=$top_builddir/milter/dlpbypass-ctl
[ -x "$M" ] && [ -x "$C" ] || { echo "SKIP: not built"; exit 77; }
D=$(mktemp -d /tmp/dlpstatus.config.XXXXXX)
trap 'rm -rf "$D"' EXIT
fail() { echo "FAIL: config: $*"; exit 1; }

# conf EXTRA... - a config file with the lines EXTRA (line 3 onwards)
conf() {
    {
        echo 'dlp: { servers = ( { host = "127.0.0.1"; port = 28440; } );'
        echo '  connect_timeout = 1; session_deadline = 8; };'
        printf '%s\n' "$@"
    } >"$D/c.conf"
}

# good LINE... - must pass -n
good() {
    conf "$@"
    "$M" -n -c "$D/c.conf" >"$D/out" 2>&1 || fail "refused: $* -> $(cat "$D/out")"
}

# bad REGEX LINE... - must fail -n with "FILE:3: ...REGEX"
bad() {
    local want=$1
    shift
    conf "$@"
    "$M" -n -c "$D/c.conf" >"$D/out" 2>&1 && fail "accepted: $*"
    grep -Eq "^$D/c.conf:3: .*$want" "$D/out" ||
        fail "for '$*' want /$want/ at line 3, got: $(cat "$D/out")"
}

good 'metrics: { listen = "127.0.0.1:9469"; };'
good 'metrics: { listen = "127.9.8.7:1"; };'
good 'metrics: { listen = "[::1]:9469"; };'
good "control: { socket = \"$D/ctl\"; mode = \"0660\"; group = \"nogroup\"; };"
good "control: { socket = \"$D/ctl\"; };"
bad 'metrics.listen: "0.0.0.0:9469" is not a loopback address' \
    'metrics: { listen = "0.0.0.0:9469"; };'
bad 'metrics.listen: "192.0.2.1:9469" is not a loopback address' \
    'metrics: { listen = "192.0.2.1:9469"; };'
bad 'metrics.listen: "\[2001:db8::1\]:9469" is not a loopback address' \
    'metrics: { listen = "[2001:db8::1]:9469"; };'
bad 'needs a numeric address' 'metrics: { listen = "localhost:9469"; };'
bad 'needs a port number' 'metrics: { listen = "127.0.0.1:99999"; };'
bad 'needs a port number' 'metrics: { listen = "127.0.0.1:"; };'
bad 'is not ADDR:PORT' 'metrics: { listen = "9469"; };'
bad "unknown key 'metrics.port'" 'metrics: { port = 9469; };'
bad 'control.socket: "run/ctl" must be an absolute path' \
    'control: { socket = "run/ctl"; };'
bad 'control.mode: "0666x" is not an octal mode' \
    "control: { socket = \"$D/ctl\"; mode = \"0666x\"; };"
bad 'control.mode: "4660" is not an octal mode' \
    "control: { socket = \"$D/ctl\"; mode = \"4660\"; };"
bad 'control.mode: "0060" must let the owner read and write' \
    "control: { socket = \"$D/ctl\"; mode = \"0060\"; };"
bad 'control.group: "no-such-group-28440" is not a known group' \
    "control: { socket = \"$D/ctl\"; group = \"no-such-group-28440\"; };"
bad 'control.mode: expected a string' \
    "control: { socket = \"$D/ctl\"; mode = 660; };"

# dlpbypass-ctl without a control socket in the configuration
conf
rc=0
"$C" -c "$D/c.conf" status 2>"$D/err" || rc=$?
[ "$rc" = 3 ] && grep -q "control.socket is not set" "$D/err" ||
    fail "dlpbypass-ctl without control.socket: $rc $(cat "$D/err")"
echo "PASS: config"
