# admin.bash: helpers for the admin command suites (subscription, authpolicy,
# modelref, admin-errors).  Load after common.bash and sandbox.bash.
#
#   admin_seed              namespace llm with MaaSModelRefs granite and
#                           mistral (what --model refers to), and namespace
#                           $WAIT_NS: a MaaS tenant namespace (it has a
#                           MaasTenantConfig, so admission accepts MaaS CRs)
#                           that no controller reconciles (no tenant label),
#                           where --wait tests set phases themselves
#   set_phase PLURAL NS NAME PHASE [MESSAGE]
#                           write status.phase (and a Ready condition) through
#                           the /status subresource, as the controller would
#   phase_when_created PLURAL NS NAME PHASE
#                           in the background: wait for the object, then
#                           set_phase (for --wait tests); sets PHASER_PID
#   snapshot                every MaaS object's kind, namespace/name@generation
#                           and uid (status changes by a controller do not count)
#   admin_baseline          take the snapshot once (setup_file, after the
#                           seed) for a file whose tests all leave the
#                           objects alone; bad then compares with it instead
#                           of taking a snapshot before every case
#   admin_setup             per test (setup): common_setup, sandbox_use and
#                           no phaser yet
#   admin_teardown          per test (teardown): stop a phaser still
#                           running, then common_teardown
#   bad EXIT MESSAGE ARGS...
#                           maasctl ARGS fails with EXIT, MESSAGE is its first
#                           stderr line (at most a hint follows), stdout is
#                           empty and no MaaS object changed

MAAS_GV=apis/maas.opendatahub.io/v1alpha1
WAIT_NS=maas-team

admin_seed() {
	maasctl apply -f - >/dev/null <<-EOF2
	apiVersion: v1
	kind: Namespace
	metadata: {name: llm}
	---
	apiVersion: maas.opendatahub.io/v1alpha1
	kind: MaaSModelRef
	metadata: {name: granite, namespace: llm}
	spec:
	  modelRef: {kind: LLMInferenceService, name: granite}
	---
	apiVersion: maas.opendatahub.io/v1alpha1
	kind: MaaSModelRef
	metadata: {name: mistral, namespace: llm}
	spec:
	  modelRef: {kind: LLMInferenceService, name: mistral}
	---
	apiVersion: v1
	kind: Namespace
	metadata: {name: $WAIT_NS}
	---
	apiVersion: maas.opendatahub.io/v1alpha1
	kind: MaasTenantConfig
	metadata: {name: default-tenant, namespace: $WAIT_NS}
	spec: {}
	EOF2
}

set_phase() {
	local plural=$1 ns=$2 name=$3 phase=$4 msg=${5:-} status=True reason=Reconciled
	case $phase in Active|Ready) ;; *) status=False reason=ReconcileFailed ;; esac
	sandbox_curl -f -o /dev/null -X PATCH \
	    -H "Authorization: Bearer $SANDBOX_ADMIN_TOKEN" \
	    -H 'Content-Type: application/merge-patch+json' \
	    "$SANDBOX_API_URL/$MAAS_GV/namespaces/$ns/$plural/$name/status" \
	    -d "{\"status\":{\"phase\":\"$phase\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"$status\",\"reason\":\"$reason\",\"message\":\"$msg\",\"lastTransitionTime\":\"2026-11-22T00:00:00Z\"}]}}"
}

phase_when_created() {
	local plural=$1 ns=$2 name=$3 phase=$4
	(
		for _ in $(seq 200); do
			if sandbox_curl -f -o /dev/null -H "Authorization: Bearer $SANDBOX_ADMIN_TOKEN" \
			    "$SANDBOX_API_URL/$MAAS_GV/namespaces/$ns/$plural/$name" 2>/dev/null; then
				sleep 0.2
				set_phase "$plural" "$ns" "$name" "$phase" "set by the test"
				exit 0
			fi
			sleep 0.05
		done
	) 3>&- &
	PHASER_PID=$!
}

admin_setup() {
	common_setup
	sandbox_use
	PHASER_PID=
}

admin_teardown() {
	[ -n "$PHASER_PID" ] && { kill "$PHASER_PID" 2>/dev/null; wait "$PHASER_PID" 2>/dev/null; }
	common_teardown
}

snapshot() {
	local base=$SANDBOX_API_URL/$MAAS_GV
	sandbox_curl -f -H "Authorization: Bearer $SANDBOX_ADMIN_TOKEN" \
	    "$base/maassubscriptions" "$base/maasauthpolicies" "$base/maasmodelrefs" |
	    jq -r '.items[] | "\(.kind) \(.metadata.namespace)/\(.metadata.name)@\(.metadata.generation) \(.metadata.uid)"'
}

admin_baseline() {
	ADMIN_BASELINE=$BATS_FILE_TMPDIR/admin-baseline
	snapshot >"$ADMIN_BASELINE" || return 1
	export ADMIN_BASELINE
}

bad() {
	local code=$1 msg=$2 before after
	shift 2
	if [ -n "${ADMIN_BASELINE:-}" ]; then
		before=$(<"$ADMIN_BASELINE")
	else
		before=$(snapshot)
	fi
	run -"$code" --separate-stderr maasctl "$@"
	if [ -n "$output" ]; then
		echo "unexpected stdout: $output"
		return 1
	fi
	if [ "${stderr_lines[0]:-}" != "$msg" ]; then
		printf 'stderr: %s\nwant:   %s\n' "$stderr" "$msg"
		return 1
	fi
	if [ "${#stderr_lines[@]}" -gt 2 ] || { [ "${#stderr_lines[@]}" = 2 ] && [[ ${stderr_lines[1]} != hint:* ]]; }; then
		echo "more than one error line: $stderr"
		return 1
	fi
	after=$(snapshot)
	if [ "$after" != "$before" ]; then
		printf 'the cluster changed:\nbefore: %s\nafter:  %s\n' "$before" "$after"
		return 1
	fi
}
