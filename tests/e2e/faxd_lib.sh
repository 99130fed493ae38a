# shellcheck shell=bash disable=SC2154
# faxd_lib.sh - shared by faxd.sh and faxd_more.sh: faxsim and faxd started and stopped by PID,
# jobs added and watched through faxctl. Sourced after lib.sh and pg.sh, never run by itself.
#
# The caller sets $cfg (the configuration both programs read; faxsim's socket in $tmp/sim.sock,
# logs in $tmp/faxsim.log and $tmp/faxd.log) and $fixture (the pages `add` queues).

faxd=$build/bin/faxd
faxsim=$build/bin/faxsim
queue_add=$build/tools/queue_add
sim_pid='' faxd_pid=''

stop_pid() { # PID: TERM, wait
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
trap 'stop_pid "$faxd_pid"; stop_pid "$sim_pid"; pg_stop; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT

start_sim() { # [CONF]: faxsim, unpaced unless CONF says otherwise
	rm -f "$tmp/sim.sock"
	"$faxsim" -c "${1:-$cfg}" >>"$tmp/faxsim.log" 2>&1 &
	sim_pid=$!
	for _ in $(seq 50); do
		[ -S "$tmp/sim.sock" ] && return 0
		sleep 0.1
	done
	fail "faxsim does not listen: $(tail "$tmp/faxsim.log")"
}
start_faxd() {
	"$faxd" -c "$cfg" >>"$tmp/faxd.log" 2>&1 &
	faxd_pid=$!
	for _ in $(seq 50); do
		grep -q "lines, queue open" "$tmp/faxd.log" && return 0
		sleep 0.1
	done
	fail "faxd did not start: $(tail "$tmp/faxd.log")"
}
# stop_faxd: SIGTERM; faxd must end with status 0 (sanitizer reports would change it)
stop_faxd() {
	local rc=0
	kill "$faxd_pid"
	wait "$faxd_pid" || rc=$?
	faxd_pid=
	assert_eq "$rc" 0 "faxd's exit status after SIGTERM (sanitizer reports end it otherwise)"
	grep -q "stopped" "$tmp/faxd.log" || fail "faxd did not stop cleanly on SIGTERM"
}
job_json() { "$faxctl" -c "$cfg" job --json "$1"; }
jfield() { job_json "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"; }
# wait_status ID STATUS TIMEOUT
wait_status() {
	local s=
	for _ in $(seq $((${3:-30} * 5))); do
		s=$(jfield "$1" status)
		[ "$s" = "$2" ] && return 0
		sleep 0.2
	done
	fail "job $1 is $s, not $2: $(jfield "$1" reason)
faxd log: $(tail -n 20 "$tmp/faxd.log")"
}
# wait_sending ID: until faxd calls for the job (10 s at most)
wait_sending() {
	for _ in $(seq 100); do
		[ "$(jfield "$1" status)" = sending ] && return 0
		sleep 0.1
	done
	fail "job $1 is not being sent: $(jfield "$1" status)"
}
# wait_log REGEX WHAT: until faxd's log has a line matching REGEX (10 s at most)
wait_log() {
	for _ in $(seq 100); do
		grep -q "$1" "$tmp/faxd.log" && return 0
		sleep 0.1
	done
	fail "$2: no \"$1\" in faxd's log: $(tail -n 20 "$tmp/faxd.log")"
}
# add NUMBER DIAL [queue_add args]: a job with the fixture's pages; prints its id
add() {
	local number=$1 dial=$2
	shift 2
	"$queue_add" -c "$cfg" -f "$fixture" -d "$dial" "$@" "$number"
}
# inbound_count N: the received faxes stored, once there are N (5 s at most)
inbound_count() {
	local n=0
	for _ in $(seq 50); do
		n=$("$faxctl" -c "$cfg" inbound --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
		[ "$n" -ge "$1" ] && break
		sleep 0.1
	done
	echo "$n"
}
# received DIR N: the TIFFs faxsim stored in DIR (wait for N .info files)
received() {
	for _ in $(seq 100); do
		[ "$(find "$1" -name '*.info' | wc -l)" -ge "$2" ] && break
		sleep 0.1
	done
	find "$1" -name '*.tif' | sort
}
