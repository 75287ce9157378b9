#!/bin/bash
# config_errors.sh - bad dlp.tls settings are configuration errors, found
# when the configuration is loaded (dlpsend exits 2 and names the
# problem): unreadable CA file, a key that does not match the certificate,
# a fingerprint that is not a SHA-256 digest, an unknown protocol floor, a
# cipher list that selects nothing.  Good settings load.
. "$(dirname "$0")/libtls.sh"
tt_init config_errors
lt_sink 1
c=$LT_DIR/c

# TLSLINES REGEX - loading fails with a message matching REGEX
bad() {
    T_TLS=encrypt T_TLS_EXTRA="$1" t_conf "$c" 1
    "$DLPSEND" -c "$c" -f s@example.com -r r@example.com \
        <"$LT_DIR/msg" >"$LT_OUT" 2>&1
    st=$?
    [ "$st" = 2 ] || lt_fail "[$1] exit status $st, want 2"
    lt_expect "$2"
}

bad "ca_file = \"$LT_DIR/nonexistent.pem\";" "ca_file"
bad "ca_path = \"$LT_DIR/nonexistent\"; ca_file = \"$LT_DIR/nope.pem\";" "ca_file"
bad "cert_file = \"$CERTS/client.pem\"; key_file = \"$CERTS/good.key\";" "key_file does not match cert_file"
bad "cert_file = \"$LT_DIR/nonexistent.pem\";" "cert_file"
bad "key_file = \"$CERTS/client.key\";" "key_file given without cert_file"
bad "fingerprint = [ \"AB:CD\" ];" "fingerprint"
bad "fingerprint = [ \"$(sed 's/^../ZZ/' "$CERTS/good.sha256")\" ];" "fingerprint"
bad "protocols = \"SSLv3\";" "protocols"
bad "ciphers = \"NO-SUCH-CIPHER\";" "ciphers"

# and a good one: every setting at once
T_TLS=encrypt T_TLS_EXTRA="ca_file = \"$CERTS/ca.pem\"; ca_path = \"$CERTS/hashed\"; cert_file = \"$CERTS/client.pem\"; key_file = \"$CERTS/client.key\"; match = \"dlp.test\"; protocols = \">=TLSv1.2\"; ciphers = \"HIGH:!aNULL:TLS_AES_256_GCM_SHA384\"; fingerprint = [ \"$(cat "$CERTS/good.sha256")\" ];" t_conf "$c" 1/none
tt_send "$c"
lt_expect '^verdict=delivered reason=accepted '
echo "PASS: config_errors"
