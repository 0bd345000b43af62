#!/usr/bin/env bats
# http.bats: common/http.c end to end through tests/helpers/http-tool against
# the scripted responder: TLS with a custom CA, client certificates,
# --insecure, tls-server-name, proxies, retries, error mapping, redaction.
bats_require_minimum_version 1.5.0

setup_file() {
	export CERTS="$BATS_FILE_TMPDIR/certs"
	load ../helpers/certs
	certs_make "$CERTS"
}

setup() {
	load ../helpers/certs
	load ../helpers/responder
	TOOL="$MAASCTL_TEST_ROOT/$BUILD/tests/helpers/http-tool"
}

teardown() {
	responder_stop
}

tls_start() {
	responder_start "$1" --cert "$CERTS/${2:-server}.pem" \
		--key "$CERTS/${2:-server}.key" "${@:3}"
}

now_ms() {
	date +%s%3N
}

# --- TLS ---------------------------------------------------------------

@test "https with the custom CA from a file" {
	tls_start 'line hello'
	run -0 --separate-stderr "$TOOL" --ca-file "$CERTS/ca.pem" \
		"https://127.0.0.1:$RESPONDER_PORT/x"
	[ "$output" = hello ]
	[ "$(responder_count)" -eq 1 ]
}

@test "https with the custom CA as in-memory PEM data" {
	tls_start 'line hello'
	run -0 --separate-stderr "$TOOL" --ca-data-file "$CERTS/ca.pem" \
		"https://localhost:$RESPONDER_PORT/x"
	[ "$output" = hello ]
}

@test "https without the CA fails with exit 6, the URL, the reason and a hint" {
	tls_start 'line hello'
	run -6 --separate-stderr "$TOOL" "https://127.0.0.1:$RESPONDER_PORT/x"
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "maasctl: TLS connection to https://127.0.0.1:$RESPONDER_PORT/x failed: SSL certificate problem: unable to get local issuer certificate" ]
	[ "${stderr_lines[1]}" = "hint: pass the server's CA with --ca-file, or --insecure to skip verification (unsafe)" ]
	[ "$(responder_count)" -eq 0 ]
}

@test "https with a CA that did not sign the server fails with exit 6" {
	tls_start 'line hello'
	run -6 --separate-stderr "$TOOL" --ca-file "$CERTS/other-ca.pem" \
		"https://127.0.0.1:$RESPONDER_PORT/x"
	[[ "${stderr_lines[0]}" == "maasctl: TLS connection to https://127.0.0.1:$RESPONDER_PORT/x failed: SSL certificate problem: "* ]]
}

@test "--insecure accepts a server whose CA is unknown" {
	tls_start 'line hello'
	run -0 --separate-stderr "$TOOL" --insecure \
		"https://127.0.0.1:$RESPONDER_PORT/x"
	[ "$output" = hello ]
}

@test "a certificate for another name fails verification" {
	tls_start 'line hello' named
	run -6 --separate-stderr "$TOOL" --ca-file "$CERTS/ca.pem" \
		"https://127.0.0.1:$RESPONDER_PORT/x"
	[[ "${stderr_lines[0]}" == *"failed: SSL: no alternative certificate subject name matches target host name '127.0.0.1'" ]]
}

@test "tls-server-name verifies against that name and keeps the Host header" {
	tls_start 'line hello' named
	run -0 --separate-stderr "$TOOL" --ca-file "$CERTS/ca.pem" \
		--tls-server-name kube.test.internal \
		"https://127.0.0.1:$RESPONDER_PORT/api?x=1"
	[ "$output" = hello ]
	run -0 responder_request 1
	[ "${lines[0]}" = "=== 1 GET /api?x=1 HTTP/1.1" ]
	[ "${lines[1]}" = "Host: 127.0.0.1:$RESPONDER_PORT" ]
}

@test "tls-server-name with a name the certificate lacks fails" {
	tls_start 'line hello' named
	run -6 --separate-stderr "$TOOL" --ca-file "$CERTS/ca.pem" \
		--tls-server-name other.test.internal \
		"https://127.0.0.1:$RESPONDER_PORT/x"
	[[ "${stderr_lines[0]}" == *"no alternative certificate subject name matches target host name 'other.test.internal'" ]]
}

@test "client certificate from files is presented and accepted" {
	tls_start 'line authed' server --client-ca "$CERTS/ca.pem"
	run -0 --separate-stderr "$TOOL" --ca-file "$CERTS/ca.pem" \
		--cert "$CERTS/client.pem" --key "$CERTS/client.key" \
		"https://127.0.0.1:$RESPONDER_PORT/x"
	[ "$output" = authed ]
	grep -qx 'client-cert: /O=test-group/CN=test-user' "$RESPONDER_LOG"
}

@test "client certificate and key as in-memory PEM data" {
	tls_start 'line authed' server --client-ca "$CERTS/ca.pem"
	run -0 --separate-stderr "$TOOL" --ca-data-file "$CERTS/ca.pem" \
		--cert-data-file "$CERTS/client.pem" \
		--key-data-file "$CERTS/client.key" \
		"https://127.0.0.1:$RESPONDER_PORT/x"
	[ "$output" = authed ]
	grep -qx 'client-cert: /O=test-group/CN=test-user' "$RESPONDER_LOG"
}

@test "no client certificate where one is required fails with exit 6" {
	tls_start 'line authed' server --client-ca "$CERTS/ca.pem"
	run -6 --separate-stderr "$TOOL" --ca-file "$CERTS/ca.pem" \
		"https://127.0.0.1:$RESPONDER_PORT/x"
	[[ "${stderr_lines[0]}" == "maasctl: "*"https://127.0.0.1:$RESPONDER_PORT/x"* ]]
	[[ "$stderr" == *"client certificate"* ]]
	[ "$(responder_count)" -eq 0 ]
}

@test "a client certificate from an untrusted CA is refused" {
	tls_start 'line authed' server --client-ca "$CERTS/ca.pem"
	run -6 --separate-stderr "$TOOL" --ca-file "$CERTS/ca.pem" \
		--cert "$CERTS/rogue.pem" --key "$CERTS/rogue.key" \
		"https://127.0.0.1:$RESPONDER_PORT/x"
	[[ "${stderr_lines[0]}" == "maasctl: "*"https://127.0.0.1:$RESPONDER_PORT/x"* ]]
	[ "$(responder_count)" -eq 0 ]
}

@test "an unreadable client certificate file is reported" {
	tls_start 'line authed'
	run -6 --separate-stderr "$TOOL" --ca-file "$CERTS/ca.pem" \
		--cert "$BATS_TEST_TMPDIR/nope.pem" --key "$CERTS/client.key" \
		"https://127.0.0.1:$RESPONDER_PORT/x"
	[[ "${stderr_lines[0]}" == *"nope.pem"* ]]
}

# --- retries -------------------------------------------------------------

@test "429 then 503 are retried honouring Retry-After and retry-after-ms" {
	responder_start 'status 429
header Retry-After: 1
line slow down
---
status 503
header retry-after-ms: 300
---
line done'
	t0=$(now_ms)
	run -0 --separate-stderr "$TOOL" "http://127.0.0.1:$RESPONDER_PORT/x"
	t1=$(now_ms)
	[ "$output" = done ]
	[ "$(responder_count)" -eq 3 ]
	# 1 s + 0.3 s of waiting asked for by the server.
	[ $((t1 - t0)) -ge 1250 ]
	[ $((t1 - t0)) -lt 8000 ]
}

@test "Retry-After as an HTTP date is honoured" {
	epoch=$(( $(date +%s) + 3 ))
	when=$(LC_ALL=C TZ=GMT date -d "@$epoch" '+%a, %d %b %Y %H:%M:%S GMT')
	responder_start "status 503
header Retry-After: $when
---
line done"
	run -0 --separate-stderr "$TOOL" "http://127.0.0.1:$RESPONDER_PORT/x"
	t1=$(now_ms)
	[ "$output" = done ]
	[ "$(responder_count)" -eq 2 ]
	# The retry waited until (within the date's one-second resolution) then.
	[ "$t1" -ge $(( (epoch - 1) * 1000 )) ]
}

@test "429 for longer than the attempts allow ends with exit 8 and the response" {
	responder_start 'status 429
header Retry-After: 0
line {"error":"rate limited"}
times 10'
	run -8 --separate-stderr "$TOOL" --retries 3 \
		"http://127.0.0.1:$RESPONDER_PORT/x"
	[ "$output" = '{"error":"rate limited"}' ]
	[ "$stderr" = "http-tool: HTTP 429" ]
	[ "$(responder_count)" -eq 3 ]
}

@test "a Retry-After beyond the wait budget is not waited for" {
	responder_start 'status 429
header Retry-After: 120
---
line never'
	t0=$(now_ms)
	run -8 --separate-stderr "$TOOL" --max-wait 5 \
		"http://127.0.0.1:$RESPONDER_PORT/x"
	t1=$(now_ms)
	[ "$(responder_count)" -eq 1 ]
	[ $((t1 - t0)) -lt 5000 ]
}

@test "503 without Retry-After backs off and gives up with exit 6" {
	responder_start 'status 503
times 10'
	run -6 --separate-stderr "$TOOL" --retries 4 --backoff-base 0.05 \
		"http://127.0.0.1:$RESPONDER_PORT/x"
	[ "$(responder_count)" -eq 4 ]
}

@test "--retries 1 disables retrying" {
	responder_start 'status 503
times 10'
	run -6 --separate-stderr "$TOOL" --retries 1 \
		"http://127.0.0.1:$RESPONDER_PORT/x"
	[ "$(responder_count)" -eq 1 ]
}

@test "a GET whose connection closed without a reply is retried" {
	responder_start 'close
---
line second'
	run -0 --separate-stderr "$TOOL" --backoff-base 0.05 \
		"http://127.0.0.1:$RESPONDER_PORT/x"
	[ "$output" = second ]
	[ "$(responder_count)" -eq 2 ]
}

@test "a POST the server received is not retried after the connection closed" {
	responder_start 'close
---
line second'
	run -6 --separate-stderr "$TOOL" -X POST --data '{"a":1}' \
		"http://127.0.0.1:$RESPONDER_PORT/x"
	[ "$(responder_count)" -eq 1 ]
	[[ "${stderr_lines[0]}" == "maasctl: POST http://127.0.0.1:$RESPONDER_PORT/x failed: "* ]]
	run -0 responder_request 1
	[ "${lines[-1]}" = '{"a":1}' ]
}

@test "a POST is not retried after 502 or 504" {
	responder_start 'status 502
---
status 504
---
line ok'
	run -6 --separate-stderr "$TOOL" -X POST --data x \
		"http://127.0.0.1:$RESPONDER_PORT/x"
	[ "$(responder_count)" -eq 1 ]
	run -7 --separate-stderr "$TOOL" -X PATCH --data x \
		"http://127.0.0.1:$RESPONDER_PORT/x"
	[ "$(responder_count)" -eq 2 ]
}

@test "a PUT is retried after 502" {
	responder_start 'status 502
---
line ok'
	run -0 --separate-stderr "$TOOL" -X PUT --data x --backoff-base 0.05 \
		"http://127.0.0.1:$RESPONDER_PORT/x"
	[ "$output" = ok ]
	[ "$(responder_count)" -eq 2 ]
}

@test "a POST marked retry-safe is resent after the connection closed" {
	responder_start 'close
---
line second'
	run -0 --separate-stderr "$TOOL" -X POST --data x --retry-safe \
		--backoff-base 0.05 "http://127.0.0.1:$RESPONDER_PORT/x"
	[ "$output" = second ]
	[ "$(responder_count)" -eq 2 ]
}

@test "a POST answered 429 with Retry-After is retried (the server did not process it)" {
	responder_start 'status 429
header Retry-After: 0
---
line ok'
	run -0 --separate-stderr "$TOOL" -X POST --data x \
		"http://127.0.0.1:$RESPONDER_PORT/x"
	[ "$output" = ok ]
	[ "$(responder_count)" -eq 2 ]
}

# --- errors --------------------------------------------------------------

@test "connection refused: exit 6 naming host:port" {
	responder_start 'line x'
	port=$RESPONDER_PORT
	responder_stop
	run -6 --separate-stderr "$TOOL" --retries 2 --backoff-base 0.01 \
		"http://127.0.0.1:$port/x"
	[ "${stderr_lines[0]}" = "maasctl: cannot connect to 127.0.0.1:$port: connection refused (GET http://127.0.0.1:$port/x)" ]
}

@test "a refused POST is retried: the request was never sent" {
	responder_start 'line x'
	port=$RESPONDER_PORT
	responder_stop
	run -6 --separate-stderr "$TOOL" -v 1 -X POST --data x --retries 3 \
		--backoff-base 0.01 "http://127.0.0.1:$port/x"
	[ "$(grep -c "^retrying POST http://127.0.0.1:$port/x in " <<<"$stderr")" -eq 2 ]
	[ "${stderr_lines[-2]}" = "maasctl: cannot connect to 127.0.0.1:$port: connection refused (POST http://127.0.0.1:$port/x)" ]
}

@test "errors never carry secret query parameters" {
	responder_start 'line x'
	port=$RESPONDER_PORT
	responder_stop
	run -6 --separate-stderr "$TOOL" --retries 1 \
		"http://127.0.0.1:$port/x?access_token=QSECRET1&limit=1"
	[ "${stderr_lines[0]}" = "maasctl: cannot connect to 127.0.0.1:$port: connection refused (GET http://127.0.0.1:$port/x?access_token=REDACTED&limit=1)" ]
	run -2 --separate-stderr "$TOOL" "http://[bad?token=QSECRET2"
	[[ "$stderr" != *QSECRET2* ]]
	[[ "${stderr_lines[0]}" == 'maasctl: invalid URL "http://[bad?token=REDACTED": '* ]]
}

@test "an unresolvable host: exit 6 naming the URL" {
	run -6 --separate-stderr "$TOOL" --retries 1 --connect-timeout 5 \
		"http://no-such-host.invalid/x"
	[[ "${stderr_lines[0]}" == "maasctl: cannot resolve the host of http://no-such-host.invalid/x: "* ]]
}

@test "a slow server: exit 7 after the total timeout" {
	responder_start 'delay 3
line late'
	t0=$(now_ms)
	run -7 --separate-stderr "$TOOL" --timeout 0.5 \
		"http://127.0.0.1:$RESPONDER_PORT/x"
	t1=$(now_ms)
	[[ "${stderr_lines[0]}" == "maasctl: GET http://127.0.0.1:$RESPONDER_PORT/x timed out: "* ]]
	[ $((t1 - t0)) -lt 2900 ]
}

@test "4xx statuses come back to the caller unretried" {
	responder_start 'status 404
line {"kind":"Status"}'
	run -4 --separate-stderr "$TOOL" "http://127.0.0.1:$RESPONDER_PORT/x"
	[ "$output" = '{"kind":"Status"}' ]
	[ "$(responder_count)" -eq 1 ]
}

@test "headers and body are sent; response headers are looked up" {
	responder_start 'status 201
header X-Thing: one
line created'
	run -0 --separate-stderr "$TOOL" -i -X POST -H 'Content-Type: text/plain' \
		-H 'X-Custom: yes' --data 'payload' \
		"http://127.0.0.1:$RESPONDER_PORT/things"
	[ "${lines[0]}" = "HTTP 201" ]
	[[ "$output" == *"X-Thing: one"* ]]
	[ "${lines[-1]}" = created ]
	run -0 responder_request 1
	[ "${lines[0]}" = "=== 1 POST /things HTTP/1.1" ]
	[[ "$output" == *"X-Custom: yes"* ]]
	[[ "$output" == *"Content-Type: text/plain"* ]]
	[ "${lines[-1]}" = payload ]
}

@test "streaming hands chunks over as they arrive" {
	responder_start 'chunk {"type":"ADDED"}
sleep 0.3
chunk {"type":"MODIFIED"}'
	run -0 --separate-stderr "$TOOL" --stream \
		"http://127.0.0.1:$RESPONDER_PORT/w"
	[ "${lines[0]}" = '{"type":"ADDED"}' ]
	[ "${lines[1]}" = '{"type":"MODIFIED"}' ]
}

# --- the native HTTP/1.1 transport ------------------------------------------

@test "keep-alive: repeated requests share one connection" {
	responder_start 'line one
times 3'
	run -0 --separate-stderr "$TOOL" --repeat 3 "http://127.0.0.1:$RESPONDER_PORT/x"
	[ "$output" = $'one\none\none' ]
	[ "$(responder_count)" -eq 3 ]
	[ "$(grep -c '^connection: 1$' "$RESPONDER_LOG")" -eq 3 ]
}

@test "keep-alive over TLS: one handshake for repeated requests" {
	tls_start 'line one
times 2'
	run -0 --separate-stderr "$TOOL" --repeat 2 --ca-file "$CERTS/ca.pem" \
		"https://127.0.0.1:$RESPONDER_PORT/x"
	[ "$output" = $'one\none' ]
	[ "$(grep -c '^connection: 1$' "$RESPONDER_LOG")" -eq 2 ]
}

@test "a connection the server closed is not reused: the next request opens another" {
	responder_start 'raw HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nold\n
---
line new'
	run -0 --separate-stderr "$TOOL" --repeat 2 "http://127.0.0.1:$RESPONDER_PORT/x"
	[ "$output" = $'old\nnew' ]
	[ "$(responder_count)" -eq 2 ]
	grep -qx 'connection: 2' "$RESPONDER_LOG"
}

@test "a close-delimited body is read to the end of the connection" {
	responder_start 'raw HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nno length\nat all\n'
	run -0 --separate-stderr "$TOOL" -i "http://127.0.0.1:$RESPONDER_PORT/x"
	[ "${lines[0]}" = "HTTP 200" ]
	[ "${lines[1]}" = "Content-Type: text/plain" ]
	[ "${lines[-2]}" = "no length" ]
	[ "${lines[-1]}" = "at all" ]
}

@test "an HTTP/1.0 reply is accepted" {
	responder_start 'raw HTTP/1.0 201 Created\r\nX-Old: yes\r\n\r\nten'
	run -0 --separate-stderr "$TOOL" -i "http://127.0.0.1:$RESPONDER_PORT/x"
	[ "${lines[0]}" = "HTTP 201" ]
	[ "${lines[1]}" = "X-Old: yes" ]
	[ "${lines[-1]}" = "ten" ]
}

@test "a chunked body is joined when not streaming; 1xx interim replies are skipped" {
	responder_start 'chunk first
chunk second
---
raw HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: x\r\n\r\n'
	run -0 --separate-stderr "$TOOL" "http://127.0.0.1:$RESPONDER_PORT/x"
	[ "$output" = $'first\nsecond' ]
	run -0 --separate-stderr "$TOOL" "http://127.0.0.1:$RESPONDER_PORT/x"
	[ "$output" = abcde ]
}

@test "a body cut short of its Content-Length fails with exit 6" {
	responder_start 'raw HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this'
	run -6 --separate-stderr "$TOOL" --retries 1 "http://127.0.0.1:$RESPONDER_PORT/x"
	[ "${stderr_lines[0]}" = "maasctl: GET http://127.0.0.1:$RESPONDER_PORT/x failed: transfer closed with 91 bytes remaining to read" ]
}

@test "a chunked body the server hangs up on fails; a stream already delivered is not retried" {
	responder_start 'chunk {"type":"ADDED"}
hangup
times 3'
	run -6 --separate-stderr "$TOOL" --retries 1 "http://127.0.0.1:$RESPONDER_PORT/x"
	[ "${stderr_lines[0]}" = "maasctl: GET http://127.0.0.1:$RESPONDER_PORT/x failed: transfer closed with outstanding read data remaining" ]
	run -6 --separate-stderr "$TOOL" --stream --retries 3 "http://127.0.0.1:$RESPONDER_PORT/x"
	[ "${lines[0]}" = '{"type":"ADDED"}' ]
	[[ "${stderr_lines[0]}" == *"transfer closed with outstanding read data remaining" ]]
	[ "$(responder_count)" -eq 2 ]
}

@test "a header line over 100 KiB is refused with a clear error" {
	big=$(head -c 120000 /dev/zero | tr '\0' b)
	responder_start "header X-Big: $big
line never"
	run -6 --separate-stderr "$TOOL" --retries 1 "http://127.0.0.1:$RESPONDER_PORT/x"
	[ "${stderr_lines[0]}" = "maasctl: GET http://127.0.0.1:$RESPONDER_PORT/x failed: response header line longer than 102400 bytes" ]
}

@test "a reply that is not HTTP fails with exit 6" {
	responder_start 'raw SSH-2.0-OpenSSH_9.2\r\n'
	run -6 --separate-stderr "$TOOL" --retries 1 "http://127.0.0.1:$RESPONDER_PORT/x"
	[[ "${stderr_lines[0]}" == "maasctl: GET http://127.0.0.1:$RESPONDER_PORT/x failed: Unsupported HTTP version or malformed status line"* ]]
}

@test "a client key that does not match the certificate is reported" {
	tls_start 'line authed' server --client-ca "$CERTS/ca.pem"
	run -6 --separate-stderr "$TOOL" --ca-file "$CERTS/ca.pem" \
		--cert "$CERTS/client.pem" --key "$CERTS/rogue.key" \
		"https://127.0.0.1:$RESPONDER_PORT/x"
	[ "${stderr_lines[0]}" = "maasctl: TLS connection to https://127.0.0.1:$RESPONDER_PORT/x failed: unable to set private key file: '$CERTS/rogue.key' type PEM (key values mismatch)" ]
	[ "$(responder_count)" -eq 0 ]
}

@test "requests without a proxy never load libcurl; proxied ones do" {
	responder_start 'line direct
---
line via proxy'
	LD_DEBUG=files run -0 --separate-stderr "$TOOL" "http://127.0.0.1:$RESPONDER_PORT/x"
	[ "$output" = direct ]
	[[ "$stderr" != *libcurl* ]]
	http_proxy="http://127.0.0.1:$RESPONDER_PORT" LD_DEBUG=files run -0 \
		--separate-stderr "$TOOL" "http://upstream.invalid/p"
	[ "$output" = "via proxy" ]
	[[ "$stderr" == *"file=libcurl.so.4"* ]]
}

@test "NO_PROXY naming the host keeps the request on the native transport" {
	responder_start 'line direct'
	http_proxy=http://127.0.0.1:9 NO_PROXY=localhost,.example,127.0.0.1 \
		LD_DEBUG=files run -0 --separate-stderr "$TOOL" \
		"http://127.0.0.1:$RESPONDER_PORT/x"
	[ "$output" = direct ]
	[[ "$stderr" != *libcurl* ]]
}

@test "libcurl that cannot be loaded: one error naming it and its package, exit 1" {
	mkdir -p "$BATS_TEST_TMPDIR/lib"
	: >"$BATS_TEST_TMPDIR/lib/libcurl.so.4"
	LD_LIBRARY_PATH="$BATS_TEST_TMPDIR/lib" run -1 --separate-stderr "$TOOL" \
		--proxy http://127.0.0.1:9 "http://upstream.invalid/p"
	[[ "${stderr_lines[0]}" == "maasctl: cannot load libcurl.so.4: "* ]]
	[ "${stderr_lines[1]}" = "hint: install the libcurl4 package (libcurl with OpenSSL)" ]
}

# --- proxies -------------------------------------------------------------

@test "--proxy sends the request through the proxy" {
	responder_start 'line via proxy'
	run -0 --separate-stderr "$TOOL" --proxy "http://127.0.0.1:$RESPONDER_PORT" \
		"http://upstream.invalid/path"
	[ "$output" = "via proxy" ]
	run -0 responder_request 1
	[ "${lines[0]}" = "=== 1 GET http://upstream.invalid/path HTTP/1.1" ]
}

@test "http_proxy from the environment is honoured, NO_PROXY skips it" {
	responder_start 'line via proxy'
	http_proxy="http://127.0.0.1:$RESPONDER_PORT" run -0 --separate-stderr \
		"$TOOL" "http://upstream.invalid/p"
	[ "$output" = "via proxy" ]
	http_proxy="http://127.0.0.1:$RESPONDER_PORT" NO_PROXY=upstream.invalid \
		run -6 --separate-stderr "$TOOL" --retries 1 "http://upstream.invalid/p"
	[[ "${stderr_lines[0]}" == "maasctl: cannot resolve the host of http://upstream.invalid/p: "* ]]
	[ "$(responder_count)" -eq 1 ]
}

@test "HTTPS_PROXY from the environment tunnels through CONNECT" {
	responder_start 'status 403'
	HTTPS_PROXY="http://127.0.0.1:$RESPONDER_PORT" run -6 --separate-stderr \
		"$TOOL" --retries 1 "https://upstream.invalid/p"
	run -0 responder_request 1
	[ "${lines[0]}" = "=== 1 CONNECT upstream.invalid:443 HTTP/1.1" ]
}

# --- traces and redaction -------------------------------------------------

@test "-v 6 logs method, URL, status and time only" {
	responder_start 'line hello'
	run -0 --separate-stderr "$TOOL" -v 6 -H 'X-Custom: yes' \
		"http://127.0.0.1:$RESPONDER_PORT/x"
	[[ "$stderr" =~ ^"GET http://127.0.0.1:$RESPONDER_PORT/x 200 in "[0-9]+" ms (attempt 1)"$ ]]
}

@test "-v 7 adds headers, -v 8 truncates bodies to 1 KiB, -v 9 shows them in full" {
	big=$(head -c 3000 /dev/zero | tr '\0' a)
	responder_start "line $big
times 3"
	run -0 --separate-stderr "$TOOL" -v 7 -H 'X-Custom: yes' \
		"http://127.0.0.1:$RESPONDER_PORT/x"
	[[ "$stderr" == *"> X-Custom: yes"* ]]
	[[ "$stderr" == *"< Content-Length: 3001"* ]]
	[[ "$stderr" != *aaaa* ]]
	run -0 --separate-stderr "$TOOL" -v 8 "http://127.0.0.1:$RESPONDER_PORT/x"
	line=$(grep '^< aaa' <<<"$stderr")
	[ "$line" = "< $(head -c 1024 /dev/zero | tr '\0' a) ... (truncated, -v 9 shows all)" ]
	run -0 --separate-stderr "$TOOL" -v 9 "http://127.0.0.1:$RESPONDER_PORT/x"
	line=$(grep '^< aaa' <<<"$stderr")
	[ "$line" = "< $big" ]
	[[ "$stderr" == *"* "* ]]
}

@test "-v 9 traces redact secrets in headers, bodies and TLS details" {
	jwt='eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXZhbHVl'
	responder_start "header X-Echo: Bearer resp-bearer-secret
line {\"key\":\"sk-oai-RESPONSEKEY123\",\"token\":\"$jwt\",\"pem\":\"-----BEGIN PRIVATE KEY-----\\nMIIBSECRETPEM\\n-----END PRIVATE KEY-----\"}" \
		--cert "$CERTS/server.pem" --key "$CERTS/server.key"
	run -0 --separate-stderr "$TOOL" -v 9 --ca-file "$CERTS/ca.pem" \
		-H 'Authorization: Bearer my-bearer-secret' \
		-H 'x-api-key: sk-oai-HEADERKEY456' \
		-X POST --data "{\"token\":\"body-token-secret\",\"id\":\"$jwt\"}" \
		"https://127.0.0.1:$RESPONDER_PORT/x"
	# The secrets did travel.
	grep -q 'Authorization: Bearer my-bearer-secret' "$RESPONDER_LOG"
	[[ "$output" == *RESPONSEKEY123* ]]
	# ...but none is in the trace.
	for s in my-bearer-secret HEADERKEY456 body-token-secret resp-bearer-secret \
	    RESPONSEKEY123 MIIBSECRETPEM eyJzdWIiOiJhbGljZSJ9 c2lnbmF0dXJlLXZhbHVl; do
		if [[ "$stderr" == *"$s"* ]]; then
			echo "secret $s leaked into the trace" >&2
			return 1
		fi
	done
	[[ "$stderr" == *"> Authorization: REDACTED"* ]]
	[[ "$stderr" == *"> x-api-key: REDACTED"* ]]
	[[ "$stderr" == *"< X-Echo: Bearer REDACTED"* ]]
	[[ "$stderr" == *'"token":"REDACTED"'* ]]
	[[ "$stderr" == *'"key":"REDACTED"'* ]]
	[[ "$stderr" == *"SSL connection using"* ]]
}
