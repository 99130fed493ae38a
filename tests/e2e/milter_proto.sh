#!/bin/bash
# milter_proto.sh - faxmilter driven by miltertest (no MTA): the protocol at each stage, recipients
# decided one by one, jobs stored once, recipients removed, errors as SMTP replies.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
command -v miltertest >/dev/null || fail "miltertest is not installed (scripts/deps)"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sock="inet:$port@127.0.0.1"
cfg=$(conf milter \
	"log_target = stderr" "log_level = info" \
	"db_path = $tmp/queue.db" "milter_socket = $sock" \
	"fax_domains = fax.example.test, fax2.example.test" \
	"dial_country_code = 49" "dial_area_code = 30" \
	"policy_allow_senders = @example.test" "policy_trusted_networks = 127.0.0.0/8" "render_workers = 1")
"$faxctl" -c "$cfg" db upgrade >/dev/null || fail "faxctl db upgrade failed"

"$build/bin/faxmilter" -c "$cfg" 2>"$tmp/milter.log" &
milter_pid=$!
trap 'kill $milter_pid 2>/dev/null; wait $milter_pid 2>/dev/null; rm -rf "$tmp"' EXIT

# mt NAME: run tests/e2e/milter/NAME.lua against the milter
mt() {
	miltertest -D SOCK="$sock" -D LIB="$top/tests/e2e/milter/lib.lua" -D FIXTURES="$fixtures" \
		-s "$top/tests/e2e/milter/$1.lua" >"$tmp/mt.out" 2>&1 ||
		fail "miltertest $1: $(cat "$tmp/mt.out")
milter log: $(tail -n 20 "$tmp/milter.log")"
	note "$1: ok"
}

# jobs_json: every job as JSON
jobs_count() {
	"$faxctl" -c "$cfg" jobs --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}
job_field() { # INDEX FIELD (jobs newest first)
	"$faxctl" -c "$cfg" jobs --json | python3 -c "import json,sys; print(json.load(sys.stdin)[$1]['$2'])"
}

mt plain
assert_eq "$(jobs_count)" 0 "jobs after ordinary mail"

mt refused
assert_eq "$(jobs_count)" 0 "jobs after refused recipients"

mt faxonly
assert_eq "$(jobs_count)" 1 "jobs after a fax-only mail"
assert_eq "$(job_field 0 number)" "+49301234100" "number of the job"
assert_eq "$(job_field 0 status)" queued "status of the job"

mt faxonly # the same mail again (its reply got lost): not queued twice
assert_eq "$(jobs_count)" 1 "jobs after the same mail twice"

mt mixed
assert_eq "$(jobs_count)" 3 "jobs after a mail to two fax numbers and a person"

mt badattachment
assert_eq "$(jobs_count)" 3 "jobs after a mail with a corrupt attachment"

grep -q "listening on" "$tmp/milter.log" || fail "milter log lacks its start"
kill -0 $milter_pid || fail "faxmilter died: $(tail "$tmp/milter.log")"
echo "milter_proto: ok"
