#!/usr/bin/env bash
# kube-list.sh: real kubectl against a sandbox holding 2,000 MaaSSubscriptions.
# Reports requests/s and latency of create, list and get, as kubectl sees them
# (whole kubectl invocations, discovery cache warm) and, with wrk, as the
# server sees them (keep-alive HTTP, no client start-up).  Writes a report to
# tests/bench/results/kube-list-<UTC time>.md that names the command that
# produced it.  Benchmarks are not tests: nothing here passes or fails on a
# number.
#
# Environment: MAASCTL (binary, default build/maasctl), KUBECTL (default
# kubectl), N (objects, default 2000), REPS (timed kubectl runs per case,
# default 20), WRK_SECONDS (default 5; 0 skips wrk), RESULTS (report dir).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
: "${MAASCTL:=$ROOT/build/maasctl}"
: "${KUBECTL:=kubectl}"
: "${N:=2000}"
: "${REPS:=20}"
: "${WRK_SECONDS:=5}"
: "${RESULTS:=$ROOT/tests/bench/results}"
export MAASCTL NO_COLOR=1
NS=models-as-a-service
KIND=maassubscriptions
COMMAND="N=$N REPS=$REPS WRK_SECONDS=$WRK_SECONDS tests/bench/kube-list.sh"

# shellcheck source=tests/helpers/sandbox.bash
. "$ROOT/tests/helpers/sandbox.bash"

command -v "$KUBECTL" >/dev/null || { echo "kube-list: $KUBECTL not found" >&2; exit 1; }
[ -x "$MAASCTL" ] || { echo "kube-list: $MAASCTL is not executable (run make)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/maasctl-bench.XXXXXX")
cleanup() {
	sandbox_down "$work/state" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
export HOME=$work/home KUBECACHEDIR=$work/kubecache
mkdir -p "$HOME"

now_ns() { date +%s%N; }

# calc EXPR: evaluate an arithmetic expression, one decimal.
calc() { awk "BEGIN { printf \"%.1f\", $1 }"; }

# stats FILE: "mean p50 p90 p99 max" (ms, 1 decimal) of one number per line.
stats() {
	sort -n "$1" | awk '
	    { v[NR] = $1; s += $1 }
	    function pct(p,  i) { i = int(p * NR + 0.999999); if (i < 1) i = 1; if (i > NR) i = NR; return v[i] }
	    END { printf "%.1f %.1f %.1f %.1f %.1f\n", s / NR, pct(0.50), pct(0.90), pct(0.99), v[NR] }'
}

# timed FILE CMD...: run CMD (output discarded), append its wall time in ms.
timed() {
	local out=$1 t0 t1
	shift
	t0=$(now_ns)
	"$@" >/dev/null
	t1=$(now_ns)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e6 }' >>"$out"
}

# row NAME FILE REQS: a table row for REPS kubectl runs of REQS requests each.
row() {
	local name=$1 file=$2 reqs=$3 mean p50 p90 p99 max
	read -r mean p50 p90 p99 max < <(stats "$file")
	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$(wc -l <"$file")" \
	    "$reqs" "$(calc "1000 * $reqs / $mean")" "$mean" "$p50" "$p90" "$p99" "$max"
}

echo "kube-list: starting a sandbox" >&2
sandbox_up "$work/state"
export KUBECONFIG=$SANDBOX_KUBECONFIG
k() { "$KUBECTL" "$@"; }

# The MaaS namespace exists in a fresh sandbox; wait for the CRD to serve.
for _ in $(seq 100); do
	k get "$KIND" -n "$NS" >/dev/null 2>&1 && break
	sleep 0.1
done
k get "$KIND" -n "$NS" >/dev/null

# --- create: one kubectl create -f with N objects (one POST each) ----------
gen() {
	local i
	for ((i = $1; i < $2; i++)); do
		printf -- '---\napiVersion: maas.opendatahub.io/v1alpha1\nkind: MaaSSubscription\nmetadata:\n  name: bench-sub-%05d\n  namespace: %s\n  labels:\n    bench: kube-list\n    shard: "%d"\nspec:\n  owner:\n    groups:\n    - name: bench-group-%d\n  modelRefs:\n  - name: bench-model-%d\n    namespace: llm\n    tokenRateLimits:\n    - limit: %d\n      window: 1m\n  priority: %d\n' \
		    "$i" "$NS" $((i % 10)) $((i % 50)) $((i % 20)) $((1000 + i)) $((i % 100))
	done
}
gen 0 "$N" >"$work/subs.yaml"
echo "kube-list: creating $N MaaSSubscriptions" >&2
t0=$(now_ns)
k create -f "$work/subs.yaml" >/dev/null
t1=$(now_ns)
bulk_ms=$(calc "($t1 - $t0) / 1000000")
bulk_rate=$(calc "1000 * $N / $bulk_ms")
count=$(k get "$KIND" -n "$NS" -l bench=kube-list --no-headers | wc -l)
[ "$count" -eq "$N" ] || { echo "kube-list: $count objects listed, want $N" >&2; exit 1; }

# --- per-invocation latency of kubectl create, list, get -------------------
echo "kube-list: timing $REPS kubectl runs per case" >&2
for ((r = 0; r < REPS; r++)); do
	gen $((N + r)) $((N + r + 1)) | sed 's/bench: kube-list/bench: extra/' >"$work/one.yaml"
	timed "$work/create.ms" k create -f "$work/one.yaml"
	timed "$work/list-table.ms" k get "$KIND" -n "$NS" -l bench=kube-list
	timed "$work/list-json.ms" k get "$KIND" -n "$NS" -l bench=kube-list -o json
	timed "$work/list-one-page.ms" k get "$KIND" -n "$NS" -l bench=kube-list --chunk-size=0 -o name
	timed "$work/list-shard.ms" k get "$KIND" -n "$NS" -l shard=3
	timed "$work/get.ms" k get "$KIND" -n "$NS" "$(printf 'bench-sub-%05d' $((RANDOM % N)))"
	timed "$work/get-yaml.ms" k get "$KIND" -n "$NS" "$(printf 'bench-sub-%05d' $((RANDOM % N)))" -o yaml
done
pages=$(((N + 499) / 500))

# --- the server alone: wrk over keep-alive connections ---------------------
wrk_rows=""
if [ "$WRK_SECONDS" != 0 ] && command -v wrk >/dev/null; then
	echo "kube-list: wrk, ${WRK_SECONDS}s per case" >&2
	base="$SANDBOX_API_URL/apis/maas.opendatahub.io/v1alpha1/namespaces/$NS/$KIND"
	for c in "list-500|$base?limit=500" "list-all|$base" "get|$base/bench-sub-00042"; do
		name=${c%%|*}
		url=${c#*|}
		wrk -t2 -c4 -d"${WRK_SECONDS}s" --latency -H "Authorization: Bearer $SANDBOX_ADMIN_TOKEN" \
		    "$url" >"$work/wrk-$name.txt" 2>&1 || true
		rps=$(awk '/^Requests\/sec:/ { print $2 }' "$work/wrk-$name.txt")
		lat=$(awk '/^ +Latency / && !done { print $2; done = 1 }' "$work/wrk-$name.txt")
		p50=$(awk '/^ +50%/ { print $2 }' "$work/wrk-$name.txt")
		p90=$(awk '/^ +90%/ { print $2 }' "$work/wrk-$name.txt")
		p99=$(awk '/^ +99%/ { print $2 }' "$work/wrk-$name.txt")
		non2xx=$(awk '/Non-2xx/ { print $NF }' "$work/wrk-$name.txt")
		wrk_rows+="| GET $name | ${rps:-?} | ${lat:-?} | ${p50:-?} | ${p90:-?} | ${p99:-?} | ${non2xx:-0} |"$'\n'
	done
fi

# --- report ------------------------------------------------------------------
mkdir -p "$RESULTS"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
report=$RESULTS/kube-list-$stamp.md
{
	echo "# kube-list: kubectl against a sandbox with $N MaaSSubscriptions"
	echo
	echo "Produced by: \`$COMMAND\` (from the repository root, \`make bench\` runs it)"
	echo
	echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "- maasctl: $("$MAASCTL" version 2>/dev/null | head -1)"
	echo "- kubectl: $(k version --client 2>/dev/null | head -1)"
	echo "- machine: $(nproc) CPUs, $(uname -srm); shared with other jobs, so numbers vary"
	echo "- sandbox: HTTPS on 127.0.0.1, SQLite store, fresh state dir"
	echo
	echo "## Create"
	echo
	echo "\`kubectl create -f\` of $N objects (one POST each, sequential): ${bulk_ms} ms,"
	echo "**${bulk_rate} creates/s**, $(awk "BEGIN { printf \"%.2f\", $bulk_ms / $N }") ms per object."
	echo
	echo "## kubectl runs (each a whole kubectl process; ms)"
	echo
	echo "| case | runs | HTTP requests/run | requests/s | mean | p50 | p90 | p99 | max |"
	echo "|---|---|---|---|---|---|---|---|---|"
	row "create one object" "$work/create.ms" 1
	row "list $N (table, chunks of 500)" "$work/list-table.ms" "$pages"
	row "list $N (-o json, chunks of 500)" "$work/list-json.ms" "$pages"
	row "list $N (-o name, --chunk-size=0)" "$work/list-one-page.ms" 1
	row "list by label (N/10 objects)" "$work/list-shard.ms" 1
	row "get one (table)" "$work/get.ms" 1
	row "get one (-o yaml)" "$work/get-yaml.ms" 1
	echo
	echo "requests/s is the HTTP request rate of one kubectl run after another"
	echo "(requests per run / mean run time), kubectl start-up included."
	if [ -n "$wrk_rows" ]; then
		echo
		echo "## Server alone (wrk -t2 -c4 -d${WRK_SECONDS}s, keep-alive, admin token)"
		echo
		echo "| request | requests/s | mean | p50 | p90 | p99 | non-2xx |"
		echo "|---|---|---|---|---|---|---|"
		printf '%s' "$wrk_rows"
	fi
} >"$report"
cat "$report"
echo "kube-list: report written to ${report#"$ROOT"/}" >&2
