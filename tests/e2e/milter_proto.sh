#!/bin/bash
# milter_proto.sh - faxmilter driven by miltertest (no MTA): the protocol at each stage, recipients
# decided one by one, jobs stored once, recipients removed, errors as SMTP replies; then the edge
# cases an MTA rarely shows: several mails on one connection, RSET in the middle of a mail, the
# connection cut in the middle of the body, a body in a thousand pieces, a mail with no body, DSN
# parameters, a bounce to a fax number, SIGHUP and SIGTERM while a session is open. The sanitizer
# build must report nothing from either of the milter's processes.
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
trap '[ -z "$milter_pid" ] || { kill $milter_pid 2>/dev/null; wait $milter_pid 2>/dev/null; }
[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT

# mt NAME [-D VAR=VALUE]...: run tests/e2e/milter/NAME.lua against the milter
mt() {
	local name=$1
	shift
	miltertest -D SOCK="$sock" -D LIB="$top/tests/e2e/milter/lib.lua" -D FIXTURES="$fixtures" "$@" \
		-s "$top/tests/e2e/milter/$name.lua" >"$tmp/mt.out" 2>&1 ||
		fail "miltertest $name: $(cat "$tmp/mt.out")
milter log: $(tail -n 20 "$tmp/milter.log")"
	note "$name: ok"
}

jobs_json() { "$faxctl" -c "$cfg" jobs --json; }
jobs_count() {
	jobs_json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}
job_field() { # INDEX FIELD (jobs newest first)
	jobs_json | python3 -c "import json,sys; print(json.load(sys.stdin)[$1]['$2'])"
}
# jobs_to NUMBER: how many jobs go to this number
jobs_to() {
	jobs_json | python3 -c "import json,sys; print(sum(1 for j in json.load(sys.stdin) if j['number'] == '$1'))"
}
# job_of NUMBER FIELD: a field of the job to NUMBER, as `faxctl job --json` shows it
job_of() {
	local id
	id=$(jobs_json | python3 -c "import json,sys; print([j['id'] for j in json.load(sys.stdin) if j['number'] == '$1'][0])") ||
		fail "no job to $1"
	"$faxctl" -c "$cfg" job --json "$id" | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"
}
# alive: the milter's master and its worker still run
alive() {
	grep -qs '^State:[[:space:]]*[^Z]' "/proc/$milter_pid/status" || fail "faxmilter died: $(tail "$tmp/milter.log")"
	[ -n "$(pgrep -P "$milter_pid")" ] || fail "faxmilter has no worker: $(tail "$tmp/milter.log")"
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

n0=$(jobs_count)
mt multi
assert_eq "$(jobs_count)" "$((n0 + 2))" "jobs after three mails on one connection"
assert_eq "$(jobs_to +49301235001)" 1 "jobs of the first mail on the connection"
assert_eq "$(jobs_to +49301235002)" 1 "jobs of the third mail on the connection"
assert_eq "$(job_of +49301235002 subject)" "third of several" "subject of the third mail's job"
grep -q "MULTI3 notice: queued job .* to +49301235002" "$tmp/milter.log" ||
	fail "the job is not logged with its mail's queue ID: $(grep 'queued job' "$tmp/milter.log")"

mt dup
assert_eq "$(jobs_to +49301235020)" 1 "jobs to a number given twice in one mail"
assert_eq "$(jobs_to +49301235101)" 0 "jobs of the aborted mail with too many fax recipients"

mt rset
assert_eq "$(jobs_to +49301235003)" 0 "jobs of the aborted mail"
assert_eq "$(jobs_to +49301235004)" 1 "jobs of the mail after RSET"

n0=$(jobs_count)
mt drop
sleep 0.3
alive
assert_eq "$(jobs_count)" "$n0" "jobs after a connection cut in the middle of the body"
mt faxonly # the milter still serves
! grep -q "worker .* ended" "$tmp/milter.log" || fail "the worker died: $(tail "$tmp/milter.log")"

python3 - "$fixtures/text-2p.pdf" "$tmp/chunks.body" <<'PY'
import base64, sys
pdf = open(sys.argv[1], 'rb').read()
b64 = base64.encodebytes(pdf).decode().replace('\n', '\r\n')
open(sys.argv[2], 'w', newline='').write(
    '--chunkb\r\nContent-Type: text/plain\r\n\r\nTwo pages attached.\r\n'
    '--chunkb\r\nContent-Type: application/pdf; name="text-2p.pdf"\r\n'
    'Content-Disposition: attachment; filename="text-2p.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
    + b64 + '--chunkb--\r\n')
PY
mt chunks -D BODY="$tmp/chunks.body"
assert_eq "$(job_of +49301235006 pages)" 3 "pages of the chunked mail (cover and the PDF's two)"

mt empty
assert_eq "$(job_of +49301235010 pages)" 1 "pages of a mail with no body (the cover)"
assert_eq "$(job_of +49301235010 subject)" "Please call me back" "subject of a mail with no body"

mt dsn
assert_eq "$(job_of +49301235007 notify)" "SUCCESS,FAILURE" "NOTIFY of the job"
assert_eq "$(job_of +49301235007 orcpt)" "rfc822;+2B49301235007@fax.example.test" "ORCPT of the job"

n0=$(jobs_count)
mt nullsender
assert_eq "$(jobs_count)" "$n0" "jobs after a bounce to a fax number"
grep -q "sender <> .* may not fax" "$tmp/milter.log" || fail "the refused bounce is not logged: $(tail -n 5 "$tmp/milter.log")"

# The reload: the area code becomes 40, SIGHUP, and wait until the worker has reloaded.
cat >"$tmp/hup.sh" <<EOF
sed -i 's/^dial_area_code = 30\$/dial_area_code = 40/' "$cfg"
n=\$(grep -c "configuration reloaded" "$tmp/milter.log")
kill -HUP $milter_pid
for i in \$(seq 100); do
	[ "\$(grep -c "configuration reloaded" "$tmp/milter.log")" -gt "\$n" ] && exit 0
	sleep 0.05
done
exit 1
EOF
mt hup -D HUP="sh $tmp/hup.sh"
assert_eq "$(jobs_to +49301235008)" 1 "job of the session across the reload (old area code)"
assert_eq "$(jobs_to +49301235018)" 1 "job of the recipient given after the reload (old area code)"
assert_eq "$(jobs_to +49401235009)" 1 "job of the session after the reload (new area code)"

grep -q "listening on" "$tmp/milter.log" || fail "milter log lacks its start"
alive
# SIGTERM in the middle of a session: the milter ends cleanly within libmilter's 5 s poll; the
# session is cut (the MTA tempfails it) and leaves no job, or completes and is queued once.
start=$SECONDS
mt term -D TERM="kill -TERM $milter_pid" -D OUT="$tmp/term.out"
rc=0
wait "$milter_pid" || rc=$?
milter_pid=
[ "$rc" -eq 0 ] || fail "faxmilter exited with status $rc on SIGTERM: $(tail "$tmp/milter.log")"
assert_le $((SECONDS - start)) 10 "seconds faxmilter took to stop on SIGTERM"
case $(cat "$tmp/term.out") in
cut) assert_eq "$(jobs_to +49301235012)" 0 "jobs of the mail cut by SIGTERM" ;;
queued) assert_eq "$(jobs_to +49301235012)" 1 "jobs of the mail completed at SIGTERM" ;;
*) fail "term.lua wrote no outcome" ;;
esac
note "the session open at SIGTERM: $(cat "$tmp/term.out")"
! grep -q "worker .* ended" "$tmp/milter.log" || fail "the worker died: $(grep "worker .* ended" "$tmp/milter.log")"
! grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$tmp/milter.log" ||
	fail "sanitizer report in the milter's log: $(grep -E -A 30 'ERROR: |runtime error:' "$tmp/milter.log" | head -n 60)"
echo "milter_proto: ok"
