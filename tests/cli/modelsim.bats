#!/usr/bin/env bats
# modelsim.bats: the sandbox's model simulator (cli/sandbox/modelsim.c), run
# alone by tests/helpers/modelsim-serve, driven by curl and `maasctl chat`.
load ../helpers/common
load ../helpers/modelsim

CONFIG='{"models": {
  "lorem": {"itl": "2ms", "ttft": "10ms"},
  "echo": {"mode": "echo"},
  "fixed": {"mode": "fixed", "text": "The answer is 42. Ask again!"},
  "thinker": {"reasoning": true, "reasoning-tokens": 4},
  "dropper": {"drop-rate": 1, "drop-after": 3, "itl": "5ms"},
  "limited": {"rate-limit-first": 1, "retry-after": "1s"},
  "broken": {"error-rate": 1, "error-status": 503},
  "slow": {"ttft": "300ms", "itl": "30ms", "header-delay": "0s"},
  "slowheaders": {"header-delay": "400ms"},
  "oneslot": {"max-num-seqs": 1, "ttft": "300ms", "output-tokens": 1,
              "output-tokens-jitter": "none"},
  "noqueue": {"max-num-seqs": 1, "max-waiting": 0, "ttft": "100ms", "itl": "20ms"},
  "short": {"max-model-len": 20},
  "firehose": {"ttft": "0s", "itl": "0s"}
}}'

setup() {
	common_setup
	modelsim_start "$CONFIG"
}
teardown() {
	modelsim_stop
	common_teardown
}

# post PATH JSON: POST to the simulator, body on stdout.
post() {
	curl -sS -N "http://127.0.0.1:$MODELSIM_PORT$1" -H 'Content-Type: application/json' -d "$2"
}

# stream_content SSE: the concatenated delta contents of a chat stream.
stream_content() {
	sed -n 's/^data: //p' | grep -v '^\[DONE\]$' |
	    jq -j '.choices[]?.delta.content // empty'
}

@test "GET /v1/models lists every model the vLLM way" {
	run -0 curl -sS "$MODELSIM_URL/models"
	[ "$(jq -r .object <<<"$output")" = list ]
	[ "$(jq -r '.data | length' <<<"$output")" = 13 ]
	[ "$(jq -r '.data[0] | "\(.id) \(.object) \(.owned_by)"' <<<"$output")" = "lorem model vllm" ]
	[ "$(jq -r '.data[] | select(.id == "short") | .max_model_len' <<<"$output")" = 20 ]
}

@test "a chat answer has vLLM's fields and consistent usage" {
	run -0 post /v1/chat/completions '{"model":"lorem","messages":[{"role":"user","content":"Say hello, please."}],"seed":5,"max_tokens":7}'
	[[ $(jq -r .id <<<"$output") =~ ^chatcmpl-[0-9a-f]{32}$ ]]
	[ "$(jq -r .object <<<"$output")" = chat.completion ]
	[ "$(jq -r .model <<<"$output")" = lorem ]
	[ "$(jq -r '.created | type' <<<"$output")" = number ]
	[ "$(jq -r '.choices[0] | "\(.index) \(.message.role) \(.finish_reason)"' <<<"$output")" = "0 assistant length" ]
	# prompt: "Say hello, please." is 5 tokens, + 4 per message + 2.
	[ "$(jq -r '.usage | "\(.prompt_tokens) \(.completion_tokens) \(.total_tokens)"' <<<"$output")" = "11 7 18" ]
}

@test "a stream: role chunk, one token per chunk, finish, usage chunk, [DONE]" {
	run -0 post /v1/chat/completions '{"model":"lorem","messages":[{"role":"user","content":"hi"}],"seed":9,"max_tokens":6,"stream":true,"stream_options":{"include_usage":true}}'
	data=$(sed -n 's/^data: //p' <<<"$output")
	[ "$(wc -l <<<"$data")" = 9 ]	# role + 6 tokens + usage + [DONE]
	[ "$(head -1 <<<"$data" | jq -c .choices[0].delta)" = '{"role":"assistant","content":""}' ]
	[ "$(sed -n 2,7p <<<"$data" | jq -r .object | sort -u)" = chat.completion.chunk ]
	[ "$(sed -n 7p <<<"$data" | jq -r .choices[0].finish_reason)" = length ]
	[ "$(sed -n 2,6p <<<"$data" | jq -r .choices[0].finish_reason | sort -u)" = null ]
	[ "$(sed -n 8p <<<"$data" | jq -c '[.choices, .usage]')" = '[[],{"prompt_tokens":7,"total_tokens":13,"completion_tokens":6}]' ]
	[ "$(tail -1 <<<"$data")" = "[DONE]" ]
	# Every content chunk is exactly one token of the documented tokenizer.
	for i in 2 3 4 5 6 7; do
		tok=$(sed -n "${i}p" <<<"$data" | jq -r .choices[0].delta.content)
		[[ $tok =~ ^[[:space:]]*([[:alnum:]_]+|[^[:alnum:]_[:space:]])$ ]]
	done
	# All chunks of one answer share its id.
	[ "$(sed -n 1,8p <<<"$data" | jq -r .id | sort -u | wc -l)" = 1 ]
}

@test "the same seed gives the same text, streamed or not; usage agrees" {
	body='{"model":"lorem","messages":[{"role":"user","content":"tell me"}],"seed":1234'
	whole=$(post /v1/chat/completions "$body}")
	streamed=$(post /v1/chat/completions "$body"',"stream":true,"stream_options":{"include_usage":true}}')
	text=$(jq -j .choices[0].message.content <<<"$whole")
	[ -n "$text" ]
	[ "$(stream_content <<<"$streamed")" = "$text" ]
	[ "$(sed -n 's/^data: //p' <<<"$streamed" | grep -v DONE | jq -c 'select(.choices == []) | .usage')" = "$(jq -c '.usage | del(.prompt_tokens_details)' <<<"$whole")" ]
	other=$(post /v1/chat/completions '{"model":"lorem","messages":[{"role":"user","content":"tell me"}],"seed":1235}')
	[ "$(jq -j .choices[0].message.content <<<"$other")" != "$text" ]
}

@test "maasctl chat: streamed and non-streamed answers are identical for a seed" {
	run -0 --separate-stderr maasctl chat --endpoint "$MODELSIM_URL" -m lorem --no-stream --seed 77 --usage write a poem
	plain=$output
	plain_usage=$(grep -o 'prompt [0-9]*, completion [0-9]*, total [0-9]*' <<<"$stderr")
	run -0 --separate-stderr maasctl chat --endpoint "$MODELSIM_URL" -m lorem --stream --seed 77 --usage write a poem
	[ "$output" = "$plain" ]
	[ -n "$plain" ]
	[ "$(grep -o 'prompt [0-9]*, completion [0-9]*, total [0-9]*' <<<"$stderr")" = "$plain_usage" ]
	# The totals are the simulator's own count.
	n=$(post /v1/chat/completions '{"model":"lorem","messages":[{"role":"user","content":"write a poem"}],"seed":77}' | jq -r '"prompt \(.usage.prompt_tokens), completion \(.usage.completion_tokens), total \(.usage.total_tokens)"')
	[ "$plain_usage" = "$n" ]
}

@test "maasctl chat -o json: the streamed assembly matches the whole answer" {
	run -0 --separate-stderr maasctl chat --endpoint "$MODELSIM_URL" -m lorem --no-stream --seed 3 -o json hello
	a=$(jq -c '[.choices[0].message.content, .choices[0].finish_reason, .usage.completion_tokens]' <<<"$output")
	run -0 --separate-stderr maasctl chat --endpoint "$MODELSIM_URL" -m lorem --stream --seed 3 -o json hello
	b=$(jq -c '[.choices[0].message.content, .choices[0].finish_reason, .usage.completion_tokens]' <<<"$output")
	[ "$a" = "$b" ]
}

@test "a client slower than the stream gets every byte, in order" {
	# Megabytes of tokens at once: the socket fills, writes go short and
	# the rest queues behind them; the chunked framing must stay intact.
	body='{"model":"firehose","messages":[{"role":"user","content":"x"}],"seed":8,"max_tokens":15000,"ignore_eos":true'
	whole=$(post /v1/chat/completions "$body}" | jq -j .choices[0].message.content)
	# A reader that stalls for a second: the pipe, then the sockets fill.
	curl -sS -N "$MODELSIM_URL/chat/completions" -d "$body"',"stream":true}' |
	    { sleep 1; cat; } >"$BATS_TEST_TMPDIR/stream"
	output=$(cat "$BATS_TEST_TMPDIR/stream")
	[ "$(tail -1 <<<"$output")" = "data: [DONE]" ]
	[ "$(stream_content <<<"$output")" = "$whole" ]
}

@test "an HTTP/1.0 client gets the stream without chunked framing" {
	run -0 curl -sS -N --http1.0 -i "$MODELSIM_URL/chat/completions" -d '{"model":"fixed","messages":[{"role":"user","content":"q"}],"stream":true}'
	[[ $output != *"Transfer-Encoding: chunked"* ]]
	[ "$(sed -n 's/^data: //p' <<<"$output" | grep -v DONE | jq -j '.choices[0].delta.content // empty')" = "The answer is 42. Ask again!" ]
	[[ $output == *"data: [DONE]"* ]]
}

@test "max_tokens cuts with finish_reason length; stop cuts with stop" {
	run -0 post /v1/completions '{"model":"fixed","prompt":"q","max_tokens":3}'
	[ "$(jq -c '[.object, .choices[0].text, .choices[0].finish_reason, .usage.completion_tokens]' <<<"$output")" = '["text_completion","The answer is","length",3]' ]
	[[ $(jq -r .id <<<"$output") =~ ^cmpl-[0-9a-f]{32}$ ]]
	run -0 post /v1/completions '{"model":"fixed","prompt":"q","stop":["Ask", " is 42"]}'
	[ "$(jq -c '[.choices[0].text, .choices[0].finish_reason, .choices[0].stop_reason, .usage.completion_tokens]' <<<"$output")" = '["The answer","stop"," is 42",2]' ]
	run -0 post /v1/completions '{"model":"fixed","prompt":"q"}'
	[ "$(jq -c '[.choices[0].text, .choices[0].finish_reason, .usage.completion_tokens]' <<<"$output")" = '["The answer is 42. Ask again!","stop",8]' ]
	run -0 maasctl chat --endpoint "$MODELSIM_URL" -m fixed --stream --stop " 42" q
	[ "$output" = "The answer is" ]
}

@test "echo repeats the last user message; completions stream text chunks" {
	run -0 post /v1/chat/completions '{"model":"echo","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"first"},{"role":"assistant","content":"ok"},{"role":"user","content":[{"type":"text","text":"second one"}]}]}'
	[ "$(jq -r .choices[0].message.content <<<"$output")" = "second one" ]
	run -0 post /v1/completions '{"model":"echo","prompt":"a b c","stream":true}'
	[ "$(sed -n 's/^data: //p' <<<"$output" | grep -v DONE | jq -j '.choices[0].text')" = "a b c" ]
	[ "$(sed -n 's/^data: //p' <<<"$output" | grep -v DONE | jq -r .object | sort -u)" = text_completion ]
}

@test "continuous_usage_stats puts running usage on every chunk" {
	run -0 post /v1/chat/completions '{"model":"fixed","messages":[{"role":"user","content":"q"}],"stream":true,"stream_options":{"include_usage":true,"continuous_usage_stats":true}}'
	counts=$(sed -n 's/^data: //p' <<<"$output" | grep -v DONE | jq -r .usage.completion_tokens | tr '\n' ' ')
	[ "$counts" = "0 1 2 3 4 5 6 7 8 8 " ]
}

@test "a reasoning model streams reasoning_content before content" {
	run -0 post /v1/chat/completions '{"model":"thinker","messages":[{"role":"user","content":"why"}],"seed":4,"max_tokens":6,"stream":true}'
	kinds=$(sed -n 's/^data: //p' <<<"$output" | grep -v DONE | jq -r '.choices[0].delta | keys[0]' | tr '\n' ' ')
	[ "$kinds" = "content reasoning_content reasoning_content reasoning_content reasoning_content content content " ]
	run -0 post /v1/chat/completions '{"model":"thinker","messages":[{"role":"user","content":"why"}],"seed":4,"max_tokens":6}'
	[ "$(jq -r '.choices[0].message.reasoning_content | split(" ") | length' <<<"$output")" = 4 ]
	[ "$(jq -r .usage.completion_tokens <<<"$output")" = 6 ]
	run -0 --separate-stderr maasctl chat --endpoint "$MODELSIM_URL" -m thinker --seed 4 --max-tokens 6 --stream why
	[ "$(wc -w <<<"$output")" = 2 ]
	[[ $stderr == *"$(jq -r .choices[0].message.reasoning_content <<<"$(post /v1/chat/completions '{"model":"thinker","messages":[{"role":"user","content":"why"}],"seed":4,"max_tokens":6}')")"* ]]
}

@test "errors have OpenAI's shape and vLLM's statuses" {
	run -0 curl -sS -o /dev/null -w '%{http_code}' "$MODELSIM_URL/chat/completions" -d '{not json'
	[ "$output" = 400 ]
	run -0 post /v1/chat/completions '{"messages":[{"role":"user","content":"x"}]}'
	[ "$(jq -c '.error | [.type, .param, .code]' <<<"$output")" = '["BadRequestError","model",400]' ]
	run -0 post /v1/chat/completions '{"model":"lorem"}'
	[ "$(jq -c '.error | [.type, .param, .code, .message]' <<<"$output")" = '["BadRequestError","messages",400,"\"messages\" must be a non-empty array"]' ]
	run -0 post /v1/chat/completions '{"model":"gpt-9","messages":[{"role":"user","content":"x"}]}'
	[ "$(jq -c '.error | [.type, .code, .message]' <<<"$output")" = '["NotFoundError",404,"The model `gpt-9` does not exist."]' ]
	run -0 post /v1/completions '{"model":"short","prompt":"one two three four five six","max_tokens":15}'
	[[ $(jq -r .error.message <<<"$output") == "This model's maximum context length is 20 tokens. However, you requested 21 tokens (6 in the messages, 15 in the completion)."* ]]
	run -0 curl -sS -o /dev/null -w '%{http_code}' "$MODELSIM_URL/chat/completions"
	[ "$output" = 405 ]
	run -4 --separate-stderr maasctl chat --endpoint "$MODELSIM_URL" -m gpt-9 hi
	[[ $stderr == *"The model \`gpt-9\` does not exist."* ]]
}

@test "a dropped stream: maasctl chat keeps the partial answer and exits 6" {
	run -6 --separate-stderr maasctl chat --endpoint "$MODELSIM_URL" -m dropper --stream --seed 1 hi
	[ "$(wc -w <<<"$output")" -ge 1 ]
	[[ $stderr == *"stream broke"* ]]
	run -18 curl -sS -N "$MODELSIM_URL/chat/completions" -d '{"model":"dropper","messages":[{"role":"user","content":"x"}],"stream":true}'
	[ "$(grep -c '"content":"[^"]' <<<"$output")" = 3 ]
	[[ $output != *"[DONE]"* ]]
}

@test "429 with Retry-After, then success: maasctl chat retries and answers" {
	run -0 curl -sS -i "$MODELSIM_URL/chat/completions" -d '{"model":"limited","messages":[{"role":"user","content":"x"}]}'
	[[ $output == *"HTTP/1.1 429 Too Many Requests"* ]]
	[[ $output == *"Retry-After: 1"* ]]
	[[ $output == *'"type":"RateLimitError"'* ]]
	modelsim_stop
	modelsim_start "$CONFIG"
	start=$(date +%s%N)
	run -0 --separate-stderr maasctl chat --endpoint "$MODELSIM_URL" -m limited --seed 2 hi
	[ -n "$output" ]
	[ $(( ($(date +%s%N) - start) / 1000000 )) -ge 900 ]
}

@test "injected 5xx errors: curl sees 503, maasctl chat exits 6" {
	run -0 curl -sS -w ' %{http_code}' "$MODELSIM_URL/chat/completions" -d '{"model":"broken","messages":[{"role":"user","content":"x"}]}'
	[[ $output == *'"message":"The server is overloaded or not ready yet."'*' 503' ]]
	run -0 curl -sS -w '%{http_code}' -o /dev/null -H 'X-Return-Error: 502' "$MODELSIM_URL/chat/completions" -d '{"model":"lorem","messages":[{"role":"user","content":"x"}]}'
	[ "$output" = 502 ]
	run -6 --separate-stderr maasctl chat --endpoint "$MODELSIM_URL" -m broken hi
	[[ $stderr == *"503"* ]]
}

@test "TTFT and ITL: the first byte waits TTFT, tokens follow at ITL" {
	run -0 curl -sS -N -o /dev/null -w '%{time_starttransfer} %{time_total}' "$MODELSIM_URL/chat/completions" -d '{"model":"slow","messages":[{"role":"user","content":"x"}],"max_tokens":6,"ignore_eos":true,"stream":true}'
	read -r ttfb total <<<"$output"
	# 300 ms to the first token, then 5 x 30 ms; generous upper bounds.
	# Tokens are due at fixed deadlines from admission, so a first token
	# late on a loaded machine shortens the gap to the last one: bound the
	# last by its deadline (450 ms), not by the gap.
	awk -v a="$ttfb" -v b="$total" 'BEGIN { exit !(a >= 0.29 && a < 1.5 && b >= 0.44 && b < 3) }'
}

@test "slow headers delay the status line" {
	run -0 curl -sS -N -o /dev/null -w '%{time_starttransfer}' "$MODELSIM_URL/chat/completions" -d '{"model":"slowheaders","messages":[{"role":"user","content":"x"}],"max_tokens":2,"stream":true}'
	awk -v a="$output" 'BEGIN { exit !(a >= 0.39 && a < 2) }'
}

@test "max-num-seqs queues requests; a full waiting queue answers 429" {
	body='{"model":"oneslot","messages":[{"role":"user","content":"x"}]}'
	# One curl starts all three at once; with one slot of 300 ms the
	# answers come about 300, 600 and 900 ms after the start.
	run -0 --separate-stderr curl -sS -Z --parallel-immediate -o /dev/null -o /dev/null -o /dev/null \
	    -w '%{time_total}\n' -d "$body" "$MODELSIM_URL/chat/completions" \
	    "$MODELSIM_URL/chat/completions" "$MODELSIM_URL/chat/completions"
	sort -n <<<"$output" | awk '{ t[NR] = $1 } END { exit !(NR == 3 && t[2] - t[1] >= 0.25 && t[3] - t[2] >= 0.25 && t[3] >= 0.85) }'
	# A stream of 500 tokens at 20 ms holds noqueue's one slot for 10 s;
	# once its first bytes are here it surely has the slot.
	first=$BATS_TEST_TMPDIR/first
	curl -sS -N -o "$first" "$MODELSIM_URL/chat/completions" \
	    -d '{"model":"noqueue","messages":[{"role":"user","content":"x"}],"stream":true,"max_tokens":500,"ignore_eos":true}' 3>&- &
	pid=$!
	for _ in $(seq 1 200); do
		[ -s "$first" ] && break
		sleep 0.05
	done
	[ -s "$first" ]
	run -0 curl -sS -i "$MODELSIM_URL/chat/completions" -d '{"model":"noqueue","messages":[{"role":"user","content":"x"}]}'
	kill "$pid"
	wait "$pid" || true
	[[ $output == *"429 Too Many Requests"* ]]
	[[ $output == *"Failed to enqueue request, waiting requests queue is full"* ]]
}

@test "a client that goes away frees its slot and its timers" {
	run -28 curl -sS -N -m 0.5 "$MODELSIM_URL/chat/completions" -d '{"model":"slow","messages":[{"role":"user","content":"x"}],"max_tokens":50,"stream":true}'
	# A queued client that leaves is removed from the queue too.
	curl -sS -o /dev/null "$MODELSIM_URL/chat/completions" -d '{"model":"oneslot","messages":[{"role":"user","content":"x"}]}' &
	pid=$!
	sleep 0.05
	run -28 curl -sS -m 0.1 "$MODELSIM_URL/chat/completions" -d '{"model":"oneslot","messages":[{"role":"user","content":"x"}]}'
	wait "$pid"
	sleep 0.2
	modelsim_stop
	[ "$(modelsim_stat cancelled)" = 2 ]
	[ "$(modelsim_stat running)" = 0 ]
	[ "$(modelsim_stat waiting)" = 0 ]
}

@test "a bad setting stops the simulator with a clear message" {
	modelsim_stop
	run -1 modelsim_start '{"models": {"m": {"ttft": "fast"}}}'
	[[ $stderr$output == *'model simulator: model m: setting ttft: "fast" is not a duration between 0s and 1h (e.g. "120ms")'* ]]
	run -1 modelsim_start '{"models": {"m": {"profile": "h100-llama-3.1-8b", "maas.sandbox/itl-jitter": "wobbly"}}}'
	[[ $output == *"setting itl-jitter: want none, uniform, normal or lognormal"* ]]
}
