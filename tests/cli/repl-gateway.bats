#!/usr/bin/env bats
# repl-gateway.bats: `maasctl repl` through the sandbox gateway with an API
# key (the MaaS URL from the sandbox's environment, as a user has it):
# switching models, answers from the model simulators behind
# it, session usage, and a spent token quota (429 after the retries) that
# is reported while the session goes on and ends a script with exit 8.
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

# key NAME: mint an API key of dave into $TEST_HOME/key.
key() {
	maasctl key create "$1" --token "@$SANDBOX_DIR/dave.token" >"$TEST_HOME/key"
	[ -s "$TEST_HOME/key" ]
}

@test "repl through the gateway: /model, an answer, /usage; the key stays out of sight" {
	key k-models
	run -0 --separate-stderr maasctl repl -m chatty --max-tokens 3 --api-key "@$TEST_HOME/key" <<'EOF'
/model chatty
hello
/usage
EOF
	[ "${stderr_lines[0]}" = "model: chatty" ]
	[ "${#lines[@]}" = 2 ]
	[[ ${lines[${#lines[@]}-1]} == "requests 1 (0 failed, 0 cancelled); prompt "*", completion 3, total "* ]]
	[[ ${stderr_lines[1]} == "usage: prompt "*", completion 3, total "* ]]
	[[ $output$stderr != *sk-oai-* ]]
}

@test "repl through the gateway: a spent token quota is reported, the session goes on, exit 8" {
	key k-quota
	# chatty allows 30 tokens a minute: a few answers spend it.
	run -8 --separate-stderr maasctl repl -m chatty --max-tokens 5 --api-key "@$TEST_HOME/key" <<'EOF'
hello
hello
hello
hello
/usage
EOF
	[[ $stderr == *"maasctl: repl: 429 Too Many Requests after "*" attempts"* ]]
	[[ $stderr == *"hint: the token quota of your subscription is used up"* ]]
	[[ ${lines[${#lines[@]}-1]} == "requests 4 ("[1-3]" failed, 0 cancelled)"* ]]
	[[ ${stderr_lines[${#stderr_lines[@]}-1]} == "maasctl: repl: "*" failed (see above); the exit status is the first failure's" ]]
}
