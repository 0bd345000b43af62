#!/usr/bin/env bats
# kubeconfig.bats: maasctl loads kubeconfigs exactly as kubectl does.  Each
# fixture under tests/fixtures/kubeconfig/<case>/ (case.sh sets ENV, ARGS,
# FLATTEN, HOME_DIR) is viewed by both programs and the outputs, error
# messages and success/failure must agree; failures exit 3 in maasctl.
load ../helpers/common

FIX="$BATS_TEST_DIRNAME/../fixtures/kubeconfig"

setup() {
	common_setup
	KUBECTL=${KUBECTL:-$(command -v kubectl || true)}
}
teardown() { common_teardown; }

need_kubectl() {
	[ -n "$KUBECTL" ] || skip "kubectl not installed: cannot compare with it"
}

# enter_case NAME: copy the fixture to a scratch dir, cd there, load case.sh.
enter_case() {
	WORK="$BATS_TEST_TMPDIR/$1"
	mkdir -p "$WORK"
	cp -R "$FIX/$1/." "$WORK/"
	cd "$WORK"
	ENV=() ARGS=() FLATTEN='' HOME_DIR=''
	# shellcheck disable=SC1091
	. ./case.sh
	if [ -n "$HOME_DIR" ]; then HOME=$WORK; fi
}

# both VERB...: run maasctl and kubectl with the case's env and flags.
both() {
	mrc=0 krc=0
	env "${ENV[@]}" HOME="$HOME" "$MAASCTL" "${ARGS[@]}" "$@" >m.out 2>m.err ||
	    mrc=$?
	env "${ENV[@]}" HOME="$HOME" "$KUBECTL" "${ARGS[@]}" "$@" >k.out 2>k.err ||
	    krc=$?
}

# same VERB...: both programs print the same stdout and stderr and agree on
# success; maasctl's failures use its exit codes (never 0, never 2).
same() {
	both "$@"
	if ! cmp -s m.out k.out || ! cmp -s m.err k.err; then
		echo "maasctl and kubectl differ for: $*"
		diff -u k.out m.out || true
		diff -u k.err m.err || true
		return 1
	fi
	if [ "$krc" -eq 0 ]; then
		[ "$mrc" -eq 0 ] || { echo "maasctl exit $mrc, kubectl 0: $*"; return 1; }
	else
		[ "$mrc" -ne 0 ] && [ "$mrc" -ne 2 ] ||
		    { echo "maasctl exit $mrc, kubectl $krc: $*"; return 1; }
	fi
}

# minify_fields: context, server, user and namespace of a --minify -o json.
minify_fields() {
	jq -r '[."current-context", (.clusters // [])[0].cluster.server,
	    (.contexts // [])[0].context.user,
	    ((.contexts // [])[0].context.namespace // "default")] | @tsv' "$1"
}

# check_case NAME: every view of the case agrees with kubectl.
check_case() {
	need_kubectl
	enter_case "$1"
	same config view --minify -o json
	if [ "$krc" -eq 0 ]; then
		[ "$(minify_fields m.out)" = "$(minify_fields k.out)" ]
	fi
	same config view -o json
	same config view
	same config view --raw -o json
	same config view --minify --raw
	same config current-context
	same config get-contexts
	same config get-contexts -o name
	same config view -o 'jsonpath={.contexts[*].name} {.users[*].user.token}'
	same config view --minify -o 'jsonpath-as-json={.clusters[*].cluster}'
	if [ -n "$FLATTEN" ]; then
		same config view --flatten -o json
		same config view --minify --flatten
	fi
}

@test "kubeconfig: single file" { check_case single; }
@test "kubeconfig: KUBECONFIG merge, conflicting entries, first wins" { check_case merge-conflict; }
@test "kubeconfig: KUBECONFIG merge in the other order" { check_case merge-reversed; }
@test "kubeconfig: current-context from the second file" { check_case merge-current-second; }
@test "kubeconfig: missing files in KUBECONFIG are skipped" { check_case merge-missing; }
@test "kubeconfig: empty and duplicate KUBECONFIG entries" { check_case merge-dups; }
@test "kubeconfig: every KUBECONFIG file missing" { check_case all-missing; }
@test "kubeconfig: relative paths, flattened against the defining file" { check_case relative-paths; }
@test "kubeconfig: relative paths from two directories" { check_case relative-merge; }
@test "kubeconfig: -data fields are omitted unless --raw" { check_case data-fields; }
@test "kubeconfig: certificate-authority and -data both set" { check_case data-and-path; }
@test "kubeconfig: tokenFile" { check_case token-file; }
@test "kubeconfig: exec plugin v1" { check_case exec-v1; }
@test "kubeconfig: exec plugin v1beta1 defaults interactiveMode" { check_case exec-v1beta1; }
@test "kubeconfig: --context override" { check_case override-context; }
@test "kubeconfig: --context naming a missing context" { check_case override-missing; }
@test "kubeconfig: context with a missing cluster" { check_case missing-cluster; }
@test "kubeconfig: context with a missing user" { check_case missing-user; }
@test "kubeconfig: no current-context" { check_case no-current; }
@test "kubeconfig: context without cluster or user" { check_case sparse-context; }
@test "kubeconfig: broken YAML" { check_case broken-yaml; }
@test "kubeconfig: wrong type" { check_case broken-type; }
@test "kubeconfig: YAML 1.1 boolean for a string" { check_case broken-bool; }
@test "kubeconfig: bad base64" { check_case broken-base64; }
@test "kubeconfig: duplicate names in one file" { check_case broken-duplicate; }
@test "kubeconfig: kind other than Config" { check_case broken-kind; }
@test "kubeconfig: top-level list" { check_case broken-list; }
@test "kubeconfig: broken file inside a KUBECONFIG list" { check_case broken-in-list; }
@test "kubeconfig: number for a string" { check_case broken-number; }
@test "kubeconfig: empty and comment-only files" { check_case empty-files; }
@test "kubeconfig: ~/.kube/config when KUBECONFIG is unset" { check_case home-default; }
@test "kubeconfig: unknown fields, extensions, impersonation, auth-provider" { check_case extra-fields; }
@test "kubeconfig: in-cluster env does not change config view" { check_case in-cluster; }

@test "broken files fail with kubectl's message and exit 3" {
	for c in broken-yaml broken-type broken-bool broken-base64 \
	    broken-duplicate broken-kind broken-list broken-number; do
		cd "$FIX/$c"
		run -3 --separate-stderr "$MAASCTL" --kubeconfig config config view
		[ -z "$output" ]
		[[ $stderr == "error: error loading config file \"config\": "* ]] ||
		    { echo "$c: $stderr"; return 1; }
	done
	cd "$FIX/broken-in-list"
	KUBECONFIG=good.yaml:bad.yaml run -3 --separate-stderr "$MAASCTL" config get-contexts
	[[ $stderr == 'error: error loading config file "bad.yaml": '* ]]
}

@test "a missing --kubeconfig file is an error (exit 3)" {
	run -3 --separate-stderr "$MAASCTL" --kubeconfig "$BATS_TEST_TMPDIR/nope" config view
	[ "$stderr" = "error: stat $BATS_TEST_TMPDIR/nope: no such file or directory" ]
}

@test "config view: bad -o is a usage error" {
	for o in table wide custom-columns=N:.kind; do
		run -2 --separate-stderr "$MAASCTL" --kubeconfig "$FIX/single/config" config view -o "$o"
		[[ $stderr == "error: unable to match a printer suitable for the output format \"$o\", allowed formats are: "* ]]
	done
	run -0 "$MAASCTL" --kubeconfig "$FIX/single/config" config view -o name
	[ "$output" = "config/<unknown>" ]
}

@test "config view --minify names the missing context (exit 3)" {
	run -3 --separate-stderr "$MAASCTL" --kubeconfig "$FIX/single/config" --context gone config view --minify
	[ "$stderr" = "error: cannot locate context gone" ]
}

@test "config current-context: unset is an error" {
	run -1 --separate-stderr "$MAASCTL" --kubeconfig "$FIX/no-current/config" config current-context
	[ "$stderr" = "error: current-context is not set" ]
	run -0 "$MAASCTL" --kubeconfig "$FIX/single/config" config current-context
	[ "$output" = dev ]
}

@test "config get-contexts: table, names and a missing name" {
	export KUBECONFIG="$FIX/merge-conflict/a.yaml:$FIX/merge-conflict/b.yaml"
	run -0 --separate-stderr "$MAASCTL" config get-contexts
	[ "${lines[0]}" = "CURRENT   NAME   CLUSTER   AUTHINFO   NAMESPACE" ]
	[ "${lines[1]}" = "          blue   only-b    red-user   blue-ns" ]
	[ "${lines[2]}" = "*         red    shared    red-user   red-ns" ]
	run -0 "$MAASCTL" config get-contexts -o name
	[ "$output" = $'blue\nred' ]
	run -0 "$MAASCTL" config get-contexts --no-headers red
	[ "$output" = "*     red   shared   red-user   red-ns" ]
	run -4 --separate-stderr "$MAASCTL" config get-contexts red nope
	[ "$stderr" = "error: context nope not found" ]
	[ "${#lines[@]}" -eq 2 ]
	run -4 --separate-stderr "$MAASCTL" config get-contexts nope1 nope2
	[ "$stderr" = $'context nope1 not found\ncontext nope2 not found' ]
	run -2 --separate-stderr "$MAASCTL" config get-contexts -o wide
	[ "$stderr" = "error: output must be one of '' or 'name'" ]
}

@test "config use-context writes the file kubectl would write" {
	need_kubectl
	# Relative paths, unknown fields and exec defaults: the whole file is
	# re-encoded the way client-go writes it.
	cp "$FIX/merge-conflict/b.yaml" "$BATS_TEST_TMPDIR/m.yaml"
	cp "$FIX/merge-conflict/b.yaml" "$BATS_TEST_TMPDIR/k.yaml"
	chmod 0640 "$BATS_TEST_TMPDIR/m.yaml"
	run -0 --separate-stderr "$MAASCTL" --kubeconfig "$BATS_TEST_TMPDIR/m.yaml" config use-context red
	[ "$output" = 'Switched to context "red".' ]
	run -0 "$KUBECTL" --kubeconfig "$BATS_TEST_TMPDIR/k.yaml" config use-context red
	diff -u "$BATS_TEST_TMPDIR/k.yaml" "$BATS_TEST_TMPDIR/m.yaml"
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/m.yaml")" = 640 ]
	run -0 "$MAASCTL" --kubeconfig "$BATS_TEST_TMPDIR/m.yaml" config current-context
	[ "$output" = red ]
	[ -z "$(ls "$BATS_TEST_TMPDIR" | grep '\.tmp\.')" ]
}

@test "config use-context: KUBECONFIG list writes the first existing file" {
	need_kubectl
	for p in m k; do
		mkdir -p "$BATS_TEST_TMPDIR/$p"
		cp "$FIX/merge-conflict/a.yaml" "$FIX/merge-conflict/b.yaml" "$BATS_TEST_TMPDIR/$p/"
	done
	KUBECONFIG="$BATS_TEST_TMPDIR/m/nope.yaml:$BATS_TEST_TMPDIR/m/b.yaml:$BATS_TEST_TMPDIR/m/a.yaml" \
	    run -0 "$MAASCTL" config use-context blue
	KUBECONFIG="$BATS_TEST_TMPDIR/k/nope.yaml:$BATS_TEST_TMPDIR/k/b.yaml:$BATS_TEST_TMPDIR/k/a.yaml" \
	    run -0 "$KUBECTL" config use-context blue
	diff -u "$BATS_TEST_TMPDIR/k/b.yaml" "$BATS_TEST_TMPDIR/m/b.yaml"
	cmp "$BATS_TEST_TMPDIR/m/a.yaml" "$FIX/merge-conflict/a.yaml"
	[ ! -e "$BATS_TEST_TMPDIR/m/nope.yaml" ]
}

@test "config use-context: unknown context fails and leaves the file alone" {
	cp "$FIX/single/config" "$BATS_TEST_TMPDIR/c.yaml"
	run -4 --separate-stderr "$MAASCTL" --kubeconfig "$BATS_TEST_TMPDIR/c.yaml" config use-context nope
	[ "$stderr" = 'error: no context exists with the name: "nope"' ]
	cmp "$BATS_TEST_TMPDIR/c.yaml" "$FIX/single/config"
}

@test "config view hides secrets unless --raw" {
	run -0 "$MAASCTL" --kubeconfig "$FIX/data-and-path/config" config view
	[[ $output != *secret* ]]
	[[ $output == *"password: REDACTED"* ]]
	[[ $output == *"token: REDACTED"* ]]
	[[ $output == *"certificate-authority-data: DATA+OMITTED"* ]]
	run -0 "$MAASCTL" --kubeconfig "$FIX/data-and-path/config" config view --raw
	[[ $output == *"password: secret"* ]]
}

@test "completion offers kubeconfig context names" {
	export KUBECONFIG="$FIX/merge-conflict/a.yaml:$FIX/merge-conflict/b.yaml"
	run -0 "$MAASCTL" __complete config use-context ''
	[[ $output == *blue* ]] && [[ $output == *red* ]]
	run -0 "$MAASCTL" __complete --context ''
	[[ $output == *blue* ]]
}
