#!/usr/bin/env bash
# modelsim.sh: how closely the model simulator keeps its configured TTFT
# and inter-token latency as concurrent streams grow (issue 6, Done-when 4).
#
#   tests/bench/modelsim.sh [-c multi|curl] [-t TTFT_MS] [-i ITL_MS]
#       [-k TOKENS] [-r RAMP_S] [-P] [-S POLL] [-C] [-A kernel|loop] [-L]
#       [-F] [-W batched|writev] [CONCURRENCY...]
#       (default levels: 100 1000 5000)
#
# For each level C it starts a fresh build/tests/helpers/modelsim-serve on
# 127.0.0.1 (a free port), pinned to CPU 0 when taskset exists, with one
# model: TTFT and ITL as given (default 100 ms / 20 ms), no jitter, no load
# factor, slots for all.  It then opens C streaming requests at once (K
# tokens each, ignore_eos), the clients pinned to the other CPU:
#   -c multi  (default) one build/tests/helpers/stream-load process: libcurl
#             multi on one epoll loop, printing the same libcurl timers as
#             curl --write-out, plus the largest token gap of each stream;
#             -r spreads the starts over RAMP_S seconds (make K large
#             enough that the streams still overlap: all C run at once);
#   -c curl   curl processes of at most 250 parallel transfers each.
# -P (root only) runs the benchmark in a session of its own whose autogroup
# is set to nice -20 (with autogroup scheduling, a process's nice counts
# only inside its session), so on a machine shared with other work the
# server really has its core for the run; without it the server waits on
# the run queue and its timers fire late whatever the code does.
# Taking curl's timers as the independent clock:
#	TTFT  = time_starttransfer - time_pretransfer (from the request
#		being sent; the status line leaves with the first token)
#	ITL   = (time_total - time_starttransfer) / (K - 1)  (mean gap per
#		request)
# it prints p50/p99/max of the error against the configured values (ms);
# with -c multi also the stricter per-gap figure "gap99 err": the p99 over
# streams of each stream's 99th-percentile gap between two token-bearing
# reads, minus ITL (so one late token in a hundred counts, where the mean
# above averages it away); and, to tell a late server from a slow client:
# the server's own token
# timer lateness (p99, ms), its CPU use over the level (% of one core) and,
# with -c multi, the p99 over streams of each stream's largest token gap;
# and the server's CPU time per token sent (us/token), the figure that says
# how many streams one core can carry: 1e6 / us_per_token tokens/s, i.e.
# that times ITL concurrent streams.
# Precision mode (the machine's wake-up latency out of both clocks):
#   -S POLL   the server busy-polls (modelsim-serve --busy-poll POLL: true
#             to never sleep, or a margin such as 3ms to poll from that
#             long before each deadline); its CPU use is then ~100% and
#             us/token is not printed (it would count the polling)
#   -C        the client busy-polls (stream-load --busy-poll; -c multi only)
# The header says which side polls.
#   -A WHERE  where the server's TTFT clock starts (modelsim-serve
#             --arrival): kernel (default) the kernel's receive time of the
#             request's first byte, as a real server's arrival time; loop
#             the start of the event loop's turn that read the request
#             (the behaviour before).  "srv intake99" is the p99 of the
#             time from that receive time to the simulator's handler: the
#             queueing in the server that the kernel's clock takes out.
#   -L        (diagnosis, -c multi) the client times its own lateness:
#             stream-load --lag peeks the kernel's receive time before each
#             read (a recvmsg more per read, so the client costs more);
#             "cli lag1st p99" is the p99 over streams of how long after
#             its arrival the first response byte was read (what the
#             client adds to TTFT), "cli lag99" the p99 over streams of
#             each stream's 99th-percentile lag of token reads.
#   -W HOW    how the server writes token chunks (modelsim-serve --send):
#             batched (default) the tokens due in one wake-up in one
#             io_uring submission, writev one writev() per token (the
#             behaviour before); "srv batch" is the mean number of chunks
#             per submission (- with writev)
# -F first measures the machine's own
# floor on the server's CPU with build/tests/helpers/clock-floor: how late
# a process doing nothing else sees 1,000 deadlines 5 ms apart, sleeping
# and busy-polling (no simulator can keep its timers better than that),
# and with build/tests/helpers/send-floor the CPU time one 158-byte token
# chunk costs the server's CPU over loopback TCP, one writev() each and
# in io_uring batches (no simulator sends more than 1e6 / that tokens/s).
# A benchmark, not a test: figures depend on the machine's load.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
SERVE=${SERVE:-$BUILD/tests/helpers/modelsim-serve}
LOAD=${LOAD:-$BUILD/tests/helpers/stream-load}
args=("$@")
client=multi ttft=100 itl=20 k=20 ramp=0 prio= spoll= cpoll= floor= arrival=kernel lagm= send=batched
while getopts c:t:i:k:r:PS:CA:LFW: o; do
	case $o in
	W) send=$OPTARG ;;
	L) lagm=1 ;;
	A) arrival=$OPTARG ;;
	F) floor=1 ;;
	S) spoll=$OPTARG ;;
	C) cpoll=1 ;;
	r) ramp=$OPTARG ;;
	P) prio=1 ;;
	c) client=$OPTARG ;;
	t) ttft=$OPTARG ;;
	i) itl=$OPTARG ;;
	k) k=$OPTARG ;;
	*) echo "usage: $0 [-c multi|curl] [-t TTFT_MS] [-i ITL_MS] [-k TOKENS] [-r RAMP_S] [-P] [-S POLL] [-C] [-A kernel|loop] [-L] [-F] [-W batched|writev] [C...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
case $arrival in kernel|loop) ;; *) echo "modelsim.sh: -A: want kernel or loop, not $arrival" >&2; exit 2 ;; esac
case $send in batched|writev) ;; *) echo "modelsim.sh: -W: want batched or writev, not $send" >&2; exit 2 ;; esac
if [ -n "$lagm" ] && [ "$client" != multi ]; then
	echo "modelsim.sh: -L needs -c multi" >&2
	exit 2
fi
if [ -n "$cpoll" ] && [ "$client" != multi ]; then
	echo "modelsim.sh: -C needs -c multi (curl itself cannot busy-poll)" >&2
	exit 2
fi
if [ -n "$prio" ] && [ -z "${MODELSIM_BENCH_SESSION:-}" ]; then
	MODELSIM_BENCH_SESSION=1 exec setsid -w bash "$0" "${args[@]}"
fi
if [ -n "$prio" ] && ! echo -20 2>/dev/null >/proc/self/autogroup; then
	echo "modelsim.sh: -P: cannot raise this session's priority (need root)" >&2
	exit 1
fi
for b in "$SERVE" "$LOAD"; do
	[ -x "$b" ] || { echo "modelsim.sh: build $b first (make tests-build)" >&2; exit 1; }
done
levels=${*:-100 1000 5000}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/modelsim-bench.XXXXXX")
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
srv_pin=() cli_pin=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	srv_pin=(taskset -c 0) cli_pin=(taskset -c 1)
fi

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
printf '{"models":{"bench":{"ttft":"%sms","itl":"%sms","max-num-seqs":100000,"max-waiting":100000}}}\n' \
    "$ttft" "$itl" >"$tmp/config.json"
body=$(printf '{"model":"bench","messages":[{"role":"user","content":"bench"}],"max_tokens":%d,"ignore_eos":true,"stream":true}' "$k")
tck=$(getconf CLK_TCK)

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
pct() { awk -v q="$1" '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit } i = int(q * NR + 0.999999); if (i < 1) i = 1; if (i > NR) i = NR; print v[i] }'; }

echo "# tests/bench/modelsim.sh -c $client -t $ttft -i $itl -k $k -r $ramp${prio:+ -P}${spoll:+ -S $spoll}${cpoll:+ -C} -A $arrival${lagm:+ -L}${floor:+ -F} -W $send $levels"
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -srm), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(curl --version | head -1 | cut -d' ' -f1-2)"
echo "# server ${srv_pin[*]:-unpinned}, clients ${cli_pin[*]:-unpinned}${prio:+, session autogroup nice -20}; configured: ttft $ttft ms, itl $itl ms; errors = measured - configured, ms"
echo "# busy-poll: server ${spoll:-off (sleeps until deadlines)}, client $([ -n "$cpoll" ] && echo on || echo "off (sleeps in epoll_wait)"); server TTFT from: $([ "$arrival" = kernel ] && echo "the kernel's receive time of the request" || echo "the loop turn that read the request"); server writes tokens: $([ "$send" = batched ] && echo "batched (io_uring)" || echo "one writev() each")"
if [ -n "$floor" ]; then
	fl=$BUILD/tests/helpers/clock-floor
	[ -x "$fl" ] || { echo "modelsim.sh: build $fl first (make tests-build)" >&2; exit 1; }
	echo "# floor on the server's CPU (clock-floor, 5 ms x 1000): $("${srv_pin[@]}" "$fl" --period-ms 5 --count 1000); $("${srv_pin[@]}" "$fl" --poll --period-ms 5 --count 1000)"
	sf=$BUILD/tests/helpers/send-floor
	[ ! -x "$sf" ] || echo "# send floor, server CPU -> client CPU (send-floor, 1000 loopback sockets, 158-byte chunks): $("$sf"); $("$sf" --batched)"
fi
printf '%-6s %-5s %-26s %-24s %-10s %-9s %-10s %-12s %-8s %-8s %-9s%s\n' conc ok "ttft err p50/p99/max" "itl err p50/p99/max" "gap99 err" "gap p99" "srv late99" "srv intake99" "srv cpu" "us/token" "srv batch" " cli cpu${lagm:+  cli lag1st p99  cli lag99}"
for c in $levels; do
	rm -f "$tmp/port" "$tmp/stats" "$tmp/cli"
	"${srv_pin[@]}" "$SERVE" --config "$tmp/config.json" --port-file "$tmp/port" \
	    --lifetime 900 --stats-file "$tmp/stats" --arrival "$arrival" --send "$send" ${spoll:+--busy-poll "$spoll"} 2>"$tmp/serve.err" &
	pid=$!
	for _ in $(seq 1 250); do [ -s "$tmp/port" ] && break; sleep 0.02; done
	url=http://127.0.0.1:$(cat "$tmp/port")/v1/chat/completions
	: >"$tmp/times"
	t0=$(date +%s.%N) c0=$(cpu_ticks "$pid")
	if [ "$client" = multi ]; then
		"${cli_pin[@]}" "$LOAD" --url "$url" --body "$body" -n "$c" --ramp "$ramp" \
		    ${cpoll:+--busy-poll} ${lagm:+--lag} --cpu-file "$tmp/cli" >"$tmp/times" 2>>"$tmp/load.err" || true
	else
		procs=$(( (c + 249) / 250 ))
		pids=()
		for p in $(seq 1 "$procs"); do
			n=$(( c / procs + (p <= c % procs ? 1 : 0) ))
			{ for _ in $(seq 1 "$n"); do printf 'url = "%s"\noutput = "/dev/null"\n' "$url"; done; } >"$tmp/k$p"
			"${cli_pin[@]}" curl -sS --no-progress-meter -Z --parallel-immediate --parallel-max "$n" -K "$tmp/k$p" \
			    -H 'Content-Type: application/json' -d "$body" \
			    -w '%{http_code} %{time_starttransfer} %{time_total} %{time_pretransfer}\n' \
			    >>"$tmp/times" 2>>"$tmp/curl.err" &
			pids+=($!)
		done
		wait "${pids[@]}" || true
	fi
	t1=$(date +%s.%N) c1=$(cpu_ticks "$pid")
	kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
	ok=$(awk '$1 == 200' "$tmp/times" | wc -l)
	ttfte=$(awk -v t="$ttft" '$1 == 200 { printf "%.3f\n", ($2 - $4) * 1000 - t }' "$tmp/times" | sort -n)
	itle=$(awk -v i="$itl" -v k="$k" '$1 == 200 { printf "%.3f\n", ($3 - $2) * 1000 / (k - 1) - i }' "$tmp/times" | sort -n)
	gap=$(awk '$1 == 200 && NF >= 6 { printf "%.3f\n", $5 * 1000 }' "$tmp/times" | sort -n | pct 0.99)
	gap99=$(awk -v i="$itl" '$1 == 200 && NF >= 6 { printf "%.3f\n", $6 * 1000 - i }' "$tmp/times" | sort -n | pct 0.99)
	late=$(awk '$1 == "late_p99_us" { printf "%.3f", $2 / 1000 }' "$tmp/stats")
	intake=$(awk '$1 == "intake_p99_us" { v = $2 } $1 == "stamped" { n = $2 } END { if (n > 0) printf "%.3f", v / 1000 }' "$tmp/stats")
	cpu=$(awk -v a="$c0" -v b="$c1" -v t0="$t0" -v t1="$t1" -v hz="$tck" 'BEGIN { printf "%.0f%%", (b - a) / hz / (t1 - t0) * 100 }')
	tokens=$(awk '$1 == "tokens" { print $2 }' "$tmp/stats")
	batch=$(awk '$1 == "ring_sends" { s = $2 } $1 == "ring_flushes" { f = $2 } END { if (f > 0) printf "%.1f", s / f; else print "-" }' "$tmp/stats")
	per=$(awk -v a="$c0" -v b="$c1" -v hz="$tck" -v n="${tokens:-0}" -v p="$spoll" 'BEGIN { if (n > 0 && p == "") printf "%.1f", (b - a) / hz / n * 1e6; else print "-" }')
	ccpu=$(awk '$1 == "cpu" { c = $2 } $1 == "wall" { w = $2 } END { if (w > 0) printf "%.0f%%", c / w * 100; else print "-" }' "$tmp/cli" 2>/dev/null || echo -)
	lags=" $(printf '%-7s' "$ccpu")"
	if [ -n "$lagm" ]; then
		lags="$lags $(printf '%-16s %s' "$(awk '$1 == 200 && NF >= 8 { printf "%.3f\n", $7 * 1000 }' "$tmp/times" | sort -n | pct 0.99)" \
		    "$(awk '$1 == 200 && NF >= 8 { printf "%.3f\n", $8 * 1000 }' "$tmp/times" | sort -n | pct 0.99)")"
	fi
	printf '%-6s %-5s %-26s %-24s %-10s %-9s %-10s %-12s %-8s %-8s %-9s%s\n' "$c" "$ok" \
	    "$(pct 0.5 <<<"$ttfte")/$(pct 0.99 <<<"$ttfte")/$(pct 1 <<<"$ttfte")" \
	    "$(pct 0.5 <<<"$itle")/$(pct 0.99 <<<"$itle")/$(pct 1 <<<"$itle")" \
	    "${gap99:--}" "${gap:--}" "${late:--}" "${intake:--}" "$cpu" "$per" "$batch" "$lags"
done
if [ -s "$tmp/load.err" ] || [ -s "$tmp/curl.err" ]; then
	echo "# client errors (first 3):"
	cat "$tmp/load.err" "$tmp/curl.err" 2>/dev/null | sort | uniq -c | sort -rn | head -3 | sed 's/^/#   /'
fi
