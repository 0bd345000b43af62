#!/usr/bin/env bats
# repl.bats: `maasctl repl` against the model simulator alone
# (tests/helpers/modelsim-serve): scripted sessions on a pipe, and a real
# terminal session driven through tmux send-keys / capture-pane.
load ../helpers/common
load ../helpers/modelsim

CONFIG='{"models": {
  "lorem": {"itl": "1ms", "ttft": "5ms"},
  "fixed": {"mode": "fixed", "text": "The answer is 42. Ask again!"},
  "echo": {"mode": "echo"},
  "slow": {"ttft": "20ms", "itl": "150ms", "output-tokens": 200, "output-tokens-jitter": "none"},
  "dropper": {"drop-rate": 1, "drop-after": 3}
}}'

setup() {
	common_setup
	modelsim_start "$CONFIG"
}
teardown() {
	if [ -n "${TMUX_SOCK:-}" ]; then
		tmux -S "$TMUX_SOCK" kill-server 2>/dev/null || true
	fi
	modelsim_stop
	common_teardown
}

# repl ARGS...: maasctl repl against the simulator, script on stdin.
repl() { "$MAASCTL" repl --endpoint "$MODELSIM_URL" "$@"; }

@test "a script: model switch, system prompt, a \"\"\" block, answers on stdout" {
	run -0 --separate-stderr repl -m fixed <<'EOF'
hello
/model echo
/system be brief
"""
first line
second line
"""
/params
EOF
	[ "${lines[0]}" = "The answer is 42. Ask again!" ]
	[ "${lines[1]}" = "first line" ]
	[ "${lines[2]}" = "second line" ]
	[ "${lines[3]}" = "model echo" ]
	[[ $output == *$'\nsystem be brief'* ]]
	# No prompts and no colour on a pipe.
	[[ $output != *">>>"* ]]
	[[ $stderr != *$'\033'* ]]
	[[ ${stderr_lines[0]} == "usage: prompt "*", completion 8, total "*" tokens; TTFT "*" ms; "*" ms total" ]]
	[ "${stderr_lines[1]}" = "model: echo" ]
	# The system prompt went with the block, as one user turn.
	[ ! -e "$XDG_STATE_HOME/maasctl/repl_history" ]
}

@test "the same seed gives the same answers as chat, streamed or not" {
	want=$("$MAASCTL" chat --endpoint "$MODELSIM_URL" -m lorem --seed 11 --max-tokens 9 --no-stream write a poem)
	[ -n "$want" ]
	run -0 --separate-stderr repl -m lorem --seed 11 --max-tokens 9 <<<'write a poem'
	[ "$output" = "$want" ]
	run -0 --separate-stderr repl -m lorem --seed 11 --max-tokens 9 --no-stream <<<'write a poem'
	[ "$output" = "$want" ]
}

@test "/usage totals are the simulator's own counts" {
	run -0 --separate-stderr repl -m lorem --seed 5 <<'EOF'
one
two
/set max_tokens 4
three
/usage
EOF
	usage=${lines[${#lines[@]}-1]}
	[[ $usage == "requests 3 (0 failed, 0 cancelled); prompt "* ]]
	# Sum the per-answer usage lines on stderr.
	p=0 c=0
	while read -r _ _ pp _ cc _; do
		p=$((p + ${pp%,})); c=$((c + ${cc%,}))
	done < <(grep '^usage: ' <<<"$stderr")
	[[ $usage == *"prompt $p, completion $c, total $((p + c)) tokens"* ]]
	modelsim_stop
	[ "$(modelsim_stat tokens)" = "$c" ]
	[ "$(modelsim_stat completed)" = 3 ]
}

@test "/save writes an OpenAI request body (0600); /load restores it" {
	run -0 --separate-stderr repl -m echo --temperature 0.5 -p top_k=3 <<EOF
/system You are terse.
ping
/set stop ["END","STOP"]
/save $TEST_HOME/conv.json
EOF
	[ "$(stat -c %a "$TEST_HOME/conv.json")" = 600 ]
	run -0 jq -c '[.model, [.messages[] | .role + ":" + .content], .temperature, .top_k, .stop]' "$TEST_HOME/conv.json"
	[ "$output" = '["echo",["system:You are terse.","user:ping","assistant:ping"],0.5,3,["END","STOP"]]' ]
	run -0 --separate-stderr repl -m fixed <<EOF
/load $TEST_HOME/conv.json
/params
/save $TEST_HOME/again.json
/retry
EOF
	[[ $output == *$'model echo\n'* ]]
	[[ $output == *$'temperature 0.5\n'* ]]
	[[ $output == *$'stop ["END","STOP"]\n'* ]]
	[[ $output == *$'top_k 3\n'* ]]
	[[ $output == *$'system You are terse.'* ]]
	[ "${lines[${#lines[@]}-1]}" = ping ]
	[ "${stderr_lines[0]}" = "loaded 3 messages from $TEST_HOME/conv.json; model echo" ]
	cmp "$TEST_HOME/conv.json" "$TEST_HOME/again.json"
}

@test "/retry replaces the last answer; /reset forgets the conversation" {
	run -0 --separate-stderr repl -m echo <<EOF
first
second
/retry
/save $TEST_HOME/a.json
/reset
/save $TEST_HOME/b.json
EOF
	[ "$output" = $'first\nsecond\nsecond' ]
	[ "$(jq -c '[.messages[].content]' "$TEST_HOME/a.json")" = '["first","first","second","second"]' ]
	[ "$(jq -c '.messages' "$TEST_HOME/b.json")" = '[]' ]
}

@test "/compare puts several models' answers and timings side by side" {
	COLUMNS=80 run -0 --separate-stderr repl -m echo <<'EOF'
/compare fixed echo -- say this back
EOF
	[[ ${lines[0]} == "fixed"*" | echo" ]]
	[[ ${lines[1]} == ------*-+-* ]]
	[[ ${lines[2]} == "The answer is 42. Ask again!"*" | say this back" ]]
	[[ $output == *"TTFT "*" ms"*"| TTFT "*" ms"* ]]
	[[ $output == *"8 tokens"*"| 3 tokens"* ]]
	# Each row is at most 80 columns wide.
	while IFS= read -r l; do [ "${#l}" -le 80 ]; done <<<"$output"
	# The conversation did not change.
	run -0 --separate-stderr repl -m echo <<EOF
/compare fixed lorem -- x
/save $TEST_HOME/c.json
EOF
	[ "$(jq -c .messages "$TEST_HOME/c.json")" = '[]' ]
}

@test "/compare of the last prompt; without one it says so" {
	run -2 --separate-stderr repl -m echo <<'EOF'
/compare fixed echo
hello
/compare echo fixed
EOF
	[ "${stderr_lines[0]}" = "maasctl: repl: /compare: no prompt yet: ask something first or give one after --" ]
	[[ $output == *"hello"*"| The answer is 42. Ask again!"* ]]
}

@test "/set checks its values; /params shows them; unset with no value" {
	run -2 --separate-stderr repl -m echo <<'EOF'
/set temperature hot
/set top_p 3
/set stream maybe
/set temperature 0.7
/set seed 9
/set presence_penalty 0.5
/set user alice
/set user
/params
EOF
	[ "${stderr_lines[0]}" = 'maasctl: repl: /set temperature: "hot" is not a number from 0 to 2' ]
	[ "${stderr_lines[1]}" = 'maasctl: repl: /set top_p: "3" is not a number from 0 to 1' ]
	[ "${stderr_lines[2]}" = 'maasctl: repl: /set stream: want on or off, not "maybe"' ]
	[ "${stderr_lines[3]}" = "maasctl: repl: 3 lines failed (see above); the exit status is the first failure's" ]
	[ "$output" = $'model echo\nstream on\nmultiline off\nhistory off\ntemperature 0.7\nseed 9\npresence_penalty 0.5' ]
}

@test "/multiline: Enter adds a line, an empty line sends" {
	run -0 --separate-stderr repl -m echo <<'EOF'
/multiline
one
two

/multiline
three
EOF
	[ "$output" = $'one\ntwo\nthree' ]
}

@test "//text sends a prompt that starts with a slash" {
	run -0 --separate-stderr repl -m echo <<<'//etc is a directory'
	[ "$output" = "/etc is a directory" ]
}

@test "/models marks the current one; /model checks the name" {
	run -4 --separate-stderr repl -m lorem <<'EOF'
/models
/model gpt-9
/model
EOF
	[[ $output == *"* lorem"* ]]
	[[ $output == *"  echo"* ]]
	[ "${lines[${#lines[@]}-1]}" = lorem ]
	[ "${stderr_lines[0]}" = "maasctl: repl: no model \"gpt-9\" at $MODELSIM_URL (see /models)" ]
}

@test "several models and no -m: the session starts without one" {
	run -2 --separate-stderr repl <<'EOF'
hello
/model fixed
hello
EOF
	[[ ${stderr_lines[0]} == "maasctl: repl: 5 models are available ("*"); choose one with /model NAME" ]]
	[ "${stderr_lines[1]}" = "maasctl: repl: no model chosen: use /model NAME (see /models)" ]
	[ "$output" = "The answer is 42. Ask again!" ]
}

@test "a broken stream is reported, the session goes on, exit 6" {
	run -6 --separate-stderr repl -m dropper <<'EOF'
hi
/model fixed
hi
EOF
	[[ $stderr == *"maasctl: repl: the stream broke after "*" chunks (the answer above is incomplete)"* ]]
	[[ $output == *"The answer is 42. Ask again!" ]]
}

@test "unknown commands and bad files are errors that name themselves" {
	run -2 --separate-stderr repl -m echo <<EOF
/frobnicate
/load $TEST_HOME/nope.json
/save
/exit
never sent
EOF
	[ "${stderr_lines[0]}" = "maasctl: repl: unknown command /frobnicate (see /help)" ]
	[[ ${stderr_lines[1]} == "maasctl: repl: /load: cannot read $TEST_HOME/nope.json: No such file or directory" ]]
	[ "${stderr_lines[2]}" = "maasctl: repl: /save FILE: name the file" ]
	[ -z "$output" ]
	echo '{"messages":[{"content":"x"}]}' >"$TEST_HOME/bad.json"
	run -2 --separate-stderr repl -m echo --load "$TEST_HOME/bad.json" </dev/null
	[ "$stderr" = "maasctl: repl: /load: $TEST_HOME/bad.json: message 1 has no role or no text content" ]
}

@test "/help lists every command" {
	run -0 --separate-stderr repl -m echo <<<'/help'
	for c in help model models system set params reset retry save load usage compare multiline exit; do
		[[ $output == *"/$c"* ]] || { echo "no /$c"; return 1; }
	done
}

@test "bad flags and an unreachable target fail before the session" {
	run -2 --separate-stderr repl -o json </dev/null
	[ "$stderr" = "maasctl: repl: -o is not supported (use /save FILE for JSON)" ]
	run -2 --separate-stderr repl extra </dev/null
	[[ ${stderr_lines[0]} == "maasctl: "*"repl"* ]]
	run -6 --separate-stderr "$MAASCTL" repl --endpoint http://127.0.0.1:1/v1 </dev/null
	[[ $stderr == *"127.0.0.1:1"* ]]
	run -2 --separate-stderr "$MAASCTL" repl </dev/null
	[[ ${stderr_lines[0]} == "maasctl: no MaaS URL"* ]]
}

@test "SIGINT during a script's answer: partial answer kept, exit 130" {
	# The script stays open (a FIFO held on fd 4) while the answer streams,
	# and closes when the test is done: nothing is left sleeping behind.
	mkfifo "$TEST_HOME/in"
	"$MAASCTL" repl --endpoint "$MODELSIM_URL" -m slow <"$TEST_HOME/in" \
	    >"$TEST_HOME/out" 2>"$TEST_HOME/err" 3>&- &
	pid=$!
	exec 4>"$TEST_HOME/in"
	echo "tell me a story" >&4
	for _ in $(seq 1 100); do
		[ -s "$TEST_HOME/out" ] && break
		sleep 0.05
	done
	sleep 0.3
	kill -INT "$pid"
	rc=0
	wait "$pid" || rc=$?
	exec 4>&-
	[ "$rc" -eq 130 ]
	[ -s "$TEST_HOME/out" ]
	grep -q "answer cancelled" "$TEST_HOME/err"
}

# --- a terminal session through tmux ---------------------------------

# tmux_start CMD: run CMD in a detached 120x40 tmux session.
tmux_start() {
	command -v tmux >/dev/null || skip "tmux not installed (scripts/install-deps)"
	TMUX_SOCK=$TEST_HOME/tmux.sock
	tmux -S "$TMUX_SOCK" -f /dev/null new-session -d -x 120 -y 40 "$1"
}
# screen: the pane's text.
screen() { tmux -S "$TMUX_SOCK" capture-pane -p -S -200; }
# wait_for TEXT [N]: until the pane shows TEXT (N times), at most 10 s.
wait_for() {
	local i n=${2:-1}
	for i in $(seq 1 200); do
		[ "$(screen | grep -cF -- "$1")" -ge "$n" ] && return 0
		sleep 0.05
	done
	echo "timed out waiting for '$1'; screen:" >&2
	screen >&2
	return 1
}
keys() { tmux -S "$TMUX_SOCK" send-keys "$@"; }

@test "terminal: switch, system, multi-line, Ctrl-C, save/load, compare, exit; no key in history" {
	printf 'sk-oai-FILEKEY_abc123\n' >"$TEST_HOME/key"
	tmux_start "env NO_COLOR=1 HOME=$HOME XDG_STATE_HOME=$XDG_STATE_HOME $MAASCTL repl --endpoint $MODELSIM_URL -m fixed --api-key @$TEST_HOME/key; echo EXIT=\$?; sleep 30"
	wait_for "/help for commands"
	wait_for ">>>"
	# Tab completes the command and the model name.
	keys '/mu' Tab Enter
	wait_for "multi-line mode on"
	keys '/multiline' Enter
	wait_for "multi-line mode off"
	keys '/model ec' Tab Enter
	wait_for "model: echo"
	keys '/system be brief' Enter
	wait_for "system prompt set"
	# A """ block: continuation prompts, one prompt of two lines.
	keys '"""' Enter 'roses are red' Enter 'violets are blue"""' Enter
	wait_for "... violets are blue"
	wait_for "violets are blue" 2
	# A line holding a key is sent but never written to the history.
	keys 'my key is sk-oai-TYPEDKEY_zz9' Enter
	wait_for "my key is sk-oai-TYPEDKEY_zz9" 2
	# Ctrl-C mid-answer cancels it, not the session.
	keys '/model slow' Enter
	wait_for "model: slow"
	keys 'tell me a long story' Enter
	sleep 0.8
	keys C-c
	wait_for "answer cancelled"
	# Ctrl-C at the prompt clears the line.
	keys 'half typed' C-c
	keys '/model echo' Enter
	wait_for "model: echo" 2
	keys '/save' ' ' "$TEST_HOME/conv.json" Enter
	wait_for "saved "
	keys '/reset' Enter
	keys "/load $TEST_HOME/conv.json" Enter
	wait_for "loaded "
	keys '/compare fixed echo -- side by side' Enter
	wait_for "| side by side"
	keys '/usage' Enter
	wait_for "requests "
	keys C-d
	wait_for "EXIT=0"
	screen >"$TEST_HOME/screen"
	grep -q "^>>>$" "$TEST_HOME/screen"	# the cleared line
	! grep -q "half typed" "$XDG_STATE_HOME/maasctl/repl_history"
	# The saved conversation: system, the block, the key line, the
	# cancelled turn left out.
	run -0 jq -c '[.model, [.messages[] | .role + ":" + .content]]' "$TEST_HOME/conv.json"
	[ "$output" = '["echo",["system:be brief","user:roses are red\nviolets are blue","assistant:roses are red\nviolets are blue","user:my key is sk-oai-TYPEDKEY_zz9","assistant:my key is sk-oai-TYPEDKEY_zz9"]]' ]
	# The history: private, with the commands and block but no key.
	hist=$XDG_STATE_HOME/maasctl/repl_history
	[ "$(stat -c %a "$hist")" = 600 ]
	grep -q 'violets' "$hist"
	grep -q '/compare' "$hist"
	! grep -q 'sk-oai' "$hist"
	! grep -q 'TYPEDKEY' "$hist"
	! grep -q 'FILEKEY' "$hist"
}

@test "terminal: Ctrl-D on an empty prompt leaves at once" {
	tmux_start "env NO_COLOR=1 HOME=$HOME $MAASCTL repl --endpoint $MODELSIM_URL -m echo --no-history; echo EXIT=\$?; sleep 30"
	wait_for ">>>"
	keys C-d
	wait_for "EXIT=0"
	[ ! -e "$HOME/.local/state/maasctl/repl_history" ]
}
