#!/usr/bin/env bats
# key.bats: `maasctl key` against a real sandbox: the gateway routes
# /maas-api and /v1/api-keys to the sandbox's maas-api, which mints keys,
# stores only their hashes, searches, gets and revokes them.
load ../helpers/common
load ../helpers/sandbox
load ../helpers/maas

setup_file() {
	sandbox_start --plain
	# Every authenticated user owns "free": keys bind to it.
	maas_subscription free 0 system:authenticated llm/m1=100/1m
	sandbox_token alice devs >"$SANDBOX_DIR/alice.token"
	sandbox_token bob >"$SANDBOX_DIR/bob.token"
	export ALICE=$SANDBOX_DIR/alice.token BOB=$SANDBOX_DIR/bob.token
}
teardown_file() { sandbox_stop; }
setup() { common_setup; sandbox_use; }
teardown() { common_teardown; }

# key_id OUTPUT: the id of a create -o json answer.
json_field() { printf '%s' "$1" | jq -r ".$2"; }

@test "key create prints an sk-oai- key once; maas-api stores only its SHA-256" {
	run -0 --separate-stderr maasctl key create first --token "@$ALICE" --label team=ml
	[ "${#lines[@]}" -eq 1 ]
	key=${lines[0]}
	[[ $key =~ ^sk-oai-[0-9A-Za-z]+_[0-9A-Za-z]+$ ]]
	[ ${#key} -ge 50 ] && [ ${#key} -le 68 ]
	[[ $stderr == *'created API key "first"'*"for subscription free"*"shown only once"* ]]
	# The store holds the hash of key_id "\0" secret, never the key.
	rest=${key#sk-oai-}
	kid=${rest%%_*} secret=${rest#*_}
	want=$( { printf '%s' "$kid"; printf '\0'; printf '%s' "$secret"; } | sha256sum | cut -d' ' -f1)
	run -0 sqlite3 "$SANDBOX_DIR/state.db" "SELECT key_hash FROM api_keys WHERE name = 'first'"
	[ "$output" = "$want" ]
	run -0 sqlite3 "$SANDBOX_DIR/state.db" .dump
	[[ $output != *"$secret"* ]]
	run ! grep -q -a -- "$secret" "$SANDBOX_DIR"/state.db*
	# get and list never show it again.
	id=$(maasctl key list -o name --token "@$ALICE" | head -1)
	run -0 maasctl key get "$id" -o json --token "@$ALICE"
	[[ $output != *sk-oai-* ]]
	[ "$(json_field "$output" name)" = first ]
	[ "$(json_field "$output" username)" = alice ]
	[ "$(json_field "$output" status)" = active ]
	[ "$(json_field "$output" labels.team)" = ml ]
}

@test "key create -o json is maas-api's 201 answer; --output-file writes 0600 and prints no key" {
	TOK=$(cat "$ALICE") run -0 maasctl key create j1 --expires 30d --token env:TOK -o json
	[[ $(json_field "$output" key) == sk-oai-* ]]
	[[ $(json_field "$output" keyPrefix) =~ ^sk-oai-[0-9A-Za-z]{12}\.\.\.$ ]]
	[[ $(json_field "$output" id) =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]]
	[ "$(json_field "$output" ephemeral)" = false ]
	created=$(date -d "$(json_field "$output" createdAt)" +%s)
	expires=$(date -d "$(json_field "$output" expiresAt)" +%s)
	[ $((expires - created)) -eq $((30 * 86400)) ]
	run -0 --separate-stderr maasctl key create f1 --output-file "$TEST_HOME/f1.key" --token "@$ALICE"
	[ -z "$output" ]
	[ "$(stat -c %a "$TEST_HOME/f1.key")" = 600 ]
	grep -Eq '^sk-oai-[0-9A-Za-z]+_[0-9A-Za-z]+$' "$TEST_HOME/f1.key"
}

@test "key create with no expiry gets 90 days; ephemeral keys 1h and hidden from list" {
	run -0 maasctl key create d90 -o json --token "@$ALICE"
	created=$(date -d "$(json_field "$output" createdAt)" +%s)
	expires=$(date -d "$(json_field "$output" expiresAt)" +%s)
	[ $((expires - created)) -eq $((90 * 86400)) ]
	run -0 maasctl key create --ephemeral -o json --token "@$ALICE"
	[[ $(json_field "$output" name) == ephemeral-* ]]
	[ "$(json_field "$output" ephemeral)" = true ]
	eid=$(json_field "$output" id)
	created=$(date -d "$(json_field "$output" createdAt)" +%s)
	expires=$(date -d "$(json_field "$output" expiresAt)" +%s)
	[ $((expires - created)) -eq 3600 ]
	run -0 maasctl key list -o name --token "@$ALICE"
	[[ $output != *"$eid"* ]]
	run -0 maasctl key list --ephemeral -o name --token "@$ALICE"
	[[ $output == *"$eid"* ]]
}

@test "expiry limits answer 400 with maas-api's message, exit 2" {
	run -2 maasctl key create long --expires 91d --token "@$ALICE"
	[ "$output" = "maasctl: key create: 400 Bad Request: requested expiration (2184h0m0s) exceeds maximum allowed (90 days): expiration exceeds maximum allowed" ]
	run -2 maasctl key create --ephemeral --expires 2h --token "@$ALICE"
	[[ $output == *"ephemeral key expiration (2h0m0s) cannot exceed 1h0m0s: expiration exceeds maximum allowed" ]]
	run -2 maasctl key create zero --expires 0s --token "@$ALICE"
	[[ $output == *"400 Bad Request: expiration must be positive" ]]
	run -2 maasctl key create bad --expires abc --token "@$ALICE"
	[[ $output == *'time: invalid duration "abc"' ]]
	run -0 maasctl key create ok --expires 1.5d -o json --token "@$ALICE"
	run -2 maasctl key create lbl --label 'bad key!=v' --token "@$ALICE"
	[[ $output == *"label key 'bad key!' contains invalid characters"* ]]
}

@test "key list filters by status and label, sorts, pages with has_more" {
	for n in p1 p2 p3 p4 p5; do
		maasctl key create "$n" --label batch=pg --token "@$BOB" >/dev/null
	done
	run -0 maasctl key list -l batch=pg --sort name --asc -o jsonpath='{.data[*].name}' --token "@$BOB"
	[ "$output" = "p1 p2 p3 p4 p5" ]
	run -0 maasctl key list -l batch=pg --sort name --asc --limit 2 -o json --token "@$BOB"
	[ "$(printf '%s' "$output" | jq -c '[.data[].name]')" = '["p1","p2"]' ]
	[ "$(json_field "$output" has_more)" = true ]
	run -0 maasctl key list -l batch=pg --sort name --asc --limit 2 --offset 4 -o json --token "@$BOB"
	[ "$(printf '%s' "$output" | jq -c '[.data[].name]')" = '["p5"]' ]
	[ "$(json_field "$output" has_more)" = false ]
	run -0 maasctl key list -l batch=pg --sort name --asc --limit 2 --all-pages -o json --token "@$BOB"
	[ "$(printf '%s' "$output" | jq -c '[.data[].name]')" = '["p1","p2","p3","p4","p5"]' ]
	[ "$(json_field "$output" has_more)" = false ]
	# Newest first by default.
	run -0 maasctl key list -l batch=pg -o jsonpath='{.data[0].name}' --token "@$BOB"
	[ "$output" = p5 ]
	# Table.
	run -0 maasctl key list -l batch=pg --sort name --asc --token "@$BOB"
	[[ ${lines[0]} == "ID"*"NAME"*"STATUS"*"SUBSCRIPTION"*"EXPIRES" ]]
	[[ ${lines[1]} == *" p1 "*" active "* ]]
	# Bob sees none of alice's keys.
	run -0 maasctl key list -o jsonpath='{.data[*].username}' --token "@$BOB"
	[[ $output != *alice* ]]
	run -3 maasctl key list --user alice --token "@$BOB"
	[[ $output == *"403 Forbidden: non-admin users can only search their own API keys" ]]
	run -2 maasctl key list --status bogus --token "@$BOB"
	[[ $output == *"invalid status 'bogus': must be active, revoked, or expired" ]]
}

@test "admin key list --all-pages: one user's keys, and every user's, across pages (§3.2 K4)" {
	sandbox_token root system:masters >"$TEST_HOME/root.token"
	for n in a1 a2 a3; do
		maasctl key create "adm-$n" --label batch=adm --token "@$ALICE" >/dev/null
	done
	for n in b1 b2; do
		maasctl key create "adm-$n" --label batch=adm --token "@$BOB" >/dev/null
	done
	# A page holds 2: three of alice's keys need two pages.
	run -0 --separate-stderr maasctl key list --user alice -l batch=adm --sort name --asc --limit 2 -o json --token "@$TEST_HOME/root.token"
	[ "$(jq -c '[.data[].name]' <<<"$output")" = '["adm-a1","adm-a2"]' ]
	[ "$(jq -r .has_more <<<"$output")" = true ]
	run -0 --separate-stderr maasctl -v 6 key list --user alice -l batch=adm --sort name --asc --limit 2 --all-pages -o json --token "@$TEST_HOME/root.token"
	[ "$(jq -c '[.data[].name]' <<<"$output")" = '["adm-a1","adm-a2","adm-a3"]' ]
	[ "$(jq -r .has_more <<<"$output")" = false ]
	[ "$(jq -r '[.data[].username] | unique | join(",")' <<<"$output")" = alice ]
	[ "$(grep -c 'POST .*/v1/api-keys/search' <<<"$stderr")" -eq 2 ]
	# No --user: the admin searches every user's keys (three pages).
	run -0 --separate-stderr maasctl key list -l batch=adm --sort name --asc --limit 2 --all-pages -o json --token "@$TEST_HOME/root.token"
	[ "$(jq -c '[.data[] | .username + "/" + .name]' <<<"$output")" = '["alice/adm-a1","alice/adm-a2","alice/adm-a3","bob/adm-b1","bob/adm-b2"]' ]
	run -0 --separate-stderr maasctl key list --user bob -l batch=adm --limit 1 --all-pages -o name --token "@$TEST_HOME/root.token"
	[ "${#lines[@]}" -eq 2 ]
	# A user's own --all-pages sees only their keys; another --user is 403.
	run -0 --separate-stderr maasctl key list -l batch=adm --limit 1 --all-pages -o jsonpath='{.data[*].name}' --token "@$BOB"
	[ "$output" = "adm-b2 adm-b1" ]
	run -3 --separate-stderr maasctl key list --user alice --all-pages --token "@$BOB"
	[ "$stderr" = "maasctl: key list: 403 Forbidden: non-admin users can only search their own API keys" ]
}

# kapi TOKENFILE METHOD PATH [CURL ARGS...]: a maas-api call through the
# gateway; body, a space, the status.
kapi() {
	local t=$1 m=$2 p=$3
	shift 3
	curl -s -w ' %{http_code}' -X "$m" -H "Authorization: Bearer $(cat "$t")" "$@" "$MAAS_URL/maas-api$p"
}

@test "maas-api over HTTP: mint 201, search without keys, revoke 200 then 404, no-label keys (§5.1-3, 6, 8, 11)" {
	sandbox_token erin >"$TEST_HOME/erin"
	E=$TEST_HOME/erin
	# §5.1: 201 with id, key (longer than the prefix) and name; GET has no key.
	run -0 kapi "$E" POST /v1/api-keys -d '{"name":"e1"}'
	[[ $output == *' 201' ]]
	body=${output% 201}
	[ "$(json_field "$body" name)" = e1 ]
	[[ $(json_field "$body" key) == sk-oai-?* ]]
	id1=$(json_field "$body" id)
	run -0 kapi "$E" GET "/v1/api-keys/$id1"
	[[ $output == *' 200' ]]
	[ "$(jq -r 'has("key")' <<<"${output% 200}")" = false ]
	# §5.11: a key minted without labels has none.
	[ "$(jq -r '.labels // {} | length' <<<"${output% 200}")" = 0 ]
	out=$(kapi "$E" POST /v1/api-keys -d '{"name":"e2"}')
	id2=$(json_field "${out% 201}" id)
	# §5.2: active, newest first, limit 50: both, no key; limit 1: one.
	run -0 kapi "$E" POST /v1/api-keys/search -d '{"filters":{"status":["active"]},"sort":{"by":"created_at","order":"desc"},"pagination":{"limit":50,"offset":0}}'
	[[ $output == *' 200' ]]
	[ "$(jq -c '[.data[].name]' <<<"${output% 200}")" = '["e2","e1"]' ]
	[ "$(jq -r '[.data[] | has("key")] | any' <<<"${output% 200}")" = false ]
	run -0 kapi "$E" POST /v1/api-keys/search -d '{"pagination":{"limit":1}}'
	[ "$(jq -r '.data | length' <<<"${output% 200}") $(jq -r .has_more <<<"${output% 200}")" = "1 true" ]
	# §5.3: DELETE is 200 with status revoked; GET then shows revoked.
	run -0 kapi "$E" DELETE "/v1/api-keys/$id2"
	[[ $output == *' 200' ]]
	[ "$(json_field "${output% 200}" status)" = revoked ]
	run -0 kapi "$E" GET "/v1/api-keys/$id2"
	[ "$(json_field "${output% 200}" status)" = revoked ]
	# §5.8: a second revoke and an unknown id are 404.
	run -0 kapi "$E" DELETE "/v1/api-keys/$id2"
	[ "$output" = '{"error":"API key not found"} 404' ]
	run -4 --separate-stderr maasctl key revoke 00000000-0000-4000-8000-000000000000 --token "@$E"
	[ "$stderr" = "maasctl: key revoke 00000000-0000-4000-8000-000000000000: 404 Not Found: API key not found" ]
	# §5.6: exactly the maximum (90 days) and 1h are accepted.
	run -0 kapi "$E" POST /v1/api-keys -d '{"name":"e90","expiresIn":"90d"}'
	[[ $output == *' 201' ]]
	run -0 kapi "$E" POST /v1/api-keys -d '{"name":"e1h","expiresIn":"1h"}'
	[[ $output == *' 201' ]]
	[ $(( $(date -d "$(json_field "${output% 201}" expiresAt)" +%s) - $(date -d "$(json_field "${output% 201}" createdAt)" +%s) )) -eq 3600 ]
	run -0 kapi "$E" POST /v1/api-keys -d '{"name":"e91","expiresIn":"91d"}'
	[[ $output == *'exceeds maximum allowed (90 days)'*' 400' ]]
}

@test "another user's key is 404, like an unknown one (IDOR)" {
	id=$(maasctl key create mine -o name --token "@$ALICE")
	run -4 maasctl key get "$id" --token "@$BOB"
	[ "$output" = "maasctl: key get $id: 404 Not Found: API key not found" ]
	run -4 maasctl key revoke "$id" --token "@$BOB"
	run -0 maasctl key get "$id" -o jsonpath='{.status}' --token "@$ALICE"
	[ "$output" = active ]
	run -4 maasctl key get 00000000-0000-4000-8000-000000000000 --token "@$ALICE"
}

@test "key revoke: revoked keys leave the active list; a second revoke is 404" {
	a=$(maasctl key create r1 -o name --token "@$BOB")
	b=$(maasctl key create r2 -o name --token "@$BOB")
	run -0 maasctl key revoke "$a" "$b" --token "@$BOB"
	[ "${lines[0]}" = "$a revoked" ] && [ "${lines[1]}" = "$b revoked" ]
	run -0 maasctl key list --status active -o name --token "@$BOB"
	[[ $output != *"$a"* && $output != *"$b"* ]]
	run -0 maasctl key list --status revoked -o name --token "@$BOB"
	[[ $output == *"$a"* && $output == *"$b"* ]]
	run -4 maasctl key revoke "$a" --token "@$BOB"
	[[ $output == *"404 Not Found: API key not found" ]]
}

@test "missing or unknown token is the gateway's 401, exit 3" {
	run -3 maasctl key list
	[[ ${lines[0]} == "maasctl: key list: 401 Unauthorized: Authentication required" ]]
	[[ ${lines[1]} == "hint: no token was sent"* ]]
	printf 'not-a-token\n' >"$TEST_HOME/bad"
	run -3 maasctl key create x --token "@$TEST_HOME/bad"
	run curl -s -o /dev/null -w '%{http_code}' -X POST -d '{}' "$MAAS_URL/v1/api-keys/search"
	[ "$output" = 401 ]
	run curl -s -D - -o /dev/null -X POST -d '{}' "$MAAS_URL/maas-api/v1/api-keys/search"
	[[ $output == *"x-ext-auth-reason: Authentication required"* ]]
}

@test "gateway routes: /maas-api/health open, unknown paths 404, identity headers refused" {
	run -0 curl -s "$MAAS_URL/maas-api/health"
	[ "$output" = '{"status":"healthy"}' ]
	run -0 curl -s -o /dev/null -w '%{http_code}' "$MAAS_URL/health"
	[ "$output" = 404 ]
	tok=$(cat "$ALICE")
	run -0 curl -s -w ' %{http_code}' -H "Authorization: Bearer $tok" "$MAAS_URL/maas-api/v1/nothing"
	[ "$output" = "404 page not found 404" ]
	run -0 curl -s -w '%{http_code}' -H "Authorization: Bearer $tok" "$MAAS_URL/v1/api-keys/config"
	[ "$output" = '{"max_expiration_days":90,"ephemeral_max_expiration":"1h0m0s"}200' ]
	run -0 curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" -H 'X-MaaS-Username: eve' "$MAAS_URL/v1/api-keys/config"
	[ "$output" = 403 ]
	run -0 curl -s -w ' %{http_code}' -H "Authorization: Bearer $tok" -X POST "$MAAS_URL/v1/api-keys/search"
	[ "$output" = '{"error":"EOF"} 400' ]
	# An API key is bound to a subscription at mint: the gateway takes it
	# and maas-api sees its owner; a revoked one is refused.
	id=$(maasctl key create gw -o name --token "@$ALICE" --output-file "$TEST_HOME/gw.key")
	key=$(cat "$TEST_HOME/gw.key")
	run -0 curl -s -w ' %{http_code}' -H "Authorization: Bearer $key" "$MAAS_URL/v1/api-keys/$id"
	[[ $output == *'"username":"alice"'*'"subscription":"free"'*' 200' ]]
	maasctl key revoke "$id" --token "@$ALICE" >/dev/null
	# Refused once the gateway's revocation cache (2 s) lets go of it.
	for _ in $(seq 20); do
		code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" "$MAAS_URL/v1/api-keys/config")
		[ "$code" = 403 ] && break
		sleep 0.5
	done
	[ "$code" = 403 ]
}

@test "bad flags exit 2; unreachable maas-api exits 6" {
	run -2 maasctl key list --bogus --token "@$ALICE"
	run -2 maasctl key create --token "@$ALICE"
	[[ $output == *"a NAME is required"* ]]
	run -2 maasctl key create x --label novalue --token "@$ALICE"
	[[ $output == *'invalid --label "novalue": want key=value' ]]
	run -2 maasctl key get "../x" --token "@$ALICE"
	tok=$(cat "$ALICE")
	run -2 maasctl key list --token "$tok"
	[[ $output != *"$tok"* ]]
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	MAAS_URL="http://127.0.0.1:$port" run -6 maasctl key list --token "@$ALICE"
	[[ $output == *"connection refused"* ]]
}

@test "no key or token in -v 9 traces or errors" {
	tok=$(cat "$ALICE")
	run -0 --separate-stderr maasctl -v 9 key create traced --token "@$ALICE"
	key=$output
	secret=${key#*_}
	[[ $stderr != *"$secret"* ]]
	[[ $stderr != *"$tok"* ]]
	run -2 --separate-stderr maasctl -v 9 key create traced2 --expires 91d --token "@$ALICE"
	[[ $stderr != *"$tok"* ]]
	[[ $stderr == *'POST'*'/maas-api/v1/api-keys'* ]]
	run ! grep -q -a -- "$secret" "$SANDBOX_DIR/sandbox.log"
}
