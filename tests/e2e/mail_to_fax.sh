#!/bin/bash
# mail_to_fax.sh - the whole send path on SQLite: a mail through a private Postfix (SMTP AUTH) with
# faxmilter attached becomes a job, faxd sends it over sim lines into faxsim (unpaced), and the fax
# machine at the number receives the job's rendered pages pixel for pixel; the job ends sent and its
# attempt names the remote station. A mail to a busy number ends failed, reason busy, after
# retry_max_attempts calls. (faxd's own cases, with jobs put in directly, are in faxd.sh.)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/mta.sh"
. "$here/milter_mta.inc"
. "$here/faxd_lib.sh"
chmod 0755 "$tmp" # Postfix's users enter it
command -v postfix >/dev/null || {
	echo "SKIP: postfix is not installed"
	exit 0
}
station="+49 30 1239999"
trap 'stop_pid "$faxd_pid"; stop_pid "$sim_pid"; stop_milter; mta_stop; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT

# mail_with_pdf FILE RCPT: a text body and a PDF attachment, as a client writes it
mail_with_pdf() {
	python3 - "$1" "$2" "$fixtures/text-2p.pdf" <<'PY'
import email.message, email.utils, sys
out, rcpt, pdf = sys.argv[1:4]
m = email.message.EmailMessage()
m['From'] = 'Alice Smith <alice@example.test>'
m['To'] = email.utils.formataddr(('Jane Doe / ACME Ltd', rcpt))
m['Subject'] = 'Signed contract'
m['Date'] = email.utils.formatdate()
m['Message-ID'] = email.utils.make_msgid(domain='client.example.test')
m.set_content('Dear Jane,\n\nthe signed contract is attached.\n\nKind regards,\nAlice Smith\n')
m.add_attachment(open(pdf, 'rb').read(), maintype='application', subtype='pdf', filename='contract.pdf')
open(out, 'wb').write(bytes(m))
PY
}
# mail_fax WHAT RCPT NUMBER STATUS: mail_with_pdf to RCPT through Postfix with SMTP AUTH; the job it
# queues for NUMBER must reach STATUS. Sets $id.
mail_fax() {
	mail_with_pdf "$tmp/$3.eml" "$2"
	send "$1" "250" -a alice:alice-pw -f alice@example.test "$tmp/$3.eml" "$2"
	id=$(jobs_json | python3 -c "import json,sys; print(*[j['id'] for j in json.load(sys.stdin) if j['number'] == '$3'])")
	[ -n "$id" ] || fail "$1: no job for $3: $(jobs_json)"
	wait_status "$id" "$4" 30
}

mkdir -p "$tmp/in"
cat >"$tmp/plan" <<EOF
+49301234100 fax dir=$tmp/in station="JANE AT ACME"
+4930555 busy
EOF
milter_port=$(mta_free_port)
cfg=$(milter_conf mail2fax "db_driver = sqlite" "db_path = $tmp/queue.db" \
	"sim_socket = $tmp/sim.sock" "sim_plan = $tmp/plan" "sim_timing = unpaced" "line_count = 2" \
	"line_numbers = +49301239999" "faxd_name = fx1" "faxd_poll = 1s" "retry_busy = 1s" \
	"retry_max_attempts = 2" "fax_header = " "fax_station_id = $station")
"$faxctl" -c "$cfg" db upgrade >"$tmp/up.log" 2>&1 || fail "db upgrade: $(cat "$tmp/up.log")"

start_sim
start_faxd
start_milter "$cfg"
postfix_start "$tmp/mta" "inet:127.0.0.1:$milter_port" || fail "cannot start Postfix"
[ "$MTA_SASL" = 1 ] || fail "no SMTP AUTH in Postfix (saslpasswd2 from sasl2-bin missing?)"
fax=$MTA_FAX_DOMAIN

note "a mail with a text body and a PDF becomes a fax at the machine, pixel for pixel"
mail_fax "mail to a fax machine" "\"+49 30 1234-100\"@$fax" +49301234100 sent
"$faxctl" -c "$cfg" job "$id" --tiff "$tmp/job.tif" >/dev/null
# the body's page, then the PDF's two
assert_eq "$(jfield "$id" pages)" 3 "pages of the job"
for _ in $(seq 50); do
	[ "$(find "$tmp/in" -name '*.info' | wc -l)" -ge 1 ] && break
	sleep 0.1
done
info=$(find "$tmp/in" -name '*.info')
assert_eq "$(wc -l <<<"$info")" 1 "faxes received by the machine"
rx=$tmp/in/$(sed -n 's/^file=//p' "$info")
"$pagecmp" --tolerance 0 "$tmp/job.tif" "$rx" >"$tmp/cmp" ||
	fail "the machine received other pages than the job's: $(cat "$tmp/cmp")"
assert_fax "$rx" 3 fine a4
assert_eq "$(sed -n 's/^dialled=//p' "$info")" "$(jfield "$id" dial)" "what faxd dialled"
assert_eq "$(sed -n 's/^remote_id=//p' "$info")" "$station" "station id the machine saw"
assert_eq "$(sed -n 's/^result=//p' "$info")" OK "the machine's T.30 result"
assert_eq "$(jfield "$id" reason_code)" ok "outcome of the sent job"
assert_eq "$(jfield "$id" attempts)" 1 "calls for the sent job"
"$faxctl" -c "$cfg" attempts --json "$id" >"$tmp/attempts.json"
python3 - "$tmp/attempts.json" <<'PY' || fail "attempt of the sent job: $(cat "$tmp/attempts.json")"
import json, sys
a = json.load(open(sys.argv[1]))
assert len(a) == 1 and a[0]['remote_id'] == 'JANE AT ACME' and a[0]['pages_confirmed'] == 3, a
PY

note "a mail to a busy number: failed, reason busy, after retry_max_attempts calls"
mail_fax "mail to a busy number" "030555@$fax" +4930555 failed
assert_eq "$(jfield "$id" reason_code)" busy "outcome at a busy number"
assert_eq "$(jfield "$id" attempts)" 2 "calls to a busy number (retry_max_attempts)"
grep -qi busy <<<"$(jfield "$id" reason)" || fail "the reason does not say busy: $(jfield "$id" reason)"
assert_eq "$(find "$tmp/in" -name '*.info' | wc -l)" 1 "faxes received after the busy calls"

stop_faxd
echo "mail_to_fax: ok"
