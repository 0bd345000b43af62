#!/usr/bin/env bats
# usage.bats: `maasctl usage` against the sandbox's own Prometheus API
# (found through the thanos-querier Route it publishes), with gateway
# traffic recorded into its telemetry by sandbox-serve --traffic, and
# against the scripted responder for Prometheus' failure answers.
bats_require_minimum_version 1.5.0
load ../helpers/common
load ../helpers/sbx-serve
load ../helpers/responder

# USER SUBSCRIPTION MODEL TOKENS LIMITED LATENCY_MS
TRAFFIC='alice gold llm/qwen 120 0 40
alice gold llm/qwen 80 0 60
alice gold llm/qwen 0 1 2
bob gold llm/qwen 50 0 300
bob gold llm/tiny 5 0 20
carol free llm/tiny 7 0 3000
carol free llm/tiny 0 1 1
carol free llm/tiny 0 1 1'

setup_file() {
	SBX_DIR=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/sbx.XXXXXX")
	printf '%s\n' "$TRAFFIC" >"$SBX_DIR/traffic"
	sbx_start --gateway-port 0 --traffic "$SBX_DIR/traffic"
	export SBX_DIR SBX_PID SBX_URL SBX_TOKEN USAGE_KUBECONFIG=$KUBECONFIG
	GW=https://127.0.0.1:$(sed -n 's/.*"gateway_port":\([0-9]*\).*/\1/p' "$SBX_DIR/sandbox.json")
	export GW
	# Subscriptions with tokenMetadata (a comma and quotes for CSV).
	"$MAASCTL" apply -f - >/dev/null <<'EOS'
apiVersion: maas.opendatahub.io/v1alpha1
kind: MaaSSubscription
metadata: {name: gold, namespace: models-as-a-service}
spec:
  owner: {groups: [{name: gold-users}]}
  modelRefs:
  - name: qwen
    namespace: llm
    tokenRateLimits: [{limit: 1000, window: 1m}]
  tokenMetadata: {organizationId: "Acme, Inc.", costCenter: "CC \"7\""}
---
apiVersion: maas.opendatahub.io/v1alpha1
kind: MaaSSubscription
metadata: {name: free, namespace: models-as-a-service}
spec:
  owner: {groups: [{name: system:authenticated}]}
  modelRefs:
  - name: tiny
    namespace: llm
    tokenRateLimits: [{limit: 100, window: 1m}]
  tokenMetadata: {organizationId: initech, costCenter: CC-1}
EOS
	kubectl_patch_tenant '{"spec":{"telemetry":{"metrics":{"captureUser":true}}}}'
}
teardown_file() { sbx_stop; }
setup() { common_setup; export KUBECONFIG=$USAGE_KUBECONFIG; }
teardown() {
	common_teardown
	responder_stop 2>/dev/null || true
	# A test's own second sandbox, if it left one running.
	[ -n "${OWN_SBX:-}" ] && sbx_stop
	return 0
}

# kubectl_patch_tenant JSON: merge-patch MaasTenantConfig default-tenant.
kubectl_patch_tenant() {
	curl -sS --noproxy '*' --cacert "$SBX_DIR/ca.crt" -X PATCH -H 'Content-Type: application/merge-patch+json' \
	    -H "Authorization: Bearer $SBX_TOKEN" --data "$1" -o /dev/null -w '%{http_code}' \
	    "$SBX_URL/apis/maas.opendatahub.io/v1alpha1/namespaces/models-as-a-service/maastenantconfigs/default-tenant" |
	    grep -qx 200
}

@test "usage --by user -o json: the tokens, calls and 429s of each user" {
	run -0 --separate-stderr maasctl usage --by user -o json
	[ "$(jq -r .kind <<<"$output")" = UsageReport ]
	[ "$(jq -r .by <<<"$output")" = user ]
	[ "$(jq -r .prometheus <<<"$output")" = "$GW" ]
	[ "$(jq -c '[.rows[] | [.user, .tokens, .calls, .rateLimitedCalls]]' <<<"$output")" = \
	    '[["alice",200,3,1],["bob",55,2,0],["carol",7,3,2]]' ]
	[ "$(jq -r '.rows[2].rateLimitedShare' <<<"$output")" = 0.666667 ]
	[ "$(jq -c '[.totals.tokens, .totals.calls, .totals.rateLimitedCalls]' <<<"$output")" = '[262,8,3]' ]
}

@test "usage (by subscription) is a table with organization, cost center and p50/p99 latency" {
	run -0 --separate-stderr maasctl usage
	[ "${lines[0]}" = "SUBSCRIPTION   ORGANIZATION   COST CENTER   TOKENS   CALLS   RATE LIMITED   LIMITED %   P50 MS   P99 MS" ]
	[[ ${lines[1]} =~ ^gold\ +Acme,\ Inc\.\ +CC\ \"7\"\ +255\ +5\ +1\ +20\.0%\ +37\.5\ +487\.5$ ]]
	[[ ${lines[2]} =~ ^free\ +initech\ +CC-1\ +7\ +3\ +2\ +66\.7%\ +0\.9\ +4925$ ]]
}

@test "usage -o csv: RFC 4180 header, one row per key, quoted organization and cost center" {
	maasctl usage -o csv >"$BATS_TEST_TMPDIR/out.csv"
	# Every line ends in CRLF; fields are quoted only where they must be.
	[ "$(grep -c $'\r$' "$BATS_TEST_TMPDIR/out.csv")" = 3 ]
	[ "$(tr -d '\r' <"$BATS_TEST_TMPDIR/out.csv" | sed -n 1p)" = \
	    'subscription,organization,cost_center,tokens,calls,rate_limited_calls,rate_limited_share,latency_p50_ms,latency_p99_ms' ]
	[ "$(tr -d '\r' <"$BATS_TEST_TMPDIR/out.csv" | sed -n 2p)" = 'gold,"Acme, Inc.","CC ""7""",255,5,1,0.2000,37.5,487.5' ]
	[ "$(tr -d '\r' <"$BATS_TEST_TMPDIR/out.csv" | sed -n 3p)" = 'free,initech,CC-1,7,3,2,0.6667,0.875,4925' ]
	[ "$(tr -d '\r' <"$BATS_TEST_TMPDIR/out.csv" | wc -l)" = 3 ]
	# A CSV reader reads the same fields back.
	run -0 python3 -c 'import csv,sys; r=list(csv.reader(open(sys.argv[1], newline=""))); print(r[1][1] + "|" + r[1][2] + "|" + str(len(r)))' "$BATS_TEST_TMPDIR/out.csv"
	[ "$output" = 'Acme, Inc.|CC "7"|3' ]
	run -0 --separate-stderr maasctl usage -o csv --no-headers
	[ "$(printf '%s' "$output" | tr -d '\r' | sed -n 1p)" = 'gold,"Acme, Inc.","CC ""7""",255,5,1,0.2000,37.5,487.5' ]
}

@test "usage --by organization and --by cost-center sum the subscriptions' usage" {
	run -0 --separate-stderr maasctl usage --by organization -o csv
	[ "$(printf '%s' "$output" | tr -d '\r')" = $'organization,tokens,calls,rate_limited_calls,rate_limited_share\n"Acme, Inc.",255,5,1,0.2000\ninitech,7,3,2,0.6667' ]
	run -0 --separate-stderr maasctl usage --by cost-center -o json
	[ "$(jq -c '[.rows[] | [.costCenter, .tokens]]' <<<"$output")" = '[["CC \"7\"",255],["CC-1",7]]' ]
}

@test "usage --by model: tokens per model; calls are not labelled by model" {
	run -0 --separate-stderr maasctl usage --by model -o json
	[ "$(jq -c '[.rows[] | [.model, .tokens, .calls]]' <<<"$output")" = '[["llm/qwen",250,null],["llm/tiny",12,null]]' ]
	run -0 --separate-stderr maasctl usage --by model
	[[ ${lines[1]} =~ ^llm/qwen\ +250\ +-\ +-\ +- ]]
}

@test "usage --user, --subscription and --model filter the series" {
	run -0 --separate-stderr maasctl usage --by user --subscription gold -o json
	[ "$(jq -c '[.rows[] | [.user, .tokens]]' <<<"$output")" = '[["alice",200],["bob",55]]' ]
	run -0 --separate-stderr maasctl usage --by subscription --user carol -o json
	[ "$(jq -c '[.rows[] | [.subscription, .tokens, .calls, .latencyP50Ms]]' <<<"$output")" = '[["free",7,3,null]]' ]
	run -0 --separate-stderr maasctl usage --by user --model llm/tiny -o json
	[ "$(jq -c '[.rows[] | [.user, .tokens]]' <<<"$output")" = '[["carol",7],["bob",5]]' ]
	run -0 --separate-stderr maasctl usage --by user --user 'nobody"' -o json
	[ "$(jq -c '.rows' <<<"$output")" = '[]' ]
}

@test "usage --top N keeps the N keys with the most tokens (topk)" {
	run -0 --separate-stderr maasctl usage --by user --top 2 -o json
	[ "$(jq -c '[.rows[] | .user]' <<<"$output")" = '["alice","bob"]' ]
	run -0 --separate-stderr maasctl usage --by organization --top 1 -o json
	[ "$(jq -c '[.rows[] | .organization]' <<<"$output")" = '["Acme, Inc."]' ]
	run -2 --separate-stderr maasctl usage --top 0
	[[ $stderr == *"--top"* ]]
}

@test "usage --since, --from/--to: a window before the traffic is empty" {
	run -0 --separate-stderr maasctl usage --since 1h -o json
	[ "$(jq -r .totals.tokens <<<"$output")" = 262 ]
	run -0 --separate-stderr maasctl usage --from 2020-01-01T00:00:00Z --to 2020-01-02T00:00:00Z -o json
	[ "$(jq -c .rows <<<"$output")" = '[]' ]
	[ "$(jq -r .from <<<"$output")" = 2020-01-01T00:00:00Z ]
	[ "$(jq -r .to <<<"$output")" = 2020-01-02T00:00:00Z ]
	run -0 --separate-stderr maasctl usage --from 2020-01-01T00:00:00Z --to 2020-01-02T00:00:00Z
	[ "$output" = "" ]
	[[ $stderr == "No usage recorded in this window" ]]
	now=$(date +%s)
	run -0 --separate-stderr maasctl usage --from $((now - 600)) --to $((now + 5)) --by user -o json
	[ "$(jq -r .totals.tokens <<<"$output")" = 262 ]
}

@test "usage --step: a time series, one row per key and step" {
	run -0 --separate-stderr maasctl usage --by user --since 10m --step 5m -o json
	[ "$(jq -r .stepSeconds <<<"$output")" = 300 ]
	# The traffic is in the last step only.
	[ "$(jq -c '[.rows[] | [.user, .tokens]]' <<<"$output")" = '[["alice",200],["bob",55],["carol",7]]' ]
	[[ $(jq -r '.rows[0].time' <<<"$output") =~ ^20[0-9-]+T[0-9:]+Z$ ]]
	run -0 --separate-stderr maasctl usage --by user --since 10m --step 5m -o csv
	[[ $(printf '%s' "$output" | tr -d '\r' | sed -n 1p) == time,user,tokens,* ]]
	run -2 --separate-stderr maasctl usage --since 24h --step 1s
	[[ $stderr == *"11000 points"* ]]
}

@test "usage --watch: a live view of the last minute, until interrupted" {
	run -124 --separate-stderr timeout -s INT 4 "$MAASCTL" usage --watch --by user --interval 0.5s
	[ $status -eq 124 ] || [ $status -eq 130 ]
	[[ $output == *"maasctl usage --watch"*"by user"* ]]
	[[ $output == *"USER"*"TOKENS/S"*"CALLS/S"*"LIMITED/S"* ]]
	[[ $output == *alice* ]]
	# Refreshes: at least the first frame (more on an idle machine).
	[ "$(grep -c 'maasctl usage --watch' <<<"$output")" -ge 1 ]
	run -2 --separate-stderr maasctl usage --watch -o json
	[[ $stderr == *"--watch shows a live table"* ]]
	run -2 --separate-stderr maasctl usage --interval 1s
	[[ $stderr == *"--interval goes with --watch"* ]]
}

@test "usage with bad flags: exit 2 naming the flag" {
	run -2 --separate-stderr maasctl usage --by team
	[[ $stderr == *"--by team: want user, subscription, model, organization or cost-center"* ]]
	run -2 --separate-stderr maasctl usage -o yaml
	[[ $stderr == *"-o yaml: want table, json or csv"* ]]
	run -2 --separate-stderr maasctl usage --since 1h --from 2020-01-01T00:00:00Z
	[[ $stderr == *"exclusive"* ]]
	run -2 --separate-stderr maasctl usage --from yesterday
	[[ $stderr == *"--from yesterday: want an RFC 3339 time"* ]]
	run -2 --separate-stderr maasctl usage --to 2020-01-01T00:00:00Z
	[[ $stderr == *"--to needs --from"* ]]
	run -2 --separate-stderr maasctl usage --from 2020-01-02T00:00:00Z --to 2020-01-01T00:00:00Z
	[[ $stderr == *"window is empty"* ]]
	run -2 --separate-stderr maasctl usage --prometheus ftp://x
	[[ $stderr == *"--prometheus ftp://x: want an http:// or https:// URL"* ]]
}

@test "--prometheus URL: the same report from an explicit URL, with the kubeconfig's token" {
	run -6 --separate-stderr maasctl usage --prometheus "$GW/" --by user -o json --ca-file /dev/null
	run -0 --separate-stderr maasctl usage --prometheus "$GW/" --by user -o json
	[ "$(jq -r .totals.tokens <<<"$output")" = 262 ]
	[ "$(jq -r .prometheus <<<"$output")" = "$GW" ]
	run -3 --separate-stderr maasctl usage --prometheus "$GW" --token wrong
	[[ $stderr == *"Prometheus at $GW answered 401"* ]]
	[[ $stderr == *"cluster-monitoring-view"* ]]
}

@test "Prometheus failures: 404 (not a query API), refused query, unreachable" {
	responder_start $'status 404\nbody 404 page not found'
	run -6 --separate-stderr maasctl usage --prometheus "http://127.0.0.1:$RESPONDER_PORT"
	[[ $stderr == *"/api/v1/query is not there (HTTP 404)"* ]]
	grep -q 'GET /api/v1/query?query=sum%20by%20%28subscription%29' "$RESPONDER_LOG"
	grep -qi '^authorization: Bearer ' "$RESPONDER_LOG"
	responder_stop
	responder_start $'status 400\nbody {"status":"error","errorType":"bad_data","error":"parse error: boom"}'
	run -1 --separate-stderr maasctl usage --prometheus "http://127.0.0.1:$RESPONDER_PORT"
	[[ $stderr == *"refused the query"*"parse error: boom"* ]]
	responder_stop
	responder_start $'status 200\nbody <html>login</html>'
	run -6 --separate-stderr maasctl usage --prometheus "http://127.0.0.1:$RESPONDER_PORT"
	[[ $stderr == *"not a Prometheus success document"* ]]
	responder_stop
	port=$RESPONDER_PORT
	run -6 --separate-stderr maasctl usage --prometheus "http://127.0.0.1:$port" --timeout 5s
	[[ $stderr == *"cannot reach Prometheus at http://127.0.0.1:$port"* ]]
}

@test "no thanos-querier Route: exit 6 naming --prometheus" {
	maasctl get route thanos-querier -n openshift-monitoring -o json | jq 'del(.metadata.resourceVersion, .metadata.uid, .metadata.creationTimestamp)' >"$BATS_TEST_TMPDIR/route.json"
	curl -sS --noproxy '*' --cacert "$SBX_DIR/ca.crt" -X DELETE -H "Authorization: Bearer $SBX_TOKEN" -o /dev/null \
	    "$SBX_URL/apis/route.openshift.io/v1/namespaces/openshift-monitoring/routes/thanos-querier"
	run -6 --separate-stderr maasctl usage
	[[ ${stderr_lines[0]} == "maasctl: usage: cannot find the cluster's Prometheus: no Route thanos-querier in namespace openshift-monitoring"* ]]
	[[ $stderr == *"--prometheus URL"* ]]
	run -0 --separate-stderr maasctl usage --prometheus "$GW" -o json
	maasctl apply -f "$BATS_TEST_TMPDIR/route.json" >/dev/null
	run -0 --separate-stderr maasctl usage -o json
	[ "$(jq -r .prometheus <<<"$output")" = "$GW" ]
}

@test "telemetry disabled in the MaasTenantConfig: exit 6 naming the cause and the fix" {
	kubectl_patch_tenant '{"spec":{"telemetry":{"enabled":false}}}'
	run -6 --separate-stderr maasctl usage --by user
	[[ ${stderr_lines[0]} == "maasctl: usage: MaaS telemetry is disabled: MaasTenantConfig default-tenant in models-as-a-service has spec.telemetry.enabled: false"* ]]
	[[ $stderr == *"kubectl patch maastenantconfig default-tenant -n models-as-a-service --type merge -p '{\"spec\":{\"telemetry\":{\"enabled\":true}}}'"* ]]
	kubectl_patch_tenant '{"spec":{"telemetry":{"enabled":true,"metrics":{"captureUser":false}}}}'
	run -6 --separate-stderr maasctl usage --by user
	[[ $stderr == *"per-user usage is not recorded"*"captureUser: false"* ]]
	[[ $stderr == *'{"captureUser":true}'* ]]
	run -0 --separate-stderr maasctl usage --by subscription -o json
	kubectl_patch_tenant '{"spec":{"telemetry":{"metrics":{"captureUser":true}}}}'
}

@test "user workload monitoring off: no metrics, exit 6 naming enableUserWorkload" {
	curl -sS --noproxy '*' --cacert "$SBX_DIR/ca.crt" -X PATCH -H 'Content-Type: application/merge-patch+json' \
	    -H "Authorization: Bearer $SBX_TOKEN" -o /dev/null \
	    --data '{"data":{"config.yaml":"enableUserWorkload: false\n"}}' \
	    "$SBX_URL/api/v1/namespaces/openshift-monitoring/configmaps/cluster-monitoring-config"
	run -6 --separate-stderr maasctl usage
	[[ $stderr == *"user workload monitoring is off"* ]]
	[[ $stderr == *"enableUserWorkload: true in ConfigMap cluster-monitoring-config (namespace openshift-monitoring)"* ]]
	curl -sS --noproxy '*' --cacert "$SBX_DIR/ca.crt" -X PATCH -H 'Content-Type: application/merge-patch+json' \
	    -H "Authorization: Bearer $SBX_TOKEN" -o /dev/null \
	    --data '{"data":{"config.yaml":"enableUserWorkload: true\n"}}' \
	    "$SBX_URL/api/v1/namespaces/openshift-monitoring/configmaps/cluster-monitoring-config"
	run -0 --separate-stderr maasctl usage -o json
	[ "$(jq -r .totals.tokens <<<"$output")" = 262 ]
}

@test "completion: the command, its flags and the --by dimensions" {
	run -0 --separate-stderr maasctl __complete us
	[[ $output == *$'usage\tTokens, calls and rate-limited calls'* ]]
	run -0 --separate-stderr maasctl __complete usage --by ''
	[ "$(head -5 <<<"$output" | tr '\n' ' ')" = "user subscription model organization cost-center " ]
	run -0 --separate-stderr maasctl __complete usage --
	for f in --by --since --from --to --top --user --subscription --model --step --prometheus --watch --interval --no-headers; do
		grep -q -- "^$f"$'\t' <<<"$output" || { echo "no $f"; return 1; }
	done
	run -0 --separate-stderr maasctl completion bash
	[[ $output == *"__complete"* ]]
}

@test "usage history and counters survive a restart of the sandbox" {
	SBX_DIR=$BATS_TEST_TMPDIR/sbx2 SBX_PORT=
	mkdir -p "$SBX_DIR"
	printf '%s\n' 'dave gold llm/qwen 11 0 5' 'dave gold llm/qwen 0 1 5' >"$SBX_DIR/traffic"
	OWN_SBX=1
	sbx_start --gateway-port 0 --traffic "$SBX_DIR/traffic"
	run -0 --separate-stderr maasctl usage -o json
	[ "$(jq -c '[.totals.tokens, .totals.calls, .totals.rateLimitedCalls]' <<<"$output")" = '[11,2,1]' ]
	: >"$SBX_DIR/traffic"
	sbx_restart
	for i in $(seq 1 50); do maasctl get route thanos-querier -n openshift-monitoring >/dev/null 2>&1 && break; sleep 0.1; done
	run -0 --separate-stderr maasctl usage -o json
	[ "$(jq -c '[.totals.tokens, .totals.calls, .totals.rateLimitedCalls]' <<<"$output")" = '[11,2,1]' ]
	run -0 sqlite3 "$SBX_DIR/state.db" "SELECT count(*) FROM metric_series WHERE name = 'authorized_hits'"
	[ "$output" = 1 ]
	sbx_stop
	OWN_SBX=
}
