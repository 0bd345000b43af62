#!/usr/bin/env bats
# bench-tokens.bats: `maasctl bench` token accounting beyond content --
# reasoning and tool-call deltas counted apart (per request in --raw and
# in the report), on both transports -- and input lengths without a
# tokenizer: --tokenize calibrates synthetic prompts against the server's
# /tokenize, --completions --token-ids sends token-id prompts of exact
# length, and the report sets the requested ISL beside the server-counted
# one.
bats_require_minimum_version 1.5.0
load ../helpers/bench

CONFIG='{"models": {
  "m": {"ttft": "2ms", "itl": "1ms", "max-num-seqs": 10000, "max-waiting": 10000},
  "thinker": {"ttft": "2ms", "itl": "1ms", "reasoning": true, "reasoning-tokens": 3,
              "max-num-seqs": 10000, "max-waiting": 10000}
}}'

TOOLS='[{"type":"function","function":{"name":"get_weather","description":"w","parameters":{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city","days"]}}}]'

setup() { bench_setup "$CONFIG"; }
teardown() { bench_teardown; }

@test "tool-call deltas are counted apart from content and reasoning, per request and in the report, both transports" {
	for tr in native curl; do
		run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m \
		    -c 2 -n 10 --transport "$tr" -p "tools=$TOOLS" -p 'tool_choice="required"' \
		    --raw "$OUT/$tr.raw" --format json "${LOOSE[@]}"
		echo "$output" >"$OUT/$tr.json"
		r=$OUT/$tr.json
		[ "$(jq -r .client.transport "$r")" = "$([ $tr = curl ] && echo libcurl || echo native)" ]
		[ "$(jq -r .requests.ok "$r")" = 10 ]
		[ "$(jq -r .tokens.deltas.content_chunks "$r")" = 0 ]
		[ "$(jq -r .tokens.deltas.reasoning_chunks "$r")" = 0 ]
		[ "$(jq -r .tokens.deltas.requests_with_tool_calls "$r")" = 10 ]
		# Every tool-call chunk is one; they add up from the requests.
		[ "$(jq -r .tokens.deltas.tool_call_chunks "$r")" = "$(jq -s 'map(.tool_call_chunks) | add' "$OUT/$tr.raw")" ]
		[ "$(jq -s 'all(.tool_call_chunks > 0 and .text_chunks == 0 and .reasoning_chunks == 0 and .content_chunks == .tool_call_chunks)' "$OUT/$tr.raw")" = true ]
		# A tool-call delta is output: it stops TTFT and TTFO.
		[ "$(jq -r .metrics.ttft.count "$r")" = 10 ]
		[ "$(jq -r .metrics.ttfo.count "$r")" = 10 ]
		# Usage counts 3 tokens per call beyond its argument chunks: more
		# tokens than chunks, never fewer, so the sources agree.
		[ "$(jq -s 'all(.usage_tokens == .tool_call_chunks + 3)' "$OUT/$tr.raw")" = true ]
		[ "$(jq -r .tokens.sources.chunks_exceed_usage "$r")" = 0 ]
		[ "$(jq -r .verdict.valid "$r")" = true ]
	done
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -c 2 -n 4 \
	    -p "tools=$TOOLS" -p 'tool_choice="required"' "${LOOSE[@]}"
	[[ $output == *$'\ndeltas: 0 content, 0 reasoning, '*' tool-call chunks; 0 requests with reasoning, 4 with tool calls'* ]]
}

@test "reasoning deltas are counted apart, TTFO after them, both transports" {
	for tr in native curl; do
		run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m thinker \
		    -c 2 -n 6 --output-tokens 8 --transport "$tr" --raw "$OUT/$tr.raw" \
		    --format json "${LOOSE[@]}"
		r=$output
		[ "$(jq -r .tokens.deltas.reasoning_chunks <<<"$r")" = 18 ]
		[ "$(jq -r .tokens.deltas.content_chunks <<<"$r")" = 30 ]
		[ "$(jq -r .tokens.deltas.tool_call_chunks <<<"$r")" = 0 ]
		[ "$(jq -r .tokens.deltas.requests_with_reasoning <<<"$r")" = 6 ]
		[ "$(jq -s -c 'map([.reasoning_chunks, .text_chunks, .tool_call_chunks]) | unique' "$OUT/$tr.raw")" = '[[3,5,0]]' ]
		# Output comes after the reasoning (the same time when one read
		# brought both).
		[ "$(jq -r '.metrics.ttfo.count == 6 and .metrics.ttfo.p50 >= .metrics.ttft.p50' <<<"$r")" = true ]
		[ "$(jq -s 'all(.first_output_ms >= .first_token_ms)' "$OUT/$tr.raw")" = true ]
	done
}

@test "non-streamed answers: their message.tool_calls are counted" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -c 2 -n 5 --no-stream \
	    -p "tools=$TOOLS" -p 'tool_choice={"type":"function","function":{"name":"get_weather"}}' \
	    --format json "${LOOSE[@]}"
	[ "$(jq -r .tokens.deltas.tool_calls_non_streamed <<<"$output")" = 5 ]
	[ "$(jq -r .tokens.deltas.requests_with_tool_calls <<<"$output")" = 5 ]
	[ "$(jq -r .tokens.deltas.tool_call_chunks <<<"$output")" = 0 ]
}

@test "merged reports add the delta counts up" {
	for k in 0 1; do
		maasctl bench --endpoint "$MODELSIM_URL" -m thinker -c 1 -n 4 --worker "$k/2" \
		    --output-tokens 4 --save "$OUT/w$k.json" "${LOOSE[@]}" >/dev/null
	done
	run -0 --separate-stderr maasctl bench merge --format json "$OUT/w0.json" "$OUT/w1.json"
	[ "$(jq -r .tokens.deltas.reasoning_chunks <<<"$output")" = 12 ]
	[ "$(jq -r .tokens.deltas.requests_with_reasoning <<<"$output")" = 4 ]
}

@test "the HTML report carries the isl and delta rows the text report has" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -c 2 -n 4 \
	    --input-tokens 12 -p "tools=$TOOLS" -p 'tool_choice="required"' \
	    --html "$OUT/r.html" --save "$OUT/r.json" "${LOOSE[@]}"
	isl=$(grep '^isl: ' <<<"$output")
	deltas=$(grep '^deltas: ' <<<"$output")
	[[ $isl == 'isl: requested mean 12.0 tokens, server-counted mean '*'; prompts: words'* ]]
	[[ $deltas == *', 4 with tool calls' ]]
	# The same words, one row each, in the HTML.
	grep -qxF "<tr><th>isl</th><td>${isl#isl: }</td></tr>" "$OUT/r.html"
	grep -qxF "<tr><th>deltas</th><td>${deltas#deltas: }</td></tr>" "$OUT/r.html"
	[ "$(jq -r .tokens.isl.requested_mean "$OUT/r.json")" = 12 ]
	# Content alone: no deltas row in either; the isl row stays.
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -c 1 -n 2 \
	    --html "$OUT/plain.html" "${LOOSE[@]}"
	[[ $output != *$'\ndeltas: '* ]]
	! grep -q '<th>deltas</th>' "$OUT/plain.html"
	grep -q '<tr><th>isl</th><td>requested mean 32.0 tokens' "$OUT/plain.html"
	# An HTML file that cannot be written: exit 2, one line naming it.
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -n 1 \
	    --html "$OUT/nosuch/r.html" "${LOOSE[@]}"
	[[ $stderr == "maasctl: bench: cannot write "*"$OUT/nosuch/r.html"* ]]
	[ "$(wc -l <<<"$stderr")" = 1 ]
}

@test "merged reports carry tokens.isl: requests add up, means weighted, ratio recomputed" {
	for k in 0 1 2; do
		maasctl bench --endpoint "$MODELSIM_URL" -m m -c 1 -n 7 --worker "$k/3" \
		    --input-tokens 20 -p "tools=$TOOLS" -p 'tool_choice="required"' \
		    --save "$OUT/w$k.json" "${LOOSE[@]}" >/dev/null
	done
	run -0 --separate-stderr maasctl bench merge --format json "$OUT/w0.json" "$OUT/w1.json" "$OUT/w2.json"
	m=$output
	[ "$(jq -r .tokens.isl.requests <<<"$m")" = 7 ]
	[ "$(jq -r .tokens.isl.server_requests <<<"$m")" = 7 ]
	[ "$(jq -r .tokens.isl.requested_mean <<<"$m")" = 20 ]
	[ "$(jq -r '.tokens.isl.server_mean == .metrics.input_tokens.mean' <<<"$m")" = true ]
	[ "$(jq -r '.tokens.isl.server_to_requested == ((.tokens.isl.server_mean / 20 * 10000 | round) / 10000)' <<<"$m")" = true ]
	[ "$(jq -r .tokens.isl.prompts "$OUT/w0.json")" = "$(jq -r .tokens.isl.prompts <<<"$m")" ]
	# The delta counters add up across the inputs.
	[ "$(jq -r .tokens.deltas.requests_with_tool_calls <<<"$m")" = 7 ]
	[ "$(jq -s 'map(.tokens.deltas.tool_call_chunks) | add' "$OUT"/w?.json)" = "$(jq -r .tokens.deltas.tool_call_chunks <<<"$m")" ]
	run -0 --separate-stderr maasctl bench merge "$OUT/w0.json" "$OUT/w1.json"
	[[ $output == *$'\nisl: requested mean 20.0 tokens, server-counted mean '* ]]
	# Requested means weighted by each input's requests.
	jq '.tokens.isl.requested_mean = 40' "$OUT/w1.json" >"$OUT/w1b.json"
	run -0 --separate-stderr maasctl bench merge --format json "$OUT/w0.json" "$OUT/w1b.json"
	n0=$(jq -r .tokens.isl.requests "$OUT/w0.json")
	n1=$(jq -r .tokens.isl.requests "$OUT/w1.json")
	[ "$(jq -r .tokens.isl.requested_mean <<<"$output")" = "$(jq -n "($n0 * 20 + $n1 * 40) / ($n0 + $n1)")" ]
	# A saved state without a required counter: exit 2, one line.
	jq 'del(.state.all.in_tokens)' "$OUT/w0.json" >"$OUT/bad.json"
	run -2 --separate-stderr maasctl bench merge "$OUT/bad.json" "$OUT/w1.json"
	[ "$stderr" = "maasctl: bench merge: $OUT/bad.json: the run: bench state: missing in_tokens" ]
}

@test "--tokenize: chat prompts calibrated against /tokenize count --input-tokens server tokens" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -c 2 -n 6 \
	    --input-tokens 40 --tokenize --format json "${LOOSE[@]}"
	c=$(jq -c .tokens.isl.calibration <<<"$output")
	# The simulator's chat template: 4 tokens a message + 2; a word is a
	# token, so 34 words make 40.
	[ "$(jq -r '"\(.overhead_tokens) \(.tokens_per_word) \(.words) \(.server_tokens) \(.requested_tokens)"' <<<"$c")" = "6 1 34 40 40" ]
	[ "$(jq -r .url <<<"$c")" = "http://127.0.0.1:$MODELSIM_PORT/tokenize" ]
	[ "$(jq -r '"\(.tokens.isl.requested_mean) \(.tokens.isl.server_mean) \(.tokens.isl.server_to_requested)"' <<<"$output")" = "40 40 1" ]
	[ "$(jq -r .workload.words_per_server_token <<<"$output")" = 1 ]
	# Without it, words are sent as tokens and the template's 6 show.
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -c 2 -n 6 \
	    --input-tokens 40 --format json "${LOOSE[@]}"
	[ "$(jq -r '"\(.tokens.isl.requested_mean) \(.tokens.isl.server_mean)"' <<<"$output")" = "40 46" ]
	[ "$(jq -r '.tokens.isl.calibration' <<<"$output")" = null ]
	# Completions have no template; the text report says it all.
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -c 1 -n 3 --completions \
	    --input-tokens uniform:20:30 --tokenize "${LOOSE[@]}"
	[[ $output == *$'\nisl: requested mean 25.0 tokens, server-counted mean '*' (/tokenize: 0 overhead, 1.0000 per word; 25 words counted 25); prompts: words calibrated against the server'"'"'s /tokenize'* ]]
}

@test "--tokenize against a server without /tokenize: one line and a hint, exit 4, no load sent" {
	responder_start 'status 404
body {"error":{"message":"Not Found"}}
times 5'
	run -4 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m m -n 2 \
	    --tokenize "${LOOSE[@]}"
	[ "${stderr_lines[0]}" = "maasctl: bench: --tokenize: POST http://127.0.0.1:$RESPONDER_PORT/tokenize answered 404: this server has no /tokenize endpoint" ]
	[[ ${stderr_lines[1]} == "hint: vLLM serves /tokenize but the MaaS gateway does not route it: use --endpoint"* ]]
	[ "$(responder_count)" = 1 ]
	[ "$output" = "" ]
}

@test "--completions --token-ids: token-id prompts of exactly --input-tokens" {
	run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -c 2 -n 8 --completions --token-ids \
	    --input-tokens uniform:10:50 --seed 4 --raw "$OUT/raw" --format json "${LOOSE[@]}"
	[ "$(jq -r .workload.prompt_format <<<"$output")" = token_ids ]
	[ "$(jq -r .tokens.isl.prompts <<<"$output")" = "token ids (exact length)" ]
	# Lengths drawn from the seed: the server counts each exactly; a
	# second run with the same seed draws the same lengths.
	jq -s -c 'map(.prompt_tokens) | sort' "$OUT/raw" >"$OUT/a"
	[ "$(jq -r 'all(. >= 10 and . <= 50)' "$OUT/a")" = true ]
	[ "$(jq -r '.metrics.input_tokens.mean' <<<"$output")" = "$(jq 'add / length' "$OUT/a")" ]
	maasctl bench --endpoint "$MODELSIM_URL" -m m -c 2 -n 8 --completions --token-ids \
	    --input-tokens uniform:10:50 --seed 4 --raw "$OUT/raw2" "${LOOSE[@]}" >/dev/null
	[ "$(jq -s -c 'map(.prompt_tokens) | sort' "$OUT/raw2")" = "$(cat "$OUT/a")" ]
}

@test "--token-ids and --tokenize refuse what they cannot do (exit 2)" {
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -n 1 --token-ids
	[ "$stderr" = "maasctl: bench: --token-ids sends synthetic prompts to /v1/completions; it needs --completions" ]
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -n 1 --completions --token-ids --tokenize
	[ "$stderr" = "maasctl: bench: --token-ids sends synthetic prompts to /v1/completions; --tokenize has nothing to calibrate then" ]
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -n 1 --completions --token-ids --cache-bust
	[[ $stderr == *"it does not combine with --dataset, --trace, --prefix-groups, --cache-bust or --class" ]]
	printf '{"prompt":"hi"}\n' >"$OUT/d.jsonl"
	run -2 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -n 1 --tokenize --dataset "$OUT/d.jsonl"
	[ "$stderr" = "maasctl: bench: --tokenize calibrates synthetic prompts; it does not combine with --dataset" ]
}
