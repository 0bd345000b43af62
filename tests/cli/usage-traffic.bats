#!/usr/bin/env bats
# usage-traffic.bats: `maasctl usage` after real traffic through the
# sandbox gateway: three users in two subscriptions (one with a tight token
# limit, so some requests get 429); the expected tokens and calls are
# computed from the responses' usage fields.
bats_require_minimum_version 1.5.0
load ../helpers/common
load ../helpers/sandbox

setup_file() {
	sandbox_start
	maasctl apply -f "$MAASCTL_TEST_ROOT/tests/fixtures/usage/traffic.yaml" >/dev/null
	# The traffic starts once the controller has made the model callable
	# and the subscriptions' limits are in force, not while it works.
	sandbox_models_ready usage-llm
	maasctl -n usage-llm wait maasmodelref/meter --timeout 30s >/dev/null
	maasctl -n models-as-a-service wait maasauthpolicy/meter-access \
	    maassubscription/gold maassubscription/small --timeout 30s >/dev/null
	# Per-user figures need captureUser (off by default, for privacy).
	kubectl_patch='{"spec":{"telemetry":{"metrics":{"captureUser":true}}}}'
	sandbox_curl -f -o /dev/null -X PATCH -H "Authorization: Bearer $SANDBOX_ADMIN_TOKEN" \
	    -H 'Content-Type: application/merge-patch+json' --data "$kubectl_patch" \
	    "$SANDBOX_API_URL/apis/maas.opendatahub.io/v1alpha1/namespaces/models-as-a-service/maastenantconfigs/default-tenant"
	sandbox_token alice gold-users >"$SANDBOX_DIR/alice.token"
	sandbox_token bob gold-users >"$SANDBOX_DIR/bob.token"
	sandbox_token carol small-users >"$SANDBOX_DIR/carol.token"
	send_traffic >"$SANDBOX_DIR/expected"
}
teardown_file() { sandbox_stop; }
setup() { common_setup; sandbox_use; }
teardown() { common_teardown; }

# One chat request as USER with max_tokens N; prints "USER STATUS TOKENS"
# with the tokens from the answer's usage.
chat() {
	local user=$1 n=$2 out code tokens=0 body
	body=$(printf '{"model":"meter","messages":[{"role":"user","content":"count to %d"}],"max_tokens":%d}' \
	    "$n" "$n")
	out=$(sandbox_curl -s -w '\n%{http_code}' -H "Authorization: Bearer $(cat "$SANDBOX_DIR/$user.token")" \
	    -H 'Content-Type: application/json' -d "$body" "$SANDBOX_MAAS_URL/v1/chat/completions")
	code=${out##*$'\n'}
	out=${out%$'\n'*}
	if [ "$code" = 200 ]; then
		tokens=$(jq '.usage.total_tokens // 0' <<<"$out")
	fi
	echo "$user $code $tokens"
}

# The scripted mix: alice and bob (gold, ample quota),
# carol (small: 30 tokens an hour, so her later requests are refused).
send_traffic() {
	chat alice 7; chat bob 5; chat carol 9; chat alice 12
	chat bob 4; chat carol 9; chat carol 9; chat alice 3
	chat carol 9; chat carol 2; chat bob 6
}

# expected USER FIELD: tokens, calls (200 + 429) or limited (429) of USER.
expected() {
	awk -v u="$1" -v f="$2" '$1 == u && ($2 == 200 || $2 == 429) {
		calls++; if ($2 == 429) lim++; else tok += $3 }
	    END { print f == "tokens" ? tok + 0 : f == "calls" ? calls + 0 : lim + 0 }' "$SANDBOX_DIR/expected"
}

@test "the traffic mix got answers with usage, and 429s for the small subscription" {
	run -0 cat "$SANDBOX_DIR/expected"
	[ "$(grep -c ' 200 ' <<<"$output")" -ge 6 ]
	[ "$(grep -c '^carol 429 ' <<<"$output")" -ge 1 ]
	! grep -Ev ' (200|429) ' <<<"$output"
	[ "$(expected alice tokens)" -gt 0 ]
}

@test "usage --by user -o json reports exactly the tokens and calls of the traffic" {
	run -0 --separate-stderr maasctl usage --by user -o json
	for u in alice bob carol; do
		row=$(jq -c --arg u "$u" '.rows[] | select(.user == $u) | [.tokens, .calls, .rateLimitedCalls]' <<<"$output")
		want="[$(expected $u tokens),$(expected $u calls),$(expected $u limited)]"
		[ "$row" = "$want" ] || { echo "$u: got $row, want $want"; return 1; }
	done
	[ "$(jq '.rows | length' <<<"$output")" = 3 ]
	total=$(( $(expected alice tokens) + $(expected bob tokens) + $(expected carol tokens) ))
	[ "$(jq .totals.tokens <<<"$output")" = "$total" ]
}

@test "usage by subscription and by organization: gold = alice + bob, small = carol; CSV joins the metadata" {
	run -0 --separate-stderr maasctl usage -o json
	gold=$(( $(expected alice tokens) + $(expected bob tokens) ))
	[ "$(jq -c '.rows[] | select(.subscription == "gold") | [.tokens, .organization, .costCenter]' <<<"$output")" = "[$gold,\"Acme, Inc.\",\"CC-7\"]" ]
	[ "$(jq -c '.rows[] | select(.subscription == "small") | [.tokens, .calls, .rateLimitedCalls]' <<<"$output")" = \
	    "[$(expected carol tokens),$(expected carol calls),$(expected carol limited)]" ]
	[ "$(jq '.rows[] | select(.subscription == "gold") | .latencyP50Ms > 0' <<<"$output")" = true ]
	run -0 --separate-stderr maasctl usage --by organization -o csv
	[[ $(printf '%s' "$output" | tr -d '\r' | sed -n 2p) == "\"Acme, Inc.\",$gold,"* ]]
	[[ $(printf '%s' "$output" | tr -d '\r' | sed -n 3p) == "initech,$(expected carol tokens),$(expected carol calls),$(expected carol limited),"* ]]
}

@test "/metrics shows the same counters the query API sums" {
	run -0 sandbox_curl -s "$SANDBOX_MAAS_URL/metrics"
	grep -q "^limited_calls{limitador_namespace=\"openshift-ingress/maas-default-gateway\",subscription=\"small\",user=\"carol\"} $(expected carol limited)\$" <<<"$output"
	grep -q "^authorized_hits{limitador_namespace=\"openshift-ingress/maas-default-gateway\",model=\"usage-llm/meter\",subscription=\"gold\",user=\"alice\"} $(expected alice tokens)\$" <<<"$output"
}
