#!/bin/bash
# escape.sh - label values in /metrics are escaped as the exposition
# format says: a DLP server whose (unresolvable) name holds a double
# quote and a backslash shows up as host="dl\"p\\x:PORT", and promtool
# check metrics accepts the output.  No MTA: the milter alone, in a
# network namespace of its own (only its loopback: the lookup of the
# unresolvable name never leaves it).
top_builddir=${top_builddir:-.}
M=$top_builddir/milter/dlpbypass-milter
[ -x "$M" ] || { echo "SKIP: not built"; exit 77; }
command -v curl >/dev/null || { echo "SKIP: curl is not installed"; exit 77; }
command -v promtool >/dev/null || { echo "SKIP: promtool (package prometheus) is not installed"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespace)"; exit 77; }
NS=dlpstatus-escape-$$
ip netns add "$NS" 2>/dev/null || { echo "SKIP: cannot create a network namespace"; exit 77; }
ip netns exec "$NS" ip link set lo up
D=$(mktemp -d /tmp/dlpstatus.escape.XXXXXX)
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; wait; rm -rf "$D"; ip netns del "$NS"' EXIT
fail() {
    echo "FAIL: escape: $*"
    cat "$D/log" "$D/m.txt" 2>/dev/null | tail -n 40
    exit 1
}

cat >"$D/c.conf" <<'CONF'
milter: { socket = "inet:28445@127.0.0.1"; allow_root = true; };
dlp: { servers = ( { host = "dl\"p\\x"; port = 28446; } );
  connect_timeout = 1; session_deadline = 8; };
metrics: { listen = "127.0.0.1:28447"; };
CONF
ip netns exec "$NS" "$M" -f -c "$D/c.conf" >"$D/log" 2>&1 &
PID=$!
for i in $(seq 50); do
    ip netns exec "$NS" curl -s --max-time 2 -o "$D/m.txt" http://127.0.0.1:28447/metrics && break
    sleep 0.1
done
[ -s "$D/m.txt" ] || fail "no metrics"
grep -qxF 'dlpbypass_host_up{host="dl\"p\\x:28446"} 1' "$D/m.txt" ||
    fail "label not escaped"
promtool check metrics <"$D/m.txt" >"$D/p.out" 2>&1 ||
    fail "promtool: $(cat "$D/p.out")"
echo "PASS: escape"
