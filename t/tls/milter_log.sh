#!/bin/bash
# milter_log.sh - the whole chain: miltertest drives dlpbypass-milter, which
# hands the message to a private Postfix smtpd at level verify.  The
# milter's log line records the protocol, cipher, resumption, the
# certificate subject and SHA-256 digest; the second message (a new DLP
# connection from the same milter) resumes the TLS session.  With an
# expired certificate the milter tempfails with 4.7.5 and the reason.
. "$(dirname "$0")/libtls.sh"
. "$top_srcdir/t/milter/mtlib.sh"
tt_init milter_log
mt_init milter_log # the same port block as tt_init
t_conf_defaults 2 5 5 20 # those of t/tls (mt_start passes the socket)
trap 'mt_cleanup; tt_cleanup' EXIT
tt_postfix 1:good 2:expired
c=$LT_DIR/c
fp=$(cat "$CERTS/good.sha256")

# no connection reuse: the second message makes a new connection
T_DLP_EXTRA='reuse: { max_age = 0; };' \
    T_TLS=verify T_TLS_EXTRA="ca_file = \"$CERTS/ca.pem\";" t_conf "$c" 1
mt_start "$c"
mt_run delivered.lua
mt_run delivered.lua
mt_stop
mt_log_expect "QID1: verdict=delivered reason=accepted .*tls=\"TLSv1\.3 TLS_[A-Z0-9_]+ resumed=no subject=/CN=dlp\.test sha256=$fp\""
mt_log_expect "QID1: verdict=delivered reason=accepted .*tls=\"TLSv1\.3 TLS_[A-Z0-9_]+ resumed=yes subject=/CN=dlp\.test sha256=$fp\""
[ "$(tt_pf_got_from sender@example.com)" = 2 ] ||
    mt_fail "Postfix queued $(tt_pf_got_from sender@example.com) messages, want 2"

# the expired certificate: tempfail, the reason in the reply and the log
: >"$MT_LOG"
T_TLS=verify T_TLS_EXTRA="ca_file = \"$CERTS/ca.pem\";" t_conf "$c" 2
mt_start "$c"
"$MILTERTEST" -s "$top_srcdir/t/tls/tempfail.lua" -D "sock=$MT_SOCK" \
    -D "lib=$top_srcdir/t/milter/mt.lua" >"$MT_OUT" 2>&1 ||
    mt_fail "miltertest tempfail.lua failed"
mt_stop
mt_log_expect "QID2: verdict=tempfail reason=tls_failed dlp=127\.0\.0\.1\[127\.0\.0\.1\]:$(lt_port 2)/tls_failed "
mt_log_expect "4\.7\.5 .*certificate has expired"
[ "$(tt_pf_got_from sender@example.com)" = 2 ] || mt_fail "the expired host got the message"
echo "PASS: milter_log"
