#!/usr/bin/env bats
# modelsim-tools.bats: the model simulator's tool calls (a chat request
# with `tools` is answered with tool calls, streamed as delta.tool_calls
# chunks the way vLLM and llm-d-inference-sim stream them) and its POST
# /tokenize (vLLM's shape, counting exactly as usage.prompt_tokens).
bats_require_minimum_version 1.5.0
load ../helpers/common
load ../helpers/modelsim

CONFIG='{"models": {
  "m": {"ttft": "1ms", "itl": "1ms"},
  "thinker": {"reasoning": true, "reasoning-tokens": 3},
  "short": {"max-model-len": 20}
}}'

TOOLS='[{"type":"function","function":{"name":"get_weather","description":"weather","parameters":{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["C","F"]},"days":{"type":"integer"}},"required":["city","unit","days"]}}},{"type":"function","function":{"name":"get_time","description":"time","parameters":{"type":"object","properties":{"zone":{"type":"string"}},"required":["zone"]}}}]'

setup() {
	common_setup
	modelsim_start "$CONFIG"
}
teardown() {
	modelsim_stop
	common_teardown
}

post() {
	curl -sS -N -w '\n%{http_code}' "http://127.0.0.1:$MODELSIM_PORT$1" \
	    -H 'Content-Type: application/json' -d "$2"
}

# body: the response without the status line post appends.
body() { sed '$d' <<<"$1"; }
code() { tail -n 1 <<<"$1"; }

@test "a forced function: one tool call with schema-shaped arguments, finish_reason tool_calls, usage 3 + argument tokens" {
	run -0 post /v1/chat/completions '{"model":"m","messages":[{"role":"user","content":"weather?"}],"seed":3,
	    "tools":'"$TOOLS"',"tool_choice":{"type":"function","function":{"name":"get_weather"}}}'
	[ "$(code "$output")" = 200 ]
	b=$(body "$output")
	[ "$(jq -r '.choices[0].finish_reason' <<<"$b")" = tool_calls ]
	[ "$(jq -r '.choices[0].message.content' <<<"$b")" = null ]
	[ "$(jq -r '.choices[0].message.tool_calls | length' <<<"$b")" = 1 ]
	tc=$(jq -c '.choices[0].message.tool_calls[0]' <<<"$b")
	[[ $(jq -r .id <<<"$tc") =~ ^chatcmpl-tool-[0-9a-f]{16}$ ]]
	[ "$(jq -r '"\(.type) \(.function.name)"' <<<"$tc")" = "function get_weather" ]
	args=$(jq -r .function.arguments <<<"$tc")
	# Required properties are all there, with their schema's types.
	[ "$(jq -r '[(.city | type), (.unit | IN("C","F")), (.days | type)] | map(tostring) | join(" ")' <<<"$args")" = "string true number" ]
	[ "$(jq -r '.days >= 0 and .days <= 100 and (.days | floor) == .days' <<<"$args")" = true ]
	# Usage: id, type and name (3) plus the arguments' tokens under the
	# simulator's rule (a run of word characters, or one other character,
	# with the blanks before it).
	n=$(printf '%s' "$args" | perl -ne 'my $n = () = /\s*(?:[A-Za-z0-9_\x80-\xff]+|.)/gs; print $n')
	[ "$(jq -r .usage.completion_tokens <<<"$b")" = $((3 + n)) ]
	# The same seed draws the same calls.
	run -0 post /v1/chat/completions '{"model":"m","messages":[{"role":"user","content":"weather?"}],"seed":3,
	    "tools":'"$TOOLS"',"tool_choice":{"type":"function","function":{"name":"get_weather"}}}'
	[ "$(jq -c '.choices[0].message.tool_calls' <<<"$(body "$output")")" = "$(jq -c '.choices[0].message.tool_calls' <<<"$b")" ]
}

@test "streamed tool calls: one delta.tool_calls chunk per argument token, the call's first with id and name, and they reassemble" {
	run -0 post /v1/chat/completions '{"model":"m","messages":[{"role":"user","content":"go"}],"seed":11,"stream":true,
	    "stream_options":{"include_usage":true,"continuous_usage_stats":true},
	    "tools":'"$TOOLS"',"tool_choice":"required"}'
	[ "$(code "$output")" = 200 ]
	body "$output" | sed -n 's/^data: //p' | grep -v '^\[DONE\]$' >"$TEST_HOME/chunks"
	# Role chunk first, no content anywhere, finish on the last tool chunk.
	[ "$(head -n 1 "$TEST_HOME/chunks" | jq -r '.choices[0].delta.role')" = assistant ]
	[ "$(jq -s '[.[].choices[]?.delta.content // empty | select(. != "")] | length' "$TEST_HOME/chunks")" = 0 ]
	[ "$(jq -s -r '[.[] | select(.choices | length > 0)] | last | .choices[0] | "\(.finish_reason) \(.delta.tool_calls | length)"' "$TEST_HOME/chunks")" = "tool_calls 1" ]
	tcs=$(jq -s -c '[.[].choices[]?.delta.tool_calls // empty | .[0]]' "$TEST_HOME/chunks")
	# Exactly one tool call per chunk; calls numbered from 0; a call's
	# first chunk alone has id, type and name.
	[ "$(jq '[.[] | select(.id != null)] | length' <<<"$tcs")" = "$(jq '[.[].index] | unique | length' <<<"$tcs")" ]
	[ "$(jq -r '[.[].index] | unique | . == [range(0; length)]' <<<"$tcs")" = true ]
	[ "$(jq -r 'group_by(.index) | all(.[0].function.name != null and .[0].type == "function" and (.[1:] | all(.function.name == null and .id == null)))' <<<"$tcs")" = true ]
	# Each call's argument pieces join into valid JSON of its function.
	[ "$(jq -r 'group_by(.index) | map(map(.function.arguments) | join("") | fromjson | type) | unique | join(",")' <<<"$tcs")" = object ]
	# Per-chunk usage climbs to the final usage: 3 + arguments per call.
	ncalls=$(jq '[.[].index] | unique | length' <<<"$tcs")
	nchunks=$(jq 'length' <<<"$tcs")
	final=$(jq -s -r '[.[] | select(.choices == [])] | last | .usage.completion_tokens' "$TEST_HOME/chunks")
	[ "$final" = $((3 * ncalls + nchunks)) ]
	[ "$(jq -s -r '[.[] | select((.choices | length) > 0) | .usage.completion_tokens] | last' "$TEST_HOME/chunks")" = "$final" ]
}

@test "tool_choice none and no tools answer text; auto may or may not call" {
	run -0 post /v1/chat/completions '{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":4,"seed":1,
	    "tools":'"$TOOLS"',"tool_choice":"none"}'
	b=$(body "$output")
	[ "$(jq -r '.choices[0].finish_reason' <<<"$b")" = length ]
	[ "$(jq -r '.choices[0].message.tool_calls | length' <<<"$b")" = 0 ]
	# auto: over many seeds both answers happen (0..2 calls each).
	texts=0 calls=0
	for s in $(seq 1 24); do
		run -0 post /v1/chat/completions '{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":200,"seed":'"$s"',"tools":'"$TOOLS"'}'
		f=$(jq -r '.choices[0].finish_reason' <<<"$(body "$output")")
		[ "$f" = tool_calls ] && calls=$((calls + 1)) || texts=$((texts + 1))
	done
	[ "$calls" -gt 0 ] && [ "$texts" -gt 0 ]
}

# stream_chunks OUTPUT: the data lines of a streamed answer, one a line.
stream_chunks() { body "$1" | sed -n 's/^data: //p' | grep -v '^\[DONE\]$'; }

FORCED='"tools":'"$TOOLS"',"tool_choice":{"type":"function","function":{"name":"get_weather"}}'

@test "max_tokens cuts a streamed tool call where the budget ends: finish_reason length, usage max_tokens" {
	# The whole call first, to know its size.
	run -0 post /v1/chat/completions '{"model":"m","messages":[{"role":"user","content":"w"}],"seed":5,'"$FORCED"'}'
	full=$(jq -r '.choices[0].message.tool_calls[0].function.arguments' <<<"$(body "$output")")
	whole=$(jq -r .usage.completion_tokens <<<"$(body "$output")")
	[ "$whole" -gt 8 ]
	# Room for the head (id, type, name: 3) and 5 argument tokens.
	run -0 post /v1/chat/completions '{"model":"m","messages":[{"role":"user","content":"w"}],"seed":5,"stream":true,
	    "max_tokens":8,"stream_options":{"include_usage":true},'"$FORCED"'}'
	[ "$(code "$output")" = 200 ]
	stream_chunks "$output" >"$TEST_HOME/chunks"
	tcs=$(jq -s -c '[.[].choices[]?.delta.tool_calls // empty | .[0]]' "$TEST_HOME/chunks")
	[ "$(jq length <<<"$tcs")" = 5 ]
	[ "$(jq -r '.[0] | "\(.index) \(.function.name)"' <<<"$tcs")" = "0 get_weather" ]
	args=$(jq -r 'map(.function.arguments) | join("")' <<<"$tcs")
	[ -n "$args" ] && [ "${full#"$args"}" != "$full" ] && [ "$args" != "$full" ]
	[ "$(jq -s -r '[.[] | select(.choices | length > 0)] | last | .choices[0].finish_reason' "$TEST_HOME/chunks")" = length ]
	[ "$(jq -s -r '[.[] | select(.choices == [])] | last | .usage.completion_tokens' "$TEST_HOME/chunks")" = 8 ]
	# The whole answer is cut the same way.
	run -0 post /v1/chat/completions '{"model":"m","messages":[{"role":"user","content":"w"}],"seed":5,"max_tokens":8,'"$FORCED"'}'
	b=$(body "$output")
	[ "$(jq -r '.choices[0].finish_reason' <<<"$b")" = length ]
	[ "$(jq -r '.choices[0].message.tool_calls[0].function.arguments' <<<"$b")" = "$args" ]
	[ "$(jq -r .usage.completion_tokens <<<"$b")" = 8 ]
	# Exactly the call's size is no cut: finish_reason tool_calls.
	run -0 post /v1/chat/completions '{"model":"m","messages":[{"role":"user","content":"w"}],"seed":5,"max_tokens":'"$whole"','"$FORCED"'}'
	b=$(body "$output")
	[ "$(jq -r '.choices[0].finish_reason' <<<"$b")" = tool_calls ]
	[ "$(jq -r '.choices[0].message.tool_calls[0].function.arguments' <<<"$b")" = "$full" ]
	[ "$(jq -r .usage.completion_tokens <<<"$b")" = "$whole" ]
}

@test "max_tokens below a call's head, or spent on reasoning: no tool-call chunk, finish_reason length" {
	run -0 post /v1/chat/completions '{"model":"m","messages":[{"role":"user","content":"w"}],"seed":5,"stream":true,
	    "max_tokens":2,"stream_options":{"include_usage":true},'"$FORCED"'}'
	stream_chunks "$output" >"$TEST_HOME/chunks"
	[ "$(jq -s '[.[].choices[]?.delta.tool_calls // empty] | length' "$TEST_HOME/chunks")" = 0 ]
	[ "$(jq -s -r '[.[] | select(.choices | length > 0)] | last | .choices[0].finish_reason' "$TEST_HOME/chunks")" = length ]
	# The 2 tokens were generated: usage counts them.
	[ "$(jq -s -r '[.[] | select(.choices == [])] | last | .usage.completion_tokens' "$TEST_HOME/chunks")" = 2 ]
	run -0 post /v1/chat/completions '{"model":"m","messages":[{"role":"user","content":"w"}],"seed":5,"max_tokens":2,'"$FORCED"'}'
	[ "$(jq -r '.choices[0] | "\(.finish_reason) \(.message.tool_calls | length)"' <<<"$(body "$output")")" = "length 0" ]
	# Reasoning takes its 3 tokens first; nothing is left for the call.
	run -0 post /v1/chat/completions '{"model":"thinker","messages":[{"role":"user","content":"w"}],"seed":5,"stream":true,
	    "max_tokens":3,"stream_options":{"include_usage":true},'"$FORCED"'}'
	stream_chunks "$output" >"$TEST_HOME/chunks"
	[ "$(jq -s '[.[].choices[]?.delta.reasoning_content // empty] | length' "$TEST_HOME/chunks")" = 3 ]
	[ "$(jq -s '[.[].choices[]?.delta.tool_calls // empty] | length' "$TEST_HOME/chunks")" = 0 ]
	[ "$(jq -s -r '[.[] | select(.choices | length > 0)] | last | .choices[0].finish_reason' "$TEST_HOME/chunks")" = length ]
	# max_tokens that is not a whole number of at least 1: a 400 naming it.
	run -0 post /v1/chat/completions '{"model":"m","messages":[{"role":"user","content":"w"}],"max_tokens":0,'"$FORCED"'}'
	[ "$(code "$output")" = 400 ]
	[ "$(jq -r '.error | "\(.param) \(.message)"' <<<"$(body "$output")")" = "max_tokens max_tokens must be a whole number of at least 1" ]
}

@test "reasoning comes first, then the tool calls" {
	run -0 post /v1/chat/completions '{"model":"thinker","messages":[{"role":"user","content":"go"}],"seed":2,"stream":true,
	    "tools":'"$TOOLS"',"tool_choice":{"type":"function","function":{"name":"get_time"}}}'
	kinds=$(body "$output" | sed -n 's/^data: //p' | grep -v '^\[DONE\]$' |
	    jq -r '.choices[0].delta | if .reasoning_content then "r" elif .tool_calls then "t" else empty end' | uniq | tr -d '\n')
	[ "$kinds" = rt ]
}

@test "malformed tools and tool_choice are 400s naming the member" {
	run -0 post /v1/chat/completions '{"model":"m","messages":[{"role":"user","content":"x"}],"tools":{"a":1}}'
	[ "$(code "$output")" = 400 ]
	[ "$(jq -r '.error | "\(.type) \(.param) \(.message)"' <<<"$(body "$output")")" = 'BadRequestError tools "tools" must be an array of function tools' ]
	run -0 post /v1/chat/completions '{"model":"m","messages":[{"role":"user","content":"x"}],"tools":'"$TOOLS"',"tool_choice":{"type":"function","function":{"name":"nope"}}}'
	[ "$(code "$output")" = 400 ]
	[ "$(jq -r '.error | "\(.param) \(.message)"' <<<"$(body "$output")")" = "tool_choice tool with name 'nope' requested in tool_choice but not found in the tools list" ]
	run -0 post /v1/chat/completions '{"model":"m","messages":[{"role":"user","content":"x"}],"tools":'"$TOOLS"',"tool_choice":"sometimes"}'
	[ "$(jq -r '.error.message' <<<"$(body "$output")")" = '"tool_choice" must be none, auto, required or a function, not "sometimes"' ]
	run -0 post /v1/chat/completions '{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"required","tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"x":{"type":"date"}},"required":["x"]}}}]}'
	[ "$(code "$output")" = 400 ]
	[ "$(jq -r '.error.message' <<<"$(body "$output")")" = 'tool parameters of type "date" are not supported' ]
}

@test "POST /tokenize: vLLM's shape, counts equal to usage.prompt_tokens, for prompts and messages" {
	run -0 post /tokenize '{"model":"m","prompt":"Say hello, please."}'
	[ "$(code "$output")" = 200 ]
	b=$(body "$output")
	[ "$(jq -r '"\(.count) \(.tokens | length) \(.max_model_len) \(.token_strs)"' <<<"$b")" = "5 5 null null" ]
	[ "$(jq -r '.tokens | all(type == "number" and . >= 16)' <<<"$b")" = true ]
	# The same bytes are the same id (a token carries its leading blank).
	run -0 post /tokenize '{"model":"m","prompt":"echo"}'
	one=$(jq -r '.tokens[0]' <<<"$(body "$output")")
	run -0 post /tokenize '{"model":"m","prompt":"echo echo"}'
	[ "$(jq -r '.tokens[0]' <<<"$(body "$output")")" = "$one" ]
	[ "$(jq -r '.tokens[1]' <<<"$(body "$output")")" != "$one" ]
	# Messages carry 4 tokens each and 2 for the answer's turn.
	run -0 post /v1/tokenize '{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say hello, please."}]}'
	b=$(body "$output")
	[ "$(jq -r .count <<<"$b")" = $((3 + 4 + 5 + 4 + 2)) ]
	run -0 post /v1/chat/completions '{"model":"m","max_tokens":1,"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say hello, please."}]}'
	[ "$(jq -r .usage.prompt_tokens <<<"$(body "$output")")" = "$(jq -r .count <<<"$b")" ]
	run -0 post /tokenize '{"model":"short","prompt":"x"}'
	[ "$(jq -r .max_model_len <<<"$(body "$output")")" = 20 ]
}

@test "POST /tokenize failures: unknown model 404, bad body 400, GET 405" {
	run -0 post /tokenize '{"model":"nope","prompt":"x"}'
	[ "$(code "$output")" = 404 ]
	[ "$(jq -r .error.message <<<"$(body "$output")")" = 'The model `nope` does not exist.' ]
	run -0 post /tokenize '{"model":"m"}'
	[ "$(code "$output")" = 400 ]
	[ "$(jq -r '.error | "\(.param) \(.message)"' <<<"$(body "$output")")" = 'prompt give either "prompt" or "messages"' ]
	run -0 post /tokenize '{"model":"m","prompt":[1,2]}'
	[ "$(jq -r .error.message <<<"$(body "$output")")" = '"prompt" must be a string' ]
	run -0 post /tokenize 'not json'
	[ "$(code "$output")" = 400 ]
	run -0 curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MODELSIM_PORT/tokenize"
	[ "$output" = 405 ]
}
