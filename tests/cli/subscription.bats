#!/usr/bin/env bats
# subscription.bats: maasctl subscription (sub, subs) against a sandbox:
# create/list/get/update/add-model/remove-model/set-limit/delete, every -o,
# --dry-run client and server, --wait against phases written through the
# /status subresource, completion of names from the live API, and the seed
# walkthrough's subscription and auth policy compared with the objects the
# reference samples produce.  Failures are in admin-errors.bats.
bats_require_minimum_version 1.5.0
load ../helpers/common
load ../helpers/sandbox
load ../helpers/admin

SAMPLES=$BATS_TEST_DIRNAME/../../../shared/reference/samples/maas-system

setup_file() {
	sandbox_start
	admin_seed
}
teardown_file() { sandbox_stop; }

setup() { admin_setup; }
teardown() { admin_teardown; }

@test "create, list and get a subscription; sub and subs are the same group" {
	run -0 --separate-stderr maasctl subscription create s-basic --group team-a \
	    --user alice --model llm/granite=100/1m,5000/1h --priority 5
	[ "$output" = "maassubscription.maas.opendatahub.io/s-basic created" ]
	run -0 maasctl sub get s-basic -o 'jsonpath={.metadata.namespace} {.spec.owner.groups[0].name} {.spec.owner.users[0]} {.spec.priority} {.spec.modelRefs[0].namespace}/{.spec.modelRefs[0].name} {.spec.modelRefs[0].tokenRateLimits[1].limit}/{.spec.modelRefs[0].tokenRateLimits[1].window}'
	[ "$output" = "models-as-a-service team-a alice 5 llm/granite 5000/1h" ]
	run -0 maasctl subs list
	# The phase is whatever a controller (if any) made it.
	[[ ${lines[0]} =~ ^NAME\ +PHASE\ +PRIORITY\ +OWNERS\ +MODELS\ +AGE$ ]]
	[[ ${lines[1]} =~ ^s-basic\ +[^\ ]+\ +5\ +group:team-a,user:alice\ +llm/granite\ +[0-9][0-9smhd]*$ ]]
	run -0 maasctl sub list -o wide --no-headers
	[[ $output =~ granite=100/1m,5000/1h\ +\<none\>$ ]]
	run -0 maasctl sub list -A
	[[ ${lines[0]} == "NAMESPACE             NAME "* ]]
	[[ $output == *"models-as-a-service   s-basic "* ]]
	run -0 maasctl sub list -o name
	[[ $output == *"maassubscription.maas.opendatahub.io/s-basic"* ]]
	run -0 maasctl sub get s-basic -o json
	[[ $output == *'"kind": "MaaSSubscription"'* ]]
	run -0 maasctl sub get s-basic -o yaml
	[[ $output == *"kind: MaaSSubscription"* ]]
	# kubectl sees the same object.
	if command -v kubectl >/dev/null; then
		run -0 kubectl get maassubscription s-basic -n models-as-a-service -o 'jsonpath={.spec.modelRefs[0].tokenRateLimits[0].limit}'
		[ "$output" = 100 ]
	fi
}

@test "list in an empty namespace says so on stderr" {
	run -0 --separate-stderr maasctl sub list -n llm
	[ "$output" = "" ]
	[ "$stderr" = "No resources found in llm namespace." ]
}

@test "tokenMetadata, billing rate and annotations are written" {
	run -0 maasctl sub create s-meta --group g --model llm/granite=10/1m \
	    --billing-rate llm/granite=0.000002 --org acme --cost-center cc-7 \
	    --meta-label env=prod --display-name "Meta Sub" --description "with metadata"
	run -0 maasctl sub get s-meta -o 'jsonpath={.spec.tokenMetadata.organizationId} {.spec.tokenMetadata.costCenter} {.spec.tokenMetadata.labels.env} {.spec.modelRefs[0].billingRate.perToken} {.metadata.annotations.openshift\.io/display-name}'
	[ "$output" = "acme cc-7 prod 0.000002 Meta Sub" ]
}

@test "update replaces what the flags name and keeps the rest" {
	maasctl sub create s-upd --group g1 --model llm/granite=10/1m --org acme >/dev/null
	run -0 maasctl sub update s-upd --group g2 --group g3 --priority 7
	[ "$output" = "maassubscription.maas.opendatahub.io/s-upd configured" ]
	run -0 maasctl sub get s-upd -o 'jsonpath={.spec.owner.groups[*].name} {.spec.priority} {.spec.tokenMetadata.organizationId} {.spec.modelRefs[0].name}'
	[ "$output" = "g2 g3 7 acme granite" ]
	run -0 maasctl sub update s-upd --model llm/mistral=20/1h
	run -0 maasctl sub get s-upd -o 'jsonpath={.spec.modelRefs[*].name}'
	[ "$output" = mistral ]
}

@test "add-model, set-limit and remove-model" {
	maasctl sub create s-models --group g --model llm/granite=10/1m >/dev/null
	run -0 maasctl sub add-model s-models --model llm/mistral=50/1m
	[ "$output" = "maassubscription.maas.opendatahub.io/s-models configured" ]
	run -0 maasctl sub set-limit s-models --model llm/mistral=60/1m,600/1h
	run -0 maasctl sub get s-models -o 'jsonpath={range .spec.modelRefs[*]}{.name}={range .tokenRateLimits[*]}{.limit}/{.window},{end};{end}'
	[ "$output" = "granite=10/1m,;mistral=60/1m,600/1h,;" ]
	run -0 maasctl sub remove-model s-models --model llm/granite
	run -0 maasctl sub get s-models -o 'jsonpath={.spec.modelRefs[*].name}'
	[ "$output" = mistral ]
}

@test "delete, delete --ignore-not-found, delete --dry-run keeps it" {
	maasctl sub create s-del --group g --model llm/granite=10/1m >/dev/null
	run -0 maasctl sub delete s-del --dry-run=server
	[ "$output" = 'maassubscription.maas.opendatahub.io "s-del" deleted (server dry run)' ]
	run -0 maasctl sub delete s-del --dry-run
	[ "$output" = 'maassubscription.maas.opendatahub.io "s-del" deleted (dry run)' ]
	run -0 maasctl sub get s-del -o name
	run -0 maasctl sub delete s-del
	[ "$output" = 'maassubscription.maas.opendatahub.io "s-del" deleted' ]
	run -0 --separate-stderr maasctl sub delete s-del --ignore-not-found
	[ "$output" = "" ]
	[ "$stderr" = "" ]
}

@test "--dry-run (client) prints the object and contacts nothing" {
	# A server that does not exist: nothing is sent.
	run -0 maasctl --server https://127.0.0.1:1 sub create s-dry --group g \
	    --model llm/granite=50000/1h --dry-run -o yaml
	[ "${lines[0]}" = "apiVersion: maas.opendatahub.io/v1alpha1" ]
	[[ $output == *"limit: 50000"* ]]
	run -0 maasctl --server https://127.0.0.1:1 sub create s-dry --group g \
	    --model llm/granite=50000/1h --dry-run=client
	[ "$output" = "maassubscription.maas.opendatahub.io/s-dry created (dry run)" ]
	run -0 maasctl sub create s-dry --group g --model llm/granite=1/1m --dry-run=server
	[ "$output" = "maassubscription.maas.opendatahub.io/s-dry created (server dry run)" ]
	run -4 --separate-stderr maasctl sub get s-dry
	[ "$stderr" = 'Error from server (NotFound): maassubscriptions.maas.opendatahub.io "s-dry" not found' ]
}

# --wait: in $WAIT_NS, where the test plays the controller (admin.bash).
@test "--wait returns once the subscription is Active" {
	phase_when_created maassubscriptions "$WAIT_NS" s-wait Active
	run -0 --separate-stderr maasctl -n "$WAIT_NS" sub create s-wait --group g --model llm/granite=10/1m --wait=20s
	[ "$output" = "maassubscription.maas.opendatahub.io/s-wait created" ]
	[ "$stderr" = "MaaSSubscription $WAIT_NS/s-wait is Active" ]
}

@test "--wait exits 1 with the reason when the subscription fails" {
	phase_when_created maassubscriptions "$WAIT_NS" s-fail Failed
	run -1 --separate-stderr maasctl -n "$WAIT_NS" sub create s-fail --group g --model llm/granite=10/1m --wait=20s
	[ "$output" = "maassubscription.maas.opendatahub.io/s-fail created" ]
	[ "$stderr" = "maasctl: MaaSSubscription $WAIT_NS/s-fail failed: phase Failed (Ready=False ReconcileFailed: set by the test)" ]
}

@test "--wait exits 7 when the phase does not come in time" {
	run -7 --separate-stderr maasctl -n "$WAIT_NS" sub create s-slow --group g --model llm/granite=10/1m --wait=1s
	[ "$output" = "maassubscription.maas.opendatahub.io/s-slow created" ]
	[[ $stderr == "maasctl: timed out after 1s waiting for MaaSSubscription $WAIT_NS/s-slow to become Ready"* ]]
}

@test "completion: names from the live API, models as NS/NAME" {
	maasctl sub create s-comp --group g --model llm/granite=10/1m >/dev/null
	run -0 --separate-stderr maasctl __complete subscription get s-co
	[ "${lines[0]}" = s-comp ]
	[ "${lines[1]}" = ":4" ]
	run -0 --separate-stderr maasctl __complete sub create x --model llm/g
	[ "${lines[0]}" = llm/granite ]
	run -0 --separate-stderr maasctl __complete sub set-limit s-comp --model ''
	[[ $output == *llm/mistral* ]]
	run -0 --separate-stderr maasctl __complete sub ''
	[[ $output == *add-model* && $output == *set-limit* && $output == *remove-model* ]]
}

# The seed walkthrough (issue #4, Done-when 1): 50000 tokens per 1h for
# group calculus-users and the matching auth policy, each one command that
# returns once the object is Active, equal to what the reference samples
# give once their names are swapped (metadata, the namespace included,
# ignored).  It runs in $WAIT_NS, where the test sets the phases, so that
# it checks maasctl and not a controller's timing.
@test "seed walkthrough: subscription and auth policy equal the reference samples" {
	[ -d "$SAMPLES" ] || skip "reference samples not found at $SAMPLES"
	sed -e 's/premium-simulator-subscription/hand-sub/' -e 's/premium-user/calculus-users/' \
	    -e 's/premium-simulated-simulated-premium/granite/' -e 's/limit: 1000$/limit: 50000/' \
	    -e 's/window: 1m$/window: 1h/' "$SAMPLES/premium/maas/maas-subscription.yaml" |
	    sed "s/namespace: models-as-a-service/namespace: $WAIT_NS/" | maasctl apply -f - >/dev/null
	sed -e 's/premium-simulator-access/hand-access/' -e 's/premium-user/calculus-users/' \
	    -e 's/premium-simulated-simulated-premium/granite/' "$SAMPLES/premium/maas/maas-auth-policy.yaml" |
	    sed "s/namespace: models-as-a-service/namespace: $WAIT_NS/" | maasctl apply -f - >/dev/null
	phase_when_created maassubscriptions "$WAIT_NS" calculus-sub Active
	run -0 maasctl -n "$WAIT_NS" subscription create calculus-sub --group calculus-users \
	    --model llm/granite=50000/1h --priority 20 --wait=20s
	wait "$PHASER_PID"
	phase_when_created maasauthpolicies "$WAIT_NS" calculus-access Active
	run -0 maasctl -n "$WAIT_NS" authpolicy create calculus-access --group calculus-users \
	    --model llm/granite --wait=20s
	for pair in "maassubscriptions calculus-sub hand-sub" "maasauthpolicies calculus-access hand-access"; do
		set -- $pair
		run -0 maasctl get "$1" "$2" -n "$WAIT_NS" -o json
		ours=$(jq -S .spec <<<"$output")
		run -0 maasctl get "$1" "$3" -n "$WAIT_NS" -o json
		theirs=$(jq -S .spec <<<"$output")
		[ "$ours" = "$theirs" ] || { printf 'ours:   %s\ntheirs: %s\n' "$ours" "$theirs"; return 1; }
	done
	# The auth policy's spec is the sample's, field for field.
	run -0 jq -c . <<<"$ours"
	[ "$output" = '{"modelRefs":[{"name":"granite","namespace":"llm"}],"subjects":{"groups":[{"name":"calculus-users"}],"users":[]}}' ]
}
