#!/usr/bin/env bats
# profile.bats: the maasctl profile (written by `sandbox up`, or by hand)
# supplies the MaaS URL, CA file and API key file when flags and the
# environment do not.
load ../helpers/common
load ../helpers/sandbox
load ../helpers/responder

setup_file() {
	load ../helpers/sandbox
	load ../helpers/maas
	sandbox_start
	# Keys bind to a subscription at mint: alice's group owns one.
	maas_subscription calculus 0 calculus-users llm/qwen-small=100/1m
}
teardown_file() {
	load ../helpers/sandbox
	sandbox_stop
}
setup() {
	common_setup
	sandbox_use
	sandbox_token alice calculus-users >"$TEST_HOME/alice.token"
}
teardown() {
	responder_stop
	common_teardown
}

@test "the sandbox profile's MaaS URL and CA are used with no flags" {
	unset MAAS_URL
	run -0 --separate-stderr maasctl key list --token "@$TEST_HOME/alice.token"
	[ "$stderr" = "" ] || [[ $stderr == "No "* ]]
	run -0 --separate-stderr maasctl key create p1 --token "@$TEST_HOME/alice.token"
	[[ $output == sk-oai-* ]]
}

@test "without the profile the sandbox's CA is unknown: exit 6 with a hint" {
	unset MAASCTL_PROFILE
	MAASCTL_CONFIG=$TEST_HOME/none.yaml run -6 --separate-stderr \
	    maasctl key list --token "@$TEST_HOME/alice.token"
	[[ ${stderr_lines[0]} == "maasctl: TLS connection to $MAAS_URL/maas-api/v1/api-keys/search failed: "* ]]
	[[ ${stderr_lines[1]} == "hint: pass the server's CA with --ca-file"* ]]
}

@test "--profile naming a missing profile: exit 4 naming it" {
	run -4 --separate-stderr maasctl --profile nope key list --token "@$TEST_HOME/alice.token"
	[ "$stderr" = "maasctl: profile \"nope\" (from --profile) not found in $MAASCTL_CONFIG" ]
}

@test "a profile's api-key-file is sent; flags and env still win" {
	responder_start 'body {"object":"list","data":[{"id":"m","ready":true}]}
times 2'
	umask 077
	printf 'sk-oai-PROFILEKEY_secret\n' >"$TEST_HOME/p.key"
	cat >"$TEST_HOME/config.yaml" <<EOF2
current-profile: p
profiles:
  p:
    maas-url: http://127.0.0.1:$RESPONDER_PORT
    api-key-file: $TEST_HOME/p.key
EOF2
	unset MAAS_URL MAASCTL_PROFILE
	MAASCTL_CONFIG=$TEST_HOME/config.yaml run -0 maasctl models -o name
	[ "$output" = m ]
	[[ $(responder_request 1) == *"Authorization: Bearer sk-oai-PROFILEKEY_secret"* ]]
	MAASCTL_CONFIG=$TEST_HOME/config.yaml MAAS_API_KEY=sk-oai-ENV_x run -0 maasctl models -o name
	[[ $(responder_request 2) == *"Authorization: Bearer sk-oai-ENV_x"* ]]
}

@test "a world-readable api-key-file is refused" {
	printf 'sk-oai-LOOSE_secret\n' >"$TEST_HOME/loose.key"
	chmod 644 "$TEST_HOME/loose.key"
	cat >"$TEST_HOME/config.yaml" <<EOF2
current-profile: p
profiles:
  p:
    maas-url: http://127.0.0.1:1
    api-key-file: $TEST_HOME/loose.key
EOF2
	unset MAAS_URL MAASCTL_PROFILE
	MAASCTL_CONFIG=$TEST_HOME/config.yaml run --separate-stderr maasctl models
	[ "$status" -ne 0 ]
	[[ $stderr == *"loose.key"* ]]
	[[ $stderr != *LOOSE_secret* ]]
}
