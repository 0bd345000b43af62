#!/usr/bin/env bats
# bench-http2.bats: `maasctl bench --http2` multiplexes its streams over one
# connection.  The model simulator speaks HTTP/1.1 only (libevent's evhttp),
# so nghttpx (Debian nghttp2-proxy) fronts it: h2c on a plain port, h2 by
# ALPN on a TLS port, HTTP/1.1 to the simulator behind.  Tests skip with a
# clear message where nghttpx is not installed.
bats_require_minimum_version 1.5.0
load ../helpers/bench

CONFIG='{"models": {
  "m": {"ttft": "20ms", "itl": "2ms", "max-num-seqs": 100000, "max-waiting": 100000}
}}'

# A port free now (nghttpx wants a number, not 0).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# nghttpx_start FRONTEND-OPTS [KEY CERT]: nghttpx on a free port in front of
# the simulator; sets H2_PORT.
nghttpx_start() {
	local i
	H2_PORT=$(free_port)
	nghttpx --frontend="127.0.0.1,$H2_PORT$1" --backend="127.0.0.1,$MODELSIM_PORT" \
	    --workers=1 --conf=/dev/null --errorlog-file="$OUT/nghttpx.log" \
	    --accesslog-file=/dev/null "${@:2}" >/dev/null 2>&1 3>&- &
	H2_PID=$!
	for i in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$H2_PORT") 2>/dev/null && return 0
		kill -0 "$H2_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "nghttpx did not start: $(cat "$OUT/nghttpx.log")" >&2
	return 1
}

setup() {
	command -v nghttpx >/dev/null || skip "nghttpx not installed (Debian nghttp2-proxy): nothing local speaks HTTP/2"
	bench_setup "$CONFIG"
}
teardown() {
	if [ -n "${H2_PID:-}" ]; then
		kill "$H2_PID" 2>/dev/null || true
		wait "$H2_PID" 2>/dev/null || true
	fi
	modelsim_stop 2>/dev/null || true
	common_teardown 2>/dev/null || true
}

@test "--http2 over h2c: 8 streams share one connection; HTTP/1.1 needs 8" {
	nghttpx_start ";no-tls"
	run -0 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:$H2_PORT/v1" -m m \
	    -c 8 -n 40 --output-tokens 4 --http2 --format json --no-progress --max-cpu 100 \
	    --raw "$OUT/h2.ndjson"
	echo "$output" >"$OUT/h2.json"
	[ "$(jq -r .requests.ok "$OUT/h2.json")" = 40 ]
	[ "$(jq -r .requests.peak_in_flight "$OUT/h2.json")" = 8 ]
	[ "$(jq -r .requests.connections_opened "$OUT/h2.json")" = 1 ]
	[ "$(jq -r .tokens.output_total "$OUT/h2.json")" = 160 ]
	[ "$(jq -s -c 'map(.http_version) | unique' "$OUT/h2.ndjson")" = '["2"]' ]
	run -0 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:$H2_PORT/v1" -m m \
	    -c 8 -n 40 --output-tokens 4 --format json --no-progress --max-cpu 100 \
	    --raw "$OUT/h1.ndjson"
	echo "$output" >"$OUT/h1.json"
	[ "$(jq -r .requests.ok "$OUT/h1.json")" = 40 ]
	[ "$(jq -r .requests.connections_opened "$OUT/h1.json")" = 8 ]
	[ "$(jq -s -c 'map(.http_version) | unique' "$OUT/h1.ndjson")" = '["1.1"]' ]
}

@test "--http2 over TLS: h2 by ALPN, one connection, streamed answers intact" {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$OUT/key.pem" -out "$OUT/cert.pem" \
	    -days 1 -subj /CN=127.0.0.1 -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
	nghttpx_start "" "$OUT/key.pem" "$OUT/cert.pem"
	run -0 --separate-stderr maasctl bench --endpoint "https://127.0.0.1:$H2_PORT/v1" -m m \
	    --ca-file "$OUT/cert.pem" -c 4 -n 20 --output-tokens 6 --http2 --format json \
	    --no-progress --max-cpu 100 --raw "$OUT/h2.ndjson"
	echo "$output" >"$OUT/h2.json"
	[ "$(jq -r .requests.ok "$OUT/h2.json")" = 20 ]
	[ "$(jq -r .requests.connections_opened "$OUT/h2.json")" = 1 ]
	[ "$(jq -r .metrics.itl_chunk.count "$OUT/h2.json")" = 100 ]
	[ "$(jq -s -c 'map(.http_version) | unique' "$OUT/h2.ndjson")" = '["2"]' ]
}
