#!/usr/bin/env bats
# Real kubectl (1.32 through the dispatcher) against the sandbox over HTTPS
# with bearer tokens: reads in every output format, create/apply (client
# and server side)/patch/replace/label/annotate/delete, wait, auth, explain,
# and the error texts kubectl prints against a real cluster
# (KUBECTL-SURFACE.md §5).
bats_require_minimum_version 1.5.0

setup_file() {
	load ../helpers/sbx-serve
	sbx_start
	export SBX_DIR SBX_PID SBX_URL SBX_PORT SBX_SCHEME SBX_TOKEN KUBECONFIG KUBECACHEDIR
	cat >"$SBX_DIR/gold.yaml" <<-'Y'
	apiVersion: maas.opendatahub.io/v1alpha1
	kind: MaaSSubscription
	metadata:
	  name: gold
	  namespace: models-as-a-service
	  labels: {tier: gold}
	spec:
	  owner:
	    groups:
	    - name: premium-user
	  modelRefs:
	  - name: sim
	    namespace: llm
	    tokenRateLimits:
	    - limit: 1000
	      window: 1m
	  priority: 10
	Y
	sed -e 's/name: gold/name: silver/' -e 's/tier: gold/tier: silver/' \
	    -e 's/priority: 10/priority: 5/' "$SBX_DIR/gold.yaml" >"$SBX_DIR/silver.yaml"
	kubectl create -f "$SBX_DIR/gold.yaml" >/dev/null
	kubectl create -f "$SBX_DIR/silver.yaml" >/dev/null
}

teardown_file() {
	load ../helpers/sbx-serve
	sbx_stop
}

setup() {
	load ../helpers/sbx-serve
	NS=models-as-a-service
	: "${MAASCTL:=$MAASCTL_TEST_ROOT/$BUILD/maasctl}"
}

@test "get: table with printer columns, -A, -l, --field-selector, -o name" {
	run -0 --separate-stderr kubectl get maassubscriptions -n $NS
	[[ "${lines[0]}" =~ ^NAME\ +PHASE\ +PRIORITY\ +AGE$ ]]
	# the controller has reconciled it: its model llm/sim does not exist
	[[ "${lines[1]}" =~ ^gold\ +Failed\ +10\ + ]]
	run -0 --separate-stderr kubectl get maassubscriptions -A -l tier=gold
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" =~ ^models-as-a-service\ +gold\ + ]]
	run -0 --separate-stderr kubectl get maassubscriptions -n $NS --field-selector metadata.name=silver -o name
	[ "$output" = "maassubscription.maas.opendatahub.io/silver" ]
	run -0 --separate-stderr kubectl get maassubscriptions -n $NS -l 'tier in (gold,silver),tier!=gold' -o name
	[ "$output" = "maassubscription.maas.opendatahub.io/silver" ]
	run -0 --separate-stderr kubectl get maassubscriptions -n $NS -o wide
	[[ "${lines[0]}" == NAME* ]]
}

@test "get: -o yaml, json, jsonpath and custom-columns" {
	run -0 --separate-stderr kubectl get maassubscription gold -n $NS -o yaml
	[[ "$output" == *"kind: MaaSSubscription"* ]]
	[[ "$output" == *"priority: 10"* ]]
	[[ "$output" == *"generation: 1"* ]]
	run -0 --separate-stderr kubectl get maassubscription gold -n $NS -o json
	[[ "$output" == *'"apiVersion": "maas.opendatahub.io/v1alpha1"'* ]]
	run -0 --separate-stderr kubectl get maassubscription gold -n $NS -o jsonpath='{.spec.priority}'
	[ "$output" = 10 ]
	run -0 --separate-stderr kubectl get maassubscriptions -n $NS -o custom-columns=N:.metadata.name,P:.spec.priority
	[[ "${lines[0]}" =~ ^N\ +P$ ]]
	[[ "${lines[1]}" =~ ^gold\ +10$ ]]
	[[ "${lines[2]}" =~ ^silver\ +5$ ]]
}

@test "get --chunk-size pages through a list" {
	run -0 --separate-stderr kubectl get ns --chunk-size=2 -o name
	[[ "$output" == *namespace/default* ]]
	[[ "$output" == *namespace/openshift-ingress* ]]
	[ "$(echo "$output" | sort -u | wc -l)" -eq "${#lines[@]}" ]
}

@test "NotFound and AlreadyExists print the apiserver's messages" {
	run -1 --separate-stderr kubectl get maassubscription nope -n $NS
	[ "$stderr" = 'Error from server (NotFound): maassubscriptions.maas.opendatahub.io "nope" not found' ]
	run -1 --separate-stderr kubectl create -f "$SBX_DIR/gold.yaml"
	[ "$stderr" = "Error from server (AlreadyExists): error when creating \"$SBX_DIR/gold.yaml\": maassubscriptions.maas.opendatahub.io \"gold\" already exists" ]
	run -1 --separate-stderr kubectl get cm nope -n no-such-ns
	[ "$stderr" = 'Error from server (NotFound): namespaces "no-such-ns" not found' ]
	run -0 --separate-stderr kubectl delete maassubscription nope -n $NS --ignore-not-found
}

@test "Invalid names are rejected with the apiserver's message, nothing stored" {
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n' >"$BATS_TEST_TMPDIR/bad.yaml"
	run -1 --separate-stderr kubectl create -f "$BATS_TEST_TMPDIR/bad.yaml"
	[ "$stderr" = "The ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')" ]
	run -1 --separate-stderr kubectl get cm Bad_Name -n default
}

@test "create --dry-run=server stores nothing" {
	sed 's/name: gold/name: dry/' "$SBX_DIR/gold.yaml" >"$BATS_TEST_TMPDIR/dry.yaml"
	run -0 --separate-stderr kubectl create -f "$BATS_TEST_TMPDIR/dry.yaml" --dry-run=server
	[ "$output" = "maassubscription.maas.opendatahub.io/dry created (server dry run)" ]
	run -1 --separate-stderr kubectl get maassubscription dry -n $NS
}

@test "apply client-side: created, unchanged, configured" {
	sed 's/name: gold/name: bronze/' "$SBX_DIR/gold.yaml" >"$BATS_TEST_TMPDIR/b.yaml"
	run -0 --separate-stderr kubectl apply -f "$BATS_TEST_TMPDIR/b.yaml"
	[ "$output" = "maassubscription.maas.opendatahub.io/bronze created" ]
	run -0 --separate-stderr kubectl apply -f "$BATS_TEST_TMPDIR/b.yaml"
	[ "$output" = "maassubscription.maas.opendatahub.io/bronze unchanged" ]
	sed -i 's/priority: 10/priority: 11/' "$BATS_TEST_TMPDIR/b.yaml"
	run -0 --separate-stderr kubectl apply -f "$BATS_TEST_TMPDIR/b.yaml"
	[ "$output" = "maassubscription.maas.opendatahub.io/bronze configured" ]
	run -0 --separate-stderr kubectl get maassubscription bronze -n $NS -o jsonpath='{.metadata.generation}'
	[ "$output" = 2 ]
}

@test "apply --server-side: a field-manager conflict, then --force-conflicts" {
	sed 's/name: gold/name: ssa/' "$SBX_DIR/gold.yaml" >"$BATS_TEST_TMPDIR/s.yaml"
	run -0 --separate-stderr kubectl apply --server-side -f "$BATS_TEST_TMPDIR/s.yaml"
	[ "$output" = "maassubscription.maas.opendatahub.io/ssa serverside-applied" ]
	run -0 --separate-stderr kubectl apply --server-side -f "$BATS_TEST_TMPDIR/s.yaml"
	sed 's/priority: 10/priority: 12/' "$BATS_TEST_TMPDIR/s.yaml" >"$BATS_TEST_TMPDIR/s2.yaml"
	run -1 --separate-stderr kubectl apply --server-side --field-manager=other -f "$BATS_TEST_TMPDIR/s2.yaml"
	[ "${stderr_lines[0]}" = 'error: Apply failed with 1 conflict: conflict with "kubectl": .spec.priority' ]
	run -0 --separate-stderr kubectl apply --server-side --field-manager=other --force-conflicts -f "$BATS_TEST_TMPDIR/s2.yaml"
	run -0 --separate-stderr kubectl get maassubscription ssa -n $NS -o jsonpath='{.spec.priority}'
	[ "$output" = 12 ]
}

@test "patch: merge, json, strategic on a CR is refused, status subresource" {
	run -0 --separate-stderr kubectl patch maassubscription silver -n $NS --type merge -p '{"spec":{"priority":20}}'
	[ "$output" = "maassubscription.maas.opendatahub.io/silver patched" ]
	run -0 --separate-stderr kubectl patch maassubscription silver -n $NS --type json -p '[{"op":"replace","path":"/spec/priority","value":21}]'
	run -0 --separate-stderr kubectl get maassubscription silver -n $NS -o jsonpath='{.spec.priority}'
	[ "$output" = 21 ]
	run -0 --separate-stderr kubectl patch maassubscription silver -n $NS --type merge -p '{"spec":{"priority":21}}'
	[ "$output" = "maassubscription.maas.opendatahub.io/silver patched (no change)" ]
	run -1 --separate-stderr kubectl patch maassubscription silver -n $NS -p '{"spec":{"priority":22}}'
	[ "$stderr" = "error: application/strategic-merge-patch+json is not supported by maas.opendatahub.io/v1alpha1, Kind=MaaSSubscription: the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml" ]
	run -0 --separate-stderr kubectl patch maassubscription silver -n $NS --subresource status --type merge -p '{"status":{"phase":"Active"}}'
	run -0 --separate-stderr kubectl get maassubscription silver -n $NS -o jsonpath='{.status.phase}/{.metadata.generation}'
	[ "$output" = "Active/3" ]
	kubectl create configmap smp -n default --from-literal=a=1 >/dev/null
	run -0 --separate-stderr kubectl patch cm smp -n default -p '{"data":{"z":"26"}}'
	[ "$output" = "configmap/smp patched" ]
	run -0 --separate-stderr kubectl get cm smp -n default -o jsonpath='{.data.a}{.data.z}'
	[ "$output" = 126 ]
}

@test "replace: works with the live resourceVersion, 409 when stale" {
	kubectl get maassubscription gold -n $NS -o yaml >"$BATS_TEST_TMPDIR/g.yaml"
	sed -i 's/priority: 10/priority: 15/' "$BATS_TEST_TMPDIR/g.yaml"
	run -0 --separate-stderr kubectl replace -f "$BATS_TEST_TMPDIR/g.yaml"
	[ "$output" = "maassubscription.maas.opendatahub.io/gold replaced" ]
	run -1 --separate-stderr kubectl replace -f "$BATS_TEST_TMPDIR/g.yaml"
	[ "$stderr" = "Error from server (Conflict): error when replacing \"$BATS_TEST_TMPDIR/g.yaml\": Operation cannot be fulfilled on maassubscriptions.maas.opendatahub.io \"gold\": the object has been modified; please apply your changes to the latest version and try again" ]
}

@test "label and annotate" {
	run -0 --separate-stderr kubectl label maassubscription gold -n $NS color=blue
	[ "$output" = "maassubscription.maas.opendatahub.io/gold labeled" ]
	run -1 --separate-stderr kubectl label maassubscription gold -n $NS color=red
	[ "$stderr" = "error: 'color' already has a value (blue), and --overwrite is false" ]
	run -0 --separate-stderr kubectl label maassubscription gold -n $NS color-
	[ "$output" = "maassubscription.maas.opendatahub.io/gold unlabeled" ]
	run -0 --separate-stderr kubectl annotate maassubscription gold -n $NS note=hi
	[ "$output" = "maassubscription.maas.opendatahub.io/gold annotated" ]
	run -0 --separate-stderr kubectl get maassubscription gold -n $NS -o jsonpath='{.metadata.annotations.note}'
	[ "$output" = hi ]
}

@test "wait --for=jsonpath and --for=condition honour observedGeneration" {
	gen=$(kubectl get maassubscription gold -n $NS -o jsonpath='{.metadata.generation}')
	run -0 --separate-stderr kubectl patch maassubscription gold -n $NS --subresource status --type merge \
	    -p "{\"status\":{\"phase\":\"Active\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"Ok\",\"message\":\"ok\",\"lastTransitionTime\":\"2026-01-01T00:00:00Z\",\"observedGeneration\":$((gen - 1))}]}}"
	run -1 --separate-stderr kubectl wait maassubscription/gold -n $NS --for=condition=Ready --timeout=2s
	[ "$stderr" = "error: timed out waiting for the condition on maassubscriptions/gold" ]
	run -0 --separate-stderr kubectl patch maassubscription gold -n $NS --subresource status --type json \
	    -p "[{\"op\":\"replace\",\"path\":\"/status/conditions/0/observedGeneration\",\"value\":$gen}]"
	run -0 --separate-stderr kubectl wait maassubscription/gold -n $NS --for=condition=Ready --timeout=10s
	[ "$output" = "maassubscription.maas.opendatahub.io/gold condition met" ]
	run -0 --separate-stderr kubectl wait maassubscription/gold -n $NS --for=jsonpath='{.status.phase}'=Active --timeout=10s
	[ "$output" = "maassubscription.maas.opendatahub.io/gold condition met" ]
}

@test "wait sees a change made while it watches" {
	kubectl patch maassubscription silver -n $NS --subresource status --type merge -p '{"status":{"phase":"Pending"}}' >/dev/null
	( sleep 1; kubectl patch maassubscription silver -n $NS --subresource status --type merge -p '{"status":{"phase":"Failed"}}' >/dev/null ) 3>&- &
	patcher=$!
	run -0 --separate-stderr kubectl wait maassubscription/silver -n $NS --for=jsonpath='{.status.phase}'=Failed --timeout=15s
	wait "$patcher"
}

@test "delete a namespace with its contents" {
	kubectl create namespace doomed >/dev/null
	# the tenant webhook admits MaaS CRs only beside a MaasTenantConfig
	printf 'apiVersion: maas.opendatahub.io/v1alpha1\nkind: MaasTenantConfig\nmetadata: {name: default-tenant, namespace: doomed}\nspec: {}\n' |
	    kubectl create -f - >/dev/null
	sed -e 's/name: gold/name: inner/' -e "s/namespace: $NS/namespace: doomed/" "$SBX_DIR/gold.yaml" >"$BATS_TEST_TMPDIR/i.yaml"
	kubectl create -f "$BATS_TEST_TMPDIR/i.yaml" >/dev/null
	kubectl create configmap c1 -n doomed --from-literal=a=b >/dev/null
	run -0 --separate-stderr kubectl delete ns doomed
	[ "$output" = 'namespace "doomed" deleted' ]
	run -1 --separate-stderr kubectl get ns doomed
	run -0 --separate-stderr sbx_curl "$SBX_URL/apis/maas.opendatahub.io/v1alpha1/maassubscriptions"
	[[ "$output" != *'"name":"inner"'* ]]
	run -0 --separate-stderr sbx_curl "$SBX_URL/api/v1/configmaps"
	[[ "$output" != *'"name":"c1"'* ]]
}

@test "delete by label and describe" {
	run -0 --separate-stderr kubectl describe maassubscription gold -n $NS
	[[ "$output" == *"Name:         gold"* ]]
	run -0 --separate-stderr kubectl delete maassubscriptions -n $NS -l tier=silver
	[ "$output" = 'maassubscription.maas.opendatahub.io "silver" deleted' ]
}

@test "auth whoami and auth can-i for the admin and a user" {
	run -0 --separate-stderr kubectl auth whoami
	[[ "${lines[1]}" =~ ^Username\ +admin$ ]]
	run -0 --separate-stderr kubectl auth can-i create maassubscriptions -n $NS
	[ "$output" = yes ]
	tok=$("$MAASCTL" sandbox token --state-dir "$SBX_DIR" --user alice --group premium-user)
	sbx_user_kubeconfig "$BATS_TEST_TMPDIR/alice" "$tok"
	run -0 --separate-stderr env KUBECONFIG="$BATS_TEST_TMPDIR/alice" kubectl auth whoami
	[[ "${lines[1]}" =~ ^Username\ +alice$ ]]
	[[ "$output" == *premium-user* ]]
	run -1 --separate-stderr env KUBECONFIG="$BATS_TEST_TMPDIR/alice" kubectl auth can-i create maassubscriptions -n $NS
	[ "$output" = no ]
	run -0 --separate-stderr env KUBECONFIG="$BATS_TEST_TMPDIR/alice" kubectl auth can-i list maassubscriptions -n $NS
	[ "$output" = yes ]
}

@test "Forbidden for a user's write, Unauthorized for an unknown token" {
	tok=$("$MAASCTL" sandbox token --state-dir "$SBX_DIR" --user alice)
	sbx_user_kubeconfig "$BATS_TEST_TMPDIR/alice" "$tok"
	run -0 --separate-stderr env KUBECONFIG="$BATS_TEST_TMPDIR/alice" kubectl get maassubscriptions -n $NS -o name
	run -1 --separate-stderr env KUBECONFIG="$BATS_TEST_TMPDIR/alice" kubectl create configmap x -n default
	[ "$stderr" = 'error: failed to create configmap: configmaps is forbidden: User "alice" cannot create resource "configmaps" in API group "" in the namespace "default"' ]
	run -1 --separate-stderr env KUBECONFIG="$BATS_TEST_TMPDIR/alice" kubectl delete maassubscription gold -n $NS
	[ "$stderr" = 'Error from server (Forbidden): maassubscriptions.maas.opendatahub.io "gold" is forbidden: User "alice" cannot delete resource "maassubscriptions" in API group "maas.opendatahub.io" in the namespace "models-as-a-service"' ]
	sbx_user_kubeconfig "$BATS_TEST_TMPDIR/bad" not-a-token
	run -1 --separate-stderr env KUBECONFIG="$BATS_TEST_TMPDIR/bad" kubectl get ns
	[ "$stderr" = "error: You must be logged in to the server (Unauthorized)" ]
	run -0 curl -s --cacert "$SBX_DIR/ca.crt" "$SBX_URL/api/v1/namespaces"
	[[ "$output" == *'"reason":"Unauthorized"'*'"code":401'* ]]
}

@test "explain a MaaS kind" {
	run -0 --separate-stderr kubectl explain maassubscription
	[[ "$output" == *"KIND:       MaaSSubscription"* ]]
	[[ "$output" == *"VERSION:    v1alpha1"* ]]
}

@test "a new CRD is served at once" {
	cat >"$BATS_TEST_TMPDIR/crd.yaml" <<-'Y'
	apiVersion: apiextensions.k8s.io/v1
	kind: CustomResourceDefinition
	metadata: {name: widgets.example.com}
	spec:
	  group: example.com
	  scope: Namespaced
	  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wdg]}
	  versions:
	  - name: v1
	    served: true
	    storage: true
	    schema:
	      openAPIV3Schema:
	        type: object
	        properties:
	          spec:
	            type: object
	            properties:
	              size: {type: integer}
	    additionalPrinterColumns:
	    - {name: Size, type: integer, jsonPath: .spec.size}
	Y
	run -0 --separate-stderr kubectl apply -f "$BATS_TEST_TMPDIR/crd.yaml"
	run -0 --separate-stderr kubectl wait --for condition=established crd/widgets.example.com --timeout=10s
	printf 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1, namespace: default}\nspec: {size: 3}\n' >"$BATS_TEST_TMPDIR/w.yaml"
	run -0 --separate-stderr kubectl apply -f "$BATS_TEST_TMPDIR/w.yaml"
	[ "$output" = "widget.example.com/w1 created" ]
	run -0 --separate-stderr kubectl get wdg
	[[ "${lines[0]}" =~ ^NAME\ +SIZE$ ]]
	[[ "${lines[1]}" =~ ^w1\ +3$ ]]
	run -0 --separate-stderr kubectl delete crd widgets.example.com
	run -1 --separate-stderr kubectl get --raw /apis/example.com/v1/namespaces/default/widgets/w1
}
