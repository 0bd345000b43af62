#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# modelsim-arrival.bats: where the simulator's TTFT clock starts
# (modelsim-serve --arrival): the kernel's receive time of the request
# (default, as a real server's arrival time) or the loop turn that read it.
# The server is stopped (SIGSTOP) while a request arrives, so the request
# waits in the kernel for a known time before the loop can read it; only
# the direction of the difference is checked, with wide margins.
load ../helpers/common
load ../helpers/modelsim

teardown() {
	[ -z "${MODELSIM_PID:-}" ] || kill -CONT "$MODELSIM_PID" 2>/dev/null || true
	modelsim_stop
	common_teardown
}
setup() {
	common_setup
}

body='{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":2,"ignore_eos":true,"stream":true}'

# ttft_after_stall: TTFT (curl's clock, s) of a request that waits 0.6 s in
# the kernel (the server stopped) before the loop can read it.
ttft_after_stall() {
	local i
	kill -STOP "$MODELSIM_PID"
	curl -sS -N -o /dev/null -w '%{time_pretransfer} %{time_starttransfer}\n' \
	    "$MODELSIM_URL/chat/completions" -d "$body" >"$BATS_TEST_TMPDIR/t" &
	# The request is in the kernel once its connection holds unread bytes.
	for i in $(seq 1 500); do
		ss -Htn state established "( sport = :$MODELSIM_PORT )" | awk '$1 > 0 { f = 1 } END { exit !f }' && break
		sleep 0.01
	done
	sleep 0.6
	kill -CONT "$MODELSIM_PID"
	wait $!
	awk '{ printf "%.3f\n", $2 - $1 }' "$BATS_TEST_TMPDIR/t"
}

@test "--arrival kernel (default): TTFT counts from the request's arrival, not from when the loop read it" {
	modelsim_start '{"models": {"m": {"ttft": "1s", "itl": "10ms"}}}'
	run -0 ttft_after_stall
	echo "ttft $output s (configured 1 s, the server stopped 0.6 s)"
	awk -v t="$output" 'BEGIN { exit !(t >= 0.99 && t < 1.45) }'
	modelsim_stop
	[ "$(modelsim_stat stamped)" = 1 ]
	# It waited 0.6 s in the kernel before the handler saw it.
	echo "intake max $(modelsim_stat intake_max_us) us"
	[ "$(modelsim_stat intake_max_us)" -ge 550000 ]
}

@test "--arrival loop: TTFT counts from the loop turn that read the request" {
	modelsim_start '{"models": {"m": {"ttft": "1s", "itl": "10ms"}}}' --arrival loop
	run -0 ttft_after_stall
	echo "ttft $output s (configured 1 s, the server stopped 0.6 s)"
	awk -v t="$output" 'BEGIN { exit !(t >= 1.5) }'
	modelsim_stop
	[ "$(modelsim_stat stamped)" = 0 ]
}

@test "--arrival kernel: every request is stamped, also the next ones on a kept-alive connection" {
	modelsim_start '{"models": {"m": {"ttft": "5ms", "itl": "1ms"}}}'
	local w='%{http_code} %{num_connects}\n'
	run -0 curl -sS -N -w "$w" -o /dev/null --json "$body" "$MODELSIM_URL/chat/completions" \
	    --next -w "$w" -o /dev/null --json "$body" "$MODELSIM_URL/chat/completions" \
	    --next -w "$w" -o /dev/null --json "$body" "$MODELSIM_URL/completions"
	[ "$output" = $'200 1\n200 0\n400 0' ]
	modelsim_stop
	[ "$(modelsim_stat requests)" = 3 ]
	[ "$(modelsim_stat stamped)" = 3 ]
	[ "$(modelsim_stat completed)" = 2 ]
}

@test "--arrival: a bad value is one clear line and exit status 2" {
	run -2 --separate-stderr "$MODELSIM_BIN" --port-file "$BATS_TEST_TMPDIR/port" --arrival now
	[ "$stderr" = "modelsim-serve: --arrival: want kernel or loop, not now" ]
	[ ! -e "$BATS_TEST_TMPDIR/port" ]
	run -2 --separate-stderr "$MODELSIM_BIN" --port-file "$BATS_TEST_TMPDIR/port" --arrival
	[ "$stderr" = "modelsim-serve: --arrival needs a value" ]
}
