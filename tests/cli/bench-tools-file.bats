#!/usr/bin/env bats
# bench-tools-file.bats: `maasctl bench --tools FILE`: the OpenAI tools
# array in FILE goes, as it is, into every chat request on both
# transports (read back from the responder's log, and answered by the
# simulator's tool calls); a file that is missing, not JSON or not an
# array of function tools is refused with one line naming it (exit 2).
bats_require_minimum_version 1.5.0
load ../helpers/bench

CONFIG='{"models": {
  "m": {"ttft": "2ms", "itl": "1ms", "max-num-seqs": 1000, "max-waiting": 1000}
}}'

ANSWER='header Content-Type: application/json
body {"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}
times 200'

setup() {
	bench_setup "$CONFIG"
	cat >"$OUT/tools.json" <<'JSON'
[
  {"type": "function",
   "function": {"name": "get_weather", "description": "Weather in a city",
     "parameters": {"type": "object",
       "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["C", "F"]}},
       "required": ["city", "unit"]}}},
  {"type": "function", "function": {"name": "get_time", "strict": true,
     "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}, "required": ["zone"]}}}
]
JSON
}
teardown() { bench_teardown; }

@test "--tools FILE: the array goes as it is into every request, both transports alike" {
	responder_start "$ANSWER"
	want=$(jq -c . "$OUT/tools.json")
	for tr in native curl; do
		: >"$RESPONDER_LOG"
		run -0 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m x \
		    -c 2 -n 6 --no-stream --transport $tr --tools "$OUT/tools.json" "${LOOSE[@]}"
		[ "$(responder_count)" = 6 ]
		grep '^{' "$RESPONDER_LOG" >"$OUT/bodies-$tr"
		[ "$(wc -l <"$OUT/bodies-$tr")" = 6 ]
		[ "$(jq -c .tools "$OUT/bodies-$tr" | sort -u)" = "$want" ]
		# Nothing else of the request changed: no tool_choice is made up.
		[ "$(jq -s 'map(has("tool_choice")) | any' "$OUT/bodies-$tr")" = false ]
		jq -c 'del(.messages)' "$OUT/bodies-$tr" | sort >"$OUT/shape-$tr"
	done
	# Both transports sent the same bodies (prompts aside).
	diff "$OUT/shape-native" "$OUT/shape-curl"
	# The report's command line names the file.
	run -0 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m x \
	    -n 1 --no-stream --tools "$OUT/tools.json" --format json "${LOOSE[@]}"
	[[ $(jq -r .command <<<"$output") == *"--tools $OUT/tools.json"* ]]
}

@test "--tools FILE with tool_choice: the simulator answers with tool calls, counted as tool-call deltas" {
	for tr in native curl; do
		run -0 --separate-stderr maasctl bench --endpoint "$MODELSIM_URL" -m m -c 2 -n 6 \
		    --output-tokens 64 --transport $tr --tools "$OUT/tools.json" \
		    -p 'tool_choice={"type":"function","function":{"name":"get_time"}}' \
		    --format json "${LOOSE[@]}"
		[ "$(jq -r .requests.ok <<<"$output")" = 6 ]
		[ "$(jq -r .tokens.deltas.requests_with_tool_calls <<<"$output")" = 6 ]
		[ "$(jq -r .tokens.deltas.content_chunks <<<"$output")" = 0 ]
		[ "$(jq -r '.tokens.deltas.tool_call_chunks > 6' <<<"$output")" = true ]
	done
}

@test "--tools FILE that cannot be used: one line naming the file and the fault, exit 2, nothing sent" {
	responder_start "$ANSWER"
	t() {
		printf '%s' "$1" >"$OUT/t.json"
		run -2 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m x \
		    -n 1 --no-stream --tools "$OUT/t.json" "${LOOSE[@]}"
		[ "$output" = "" ]
		[ "$stderr" = "maasctl: bench: --tools $OUT/t.json: $2" ]
	}
	t '{"type":"function","function":{"name":"f"}}' 'want a JSON array of tools, not an object'
	t '"tools"' 'want a JSON array of tools, not a single value'
	t '[]' 'the array holds no tool'
	t '[{"type":"function","function":{"name":"f"}}, 3]' 'tool 2 is not an object'
	t '[{"function":{"name":"f"}}]' 'tool 1 needs "type": "function"'
	t '[{"type":"retrieval","function":{"name":"f"}}]' 'tool 1 needs "type": "function"'
	t '[{"type":"function","name":"f"}]' 'tool 1 needs a "function" object'
	t '[{"type":"function","function":{"name":""}}]' 'tool 1 needs a non-empty string function.name'
	t '[{"type":"function","function":{"description":"no name"}}]' 'tool 1 needs a non-empty string function.name'
	# Not JSON: the parser's place and reason.
	printf '[{"type":' >"$OUT/t.json"
	run -2 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m x \
	    -n 1 --tools "$OUT/t.json" "${LOOSE[@]}"
	[[ $stderr == "maasctl: bench: $OUT/t.json is not a JSON tools array: invalid JSON"* ]]
	[ "$(wc -l <<<"$stderr")" = 1 ]
	run -2 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m x \
	    -n 1 --tools "$OUT/nosuch.json" "${LOOSE[@]}"
	[ "$stderr" = "maasctl: bench: cannot read $OUT/nosuch.json: No such file or directory" ]
	run -2 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m x \
	    -n 1 --tools "$OUT/tools.json" -p 'tools=[]' "${LOOSE[@]}"
	[ "$stderr" = "maasctl: bench: --tools and -p tools=... both set the tools; give one" ]
	run -2 --separate-stderr maasctl bench --endpoint "http://127.0.0.1:$RESPONDER_PORT/v1" -m x \
	    -n 1 --completions --tools "$OUT/tools.json" "${LOOSE[@]}"
	[ "$stderr" = "maasctl: bench: --tools needs chat requests, not --completions" ]
	[ "$(responder_count)" = 0 ]
}

@test "--tools completes a file name and --help lists it" {
	run -0 --separate-stderr maasctl bench --help
	[[ $output == *"--tools FILE"*"send the OpenAI tools array in FILE"* ]]
	run -0 --separate-stderr maasctl __complete bench --too
	[[ $output == *$'--tools\t'*"send the OpenAI tools array"* ]]
	# Its value completes as files do (directive 0: the shell's default),
	# as --dataset's does.
	run -0 --separate-stderr maasctl __complete bench --tools ''
	[ "$output" = ":0" ]
	[ "$output" = "$(maasctl __complete bench --dataset '' 2>/dev/null)" ]
}
