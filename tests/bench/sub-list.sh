#!/usr/bin/env bash
# sub-list.sh: `maasctl subscription list -A` against `kubectl get
# maassubscriptions -A` on 2,000 MaaSSubscriptions in the same sandbox
# (issue #4, Done-when 5).  Each tool runs REPS times, alternating, with
# its output (a table of every subscription) sent to /dev/null; wall time
# and peak RSS come from GNU time.  Writes tests/bench/results/sub-list-
# <UTC time>.md naming the command that produced it.  Benchmarks are not
# tests: nothing here passes or fails on a number (the report says whether
# the 5x targets were met).
#
# Environment: MAASCTL (default build/maasctl), KUBECTL (default kubectl),
# N (objects, default 2000), REPS (runs per tool, default 20), RESULTS.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
: "${MAASCTL:=$ROOT/build/maasctl}"
: "${KUBECTL:=kubectl}"
: "${N:=2000}"
: "${REPS:=20}"
: "${RESULTS:=$ROOT/tests/bench/results}"
export MAASCTL NO_COLOR=1
NS=models-as-a-service
COMMAND="N=$N REPS=$REPS tests/bench/sub-list.sh"
TIME=/usr/bin/time

# shellcheck source=tests/helpers/sandbox.bash
. "$ROOT/tests/helpers/sandbox.bash"

command -v "$KUBECTL" >/dev/null || { echo "sub-list: $KUBECTL not found" >&2; exit 1; }
[ -x "$MAASCTL" ] || { echo "sub-list: $MAASCTL is not executable (run make)" >&2; exit 1; }
[ -x "$TIME" ] || { echo "sub-list: $TIME (GNU time) not found" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/maasctl-sub-list.XXXXXX")
cleanup() {
	sandbox_down "$work/state" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
export HOME=$work/home KUBECACHEDIR=$work/kubecache
mkdir -p "$HOME"

echo "sub-list: starting a sandbox" >&2
MAASCTL_CONFIG=$work/config.yaml sandbox_up "$work/state"
export KUBECONFIG=$SANDBOX_KUBECONFIG

for _ in $(seq 100); do
	"$KUBECTL" get maassubscriptions -n "$NS" >/dev/null 2>&1 && break
	sleep 0.1
done

# N subscriptions, several models and limits each, like a real tenant.
gen() {
	local i
	for ((i = 0; i < N; i++)); do
		printf -- '---\napiVersion: maas.opendatahub.io/v1alpha1\nkind: MaaSSubscription\nmetadata:\n  name: bench-sub-%05d\n  namespace: %s\n  annotations:\n    openshift.io/display-name: "Bench subscription %d"\nspec:\n  owner:\n    groups:\n    - name: bench-group-%d\n    users: []\n  modelRefs:\n  - name: bench-model-%d\n    namespace: llm\n    tokenRateLimits:\n    - limit: %d\n      window: 1m\n    - limit: %d\n      window: 24h\n  - name: bench-model-%d\n    namespace: llm\n    tokenRateLimits:\n    - limit: 1000\n      window: 1h\n  priority: %d\n  tokenMetadata:\n    organizationId: org-%d\n    costCenter: cc-%d\n' \
		    "$i" "$NS" "$i" $((i % 50)) $((i % 20)) $((1000 + i)) $((100000 + i)) $(((i + 7) % 20)) $((i % 100)) $((i % 13)) $((i % 5))
	done
}
gen >"$work/subs.yaml"
echo "sub-list: creating $N MaaSSubscriptions" >&2
create_t0=$EPOCHREALTIME
"$KUBECTL" create -f "$work/subs.yaml" >/dev/null
created=$(awk -v a="$create_t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')

# Nothing is timed until the sandbox has settled: its controller has
# reconciled all N (each has a status.phase) and the daemon is idle (its
# CPU time grows by at most one clock tick in a second).  Timing while the
# controller still works through the bulk create measures the two tools
# against a server short of a CPU, not the tools.
settle_t0=$EPOCHREALTIME
for ((i = 0; i < 1200; i++)); do
	phased=$("$MAASCTL" get maassubscriptions -A -o 'jsonpath={range .items[*]}{.status.phase}{"\n"}{end}' | grep -c . || true)
	[ "$phased" -eq "$N" ] && break
	sleep 0.5
done
[ "$phased" -eq "$N" ] || {
	echo "sub-list: the controller reconciled $phased of $N subscriptions in 10 minutes" >&2
	exit 1
}
ticks() { awk '{ print $14 + $15 }' "/proc/$SANDBOX_PID/stat"; }
for ((i = 0; i < 600; i++)); do
	a=$(ticks)
	sleep 1
	b=$(ticks)
	[ $((b - a)) -le 1 ] && break
done
settled=$(awk -v a="$settle_t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
sandbox_cpu=$(awk -v t="$(ticks)" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t / hz }')
echo "sub-list: the sandbox settled ${settled} s after the create" >&2

# Both tools must see all N before anything is timed (and warm kubectl's
# discovery cache, as an interactive user's would be).
m=$("$MAASCTL" subscription list -A --no-headers | wc -l)
k=$("$KUBECTL" get maassubscriptions -A --no-headers | wc -l)
[ "$m" -eq "$N" ] && [ "$k" -eq "$N" ] || {
	echo "sub-list: maasctl listed $m, kubectl $k, want $N" >&2
	exit 1
}

# run_timed FILE ROWS CMD...: append "<wall s> <peak RSS KiB> <CPU s>" of
# one run, whose table (to a file, the same for both tools) must have ROWS
# lines: every timed run listed the whole set.  Peak RSS and CPU (user +
# system, all threads) come from GNU time; wall time from bash's
# EPOCHREALTIME (microseconds) around it, as GNU time's %e counts in
# steps of 10 ms, too coarse for a run of 50 ms (this includes GNU time's
# own start, well under a millisecond, the same for both tools).
run_timed() {
	local out=$1 want=$2 got t0 t1
	shift 2
	t0=$EPOCHREALTIME
	"$TIME" -f '%e %M %U %S' -o "$work/one.time" "$@" >"$work/one.out"
	t1=$EPOCHREALTIME
	got=$(wc -l <"$work/one.out")
	[ "$got" -eq "$want" ] || {
		echo "sub-list: $1 printed $got lines, want $want" >&2
		exit 1
	}
	awk -v t0="$t0" -v t1="$t1" '{ printf "%.4f %s %.2f\n", t1 - t0, $2, $3 + $4 }' \
	    "$work/one.time" >>"$out"
}

# The floor both tools share: the server producing all N objects, asked
# by curl in one request (no client start-up, no parsing).
ca=()
[ -n "$SANDBOX_CA" ] && ca=(--cacert "$SANDBOX_CA")
floor() {
	curl -sS --noproxy '*' "${ca[@]}" -o /dev/null -w '%{time_total}\n' \
	    -H "Authorization: Bearer $SANDBOX_ADMIN_TOKEN" \
	    "$SANDBOX_API_URL/apis/maas.opendatahub.io/v1alpha1/maassubscriptions" >>"$work/curl.t"
}

echo "sub-list: $REPS runs of each tool" >&2
for ((r = 0; r < REPS; r++)); do
	run_timed "$work/maasctl.t" $((N + 1)) "$MAASCTL" subscription list -A
	run_timed "$work/kubectl.t" $((N + 1)) "$KUBECTL" get maassubscriptions -A
	floor
done

# Each tool's own floor, measured the same way: the same list in a
# namespace with no subscriptions (start-up, kubeconfig, TLS, one request).
for ((r = 0; r < 5; r++)); do
	run_timed "$work/maasctl-empty.t" 0 "$MAASCTL" subscription list -n default
	run_timed "$work/kubectl-empty.t" 0 "$KUBECTL" get maassubscriptions -n default
done 2>/dev/null

# stats FILE COL: "mean median max" of a column.
stats() {
	awk -v c="$2" '{ print $c }' "$1" | sort -n | awk '
	    { v[NR] = $1; s += $1 }
	    END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		  printf "%.3f %.3f %.3f\n", s / NR, m, v[NR] }'
}
read -r mw_mean mw_med mw_max < <(stats "$work/maasctl.t" 1)
read -r kw_mean kw_med kw_max < <(stats "$work/kubectl.t" 1)
read -r mr_mean mr_med mr_max < <(stats "$work/maasctl.t" 2)
read -r kr_mean kr_med kr_max < <(stats "$work/kubectl.t" 2)
read -r mc_mean mc_med mc_max < <(stats "$work/maasctl.t" 3)
read -r kc_mean kc_med kc_max < <(stats "$work/kubectl.t" 3)
read -r cw_mean cw_med cw_max < <(stats "$work/curl.t" 1)
read -r _ mew_med _ < <(stats "$work/maasctl-empty.t" 1)
read -r _ mer_med _ < <(stats "$work/maasctl-empty.t" 2)
read -r _ kew_med _ < <(stats "$work/kubectl-empty.t" 1)
read -r _ ker_med _ < <(stats "$work/kubectl-empty.t" 2)
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) b = 0.001; printf "%.1f", a / b }'; }
wall_ratio=$(ratio "$kw_med" "$mw_med")
rss_ratio=$(ratio "$kr_med" "$mr_med")
cpu_ratio=$(ratio "$kc_med" "$mc_med")
# met KUBECTL MAASCTL: "yes" when the unrounded ratio is 5 or more (4.98
# prints as 5.0 but is not met).
met() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) b = 0.001; print (a / b >= 5) ? "yes" : "no" }'; }

mkdir -p "$RESULTS"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
report=$RESULTS/sub-list-$stamp.md
{
	echo "# sub-list: \`maasctl subscription list -A\` vs \`kubectl get maassubscriptions -A\`"
	echo
	echo "Produced by: \`$COMMAND\` (from the repository root)"
	echo
	echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "- maasctl: $("$MAASCTL" version 2>/dev/null | head -1)"
	echo "- kubectl: $("$KUBECTL" version --client 2>/dev/null | head -1)"
	echo "- machine: $(nproc) CPUs, $(uname -srm), load average $(cut -d' ' -f1-3 /proc/loadavg); shared with other jobs, so numbers vary"
	echo "- sandbox: HTTPS on 127.0.0.1, SQLite store, fresh state dir, $N MaaSSubscriptions (2 models, 3 limits, tokenMetadata each)"
	echo "- settled before timing: the controller had reconciled all $N and the daemon was idle ${settled} s after \`kubectl create\` returned, which took ${created} s (daemon CPU since start, the create included: ${sandbox_cpu} s)"
	echo "- each run: the whole process, table output to /dev/null, kubeconfig and kubectl's discovery cache warm; $REPS runs per tool, alternating"
	echo "- measured with GNU time (\`/usr/bin/time -f '%e %M %U %S'\`): peak resident set size and CPU (user + system, every thread); wall seconds from bash's \`EPOCHREALTIME\` around each run (microseconds; GNU time's %e counts in 10 ms steps)"
	echo
	echo "| tool | wall mean (s) | wall median (s) | wall max (s) | CPU median (s) | peak RSS median (MiB) | peak RSS max (MiB) |"
	echo "|---|---|---|---|---|---|---|"
	printf '| maasctl subscription list -A | %s | %s | %s | %s | %.1f | %.1f |\n' "$mw_mean" "$mw_med" "$mw_max" "$mc_med" \
	    "$(awk -v k="$mr_med" 'BEGIN { print k / 1024 }')" "$(awk -v k="$mr_max" 'BEGIN { print k / 1024 }')"
	printf '| kubectl get maassubscriptions -A | %s | %s | %s | %s | %.1f | %.1f |\n' "$kw_mean" "$kw_med" "$kw_max" "$kc_med" \
	    "$(awk -v k="$kr_med" 'BEGIN { print k / 1024 }')" "$(awk -v k="$kr_max" 'BEGIN { print k / 1024 }')"
	printf '| (floor) curl, the whole list in one request | %s | %s | %s | - | - | - |\n' "$cw_mean" "$cw_med" "$cw_max"
	printf '| (floor) maasctl, empty namespace | - | %s | - | - | %s | - |\n' "$mew_med" "$(mib "$mer_med")"
	printf '| (floor) kubectl, empty namespace | - | %s | - | - | %s | - |\n' "$kew_med" "$(mib "$ker_med")"
	echo
	echo "**Ratio (kubectl / maasctl, medians): wall ${wall_ratio}x, peak RSS ${rss_ratio}x, CPU ${cpu_ratio}x.**"
	echo "Target at least 5x on both wall and RSS: wall $(met "$kw_med" "$mw_med"), RSS $(met "$kr_med" "$mr_med")."
	echo
	echo "Both tools wait for the same server: the curl floor row is the sandbox"
	echo "alone producing the $N objects in one request (from its SQLite store,"
	echo "whose pages it keeps cached in memory, as a real API server lists from"
	echo "its watch cache).  Both tools ask for them in pages of 500 (kubectl's"
	echo "default chunk size): kubectl asks for server-side Tables, maasctl for"
	echo "the objects (its columns are not the CRD's printer columns), which it"
	echo "reads as a stream: the thread reading the reply splits it into"
	echo "objects and keeps only the members the columns read (no"
	echo "managedFields, conditions or the like), and a second thread parses"
	echo "each and turns it into its row as it arrives, in order, so its"
	echo "memory is its start-up plus the rows.  The empty-namespace rows are"
	echo "each tool's own floor:"
	echo "start-up, kubeconfig, TLS and one request; for maasctl that is mostly"
	echo "OpenSSL (libcrypto's pages touched by the TLS handshake) and libc:"
	echo "maasctl's own HTTP/1.1 client carries the requests, and libcurl, SQLite"
	echo "and libedit are not loaded by this command (ldd and"
	echo "tests/cli/startup.bats show which libraries a command maps)."
} >"$report"
cat "$report"
echo "sub-list: report written to ${report#"$ROOT"/}" >&2
