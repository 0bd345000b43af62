#!/usr/bin/env bats
# bench-transport.bats: `maasctl bench --transport`: the engine's native
# HTTP/1.1 client (the default for plain http:// without a proxy) against
# the model simulator and a scripted server -- the same counts and
# timings as libcurl, keep-alive and its failures (a kept connection the
# server closed, Connection: close, close-delimited and Content-Length
# bodies, 1xx answers), header overrides, transport failures with
# libcurl's wording; and the choice itself (libcurl for proxies, HTTPS
# and --http2; usage errors for what native cannot do).
bats_require_minimum_version 1.5.0
load ../helpers/bench

CONFIG='{"models": {
  "m": {"ttft": "20ms", "itl": "5ms", "max-num-seqs": 100000, "max-waiting": 100000}
}}'

setup() { bench_setup "$CONFIG"; }
teardown() { bench_teardown; }

# sse_reply N: a streamed chat answer of two tokens (chunked), N times.
sse_reply() {
	cat <<EOF
header Content-Type: text/event-stream
chunk data: {"id":"c1","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}
chunk
chunk data: {"id":"c1","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}
chunk
chunk data: {"id":"c1","choices":[{"index":0,"delta":{"content":" there"},"finish_reason":"length"}]}
chunk
chunk data: {"id":"c1","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}
chunk
chunk data: [DONE]
chunk
times $1
EOF
}

# The same answer as raw bytes: SSE text with Content-Length (or none:
# close-delimited), sent whole, then the server closes the connection.
SSE_BODY='data: {"id":"c1","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\ndata: {"id":"c1","choices":[{"index":0,"delta":{"content":" there"},"finish_reason":"length"}]}\n\ndata: {"id":"c1","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}\n\ndata: [DONE]\n\n'
sse_len() { printf "$SSE_BODY" | wc -c; }

@test "native by default on http://: exact tokens, kept-alive connections, HTTP/1.1, kernel receive times" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m \
	    -c 4 -n 20 --warmup 4 --output-tokens 5 --format json --no-progress --raw "$OUT/raw"
	echo "$output" >"$OUT/r.json"
	[ "$(jq -r .client.transport "$OUT/r.json")" = native ]
	[ "$(jq -r .requests.ok "$OUT/r.json")" = 20 ]
	[ "$(jq -r .tokens.output_total "$OUT/r.json")" = 100 ]
	[ "$(jq -r .tokens.sources.usage_missing "$OUT/r.json")" = 0 ]
	[ "$(jq -r .requests.connections_opened "$OUT/r.json")" = 4 ]
	[ "$(jq -r .requests.reused_connections "$OUT/r.json")" -ge 16 ]
	[ "$(jq -r '.client.kernel_rx_share > 0.5' "$OUT/r.json")" = true ]
	[ "$(jq -s -c 'map(.http_version) | unique' "$OUT/raw")" = '["1.1"]' ]
	# Transport timings as libcurl's: connect and TTFB from the attempt's
	# start, in order, TTFB after the configured 20 ms.
	[ "$(jq -s 'map(select(.reused == false)) | all(.dns_ms <= .connect_ms and .connect_ms <= .ttfb_curl_ms)' "$OUT/raw")" = true ]
	[ "$(jq -s 'all(.ttfb_curl_ms >= 19)' "$OUT/raw")" = true ]
	[ "$(jq -s 'all(.dispatched_ms <= .sent_ms and .sent_ms <= .first_byte_ms and
	    .first_byte_ms <= .first_token_ms and .first_token_ms <= .end_ms)' "$OUT/raw")" = true ]
	modelsim_stop
	[ "$(jq -r '.metrics.ttft.p50 >= 19.5 and .metrics.ttft.p50 < 60' "$OUT/r.json")" = true ]
	[ "$(jq -r '.metrics.tpot.p50 >= 4.5 and .metrics.tpot.p50 < 15' "$OUT/r.json")" = true ]
}

@test "--transport curl measures the same run with libcurl" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m \
	    -c 4 -n 20 --output-tokens 5 --format json --no-progress --transport curl
	[ "$(jq -r .client.transport <<<"$output")" = libcurl ]
	[ "$(jq -r .requests.ok <<<"$output")" = 20 ]
	[ "$(jq -r .tokens.output_total <<<"$output")" = 100 ]
	[ "$(jq -r .requests.connections_opened <<<"$output")" = 4 ]
}

@test "text report names the transport" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -n 2 --output-tokens 2 --no-progress
	[[ $output == *"connections, transport native"* ]]
}

@test "a proxy in the environment hands the run to libcurl" {
	responder_start "$(sse_reply 2)"
	# The proxy is the responder: it answers whatever is asked.
	http_proxy=http://127.0.0.1:$RESPONDER_PORT run -0 --separate-stderr maasctl bench \
	    --endpoint http://model.invalid/v1 -m m -n 2 --format json "${LOOSE[@]}"
	[ "$(jq -r .client.transport <<<"$output")" = libcurl ]
	[ "$(jq -r .requests.ok <<<"$output")" = 2 ]
	grep -q '^=== 1 POST http://model.invalid/v1/chat/completions' "$RESPONDER_LOG"
}

@test "--transport native with a proxy, HTTPS or --http2: exit 2 naming why" {
	http_proxy=http://127.0.0.1:9 run -2 --separate-stderr maasctl bench \
	    --endpoint http://model.invalid/v1 -m m -n 1 --transport native --no-progress
	[ "$stderr" = "maasctl: bench: --transport native needs a plain http:// URL without a proxy, not http://model.invalid/v1/chat/completions" ]
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -n 1 --transport native --http2
	[ "$stderr" = "maasctl: bench: --transport native speaks HTTP/1.1 only: drop --http2 or use --transport curl" ]
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -n 1 --transport carrier-pigeon
	[ "$stderr" = 'maasctl: bench: invalid --transport "carrier-pigeon": want auto, native or curl' ]
}

@test "request: POST with Host, Content-Length, the default and overridden headers" {
	responder_start "$(sse_reply 1)"
	KEY=sk-test-123 run -0 --separate-stderr maasctl --api-key env:KEY bench \
	    --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m -n 1 \
	    -H 'User-Agent: tester/1' -H 'Accept:' -H 'X-Extra: yes' \
	    --request-id-prefix run7- --format json "${LOOSE[@]}"
	[ "$(jq -r .requests.ok <<<"$output")" = 1 ]
	req=$(responder_request 1)
	[[ $req == "=== 1 POST /v1/chat/completions HTTP/1.1"* ]]
	grep -qi "^host: 127.0.0.1:$RESPONDER_PORT" <<<"$req"
	grep -qi '^user-agent: tester/1' <<<"$req"
	! grep -qi '^user-agent: maasctl' <<<"$req"
	! grep -qi '^accept:' <<<"$req"
	grep -qi '^x-extra: yes' <<<"$req"
	grep -qi '^x-request-id: run7-0' <<<"$req"
	grep -qi '^authorization: Bearer sk-test-123' <<<"$req"
	grep -qi '^content-type: application/json' <<<"$req"
	len=$(grep -i '^content-length:' <<<"$req" | tr -dc 0-9)
	body=$(awk 'f { print } /^connection: / { getline; f = 1 }' <<<"$req")
	[ "$len" -gt 20 ]
	[[ $body == '{'*'"stream":true'* ]]
}

@test "Content-Length and close-delimited bodies, a 100 Continue first, Connection: close" {
	local n
	n=$(sse_len)
	responder_start "raw HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: $n\r\n\r\n$SSE_BODY
---
raw HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n$SSE_BODY
---
$(sse_reply 1 | sed 's/^times 1$/header Connection: close/')
---
$(sse_reply 1)"
	run -0 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m \
	    -n 4 --format json "${LOOSE[@]}"
	[ "$(jq -r .requests.ok <<<"$output")" = 4 ]
	[ "$(jq -r .tokens.output_total <<<"$output")" = 8 ]
	[ "$(jq -r .tokens.sources.usage_missing <<<"$output")" = 0 ]
	# raw replies close the connection and so does Connection: close:
	# every request had a new one.
	[ "$(grep '^connection: ' "$RESPONDER_LOG" | sort -u | wc -l)" = 4 ]
}

@test "a kept connection the server closed: the request goes again on a new one" {
	local n
	n=$(sse_len)
	# The raw reply says nothing of closing (HTTP/1.1, Content-Length)
	# but the server closes right after it.
	responder_start "raw HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: $n\r\n\r\n$SSE_BODY
times 3"
	run -0 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m \
	    -n 3 --format json "${LOOSE[@]}"
	[ "$(jq -r .requests.ok <<<"$output")" = 3 ]
	[ "$(jq -r .requests.failed <<<"$output")" = 0 ]
	[ "$(responder_count)" = 3 ]
}

@test "Empty reply, reset stream, bad status line and bad chunking: transport and stream failures, exit 6" {
	responder_start "close
times 2"
	run -6 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m -n 2 "${LOOSE[@]}"
	[ "$stderr" = "maasctl: bench: all 2 requests failed (transport): Empty reply from server" ]
	responder_stop
	responder_start "raw HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 5000\r\n\r\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n
times 2"
	run -6 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m -n 2 "${LOOSE[@]}"
	[[ $stderr == "maasctl: bench: all 2 requests failed (stream): transfer closed with "*" bytes remaining to read" ]]
	responder_stop
	responder_start "raw HTTP/9 200 OK\r\n\r\n
times 2"
	run -6 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m -n 2 "${LOOSE[@]}"
	[ "$stderr" = "maasctl: bench: all 2 requests failed (transport): Unsupported HTTP version or malformed status line in response" ]
	responder_stop
	responder_start "raw HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n
times 2"
	run -6 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m -n 2 "${LOOSE[@]}"
	[ "$stderr" = "maasctl: bench: all 2 requests failed (transport): invalid chunked encoding in the response" ]
}

@test "--timeout cuts a silent server: timeout class, libcurl's wording, exit 7" {
	responder_start "delay 5
$(sse_reply 2)"
	run -7 --separate-stderr maasctl --timeout 300ms bench --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" \
	    -m m -n 2 "${LOOSE[@]}"
	[[ $stderr == "maasctl: bench: all 2 requests failed (timeout): Operation timed out after "*" milliseconds with 0 bytes received" ]]
}

@test "unresolvable host and refused connection: libcurl's wording, exit 6" {
	run -6 --separate-stderr maasctl bench --endpoint http://no-such-host.invalid/v1 -m m -n 2 "${LOOSE[@]}"
	[ "$stderr" = "maasctl: bench: all 2 requests failed (transport): Could not resolve host: no-such-host.invalid" ]
	run -6 --separate-stderr maasctl bench --endpoint http://127.0.0.1:1/v1 -m m -n 2 "${LOOSE[@]}"
	[[ $stderr == "maasctl: bench: all 2 requests failed (transport): Failed to connect to 127.0.0.1 port 1 after "*" ms: Connection refused" ]]
}
