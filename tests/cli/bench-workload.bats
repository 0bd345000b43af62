#!/usr/bin/env bats
# bench-workload.bats: `maasctl bench` workload and report features:
# stages and ramps (closed and open loop, per-stage metrics), trace replay
# (Mooncake JSONL on its own schedule), prefix-sharing groups and cache
# busting, recorded response headers, per-class SLOs, and the failures of
# each with exit 2 and one clear line.  Assertions are on counts and on the
# precomputed schedule, never on how fast this shared machine is.
bats_require_minimum_version 1.5.0
load ../helpers/bench

CONFIG='{"models": {
  "m": {"ttft": "50ms", "itl": "5ms", "max-num-seqs": 100000, "max-waiting": 100000},
  "fast": {"ttft": "2ms", "itl": "1ms", "max-num-seqs": 100000, "max-waiting": 100000}
}}'

setup() { bench_setup "$CONFIG"; }
teardown() { bench_teardown; }

# reply N HEADER: a non-streamed chat answer with one header, N times.
reply() {
	printf 'header Content-Type: application/json\n'
	[ -n "$2" ] && printf 'header %s\n' "$2"
	printf 'body {"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}\n'
	printf 'times %s\n' "$1"
}

# body N: the JSON body of the Nth request the responder logged.
body() { responder_request "$1" | tail -n 1; }

@test "closed-loop stages: a ramp then a hold, metrics per stage" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m fast \
	    --stages "c=1..4@1s,4@1s" --output-tokens 4 --format json "${LOOSE[@]}" \
	    --raw "$OUT/raw.ndjson"
	echo "$output" >"$OUT/r.json"
	[ "$(jq -r .load.mode "$OUT/r.json")" = closed ]
	[ "$(jq -r .load.stages "$OUT/r.json")" = "c=1..4@1s,4@1s" ]
	[ "$(jq -r .load.duration_s "$OUT/r.json")" = 2 ]
	[ "$(jq -r '.stages | length' "$OUT/r.json")" = 2 ]
	[ "$(jq -r '.stages[0].concurrency.from' "$OUT/r.json")" = 1 ]
	[ "$(jq -r '.stages[0].concurrency.to' "$OUT/r.json")" = 4 ]
	[ "$(jq -r '.stages[1].start_s' "$OUT/r.json")" = 1 ]
	[ "$(jq -r .requests.peak_in_flight "$OUT/r.json")" = 4 ]
	# Every request is in exactly one stage, by its intended time.
	s0=$(jq -r '.stages[0].requests.sent' "$OUT/r.json")
	s1=$(jq -r '.stages[1].requests.sent' "$OUT/r.json")
	[ "$s0" -gt 0 ] && [ "$s1" -gt 0 ]
	[ $((s0 + s1)) = "$(jq -r .requests.sent "$OUT/r.json")" ]
	[ "$(jq -r '.stages[1].tokens.output_total' "$OUT/r.json")" = $((s1 * 4)) ]
	[ "$(jq -r '.stages[1].metrics.ttft.count' "$OUT/r.json")" = "$s1" ]
	[ "$(grep -c '"stage":"4@1s"' "$OUT/raw.ndjson")" = "$s1" ]
	[ "$(wc -l <"$OUT/raw.ndjson")" = $((s0 + s1)) ]
}

@test "open-loop stages: rates and a linear ramp give the exact schedule" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m fast \
	    --stages "rate=20@1s,20..60@1s" --arrival constant --output-tokens 2 \
	    --format json "${LOOSE[@]}" --raw "$OUT/raw.ndjson"
	echo "$output" >"$OUT/r.json"
	[ "$(jq -r .load.mode "$OUT/r.json")" = open ]
	[ "$(jq -r .load.rate "$OUT/r.json")" = 30 ]
	[ "$(jq -r '.stages[0].offered_requests' "$OUT/r.json")" = 20 ]
	[ "$(jq -r '.stages[1].offered_requests' "$OUT/r.json")" = 40 ]
	[ "$(jq -r '.stages[1].offered_rate' "$OUT/r.json")" = 40 ]
	[ "$(jq -r '.stages[0].requests.sent' "$OUT/r.json")" = 20 ]
	[ "$(jq -r '.stages[1].requests.sent' "$OUT/r.json")" = 40 ]
	[ "$(jq -r '.stages[1].rate.to' "$OUT/r.json")" = 60 ]
	# Constant gaps of 50 ms in the first stage; in the ramp the k-th
	# request leaves when 20x + 20x^2 = k (x seconds into the stage):
	# k = 20 gives x = (sqrt(5) - 1) / 2.
	[ "$(jq -s '.[] | select(.seq == 1) | .intended_ms' "$OUT/raw.ndjson")" = 50 ]
	awk -v t="$(jq -s '.[] | select(.seq == 40) | .intended_ms' "$OUT/raw.ndjson")" \
	    'BEGIN { w = 1000 + 1000 * (sqrt(5) - 1) / 2; d = t - w; exit !(d < 0.01 && d > -0.01) }'
	[ "$(jq -r '.metrics.dispatch_lag.count' "$OUT/r.json")" = 60 ]
}

@test "stages in the text and HTML reports" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m fast \
	    --stages "rate=10@1s,30@1s" --output-tokens 2 "${LOOSE[@]}" --html "$OUT/r.html"
	[[ "$output" == *"stage "*"load"*"ttft p99"* ]]
	[[ "$output" == *"rate 10 "* ]]
	[[ "$output" == *"rate 30 "* ]]
	grep -q '<h2>Stages</h2>' "$OUT/r.html"
	grep -q 'id="ttft-stages"' "$OUT/r.html"
}

@test "trace replay: Mooncake JSONL on its own schedule, lengths and shared blocks" {
	cat >"$OUT/trace.jsonl" <<-'EOT'
	{"timestamp": 1000, "input_length": 600, "output_length": 3, "hash_ids": [7, 8]}
	{"timestamp": 1200, "input_length": 520, "output_length": 2, "hash_ids": [7, 9]}

	{"timestamp": 1100, "prompt": "one two three four", "output_length": 5}
	EOT
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m fast --completions \
	    --trace "$OUT/trace.jsonl" --trace-scale 0.5 --format json "${LOOSE[@]}" \
	    --raw "$OUT/raw.ndjson"
	echo "$output" >"$OUT/r.json"
	[ "$(jq -r .load.mode "$OUT/r.json")" = open ]
	[ "$(jq -r .load.trace "$OUT/r.json")" = "$OUT/trace.jsonl" ]
	[ "$(jq -r .workload.trace_entries "$OUT/r.json")" = 3 ]
	[ "$(jq -r .workload.trace_span_s "$OUT/r.json")" = 0.1 ]
	[ "$(jq -r .requests.ok "$OUT/r.json")" = 3 ]
	# Sorted by timestamp, offsets from the first, halved by --trace-scale.
	[ "$(jq -s -c 'map(.intended_ms) | sort' "$OUT/raw.ndjson")" = "[0,50,100]" ]
	[ "$(jq -s -c 'sort_by(.seq) | map(.prompt_tokens)' "$OUT/raw.ndjson")" = "[600,4,520]" ]
	[ "$(jq -s -c 'sort_by(.seq) | map(.usage_tokens)' "$OUT/raw.ndjson")" = "[3,5,2]" ]
	[ "$(jq -r .tokens.output_total "$OUT/r.json")" = 10 ]
}

@test "trace replay: entries sharing a hash id share that block of the prompt" {
	printf '%s\n' '{"timestamp": 0, "input_length": 600, "output_length": 1, "hash_ids": [7, 8]}' \
	    '{"timestamp": 10, "input_length": 600, "output_length": 1, "hash_ids": [7, 9]}' \
	    >"$OUT/trace.jsonl"
	responder_start "$(reply 2)"
	run -0 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 \
	    --completions --no-stream --trace "$OUT/trace.jsonl" --format json "${LOOSE[@]}"
	p1=$(body 1 | jq -r .prompt)
	p2=$(body 2 | jq -r .prompt)
	[ "$(wc -w <<<"$p1")" = 600 ]
	[ "$(wc -w <<<"$p2")" = 600 ]
	[ "$(cut -d' ' -f1-512 <<<"$p1")" = "$(cut -d' ' -f1-512 <<<"$p2")" ]
	[ "$(cut -d' ' -f513-600 <<<"$p1")" != "$(cut -d' ' -f513-600 <<<"$p2")" ]
}

@test "prefix groups: requests of a group share their prefix, lengths add up" {
	responder_start "$(reply 4)"
	run -0 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 \
	    --completions --no-stream -n 4 --prefix-groups 2 --prefix-tokens 6 \
	    --input-tokens 5 --format json "${LOOSE[@]}"
	echo "$output" >"$OUT/r.json"
	[ "$(jq -r .workload.prefix_groups "$OUT/r.json")" = 2 ]
	[ "$(jq -r .workload.prefix_tokens "$OUT/r.json")" = 6 ]
	for i in 1 2 3 4; do
		[ "$(body "$i" | jq -r .prompt | wc -w)" = 11 ]
	done
	pre() { body "$1" | jq -r .prompt | cut -d' ' -f1-6; }
	rest() { body "$1" | jq -r .prompt | cut -d' ' -f7-; }
	# Requests 0 and 2 are group 0, 1 and 3 group 1 (k mod N).
	[ "$(pre 1)" = "$(pre 3)" ]
	[ "$(pre 2)" = "$(pre 4)" ]
	[ "$(pre 1)" != "$(pre 2)" ]
	[ "$(rest 1)" != "$(rest 3)" ]
}

@test "cache busting: every prompt opens with its own word, length unchanged" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m fast --completions \
	    -n 6 --cache-bust --input-tokens 9 --output-tokens 1 --format json "${LOOSE[@]}" \
	    --raw "$OUT/raw.ndjson"
	echo "$output" >"$OUT/r.json"
	[ "$(jq -r .workload.cache_bust "$OUT/r.json")" = true ]
	[ "$(jq -s -c 'map(.prompt_tokens) | unique' "$OUT/raw.ndjson")" = "[9]" ]
	responder_start "$(reply 3)"
	run -0 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 \
	    --no-stream -n 3 --cache-bust --format json "${LOOSE[@]}"
	first() { body "$1" | jq -r '.messages[0].content' | cut -d' ' -f1; }
	[ "$(printf '%s\n' "$(first 1)" "$(first 2)" "$(first 3)" | sort -u | wc -l)" = 3 ]
	[[ "$(first 1)" =~ ^[0-9a-f]{16}$ ]]
}

@test "recorded response headers: per request in --raw and counted in the report" {
	responder_start "$(reply 2 'x-inference-pod: pod-a')
---
$(reply 1 'X-Inference-Pod: pod-b')
---
$(reply 2 '')"
	run -0 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 \
	    --no-stream -c 1 -n 4 --record-header x-inference-pod --record-header x-absent \
	    --format json "${LOOSE[@]}" --raw "$OUT/raw.ndjson"
	echo "$output" >"$OUT/r.json"
	[ "$(jq -r '.response_headers["x-inference-pod"].values["pod-a"]' "$OUT/r.json")" = 2 ]
	[ "$(jq -r '.response_headers["x-inference-pod"].values["pod-b"]' "$OUT/r.json")" = 1 ]
	[ "$(jq -r '.response_headers["x-inference-pod"].missing' "$OUT/r.json")" = 1 ]
	[ "$(jq -r '.response_headers["x-absent"].missing' "$OUT/r.json")" = 4 ]
	[ "$(jq -s -c 'sort_by(.seq) | map(.headers["x-inference-pod"])' "$OUT/raw.ndjson")" = '["pod-a","pod-a","pod-b",null]' ]
	[ "$(jq -s -c 'map(.http_version) | unique' "$OUT/raw.ndjson")" = '["1.1"]' ]
	run -0 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m1 \
	    --no-stream -n 1 --record-header x-nothing "${LOOSE[@]}"
	[[ "$output" == *"header x-nothing: missing 1"* ]]
}

@test "per-class SLOs: goodput per class, a class missing its SLO fails the run" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -c 4 -n 40 \
	    --output-tokens 3 --format json "${LOOSE[@]}" --slo ttft=10s \
	    --class "name=big,model=m,weight=1,ttft=5s" \
	    --class "name=small,model=fast,weight=1,e2e=5s,attainment=0.5"
	echo "$output" >"$OUT/r.json"
	[ "$(jq -r .slo.per_class "$OUT/r.json")" = true ]
	[ "$(jq -r .slo.met "$OUT/r.json")" = true ]
	[ "$(jq -r '.classes[0].slo.ttft_ms' "$OUT/r.json")" = 5000 ]
	[ "$(jq -r '.classes[1].slo.e2e_ms' "$OUT/r.json")" = 5000 ]
	# A class inherits the objectives it does not set.
	[ "$(jq -r '.classes[1].slo.ttft_ms' "$OUT/r.json")" = 10000 ]
	[ "$(jq -r '.classes[1].slo.attainment' "$OUT/r.json")" = 0.5 ]
	[ "$(jq -r '[.classes[].slo.good] | add' "$OUT/r.json")" = "$(jq -r .slo.good "$OUT/r.json")" ]
	[ "$(jq -r '.classes[0].slo.goodput_requests > 0' "$OUT/r.json")" = true ]
	# TTFT is 50 ms on model m: a 10 ms objective for that class is
	# missed whatever the machine does; the other class still meets its own.
	run -1 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -c 4 -n 20 \
	    --output-tokens 3 --format json "${LOOSE[@]}" \
	    --class "name=big,model=m,ttft=10ms" --class "name=small,model=fast,ttft=10s"
	echo "$output" >"$OUT/r2.json"
	[ "$(jq -r '.classes[0].slo.met' "$OUT/r2.json")" = false ]
	[ "$(jq -r '.classes[1].slo.met' "$OUT/r2.json")" = true ]
	[ "$(jq -r .slo.met "$OUT/r2.json")" = false ]
	[ "$stderr" = "maasctl: bench: SLO missed by class big: 0.00% of its requests were good, 99.00% required" ]
}

@test "bad workload specs: exit 2 with one clear line" {
	bad() {
		run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m fast "$@"
		[ "$output" = "" ]
		[ "$(printf '%s\n' "$stderr" | wc -l)" = 1 ]
		[[ "$stderr" == "maasctl: "* ]]
	}
	bad --stages 10
	[[ "$stderr" == *'stage "10" wants LOAD@DURATION or FROM..TO@DURATION'* ]]
	bad --stages "c=1.5@1s"
	[[ "$stderr" == *"wants a concurrency (an integer) before @"* ]]
	bad --stages "c=2@0s"
	[[ "$stderr" == *"wants a duration such as 30s"* ]]
	bad --stages "rate=1@1s,c=2@1s"
	[[ "$stderr" == *"mix rate= and c="* ]]
	bad --stages "c=0@1s,0@2s"
	[[ "$stderr" == *"every stage has a load of 0"* ]]
	bad --stages "c=2@1s" -c 4
	[[ "$stderr" == *"the stages set the concurrency"* ]]
	bad --stages "rate=5@1s" --rate 3
	[[ "$stderr" == *"give open-loop rates in the stages"* ]]
	bad --stages "rate=0.1@1s"
	[[ "$stderr" == *"schedules no request"* ]]
	printf '{"timestamp": 0, "input_length": 5}\n' >"$OUT/t.jsonl"
	bad --stages "c=1@1s" --trace "$OUT/t.jsonl"
	[[ "$stderr" == *"--stages and --trace both set the schedule"* ]]
	bad --trace "$OUT/missing.jsonl"
	[[ "$stderr" == *"cannot read trace $OUT/missing.jsonl: No such file or directory" ]]
	printf '{"timestamp": 0, "input_length": 5}\n{"input_length": 5}\n' >"$OUT/t2.jsonl"
	bad --trace "$OUT/t2.jsonl"
	[[ "$stderr" == *"trace $OUT/t2.jsonl line 2: want \"timestamp\""* ]]
	printf '{"timestamp": 0, "input_length": 0}\n' >"$OUT/t3.jsonl"
	bad --trace "$OUT/t3.jsonl"
	[[ "$stderr" == *"line 1: want \"input_length\""* ]]
	printf '{"timestamp": 0, "input_length": 5, "hash_ids": "x"}\n' >"$OUT/t4.jsonl"
	bad --trace "$OUT/t4.jsonl"
	[[ "$stderr" == *'"hash_ids" wants an array of integers'* ]]
	printf '\n\n' >"$OUT/t5.jsonl"
	bad --trace "$OUT/t5.jsonl"
	[[ "$stderr" == *"has no entries"* ]]
	printf '{"timestamp": 0, "input_length": 5\n' >"$OUT/t6.jsonl"
	bad --trace "$OUT/t6.jsonl"
	[[ "$stderr" == *"trace $OUT/t6.jsonl line 1: "* ]]
	bad --trace "$OUT/t.jsonl" --trace-scale 0
	[[ "$stderr" == *"invalid --trace-scale 0"* ]]
	bad --trace-scale 2
	[[ "$stderr" == *"--trace-scale needs --trace"* ]]
	bad --trace "$OUT/t.jsonl" --shared-prompt
	[[ "$stderr" == *"--trace makes the prompts"* ]]
	bad --trace "$OUT/t.jsonl" --rate 5
	[[ "$stderr" == *"the trace sets the schedule"* ]]
	bad --prefix-tokens 5
	[[ "$stderr" == *"--prefix-tokens needs --prefix-groups"* ]]
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m fast --prefix-groups 0
	[[ "$stderr" == "maasctl: invalid value 0 for --prefix-groups: must be from 1 to 1000000"* ]]
	bad --cache-bust --prefix-groups 2
	[[ "$stderr" == *"--cache-bust gives every request its own prompt start; it contradicts --prefix-groups"* ]]
	bad --cache-bust --shared-prompt
	[[ "$stderr" == *"contradicts --shared-prompt"* ]]
	bad --prefix-groups 2 --shared-prompt
	[[ "$stderr" == *"one prompt for all has no groups"* ]]
	bad --record-header "x pod"
	[[ "$stderr" == *'invalid --record-header "x pod": want a header name'* ]]
	bad --record-header "x-pod:"
	bad --class "name=a,ttft=fast"
	[[ "$stderr" == *"class a"*"ttft"* ]]
	bad --class "name=a,attainment=2"
	[[ "$stderr" == *"attainment"* ]]
}

@test "completion offers the workload flags; --trace takes a file" {
	run -0 --separate-stderr maasctl __complete bench --st
	[[ "$output" == *$'--stages\t'* ]]
	run -0 --separate-stderr maasctl __complete bench --tra
	[[ "$output" == *$'--trace\t'* ]] && [[ "$output" == *$'--trace-scale\t'* ]]
	run -0 --separate-stderr maasctl __complete bench --pre
	[[ "$output" == *$'--prefix-groups\t'* ]] && [[ "$output" == *$'--prefix-tokens\t'* ]]
	run -0 --separate-stderr maasctl __complete bench --cache
	[[ "$output" == *$'--cache-bust\t'* ]]
	run -0 --separate-stderr maasctl __complete bench --record
	[[ "$output" == *$'--record-header\t'* ]]
	run -0 --separate-stderr maasctl __complete bench --trace ''
	[ "${lines[-1]}" = ":0" ]
}
