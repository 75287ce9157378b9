#!/bin/bash
# tls_levels.sh - the STARTTLS states against a DLP that offers no
# STARTTLS (smtp-sink): at level encrypt that host is TLS_FAILED (4.7.4)
# before MAIL, the next host is tried (row 8), and with none left the
# message is tempfailed, never sent in clear; a per-server level "none"
# overrides; at level may the message goes in plaintext.
. "$(dirname "$0")/libtest.sh"
lt_init tls_levels

echo "Subject: x" >"$LT_DIR/msg"
lt_sink 1 -v
lt_sink 2 -v

T_TLS=encrypt t_conf "$LT_DIR/c" 1 2
lt_send "$LT_DIR/c" s@example.com r@example.com <"$LT_DIR/msg"
lt_expect "^verdict=tempfail reason=tls_failed dlp=[^ ]*:$(lt_port 1)/tls_failed,[^ ]*:$(lt_port 2)/tls_failed reply=451 4\.7\.4 DLP [^ ]*: TLS is required, but was not offered by the host"
grep -q 'MAIL FROM' "$LT_DIR"/sink[12].log && lt_fail "MAIL was sent in clear"

cat >"$LT_DIR/c2" <<EOC
dlp: {
  servers = ( { host = "127.0.0.1"; port = $(lt_port 1); },
              { host = "127.0.0.1"; port = $(lt_port 2); tls_level = "none"; } );
  connect_timeout = 1; command_timeout = 1; data_timeout = 2;
  tls: { level = "encrypt"; };
};
EOC
lt_send "$LT_DIR/c2" s@example.com r@example.com <"$LT_DIR/msg"
lt_expect "^verdict=delivered reason=accepted dlp=[^ ]*:$(lt_port 1)/tls_failed,[^ ]*:$(lt_port 2)/accepted "
[ "$(lt_nmsgs 1)" = 0 ] || lt_fail "host 1 got the message in clear"
[ "$(lt_nmsgs 2)" = 1 ] || lt_fail "host 2 did not get the message"

T_TLS=may t_conf "$LT_DIR/c3" 1
lt_send "$LT_DIR/c3" s@example.com r@example.com <"$LT_DIR/msg"
lt_expect "^verdict=delivered reason=accepted dlp=[^ ]*:$(lt_port 1)/accepted "
lt_reject '^tls='
echo "PASS: tls_levels"
