# maas.bash: MaaS objects for tests on a sandbox (load after sandbox.bash).
#
#	maas_subscription NAME PRIORITY OWNERS MODELS [PHASE]
#	    a MaaSSubscription in models-as-a-service; OWNERS is a comma list
#	    of group names and user:NAME entries, MODELS a comma list of
#	    NS/NAME=LIMIT/WINDOW; PHASE (optional) is written to status.phase
#	    as the controller would.
#	maas_policy NAME OWNERS MODELS
#	    a MaaSAuthPolicy granting OWNERS the models (NS/NAME, comma list).
#	maas_model NS NAME [PHASE] [ANNOTATIONS-JSON]
#	    an LLMInferenceService and its MaaSModelRef (served id
#	    publishers/NS/models/NAME) with status phase PHASE (default Ready;
#	    any other phase keeps the backend not ready).  Without a
#	    controller the status is written here; with one, the controller's
#	    own verdict (Ready once governed and the backend is up) wins.
#	maas_wait_phase RESOURCE NS NAME PHASE
#	    wait (up to 10 s) until the object's status.phase is PHASE.
#	maas_status RESOURCE NS NAME JSON
#	    merge JSON into the status of a maas.opendatahub.io object.

# maas_owners_json OWNERS: {"groups":[...],"users":[...]}.
maas_owners_json() {
	local o g=() u=()
	IFS=, read -ra o <<<"$1"
	for x in "${o[@]}"; do
		case $x in
		user:*) u+=("\"${x#user:}\"") ;;
		?*) g+=("{\"name\":\"$x\"}") ;;
		esac
	done
	local IFS=,
	printf '{"groups":[%s],"users":[%s]}' "${g[*]}" "${u[*]}"
}

maas_status() {
	sandbox_curl -f -o /dev/null -X PATCH \
	    -H "Authorization: Bearer $SANDBOX_ADMIN_TOKEN" \
	    -H 'Content-Type: application/merge-patch+json' \
	    --data "{\"status\":$4}" \
	    "$SANDBOX_API_URL/apis/maas.opendatahub.io/v1alpha1/namespaces/$2/$1/$3/status"
}

maas_apply_json() {
	printf '%s\n' "$1" | KUBECONFIG=$SANDBOX_KUBECONFIG \
	    "$MAASCTL" apply -f - >/dev/null
}

maas_subscription() {
	local name=$1 prio=$2 owners models=() m ref lim win
	owners=$(maas_owners_json "$3")
	IFS=, read -ra m <<<"$4"
	for x in "${m[@]}"; do
		ref=${x%%=*} lim=${x#*=}
		win=${lim#*/} lim=${lim%%/*}
		models+=("{\"name\":\"${ref#*/}\",\"namespace\":\"${ref%%/*}\",\"tokenRateLimits\":[{\"limit\":$lim,\"window\":\"$win\"}]}")
	done
	local IFS=,
	maas_apply_json "{\"apiVersion\":\"maas.opendatahub.io/v1alpha1\",\"kind\":\"MaaSSubscription\",\"metadata\":{\"name\":\"$name\",\"namespace\":\"models-as-a-service\"},\"spec\":{\"owner\":$owners,\"modelRefs\":[${models[*]}],\"priority\":$prio}}" || return 1
	[ -z "${5:-}" ] || maas_status maassubscriptions models-as-a-service "$name" "{\"phase\":\"$5\"}"
}

maas_policy() {
	local name=$1 subjects refs=() m
	subjects=$(maas_owners_json "$2")
	IFS=, read -ra m <<<"$3"
	for x in "${m[@]}"; do
		refs+=("{\"name\":\"${x#*/}\",\"namespace\":\"${x%%/*}\"}")
	done
	local IFS=,
	maas_apply_json "{\"apiVersion\":\"maas.opendatahub.io/v1alpha1\",\"kind\":\"MaaSAuthPolicy\",\"metadata\":{\"name\":\"$name\",\"namespace\":\"models-as-a-service\"},\"spec\":{\"modelRefs\":[${refs[*]}],\"subjects\":$subjects}}"
}

maas_model() {
	local ns=$1 name=$2 phase=${3:-Ready} ann=${4:-"{}"} ready=true
	[ "$phase" = Ready ] || ready=false
	maas_apply_json "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$ns\"}}" || return 1
	maas_apply_json "{\"apiVersion\":\"serving.kserve.io/v1alpha1\",\"kind\":\"LLMInferenceService\",\"metadata\":{\"name\":\"$name\",\"namespace\":\"$ns\",\"annotations\":{\"maas.sandbox/start-delay\":\"0s\",\"maas.sandbox/ready\":\"$ready\"}},\"spec\":{\"model\":{\"uri\":\"hf://placeholder/no-model\",\"name\":\"$name\"},\"router\":{\"route\":{},\"gateway\":{\"refs\":[{\"name\":\"maas-default-gateway\",\"namespace\":\"openshift-ingress\"}]}}}}" || return 1
	maas_apply_json "{\"apiVersion\":\"maas.opendatahub.io/v1alpha1\",\"kind\":\"MaaSModelRef\",\"metadata\":{\"name\":\"$name\",\"namespace\":\"$ns\",\"annotations\":$ann},\"spec\":{\"modelRef\":{\"kind\":\"LLMInferenceService\",\"name\":\"$name\"}}}" || return 1
	maas_status maasmodelrefs "$ns" "$name" "{\"phase\":\"$phase\",\"endpoint\":\"$SANDBOX_MAAS_URL/$ns/$name\",\"resolvedModelAlias\":\"publishers/$ns/models/$name\"}"
}

maas_wait_phase() {
	local got
	for _ in $(seq 50); do
		got=$(sandbox_curl -s -H "Authorization: Bearer $SANDBOX_ADMIN_TOKEN" \
		    "$SANDBOX_API_URL/apis/maas.opendatahub.io/v1alpha1/namespaces/$2/$1/$3" |
		    jq -r '.status.phase // ""')
		[ "$got" = "$4" ] && return 0
		sleep 0.2
	done
	echo "$1 $2/$3: phase \"$got\", want $4" >&2
	return 1
}

# maas_phase RESOURCE NS NAME: the object's status.phase ("" when unset).
maas_phase() {
	sandbox_curl -s -H "Authorization: Bearer $SANDBOX_ADMIN_TOKEN" \
	    "$SANDBOX_API_URL/apis/maas.opendatahub.io/v1alpha1/namespaces/$2/$1/$3" |
	    jq -r '.status.phase // ""'
}

# maas_patch RESOURCE NS NAME JSON: merge-patch a maas.opendatahub.io object.
maas_patch() {
	sandbox_curl -f -o /dev/null -X PATCH \
	    -H "Authorization: Bearer $SANDBOX_ADMIN_TOKEN" \
	    -H 'Content-Type: application/merge-patch+json' --data "$4" \
	    "$SANDBOX_API_URL/apis/maas.opendatahub.io/v1alpha1/namespaces/$2/$1/$3"
}
