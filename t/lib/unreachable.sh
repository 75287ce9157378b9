#!/bin/bash
# unreachable.sh - every DLP port refused: bypass at once (row 1); with
# bypass disabled: tempfail 451 4.4.1 (reason "disabled").
. "$(dirname "$0")/libtest.sh"
lt_init unreachable

# ports 1 and 2: nothing listens.  connect_timeout 5: a client that waited
# for the timeout would take >= 10 s; the bound below leaves room for a
# loaded machine and sanitizer start-up (refused_fast.sh times row 1 itself)
T_CONNECT=5 t_conf "$LT_DIR/c" 1 2
echo "Subject: x" >"$LT_DIR/msg"
start=$(date +%s%N)
lt_send "$LT_DIR/c" s@example.com r@example.com <"$LT_DIR/msg"
ms=$((($(date +%s%N) - start) / 1000000))
lt_expect '^rcpt=<r@example.com> status=accepted'
lt_expect "^verdict=bypass reason=unreachable dlp=127\.0\.0\.1\[127\.0\.0\.1\]:$(lt_port 1)/unreachable,127\.0\.0\.1\[127\.0\.0\.1\]:$(lt_port 2)/unreachable "
[ "$ms" -lt 3000 ] || lt_fail "bypass decision took $ms ms"

T_BYPASS=false t_conf "$LT_DIR/c2" 1 2
lt_send "$LT_DIR/c2" s@example.com r@example.com <"$LT_DIR/msg"
lt_expect '^verdict=tempfail reason=disabled .* reply=451 4\.4\.1 DLP connect to 127\.0\.0\.1\[127\.0\.0\.1\]:[0-9]+: connect: Connection refused'

# a name that does not resolve says nothing about the DLP: INTERNAL
# (internal:dns), tempfail, never a bypass
cat >"$LT_DIR/c3" <<EOC
dlp: { servers = ( { host = "no-such-host.invalid"; port = 25; } );
       connect_timeout = 1; command_timeout = 1; };
EOC
lt_send "$LT_DIR/c3" s@example.com r@example.com <"$LT_DIR/msg"
lt_expect '^verdict=tempfail reason=internal:dns dlp=no-such-host\.invalid\[unknown\]:25/internal reply=451 4\.3\.0 '
echo "PASS: unreachable"
