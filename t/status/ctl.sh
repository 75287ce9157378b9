#!/bin/bash
# ctl.sh - dlpbypass-ctl over the control socket against a real Postfix
# sandwich with two DLP hosts, the first refused and the second taking
# mail: "status" and "status --json" show the first host down (last
# outcome unreachable), the second up (last outcome accepted), counters
# that match the messages sent, the configuration file and generation;
# "bypass reset"/"bypass close" are answered (the budget functions are
# stubs until issue 10: only that they are reached and logged is
# checked); a user without access to the socket (nobody, mode 0600) is
# refused with a clear error, one in control.group (mode 0660) is let
# in; a SIGHUP reload makes generation 2; a missing socket and an unknown command give clear errors; the
# socket is removed when the milter stops.
. "$(dirname "$0")/../e2e/testlib.sh"
. "$(dirname "$0")/stlib.sh"
tl_init ctl
command -v python3 >/dev/null || tl_skip "python3 is not installed"
command -v runuser >/dev/null || tl_skip "runuser (util-linux) is not installed"

DOWN=127.0.0.1:$(tl_port 6)
UP=127.0.0.1:$(tl_port 7)
tl_setup
tl_sink dlp "$(tl_port 7)"
t_conf "$TL_DIR/dlp.conf" "$DOWN" "$UP"
st_conf "$TL_DIR/dlp.conf"
tl_milter "$TL_DIR/dlp.conf"
for i in 1 2 3; do
    TL_SUBJECT="ctl $i" tl_send rcpt@example.com
done
tl_settle
tl_expect_nmsgs dlp 3
tl_expect_nmsgs internet 0

# status in words
st_ctl status
[ "$ST_RC" = 0 ] || tl_fail "status exited $ST_RC: $(cat "$TL_DIR/ctl.err")"
out=$TL_DIR/ctl.out
grep -q "^config: $TL_DIR/dlp.conf (generation 1)$" "$out" ||
    tl_fail "status lacks the config line: $(cat "$out")"
grep -Eq "^  $DOWN: down for [0-9.]+ s, [0-9]+ failed dials?," "$out" ||
    tl_fail "status does not show $DOWN down: $(cat "$out")"
grep -Eq "^  $UP: up, " "$out" || tl_fail "status does not show $UP up: $(cat "$out")"
grep -q "^  verdict=delivered reason=accepted: 3$" "$out" ||
    tl_fail "status counters: $(cat "$out")"
grep -q "^counters since start: 3 decisions, 0 in flight$" "$out" ||
    tl_fail "status counters: $(cat "$out")"

# the same as JSON
st_ctl status --json
[ "$ST_RC" = 0 ] || tl_fail "status --json exited $ST_RC: $(cat "$TL_DIR/ctl.err")"
python3 - "$TL_DIR/ctl.out" "$TL_DIR/dlp.conf" "$DOWN" "$UP" <<'PY' >"$TL_DIR/json.err" 2>&1 ||
import json, sys
s = json.load(open(sys.argv[1]))
conf, down, up = sys.argv[2:5]
assert s["config"] == {"file": conf, "generation": 1}, s["config"]
h = {x["host"]: x for x in s["hosts"]}
assert list(h) == [down, up], list(h)
assert h[down]["state"] == "down" and h[down]["consecutive_failures"] >= 1, h[down]
assert h[down]["last_outcome"] == "unreachable", h[down]
assert h[down]["last_failure"]["at"].endswith("]:" + down.split(":")[1]), h[down]
assert h[up]["state"] == "up" and h[up]["last_outcome"] == "accepted", h[up]
assert h[up]["attempts"] == {"accepted": 3}, h[up]
assert h[down]["attempts"].get("unreachable", 0) == 3, h[down]
c = s["counters"]
assert c["decisions"] == 3 and c["by_verdict"] == {"delivered": {"accepted": 3}}, c
assert c["bypassed_messages"] == 0 and c["rescan_queued"] == 0, c
assert s["bypass"]["in_episode"] is False, s["bypass"]
assert s["messages_in_flight"] == 0
print("json ok")
PY
    tl_fail "status --json: $(cat "$TL_DIR/json.err"): $(cat "$TL_DIR/ctl.out")"

# the budget commands reach the milter (stubs until issue 10)
for cmd in "bypass close" "bypass reset"; do
    st_ctl $cmd
    [ "$ST_RC" = 0 ] || tl_fail "$cmd exited $ST_RC: $(cat "$TL_DIR/ctl.err")"
    grep -q "^bypass budget ${cmd#bypass }" "$TL_DIR/ctl.out" ||
        tl_fail "$cmd answer: $(cat "$TL_DIR/ctl.out")"
    tl_expect_milter_log "control: \"$cmd\" from pid=[0-9]+ uid=0 gid=0"
done

# unknown command: refused by dlpbypass-ctl, and by the milter itself
st_ctl bypass open
[ "$ST_RC" = 2 ] && grep -q 'unknown command "bypass' "$TL_DIR/ctl.err" ||
    tl_fail "unknown command: status $ST_RC, $(cat "$TL_DIR/ctl.err")"
printf 'frobnicate\n' | python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read()); print(s.recv(4096).decode())' "$ST_SOCK" \
    >"$TL_DIR/raw.out"
grep -q '^ERR unknown command "frobnicate"' "$TL_DIR/raw.out" ||
    tl_fail "the milter answered an unknown command with: $(cat "$TL_DIR/raw.out")"
head -c 5000 /dev/zero | tr '\0' x | python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read()); print(s.recv(4096).decode())' "$ST_SOCK" \
    >"$TL_DIR/raw.out"
grep -q '^ERR request line too long' "$TL_DIR/raw.out" ||
    tl_fail "the milter answered a 5000-byte line with: $(cat "$TL_DIR/raw.out")"

# a user without access (socket 0600 root) is refused, clearly
rc=0
runuser -u nobody -- "$ST_CTL" -s "$ST_SOCK" status >"$TL_DIR/nobody.out" \
    2>"$TL_DIR/nobody.err" || rc=$?
[ "$rc" = 3 ] && grep -q "permission denied" "$TL_DIR/nobody.err" ||
    tl_fail "nobody: status $rc, $(cat "$TL_DIR/nobody.err") $(cat "$TL_DIR/nobody.out")"
[ -s "$TL_DIR/nobody.out" ] && tl_fail "nobody got output: $(cat "$TL_DIR/nobody.out")"
[ "$(stat -c %a "$ST_SOCK")" = 600 ] || tl_fail "socket mode $(stat -c %a "$ST_SOCK")"

# a missing socket
"$ST_CTL" -s "$TL_DIR/nothing-here" status 2>"$TL_DIR/missing.err" && tl_fail "missing socket: exit 0"
grep -q "is dlpbypass-milter running?" "$TL_DIR/missing.err" ||
    tl_fail "missing socket: $(cat "$TL_DIR/missing.err")"

# a reload (SIGHUP) is a new generation; the socket stays
kill -HUP "$TL_MILTER_PID"
tl_expect_milter_log "configuration reloaded from"
st_ctl status
grep -q "^config: $TL_DIR/dlp.conf (generation 2)$" "$TL_DIR/ctl.out" ||
    tl_fail "after SIGHUP: $(cat "$TL_DIR/ctl.out") $(cat "$TL_DIR/ctl.err")"

# the socket goes with the milter
tl_milter_stop
[ -e "$ST_SOCK" ] && tl_fail "control socket left behind after the milter stopped"

# mode 0660 and control.group: a member of the group is let in
ST_SOCK=$TL_DIR/control2 ST_MODE=0660 ST_GROUP=nogroup
t_conf "$TL_DIR/dlp2.conf" "$DOWN" "$UP"
st_conf "$TL_DIR/dlp2.conf"
tl_milter "$TL_DIR/dlp2.conf"
[ "$(stat -c '%a %G' "$ST_SOCK")" = "660 nogroup" ] ||
    tl_fail "socket: $(stat -c '%a %U %G' "$ST_SOCK")"
runuser -u nobody -- "$ST_CTL" -s "$ST_SOCK" status >"$TL_DIR/nobody.out" \
    2>"$TL_DIR/nobody.err" ||
    tl_fail "nobody (group nogroup) refused: $(cat "$TL_DIR/nobody.err")"
grep -q "^counters since start: 0 decisions" "$TL_DIR/nobody.out" ||
    tl_fail "nobody's status: $(cat "$TL_DIR/nobody.out")"
tl_expect_milter_log "control: \"status\" from pid=[0-9]+ uid=65534 gid=65534"
tl_pass
