#!/usr/bin/env bats
# versions.bats: the versioned kubectl binaries that sit beside the
# preinstalled dispatcher (1.29 and 1.33) against the sandbox over HTTPS:
# reads, create, client- and server-side apply with a field-manager
# conflict, patch, label, delete and the error texts.  Each version skips
# with a message where its binary is absent.
bats_require_minimum_version 1.5.0

setup_file() {
	load ../helpers/sbx-serve
	sbx_start
	export SBX_DIR SBX_PID SBX_URL SBX_PORT SBX_SCHEME SBX_TOKEN KUBECONFIG KUBECACHEDIR
	cat >"$SBX_DIR/sub.yaml" <<-'Y'
	apiVersion: maas.opendatahub.io/v1alpha1
	kind: MaaSSubscription
	metadata:
	  name: SUBNAME
	  namespace: models-as-a-service
	spec:
	  owner:
	    groups:
	    - name: premium-users
	  modelRefs:
	  - name: sim
	    namespace: llm
	    tokenRateLimits:
	    - limit: 1000
	      window: 1m
	  priority: 10
	Y
}

teardown_file() {
	load ../helpers/sbx-serve
	sbx_stop
}

kbin() {
	local d
	d=$(dirname "$(readlink -f "$(command -v kubectl)")")
	echo "$d/kubectl.$1"
}

exercise() {
	local k v=$1 name
	k=$(kbin "$v")
	[ -x "$k" ] || skip "kubectl.$v not installed beside $(command -v kubectl)"
	name="v${v/./-}"
	run "$k" version -o json
	[[ $output == *"\"gitVersion\": \"v$v."* ]]

	run -0 "$k" get namespaces -o name
	[[ $output == *namespace/default* ]]

	sed "s/SUBNAME/$name/" "$SBX_DIR/sub.yaml" >"$SBX_DIR/$name.yaml"
	run -0 "$k" create -f "$SBX_DIR/$name.yaml"
	[ "$output" = "maassubscription.maas.opendatahub.io/$name created" ]
	run -1 "$k" create -f "$SBX_DIR/$name.yaml"
	[[ $output == *"(AlreadyExists)"*"\"$name\" already exists"* ]]

	run -0 "$k" get maassubscription "$name" -n models-as-a-service \
	    -o jsonpath='{.spec.modelRefs[0].tokenRateLimits[0].limit}'
	[ "$output" = 1000 ]
	run -0 "$k" get maassubscriptions -n models-as-a-service
	[[ ${lines[0]} == NAME* ]]
	[[ $output == *"$name"* ]]

	sed -i 's/limit: 1000/limit: 2000/' "$SBX_DIR/$name.yaml"
	run -0 "$k" apply -f "$SBX_DIR/$name.yaml"
	[[ $output == *"$name configured"* || $output == *"$name"*"configured"* ]]
	sed -i 's/limit: 2000/limit: 3000/' "$SBX_DIR/$name.yaml"
	run -0 "$k" apply --server-side --force-conflicts --field-manager=alice \
	    -f "$SBX_DIR/$name.yaml"
	run -1 "$k" apply --server-side --field-manager=bob \
	    -f <(sed 's/limit: 3000/limit: 4000/' "$SBX_DIR/$name.yaml")
	[[ $output == *"conflict"* ]]

	run -0 "$k" patch maassubscription "$name" -n models-as-a-service \
	    --type merge -p '{"spec":{"priority":7}}'
	run -0 "$k" patch maassubscription "$name" -n models-as-a-service \
	    --type json -p '[{"op":"replace","path":"/spec/priority","value":8}]'
	run -0 "$k" label maassubscription "$name" -n models-as-a-service tier=gold
	run -0 "$k" get maassubscription "$name" -n models-as-a-service \
	    -o jsonpath='{.spec.priority} {.metadata.labels.tier}'
	[ "$output" = "8 gold" ]

	run -0 "$k" delete maassubscription "$name" -n models-as-a-service
	[ "$output" = "maassubscription.maas.opendatahub.io \"$name\" deleted" ]
	run -1 "$k" get maassubscription "$name" -n models-as-a-service
	[ "$output" = "Error from server (NotFound): maassubscriptions.maas.opendatahub.io \"$name\" not found" ]
}

@test "kubectl 1.29 works against the sandbox" {
	exercise 1.29
}

@test "kubectl 1.33 works against the sandbox" {
	exercise 1.33
}
