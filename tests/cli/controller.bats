#!/usr/bin/env bats
# controller.bats: the sandbox controller (cli/sandbox/controller.c)
# reconciling as maas-controller does, observed through real kubectl:
# LLMInferenceService readiness, MaaSModelRef phases and conditions,
# MaaSSubscription/MaaSAuthPolicy phases and per-model statuses, the
# generated TokenRateLimitPolicy per model and AuthPolicy
# maas-gateway-auth, opendatahub.io/managed=false, deletion cleanup, the
# tenant webhook and identity conflicts.  The e2e behaviours of
# MAAS-ADMIN-TASKS.md section 5 items 16, 18, 19, 20, 24 and 25 each have a
# test named after them.
bats_require_minimum_version 1.5.0
load ../helpers/common
load ../helpers/sandbox

TNS=models-as-a-service

setup_file() {
	command -v kubectl >/dev/null || skip "kubectl is not installed"
	sandbox_start
}
teardown_file() { sandbox_stop; }

setup() {
	common_setup
	sandbox_use
	command -v kubectl >/dev/null || skip "kubectl is not installed"
	# Every test puts its models in a namespace of its own and prefixes
	# its subscriptions and policies (which share the tenant namespace).
	NS=m$BATS_TEST_NUMBER
	P=t$BATS_TEST_NUMBER
	kubectl create namespace "$NS" >/dev/null
}

teardown() { common_teardown; }

# Objects go in with kubectl apply; most reads use maasctl get (the same
# API and JSONPath, a tenth of kubectl's start-up cost on a loaded machine);
# waits use kubectl wait where kubectl can express them.

# llm_doc NAME [MODEL [DELAY [GATEWAY]]]: an LLMInferenceService in $NS.
llm_doc() {
	cat <<-EOF
	---
	apiVersion: serving.kserve.io/v1alpha1
	kind: LLMInferenceService
	metadata:
	  name: $1
	  namespace: $NS
	  annotations: {maas.sandbox/start-delay: "${3:-0.2s}"}
	spec:
	  model: {uri: hf://placeholder/no-model, name: ${2:-facebook/opt-125m}}
	  router:
	    route: {}
	    gateway:
	      refs: [{name: ${4:-maas-default-gateway}, namespace: openshift-ingress}]
	EOF
}

# mref_doc NAME [BACKEND [KIND]]: a MaaSModelRef in $NS.
mref_doc() {
	cat <<-EOF
	---
	apiVersion: maas.opendatahub.io/v1alpha1
	kind: MaaSModelRef
	metadata: {name: $1, namespace: $NS}
	spec:
	  modelRef: {kind: ${3:-LLMInferenceService}, name: ${2:-$1}}
	EOF
}

# sub_doc NAME PRIORITY MODEL=LIMIT/WINDOW...: a MaaSSubscription for group
# $P-users (models in $NS) in $SUBNS (default: the tenant namespace).
sub_doc() {
	local name=$1 prio=$2 m
	shift 2
	cat <<-EOF
	---
	apiVersion: maas.opendatahub.io/v1alpha1
	kind: MaaSSubscription
	metadata: {name: $name, namespace: ${SUBNS:-$TNS}}
	spec:
	  owner: {groups: [{name: $P-users}]}
	  priority: $prio
	  modelRefs:
	EOF
	for m in "$@"; do
		local lim=${m#*=}
		echo "  - {name: ${m%%=*}, namespace: $NS, tokenRateLimits: [{limit: ${lim%/*}, window: ${lim#*/}}]}"
	done
}

# ap_doc NAME MODEL...: a MaaSAuthPolicy for group $P-users.
ap_doc() {
	local name=$1 m
	shift
	cat <<-EOF
	---
	apiVersion: maas.opendatahub.io/v1alpha1
	kind: MaaSAuthPolicy
	metadata: {name: $name, namespace: ${SUBNS:-$TNS}}
	spec:
	  subjects: {groups: [{name: $P-users}]}
	  modelRefs:
	EOF
	for m in "$@"; do
		echo "  - {name: $m, namespace: $NS}"
	done
}

# apply: kubectl apply -f - quietly (stderr kept for run).
apply() { kubectl apply -f - >/dev/null; }

llmis() { llm_doc "$@" | apply; }
mref() { mref_doc "$@" | apply; }
sub() { sub_doc "$@" | apply; }
ap() { ap_doc "$@" | apply; }
# model NAME...: LLMInferenceServices and their MaaSModelRefs.
model() {
	local m
	for m in "$@"; do
		llm_doc "$m"
		mref_doc "$m"
	done | apply
}

# jp KIND NAME NS JSONPATH: print a field.
jp() { "$MAASCTL" get "$1" "$2" -n "$3" -o "jsonpath=$4"; }

# cond KIND NAME NS TYPE: "status reason" of a condition.
cond() {
	jp "$1" "$2" "$3" "{.status.conditions[?(@.type==\"$4\")].status} {.status.conditions[?(@.type==\"$4\")].reason}"
}

# eventually WANT KIND NAME NS JSONPATH: poll (10 s at most) until the
# field reads WANT; prints what it read last when it never does.
eventually() {
	local want=$1 got i
	shift
	for ((i = 0; i < 100; i++)); do
		got=$(jp "$@" 2>&1)
		[ "$got" = "$want" ] && return 0
		sleep 0.1
	done
	echo "$2/$3: $4 is \"$got\", not \"$want\"" >&2
	return 1
}

# phase KIND NAME NS WANT: wait until .status.phase is WANT.
phase() { eventually "$4" "$1" "$2" "$3" '{.status.phase}'; }

# gone KIND NAME NS: the object does not exist.
gone() {
	run -4 --separate-stderr "$MAASCTL" get "$1" "$2" -n "$3"
	[[ "$stderr" == *"\"$2\" not found" ]]
}

# settle: let the controller's batch run (it reacts within milliseconds).
settle() { sleep 0.3; }

# rv: the store's current resourceVersion.
rv() { kubectl get --raw /api/v1/namespaces | sed 's/.*"resourceVersion":"\([0-9]*\)".*/\1/'; }

@test "LLMInferenceService becomes Ready after its start delay, with the gateway URL" {
	# A delay long enough that a loaded machine still sees Deploying.
	llmis slow facebook/opt-125m 6s
	eventually "False Deploying" llminferenceservice slow "$NS" '{.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].reason}'
	run -0 kubectl wait --for=condition=Ready llminferenceservice/slow -n "$NS" --timeout=30s
	run -0 jp llminferenceservice slow "$NS" '{.status.url}'
	[ "$output" = "$SANDBOX_MAAS_URL/$NS/slow" ]
	run -0 jp llminferenceservice slow "$NS" '{.status.addresses[0].name} {.status.addresses[0].models[0].name}'
	[ "$output" = "gateway-external publishers/$NS/models/facebook/opt-125m" ]
	# KServe's route, on the MaaS gateway, path /<ns>/<name>
	run -0 jp httproute slow-kserve-route "$NS" '{.spec.parentRefs[0].name} {.spec.rules[0].matches[0].path.value} {.status.parents[0].conditions[0].status}'
	[ "$output" = "maas-default-gateway /$NS/slow True" ]
	# kubectl's table shows the URL and Ready columns
	run -0 kubectl get llmisvc slow -n "$NS" --no-headers
	[[ "$(tr -s ' ' <<<"$output")" == "slow $SANDBOX_MAAS_URL/$NS/slow True Ready "* ]]
}

@test "a bad start delay falls back to the default; ready=false keeps a model stopped" {
	llmis odd facebook/opt-125m never
	run -0 kubectl wait --for=condition=Ready llminferenceservice/odd -n "$NS" --timeout=10s
	run -0 kubectl annotate llminferenceservice odd -n "$NS" maas.sandbox/ready=false
	settle
	run -0 cond llminferenceservice odd "$NS" Ready
	[ "$output" = "False MinimumReplicasUnavailable" ]
	run -0 jp llminferenceservice odd "$NS" '{.status.url}'
	[ "$output" = "" ]
	run -0 kubectl annotate llminferenceservice odd -n "$NS" maas.sandbox/ready-
	run -0 kubectl wait --for=condition=Ready llminferenceservice/odd -n "$NS" --timeout=10s
}

@test "MaaSModelRef goes Pending -> Ready with endpoint and conditions; kubectl wait --for=condition=Ready" {
	model m1
	run -0 kubectl wait --for=condition=Ready llminferenceservice/m1 -n "$NS" --timeout=10s
	phase maasmodelref m1 "$NS" Pending
	run -0 cond maasmodelref m1 "$NS" Ready
	[ "$output" = "False NoPairingFound" ]
	run -0 cond maasmodelref m1 "$NS" RuntimeReady
	[ "$output" = "True RuntimeHealthy" ]
	run -0 jp maasmodelref m1 "$NS" '{.status.endpoint}'
	[ "$output" = "" ]
	ap "$P-ap" m1
	sub "$P-sub" 0 m1=100/1m
	run -0 kubectl wait --for=condition=Ready maasmodelref/m1 -n "$NS" --timeout=10s
	[ "$output" = "maasmodelref.maas.opendatahub.io/m1 condition met" ]
	run -0 jp maasmodelref m1 "$NS" '{.status.phase} {.status.endpoint} {.status.httpRouteName} {.status.httpRouteGatewayName} {.status.httpRouteGatewayNamespace} {.status.resolvedModelAlias}'
	[ "$output" = "Ready $SANDBOX_MAAS_URL/$NS/m1 m1-kserve-route maas-default-gateway openshift-ingress publishers/$NS/models/facebook/opt-125m" ]
	run -0 cond maasmodelref m1 "$NS" GovernanceAttached
	[ "$output" = "True GovernancePaired" ]
	run -0 cond maasmodelref m1 "$NS" ModelIdentityUnique
	[ "$output" = "True Unique" ]
	# the printer columns (what kubectl get shows)
	run -0 kubectl get mr m1 -n "$NS" --no-headers
	[[ "$(tr -s ' ' <<<"$output")" == "m1 Ready $SANDBOX_MAAS_URL/$NS/m1 m1-kserve-route maas-default-gateway "* ]]
}

@test "MaaSModelRef: Unhealthy when governed but the backend is down, Failed off the MaaS gateway, endpointOverride" {
	model m2
	ap "$P-ap" m2
	sub "$P-sub" 0 m2=100/1m
	phase maasmodelref m2 "$NS" Ready
	run -0 kubectl annotate llminferenceservice m2 -n "$NS" maas.sandbox/ready=false
	phase maasmodelref m2 "$NS" Unhealthy
	run -0 cond maasmodelref m2 "$NS" RuntimeReady
	[ "$output" = "False RuntimeHealthFailure" ]
	run -0 jp maasmodelref m2 "$NS" '{.status.endpoint}'
	[ "$output" = "" ]
	run -0 kubectl annotate llminferenceservice m2 -n "$NS" maas.sandbox/ready-
	phase maasmodelref m2 "$NS" Ready
	run -0 kubectl patch maasmodelref m2 -n "$NS" --type merge -p '{"spec":{"endpointOverride":"https://models.example.com/m2"}}'
	run -0 kubectl wait --for=jsonpath='{.status.endpoint}'=https://models.example.com/m2 maasmodelref/m2 -n "$NS" --timeout=10s
	# a backend not attached to maas-default-gateway cannot be served
	llmis detached facebook/opt-125m 0s other-gateway
	mref detached
	phase maasmodelref detached "$NS" Failed
	run -0 jp maasmodelref detached "$NS" '{.status.conditions[?(@.type=="Ready")].message}'
	[ "$output" = "LLMInferenceService $NS/detached is not attached to gateway openshift-ingress/maas-default-gateway (spec.router.gateway.refs)" ]
}

@test "ExternalModel refs are Ready without probing once governed" {
	kubectl create secret generic prov-key -n "$NS" --from-literal=api-key=x >/dev/null
	kubectl apply -f - >/dev/null <<-EOF
	apiVersion: maas.opendatahub.io/v1alpha1
	kind: ExternalModel
	metadata: {name: gpt, namespace: $NS}
	spec: {provider: openai, endpoint: api.openai.com, targetModel: gpt-4o, credentialRef: {name: prov-key}}
	EOF
	mref gpt gpt ExternalModel
	phase externalmodel.maas.opendatahub.io gpt "$NS" Ready
	phase maasmodelref gpt "$NS" Pending
	ap "$P-ap" gpt
	sub "$P-sub" 0 gpt=500/1h
	phase maasmodelref gpt "$NS" Ready
	run -0 jp maasmodelref gpt "$NS" '{.status.endpoint} {.status.resolvedModelAlias} {.status.httpRouteName}'
	[ "$output" = "$SANDBOX_MAAS_URL/$NS/gpt gpt-4o maas-gpt" ]
	run -0 jp tokenratelimitpolicy maas-trlp-gpt "$NS" '{.spec.targetRef.name}'
	[ "$output" = maas-gpt ]
}

@test "e2e 16: auth policy alone or subscription alone leaves a model ungoverned; both make it Ready" {
	model a b c
	# a: auth policy but no subscription -> no TRLP (default deny), Pending
	ap "$P-ap-a" a
	phase maasauthpolicy "$P-ap-a" $TNS Active
	phase maasmodelref a "$NS" Pending
	run -0 cond maasmodelref a "$NS" GovernanceAttached
	[ "$output" = "False GovernanceGap" ]
	run -1 --separate-stderr kubectl get tokenratelimitpolicy maas-trlp-a -n "$NS"
	[ "$stderr" = "Error from server (NotFound): tokenratelimitpolicies.kuadrant.io \"maas-trlp-a\" not found" ]
	# b: subscription but no auth policy -> TRLP, still Pending
	sub "$P-sub-b" 0 b=100/1m
	phase maassubscription "$P-sub-b" $TNS Active
	phase maasmodelref b "$NS" Pending
	run -0 cond maasmodelref b "$NS" GovernanceAttached
	[ "$output" = "False GovernanceGap" ]
	run -0 jp tokenratelimitpolicy maas-trlp-b "$NS" '{.metadata.name}'
	# c: unconfigured -> NoPairingFound, no TRLP
	phase maasmodelref c "$NS" Pending
	run -0 cond maasmodelref c "$NS" GovernanceAttached
	[ "$output" = "False NoPairingFound" ]
	gone tokenratelimitpolicy maas-trlp-c "$NS"
	# both -> Ready
	sub "$P-sub-a" 0 a=100/1m
	ap "$P-ap-b" b
	phase maasmodelref a "$NS" Ready
	phase maasmodelref b "$NS" Ready
}

@test "e2e 18: one TRLP per model from all subscriptions; OR-ed policies; deletions rebuild it" {
	model m
	# subscription created before the auth policy works once both exist
	sub "$P-one" 0 m=100/1m
	phase maasmodelref m "$NS" Pending
	ap "$P-ap1" m
	ap "$P-ap2" m
	phase maasmodelref m "$NS" Ready
	sub "$P-two" 5 m=1000/1h
	kubectl wait --for=jsonpath='{.metadata.annotations.maas\.opendatahub\.io/subscriptions}'="$TNS/$P-one,$TNS/$P-two" tokenratelimitpolicy/maas-trlp-m -n "$NS" --timeout=10s >/dev/null
	run -0 jp tokenratelimitpolicy maas-trlp-m "$NS" "{.spec.limits.$TNS-$P-one-m-tokens.rates[0].limit}/{.spec.limits.$TNS-$P-one-m-tokens.rates[0].window} {.spec.limits.$TNS-$P-two-m-tokens.rates[0].limit}/{.spec.limits.$TNS-$P-two-m-tokens.rates[0].window}"
	[ "$output" = "100/1m 1000/1h" ]
	run -0 jp tokenratelimitpolicy maas-trlp-m "$NS" "{.spec.limits.$TNS-$P-two-m-tokens.when[0].predicate}|{.spec.limits.$TNS-$P-two-m-tokens.counters[0].expression}"
	[ "$output" = "auth.identity.selected_subscription_key == \"$TNS/$P-two@$NS/m\" && !request.path.endsWith(\"/v1/models\")|auth.identity.userid" ]
	run -0 jp tokenratelimitpolicy maas-trlp-m "$NS" '{.spec.targetRef.kind}/{.spec.targetRef.name} {.metadata.labels.maas\.opendatahub\.io/model} {.metadata.labels.app\.kubernetes\.io/part-of} {.metadata.ownerReferences[0].kind} {.status.conditions[?(@.type=="Accepted")].status}'
	[ "$output" = "HTTPRoute/m-kserve-route m maas-subscription HTTPRoute True" ]
	# deleting one of two policies keeps the model Ready
	kubectl delete maasauthpolicy "$P-ap1" -n $TNS >/dev/null
	settle
	run -0 jp maasmodelref m "$NS" '{.status.phase}'
	[ "$output" = Ready ]
	# deleting the second subscription rebuilds the TRLP; it survives
	kubectl delete maassubscription "$P-two" -n $TNS >/dev/null
	kubectl wait --for=jsonpath='{.metadata.annotations.maas\.opendatahub\.io/subscriptions}'="$TNS/$P-one" tokenratelimitpolicy/maas-trlp-m -n "$NS" --timeout=10s >/dev/null
	run -0 jp tokenratelimitpolicy maas-trlp-m "$NS" '{.spec.limits}'
	[[ "$output" != *"$P-two"* ]]
	[[ "$output" == *"$TNS-$P-one-m-tokens"* ]]
	# deleting the last subscription removes it and ungoverns the model
	kubectl delete maassubscription "$P-one" -n $TNS >/dev/null
	phase maasmodelref m "$NS" Pending
	gone tokenratelimitpolicy maas-trlp-m "$NS"
}

@test "e2e 19: opendatahub.io/managed=false stops the controller updating a generated TRLP or AuthPolicy" {
	model m
	ap "$P-ap" m
	sub "$P-s1" 0 m=100/1m
	phase maasmodelref m "$NS" Ready
	# a managed TRLP edited by hand is put back
	run -0 kubectl patch tokenratelimitpolicy maas-trlp-m -n "$NS" --type merge -p "{\"spec\":{\"limits\":{\"$TNS-$P-s1-m-tokens\":{\"rates\":[{\"limit\":7,\"window\":\"1m\"}]}}}}"
	kubectl wait --for=jsonpath="{.spec.limits.$TNS-$P-s1-m-tokens.rates[0].limit}"=100 tokenratelimitpolicy/maas-trlp-m -n "$NS" --timeout=10s >/dev/null
	# with managed=false, hand edits stay and new subscriptions are not added
	run -0 kubectl annotate tokenratelimitpolicy maas-trlp-m -n "$NS" opendatahub.io/managed=false
	run -0 kubectl patch tokenratelimitpolicy maas-trlp-m -n "$NS" --type merge -p "{\"spec\":{\"limits\":{\"$TNS-$P-s1-m-tokens\":{\"rates\":[{\"limit\":7,\"window\":\"1m\"}]}}}}"
	sub "$P-s2" 0 m=500/1m
	phase maassubscription "$P-s2" $TNS Active
	settle
	run -0 jp tokenratelimitpolicy maas-trlp-m "$NS" "{.spec.limits.$TNS-$P-s1-m-tokens.rates[0].limit} {.metadata.annotations.maas\.opendatahub\.io/subscriptions}"
	[ "$output" = "7 $TNS/$P-s1" ]
	# nor deleted when no subscription lists the model any more
	kubectl delete maassubscription "$P-s1" "$P-s2" -n $TNS >/dev/null
	phase maasmodelref m "$NS" Pending
	run -0 jp tokenratelimitpolicy maas-trlp-m "$NS" '{.metadata.name}'
	[ "$output" = maas-trlp-m ]
	# the gateway AuthPolicy: put back when managed, left alone when not
	run -0 kubectl patch authpolicy maas-gateway-auth -n openshift-ingress --type merge -p '{"spec":{"targetRef":{"name":"elsewhere"}}}'
	kubectl wait --for=jsonpath='{.spec.targetRef.name}'=maas-default-gateway authpolicy/maas-gateway-auth -n openshift-ingress --timeout=10s >/dev/null
	run -0 kubectl annotate authpolicy maas-gateway-auth -n openshift-ingress opendatahub.io/managed=false
	run -0 kubectl patch authpolicy maas-gateway-auth -n openshift-ingress --type merge -p '{"spec":{"when":[{"predicate":"true"}]}}'
	settle
	run -0 jp authpolicy maas-gateway-auth openshift-ingress '{.spec.when[0].predicate}'
	[ "$output" = true ]
	run -0 kubectl annotate authpolicy maas-gateway-auth -n openshift-ingress opendatahub.io/managed-
	eventually "" authpolicy maas-gateway-auth openshift-ingress '{.spec.when}'
}

@test "e2e 20: subscription and auth policy phases and per-model statuses" {
	model ok gone
	sub "$P-good" 0 ok=100/1m
	phase maassubscription "$P-good" $TNS Active
	run -0 jp maassubscription "$P-good" $TNS '{.status.modelRefStatuses[0].ready} {.status.modelRefStatuses[0].reason} {.status.tokenRateLimitStatuses[0].name} {.status.tokenRateLimitStatuses[0].ready} {.status.tokenRateLimitStatuses[0].reason}'
	[ "$output" = "true Valid maas-trlp-ok true Accepted" ]
	run -0 cond maassubscription "$P-good" $TNS Ready
	[ "$output" = "True Reconciled" ]
	# all models missing -> Failed (NotFound)
	sub "$P-none" 0 nope=100/1m
	phase maassubscription "$P-none" $TNS Failed
	run -0 jp maassubscription "$P-none" $TNS '{.status.modelRefStatuses[0].ready} {.status.modelRefStatuses[0].reason}'
	[ "$output" = "false NotFound" ]
	run -0 cond maassubscription "$P-none" $TNS Ready
	[ "$output" = "False ReconcileFailed" ]
	# some missing -> Degraded
	sub "$P-some" 0 ok=100/1m nope=100/1m
	phase maassubscription "$P-some" $TNS Degraded
	run -0 cond maassubscription "$P-some" $TNS Ready
	[ "$output" = "False PartialFailure" ]
	# auth policies: Active with empty authPolicies, Failed, Degraded
	ap "$P-ap" ok
	phase maasauthpolicy "$P-ap" $TNS Active
	run -0 jp maasauthpolicy "$P-ap" $TNS '{.status.authPolicies}'
	[ "$output" = "[]" ]
	run -0 cond maasauthpolicy "$P-ap" $TNS ConflictingAuthPolicy
	[ "$output" = "False NoConflict" ]
	ap "$P-ap-none" nope
	phase maasauthpolicy "$P-ap-none" $TNS Failed
	run -0 jp maasauthpolicy "$P-ap-none" $TNS '{.status.conditions[?(@.type=="Ready")].message}'
	[ "$output" = "all 1 model references are invalid or missing: $NS/nope" ]
	ap "$P-ap-some" ok nope
	phase maasauthpolicy "$P-ap-some" $TNS Degraded
	# model deletion moves Active -> Degraded / Failed
	sub "$P-two" 0 ok=100/1m gone=100/1m
	phase maassubscription "$P-two" $TNS Active
	kubectl delete maasmodelref gone -n "$NS" >/dev/null
	phase maassubscription "$P-two" $TNS Degraded
	kubectl delete maasmodelref ok -n "$NS" >/dev/null
	phase maassubscription "$P-good" $TNS Failed
	phase maasauthpolicy "$P-ap" $TNS Failed
	# a backend that is not ready leaves the TRLP not ready: Degraded
	model slow
	sub "$P-slow" 0 slow=100/1m
	phase maassubscription "$P-slow" $TNS Active
	kubectl delete llminferenceservice slow -n "$NS" >/dev/null
	phase maassubscription "$P-slow" $TNS Degraded
	run -0 jp maassubscription "$P-slow" $TNS '{.status.tokenRateLimitStatuses[0].ready} {.status.tokenRateLimitStatuses[0].reason}'
	[ "$output" = "false BackendNotReady" ]
	# windows the controller rejects (> 8784h) leave the TRLP without it
	model long
	sub "$P-long" 0 long=100/9000h
	phase maassubscription "$P-long" $TNS Degraded
	run -0 jp maassubscription "$P-long" $TNS '{.status.tokenRateLimitStatuses[0].reason}: {.status.tokenRateLimitStatuses[0].message}'
	[ "$output" = "NotAccepted: token rate limit window 9000h exceeds 8784h (366 days)" ]
	gone tokenratelimitpolicy maas-trlp-long "$NS"
	# a status patched by hand stays until the spec changes
	run -0 kubectl patch maassubscription "$P-slow" -n $TNS --subresource=status --type merge -p '{"status":{"phase":"Failed"}}'
	settle
	run -0 jp maassubscription "$P-slow" $TNS '{.status.phase}'
	[ "$output" = Failed ]
}

@test "e2e 20: SpecPriorityDuplicate flags subscriptions sharing a priority" {
	model m
	sub "$P-x" 4711 m=100/1m
	sub "$P-y" 4711 m=100/1m
	sub "$P-z" 4712 m=100/1m
	phase maassubscription "$P-y" $TNS Active
	settle
	run -0 jp maassubscription "$P-x" $TNS '{.status.conditions[?(@.type=="SpecPriorityDuplicate")].status} {.status.conditions[?(@.type=="SpecPriorityDuplicate")].message}'
	[ "$output" = "True spec.priority 4711 is shared with: $P-y" ]
	run -0 jp maassubscription "$P-z" $TNS '{.status.conditions[?(@.type=="SpecPriorityDuplicate")].status}'
	[ "$output" = "" ]
	kubectl patch maassubscription "$P-y" -n $TNS --type merge -p '{"spec":{"priority":4713}}' >/dev/null
	eventually "" maassubscription "$P-x" $TNS '{.status.conditions[?(@.type=="SpecPriorityDuplicate")].status}'
}

@test "e2e 24: CRs outside tenant namespaces are rejected by the webhook or not reconciled" {
	model m
	SUBNS=$NS run -1 --separate-stderr sub "$P-out" 0 m=100/1m
	[ "$stderr" = "Error from server (Forbidden): error when creating \"STDIN\": admission webhook \"vmaassubscription-v1alpha1.kb.io\" denied the request: namespace \"$NS\" is not enabled for MaaS tenant resources. Create a MaasTenantConfig CR in this namespace to enable it." ]
	SUBNS=$NS run -1 --separate-stderr ap "$P-out" m
	[[ "$stderr" == *'admission webhook "vmaasauthpolicy-v1alpha1.kb.io" denied the request: namespace "'$NS'" is not enabled'* ]]
	gone maassubscription "$P-out" "$NS"
	# with a MaasTenantConfig the CRs are admitted, but a namespace that is
	# not a (discovered) tenant namespace is not reconciled and does not
	# govern the model
	kubectl apply -f - >/dev/null <<-EOF
	apiVersion: maas.opendatahub.io/v1alpha1
	kind: MaasTenantConfig
	metadata: {name: default-tenant, namespace: $NS}
	spec: {}
	EOF
	SUBNS=$NS run -0 sub "$P-out" 0 m=100/1m
	SUBNS=$NS run -0 ap "$P-out" m
	settle
	run -0 jp maassubscription "$P-out" "$NS" '{.status}'
	[ "$output" = "" ]
	run -0 jp maasmodelref m "$NS" '{.status.phase}'
	[ "$output" = Pending ]
	gone tokenratelimitpolicy maas-trlp-m "$NS"
	# labelled for tenant discovery, the namespace counts
	run -0 kubectl label namespace "$NS" maas.opendatahub.io/managed-by-aitenant=true
	phase maassubscription "$P-out" "$NS" Active
	phase maasmodelref m "$NS" Ready
	# a tenantRef must name an existing AITenant
	run -1 --separate-stderr kubectl patch maasmodelref m -n "$NS" --type merge -p '{"spec":{"tenantRef":"acme"}}'
	[ "$stderr" = 'Error from server (Forbidden): admission webhook "vmaasmodelref-v1alpha1.kb.io" denied the request: spec.tenantRef "acme" references AITenant that does not exist in namespace ai-tenants' ]
}

@test "e2e 25: colliding resolved aliases flag ModelIdentityUnique=False, then clear" {
	llmis one facebook/opt-125m
	llmis two facebook/opt-125m
	mref one
	mref two
	kubectl wait --for=jsonpath='{.status.conditions[?(@.type=="ModelIdentityUnique")].status}'=False maasmodelref/one -n "$NS" --timeout=10s >/dev/null
	run -0 jp maasmodelref one "$NS" '{.status.conditions[?(@.type=="ModelIdentityUnique")].reason}: {.status.conditions[?(@.type=="ModelIdentityUnique")].message}'
	[ "$output" = "IdentityConflict: resolved model alias publishers/$NS/models/facebook/opt-125m is also used by MaaSModelRef $NS/two" ]
	run -0 cond maasmodelref two "$NS" ModelIdentityUnique
	[ "$output" = "False IdentityConflict" ]
	# resolved: the second model serves another name
	kubectl patch llminferenceservice two -n "$NS" --type merge -p '{"spec":{"model":{"name":"other/model"}}}' >/dev/null
	kubectl wait --for=jsonpath='{.status.conditions[?(@.type=="ModelIdentityUnique")].status}'=True maasmodelref/one -n "$NS" --timeout=10s >/dev/null
	kubectl wait --for=jsonpath='{.status.conditions[?(@.type=="ModelIdentityUnique")].status}'=True maasmodelref/two -n "$NS" --timeout=10s >/dev/null
	run -0 jp maasmodelref two "$NS" '{.status.resolvedModelAlias}'
	[ "$output" = "publishers/$NS/models/other/model" ]
}

@test "deleting a backend or a model ref cleans up generated objects" {
	model m
	ap "$P-ap" m
	sub "$P-s" 0 m=100/1m
	phase maasmodelref m "$NS" Ready
	run -0 jp tokenratelimitpolicy maas-trlp-m "$NS" '{.metadata.name}'
	kubectl delete maasmodelref m -n "$NS" >/dev/null
	phase maassubscription "$P-s" $TNS Failed
	gone tokenratelimitpolicy maas-trlp-m "$NS"
	# recreated, it is governed again at once
	mref m
	phase maasmodelref m "$NS" Ready
	run -0 jp tokenratelimitpolicy maas-trlp-m "$NS" '{.metadata.name}'
	# deleting the LLMInferenceService removes its route and the TRLP
	kubectl delete llminferenceservice m -n "$NS" >/dev/null
	phase maasmodelref m "$NS" Unhealthy
	gone httproute m-kserve-route "$NS"
	gone tokenratelimitpolicy maas-trlp-m "$NS"
	# deleting the subscription and policy leaves nothing behind
	kubectl delete maassubscription "$P-s" -n $TNS >/dev/null
	kubectl delete maasauthpolicy "$P-ap" -n $TNS >/dev/null
	phase maasmodelref m "$NS" Pending
}

@test "the gateway AuthPolicy maas-gateway-auth exists, is enforced, and is recreated" {
	run -0 jp authpolicy maas-gateway-auth openshift-ingress '{.spec.targetRef.kind}/{.spec.targetRef.name} {.status.conditions[?(@.type=="Enforced")].status}'
	[ "$output" = "Gateway/maas-default-gateway True" ]
	run -0 kubectl get authpolicies -A -o name
	[ "$output" = "authpolicy.kuadrant.io/maas-gateway-auth" ]
	kubectl delete authpolicy maas-gateway-auth -n openshift-ingress >/dev/null
	kubectl wait --for=condition=Enforced authpolicy/maas-gateway-auth -n openshift-ingress --timeout=10s >/dev/null
	# a non-MaaS AuthPolicy on a model's route is a conflict
	model m
	ap "$P-ap" m
	phase maasauthpolicy "$P-ap" $TNS Active
	kubectl apply -f - >/dev/null <<-EOF
	apiVersion: kuadrant.io/v1
	kind: AuthPolicy
	metadata: {name: mine, namespace: $NS}
	spec:
	  targetRef: {group: gateway.networking.k8s.io, kind: HTTPRoute, name: m-kserve-route}
	EOF
	kubectl wait --for=condition=ConflictingAuthPolicy maasauthpolicy/"$P-ap" -n $TNS --timeout=10s >/dev/null
	run -0 jp maasauthpolicy "$P-ap" $TNS '{.status.conditions[?(@.type=="ConflictingAuthPolicy")].message}'
	[ "$output" = "AuthPolicy $NS/mine targets HTTPRoute m-kserve-route of model $NS/m" ]
}

@test "short names sub, subs, ap and mr" {
	model m
	ap "$P-ap" m
	sub "$P-s" 0 m=100/1m
	run -0 kubectl get sub "$P-s" -n $TNS -o name
	[ "$output" = "maassubscription.maas.opendatahub.io/$P-s" ]
	run -0 kubectl get subs "$P-s" -n $TNS -o name
	[ "$output" = "maassubscription.maas.opendatahub.io/$P-s" ]
	run -0 kubectl get ap "$P-ap" -n $TNS -o name
	[ "$output" = "maasauthpolicy.maas.opendatahub.io/$P-ap" ]
	run -0 kubectl get mr m -n "$NS" -o name
	[ "$output" = "maasmodelref.maas.opendatahub.io/m" ]
}

@test "the controller writes nothing when nothing changed" {
	model m
	ap "$P-ap" m
	sub "$P-s" 0 m=100/1m
	phase maasmodelref m "$NS" Ready
	settle
	before=$(rv)
	sleep 1
	[ "$(rv)" = "$before" ]
	# re-applying identical manifests changes nothing either
	ap "$P-ap" m
	sub "$P-s" 0 m=100/1m
	settle
	[ "$(rv)" = "$before" ]
}

# phases PREFIX: "PHASE COUNT" lines of the tenant subscriptions named
# PREFIX*, sorted.
phases() {
	"$MAASCTL" get maassubscriptions -n $TNS -o 'jsonpath={range .items[*]}{.metadata.name} {.status.phase}{"\n"}{end}' |
	    awk -v p="$1" 'index($1, p) == 1 { n[$2]++ } END { for (k in n) print k, n[k] }' | sort
}

# all_phase PREFIX N WANT: poll (30 s at most) until all N are WANT.
all_phase() {
	local got i
	for ((i = 0; i < 300; i++)); do
		got=$(phases "$1")
		[ "$got" = "$3 $2" ] && return 0
		sleep 0.1
	done
	echo "subscriptions $1*: $got, not $3 $2" >&2
	return 1
}

@test "a bulk apply of 45 subscriptions of one model: all reconciled, long priority groups, the model arriving afterwards" {
	local i
	for ((i = 0; i < 45; i++)); do
		sub_doc "$(printf '%s-s%02d' "$P" $i)" $((7000 + i % 3)) bulk=100/1m
	done | apply
	all_phase "$P-s" 45 Failed
	# 15 share each priority: the condition names the first ten others
	run -0 jp maassubscription "$P-s00" $TNS '{.status.conditions[?(@.type=="SpecPriorityDuplicate")].message}'
	[ "$output" = "spec.priority 7000 is shared with: $P-s03, $P-s06, $P-s09, $P-s12, $P-s15, $P-s18, $P-s21, $P-s24, $P-s27, $P-s30, ..." ]
	run -0 jp maassubscription "$P-s44" $TNS '{.status.conditions[?(@.type=="SpecPriorityDuplicate")].message}'
	[ "$output" = "spec.priority 7002 is shared with: $P-s02, $P-s05, $P-s08, $P-s11, $P-s14, $P-s17, $P-s20, $P-s23, $P-s26, $P-s29, ..." ]
	# the model arrives: every subscription listing it turns Active, and
	# its one TRLP carries all 45
	model bulk
	all_phase "$P-s" 45 Active
	run -0 jp tokenratelimitpolicy maas-trlp-bulk "$NS" '{.metadata.annotations.maas\.opendatahub\.io/subscriptions}'
	[ "$(tr ',' '\n' <<<"$output" | grep -c "^$TNS/$P-s")" -eq 45 ]
	# deleting the first 15 rebuilds it with the other 30, and the
	# priority groups lose their first five names each
	for ((i = 0; i < 15; i++)); do
		printf '%s-s%02d\n' "$P" $i
	done | xargs kubectl delete maassubscription -n $TNS >/dev/null
	for ((i = 0; i < 300; i++)); do
		n=$(jp tokenratelimitpolicy maas-trlp-bulk "$NS" '{.metadata.annotations.maas\.opendatahub\.io/subscriptions}' | tr ',' '\n' | grep -c "^$TNS/$P-s")
		[ "$n" -eq 30 ] && break
		sleep 0.1
	done
	[ "$n" -eq 30 ]
	eventually "spec.priority 7000 is shared with: $P-s15, $P-s18, $P-s21, $P-s24, $P-s27, $P-s30, $P-s33, $P-s36, $P-s39" maassubscription "$P-s42" $TNS '{.status.conditions[?(@.type=="SpecPriorityDuplicate")].message}'
	all_phase "$P-s" 30 Active
}

@test "after a restart on new ports, URLs and endpoints follow the gateway" {
	model m
	ap "$P-ap" m
	sub "$P-s" 0 m=100/1m
	phase maasmodelref m "$NS" Ready
	old=$SANDBOX_MAAS_URL
	sandbox_down "$SANDBOX_DIR"
	MAASCTL_CONFIG=$SANDBOX_CONFIG sandbox_up "$SANDBOX_DIR"
	export SANDBOX_PID SANDBOX_API_URL SANDBOX_MAAS_URL SANDBOX_ADMIN_TOKEN
	sandbox_use
	[ "$SANDBOX_MAAS_URL" != "$old" ]
	eventually "Ready $SANDBOX_MAAS_URL/$NS/m" maasmodelref m "$NS" '{.status.phase} {.status.endpoint}'
	run -0 jp llminferenceservice m "$NS" '{.status.url}'
	[ "$output" = "$SANDBOX_MAAS_URL/$NS/m" ]
	run -0 jp maassubscription "$P-s" $TNS '{.status.phase}'
	[ "$output" = Active ]
}
