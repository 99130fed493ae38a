#!/bin/bash
# queue.sh - the job queue on both stores: the unit tests against a private PostgreSQL as well as
# SQLite, then `faxctl db`, `jobs`, `job` and the admin actions as an admin uses them, with their
# messages, exit codes and JSON, on an SQLite file and on the PostgreSQL database; then what faxd
# leaves for the admin: `faxctl attempts`, `inbound` (with --export as TIFF and as PDF, the PDF drawn
# by poppler to the TIFF's pixels), `lines`, `purge`, `jobs --all`, `outbox` (list, one mail, its
# message byte for byte, purge of old mails); a database of version 2 with jobs in it upgraded to 4;
# and the claim benchmark in small, which must find no job claimed twice.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${FAXGATE_BUILD:-$top/build}
faxctl=$build/bin/faxctl
queue_add=$build/tools/queue_add
claimbench=$build/tools/claimbench
pagecmp=$build/tools/pagecmp
test_queue=$build/tests/test_queue
tmp=$(mktemp -d)
. "$top/tests/e2e/pg.sh"
trap 'pg_stop; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "-- $*"; }
for f in "$faxctl" "$queue_add" "$test_queue" "$claimbench" "$pagecmp"; do
	[ -x "$f" ] || fail "$f is not built"
done

pg_start "$tmp" || fail "cannot start PostgreSQL"
note "PostgreSQL on port $PG_PORT (pid $PG_PID)"

# The same unit tests on both stores; the PostgreSQL group must have run, not been skipped.
"$test_queue" >"$tmp/unit.log" 2>&1 || { cat "$tmp/unit.log"; fail "test_queue failed"; }
[ "$(grep -c '^\[  PASSED  \] 33 test(s)' "$tmp/unit.log")" = 2 ] || { cat "$tmp/unit.log"; fail "test_queue did not run both stores"; }
grep -q SKIPPED "$tmp/unit.log" && fail "test_queue skipped cases"
note "test_queue passed on SQLite and PostgreSQL"

# run CONF ARGS...: faxctl with $rc, $tmp/out, $tmp/err
run() {
	local conf=$1
	shift
	rc=0
	"$faxctl" -c "$conf" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
}
expect() { # RC WHAT: the last run exited RC
	[ "$rc" = "$1" ] || fail "$2: exit $rc instead of $1; stdout: $(cat "$tmp/out"); stderr: $(cat "$tmp/err")"
}
# json PYTHON_EXPR: evaluate with j = the last run's stdout parsed as JSON; fail unless true
json() {
	python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
		"$tmp/out" "$1" || fail "JSON check '$1' failed on: $(head -c 2000 "$tmp/out")"
}

# check_pdf NAME PDF TIFF PAGES YRES: the PDF export holds the fax's pages as CCITT images at 204 x YRES
# dpi on pages of the paper's size, and poppler draws them exactly as the TIFF export's pages.
check_pdf() {
	local name=$1 pdf=$2 tif=$3 pages=$4 yres=$5 i
	pdfinfo "$pdf" >"$tmp/pdfinfo" 2>&1 || fail "$name: pdfinfo: $(cat "$tmp/pdfinfo")"
	grep -q "^Pages: *$pages\$" "$tmp/pdfinfo" || fail "$name: PDF pages: $(cat "$tmp/pdfinfo")"
	grep -q '^Creator: *faxgate' "$tmp/pdfinfo" || fail "$name: PDF creator: $(cat "$tmp/pdfinfo")"
	grep -q $'\033' "$tmp/pdfinfo" && fail "$name: PDF metadata holds a raw escape character"
	# 1728 x 400 pixels at 204 x YRES dpi, in points
	awk -v y="$yres" '/^Page size:/ { w = $3; h = $5 }
		END { exit !(w > 609.87 && w < 609.89 && h > 400 * 72 / y - 0.01 && h < 400 * 72 / y + 0.01) }' \
		"$tmp/pdfinfo" || fail "$name: PDF page size: $(grep 'Page size' "$tmp/pdfinfo")"
	pdfimages -list "$pdf" >"$tmp/pdfimages" 2>&1 || fail "$name: pdfimages: $(cat "$tmp/pdfimages")"
	[ "$(awk -v y="$yres" '$3 == "image" && $4 == 1728 && $5 == 400 && $9 == "ccitt" && $13 == 204 && $14 == y' \
		"$tmp/pdfimages" | wc -l)" = "$pages" ] || fail "$name: PDF images: $(cat "$tmp/pdfimages")"
	rm -f "$tmp"/pp-*.pbm "$tmp"/tp-*.pbm
	pdftoppm -rx 204 -ry "$yres" -mono "$pdf" "$tmp/pp" || fail "$name: pdftoppm failed"
	for ((i = 0; i < pages; i++)); do
		convert "${tif}[$i]" "$tmp/tp-$i.pbm" || fail "$name: convert failed"
	done
	python3 - "$tmp" "$pages" <<-'PY' || fail "$name: the PDF does not draw as the TIFF"
		import glob, sys
		def pbm(path):  # (width, height, rows) of a binary PBM
		    d = open(path, 'rb').read()
		    fields, i = [], 0
		    while len(fields) < 3:
		        while d[i:i + 1].isspace():
		            i += 1
		        if d[i:i + 1] == b'#':
		            i = d.index(b'\n', i)
		            continue
		        j = i
		        while not d[j:j + 1].isspace():
		            j += 1
		        fields.append(d[i:j])
		        i = j
		    assert fields[0] == b'P4', path
		    w, h = int(fields[1]), int(fields[2])
		    s = (w + 7) // 8
		    return w, h, [d[i + 1 + r * s:i + 1 + (r + 1) * s] for r in range(h)]
		tmp, n = sys.argv[1], int(sys.argv[2])
		drawn = sorted(glob.glob(tmp + '/pp-*.pbm'))
		assert len(drawn) == n, drawn
		for k in range(n):
		    a, b = pbm(drawn[k]), pbm('%s/tp-%d.pbm' % (tmp, k))
		    assert a[:2] == b[:2], (k, a[:2], b[:2])
		    black = sum(bin(c).count('1') for r in b[2] for c in r)
		    assert black > 1000, (k, black)
		    bad = [r for r in range(a[1]) if a[2][r] != b[2][r]]
		    assert not bad, (k, 'rows differ', bad[:10])
	PY
}

check_store() { # NAME CONF SQL_COMMAND...: SQL_COMMAND "SQL" runs SQL on the store
	local name=$1 conf=$2 ids id esc
	shift 2
	note "$name: faxctl db, jobs, job, cancel, hold, release, retry"

	run "$conf" db version
	expect 1 "$name: db version before upgrade"
	run "$conf" jobs
	expect 1 "$name: jobs before upgrade"
	grep -q 'faxctl db upgrade' "$tmp/err" || fail "$name: jobs before upgrade does not say what to do: $(cat "$tmp/err")"

	run "$conf" db upgrade
	expect 0 "$name: db upgrade"
	grep -q '^applied 001_jobs$' "$tmp/out" || fail "$name: upgrade report: $(cat "$tmp/out")"
	grep -q '^applied 002_faxd$' "$tmp/out" || fail "$name: upgrade report: $(cat "$tmp/out")"
	grep -q '^applied 003_mailgate$' "$tmp/out" || fail "$name: upgrade report: $(cat "$tmp/out")"
	grep -q '^applied 004_media$' "$tmp/out" || fail "$name: upgrade report: $(cat "$tmp/out")"
	run "$conf" db upgrade
	expect 0 "$name: second db upgrade"
	grep -q 'nothing to do' "$tmp/out" || fail "$name: second upgrade report: $(cat "$tmp/out")"
	run "$conf" db version
	expect 0 "$name: db version"
	grep -q '^schema version 4, current$' "$tmp/out" || fail "$name: db version: $(cat "$tmp/out")"

	run "$conf" jobs
	expect 0 "$name: jobs on an empty queue"
	grep -q '^no jobs$' "$tmp/out" || fail "$name: empty list: $(cat "$tmp/out")"
	run "$conf" jobs --json
	expect 0 "$name: jobs --json on an empty queue"
	json 'j == []'

	ids=$("$queue_add" -c "$conf" -n 3 -p 2 -k mail1 -u alice) || fail "$name: queue_add failed"
	[ "$(echo "$ids" | wc -l)" = 3 ] || fail "$name: queue_add printed '$ids'"
	rc=0
	"$queue_add" -c "$conf" -n 1 -k mail1 2>/dev/null || rc=$?
	[ "$rc" = 3 ] || fail "$name: the same dedupe key queued twice (exit $rc)"
	id=$(echo "$ids" | tail -n 1)

	run "$conf" jobs --json
	expect 0 "$name: jobs --json"
	json 'len(j) == 3 and all(x["status"] == "queued" and x["pages"] == 2 and x["auth_user"] == "alice" for x in j)'
	json '[x["id"] for x in j] == sorted([x["id"] for x in j], reverse=True)'
	json "sorted(x['dedupe_key'] for x in j) == ['mail1-1', 'mail1-2', 'mail1-3']"
	run "$conf" jobs --limit 1 --json
	json "len(j) == 1 and j[0]['id'] == $id"
	run "$conf" jobs
	expect 0 "$name: jobs"
	[ "$(grep -c ' queued ' "$tmp/out")" = 3 ] || fail "$name: jobs table: $(cat "$tmp/out")"

	run "$conf" job --json "$id"
	expect 0 "$name: job --json"
	json "len(j) == 33 and j['id'] == $id and j['number'] == '+4930123456' and j['lease_owner'] is None"
	json "isinstance(j['created'], int) and j['attempts'] == 0 and j['reason_code'] == 'queued'"
	json "j['pages_done'] == 0 and j['finished'] == 0 and j['archived'] is False"
	run "$conf" job "$id"
	expect 0 "$name: job"
	grep -q '^status  *queued$' "$tmp/out" || fail "$name: job: $(cat "$tmp/out")"
	[ "$(wc -l <"$tmp/out")" = 33 ] || fail "$name: job shows $(wc -l <"$tmp/out") fields, not 33"

	run "$conf" hold "$id"
	expect 0 "$name: hold"
	grep -q "^job $id held$" "$tmp/out" || fail "$name: hold says: $(cat "$tmp/out")"
	run "$conf" jobs --status held --json
	json "[x['id'] for x in j] == [$id]"
	run "$conf" hold "$id"
	expect 1 "$name: hold of a held job"
	grep -q "job $id is held" "$tmp/err" || fail "$name: hold twice says: $(cat "$tmp/err")"
	run "$conf" retry "$id"
	expect 1 "$name: retry of a held job"
	run "$conf" release "$id"
	expect 0 "$name: release"
	run "$conf" cancel "$id"
	expect 0 "$name: cancel"
	run "$conf" job --json "$id"
	json "j['status'] == 'cancelled' and j['reason_code'] == 'cancelled'"
	run "$conf" cancel "$id"
	expect 1 "$name: cancel of a cancelled job"
	run "$conf" retry "$id"
	expect 0 "$name: retry"
	run "$conf" job --json "$id"
	json "j['status'] == 'queued'"

	run "$conf" job 999999
	expect 1 "$name: job that does not exist"
	grep -q 'no job 999999' "$tmp/err" || fail "$name: missing job message: $(cat "$tmp/err")"
	run "$conf" cancel 999999
	expect 1 "$name: cancel of a job that does not exist"
	for bad in "cancel abc" "cancel" "hold 1 2" "job" "job -5" "jobs --status bogus" "jobs extra" "db" "db drop"; do
		# shellcheck disable=SC2086
		run "$conf" $bad
		expect 2 "$name: faxctl $bad"
	done

	# Hostile text reaches JSON exactly and the terminal defused.
	esc=$(printf 'Invoice \033]0;pwned\007 "quoted" \\ 会社')
	id=$("$queue_add" -c "$conf" -t "$esc") || fail "$name: queue_add with a hostile subject"
	run "$conf" job "$id"
	grep -q $'\033' "$tmp/out" && fail "$name: job prints a raw escape character"
	grep -qF 'Invoice \x1b]0;pwned\x07 "quoted" \ 会社' "$tmp/out" || fail "$name: subject shown as: $(grep subject "$tmp/out")"
	run "$conf" job --json "$id"
	SUBJECT=$esc json "j['subject'] == __import__('os').environ['SUBJECT']"
	run "$conf" jobs
	grep -q $'\033' "$tmp/out" && fail "$name: jobs prints a raw escape character"
	check_faxd "$name" "$conf" "$@"
}

check_faxd() { # NAME CONF SQL_COMMAND...: what faxd leaves for the admin
	local name=$1 conf=$2 id claimed fax
	shift 2
	note "$name: faxctl attempts, inbound, lines, purge, jobs --all, hold during a call"

	id=$("$queue_add" -c "$conf" -a -p 3 +4940111) || fail "$name: queue_add -a"
	run "$conf" attempts --json "$id"
	expect 0 "$name: attempts --json"
	json "len(j) == 2 and j[0]['outcome'] == 'busy' and j[1]['outcome'] == 'dropped' and j[0]['id'] < j[1]['id']"
	json "j[1]['bit_rate'] == 14400 and j[1]['ecm'] is True and j[1]['pages_confirmed'] == 1 and j[1]['t30_code'] == 49"
	json "j[1]['remote_id'] == '+49 30 123456' and j[1]['duration'] == 90 and j[1]['job_id'] == $id and j[1]['t30_meaning']"
	run "$conf" attempts "$id"
	expect 0 "$name: attempts"
	[ "$(grep -c 'dropped\|busy' "$tmp/out")" = 2 ] || fail "$name: attempts table: $(cat "$tmp/out")"
	run "$conf" attempts 999999
	expect 1 "$name: attempts of a job that does not exist"
	grep -q 'no job 999999' "$tmp/err" || fail "$name: attempts 999999 says: $(cat "$tmp/err")"
	for bad in "attempts" "attempts x" "attempts 1 2" "inbound x" "inbound 1 2" "inbound --export" "lines x" "purge x" "jobs --all x"; do
		# shellcheck disable=SC2086
		run "$conf" $bad
		expect 2 "$name: faxctl $bad"
	done

	run "$conf" inbound
	expect 0 "$name: inbound on none"
	grep -q '^no received faxes$' "$tmp/out" || fail "$name: inbound on none: $(cat "$tmp/out")"
	fax=$("$queue_add" -c "$conf" -i -p 3 -o "$tmp/ref.tif" +4930999) || fail "$name: queue_add -i"
	run "$conf" inbound --json
	expect 0 "$name: inbound --json"
	json "len(j) == 1 and j[0]['id'] == $fax and j[0]['status'] == 'new' and j[0]['partial'] is True and j[0]['pages'] == 3"
	json "j[0]['called'] == '+4930999' and j[0]['caller'] == '+4940555123' and j[0]['remote_id'] == 'REMOTE FAX \x1b[2J'"
	run "$conf" inbound --status delivered --json
	json 'j == []'
	run "$conf" inbound --json "$fax"
	expect 0 "$name: inbound --json ID"
	json "[p['bad_rows'] for p in j['page_list']] == [0, 1, 2] and all(p['width'] == 1728 for p in j['page_list'])"
	run "$conf" inbound "$fax"
	expect 0 "$name: inbound ID"
	grep -q $'\033' "$tmp/out" && fail "$name: inbound prints a raw escape character"
	grep -q '^page 2 .* 1 bad rows' "$tmp/out" || fail "$name: inbound ID: $(cat "$tmp/out")"
	run "$conf" inbound
	grep -q $'\033' "$tmp/out" && fail "$name: inbound list prints a raw escape character"
	run "$conf" inbound "$fax" --export "$tmp/fax.tif"
	expect 0 "$name: inbound --export"
	"$pagecmp" "$tmp/ref.tif" "$tmp/fax.tif" >"$tmp/cmp" || fail "$name: the exported fax differs: $(cat "$tmp/cmp")"
	[ "$(grep -c identical "$tmp/cmp")" = 3 ] || fail "$name: exported pages: $(cat "$tmp/cmp")"
	run "$conf" inbound 999999 --export "$tmp/none.tif"
	expect 1 "$name: export of a fax that does not exist"
	[ -e "$tmp/none.tif" ] && fail "$name: a file for a fax that does not exist"
	run "$conf" inbound "$fax" --export "$tmp/fax.pdf"
	expect 0 "$name: inbound --export .pdf"
	check_pdf "$name" "$tmp/fax.pdf" "$tmp/fax.tif" 3 196
	run "$conf" inbound 999999 --export "$tmp/none.pdf"
	expect 1 "$name: PDF export of a fax that does not exist"
	[ -e "$tmp/none.pdf" ] && fail "$name: a PDF for a fax that does not exist"
	run "$conf" inbound "$fax" --export "$tmp/no/such/dir/fax.pdf"
	expect 1 "$name: PDF export into a folder that does not exist"

	run "$conf" lines
	expect 0 "$name: lines on none"
	"$queue_add" -c "$conf" -l || fail "$name: queue_add -l"
	run "$conf" lines --json
	expect 0 "$name: lines --json"
	json "[(x['line'], x['state']) for x in j] == [('1', 'sending'), ('2', 'down')] and j[0]['calls'] == 12 and j[1]['failures_in_row'] == 3"
	run "$conf" lines
	grep -q $'\a' "$tmp/out" && fail "$name: lines prints a raw control character"
	grep -q ' down ' "$tmp/out" || fail "$name: lines: $(cat "$tmp/out")"

	# hold and cancel while a job is being sent
	claimed=$("$queue_add" -c "$conf" -C e2e +4940222 | sed -n 's/^claimed //p')
	[ -n "$claimed" ] || fail "$name: nothing claimed"
	run "$conf" job --json "$claimed"
	json "j['status'] == 'sending' and j['lease_owner'] == 'e2e'"
	run "$conf" hold "$claimed"
	expect 0 "$name: hold of a job being sent"
	run "$conf" job --json "$claimed"
	json "j['status'] == 'held' and j['lease_owner'] is None"

	# purge: a job finished long ago is archived, then deleted with its attempts; a new fax stays
	run "$conf" jobs --json --limit 0
	local before
	before=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "$tmp/out")
	"$@" "UPDATE jobs SET status = 'sent', finished = 1000 WHERE id = $id" >/dev/null || fail "$name: SQL"
	"$@" "UPDATE inbound SET received = 1000 WHERE id = $fax" >/dev/null || fail "$name: SQL"
	run "$conf" purge
	expect 0 "$name: purge"
	grep -q '^archived 1 jobs' "$tmp/out" || fail "$name: purge says: $(cat "$tmp/out")"
	grep -q '^deleted 1 archived jobs, 0 received faxes' "$tmp/out" || fail "$name: purge says: $(cat "$tmp/out")"
	run "$conf" attempts "$id"
	expect 1 "$name: attempts of a purged job"
	run "$conf" inbound --json "$fax"
	expect 0 "$name: a new fax survives the purge"
	# archived, not yet purged: hidden unless --all
	id=$(echo "$ids" | head -n 1)
	"$@" "UPDATE jobs SET status = 'failed', finished = $(($(date +%s) - 40 * 86400)) WHERE id = $id" >/dev/null
	run "$conf" purge
	grep -q '^archived 1 jobs' "$tmp/out" || fail "$name: purge says: $(cat "$tmp/out")"
	run "$conf" jobs --json --limit 0
	json "len(j) == $before - 2 and $id not in [x['id'] for x in j]"
	run "$conf" jobs --all --json --limit 0
	json "len(j) == $before - 1 and [x['archived'] for x in j if x['id'] == $id] == [True]"
	check_outbox "$name" "$conf" "$@"
}

# The message of the mails check_outbox stores: every line end faxmailgate may store, a tab.
outbox_message=$'Subject: outbox test\r\nTo: anna@example.com\r\n\r\nline one\n\tline two\r\n'

check_outbox() { # NAME CONF SQL_COMMAND...: faxctl outbox, and purge of old mails
	local name=$1 conf=$2 now id bad
	shift 2
	note "$name: faxctl outbox, purge of mails"
	now=$(date +%s)
	run "$conf" outbox
	expect 0 "$name: outbox on none"
	grep -q '^no mails in the outbox$' "$tmp/out" || fail "$name: outbox on none: $(cat "$tmp/out")"
	# what faxmailgate leaves: a fax mail waiting after a 4xx (the relay's words hostile), a notice sent long ago
	"$@" "INSERT INTO outbox (created, kind, ref_id, sender, recipients, message_id, message, status, attempts,
		next_attempt, last_error, sent) VALUES ($((now - 100 * 86400)), 'notice', 7, '', 'alice@example.com',
		'<n.7@example.com>', '$outbox_message', 'sent', 1, 0, NULL, $((now - 100 * 86400)))" >/dev/null ||
		fail "$name: SQL"
	"$@" "INSERT INTO outbox (created, kind, ref_id, sender, recipients, message_id, message, status, attempts,
		next_attempt, last_error) VALUES ($now, 'fax', 3, 'fax@example.com', 'anna@example.com bob@example.com',
		'<f.3@example.com>', '$outbox_message', 'pending', 2, $((now + 600)), '451 4.3.0 busy $(printf '\033')[2J')" \
		>/dev/null || fail "$name: SQL"
	run "$conf" outbox --json
	expect 0 "$name: outbox --json"
	json "[(m['kind'], m['status']) for m in j] == [('fax', 'pending'), ('notice', 'sent')]"
	json "j[0]['recipients'] == 'anna@example.com bob@example.com' and j[0]['attempts'] == 2 and j[0]['next_attempt'] == $now + 600"
	json "j[0]['last_error'] == '451 4.3.0 busy \x1b[2J' and j[1]['sender'] == '' and j[1]['ref_id'] == 7 and 'message_bytes' not in j[0]"
	id=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[0]["id"])' "$tmp/out")
	run "$conf" outbox --status pending --json
	json "[m['id'] for m in j] == [$id]"
	run "$conf" outbox --limit 1 --json
	json "[m['id'] for m in j] == [$id]"
	run "$conf" outbox
	expect 0 "$name: outbox"
	grep -q $'\033' "$tmp/out" && fail "$name: outbox prints a raw escape character"
	grep -q "^ *$id  .* fax  *pending  *2 .*anna@example.com.*451 4.3.0 busy" "$tmp/out" || fail "$name: outbox: $(cat "$tmp/out")"
	run "$conf" outbox "$id" --message
	expect 0 "$name: outbox ID --message"
	printf '%s' "$outbox_message" | cmp - "$tmp/out" || fail "$name: the message differs: $(od -c "$tmp/out" | head)"
	run "$conf" outbox --json "$id"
	json "j['id'] == $id and j['message_bytes'] == ${#outbox_message} and j['message_id'] == '<f.3@example.com>'"
	run "$conf" outbox "$id"
	expect 0 "$name: outbox ID"
	grep -q $'\033' "$tmp/out" && fail "$name: outbox ID prints a raw escape character"
	grep -q "^message  *${#outbox_message} bytes$" "$tmp/out" || fail "$name: outbox ID: $(cat "$tmp/out")"
	run "$conf" outbox 999999
	expect 1 "$name: outbox of a mail that does not exist"
	grep -q 'no mail 999999' "$tmp/err" || fail "$name: outbox 999999 says: $(cat "$tmp/err")"
	for bad in "outbox x" "outbox 1 2" "outbox --message" "outbox --status bogus" "outbox --json 1 --message" "outbox --status sent 1"; do
		# shellcheck disable=SC2086
		run "$conf" $bad
		expect 2 "$name: faxctl $bad"
	done
	# the mail sent long ago goes, the pending one stays
	run "$conf" purge
	expect 0 "$name: purge of mails"
	grep -q ' and 1 mails older than' "$tmp/out" || fail "$name: purge says: $(cat "$tmp/out")"
	run "$conf" outbox --json
	json "[m['id'] for m in j] == [$id]"
	return 0
}

# SQLite: the folder is made, private.
printf 'run_user = \ndb_path = %s/sqlite/var/queue.db\ndb_timeout = 2s\n' "$tmp" >"$tmp/sqlite.conf"
check_store SQLite "$tmp/sqlite.conf" sqlite3 "$tmp/sqlite/var/queue.db"
[ "$(stat -c %a "$tmp/sqlite/var")" = 750 ] || fail "SQLite folder mode $(stat -c %a "$tmp/sqlite/var")"
[ "$(stat -c %a "$tmp/sqlite/var/queue.db")" = 640 ] || fail "SQLite file mode $(stat -c %a "$tmp/sqlite/var/queue.db")"

printf 'run_user = \ndb_driver = postgresql\ndb_conninfo = %s\ndb_timeout = 3s\n' "$FAXGATE_TEST_PG" >"$tmp/pg.conf"
drop_all='DROP TABLE IF EXISTS pages, jobs, schema_version, attempts, inbound_pages, inbound, events, lines, outbox, alerts, media CASCADE'
pg_psql -q -d faxgate -c "$drop_all" >/dev/null
check_store PostgreSQL "$tmp/pg.conf" pg_psql -qtA -d faxgate -c

# Upgrades started at once apply each migration once. concurrent_upgrade NAME CONF COUNT_COMMAND...
concurrent_upgrade() {
	local name=$1 conf=$2 i pids=() n
	shift 2
	for i in 1 2 3; do
		"$faxctl" -c "$conf" db upgrade >"$tmp/up$i.log" 2>&1 &
		pids+=($!)
	done
	for i in 0 1 2; do
		wait "${pids[i]}" || fail "$name: concurrent upgrade $i failed: $(cat "$tmp/up$((i + 1)).log")"
	done
	[ "$(cat "$tmp"/up?.log | grep -c '^applied 001_jobs$')" = 1 ] || fail "$name: migration 1 applied $(cat "$tmp"/up?.log | grep -c '^applied 001_jobs$') times"
	[ "$(cat "$tmp"/up?.log | grep -c '^applied 002_faxd$')" = 1 ] || fail "$name: migration 2 applied more than once"
	[ "$(cat "$tmp"/up?.log | grep -c '^applied 003_mailgate$')" = 1 ] || fail "$name: migration 3 applied more than once"
	[ "$(cat "$tmp"/up?.log | grep -c '^applied 004_media$')" = 1 ] || fail "$name: migration 4 applied more than once"
	n=$("$@")
	[ "$n" = 4 ] || fail "$name: schema_version has $n rows after concurrent upgrades"
}
printf 'run_user = \ndb_path = %s/concurrent/queue.db\n' "$tmp" >"$tmp/concurrent.conf"
concurrent_upgrade SQLite "$tmp/concurrent.conf" sqlite3 "$tmp/concurrent/queue.db" 'SELECT COUNT(*) FROM schema_version'
pg_psql -q -d faxgate -c "$drop_all" >/dev/null
concurrent_upgrade PostgreSQL "$tmp/pg.conf" pg_psql -qtA -d faxgate -c 'SELECT COUNT(*) FROM schema_version'
note "concurrent upgrades: each migration applied once"

# A database of version 2 (faxd's) with jobs in it upgrades to 4: the jobs finished before get no
# notice, those still waiting only their final one. upgrade_from_2 NAME CONF DRIVER SQL_COMMAND...
# (SQL_COMMAND as the user faxctl connects as, so the tables are its own)
upgrade_from_2() {
	local name=$1 conf=$2 driver=$3 v sql st
	shift 3
	for v in 001_jobs 002_faxd; do
		"$@" " $(cat "$top/schema/$driver/$v.sql")" >/dev/null || fail "$name: schema $v"
	done
	sql="INSERT INTO schema_version (version, name, applied) VALUES (1, 'jobs', 0), (2, 'faxd', 0)"
	for st in queued sent failed held cancelled sending; do
		sql="$sql; INSERT INTO jobs (created, sender, number, dial, pages, resolution, paper, priority, send_after,
			status, reason_code, reason, next_attempt) VALUES (1000, 'a@example.com', '+4930', '030', 1, 0, 0, 50,
			1000, '$st', '$st', '', 1000)"
	done
	"$@" "$sql" >/dev/null || fail "$name: jobs of version 2"
	run "$conf" jobs
	expect 1 "$name: jobs on version 2"
	grep -q 'faxctl db upgrade' "$tmp/err" || fail "$name: jobs on version 2 says: $(cat "$tmp/err")"
	run "$conf" db upgrade
	expect 0 "$name: upgrade from version 2"
	[ "$(grep -c '^applied' "$tmp/out")" = 2 ] && grep -q '^applied 003_mailgate$' "$tmp/out" &&
		grep -q '^applied 004_media$' "$tmp/out" ||
		fail "$name: upgrade from version 2 says: $(cat "$tmp/out")"
	run "$conf" jobs --json
	json "sorted((x['status'], x['notice'], x['headers']) for x in j) == [('cancelled', 2, None), ('failed', 2, None), ('held', 1, None), ('queued', 1, None), ('sending', 1, None), ('sent', 2, None)]"
	run "$conf" outbox
	expect 0 "$name: outbox after the upgrade"
	note "$name: upgrade from version 2: ok"
}
printf 'run_user = \ndb_path = %s/v2/queue.db\n' "$tmp" >"$tmp/v2.conf"
mkdir -p "$tmp/v2"
upgrade_from_2 SQLite "$tmp/v2.conf" sqlite sqlite3 "$tmp/v2/queue.db"
pg_psql -q -d faxgate -c "$drop_all" >/dev/null
upgrade_from_2 PostgreSQL "$tmp/pg.conf" postgresql "$PG_BIN/psql" -X -qtA -v ON_ERROR_STOP=1 -d "$FAXGATE_TEST_PG" -c

# The claim benchmark in small: four claimers at once, no job twice, one call a number.
printf 'run_user = \ndb_path = %s/bench/queue.db\ndb_timeout = 30s\n' "$tmp" >"$tmp/bench.conf"
"$claimbench" -H -c "$tmp/bench.conf" -j 300 -n 10 -k 1,4 >"$tmp/bench.out" 2>&1 || { cat "$tmp/bench.out"; fail "claimbench on SQLite"; }
pg_psql -q -d faxgate -c "$drop_all" >/dev/null
"$claimbench" -c "$tmp/pg.conf" -j 300 -n 10 -k 1,4 >>"$tmp/bench.out" 2>&1 || { cat "$tmp/bench.out"; fail "claimbench on PostgreSQL"; }
grep '^|' "$tmp/bench.out"

# The migrations travel inside the program: a copy far from the source tree makes a new database.
cp "$faxctl" "$tmp/faxctl-copy"
printf 'run_user = \ndb_path = %s/elsewhere/queue.db\n' "$tmp" >"$tmp/elsewhere.conf"
(cd / && "$tmp/faxctl-copy" -c "$tmp/elsewhere.conf" db upgrade >/dev/null 2>&1) || fail "a copied faxctl cannot upgrade"
(cd / && "$tmp/faxctl-copy" -c "$tmp/elsewhere.conf" db version | grep -q current) || fail "copied faxctl: version"

# Passwords never show, whatever goes wrong.
printf 'run_user = \ndb_driver = postgresql\ndb_conninfo = %s password=Wr0ngPassw0rd\n' "$FAXGATE_TEST_PG" >"$tmp/wrong.conf"
run "$tmp/wrong.conf" jobs
expect 1 "wrong password"
grep -q 'Wr0ngPassw0rd' "$tmp/err" && fail "the password is in the message: $(cat "$tmp/err")"
grep -q "$PG_PASSWORD" "$tmp/err" && fail "the real password is in the message: $(cat "$tmp/err")"
grep -qi 'password authentication failed' "$tmp/err" || fail "wrong password message: $(cat "$tmp/err")"
note "wrong password: $(cat "$tmp/err")"

# A server that is down is a clear failure, quickly.
pg_stop
start=$SECONDS
run "$tmp/pg.conf" jobs
expect 1 "jobs with the server down"
grep -q 'cannot connect to PostgreSQL' "$tmp/err" || fail "server down message: $(cat "$tmp/err")"
grep -q "$PG_PASSWORD" "$tmp/err" && fail "the password is in the message: $(cat "$tmp/err")"
[ $((SECONDS - start)) -le 5 ] || fail "took $((SECONDS - start)) s to notice the server is down"
run "$tmp/pg.conf" db upgrade
expect 1 "db upgrade with the server down"
note "server down: $(cat "$tmp/err")"
echo "queue: ok"
