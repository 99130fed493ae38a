#!/bin/bash
# faxd_more.sh - faxd on one line against faxsim, on SQLite and on PostgreSQL: failures that point
# at the line take it out of service (line_down event, jobs wait, retest, line_up event) while
# failures to one number do not; a job older than retry_max_age fails with the reason; a call
# dropped mid-page by the caller leaves the pages before the drop, marked partial; a job held
# during a call ends the call and is sent once released; a stalled call is ended by the watchdog
# on a very noisy line and retried as the outcome table says (SQLite only: nothing of it is in the
# store).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/pg.sh"
set -E
trap 'echo "FAIL: ${BASH_SOURCE[0]}:$LINENO: $BASH_COMMAND exited $?" >&2' ERR
. "$here/faxd_lib.sh"
fixture=$fixtures/fax-fine.tif # 2 pages, A4 fine
chmod 0755 "$tmp"

# Two full pages of text: each takes about 20 s of line time, so a caller hanging up 2 s into the
# second one drops the call mid-page.
"$faxctl" -c "$tmp/base.conf" render -o "$tmp/text.tif" "$fixtures/text-2p.pdf" >/dev/null
tiffcp "$tmp/text.tif,0" "$tmp/text-p1.tif"

lines_field() { # FIELD: of line sim0 in faxctl lines --json
	"$faxctl" -c "$cfg" lines --json |
		python3 -c "import json,sys; print([l for l in json.load(sys.stdin) if l['line'] == 'sim0'][0]['$1'])"
}
events() { # [KIND]: "KIND SUBJECT" of each event, oldest first
	"$faxctl" -c "$cfg" events --json |
		python3 -c "import json,sys; [print(e['kind'], e['subject']) for e in json.load(sys.stdin) if e['kind'].startswith('$1')]"
}
attempt_field() { # ID N FIELD: of the job's Nth attempt
	"$faxctl" -c "$cfg" attempts --json "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)[$2 - 1]['$3'])"
}
# set_created ID SECONDS_AGO (faxd not running)
set_created() {
	local sql="UPDATE jobs SET created = $(($(date +%s) - $2)) WHERE id = $1"
	if [ "$store" = sqlite ]; then
		sqlite3 "$tmp/db/queue.db" "$sql"
	else
		pg_psql -q -d faxgate -c "$sql" >/dev/null
	fi
}
# realtime | unpaced: faxsim again with that timing (faxd connects again by itself)
sim_timing() {
	stop_pid "$sim_pid"
	sed "s/^sim_timing = .*/sim_timing = $1/" "$cfg" >"$tmp/sim-$1.conf"
	start_sim "$tmp/sim-$1.conf"
}

run_store() {
	local id old g n rc
	store=$1
	shift
	# each store's faxd gets a log of its own: waits for log lines must not match the last run's
	[ ! -f "$tmp/faxd.log" ] || mv "$tmp/faxd.log" "$tmp/faxd-before-$store.log"
	rm -rf "$tmp/in" "$tmp/noisy" "$tmp/db" "$tmp/sim.sock"
	mkdir -p "$tmp/in" "$tmp/noisy" "$tmp/db"
	cat >"$tmp/plan" <<-EOF
		+49301234100 fax dir=$tmp/in station="REMOTE 1"
		+4930555 busy
		+49301234105 fax dir=$tmp/noisy noise=-20
		+4930701* congestion
	EOF
	cfg=$(conf "faxd-$store" "log_target = stderr" "log_level = info" "$@" \
		"sim_socket = $tmp/sim.sock" "sim_plan = $tmp/plan" "sim_timing = unpaced" \
		"dial_country_code = 49" "dial_area_code = 30" "line_count = 1" "line_numbers = +49301239999" \
		"faxd_name = fx1" "faxd_poll = 1s" "faxd_lease = 6s" "faxd_stall_timeout = 5s" \
		"line_failures_down = 3" "line_retest = 5s" "retry_line = 1h" "retry_busy = 1s" \
		"retry_protocol = 1s" "retry_max_attempts = 2" "retry_max_age = 1m" \
		"fax_header = " "fax_station_id = +49 30 1239999")
	"$faxctl" -c "$cfg" db upgrade >"$tmp/up.log" 2>&1 || fail "db upgrade ($store): $(cat "$tmp/up.log")"

	note "$store: a job older than retry_max_age fails after a busy call, with the reason"
	old=$(add +4930555 030555)
	set_created "$old" 120
	start_sim
	start_faxd
	wait_status "$old" failed 20
	assert_eq "$(jfield "$old" attempts)" 1 "calls for a job past its age"
	assert_eq "$(jfield "$old" reason_code)" busy "outcome of the old job"
	jfield "$old" reason | grep -q "no more time to try again" ||
		fail "the old job's reason does not say why: $(jfield "$old" reason)"

	# retry_line is 1 h but retry_max_age 1 min: each of these fails after one call
	note "$store: three line failures to one number leave the line in service"
	local ids=()
	for _ in 1 2 3; do
		ids+=("$(add +493070100 03070100)")
	done
	for id in "${ids[@]}"; do
		wait_status "$id" failed 20
		assert_eq "$(jfield "$id" reason_code)" line "outcome of a congested call"
	done
	assert_eq "$(lines_field state)" idle "line state after failures to one number"
	assert_eq "$(lines_field failures_in_row)" 1 "failures in a row counted (one number)"
	id=$(add +49301234100 0301234100)
	wait_status "$id" sent 20
	assert_eq "$(lines_field failures_in_row)" 0 "failures in a row after a call that worked"
	assert_eq "$(events line_)" "" "events after failures to one number"

	note "$store: three line failures to different numbers take the line out of service"
	ids=()
	for n in 1 2 3; do
		ids+=("$(add "+49307010$n" "0307010$n")")
	done
	for id in "${ids[@]}"; do
		wait_status "$id" failed 20
	done
	assert_eq "$(lines_field state)" out_of_service "line state after 3 failures to 3 numbers"
	assert_eq "$(events line_)" "line_down sim0" "events after the line went down"
	"$faxctl" -c "$cfg" events | grep -q "3 failures in a row to different numbers" ||
		fail "the line_down event does not say why: $("$faxctl" -c "$cfg" events)"
	g=$(add +49301234100 0301234100)
	sleep 2.5
	assert_eq "$(jfield "$g" status)/$(jfield "$g" attempts)" queued/0 "a job while the line is out of service"
	assert_eq "$(lines_field state)" out_of_service "line state before line_retest"
	wait_status "$g" sent 15
	assert_eq "$(events line_ | tr '\n' ' ')" "line_down sim0 line_up sim0 " "events after the retest"
	assert_eq "$(lines_field state)" idle "line state after the retest"
	grep -q "line sim0: trying it again" "$tmp/faxd.log" || fail "faxd did not say it tried the line again"

	note "$store: a caller hanging up in the middle of page 2: page 1 is stored, partial"
	rc=0
	"$faxctl" -c "$cfg" sim call --file "$tmp/text.tif" --to +49301239999 --from +4940555123 \
		--hangup-after-page 1 >"$tmp/call.out" 2>&1 || rc=$?
	assert_eq "$rc" 1 "faxctl sim call's exit status for a call cut short"
	grep -qx "pages 1" "$tmp/call.out" || fail "the caller did not send exactly one page: $(cat "$tmp/call.out")"
	assert_eq "$(inbound_count 1)" 1 "inbound faxes stored"
	"$faxctl" -c "$cfg" inbound --json >"$tmp/inbound.json"
	id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])' <"$tmp/inbound.json")
	assert_eq "$(python3 -c 'import json,sys; f = json.load(sys.stdin)[0]; print(f["partial"], f["pages"], f["status"])' \
		<"$tmp/inbound.json")" "True 1 new" "partial, pages, status of the fax cut in page 2"
	"$faxctl" -c "$cfg" inbound "$id" --export "$tmp/cut-export.tif" >/dev/null
	"$pagecmp" --tolerance 0 "$tmp/text-p1.tif" "$tmp/cut-export.tif" >/dev/null ||
		fail "the stored page differs from page 1 as sent"
	"$faxctl" -c "$cfg" sim call --file "$tmp/text.tif" --to +49301239999 --hangup-after-page 2 \
		>"$tmp/call.out" 2>&1 && fail "sim call cut after the last page was accepted"
	grep -q "cannot hang up in the middle of page 3 of a fax of 2 pages" "$tmp/call.out" ||
		fail "sim call cut after the last page: $(cat "$tmp/call.out")"

	# calls that last: the network in real time
	sim_timing realtime
	note "$store: a job held during a call: the call ends; released, it is sent"
	id=$(add +49301234100 0301234100)
	wait_log "job=$id .*answered" "the call for job $id was not answered"
	"$faxctl" -c "$cfg" hold "$id" >"$tmp/hold.out" 2>&1 || fail "hold: $(cat "$tmp/hold.out")"
	wait_log "job=$id .*hanging up" "faxd did not hang up the held job's call"
	assert_eq "$(jfield "$id" status)" held "status after hold during a call"
	for _ in $(seq 50); do
		"$faxctl" -c "$cfg" attempts --json "$id" | grep -q '"outcome": *"held"' && break
		sleep 0.1
	done
	"$faxctl" -c "$cfg" attempts --json "$id" | grep -q '"outcome": *"held"' ||
		fail "the held call's attempt does not say held: $("$faxctl" -c "$cfg" attempts --json "$id")"
	received "$tmp/in" 3 >/dev/null
	assert_eq "$(grep -l "^code=0$" "$tmp"/in/*.info | wc -l)" 2 "complete faxes received (the held call is not)"
	sim_timing unpaced
	"$faxctl" -c "$cfg" release "$id" >"$tmp/release.out" 2>&1 || fail "release: $(cat "$tmp/release.out")"
	wait_status "$id" sent 20
	if [ "$store" = sqlite ]; then watchdog; fi
	stop_faxd
	stop_pid "$sim_pid"
	sim_pid=
}

# A fax machine on a line so noisy (-20 dBm0) that it hardly hears us: after some frames spandsp
# waits on and on (measured: no progress after about 9 s of call, every time). Unpaced, 5 s of
# wall clock would be half an hour of call, so the watchdog is tested in real time.
watchdog() {
	local id
	sim_timing realtime
	note "$store: a call that stops making progress is ended by the watchdog and retried"
	id=$(add +49301234105 0301234105)
	for _ in $(seq 250); do
		[ "$(jfield "$id" attempts)" -ge 1 ] && break
		sleep 0.1
	done
	assert_eq "$(attempt_field "$id" 1 outcome)" watchdog "outcome of the stalled call"
	assert_eq "$(jfield "$id" reason_code)" watchdog "the job's outcome after the stalled call"
	jfield "$id" reason | grep -q "trying again" || fail "a watchdog outcome is not retried: $(jfield "$id" reason)"
	grep -q "job=$id .*watchdog: the call stalled" "$tmp/faxd.log" || fail "faxd did not log the stall"
	# the next call would stall as well (14 s): retry_max_attempts is faxd.sh's business
	"$faxctl" -c "$cfg" cancel "$id" >/dev/null
	wait_status "$id" cancelled 10
}

run_store sqlite "db_path = $tmp/db/queue.db"
pg_start "$tmp" >/dev/null || fail "cannot start PostgreSQL"
run_store postgresql "db_driver = postgresql" "db_conninfo = $FAXGATE_TEST_PG"
echo "faxd_more: ok"
