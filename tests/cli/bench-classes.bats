#!/usr/bin/env bats
# bench-classes.bats: `maasctl bench --class` with per-class transport:
# url= (its own base URL, its own connection pool), key=@FILE|env:NAME
# (its own API key, never on the command line), header=NAME: VALUE
# (repeatable) and stream=true|false (streamed and whole answers in one
# run, each timed), over both transports (native HTTP/1.1 and libcurl),
# which must send the same requests; what each request carried is read
# back from the responder's log; secrets never reach the report, the raw
# file or errors; failure paths.
bats_require_minimum_version 1.5.0
load ../helpers/bench

CONFIG='{"models": {
  "m": {"ttft": "20ms", "itl": "5ms", "max-num-seqs": 100, "enable-kvcache": true, "block-size": 16}
}}'

setup() { bench_setup "$CONFIG"; }
teardown() { bench_teardown; }

ANSWER='header Content-Type: application/json
body {"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}
times 200'

# cls NAME FIELD REPORT: one field of a class's section of a JSON report.
cls() { jq -r --arg n "$1" ".classes[] | select(.name == \$n) | $2" "$3"; }

@test "a class on its own URL with its own key, headers and stream flag (both transports)" {
	responder_start "$ANSWER"
	printf 'sk-class-b\n' >"$OUT/b.key"
	for tr in native curl; do
		: >"$RESPONDER_LOG"
		run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -c 2 -n 20 --seed 4 \
		    --output-tokens 2 --transport $tr --class name=a,model=m \
		    --class "name=b,model=x,url=http://127.0.0.1:$RESPONDER_PORT/v1/,key=@$OUT/b.key,header=X-Tenant: t2,header=X-Trace: on,stream=false" \
		    --save "$OUT/r-$tr.json" --raw "$OUT/raw-$tr" "${LOOSE[@]}"
		r=$OUT/r-$tr.json
		nb=$(cls b .requests.ok "$r")
		na=$(cls a .requests.ok "$r")
		[ "$nb" -gt 0 ] && [ "$na" -gt 0 ] && [ $((na + nb)) = 20 ]
		# Every request of b went to the responder with b's key and
		# headers, not streamed; none of a's did.
		[ "$(responder_count)" = "$nb" ]
		[ "$(grep -c '^Authorization: Bearer sk-class-b' "$RESPONDER_LOG")" = "$nb" ]
		[ "$(grep -c '^X-Tenant: t2' "$RESPONDER_LOG")" = "$nb" ]
		[ "$(grep -c '^X-Trace: on' "$RESPONDER_LOG")" = "$nb" ]
		[ "$(grep -c '^Accept: application/json' "$RESPONDER_LOG")" = "$nb" ]
		[ "$(grep -c '"stream":true' "$RESPONDER_LOG")" = 0 ]
		[ "$(grep -c '^=== [0-9]* POST /v1/chat/completions ' "$RESPONDER_LOG")" = "$nb" ]
		# The report names the class's URL, that it has its own key, its
		# header names and stream flag; never the key.
		[ "$(jq -r '.workload.classes[] | select(.name == "b") | .url' "$r")" = "http://127.0.0.1:$RESPONDER_PORT/v1" ]
		[ "$(jq -r '.workload.classes[] | select(.name == "b") | .own_key' "$r")" = true ]
		[ "$(jq -r '.workload.classes[] | select(.name == "b") | .stream' "$r")" = false ]
		[ "$(jq -r '.workload.classes[] | select(.name == "b") | .header_names | join(",")' "$r")" = "X-Tenant,X-Trace" ]
		[ "$(jq -r '.workload.classes[] | select(.name == "a") | .stream' "$r")" = true ]
		[ "$(jq -r '.workload.classes[] | select(.name == "a") | .own_key' "$r")" = false ]
		! grep -q 'sk-class-b' "$r" "$OUT/raw-$tr"
		[[ $stderr != *sk-class-b* ]]
		# The raw file says which requests streamed.
		[ "$(jq -s '[.[] | select(.class == "b" and .stream == false)] | length' "$OUT/raw-$tr")" = "$nb" ]
		[ "$(jq -s '[.[] | select(.class == "a" and .stream == true)] | length' "$OUT/raw-$tr")" = "$na" ]
		sort "$RESPONDER_LOG" | grep -v -i -e '^x-request-id' -e '^content-length' -e '^host' -e '^user-agent' \
		    -e '^{' -e '^$' -e '^===' -e '^connection:' | uniq -c >"$OUT/headers-$tr"
	done
	# Both transports sent the same header lines the same number of times
	# (the class mix is seeded: the same requests went to b).
	[ "$(cls b .requests.ok "$OUT/r-native.json")" = "$(cls b .requests.ok "$OUT/r-curl.json")" ]
	diff "$OUT/headers-native" "$OUT/headers-curl"
	[ "$(jq -r .client.transport "$OUT/r-curl.json")" = libcurl ]
}

@test "streamed and whole answers in one run: TTFT of a whole answer is its last byte; TPOT only for streams" {
	for tr in native curl; do
		run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -c 2 -n 16 --seed 3 \
		    --output-tokens 10 --transport $tr \
		    --class name=s,model=m --class name=w,model=m,stream=false \
		    --raw "$OUT/raw-$tr" --save "$OUT/r-$tr.json" "${LOOSE[@]}"
		r=$OUT/r-$tr.json
		[ "$(jq -r .requests.ok "$r")" = 16 ]
		ns=$(cls s .requests.ok "$r"); nw=$(cls w .requests.ok "$r")
		[ "$ns" -gt 0 ] && [ "$nw" -gt 0 ]
		# Every request has a TTFT: 16 overall, each class its own.
		[ "$(jq -r .metrics.ttft.count "$r")" = 16 ]
		[ "$(cls w .metrics.ttft.count "$r")" = "$nw" ]
		[ "$(cls s .metrics.ttft.count "$r")" = "$ns" ]
		# Whole answers: TTFT = E2E (first token = last byte), no TPOT;
		# 20 ms + 9 x 5 ms = 65 ms at least.
		[ "$(cls w '.metrics.tpot.count // 0' "$r")" = 0 ]
		[ "$(cls s .metrics.tpot.count "$r")" = "$ns" ]
		[ "$(jq -s '[.[] | select(.class == "w") | select(.first_token_ms == .last_token_ms and .ttft_ms >= 60)] | length' "$OUT/raw-$tr")" = "$nw" ]
		# Streams: the first token after the simulator's 20 ms, and (in
		# requests whose chunks the client read as they came: a loaded
		# machine may read a whole answer at once) before the last one.
		[ "$(jq -s '[.[] | select(.class == "s") | select(.ttft_ms >= 15)] | length' "$OUT/raw-$tr")" = "$ns" ]
		[ "$(jq -s '[.[] | select(.class == "s") | select(.first_token_ms < .last_token_ms)] | length' "$OUT/raw-$tr")" -ge 1 ]
		# Tokens are exact for both kinds.
		[ "$(jq -r .tokens.output_total "$r")" = 160 ]
	done
}

@test "key=env:NAME, and a secret header value stays out of the report" {
	responder_start "$ANSWER"
	export BENCH_B_KEY=sk-from-env
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -c 1 -n 6 --seed 1 \
	    --class name=b,model=x,url=http://127.0.0.1:$RESPONDER_PORT/v1,key=env:BENCH_B_KEY,stream=false \
	    --class "name=c,model=x,url=http://127.0.0.1:$RESPONDER_PORT/v1,header=X-Api-Key: hush-hush,stream=false" \
	    --format json "${LOOSE[@]}"
	[ "$(jq -r '.requests.ok' <<<"$output")" = 6 ]
	[ "$(grep -c '^X-Api-Key: hush-hush' "$RESPONDER_LOG")" = "$(jq -r '.classes[] | select(.name == "c") | .requests.ok' <<<"$output")" ]
	[ "$(grep -c '^Authorization: Bearer sk-from-env' "$RESPONDER_LOG")" = "$(jq -r '.classes[] | select(.name == "b") | .requests.ok' <<<"$output")" ]
	[[ $output != *hush-hush* ]]
	[[ $output != *sk-from-env* ]]
	[[ $stderr != *sk-from-env* ]]
}

@test "a class header replaces a --header of the same name; the run's key for classes without one" {
	responder_start "$ANSWER"
	printf 'sk-run-key\n' >"$OUT/run.key"
	for tr in native curl; do
		: >"$RESPONDER_LOG"
		run -0 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" \
		    --api-key "@$OUT/run.key" -c 1 -n 6 --seed 2 --no-stream --transport $tr \
		    -H 'X-Tenant: run' -H 'X-Keep: yes' \
		    --class name=a,model=x --class "name=b,model=x,header=X-Tenant: b" \
		    --format json "${LOOSE[@]}"
		na=$(jq -r '.classes[] | select(.name == "a") | .requests.ok' <<<"$output")
		nb=$(jq -r '.classes[] | select(.name == "b") | .requests.ok' <<<"$output")
		[ $((na + nb)) = 6 ]
		[ "$(grep -c '^X-Tenant: run' "$RESPONDER_LOG")" = "$na" ]
		[ "$(grep -c '^X-Tenant: b' "$RESPONDER_LOG")" = "$nb" ]
		[ "$(grep -c '^X-Tenant:' "$RESPONDER_LOG")" = 6 ]
		[ "$(grep -c '^X-Keep: yes' "$RESPONDER_LOG")" = 6 ]
		[ "$(grep -c '^Authorization: Bearer sk-run-key' "$RESPONDER_LOG")" = 6 ]
	done
}

@test "key=@FILE with several keys: each class's requests take its keys in turn (both transports), never shown" {
	responder_start "$ANSWER"
	printf '# tenant b keys\nsk-b-one\n\n  sk-b-two  \n# sk-b-commented\nsk-b-three\n\n' >"$OUT/b.keys"
	printf 'sk-a-one\r\nsk-a-two\r\n' >"$OUT/a.keys"
	for tr in native curl; do
		: >"$RESPONDER_LOG"
		run -0 --separate-stderr maasctl -v 9 bench --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" \
		    -c 1 -n 24 --seed 3 --no-stream --transport $tr \
		    --class "name=a,model=x,key=@$OUT/a.keys" --class "name=b,model=x,key=@$OUT/b.keys" \
		    --raw "$OUT/raw-$tr" --save "$OUT/r-$tr.json" --format json "${LOOSE[@]}"
		na=$(cls a .requests.ok "$OUT/r-$tr.json")
		nb=$(cls b .requests.ok "$OUT/r-$tr.json")
		[ "$na" -ge 3 ] && [ "$nb" -ge 4 ] && [ $((na + nb)) = 24 ]
		# One request at a time: the log is in sending order, and each
		# class walks its own keys round robin from its first.
		got_a=$(grep -o '^Authorization: Bearer sk-a-[a-z]*' "$RESPONDER_LOG" | cut -d' ' -f3 | tr '\n' ' ')
		got_b=$(grep -o '^Authorization: Bearer sk-b-[a-z]*' "$RESPONDER_LOG" | cut -d' ' -f3 | tr '\n' ' ')
		want_a=$(for i in $(seq 0 $((na - 1))); do k=(sk-a-one sk-a-two); printf '%s ' "${k[i % 2]}"; done)
		want_b=$(for i in $(seq 0 $((nb - 1))); do k=(sk-b-one sk-b-two sk-b-three); printf '%s ' "${k[i % 3]}"; done)
		[ "$got_a" = "$want_a" ]
		[ "$got_b" = "$want_b" ]
		[ "$(grep -c '^Authorization: ' "$RESPONDER_LOG")" = 24 ]
		! grep -q sk-b-commented "$RESPONDER_LOG"
		# The report says how many keys a class has, never which.
		[ "$(jq -r '.workload.classes[] | select(.name == "b") | "\(.own_key) \(.keys)"' "$OUT/r-$tr.json")" = "true 3" ]
		[ "$(jq -r '.workload.classes[] | select(.name == "a") | .keys' "$OUT/r-$tr.json")" = 2 ]
		[[ $output != *sk-a-* && $output != *sk-b-* ]]
		[[ $stderr != *sk-a-* && $stderr != *sk-b-* ]]
		! grep -q -e sk-a- -e sk-b- "$OUT/raw-$tr" "$OUT/r-$tr.json"
	done
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -n 1 --class "name=b,key=@$OUT/blank.keys"
	[ "$stderr" = "maasctl: bench: class b: key: cannot read $OUT/blank.keys: No such file or directory" ]
	printf '\n   \n# none here\n\n' >"$OUT/blank.keys"
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -n 1 --class "name=b,key=@$OUT/blank.keys"
	[ "$stderr" = "maasctl: bench: class b: key: @$OUT/blank.keys holds no key" ]
}

@test "a class whose server answers 401 fails alone; the run reports both" {
	responder_start "$(printf 'status 401\nheader Content-Type: application/json\nbody {"error":{"message":"bad key"}}\ntimes 100\n')"
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -c 1 -n 10 --seed 2 \
	    --class name=a,model=m --class "name=b,model=x,url=http://127.0.0.1:$RESPONDER_PORT/v1,stream=false" \
	    --format json "${LOOSE[@]}"
	b=$(jq -r '.classes[] | select(.name == "b") | .requests' <<<"$output")
	[ "$(jq -r '.ok' <<<"$b")" = 0 ]
	[ "$(jq -r '.sent > 0' <<<"$b")" = true ]
	[ "$(jq -r '.by_outcome.http_4xx == .sent' <<<"$b")" = true ]
	[ "$(jq -r '.classes[] | select(.name == "a") | .requests.ok > 0' <<<"$output")" = true ]
}

@test "a class on an unreachable URL: its requests are transport failures (both transports)" {
	for tr in native curl; do
		run -6 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -c 1 -n 3 --transport $tr \
		    --class name=b,model=x,url=http://127.0.0.1:1/v1 "${LOOSE[@]}"
		[[ $stderr == "maasctl: bench: all 3 requests failed (transport): "* ]]
	done
}

@test "--transport native with a class on https://: exit 2 naming the URL" {
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -c 1 -n 2 --transport native \
	    --class name=b,model=x,url=https://127.0.0.1:1/v1 "${LOOSE[@]}"
	[ "$stderr" = "maasctl: bench: --transport native needs a plain http:// URL without a proxy, not https://127.0.0.1:1/v1/chat/completions" ]
}

@test "per-class transport keys: failure paths, one line each (exit 2), no secret echoed" {
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -n 1 --class name=b,key=sk-literal
	[ "$stderr" = "maasctl: bench: class b: key: want @FILE or env:NAME (a key on the command line would show in ps and shell history)" ]
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -n 1 --class "name=b,key=@$OUT/none"
	[ "$stderr" = "maasctl: bench: class b: key: cannot read $OUT/none: No such file or directory" ]
	run -2 --separate-stderr env -u NOPE_KEY "$MAASCTL" bench --endpoint "$MODELSIM_URL" -n 1 --class name=b,key=env:NOPE_KEY
	[ "$stderr" = "maasctl: bench: class b: key: environment variable NOPE_KEY is not set" ]
	printf '# only a comment\n' >"$OUT/empty.key"
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -n 1 --class "name=b,key=@$OUT/empty.key"
	[ "$stderr" = "maasctl: bench: class b: key: @$OUT/empty.key holds no key" ]
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -n 1 --class name=b,key=-
	[ "$stderr" = "maasctl: bench: class b: key: want @FILE or env:NAME (a key on the command line would show in ps and shell history)" ]
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -n 1 --class name=b,url=ftp://x/v1
	[ "$stderr" = 'maasctl: bench: class b: invalid url "ftp://x/v1": want an http(s):// base URL such as http://host:8000/v1' ]
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -n 1 --class "name=b,header=sk-secretish"
	[ "$stderr" = "maasctl: bench: class b: invalid header (no ':'): want header=NAME: VALUE" ]
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -n 1 --class "name=b,header=Bad Name: v"
	[ "$stderr" = "maasctl: bench: class b: invalid header name \"Bad Name\": want visible ASCII without spaces or ':'" ]
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -n 1 --class name=b,stream=maybe
	[ "$stderr" = 'maasctl: invalid --class stream "maybe": want true or false' ]
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -n 1 --class name=b,prefix-groups=0
	[ "$stderr" = 'maasctl: invalid --class prefix-groups "0": want a number from 1 to 1000000' ]
}

@test "prefix-groups per class: only that class's prompts share prefixes" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -c 1 -n 40 --seed 9 \
	    --input-tokens 64 --output-tokens 2 \
	    --class name=shared,prefix-groups=1,prefix-tokens=48 --class name=bust \
	    --format json "${LOOSE[@]}"
	s=$(jq -r '.classes[] | select(.name == "shared") | .tokens.prefix_cache.request_hit_rate' <<<"$output")
	u=$(jq -r '.classes[] | select(.name == "bust") | .tokens.prefix_cache.hit_requests' <<<"$output")
	[ "$(jq -n "$s > 0.8")" = true ]
	[ "$u" = 0 ]
	[ "$(jq -r '.workload.classes[] | select(.name == "shared") | .prefix_groups' <<<"$output")" = 1 ]
}

@test "class keys and header values stay out of the recorded command line, the report and -v traces" {
	printf 'sk-class-zzz\n' >"$OUT/k"
	run -0 --separate-stderr maasctl -v 9 bench --endpoint "$MODELSIM_URL" -c 1 -n 3 \
	    --class "name=a,model=m,key=@$OUT/k,header=X-Secret: hush-hush" "--class=header=X-Other: psst,name=b,model=m" \
	    --raw "$OUT/raw" --format json "${LOOSE[@]}"
	[[ $(jq -r .command <<<"$output") == *"header=X-Secret: REDACTED"* ]]
	[[ $(jq -r .command <<<"$output") == *"--class=header=X-Other: REDACTED"* ]]
	[[ $output != *hush-hush* && $output != *sk-class-zzz* && $output != *psst* ]]
	[[ $stderr != *hush-hush* && $stderr != *sk-class-zzz* && $stderr != *psst* ]]
	! grep -q -e hush-hush -e sk-class-zzz -e psst "$OUT/raw"
}
