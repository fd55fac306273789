#!/bin/sh
# Makes a throwaway CA and a server certificate it signs, for 127.0.0.1 and localhost, so that
# TLS tests (STARTTLS, RFC 3207; implicit TLS, RFC 8314) run with certificate and hostname
# verification ON, trusting only this CA.
#   scripts/make_test_certs.sh DIR  ->  DIR/ca.pem DIR/server.pem DIR/server.key
set -eu
dir=${1:?usage: make_test_certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Gatehouse Test CA" \
  -keyout ca.key -out ca.pem \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
  -extfile server.ext -out server.pem 2>/dev/null
rm -f server.csr server.ext ca.srl
