#!/bin/bash
# faxd.sh - the fax daemon against the simulated telephone network (faxsim, unpaced), on SQLite
# and on PostgreSQL: faxes arrive pixel-identical; every failure cause leads to the right retry or
# final failure and reason; re-render for a standard-only machine; resume after a partial call;
# cancel during a call; kill -9 of faxd during a call; 50 jobs over 8 lines, never two calls at
# once to one number; an inbound fax. faxd_more.sh tests the rest.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/pg.sh"
set -E
trap 'echo "FAIL: ${BASH_SOURCE[0]}:$LINENO: $BASH_COMMAND exited $?" >&2' ERR
. "$here/faxd_lib.sh"
fixture=$fixtures/fax-fine.tif # 2 pages, A4 fine
chmod 0755 "$tmp"

# max_calls LOG FROM PREFIX: the most calls faxsim's log (from line FROM on) shows at once to one
# dial string starting with PREFIX, and to all of them together ("per_number all")
max_calls() {
	tail -n "+$2" "$1" | python3 -c '
import re, sys
prefix = sys.argv[1]
active, per, top, total, top_all = {}, {}, {}, 0, 0
for l in sys.stdin:
    m = re.search(r"line (\d+): .* dials (\S+) ", l)
    if m and m.group(2).startswith(prefix):
        active[m.group(1)] = m.group(2)
        per[m.group(2)] = per.get(m.group(2), 0) + 1
        top[m.group(2)] = max(top.get(m.group(2), 0), per[m.group(2)])
        total += 1
        top_all = max(top_all, total)
        continue
    m = re.search(r"line (\d+): call to (\S+) ended", l)
    if m and active.get(m.group(1)) == m.group(2):
        del active[m.group(1)]
        per[m.group(2)] -= 1
        total -= 1
print(max(top.values(), default=0), top_all)
' "$3"
}

run_store() {
	local store=$1 id n f
	shift
	# each store's faxd gets a log of its own: waits for log lines must not match the last run's
	[ ! -f "$tmp/faxd.log" ] || mv "$tmp/faxd.log" "$tmp/faxd-before-$store.log"
	rm -rf "$tmp/in" "$tmp/std" "$tmp/cut" "$tmp/noisy" "$tmp/many" "$tmp/db" "$tmp/sim.sock"
	mkdir -p "$tmp/in" "$tmp/std" "$tmp/cut" "$tmp/noisy" "$tmp/many" "$tmp/db"
	cat >"$tmp/plan" <<-EOF
		+49301234100 fax dir=$tmp/in station="REMOTE 1"
		+49301234101 fax dir=$tmp/std standard-only
		+49301234102 fax dir=$tmp/cut hangup-after=1
		+49301234103 fax dir=$tmp/noisy noise=-40
		+49301234104 fax dir=$tmp/in answer-after=30
		+4930555 busy
		+4930556 no-answer ring=1
		+4930557 voice talk=300
		+4930558 unassigned
		+4930600* fax dir=$tmp/many
	EOF
	cfg=$(conf "faxd-$store" "log_target = stderr" "log_level = info" "$@" \
		"sim_socket = $tmp/sim.sock" "sim_plan = $tmp/plan" "sim_timing = unpaced" \
		"dial_country_code = 49" "dial_area_code = 30" "line_count = 8" "line_numbers = +49301239999" \
		"faxd_name = fx1" "faxd_poll = 1s" "faxd_lease = 6s" "faxd_stall_timeout = 20s" \
		"retry_busy = 1s" "retry_no_answer = 1s" "retry_voice = 1s" "retry_dropped = 1s" \
		"retry_protocol = 1s" "retry_max_attempts = 2" "fax_header = " "fax_station_id = +49 30 1239999")
	"$faxctl" -c "$cfg" db upgrade >"$tmp/up.log" 2>&1 || fail "db upgrade ($store): $(cat "$tmp/up.log")"
	start_sim
	start_faxd

	note "$store: a fax arrives pixel-identical"
	id=$(add +49301234100 0301234100)
	wait_status "$id" sent 30
	f=$(received "$tmp/in" 1)
	"$pagecmp" --tolerance 0 "$fixture" "$f" >/dev/null || fail "received pages differ from the queued ones"
	assert_eq "$(jfield "$id" attempts)" 1 "attempts of a fax sent at once"
	"$faxctl" -c "$cfg" attempts --json "$id" | grep -q '"remote_id": *"REMOTE 1"' ||
		fail "attempt lacks the remote station id: $("$faxctl" -c "$cfg" attempts --json "$id")"

	note "$store: busy twice -> failed; no answer, voice, unassigned"
	local busy noans voice unas
	busy=$(add +4930555 030555)
	noans=$(add +4930556 030556)
	voice=$(add +4930557 030557 -p 1)
	unas=$(add +4930558 030558)
	wait_status "$unas" failed 20
	assert_eq "$(jfield "$unas" reason_code)" unassigned "unassigned number's outcome"
	assert_eq "$(jfield "$unas" attempts)" 1 "an unassigned number is not tried again"
	wait_status "$busy" failed 30
	assert_eq "$(jfield "$busy" reason_code)" busy "busy number's outcome"
	assert_eq "$(jfield "$busy" attempts)" 2 "attempts on a busy number (retry_max_attempts)"
	wait_status "$noans" failed 30
	assert_eq "$(jfield "$noans" reason_code)" no_answer "no answer's outcome"

	note "$store: a standard-only machine gets the pages again at standard resolution"
	id=$(add +49301234101 0301234101)
	wait_status "$id" sent 30
	assert_eq "$(jfield "$id" resolution)" 0 "resolution after re-rendering (0 = standard)"
	f=$(received "$tmp/std" 1)
	assert_eq "$("$pagecmp" --info "$f" | awk '$1 == "page" && $2 == 1 { for (i = 3; i < NF; i += 2) if ($i == "yres") print $(i + 1) }')" 98 "received resolution"

	note "$store: a machine hanging up after page 1: the next call sends page 2 only"
	id=$(add +49301234102 0301234102)
	wait_status "$id" sent 40
	assert_eq "$(jfield "$id" attempts)" 2 "calls for a fax cut after page 1"
	n=$(received "$tmp/cut" 2 | wc -l)
	assert_eq "$n" 2 "faxes received by the machine that hangs up"
	for f in $(received "$tmp/cut" 2); do
		assert_eq "$(pages_of "$f")" 1 "pages of each partial call"
	done

	note "$store: a noisy line"
	id=$(add +49301234103 0301234103)
	wait_status "$id" sent 60

	# calls that last: the network in real time, the machine answering after 30 s
	stop_pid "$sim_pid"
	sed 's/^sim_timing = unpaced$/sim_timing = realtime/' "$cfg" >"$tmp/realtime.conf"
	start_sim "$tmp/realtime.conf"
	note "$store: cancel during a call"
	id=$(add +49301234104 0301234104)
	wait_sending "$id"
	"$faxctl" -c "$cfg" cancel "$id" >"$tmp/cancel.out" 2>&1 || fail "cancel: $(cat "$tmp/cancel.out") (status $(jfield "$id" status))"
	wait_log "job=$id .*hanging up" "faxd did not hang up the cancelled call"
	assert_eq "$(jfield "$id" status)" cancelled "status after cancel during a call"

	note "$store: kill -9 of faxd during a call; the job completes after a restart"
	id=$(add +49301234104 0301234104)
	wait_sending "$id"
	kill -9 "$faxd_pid"
	wait "$faxd_pid" 2>/dev/null || true
	faxd_pid=
	sed -i 's/^+49301234104 fax dir=\(.*\) answer-after=30$/+49301234104 fax dir=\1/' "$tmp/plan"
	stop_pid "$sim_pid"
	start_sim
	n=$(find "$tmp/in" -name '*.info' | wc -l)
	start_faxd
	wait_status "$id" sent 30
	assert_eq "$(find "$tmp/in" -name '*.info' | wc -l)" $((n + 1)) "faxes received after the restart"

	# Queued number by number, so that lines taking the oldest due jobs regardless of
	# faxd_max_per_destination (1) would call one number several times at once.
	note "$store: 50 jobs to 8 numbers over 8 lines, one call at a time to each number"
	local ids=() from top
	from=$(($(wc -l <"$tmp/faxsim.log") + 1))
	for i in $(seq 0 49); do
		ids+=("$(add "+4930600$((i * 8 / 50))" "030600$((i * 8 / 50))" -p 1)")
	done
	for id in "${ids[@]}"; do
		wait_status "$id" sent 120
	done
	assert_eq "$(received "$tmp/many" 50 | wc -l)" 50 "faxes received from 50 jobs"
	read -r top all < <(max_calls "$tmp/faxsim.log" "$from" 030600)
	assert_eq "$top" 1 "most calls at once to one number (faxd_max_per_destination)"
	[ "$all" -ge 4 ] || fail "the 50 jobs never had 4 calls at once ($all): the lines did not work in parallel"

	note "$store: an inbound fax is stored"
	"$faxctl" -c "$cfg" sim call --file "$fixture" --to +49301239999 --from +4940555123 --station "CALLER 9" \
		>"$tmp/call.out" 2>&1 || fail "sim call: $(cat "$tmp/call.out")"
	assert_eq "$(inbound_count 1)" 1 "inbound faxes stored"
	id=$("$faxctl" -c "$cfg" inbound --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
	"$faxctl" -c "$cfg" inbound "$id" --export "$tmp/in-export.tif" >/dev/null
	"$pagecmp" --tolerance 0 "$fixture" "$tmp/in-export.tif" >/dev/null || fail "inbound pages differ from those sent"
	"$faxctl" -c "$cfg" inbound --json "$id" | grep -q '"caller": *"+4940555123"' || fail "inbound lacks the caller id"

	# voice: two calls answered by a person -> failed with the voice reason
	wait_status "$voice" failed 60
	assert_eq "$(jfield "$voice" reason_code)" voice "voice answer's outcome"

	stop_faxd
	grep -q "stopped" "$tmp/faxd.log" || fail "faxd did not stop cleanly on SIGTERM"
	stop_pid "$sim_pid"
	sim_pid=
}

run_store sqlite "db_path = $tmp/db/queue.db"
pg_start "$tmp" >/dev/null || fail "cannot start PostgreSQL"
run_store postgresql "db_driver = postgresql" "db_conninfo = $FAXGATE_TEST_PG"
echo "faxd: ok"
