#!/usr/bin/env bash
# modelsim.sh: how closely the model simulator keeps its configured TTFT
# and inter-token latency as concurrent streams grow (issue 6, Done-when 4).
#
#   tests/bench/modelsim.sh [CONCURRENCY...]	(default: 10 100 1000)
#
# Starts build/tests/helpers/modelsim-serve on 127.0.0.1 (a free port) with
# one model: ttft 100ms, itl 20ms, no jitter, no load factor, slots for all.
# For each level C it opens C streaming requests at once (20 tokens each,
# ignore_eos) with curl processes of at most 250 parallel transfers, and
# takes curl's --write-out as the independent clock:
#	TTFT  = time_starttransfer - time_pretransfer (from the request
#		being sent; the status line leaves with the first token)
#	ITL   = (time_total - time_starttransfer) / 19	(mean gap per request)
# and prints p50/p99/max of the error against the configured values, in ms.
# A benchmark, not a test: the figures depend on the machine's load; the
# clients (curl) share the cores with the server.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
SERVE=$BUILD/tests/helpers/modelsim-serve
[ -x "$SERVE" ] || { echo "modelsim.sh: build $SERVE first (make tests-build)" >&2; exit 1; }
levels=${*:-10 100 1000}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/modelsim-bench.XXXXXX")
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
printf '{"models":{"bench":{"ttft":"100ms","itl":"20ms","max-num-seqs":100000,"max-waiting":100000}}}\n' >"$tmp/config.json"
"$SERVE" --config "$tmp/config.json" --port-file "$tmp/port" --lifetime 900 \
    --stats-file "$tmp/stats" 2>"$tmp/serve.err" &
pid=$!
for _ in $(seq 1 250); do [ -s "$tmp/port" ] && break; sleep 0.02; done
url=http://127.0.0.1:$(cat "$tmp/port")/v1/chat/completions
body='{"model":"bench","messages":[{"role":"user","content":"bench"}],"max_tokens":20,"ignore_eos":true,"stream":true}'

echo "# tests/bench/modelsim.sh $levels"
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -srm), $(nproc) cores, $(curl --version | head -1 | cut -d' ' -f1-2)"
echo "# configured: ttft 100 ms, itl 20 ms; errors = measured - configured, ms"
printf '%-6s %-5s %-24s %-24s\n' conc ok "ttft err p50/p99/max" "itl err p50/p99/max"
for c in $levels; do
	procs=$(( (c + 249) / 250 ))
	: >"$tmp/times"
	pids=()
	for p in $(seq 1 "$procs"); do
		n=$(( c / procs + (p <= c % procs ? 1 : 0) ))
		{ for _ in $(seq 1 "$n"); do printf 'url = "%s"\noutput = "/dev/null"\n' "$url"; done; } >"$tmp/k$p"
		curl -sS -Z --parallel-immediate --parallel-max "$n" -K "$tmp/k$p" \
		    -H 'Content-Type: application/json' -d "$body" \
		    -w '%{http_code} %{time_starttransfer} %{time_total} %{time_pretransfer}\n' \
		    >>"$tmp/times" 2>>"$tmp/curl.err" &
		pids+=($!)
	done
	wait "${pids[@]}" || true
	ok=$(awk '$1 == 200' "$tmp/times" | wc -l)
	ttft=$(awk '$1 == 200 { printf "%.3f\n", ($2 - $4 - 0.100) * 1000 }' "$tmp/times" | sort -n)
	itl=$(awk '$1 == 200 { printf "%.3f\n", (($3 - $2) / 19 - 0.020) * 1000 }' "$tmp/times" | sort -n)
	pct() { awk -v q="$1" '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit } i = int(q * NR + 0.999999); if (i < 1) i = 1; if (i > NR) i = NR; print v[i] }'; }
	printf '%-6s %-5s %-24s %-24s\n' "$c" "$ok" \
	    "$(pct 0.5 <<<"$ttft")/$(pct 0.99 <<<"$ttft")/$(pct 1 <<<"$ttft")" \
	    "$(pct 0.5 <<<"$itl")/$(pct 0.99 <<<"$itl")/$(pct 1 <<<"$itl")"
done
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
echo "# simulator counters: $(tr '\n' ' ' <"$tmp/stats")"
