#!/bin/bash
# resume.sh - TLS session resumption to a real Postfix DLP: with one
# configuration, the first message does a full handshake and every later
# one (a new connection each) resumes (resumed=yes), with TLS 1.3 (tickets
# after the handshake) and TLS 1.2, also from 8 threads at once; with
# connection reuse on, later messages share the first TLS connection.  A
# failed verification is never cached.  The effect is measured: the same N messages with a fresh
# configuration each time (full handshakes) against one configuration
# (resumed); both means are printed.
. "$(dirname "$0")/libtls.sh"
tt_init resume
tt_postfix 1:good 2:expired 3:good:tls12
c=$LT_DIR/c
REPEAT=$top_builddir/t/tls/tlsrepeat
[ -x "$REPEAT" ] || lt_fail "$REPEAT not built (make check builds it)"

# N PROTO - three messages to server N: the 2nd and 3rd resume
three_resume() {
    T_TLS=verify T_TLS_EXTRA="ca_file = \"$CERTS/ca.pem\";" t_conf "$c" "$1"
    "$REPEAT" -c "$c" -f s@example.com -r r@example.com -n 3 \
        <"$LT_DIR/msg" >"$LT_OUT" 2>&1 || lt_fail "tlsrepeat failed"
    lt_expect "^msg=1 verdict=delivered .* tls=$2 [^ ]+ resumed=no "
    lt_expect "^msg=2 verdict=delivered .* tls=$2 [^ ]+ resumed=yes "
    lt_expect "^msg=3 verdict=delivered .* tls=$2 [^ ]+ resumed=yes "
    lt_expect "^msg=2 .* subject=/CN=dlp\.test sha256=$(cat "$CERTS/good.sha256") "
}
three_resume 1 'TLSv1\.3'   # tickets arrive after the handshake
three_resume 3 'TLSv1\.2'   # the session comes with the handshake
[ "$(tt_pf_got)" = 6 ] || lt_fail "Postfix queued $(tt_pf_got) messages, want 6"

# many threads at once share the cache: every message after the first
# resumes (the milter runs one thread per SMTP connection)
T_TLS=verify T_TLS_EXTRA="ca_file = \"$CERTS/ca.pem\";" t_conf "$c" 1
"$REPEAT" -t 8 -c "$c" -f s@example.com -r r@example.com -n 24 \
    <"$LT_DIR/msg" >"$LT_OUT" 2>&1 || lt_fail "tlsrepeat -t failed"
[ "$(grep -c '^msg=.* verdict=delivered ' "$LT_OUT")" = 24 ] ||
    lt_fail "8 threads: not every message delivered"
[ "$(grep -c 'resumed=yes' "$LT_OUT")" = 23 ] ||
    lt_fail "8 threads: not every later message resumed"

# connection reuse (dlp.reuse, on by default): three messages through one
# pool share one TLS connection (RSET between them), one handshake
tls0=$(tt_pf_tls)
T_TLS=verify T_TLS_EXTRA="ca_file = \"$CERTS/ca.pem\";" t_conf "$c" 1
"$DLPSEND" -n 3 -c "$c" -f s@example.com -r r@example.com \
    <"$LT_DIR/msg" >"$LT_OUT" 2>&1 || lt_fail "dlpsend -n failed"
[ "$(grep -c '^verdict=delivered ' "$LT_OUT")" = 3 ] || lt_fail "reuse: not all delivered"
[ "$(tt_pf_tls)" = $((tls0 + 1)) ] || lt_fail "reuse: $(($(tt_pf_tls) - tls0)) TLS sessions, want 1"
# reuse off: three connections, the 2nd and 3rd resumed
T_DLP_EXTRA='reuse: { max_age = 0; };' \
    T_TLS=verify T_TLS_EXTRA="ca_file = \"$CERTS/ca.pem\";" t_conf "$c" 1
"$DLPSEND" -n 3 -c "$c" -f s@example.com -r r@example.com \
    <"$LT_DIR/msg" >"$LT_OUT" 2>&1 || lt_fail "dlpsend -n failed"
[ "$(grep -c '^verdict=delivered ' "$LT_OUT")" = 3 ] || lt_fail "no reuse: not all delivered"
[ "$(grep -c '^tls=.* resumed=yes' "$LT_OUT")" = 2 ] || lt_fail "no reuse: want 2 resumed"

# a host whose certificate fails verification: never resumed into success
T_TLS=verify T_TLS_EXTRA="ca_file = \"$CERTS/ca.pem\";" t_conf "$c" 2
"$REPEAT" -c "$c" -f s@example.com -r r@example.com -n 2 \
    <"$LT_DIR/msg" >"$LT_OUT" 2>&1 || lt_fail "tlsrepeat failed"
lt_expect '^msg=1 verdict=tempfail .*certificate has expired'
lt_expect '^msg=2 verdict=tempfail .*certificate has expired'

# the effect: N messages, full handshakes vs resumed
n=${TT_RESUME_N:-20}
T_TLS=verify T_TLS_EXTRA="ca_file = \"$CERTS/ca.pem\";" t_conf "$c" 1
"$REPEAT" -F -c "$c" -f s@example.com -r r@example.com -n "$n" \
    <"$LT_DIR/msg" >"$LT_DIR/full" 2>&1 || lt_fail "tlsrepeat -F failed"
"$REPEAT" -c "$c" -f s@example.com -r r@example.com -n "$n" \
    <"$LT_DIR/msg" >"$LT_DIR/resumed" 2>&1 || lt_fail "tlsrepeat failed"
grep -q 'resumed=yes' "$LT_DIR/full" && lt_fail "-F resumed a session"
[ "$(grep -c 'resumed=yes' "$LT_DIR/resumed")" = $((n - 1)) ] ||
    lt_fail "not every later message resumed: $(cat "$LT_DIR/resumed")"
# FILE - median ms per message of messages 2..N
median() {
    sed -n 's/^msg=\([0-9]*\) .* ms=\([0-9.]*\) .*/\1 \2/p' "$1" |
        awk '$1 > 1 { print $2 }' | sort -n |
        awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
echo "per message, $n messages, new connection each (messages 2..$n):"
echo "  full handshakes: median $(median "$LT_DIR/full") ms, $(tail -n 1 "$LT_DIR/full")"
echo "  resumed:         median $(median "$LT_DIR/resumed") ms, $(tail -n 1 "$LT_DIR/resumed")"
echo "PASS: resume"
