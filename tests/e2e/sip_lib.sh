# shellcheck shell=bash disable=SC2154
# sip_lib.sh - shared by the SIP scripts: pairs of faxd talking SIP to each other on loopback,
# each with its own SQLite queue and configuration, started and stopped by PID. Sourced after
# lib.sh, never run by itself.

faxd=$build/bin/faxd
queue_add=$build/tools/queue_add
declare -A pids=()

stop_pid() { # PID: TERM, wait
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
stop_all() {
	local n
	for n in "${!pids[@]}"; do stop_pid "${pids[$n]}"; done
	pids=()
}
trap 'stop_all; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT

# free_port: a UDP port nothing listens on (the kernel picks it)
free_port() {
	python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# sip_conf NAME SIPPORT RTPBASE NUMBER TRUNKS [KEY=VALUE...]: a faxd configuration for SIP; a KEY
# given replaces the default below
sip_conf() {
	local name=$1 port=$2 rtp=$3 number=$4 trunks=$5 d k keep=()
	shift 5
	local defaults=("log_target = stderr" "log_level = info" "db_path = $tmp/$name.db"
		"line_driver = sip" "line_count = 4" "line_numbers = $number"
		"sip_listen = 127.0.0.1:$port" "sip_rtp_port_min = $rtp" "sip_rtp_port_max = $((rtp + 199))"
		"sip_trunks = $trunks" "dial_country_code = 49" "dial_area_code = 30"
		"faxd_name = $name" "faxd_poll = 1s" "faxd_lease = 30s" "faxd_stall_timeout = 60s"
		"retry_max_attempts = 1" "fax_header = " "fax_station_id = $number")
	for d in "${defaults[@]}"; do
		k=${d%% =*}
		printf '%s\n' "$@" | grep -q "^$k *=" || keep+=("$d")
	done
	conf "$name" "${keep[@]}" "$@"
}

# start NAME CONF [PREFIX...]: faxd on CONF (its queue made first), logging to $tmp/NAME.log;
# PREFIX runs it inside something (a network namespace)
start() {
	local name=$1 cfg=$2
	shift 2
	"$faxctl" -c "$cfg" db upgrade >"$tmp/$name-up.log" 2>&1 || fail "db upgrade ($name): $(cat "$tmp/$name-up.log")"
	"$@" "$faxd" -c "$cfg" >>"$tmp/$name.log" 2>&1 &
	pids[$name]=$!
	for _ in $(seq 100); do
		grep -q "lines, queue open" "$tmp/$name.log" && return 0
		sleep 0.1
	done
	fail "faxd $name did not start: $(tail "$tmp/$name.log")"
}
# stop NAME: SIGTERM; faxd must end with status 0 (sanitizer reports would change it)
stop() {
	local rc=0
	kill "${pids[$1]}"
	wait "${pids[$1]}" || rc=$?
	unset "pids[$1]"
	assert_eq "$rc" 0 "faxd $1's exit status after SIGTERM (sanitizer reports end it otherwise)"
}
jfield() { # CONF ID FIELD
	"$faxctl" -c "$1" job --json "$2" | python3 -c "import json,sys; print(json.load(sys.stdin)['$3'])"
}
# wait_done CONF ID TIMEOUT: until the job is sent or failed; prints the status
wait_done() {
	local s=
	for _ in $(seq $(($3 * 5))); do
		s=$(jfield "$1" "$2" status)
		case $s in sent | failed) echo "$s"; return 0 ;; esac
		sleep 0.2
	done
	echo "$s"
}
# inbound_export CONF OUT: the newest received fax, exported to OUT (fails when there is none)
inbound_export() {
	local id
	for _ in $(seq 50); do
		id=$("$faxctl" -c "$1" inbound --json | python3 -c 'import json,sys; l = json.load(sys.stdin); print(l[0]["id"] if l else "")')
		[ -n "$id" ] && break
		sleep 0.2
	done
	[ -n "$id" ] || fail "no received fax in $1"
	"$faxctl" -c "$1" inbound "$id" --export "$2" >/dev/null
}
