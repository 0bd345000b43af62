#!/usr/bin/env bats
# bench-gateway.bats: `maasctl bench` on MaaS model names through the
# sandbox gateway with an API key (the MaaS URL from the sandbox's
# environment): a plain run, and 429s from a subscription's small token
# limit counted as their own class and kept out of goodput.
# Models and quotas: tests/fixtures/gateway/models.yaml.
load ../helpers/common
load ../helpers/sandbox

setup_file() {
	sandbox_start --plain
	maasctl apply -f "$MAASCTL_TEST_ROOT/tests/fixtures/gateway/models.yaml" >/dev/null
	sandbox_models_ready llm
	sandbox_token dave >"$SANDBOX_DIR/dave.token"
}
teardown_file() { sandbox_stop; }
setup() { common_setup; sandbox_use; }
teardown() { common_teardown; }

# key NAME [SUBSCRIPTION]: mint an API key of dave into $TEST_HOME/key.
key() {
	maasctl key create "$1" ${2:+--subscription "$2"} --token "@$SANDBOX_DIR/dave.token" >"$TEST_HOME/key"
	[ -s "$TEST_HOME/key" ]
}

@test "bench on a MaaS model name through the gateway" {
	key k-bench
	# chatty allows 30 tokens a minute: 2 answers of 7 + 2 tokens fit.
	run -0 --separate-stderr maasctl bench -m chatty -c 1 -n 2 --input-tokens 1 --output-tokens 2 \
	    --api-key "@$TEST_HOME/key" --format json
	[ "$(jq -r .requests.ok <<<"$output")" = 2 ]
	[ "$(jq -r .tokens.output_total <<<"$output")" = 4 ]
	[ "$(jq -r .target.model <<<"$output")" = chatty ]
	[[ $output$stderr != *sk-oai-* ]]
}

@test "a subscription's token limit: 429s are their own class, goodput excludes them" {
	key k-quota
	# chatty allows 30 tokens a minute: 10 requests of 5 output tokens spend it.
	run -0 --separate-stderr maasctl bench -m chatty -c 1 -n 10 --output-tokens 5 \
	    --api-key "@$TEST_HOME/key" --format json
	limited=$(jq -r .requests.by_outcome.rate_limited <<<"$output")
	ok=$(jq -r .requests.ok <<<"$output")
	[ "$limited" -ge 1 ]
	[ $((limited + ok)) = 10 ]
	[ "$(jq -r .slo.good <<<"$output")" = "$ok" ]
	[[ $(jq -r .errors.rate_limited <<<"$output") == "HTTP 429"* ]]
}
