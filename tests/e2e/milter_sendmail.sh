#!/bin/bash
# milter_sendmail.sh - faxmilter attached to a real private Sendmail, jobs in SQLite (the embedded
# default store): the shared cases (milter_mta.inc), then the milter down (Sendmail tempfails with
# 451 4.3.2, nothing is delivered or queued) and started again (the client's retry is queued).
# Sendmail is never installed (it conflicts with Postfix): mta.sh unpacks its packages into a
# cache; when they cannot be had, the script says SKIP and passes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/mta.sh"
. "$here/milter_mta.inc"
chmod 0755 "$tmp" # Sendmail's delivery program runs as an unprivileged user
trap 'stop_milter; mta_stop; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT

rc=0
sendmail_prepare || rc=$?
if [ "$rc" -eq 2 ]; then
	echo "SKIP: Sendmail's packages cannot be downloaded and unpacked"
	exit 0
fi
[ "$rc" -eq 0 ] || fail "cannot prepare Sendmail"

milter_port=$(mta_free_port)
cfg=$(milter_conf sendmail "db_path = $tmp/queue.db" "milter_max_message = 200k")
"$faxctl" -c "$cfg" db upgrade >/dev/null || fail "faxctl db upgrade"
start_milter "$cfg"
sendmail_start "$tmp/mta" "$milter_port" || fail "cannot start Sendmail"
[ "$MTA_SASL" = 1 ] || fail "Sendmail has no SMTP AUTH (sasl2-bin missing: scripts/deps)"
fax=$MTA_FAX_DOMAIN
msg=$tmp/msg.eml

milter_mta_cases

# the milter down: Sendmail (F=T) tempfails; nothing is delivered, kept or queued
stop_milter
milter_sanitizer_check
n0=$(jobs_count)
bob0=$(mta_count bob)
mta_message "$msg" "milter down" "sent while the milter was down"
send "milter down" "451 4\.3\.2" -f alice@example.test "$msg" "+49301234600@$fax" bob@example.test
# With the milter down Sendmail offers no AUTH at all (it cannot tell the milter about it).
send "milter down, AUTH" "454 4\.3\.0" -a alice:alice-pw -f alice@example.test "$msg" \
	"+49301234600@$fax" bob@example.test
sleep 0.5
assert_eq "$(jobs_count)" "$n0" "jobs queued while the milter was down"
assert_eq "$(mta_count bob)" "$bob0" "mail delivered while the milter was down"
assert_eq "$(mta_count fax)" 0 "fax recipients that reached a mailbox"
assert_eq "$(mta_queue_count)" 0 "mail kept by Sendmail after a tempfail"

# the milter back: the client's retry goes through, the fax is queued once and bob gets the mail
start_milter "$cfg"
send "retry with the milter back" "250" -a alice:alice-pw -f alice@example.test "$msg" \
	"+49301234600@$fax" bob@example.test
assert_eq "$(jobs_with number +49301234600)" 1 "jobs after the retry"
mta_wait_delivered bob "$((bob0 + 1))" 10
assert_eq "$(mta_count fax)" 0 "fax recipients that reached a mailbox"

stop_milter
milter_sanitizer_check
echo "milter_sendmail: ok"
