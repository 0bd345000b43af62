#!/usr/bin/env bats
# sandbox-list.bats: the sandbox API server's list path, asked directly
# (curl) and through maasctl: pages of ?limit= walked with the continue
# token visit every object once in (namespace, name) order, the list's
# resourceVersion, a bad continue token, server-side Tables paged the
# same way, selectors, and lists served from the store's cache staying
# right across writes, deletes and a restart.
bats_require_minimum_version 1.5.0
load ../helpers/common
load ../helpers/sandbox

NS=models-as-a-service
SUBS=/apis/maas.opendatahub.io/v1alpha1/namespaces/models-as-a-service/maassubscriptions
ALL=/apis/maas.opendatahub.io/v1alpha1/maassubscriptions
TABLE='Accept: application/json;as=Table;v=v1;g=meta.k8s.io,application/json'

# sub NAME LABEL [PRIORITY]: a MaaSSubscription manifest.
sub() {
	cat <<-Y
	---
	apiVersion: maas.opendatahub.io/v1alpha1
	kind: MaaSSubscription
	metadata:
	  name: $1
	  namespace: $NS
	  labels: {set: $2}
	spec:
	  owner:
	    groups:
	    - name: g-$1
	  modelRefs:
	  - name: granite
	    namespace: llm
	    tokenRateLimits:
	    - limit: 100
	      window: 1m
	  priority: ${3:-1}
	Y
}

setup_file() {
	sandbox_start
	local s
	for s in c a e b d; do sub "pl-$s" "$s"; done >"$BATS_FILE_TMPDIR/subs.yaml"
	MAASCTL_CONFIG=$SANDBOX_CONFIG MAASCTL_PROFILE=sandbox \
	    KUBECONFIG=$SANDBOX_KUBECONFIG "$MAASCTL" apply \
	    -f "$BATS_FILE_TMPDIR/subs.yaml" >/dev/null
}
teardown_file() { sandbox_stop; }

setup() { common_setup; sandbox_use; }
teardown() { common_teardown; }

# api PATH [CURL ARGS...]: GET PATH from the sandbox's API as the admin.
api() {
	local p=$1
	shift
	sandbox_curl -H "Authorization: Bearer $SANDBOX_ADMIN_TOKEN" "$@" \
	    "$SANDBOX_API_URL$p"
}

# walk PATH LIMIT [CURL ARGS...]: follow continue tokens; prints one line
# per page: "<continue or -> <rv> <names...>" (items or Table rows).
walk() {
	local p=$1 limit=$2 cont="" q page
	shift 2
	while :; do
		q="$p?limit=$limit"
		[ -n "$cont" ] && q="$q&continue=$cont"
		page=$(api "$q" "$@") || return 1
		cont=$(jq -r '.metadata.continue // ""' <<<"$page")
		printf '%s %s %s\n' "${cont:--}" \
		    "$(jq -r '.metadata.resourceVersion' <<<"$page")" \
		    "$(jq -r '[(.items // .rows)[] | (.metadata.name // .cells[0])] | join(" ")' <<<"$page")"
		[ -n "$cont" ] || break
		cont=$(jq -rn --arg c "$cont" '$c | @uri')
	done
}

@test "list pages: limit=2 walks all five subscriptions once, in name order" {
	run -0 --separate-stderr walk "$SUBS" 2
	[ "${#lines[@]}" -eq 3 ]
	[[ ${lines[0]} =~ ^[A-Za-z0-9+/=]+\ [0-9]+\ pl-a\ pl-b$ ]]
	[[ ${lines[1]} =~ ^[A-Za-z0-9+/=]+\ [0-9]+\ pl-c\ pl-d$ ]]
	[[ ${lines[2]} =~ ^-\ [0-9]+\ pl-e$ ]]
	# a page ends exactly at the limit: no token after the last object
	run -0 --separate-stderr walk "$SUBS" 5
	[[ ${lines[0]} =~ ^-\ [0-9]+\ pl-a\ pl-b\ pl-c\ pl-d\ pl-e$ ]]
	[ "${#lines[@]}" -eq 1 ]
}

@test "list: kind, apiVersion and every item's resourceVersion against the list's" {
	run -0 --separate-stderr api "$SUBS?limit=3"
	[ "$(jq -r '.kind + " " + .apiVersion' <<<"$output")" = "MaaSSubscriptionList maas.opendatahub.io/v1alpha1" ]
	[ "$(jq -r '[.items[] | .kind + "/" + .apiVersion] | unique | join(",")' <<<"$output")" = "MaaSSubscription/maas.opendatahub.io/v1alpha1" ]
	local rv
	rv=$(jq -r '.metadata.resourceVersion' <<<"$output")
	[[ $rv =~ ^[1-9][0-9]*$ ]]
	# no object is newer than the list that holds it
	[ "$(jq --argjson rv "$rv" '[.items[] | .metadata.resourceVersion | tonumber | select(. > $rv)] | length' <<<"$output")" -eq 0 ]
	# the objects as stored: managedFields and status are there
	[ "$(jq -r '[.items[0].metadata.managedFields[].manager] | join(",")' <<<"$output")" = "kubectl-client-side-apply,maas-controller" ]
	[ "$(jq -r '.items[0].status.phase' <<<"$output")" = "Failed" ]
	[ "$(jq -r '.items[0].spec.owner.groups[0].name' <<<"$output")" = "g-pl-a" ]
}

@test "list: a continue token that is not base64 is a 400 Status" {
	run -0 --separate-stderr api "$SUBS?limit=2&continue=%25%25%25" -w '\n%{http_code}'
	[ "${lines[-1]}" = "400" ]
	[ "$(jq -r '.kind + " " + .reason + ": " + .message' <<<"${lines[0]}")" = \
	    "Status BadRequest: continue key is not valid: illegal base64 data" ]
}

@test "list: server-side Table pages the same way, with printer columns" {
	run -0 --separate-stderr walk "$SUBS" 2 -H "$TABLE"
	[ "${#lines[@]}" -eq 3 ]
	[[ ${lines[0]} =~ \ pl-a\ pl-b$ ]]
	[[ ${lines[1]} =~ \ pl-c\ pl-d$ ]]
	[[ ${lines[2]} =~ ^-\ [0-9]+\ pl-e$ ]]
	run -0 --separate-stderr api "$SUBS?limit=1" -H "$TABLE"
	[ "$(jq -r '.kind + " " + .apiVersion' <<<"$output")" = "Table meta.k8s.io/v1" ]
	[ "$(jq -r '[.columnDefinitions[].name] | join(",")' <<<"$output")" = "Name,Phase,Priority,Age" ]
	[ "$(jq -r '.rows[0].cells[0:3] | map(tostring) | join(",")' <<<"$output")" = "pl-a,Failed,1" ]
	[ "$(jq -r '.rows[0].object.kind' <<<"$output")" = "PartialObjectMetadata" ]
	# kubectl pages with its own chunk size and prints every row
	run -0 --separate-stderr kubectl get maassubscriptions -n $NS --chunk-size=2 --no-headers
	[ "${#lines[@]}" -eq 5 ]
	[[ ${lines[4]} =~ ^pl-e\ +Failed\ +1\ + ]]
}

@test "list: label and field selectors page over the matching objects only" {
	# as kube-apiserver: a full page says there may be more (pl-e, which
	# does not match, is still ahead), and the last page is empty
	run -0 --separate-stderr walk "$SUBS" 1 --get --data-urlencode 'labelSelector=set in (b,d)'
	[ "${#lines[@]}" -eq 3 ]
	[[ ${lines[0]} =~ ^[A-Za-z0-9+/=]+\ [0-9]+\ pl-b$ ]]
	[[ ${lines[1]} =~ ^[A-Za-z0-9+/=]+\ [0-9]+\ pl-d$ ]]
	[[ ${lines[2]} =~ ^-\ [0-9]+\ $ ]]
	run -0 --separate-stderr walk "$SUBS" 2 --get --data-urlencode 'labelSelector=set notin (b,d)'
	[ "${#lines[@]}" -eq 2 ]
	[[ ${lines[0]} =~ \ pl-a\ pl-c$ ]]
	[[ ${lines[1]} =~ ^-\ [0-9]+\ pl-e$ ]]
	run -0 --separate-stderr api "$SUBS?fieldSelector=metadata.name%3Dpl-c"
	[ "$(jq -r '[.items[].metadata.name] | join(",")' <<<"$output")" = "pl-c" ]
	run -0 --separate-stderr api "$ALL?limit=500&fieldSelector=metadata.namespace%3Ddefault"
	[ "$(jq -r '.items | length' <<<"$output")" -eq 0 ]
}

@test "list after writes: an update, a create and a delete show at once" {
	run -0 --separate-stderr api "$SUBS"
	local rv0
	rv0=$(jq -r '.metadata.resourceVersion' <<<"$output")
	run -0 --separate-stderr maasctl subscription update pl-b --priority 7
	run -0 --separate-stderr maasctl subscription create pl-f --group g --model llm/granite=1/1m --no-model-check
	run -0 --separate-stderr maasctl subscription delete pl-a
	run -0 --separate-stderr api "$SUBS"
	[ "$(jq -r '[.items[].metadata.name] | join(",")' <<<"$output")" = "pl-b,pl-c,pl-d,pl-e,pl-f" ]
	[ "$(jq -r '.items[0].spec.priority' <<<"$output")" = "7" ]
	[ "$(jq -r '.metadata.resourceVersion' <<<"$output")" -gt "$rv0" ]
	run -0 --separate-stderr maasctl subscription list --no-headers
	[ "${#lines[@]}" -eq 5 ]
	[[ ${lines[0]} =~ ^pl-b\ +[A-Za-z]+\ +7\ + ]]
	sub pl-a a >"$BATS_TEST_TMPDIR/a.yaml"
	run -0 --separate-stderr maasctl apply -f "$BATS_TEST_TMPDIR/a.yaml"
	run -0 --separate-stderr maasctl subscription delete pl-f
}

# same_rows CMD...: `CMD list -o wide` and `CMD get <those names> -o wide`
# print the same table (a list parses only the members its columns read,
# get the whole objects), AGE aside: it may tick between the two.
same_rows() {
	local names list get
	mapfile -t names < <(maasctl "$@" list -o name | sed 's|.*/||')
	[ "${#names[@]}" -gt 0 ] || return 1
	list=$(maasctl "$@" list -o wide | age_masked) || return 1
	get=$(maasctl "$@" get "${names[@]}" -o wide | age_masked) || return 1
	[ "$list" = "$get" ] && return 0
	diff <(echo "$list") <(echo "$get") >&2
	return 1
}

# age_masked: table lines with runs of spaces squeezed and each AGE cell
# ("45s", "3m12s", "6y328d") replaced by "AGE".
age_masked() {
	sed -E 's/ +/ /g; s/(^| )[0-9]+[smhdy]([0-9]+[smhd])?( |$)/\1AGE\3/g'
}

@test "list tables parse only what their columns read: the rows get prints from whole objects" {
	cat >"$BATS_TEST_TMPDIR/cols.yaml" <<-Y
	---
	apiVersion: v1
	kind: Namespace
	metadata: {name: llm}
	---
	apiVersion: serving.kserve.io/v1alpha1
	kind: LLMInferenceService
	metadata:
	  name: colm
	  namespace: llm
	  annotations: {maas.sandbox/start-delay: "0s"}
	spec:
	  model: {uri: hf://placeholder/no-model, name: facebook/opt-125m}
	  router:
	    route: {}
	    gateway:
	      refs: [{name: maas-default-gateway, namespace: openshift-ingress}]
	---
	apiVersion: maas.opendatahub.io/v1alpha1
	kind: MaaSModelRef
	metadata:
	  name: colm
	  namespace: llm
	  annotations: {openshift.io/display-name: "Column model"}
	spec:
	  modelRef: {kind: LLMInferenceService, name: colm}
	---
	apiVersion: maas.opendatahub.io/v1alpha1
	kind: MaaSAuthPolicy
	metadata: {name: col-ap, namespace: $NS}
	spec:
	  subjects: {groups: [{name: col-g}], users: [col-u]}
	  modelRefs: [{name: colm, namespace: llm}]
	  meteringMetadata: {organizationId: org-ap}
	---
	apiVersion: maas.opendatahub.io/v1alpha1
	kind: MaaSSubscription
	metadata: {name: col-sub, namespace: $NS}
	spec:
	  owner: {groups: [{name: col-g}], users: [col-u]}
	  priority: 3
	  modelRefs:
	  - name: colm
	    namespace: llm
	    tokenRateLimits: [{limit: 100, window: 1m}, {limit: 5000, window: 24h}]
	  tokenMetadata: {organizationId: org-s, costCenter: cc-1}
	Y
	run -0 --separate-stderr maasctl apply -f "$BATS_TEST_TMPDIR/cols.yaml"
	# the controller's status: the model Ready with an endpoint and a
	# route, the policy and the subscription Active
	local i=0 mr ap sp
	while :; do
		mr=$(api /apis/maas.opendatahub.io/v1alpha1/namespaces/llm/maasmodelrefs/colm | jq -r '.status.phase + " " + (.status.endpoint // "") + " " + (.status.httpRouteName // "")')
		ap=$(api "/apis/maas.opendatahub.io/v1alpha1/namespaces/$NS/maasauthpolicies/col-ap" | jq -r '.status.phase // ""')
		sp=$(api "$SUBS/col-sub" | jq -r '.status.phase // ""')
		[[ $mr =~ ^Ready\ [^\ ]+\ [^\ ]+$ ]] && [ "$ap" = Active ] && [ "$sp" = Active ] && break
		[ $((i += 1)) -lt 150 ] || { echo "not reconciled: mr=$mr ap=$ap sub=$sp" >&2; return 1; }
		sleep 0.2
	done
	run -0 --separate-stderr maasctl modelref list -n llm -o wide --no-headers
	[[ $output =~ ^colm\ +Ready\ +LLMInferenceService/colm\ +[^\ ]+\ +[0-9][0-9a-z]*\ +Column\ model\ +[^\ ]+$ ]]
	run -0 --separate-stderr maasctl authpolicy list -o wide --no-headers
	[[ $output =~ ^col-ap\ +Active\ +group:col-g,user:col-u\ +llm/colm\ +[0-9][0-9a-z]*\ +[^\ ]+\ +org-ap$ ]]
	run -0 --separate-stderr maasctl subscription list -o wide --no-headers
	[[ ${lines[0]} =~ ^col-sub\ +Active\ +3\ +group:col-g,user:col-u\ +llm/colm\ +[0-9][0-9a-z]*\ +colm=100/1m,5000/24h\ +org-s$ ]]
	local mr_same=0 ap_same=0 sub_same=0
	same_rows modelref -n llm || mr_same=$?
	same_rows authpolicy || ap_same=$?
	same_rows subscription || sub_same=$?
	# the later tests count five subscriptions
	run -0 --separate-stderr maasctl subscription delete col-sub
	run -0 --separate-stderr maasctl authpolicy delete col-ap
	[ "$mr_same$ap_same$sub_same" = 000 ]
}

@test "list after a restart: the same objects, resourceVersion not going back" {
	run -0 --separate-stderr api "$SUBS"
	local before rv0
	before=$(jq -c '[.items[] | [.metadata.name, .metadata.uid, .spec]]' <<<"$output")
	rv0=$(jq -r '.metadata.resourceVersion' <<<"$output")
	run -0 --separate-stderr maasctl sandbox down --state-dir "$SANDBOX_DIR"
	MAASCTL_CONFIG=$SANDBOX_CONFIG sandbox_up "$SANDBOX_DIR"
	run -0 --separate-stderr api "$SUBS"
	[ "$(jq -c '[.items[] | [.metadata.name, .metadata.uid, .spec]]' <<<"$output")" = "$before" ]
	[ "$(jq -r '.metadata.resourceVersion' <<<"$output")" -ge "$rv0" ]
	[ "$(jq -r '.items | length' <<<"$output")" -eq 5 ]
}
