#!/bin/bash
# t/tls/gen-certs.sh DIR - make the TLS tests' certificates with openssl:
#   ca.pem / ca.key          a test CA ("dlpbypass test CA")
#   good.pem / good.key      signed by the CA, names dlp.test and 127.0.0.1
#   expired.pem / .key       signed by the CA, same names, expired in 2020
#   wrongname.pem / .key     signed by the CA, names only wrong.test
#   self.pem / self.key      self-signed, names dlp.test and 127.0.0.1
#   client.pem / .key        a client certificate signed by the CA
#   *.sha256                 the SHA-256 fingerprint, "AB:CD:..."
#   hashed/                  ca.pem in a hashed directory (ca_path)
# Idempotent: does nothing when DIR/.done exists (made last).
set -eu
dir=$1
[ -f "$dir/.done" ] && exit 0
mkdir -p "$dir"
cd "$dir"
openssl=${OPENSSL:-openssl}

cat > ca.cnf <<CNF
[ ca ]
default_ca = testca
[ testca ]
dir = .
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = anything
copy_extensions = copy
unique_subject = no
[ anything ]
commonName = supplied
[ req ]
distinguished_name = dn
[ dn ]
[ server ]
basicConstraints = CA:false
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
[ client ]
basicConstraints = CA:false
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
CNF
: > index.txt
echo 1000 > serial

# the CA
$openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem \
    -days 3650 -subj "/CN=dlpbypass test CA" -config ca.cnf \
    -addext "basicConstraints=critical,CA:true" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

# sign NAME CN SAN EXT [START END] - a CA-signed certificate
sign() {
    local name=$1 cn=$2 san=$3 ext=$4 start=${5-} end=${6-}
    $openssl req -new -newkey rsa:2048 -nodes -keyout "$name.key" \
        -out "$name.csr" -subj "/CN=$cn" -config ca.cnf \
        ${san:+-addext "subjectAltName=$san"} 2>/dev/null
    if [ -n "$start" ]; then
        $openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key \
            -extensions "$ext" -startdate "$start" -enddate "$end" \
            -in "$name.csr" -out "$name.pem" -notext 2>/dev/null
    else
        $openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key \
            -extensions "$ext" -days 3650 \
            -in "$name.csr" -out "$name.pem" -notext 2>/dev/null
    fi
}
sign good dlp.test "DNS:dlp.test,IP:127.0.0.1" server
sign expired dlp.test "DNS:dlp.test,IP:127.0.0.1" server \
    20200101000000Z 20200201000000Z
sign wrongname wrong.test "DNS:wrong.test" server
sign client dlpbypass-client "" client

$openssl req -x509 -newkey rsa:2048 -nodes -keyout self.key -out self.pem \
    -days 3650 -subj "/CN=dlp.test" -config ca.cnf \
    -addext "subjectAltName=DNS:dlp.test,IP:127.0.0.1" 2>/dev/null

for c in ca good expired wrongname client self; do
    $openssl x509 -in "$c.pem" -noout -fingerprint -sha256 |
        sed 's/^.*=//' > "$c.sha256.tmp"
    mv "$c.sha256.tmp" "$c.sha256"
done
mkdir -p hashed
cp ca.pem hashed/
$openssl rehash hashed 2>/dev/null || c_rehash hashed >/dev/null
chmod 644 ./*.pem ./*.key
rm -f ./*.csr ./[0-9]*.pem
touch .done
