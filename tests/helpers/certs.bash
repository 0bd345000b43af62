# certs.bash: test certificates made at test time with the openssl CLI.
# No private key is ever committed; everything lands in a temp dir.
#
#   certs_make DIR
#	DIR/ca.pem ca.key          a test CA
#	DIR/server.pem server.key  server cert signed by the CA, valid for
#	                           localhost, 127.0.0.1 and ::1
#	DIR/named.pem named.key    server cert valid ONLY for the DNS name
#	                           kube.test.internal (tls-server-name tests)
#	DIR/client.pem client.key  client cert (CN=test-user, O=test-group)
#	                           signed by the CA
#	DIR/other-ca.pem other-ca.key  an unrelated CA
#	DIR/rogue.pem rogue.key    client cert signed by the unrelated CA
#
# Certificates are cached per DIR: calling certs_make twice is cheap.

# _certs_sign DIR NAME CA SUBJ EXT: key + cert NAME signed by CA with EXT.
_certs_sign() {
	local dir=$1 name=$2 ca=$3 subj=$4 ext=$5
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout "$dir/$name.key" -subj "$subj" \
		-out "$dir/$name.csr" 2>/dev/null || return 1
	printf '%s\n' "$ext" >"$dir/$name.ext"
	openssl x509 -req -in "$dir/$name.csr" -CA "$dir/$ca.pem" \
		-CAkey "$dir/$ca.key" -CAcreateserial -days 2 \
		-extfile "$dir/$name.ext" -out "$dir/$name.pem" 2>/dev/null ||
		return 1
	rm -f "$dir/$name.csr" "$dir/$name.ext"
}

# _certs_ca DIR NAME CN: a self-signed CA.
_certs_ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout "$1/$2.key" -subj "/CN=$3" -days 2 \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign \
		-out "$1/$2.pem" 2>/dev/null
}

certs_make() {
	local dir=$1
	[ -f "$dir/rogue.pem" ] && return 0
	mkdir -p "$dir" || return 1
	(umask 077
	_certs_ca "$dir" ca "maasctl test CA" &&
	_certs_ca "$dir" other-ca "unrelated test CA" &&
	_certs_sign "$dir" server ca "/CN=localhost" \
		"subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
extendedKeyUsage=serverAuth" &&
	_certs_sign "$dir" named ca "/CN=kube.test.internal" \
		"subjectAltName=DNS:kube.test.internal
extendedKeyUsage=serverAuth" &&
	_certs_sign "$dir" client ca "/O=test-group/CN=test-user" \
		"extendedKeyUsage=clientAuth" &&
	_certs_sign "$dir" rogue other-ca "/CN=rogue-user" \
		"extendedKeyUsage=clientAuth")
}
