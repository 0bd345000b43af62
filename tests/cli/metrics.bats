#!/usr/bin/env bats
# metrics.bats: the sandbox's telemetry endpoints on the gateway listener:
# /metrics (Prometheus text format: Limitador's counters, Istio's latency
# histogram) and the Prometheus query API (/api/v1/query, query_range)
# with thanos-querier's bearer-token auth and Prometheus' error format.
bats_require_minimum_version 1.5.0
load ../helpers/common
load ../helpers/sandbox

setup_file() {
	sandbox_start --plain
	sandbox_token alice devs >"$SANDBOX_DIR/alice.token"
}
teardown_file() { sandbox_stop; }
setup() { common_setup; sandbox_use; }
teardown() { common_teardown; }

prom() {
	sandbox_curl -H "Authorization: Bearer $SANDBOX_ADMIN_TOKEN" "$@"
}

@test "/metrics serves the four families in the text format" {
	run -0 sandbox_curl -D "$BATS_TEST_TMPDIR/h" "$SANDBOX_MAAS_URL/metrics"
	grep -qi '^content-type: text/plain; version=0.0.4' "$BATS_TEST_TMPDIR/h"
	[[ $output == *"# TYPE authorized_hits counter"* ]]
	[[ $output == *"# TYPE authorized_calls counter"* ]]
	[[ $output == *"# TYPE limited_calls counter"* ]]
	[[ $output == *"# TYPE istio_request_duration_milliseconds histogram"* ]]
	run -0 sandbox_curl -s -o /dev/null -w '%{http_code}' -X POST "$SANDBOX_MAAS_URL/metrics"
	[ "$output" = 405 ]
}

@test "/api/v1/query wants a bearer token: 401 without, 401 for a wrong one" {
	run -0 sandbox_curl -s -o /dev/null -w '%{http_code}' "$SANDBOX_MAAS_URL/api/v1/query?query=authorized_hits"
	[ "$output" = 401 ]
	run -0 sandbox_curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer nope' "$SANDBOX_MAAS_URL/api/v1/query?query=authorized_hits"
	[ "$output" = 401 ]
}

@test "/api/v1/query answers a vector for the admin and a sandbox user (GET and POST)" {
	run -0 prom "$SANDBOX_MAAS_URL/api/v1/query" --data-urlencode 'query=sum by (user) (increase(authorized_hits[1h]))' -G
	[ "$(jq -r .status <<<"$output")" = success ]
	[ "$(jq -r .data.resultType <<<"$output")" = vector ]
	[ "$(jq -r '.data.result | length' <<<"$output")" = 0 ]
	run -0 sandbox_curl -H "Authorization: Bearer $(cat "$SANDBOX_DIR/alice.token")" \
	    --data-urlencode 'query=sum(increase(authorized_calls[5m]))' "$SANDBOX_MAAS_URL/api/v1/query"
	[ "$(jq -r .status <<<"$output")" = success ]
	run -0 prom --data-urlencode 'query=7' --data-urlencode 'time=2026-11-22T10:00:00Z' "$SANDBOX_MAAS_URL/api/v1/query"
	[ "$(jq -c .data.result <<<"$output")" = '[1795341600,"7"]' ]
}

@test "/api/v1/query_range answers a matrix; bad parameters are Prometheus errors" {
	now=$(date +%s)
	run -0 prom -G --data-urlencode 'query=3' --data-urlencode "start=$((now - 60))" \
	    --data-urlencode "end=$now" --data-urlencode 'step=30s' "$SANDBOX_MAAS_URL/api/v1/query_range"
	[ "$(jq -r .data.resultType <<<"$output")" = matrix ]
	[ "$(jq -r '.data.result[0].values | length' <<<"$output")" = 3 ]
	run -0 prom -s -w '\n%{http_code}' -G --data-urlencode 'query=3' --data-urlencode 'start=x' \
	    --data-urlencode "end=$now" --data-urlencode 'step=30s' "$SANDBOX_MAAS_URL/api/v1/query_range"
	[ "${lines[1]}" = 400 ]
	[ "$(jq -r .errorType <<<"${lines[0]}")" = bad_data ]
	[[ $(jq -r .error <<<"${lines[0]}") == *'invalid parameter "start"'* ]]
}

@test "an unsupported query is a 400 bad_data naming what the sandbox answers" {
	run -0 prom -s -w '\n%{http_code}' -G --data-urlencode 'query=quantile_over_time(0.5, authorized_hits[5m])' \
	    "$SANDBOX_MAAS_URL/api/v1/query"
	[ "${lines[1]}" = 400 ]
	[ "$(jq -r .status <<<"${lines[0]}")" = error ]
	[[ $(jq -r .error <<<"${lines[0]}") == *"does not implement quantile_over_time"*"histogram_quantile"* ]]
	run -0 prom -s -o /dev/null -w '%{http_code}' "$SANDBOX_MAAS_URL/api/v1/labels"
	[ "$output" = 404 ]
}

@test "the sandbox publishes its query API as the thanos-querier Route in openshift-monitoring" {
	run -0 --separate-stderr maasctl get route thanos-querier -n openshift-monitoring -o 'jsonpath={.spec.host} {.spec.path} {.spec.tls.termination}'
	[ "$output" = "${SANDBOX_MAAS_URL#http://} /api " ]
	run -0 --separate-stderr maasctl get configmap cluster-monitoring-config -n openshift-monitoring -o 'jsonpath={.data.config\.yaml}'
	[[ $output == *"enableUserWorkload: true"* ]]
}
