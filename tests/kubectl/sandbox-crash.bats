#!/usr/bin/env bats
# Crash safety of the sandbox store: SIGKILL during a burst of 500 creates
# from parallel clients loses no acknowledged write and keeps no rejected
# one.
bats_require_minimum_version 1.5.0

setup() {
	load ../helpers/sbx-serve
	SBX_DIR=$(mktemp -d "$BATS_TEST_TMPDIR/sbx.XXXXXX")
}

teardown() {
	sbx_stop
}

@test "SIGKILL during 500 parallel creates: every 201 survives with its resourceVersion, no error is stored" {
	sbx_start --plain
	out="$BATS_TEST_TMPDIR/out"
	mkdir -p "$out"
	# every 10th name is invalid (422), every 25th repeats an earlier one (409)
	for i in $(seq 1 500); do
		name=crash-$i
		[ $((i % 10)) -eq 0 ] && name=Crash_$i
		[ $((i % 25)) -eq 5 ] && [ "$i" -gt 5 ] && name=crash-$((i - 25))
		printf 'next\nurl = "%s/api/v1/namespaces/default/configmaps"\nrequest = POST\nheader = "Content-Type: application/json"\ndata = "{\\"apiVersion\\":\\"v1\\",\\"kind\\":\\"ConfigMap\\",\\"metadata\\":{\\"name\\":\\"%s\\"},\\"data\\":{\\"i\\":\\"%s\\"}}"\noutput = "%s/%s"\nwrite-out = "%s %s %%{http_code}\\n"\n' \
		    "$SBX_URL" "$name" "$i" "$out" "$i" "$i" "$name"
	done | sed '1d' >"$BATS_TEST_TMPDIR/curl.cfg"
	curl -s --parallel --parallel-max 8 --connect-timeout 5 -m 30 \
	    -K "$BATS_TEST_TMPDIR/curl.cfg" >"$BATS_TEST_TMPDIR/codes" 3>&- &
	burst=$!
	pid=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$SBX_DIR/sandbox.json")
	for _ in $(seq 1 1000); do
		[ "$(wc -l <"$BATS_TEST_TMPDIR/codes")" -ge 150 ] && break
		sleep 0.01
	done
	kill -KILL "$pid"
	wait "$burst" || true
	SBX_PID=
	created=$(awk '$3 == 201' "$BATS_TEST_TMPDIR/codes" | wc -l)
	rejected=$(awk '$3 ~ /^[45]/' "$BATS_TEST_TMPDIR/codes" | wc -l)
	lost=$(awk '$3 == "000"' "$BATS_TEST_TMPDIR/codes" | wc -l)
	echo "# created=$created rejected=$rejected no-answer=$lost" >&3
	[ "$(wc -l <"$BATS_TEST_TMPDIR/codes")" -eq 500 ]
	[ "$created" -ge 100 ]
	[ "$rejected" -ge 10 ]
	[ "$lost" -ge 1 ]		# the kill hit the burst
	sbx_start --plain
	kubectl get cm -n default --no-headers \
	    -o custom-columns=N:.metadata.name,RV:.metadata.resourceVersion \
	    >"$BATS_TEST_TMPDIR/stored"
	[ -s "$BATS_TEST_TMPDIR/stored" ]
	bad=0
	while read -r i name code; do
		got=$(awk -v n="$name" '$1 == n {print $2}' "$BATS_TEST_TMPDIR/stored")
		case $code in
		201)	rv=$(sed -n 's/.*"resourceVersion":"\([0-9]*\)".*/\1/p' "$out/$i")
			if [ -z "$rv" ] || [ "$got" != "$rv" ]; then
				echo "# acknowledged $name (rv $rv) is ${got:-missing}" >&3; bad=1
			fi ;;
		000)	;;	# no answer: either outcome is correct
		409)	;;	# AlreadyExists names an object created earlier
		*)	if [ -n "$got" ]; then
				echo "# rejected $name ($code) was stored" >&3; bad=1
			fi ;;
		esac
	done <"$BATS_TEST_TMPDIR/codes"
	[ "$bad" -eq 0 ]
}
