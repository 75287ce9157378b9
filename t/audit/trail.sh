#!/bin/bash
# trail.sh - the audit trail (issue 11) through a real Postfix sandwich:
# one JSON line per decision, in order, for a message the DLP took
# (delivered), one bypassed (port refused), one deferred (4xx after the
# dot) and one bounced (5xx after the dot), each with its queue id,
# envelope, verdict and reason; the SHA-256 of the delivered one is the
# sha256sum of the DLP's copy; dlpbypass-audit verify passes, and names
# the right line after one byte of an earlier line is changed, a line is
# deleted, two lines are swapped.
. "$(dirname "$0")/../e2e/testlib.sh"
. "$(dirname "$0")/auditlib.sh"
tl_init audit_trail
[ -x "$AT_AUDIT_BIN" ] || tl_skip "$AT_AUDIT_BIN is not built"

trail=$TL_DIR/audit/audit.jsonl
mkdir -p "$TL_DIR/audit"
tl_setup
tl_sink dlp "$(tl_port 6)"
tl_sink busy "$(tl_port 8)" -r . -b "452 4.3.1 DLP-busy"
tl_sink block "$(tl_port 9)" -f . -B "550 5.7.1 DLP-blocked"
at_conf "$TL_DIR/dlp.conf" "$trail" all "127.0.0.1:$(tl_port 6)"
tl_milter "$TL_DIR/dlp.conf"

# 1: taken by the DLP; the body has dot-leading lines
cat >"$TL_DIR/msg1" <<MSG
From: Sender <sender@sender.test>
To: Rcpt <rcpt@example.com>
Subject: audit delivered
Message-ID: <audit.delivered@sender.test>

.leading dot
..two
last
MSG
tl_smtp "$(tl_port 0)" sender@sender.test rcpt@example.com other@example.net \
    <"$TL_DIR/msg1" || tl_fail "the gateway did not accept message 1"
tl_settle
tl_expect_nmsgs dlp 1
# 2: bypassed (nothing listens on port 7)
at_conf "$TL_DIR/dlp.conf" "$trail" all "127.0.0.1:$(tl_port 7)"
at_reload
TL_SUBJECT="audit bypass" tl_send rcpt@example.com
tl_settle
tl_expect_nmsgs internet 1
# 3: deferred (452 after the dot)
at_conf "$TL_DIR/dlp.conf" "$trail" all "127.0.0.1:$(tl_port 8)"
at_reload
tl_send rcpt@example.com
tl_pf_wait_deferred gw 20 | grep -q "DLP-busy" || tl_fail "not deferred: $TL_REASONS"
tl_pf_purge gw
# 4: bounced (550 after the dot)
at_conf "$TL_DIR/dlp.conf" "$trail" all "127.0.0.1:$(tl_port 9)"
at_reload
tl_send rcpt@example.com
tl_settle
tl_expect_nmsgs bounce 1

[ "$(at_lines "$trail")" = 4 ] ||
    tl_fail "want 4 audit lines, have $(at_lines "$trail"): $(cat "$trail")"
i=0
for want in delivered/accepted bypass/unreachable tempfail/deferred \
    reject/rejected; do
    i=$((i + 1))
    got=$(at_field "$trail" $i 'j["verdict"] + "/" + j["reason"]')
    [ "$got" = "$want" ] || tl_fail "line $i: $got, want $want: $(sed -n ${i}p "$trail")"
    [ "$(at_field "$trail" $i 'j["from"]')" = sender@sender.test ] ||
        tl_fail "line $i: from: $(sed -n ${i}p "$trail")"
    qid=$(at_field "$trail" $i 'j["qid"]')
    grep -q "^dlpbypass-milter\[[0-9]*\]: $qid: verdict=${want%/*} " \
        "$TL_DIR/milter.log" ||
        tl_fail "line $i: qid $qid is not that of the decision line"
    [ "$qid" != NOQUEUE ] || tl_fail "line $i: no queue id"
    [ "$(at_field "$trail" $i 'j["time"]')" != "" ] || tl_fail "line $i: no time"
done
[ "$(at_field "$trail" 1 '",".join(j["rcpts"])')" = \
    "rcpt@example.com,other@example.net" ] ||
    tl_fail "line 1: rcpts: $(sed -n 1p "$trail")"
[ "$(at_field "$trail" 1 'j["message_id"]')" = "<audit.delivered@sender.test>" ] ||
    tl_fail "line 1: message_id: $(sed -n 1p "$trail")"
[ "$(at_field "$trail" 1 'j["hosts"][0]["port"], j["hosts"][0]["outcome"]')" = \
    "($(tl_port 6), 'accepted')" ] || tl_fail "line 1: hosts: $(sed -n 1p "$trail")"
[ "$(at_field "$trail" 2 'j["hosts"][0]["outcome"]')" = unreachable ] ||
    tl_fail "line 2: hosts: $(sed -n 2p "$trail")"
at_field "$trail" 3 'j["reply"]' | grep -q "DLP-busy" ||
    tl_fail "line 3: reply: $(sed -n 3p "$trail")"
want=$(at_sha "$(tl_msg dlp)")
got=$(at_field "$trail" 1 'j["sha256"]')
[ "$got" = "$want" ] ||
    tl_fail "line 1: sha256 $got, the DLP's copy has $want"
[ "$(at_field "$trail" 1 'j["prev"]')" = \
    0000000000000000000000000000000000000000000000000000000000000000 ] ||
    tl_fail "line 1 of a new file: prev is not 64 zeros"
[ "$(stat -c %a "$trail")" = 640 ] || tl_fail "mode $(stat -c %a "$trail")"

# the chain holds, and breaks where it was tampered with
at_verify "$trail" || tl_fail "verify failed: $AT_OUT"
[ "$AT_OUT" = "$trail: 4 lines, chain ok" ] || tl_fail "verify said: $AT_OUT"
t=$TL_DIR/tampered
sed '2s/"qid":"\(.\)/"qid":"x/' "$trail" >"$t" # one byte of line 2
cmp -s "$t" "$trail" && tl_fail "the tampering did not change line 2"
at_verify "$t" && tl_fail "verify passed a changed line 2: $AT_OUT"
[[ $AT_OUT == "$t:3: "* ]] || tl_fail "changed line 2: verify said: $AT_OUT"
sed '2d' "$trail" >"$t"
at_verify "$t" && tl_fail "verify passed a deleted line 2: $AT_OUT"
[[ $AT_OUT == "$t:2: "* ]] || tl_fail "deleted line 2: verify said: $AT_OUT"
for i in 1 3 2 4; do sed -n "${i}p" "$trail"; done >"$t"
at_verify "$t" && tl_fail "verify passed swapped lines 2 and 3: $AT_OUT"
[[ $AT_OUT == "$t:2: "* ]] || tl_fail "swapped lines: verify said: $AT_OUT"
sed '4s/}$//' "$trail" >"$t"
at_verify "$t" && tl_fail "verify passed a line that is not JSON: $AT_OUT"
[[ $AT_OUT == "$t:4: not a JSON object" ]] || tl_fail "not JSON: verify said: $AT_OUT"
tl_pass
