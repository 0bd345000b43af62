#!/usr/bin/env bats
# admin-errors.bats: bad input and server failures for subscription,
# authpolicy and modelref.  Every case asserts the exit code, the one
# error line (a hint line may follow), an empty stdout, and that no MaaS
# object in the sandbox changed (issue #4, Done-when 4).
bats_require_minimum_version 1.5.0
load ../helpers/common
load ../helpers/sandbox
load ../helpers/admin
load ../helpers/responder

SUB='The MaaSSubscription "s1" is invalid'
AP='The MaaSAuthPolicy "p1" is invalid'
MR='The MaaSModelRef "m1" is invalid'
RATE='spec.modelRefs[0].tokenRateLimits[0]'

setup_file() {
	sandbox_start
	admin_seed
	maasctl subscription create gold --group g --model llm/granite=100/1m >/dev/null
	maasctl authpolicy create gold-access --group g --model llm/granite >/dev/null
	# No case here changes an object: one snapshot serves them all.
	admin_baseline
}
teardown_file() { sandbox_stop; }

setup() {
	common_setup
	sandbox_use
}

teardown() {
	responder_stop
	common_teardown
}

# --- subscription: validation before anything is sent ---------------------

@test "subscription: unknown model" {
	bad 4 'maasctl: subscription create s1: unknown model llm/nope: no MaaSModelRef "nope" in namespace "llm"' \
	    sub create s1 --group g --model llm/nope=100/1m
}

@test "subscription: window 1d (no d unit)" {
	bad 2 "$SUB: $RATE.window: Invalid value: \"1d\": $RATE.window in body should match '^[1-9]\\d{0,3}(s|m|h)\$'" \
	    sub create s1 --group g --model llm/granite=100/1d
}

@test "subscription: window 0m" {
	bad 2 "$SUB: $RATE.window: Invalid value: \"0m\": $RATE.window in body should match '^[1-9]\\d{0,3}(s|m|h)\$'" \
	    sub create s1 --group g --model llm/granite=100/0m
}

@test "subscription: window longer than 5 characters" {
	bad 2 "$SUB: $RATE.window: Too long: may not be more than 5 bytes" \
	    sub create s1 --group g --model llm/granite=100/10000h
}

@test "subscription: window over 8784h" {
	bad 2 "$SUB: $RATE.window: Invalid value: \"9000h\": must not exceed 8784h (366 days)" \
	    sub create s1 --group g --model llm/granite=100/9000h
}

@test "subscription: limit 0" {
	bad 2 "$SUB: $RATE.limit: Invalid value: 0: $RATE.limit in body should be greater than or equal to 1" \
	    sub create s1 --group g --model llm/granite=0/1m
}

@test "subscription: limit above 1e9" {
	bad 2 "$SUB: $RATE.limit: Invalid value: 1000000001: $RATE.limit in body should be less than or equal to 1000000000" \
	    sub create s1 --group g --model llm/granite=1000000001/1m
}

@test "subscription: second limit of a model checked too" {
	bad 2 "$SUB: spec.modelRefs[0].tokenRateLimits[1].window: Invalid value: \"1w\": spec.modelRefs[0].tokenRateLimits[1].window in body should match '^[1-9]\\d{0,3}(s|m|h)\$'" \
	    sub create s1 --group g --model llm/granite=100/1m,5000/1w
}

@test "subscription: limit that is not a number" {
	bad 2 'maasctl: invalid --model limit "lots/1m" in "lots/1m": want LIMIT/WINDOW such as 50000/1h' \
	    sub create s1 --group g --model llm/granite=lots/1m
}

@test "subscription: duplicate model" {
	bad 2 "$SUB: spec.modelRefs[1]: Duplicate value: \"llm/granite\"" \
	    sub create s1 --group g --model llm/granite=100/1m --model llm/granite=5/1s
}

@test "subscription: missing group and user" {
	bad 2 'maasctl: subscription create s1: give an owner: at least one --group or --user' \
	    sub create s1 --model llm/granite=100/1m
}

@test "subscription: duplicate owner group" {
	bad 2 "$SUB: spec.owner.groups[1].name: Duplicate value: \"g\"" \
	    sub create s1 --group g --group g --model llm/granite=100/1m
}

@test "subscription: no model" {
	bad 2 'maasctl: subscription create s1: at least one --model NS/NAME=LIMIT/WINDOW is required' \
	    sub create s1 --group g
}

@test "subscription: name too long" {
	long=$(printf 'a%.0s' $(seq 254))
	bad 2 "The MaaSSubscription \"$long\" is invalid: metadata.name: Invalid value: \"$long\": must be no more than 253 characters" \
	    sub create "$long" --group g --model llm/granite=100/1m
}

@test "subscription: name not a DNS subdomain" {
	bad 2 "The MaaSSubscription \"Gold_Sub\" is invalid: metadata.name: Invalid value: \"Gold_Sub\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')" \
	    sub create Gold_Sub --group g --model llm/granite=100/1m
}

@test "subscription: model namespace longer than 63" {
	ns=$(printf 'n%.0s' $(seq 64))
	bad 2 "$SUB: spec.modelRefs[0].namespace: Too long: may not be more than 63 bytes" \
	    sub create s1 --group g --model "$ns/granite=100/1m"
}

@test "subscription: --model without limits" {
	bad 2 'maasctl: invalid --model "llm/granite": want NS/NAME=LIMIT/WINDOW[,LIMIT/WINDOW] such as llm/granite=50000/1h' \
	    sub create s1 --group g --model llm/granite
}

@test "subscription: --model without a namespace" {
	bad 2 'maasctl: invalid --model "granite": want NAMESPACE/NAME of a MaaSModelRef' \
	    sub create s1 --group g --model granite=100/1m
}

@test "subscription: --priority not an integer" {
	bad 2 'maasctl: invalid value "high" for --priority: not an integer' \
	    sub create s1 --group g --model llm/granite=100/1m --priority high
}

@test "subscription: --priority beyond int32" {
	bad 2 'maasctl: invalid value 3000000000 for --priority: must be from -2147483648 to 2147483647' \
	    sub create s1 --group g --model llm/granite=100/1m --priority 3000000000
}

@test "subscription: --billing-rate for a model not in it" {
	bad 2 'maasctl: subscription create s1: --billing-rate names llm/mistral, which is not a model of the subscription' \
	    sub create s1 --group g --model llm/granite=100/1m --billing-rate llm/mistral=0.1
}

@test "subscription: --billing-rate that is not a number" {
	bad 2 "$SUB: spec.modelRefs[0].billingRate.perToken: Invalid value: \"cheap\": must be a non-negative decimal number" \
	    sub create s1 --group g --model llm/granite=100/1m --billing-rate llm/granite=cheap
}

@test "subscription: --meta-label without =" {
	bad 2 'maasctl: invalid --meta-label "env": want key=value' \
	    sub create s1 --group g --model llm/granite=100/1m --meta-label env
}

@test "subscription: unknown flag" {
	bad 2 'maasctl: unknown flag: --limit' sub create s1 --group g --limit 5
}

@test "subscription: bad --dry-run mode" {
	bad 2 'maasctl: invalid value "maybe" for --dry-run: want client, server or none' \
	    sub create s1 --group g --model llm/granite=100/1m --dry-run=maybe
}

@test "subscription: bad --wait timeout" {
	run -2 --separate-stderr maasctl sub create s1 --group g --model llm/granite=100/1m --wait=soon
	[ "$output" = "" ]
	[[ ${stderr_lines[0]} == "maasctl: "*soon* ]]
}

@test "subscription: create one that exists" {
	bad 5 'Error from server (AlreadyExists): maassubscriptions.maas.opendatahub.io "gold" already exists' \
	    sub create gold --group g --model llm/granite=100/1m
}

@test "subscription: update one that does not exist" {
	bad 4 'Error from server (NotFound): maassubscriptions.maas.opendatahub.io "nope" not found' \
	    sub update nope --priority 1
}

@test "subscription: conflicting update (stale resourceVersion)" {
	bad 5 'Error from server (Conflict): Operation cannot be fulfilled on maassubscriptions.maas.opendatahub.io "gold": the object has been modified; please apply your changes to the latest version and try again' \
	    sub update gold --priority 9 --resource-version 1
}

@test "subscription: update with nothing to change" {
	bad 2 'maasctl: subscription update gold: nothing to change (give --group, --user, --model, --priority, ...)' \
	    sub update gold
}

@test "subscription: add-model of a model already in it" {
	bad 5 'maasctl: subscription add-model gold: model llm/granite is already in the subscription' \
	    sub add-model gold --model llm/granite=5/1m
}

@test "subscription: add-model of an unknown model" {
	bad 4 'maasctl: subscription add-model gold: unknown model llm/nope: no MaaSModelRef "nope" in namespace "llm"' \
	    sub add-model gold --model llm/nope=5/1m
}

@test "subscription: remove-model of a model not in it" {
	bad 4 'maasctl: subscription remove-model gold: model llm/mistral is not in the subscription' \
	    sub remove-model gold --model llm/mistral
}

@test "subscription: remove-model of the last model" {
	bad 2 "maasctl: subscription remove-model gold: a subscription needs at least one model; delete it with 'maasctl subscription delete' instead" \
	    sub remove-model gold --model llm/granite
}

@test "subscription: set-limit of a model not in it" {
	bad 4 'maasctl: subscription set-limit gold: model llm/mistral is not in the subscription' \
	    sub set-limit gold --model llm/mistral=5/1m
}

@test "subscription: set-limit with a bad window" {
	bad 2 "The MaaSSubscription \"gold\" is invalid: $RATE.window: Invalid value: \"1d\": $RATE.window in body should match '^[1-9]\\d{0,3}(s|m|h)\$'" \
	    sub set-limit gold --model llm/granite=5/1d
}

@test "subscription: get and delete of a missing one" {
	bad 4 'Error from server (NotFound): maassubscriptions.maas.opendatahub.io "nope" not found' sub get nope
	bad 4 'Error from server (NotFound): maassubscriptions.maas.opendatahub.io "nope" not found' sub delete nope
}

@test "subscription: missing NAME" {
	run -2 --separate-stderr maasctl sub create --group g --model llm/granite=1/1m
	[ "$output" = "" ]
	[[ ${stderr_lines[0]} == maasctl:* ]]
}

# --- authpolicy --------------------------------------------------------------

@test "authpolicy: no subject" {
	bad 2 'maasctl: authpolicy create p1: give a subject: at least one --group or --user' \
	    ap create p1 --model llm/granite
}

@test "authpolicy: no model" {
	bad 2 'maasctl: authpolicy create p1: at least one --model NS/NAME is required' \
	    ap create p1 --group g
}

@test "authpolicy: unknown model" {
	bad 4 'maasctl: authpolicy create p1: unknown model llm/nope: no MaaSModelRef "nope" in namespace "llm"' \
	    ap create p1 --group g --model llm/nope
}

@test "authpolicy: duplicate model" {
	bad 2 "$AP: spec.modelRefs[1]: Duplicate value: \"llm/granite\"" \
	    ap create p1 --group g --model llm/granite --model llm/granite
}

@test "authpolicy: duplicate user" {
	bad 2 "$AP: spec.subjects.users[1]: Duplicate value: \"bob\"" \
	    ap create p1 --user bob --user bob --model llm/granite
}

@test "authpolicy: model reference without a namespace" {
	bad 2 'maasctl: invalid --model "granite": want NAMESPACE/NAME of a MaaSModelRef' \
	    ap create p1 --group g --model granite
}

@test "authpolicy: revoke a group it does not grant" {
	bad 4 'maasctl: authpolicy revoke gold-access: group "nope" is not a subject of the policy' \
	    ap revoke gold-access --group nope
}

@test "authpolicy: revoke the last subject" {
	bad 2 'The MaaSAuthPolicy "gold-access" is invalid: spec.subjects: Invalid value: "object": at least one group or user must be specified in subjects' \
	    ap revoke gold-access --group g
}

@test "authpolicy: grant to a missing policy without a model" {
	bad 4 'maasctl: authpolicy grant nope: no MaaSAuthPolicy "nope" to add to, and creating it needs --model and --group or --user' \
	    ap grant nope --group g
}

@test "authpolicy: conflicting update" {
	bad 5 'Error from server (Conflict): Operation cannot be fulfilled on maasauthpolicies.maas.opendatahub.io "gold-access": the object has been modified; please apply your changes to the latest version and try again' \
	    ap grant gold-access --user carol --resource-version 1
}

# --- modelref ----------------------------------------------------------------

@test "modelref: both --llmisvc and --external" {
	bad 2 'maasctl: modelref create m1: --llmisvc and --external are mutually exclusive: a model ref has one backend' \
	    mr create m1 -n llm --llmisvc a --external b
}

@test "modelref: no backend" {
	bad 2 'maasctl: modelref create m1: give the backend: --llmisvc NAME or --external NAME' \
	    mr create m1 -n llm
}

@test "modelref: unknown backend" {
	bad 4 'maasctl: modelref create m1: unknown backend: no LLMInferenceService "nope" in namespace "llm"' \
	    mr create m1 -n llm --llmisvc nope
}

@test "modelref: context window that is not a number" {
	bad 2 "$MR: metadata.annotations[opendatahub.io/context-window]: Invalid value: \"big\": must be a positive number of tokens" \
	    mr create m1 -n llm --llmisvc x --no-backend-check --context-window big
}

@test "modelref: endpoint override that is not a URL" {
	bad 2 "$MR: spec.endpointOverride: Invalid value: \"granite.local\": must be an absolute http:// or https:// URL" \
	    mr create m1 -n llm --llmisvc x --no-backend-check --endpoint-override granite.local
}

@test "modelref: bad tenant name" {
	bad 2 "$MR: spec.tenantRef: Invalid value: \"Team_A\": spec.tenantRef in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?\$'" \
	    mr create m1 -n llm --llmisvc x --no-backend-check --tenant Team_A
}

@test "modelref: create one that exists" {
	bad 5 'Error from server (AlreadyExists): maasmodelrefs.maas.opendatahub.io "granite" already exists' \
	    mr create granite -n llm --llmisvc granite --no-backend-check
}

# --- the server and the connection -------------------------------------------

@test "401: an unknown token" {
	bad 3 'error: You must be logged in to the server (Unauthorized)' \
	    --token not-a-token sub create s1 --group g --model llm/granite=1/1m --no-model-check
}

@test "403: a user who may read but not write" {
	token=$(sandbox_token alice team-a)
	bad 3 'Error from server (Forbidden): maassubscriptions.maas.opendatahub.io is forbidden: User "alice" cannot create resource "maassubscriptions" in API group "maas.opendatahub.io" in the namespace "models-as-a-service"' \
	    --token "$token" sub create s1 --group g --model llm/granite=1/1m
	bad 3 'Error from server (Forbidden): maasauthpolicies.maas.opendatahub.io "gold-access" is forbidden: User "alice" cannot update resource "maasauthpolicies" in API group "maas.opendatahub.io" in the namespace "models-as-a-service"' \
	    --token "$token" ap grant gold-access --user alice
}

@test "unreachable API server" {
	bad 6 'The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?' \
	    --server https://127.0.0.1:1 sub list
}

@test "5xx from the API server" {
	responder_start 'status 503 Service Unavailable
header Content-Type: application/json
body {"kind":"Status","apiVersion":"v1","status":"Failure","message":"etcd is down","reason":"ServiceUnavailable","code":503}
times 20'
	run -6 --separate-stderr maasctl --server "http://127.0.0.1:$RESPONDER_PORT" --token t sub list
	[ "$output" = "" ]
	[ "$stderr" = "Error from server (ServiceUnavailable): etcd is down" ]
	run -6 --separate-stderr maasctl --server "http://127.0.0.1:$RESPONDER_PORT" --token t \
	    sub create s1 --group g --model llm/granite=1/1m --no-model-check
	[ "$stderr" = "Error from server (ServiceUnavailable): etcd is down" ]
}
