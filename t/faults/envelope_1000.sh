#!/bin/bash
# envelope_1000.sh - TESTING.md row 12: 1,000 recipients, some refused by
# the DLP for themselves only (550 / 451), some carrying CR, LF or other
# control bytes meant to inject a command, a "<>" sender.  Each recipient
# must get its own correct result, nothing injected may reach the DLP as a
# command, and the message reaches the DLP once, for the accepted
# recipients only.  (CR/LF in the sender and in ESMTP parameters:
# t/lib/envelope.sh.)  dlpsend against t/faults/badpeer.py, which logs
# every command it receives
. "$(dirname "$0")/../lib/libtest.sh"
lt_init envelope_1000 26080
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
echo "none none" >"$LT_DIR/mode"
lt_serve badpeer 0 "$LT_DIR/peer.out" python3 "$(dirname "$0")/badpeer.py" \
    "$(lt_port 0)" "@$LT_DIR/mode" "$LT_DIR/peer.log"
T_COMMAND=5 T_DEADLINE=60 t_conf "$LT_DIR/c" 0
printf 'Subject: row 12\n\nbody\n' >"$LT_DIR/msg"

args=() ok=0 rej=0 def=0 bad=0
for i in $(seq 1 1000); do
    if [ $((i % 97)) = 0 ]; then
        args+=(-r $'u'$i$'@example.com>\r\nRCPT TO:<evil'$i'@example.com') bad=$((bad + 1))
    elif [ $((i % 89)) = 0 ]; then
        args+=(-r $'u'$i$'@example.com\nDATA') bad=$((bad + 1))
    elif [ $((i % 83)) = 0 ]; then
        args+=(-r $'u'$i$'@exa\rmple.com') bad=$((bad + 1))
    elif [ $((i % 10)) = 0 ]; then
        args+=(-r "reject$i@example.com") rej=$((rej + 1))
    elif [ $((i % 7)) = 0 ]; then
        args+=(-r "defer$i@example.com") def=$((def + 1))
    else
        args+=(-r "u$i@example.com") ok=$((ok + 1))
    fi
done
timeout 120 "$DLPSEND" -c "$LT_DIR/c" -f "" "${args[@]}" <"$LT_DIR/msg" >"$LT_OUT" 2>&1 ||
    lt_fail "dlpsend exited with status $?"
lt_expect '^verdict=delivered '
count() { grep -Ec -- "$1" "$LT_OUT"; }
[ "$(count '^rcpt=<u[0-9]+@example\.com> status=accepted')" = "$ok" ] ||
    lt_fail "want $ok plain recipients accepted"
[ "$(count '^rcpt=<reject[0-9]+@example\.com> status=rejected reply=550 5\.1\.1 ')" = "$rej" ] ||
    lt_fail "want $rej recipients rejected with the DLP's 550 5.1.1"
[ "$(count '^rcpt=<defer[0-9]+@example\.com> status=tempfail reply=451 4\.2\.0 ')" = "$def" ] ||
    lt_fail "want $def recipients deferred with the DLP's 451 4.2.0"
[ "$(count '^rcpt=<u[0-9]+@ex.*\\0(15|12).* status=tempfail reply=451 4\.3\.0 ')" = "$bad" ] ||
    lt_fail "want $bad unsafe recipients refused locally (451 4.3.0)"
# what the DLP saw: the null sender, exactly the safe RCPTs, one message
grep -q "MAIL FROM:<>" "$LT_DIR/peer.log" || lt_fail "no MAIL FROM:<> at the DLP"
n=$(grep -c "RCPT TO:" "$LT_DIR/peer.log")
[ "$n" = $((ok + rej + def)) ] || lt_fail "the DLP got $n RCPT commands, want $((ok + rej + def))"
grep -Eqi 'evil|^.b.DATA|exa.rmple' "$LT_DIR/peer.log" &&
    lt_fail "an injected command or a bare CR reached the DLP: $(grep -Ei 'evil|^.b.DATA|exa.rmple' "$LT_DIR/peer.log" | head -3)"
[ "$(grep -c '^MESSAGE$' "$LT_DIR/peer.log")" = 1 ] || lt_fail "want exactly one message at the DLP"
[ "$(grep -c "^b'DATA" "$LT_DIR/peer.log")" = 1 ] || lt_fail "want exactly one DATA command"
echo "PASS: envelope_1000 ($ok accepted, $rej rejected, $def deferred, $bad unsafe)"
