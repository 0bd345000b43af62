#!/usr/bin/env bats
# rotate.bats: `maasctl key rotate`, `key create --secret`, bulk `key
# revoke` and `key limits` against a sandbox.  Rotation leaves the Secret
# holding a working key and the old key rejected; a failure at any step
# before the revoke leaves the old key working (MAASCTL_TEST_ROTATE_FAIL
# injects one per step; others are real: a missing namespace, an
# unwritable file).
load ../helpers/common
load ../helpers/sandbox
load ../helpers/maas

setup_file() {
	sandbox_start --plain
	maas_model llm m1
	maas_policy m1-access system:authenticated llm/m1
	maas_subscription free 0 system:authenticated llm/m1=100/1m Active
	maas_subscription team 5 user:alice llm/m1=1000/1m Active
	maas_apply_json '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"apps"}}'
	sandbox_token alice devs >"$SANDBOX_DIR/alice.token"
	sandbox_token bob >"$SANDBOX_DIR/bob.token"
	sandbox_token root system:masters >"$SANDBOX_DIR/root.token"
}
teardown_file() { sandbox_stop; }
setup() {
	common_setup
	sandbox_use
	ALICE=$SANDBOX_DIR/alice.token BOB=$SANDBOX_DIR/bob.token ROOT=$SANDBOX_DIR/root.token
}
teardown() { common_teardown; }

# works KEY: the gateway's status for GET /maas-api/v1/models with KEY.
works() {
	curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $1" "$MAAS_URL/maas-api/v1/models"
}
# refused KEY: the gateway refuses KEY (403) within its revocation cache TTL.
refused() {
	local code
	for _ in $(seq 20); do
		code=$(works "$1")
		[ "$code" = 403 ] && return 0
		sleep 0.5
	done
	echo "key still answers $code" >&2
	return 1
}
# secret_value NS NAME KEY: a Secret's data value, decoded.
secret_value() {
	KUBECONFIG=$SANDBOX_KUBECONFIG maasctl get secret "$2" -n "$1" -o "jsonpath={.data.$3}" | base64 -d
}

@test "key create --secret writes the key into a Secret, never to stdout" {
	run -0 --separate-stderr maasctl key create app1 --secret apps/app1-key --token "@$ALICE"
	[ -z "$output" ]
	[[ $stderr == *"secret apps/app1-key created (data key api-key)"* ]]
	key=$(secret_value apps app1-key api-key)
	[[ $key == sk-oai-* ]]
	[ "$(works "$key")" = 200 ]
	# A second key into the same Secret under another data key: updated.
	run -0 --separate-stderr maasctl key create app2 --secret apps/app1-key:OPENAI_API_KEY --token "@$ALICE"
	[[ $stderr == *"secret apps/app1-key updated (data key OPENAI_API_KEY)"* ]]
	[ "$(secret_value apps app1-key api-key)" = "$key" ]
	[[ $(secret_value apps app1-key OPENAI_API_KEY) == sk-oai-* ]]
	run -2 maasctl key create x --secret nonamespace --token "@$ALICE"
	[[ $output == *'invalid --secret "nonamespace": want NAMESPACE/NAME[:KEY]'* ]]
	# A namespace that does not exist: kubectl's error, and the key id to revoke.
	run -4 maasctl key create x --secret nope/x --token "@$ALICE"
	[[ ${lines[0]} == *"was minted but not stored in secret nope/x"* ]]
	[[ ${lines[1]} == "hint: revoke it with 'maasctl key revoke "* ]]
}

@test "key rotate: same settings, Secret updated with a working key, old key rejected" {
	maasctl key create svc --subscription team --description "the svc key" --label app=svc --expires 10d --secret apps/svc --token "@$ALICE" 2>/dev/null
	old=$(secret_value apps svc api-key)
	oid=$(maasctl key list -l app=svc --status active -o name --token "@$ALICE")
	[ "$(works "$old")" = 200 ]
	run -0 --separate-stderr maasctl key rotate svc --secret apps/svc --grace 1s --token "@$ALICE"
	[[ ${stderr_lines[0]} == "[1/5] old key $oid \"svc\" (subscription team, expires "* ]]
	[[ ${stderr_lines[1]} == "[2/5] minted new key "*"(subscription team, lifetime 240h0m0s, expires "* ]]
	[ "${stderr_lines[2]}" = "[3/5] verified the new key: GET /v1/models answered 200" ]
	[ "${stderr_lines[3]}" = "[4/5] secret apps/svc updated with the new key (data key api-key)" ]
	[ "${stderr_lines[4]}" = "[5/5] waiting 1s before revoking the old key" ]
	[ "${stderr_lines[5]}" = "[5/5] revoked the old key $oid" ]
	new=$(secret_value apps svc api-key)
	[ "$new" != "$old" ]
	[ "$(works "$new")" = 200 ]
	refused "$old"
	run -0 maasctl key list -l app=svc --status active -o json --token "@$ALICE"
	[ "$(printf '%s' "$output" | jq -r '.data | length')" = 1 ]
	[ "$(printf '%s' "$output" | jq -r '.data[0] | [.name, .description, .subscription, .labels.app] | join(",")')" = "svc,the svc key,team,svc" ]
	c=$(printf '%s' "$output" | jq -r '.data[0].creationDate') x=$(printf '%s' "$output" | jq -r '.data[0].expirationDate')
	[ $(( $(date -d "$x" +%s) - $(date -d "$c" +%s) )) -eq $((10 * 86400)) ]
	[[ $stderr != *"$new"* && $stderr != *"$old"* ]]
}

@test "key rotate: a failure at any step before the revoke leaves the old key working" {
	for step in mint verify secret file grace; do
		maasctl key create "f-$step" --secret "apps/f-$step" --token "@$ALICE" 2>/dev/null
		old=$(secret_value apps "f-$step" api-key)
		oid=$(maasctl key list --status active -o json --token "@$ALICE" | jq -r ".data[] | select(.name == \"f-$step\") | .id")
		MAASCTL_TEST_ROTATE_FAIL=$step run --separate-stderr maasctl key rotate "f-$step" --secret "apps/f-$step" --output-file "$TEST_HOME/f.key" --grace 1s --token "@$ALICE"
		[ "$status" -ne 0 ] || { echo "$step: exit 0"; return 1; }
		[[ $stderr == *"the old key $oid still works"* ]] || { echo "$step: $stderr"; return 1; }
		[ "$(works "$old")" = 200 ] || { echo "$step: old key refused"; return 1; }
		# Only the old key is active (the unused new one was revoked),
		# except when the new key was already stored (file, grace).
		n=$(maasctl key list --status active -o json --token "@$ALICE" | jq "[.data[] | select(.name == \"f-$step\")] | length")
		case $step in
		mint|verify|secret) [ "$n" = 1 ] || { echo "$step: $n active"; return 1; }
			[ "$(secret_value apps "f-$step" api-key)" = "$old" ] ;;
		*) [ "$n" = 2 ] || { echo "$step: $n active"; return 1; }
			[[ $stderr == *"finish with 'maasctl key revoke $oid'"* ]] ;;
		esac
	done
	# Exit codes follow the failure: mint 503 -> 6, verify 403 -> 3.
	MAASCTL_TEST_ROTATE_FAIL=verify run -3 --separate-stderr maasctl key rotate f-mint --token "@$ALICE"
	[[ ${stderr_lines[0]} == '[1/5] old key '* && ${stderr_lines[1]} == '[2/5] minted new key '* ]]
	[[ ${stderr_lines[2]} == "maasctl: key rotate: the new key does not work: GET /v1/models with the new key: 403 Forbidden"* ]]
	MAASCTL_TEST_ROTATE_FAIL=mint run -6 --separate-stderr maasctl key rotate f-mint --token "@$ALICE"
}

@test "key rotate: real failures (unknown namespace, unwritable file, unknown or ambiguous key)" {
	maasctl key create real --secret apps/real --token "@$ALICE" 2>/dev/null
	old=$(secret_value apps real api-key)
	run -4 --separate-stderr maasctl key rotate real --secret nope/real --token "@$ALICE"
	[[ $stderr == *'maasctl: key rotate: storing the new key in secret nope/real: Error from server (NotFound): namespaces "nope" not found'* ]]
	[[ ${stderr_lines[-1]} == "hint: the old key "*" still works; the new key "*" was revoked again" ]]
	[ "$(works "$old")" = 200 ]
	run -1 --separate-stderr maasctl key rotate real --output-file /nonexistent/dir/k --token "@$ALICE"
	[[ $stderr == *"maasctl: key rotate: cannot write /nonexistent/dir/k"* ]]
	[ "$(works "$old")" = 200 ]
	run -4 maasctl key rotate no-such-key --token "@$ALICE"
	[ "$output" = 'maasctl: key rotate: no active key named "no-such-key"' ]
	maasctl key create twin --token "@$ALICE" >/dev/null 2>&1
	maasctl key create twin --token "@$ALICE" >/dev/null 2>&1
	run -2 maasctl key rotate twin --token "@$ALICE"
	[ "${lines[0]}" = 'maasctl: key rotate: 2 active keys are named "twin"' ]
	run -4 maasctl key rotate 00000000-0000-4000-8000-000000000000 --token "@$ALICE"
	[[ $output == *"404 Not Found: API key not found" ]]
	run -2 maasctl key rotate real --grace bogus --token "@$ALICE"
}

@test "key revoke --all/--user/--subscription: bulk revoke with --dry-run and the admin rules" {
	for n in b1 b2; do maasctl key create "$n" --token "@$BOB" >/dev/null 2>&1; done
	run -0 maasctl key revoke --all --dry-run --token "@$BOB"
	[ "$output" = "Dry run: 2 active key(s) would be revoked for user bob" ]
	run -3 maasctl key revoke --user alice --token "@$BOB"
	[ "$output" = "maasctl: key revoke: 403 Forbidden: Access denied: admin privileges required for this bulk revoke operation" ]
	run -3 maasctl key revoke --subscription free --token "@$BOB"
	run -0 maasctl key revoke --all -o json --token "@$BOB"
	[ "$(printf '%s' "$output" | jq -r .revokedCount)" = 2 ]
	run -0 maasctl key list --status active -o name --token "@$BOB"
	[ -z "$output" ]
	# An admin, by subscription.
	maasctl key create t1 --subscription team --token "@$ALICE" >/dev/null 2>&1
	run -0 maasctl key revoke --subscription team --user alice --dry-run --token "@$ROOT"
	[[ $output == "Dry run: "*" active key(s) would be revoked for user alice in subscription team" ]]
	run -0 maasctl key revoke --subscription team --token "@$ROOT"
	[[ $output == "Successfully revoked "*" active API key(s) for subscription team" ]]
	run -2 maasctl key revoke --all abc --token "@$BOB"
	[ "$output" = "maasctl: key revoke: give key ids or --all/--user/--subscription, not both" ]
	run -2 maasctl key revoke --token "@$BOB"
	run -2 maasctl key revoke some-id --dry-run --token "@$BOB"
}

@test "key limits shows maas-api's lifetime limits" {
	run -0 maasctl key limits --token "@$ALICE"
	[ "${lines[0]}" = "maximum key lifetime:       90 days" ]
	[ "${lines[1]}" = "maximum ephemeral lifetime: 1h0m0s" ]
	run -0 maasctl key limits -o json --token "@$ALICE"
	[ "$(printf '%s' "$output" | jq -S -c .)" = '{"ephemeral_max_expiration":"1h0m0s","max_expiration_days":90}' ]
	run -3 maasctl key limits
	[[ $output == *"401 Unauthorized"* ]]
	run -2 maasctl key limits extra --token "@$ALICE"
}

@test "no key in -v 9 traces of create --secret and rotate" {
	run -0 --separate-stderr maasctl -v 9 key create traced --secret apps/traced --token "@$ALICE"
	key=$(secret_value apps traced api-key)
	secret=${key#*_}
	[[ $stderr != *"$secret"* ]]
	[[ $stderr != *"$(printf '%s' "$key" | base64 -w0 | cut -c1-40)"* ]]
	[[ $stderr == *"/api/v1/namespaces/apps/secrets"* ]]
	run -0 --separate-stderr maasctl -v 9 key rotate traced --secret apps/traced --token "@$ALICE"
	new=$(secret_value apps traced api-key)
	[[ $stderr != *"${new#*_}"* ]]
	[[ $stderr != *"$(printf '%s' "$new" | base64 -w0 | cut -c1-40)"* ]]
	[[ $stderr != *"$(cat "$ALICE")"* ]]
}
