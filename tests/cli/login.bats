#!/usr/bin/env bats
# login.bats: `maasctl login`, `logout` and `whoami` against a TLS sandbox:
# the MaaS URL is discovered from the Gateway as the upstream scripts do,
# the cluster's CA is trusted only after confirmation, the token is kept
# in a 0600 file beside a profile, never in argv or the config itself.
load ../helpers/common
load ../helpers/sandbox
load ../helpers/maas

setup_file() {
	sandbox_start
	maas_model llm m1
	maas_policy m1-access devs llm/m1
	maas_subscription devs-sub 10 devs llm/m1=100/1m Active
	sandbox_token alice devs >"$SANDBOX_DIR/alice.token"
	sandbox_token root system:masters >"$SANDBOX_DIR/root.token"
}
teardown_file() { sandbox_stop; }
setup() {
	common_setup
	sandbox_use
	ALICE=$SANDBOX_DIR/alice.token ROOT=$SANDBOX_DIR/root.token
	# A config of the test's own, with no profile yet; discovery, not MAAS_URL.
	export MAASCTL_CONFIG=$TEST_HOME/maasctl/config.yaml
	unset MAAS_URL MAASCTL_PROFILE
	PORT=${SANDBOX_MAAS_URL##*:}
}
teardown() { common_teardown; }

@test "login discovers the gateway from its listener; the cluster CA needs confirmation" {
	run -3 --separate-stderr maasctl login --token "@$ALICE" --profile mine
	[[ $stderr == *"checking https://localhost:$PORT/maas-api/health (from Gateway openshift-ingress/maas-default-gateway HTTPS listener hostname)"* ]]
	[[ $stderr == *"signed by the CA in kubeconfig cluster"*"SHA-256 fingerprint "* ]]
	[[ ${stderr_lines[-2]} == "maasctl: login: the certificate of https://localhost:$PORT is not trusted" ]]
	[[ ${stderr_lines[-1]} == "hint: trust the CA above with --trust-cluster-ca, or give one with --ca-file F" ]]
	[ ! -e "$MAASCTL_CONFIG" ]
	run -0 --separate-stderr maasctl login --token "@$ALICE" --profile mine --trust-cluster-ca
	[ "$output" = "Logged in to https://localhost:$PORT as alice (profile \"mine\", token from --token)" ]
	dir=$(dirname "$MAASCTL_CONFIG")
	[ "$(stat -c %a "$dir/keys/mine.token")" = 600 ]
	[ "$(stat -c %a "$dir/ca/mine.crt")" = 600 ]
	[ "$(cat "$dir/keys/mine.token")" = "$(cat "$ALICE")" ]
	run ! grep -q "$(cat "$ALICE")" "$MAASCTL_CONFIG"
	run -0 cat "$MAASCTL_CONFIG"
	[[ $output == *"current-profile: mine"* && $output == *"maas-url: https://localhost:$PORT"* && $output == *"token-file: $dir/keys/mine.token"* ]]
	# Every maas-api command now works with no flags.
	run -0 --separate-stderr maasctl key create after-login
	[[ $output == sk-oai-* ]]
	[[ $stderr == *"for subscription devs-sub"* ]]
}

@test "whoami: user, groups, admin or not, subscriptions, default model" {
	maasctl login --token "@$ALICE" --ca-file "$SANDBOX_CA" >/dev/null 2>&1
	run -0 maasctl whoami
	[ "${lines[0]}" = "User:          alice" ]
	[ "${lines[1]}" = "Groups:        devs, system:authenticated" ] || [ "${lines[1]}" = "Groups:        system:authenticated, devs" ]
	[ "${lines[2]}" = "MaaS admin:    no" ]
	[ "${lines[3]}" = "Subscriptions: devs-sub" ]
	[ "${lines[4]}" = "Default model: publishers/llm/models/m1 (first model of GET /v1/models)" ]
	[ "${lines[5]}" = "MaaS URL:      https://localhost:$PORT" ]
	run -0 maasctl whoami -o json --token "@$ROOT"
	[ "$(printf '%s' "$output" | jq -r '[.user, (.admin|tostring), (.subscriptions|length|tostring)] | join(" ")')" = "root true 0" ]
	[ "$(printf '%s' "$output" | jq -r .defaultModel)" = null ]
}

@test "login --maas-url skips discovery; a refused token or an unreachable URL fail with the cause" {
	run -0 --separate-stderr maasctl login --maas-url "https://127.0.0.1:$PORT/" --ca-file "$SANDBOX_CA" --token "@$ALICE"
	[ "$output" = "Logged in to https://127.0.0.1:$PORT as alice (profile \"default\", token from --token)" ]
	[[ $stderr == "checking https://127.0.0.1:$PORT/maas-api/health (from --maas-url)" ]]
	printf 'not-a-token\n' >"$TEST_HOME/bad"
	run -3 --separate-stderr maasctl login --maas-url "https://127.0.0.1:$PORT" --ca-file "$SANDBOX_CA" --token "@$TEST_HOME/bad"
	[ "${stderr_lines[1]}" = "maasctl: login: checking the token: 401 Unauthorized: Authentication required" ]
	[[ ${stderr_lines[2]} == "hint: the token from --token was refused"* ]]
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	run -6 --separate-stderr maasctl login --maas-url "http://127.0.0.1:$port" --token "@$ALICE"
	[[ ${stderr_lines[1]} == "maasctl: login: MaaS at http://127.0.0.1:$port is not healthy: "*"refused"* ]]
	run -2 maasctl login --maas-url ftp://x --token "@$ALICE"
	[ "$output" = 'maasctl: login: invalid MaaS URL "ftp://x": want an http:// or https:// URL' ]
	tok=$(cat "$ALICE")
	run -2 maasctl login --token "$tok"
	[[ $output != *"$tok"* ]]
	run -2 maasctl login extra
}

@test "login takes the kubeconfig user's token when no --token is given" {
	run -0 --separate-stderr maasctl login --ca-file "$SANDBOX_CA"
	[ "$output" = "Logged in to https://localhost:$PORT as admin (profile \"default\", token from the kubeconfig user)" ]
	run -0 maasctl whoami -o jsonpath='{.admin}'
	[ "$output" = true ]
}

@test "no kubeconfig and no URL: login says it cannot find MaaS (exit 4)" {
	KUBECONFIG=$TEST_HOME/none run -4 --separate-stderr maasctl login --token "@$ALICE"
	[[ ${stderr_lines[0]} == "maasctl: login: cannot find the MaaS URL: "* ]]
	[ "${stderr_lines[1]}" = "hint: give it with --maas-url https://maas.<cluster domain>" ]
}

@test "logout removes the stored token; later calls are 401 with a hint" {
	maasctl login --token "@$ALICE" --ca-file "$SANDBOX_CA" >/dev/null 2>&1
	tf=$(dirname "$MAASCTL_CONFIG")/keys/default.token
	[ -f "$tf" ]
	run -0 maasctl logout
	[ "$output" = 'Logged out of profile "default": the stored token is removed' ]
	[ ! -e "$tf" ]
	run -3 maasctl key list
	[[ ${lines[0]} == "maasctl: key list: 401 Unauthorized: Authentication required" ]]
	run -0 maasctl logout
	[ "$output" = 'Profile "default" holds no token; nothing to do' ]
	run -4 maasctl logout --profile nope
	MAASCTL_CONFIG=$TEST_HOME/empty.yaml run -2 maasctl logout
	[ "$output" = "maasctl: logout: no profile is in use (no --profile, MAASCTL_PROFILE or current-profile)" ]
}

@test "the token never shows in -v 9 traces of login and whoami" {
	tok=$(cat "$ALICE")
	run -0 --separate-stderr maasctl -v 9 login --token "@$ALICE" --ca-file "$SANDBOX_CA"
	[[ $stderr != *"$tok"* ]]
	[[ $stderr == *"/maas-api/health"* ]]
	run -0 --separate-stderr maasctl -v 9 whoami
	[[ $stderr != *"$tok"* ]]
	[[ $stderr == *"selfsubjectreviews"* ]]
}
