#!/bin/bash
# milter_postfix.sh - faxmilter attached to a real private Postfix, jobs in a real private
# PostgreSQL: the shared cases (milter_mta.inc), then what only a long-running MTA shows: mail too
# big, the database down (tempfail, then queued once it is back), the milter restarted in the middle
# of an SMTP session, a configuration reload by SIGHUP.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/mta.sh"
. "$here/pg.sh"
. "$here/milter_mta.inc"
chmod 0755 "$tmp" # Postfix's and PostgreSQL's users enter it
trap 'stop_milter; mta_stop; pg_stop; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT

pg_start "$tmp" >/dev/null || fail "cannot start PostgreSQL"
milter_port=$(mta_free_port)
cfg=$(milter_conf postfix "db_driver = postgresql" "db_conninfo = $FAXGATE_TEST_PG" "db_timeout = 3s" \
	"milter_max_message = 200k")
"$faxctl" -c "$cfg" db upgrade >/dev/null || fail "faxctl db upgrade"
start_milter "$cfg"
postfix_start "$tmp/mta" "inet:127.0.0.1:$milter_port" || fail "cannot start Postfix"
fax=$MTA_FAX_DOMAIN
msg=$tmp/msg.eml

milter_mta_cases

# too big: refused at the end of data with 552 5.3.4, and nothing queued
n0=$(jobs_count)
mta_message "$msg" "big" "$(head -c 300000 /dev/zero | tr '\0' 'x' | fold -w 76)"
send "oversized mail" "552 5\.3\.4" -a alice:alice-pw -f alice@example.test "$msg" "+49301234100@$fax"
assert_eq "$(jobs_count)" "$n0" "jobs after an oversized mail"

# the database down: tempfail (the MTA keeps the mail); queued once when it is back
mta_message "$msg" "db down" "queued after the database came back"
pg_stop
send "database down" "451 4\.3\.0" -a alice:alice-pw -f alice@example.test "$msg" "+49301234600@$fax"
grep -q "cannot open the fax queue" "$tmp/milter.log" || fail "milter did not log the database failure"
pg_restart "$tmp" || fail "cannot restart PostgreSQL"
n0=$(jobs_count)
send "database back" "250" -a alice:alice-pw -f alice@example.test "$msg" "+49301234600@$fax"
assert_eq "$(jobs_with number +49301234600)" 1 "jobs after the database came back"

# the milter's worker dies in the middle of an SMTP session: that mail gets a tempfail, the master
# starts a new worker, and the client's next try is queued
worker=$(pgrep -P "$milter_pid" | head -n 1)
[ -n "$worker" ] || fail "no milter worker under $milter_pid"
mta_message "$msg" "restart" "sent across a milter restart"
python3 - "$MTA_PORT" "$msg" "+49301234700@$fax" "$worker" >"$tmp/restart.out" 2>&1 <<'PY' || true
import os, signal, smtplib, sys, time
port, path, rcpt, worker = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
s = smtplib.SMTP('127.0.0.1', port, timeout=60)
s.ehlo('client.example.test')
s.login('alice', 'alice-pw')
s.mail('alice@example.test')
print('rcpt', s.rcpt(rcpt))
os.kill(worker, signal.SIGKILL)
time.sleep(0.5)
try:
    print('data', s.data(open(path, 'rb').read()))
except smtplib.SMTPResponseException as e:
    print('data', e.smtp_code, e.smtp_error)
PY
grep -Eq "^data \(?4[0-9][0-9]" "$tmp/restart.out" || fail "mail across a milter crash not tempfailed: $(cat "$tmp/restart.out")"
for _ in $(seq 50); do
	[ "$(grep -c 'listening on' "$tmp/milter.log")" -ge 2 ] && break
	sleep 0.1
done
send "retry after the milter restarted" "250" -a alice:alice-pw -f alice@example.test "$msg" "+49301234700@$fax"
assert_eq "$(jobs_with number +49301234700)" 1 "jobs after the milter restarted"

# SIGHUP: bob is allowed from now on, without a restart
sed -i 's/^policy_allow_senders = alice$/policy_allow_senders = alice bob/' "$cfg"
kill -HUP "$milter_pid"
for _ in $(seq 50); do
	grep -q "configuration reloaded" "$tmp/milter.log" && break
	sleep 0.1
done
grep -q "configuration reloaded" "$tmp/milter.log" || fail "no reload after SIGHUP: $(tail "$tmp/milter.log")"
mta_message "$msg" "bob" "bob may fax now"
send "bob after the reload" "250" -a bob:bob-pw -f bob@example.test "$msg" "+49301234800@$fax"
assert_eq "$(jobs_with number +49301234800)" 1 "bob's job after the reload"

# SIGTERM: a clean stop
kill -TERM "$milter_pid"
for _ in $(seq 100); do
	grep -qs '^State:[[:space:]]*[^Z]' "/proc/$milter_pid/status" || break
	sleep 0.1
done
grep -qs '^State:[[:space:]]*[^Z]' "/proc/$milter_pid/status" && fail "faxmilter did not stop on SIGTERM"
wait "$milter_pid" || fail "faxmilter exited with status $? on SIGTERM"
milter_pid=
milter_sanitizer_check
echo "milter_postfix: ok"
