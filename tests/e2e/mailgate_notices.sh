#!/bin/bash
# mailgate_notices.sh - notices to senders and alerts to admins, end to end: jobs really sent,
# failed and cancelled by faxd over faxsim, with RFC 3461 NOTIFY given or left to notify_default;
# faxmailgate makes the RFC 3464 reports and hands them to a private Postfix, which delivers them
# to Maildirs, where Python's email package reads them (multipart/report, Action, Status). No
# notice for NOTIFY=NEVER, the null sender or a sender that is no address; never one twice. A
# line faxd takes out of service and puts back: one alert, one recovery, no duplicates; faxes
# waiting too long; the disk; the hourly limit and the daily summary that reports what it held back.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/pg.sh"
. "$here/mta.sh"
set -E
trap 'echo "FAIL: ${BASH_SOURCE[0]}:$LINENO: $BASH_COMMAND exited $?" >&2' ERR
. "$here/faxd_lib.sh"
trap 'stop_pid "$faxd_pid"; stop_pid "$sim_pid"; mta_stop; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
fixture=$fixtures/fax-fine.tif # 2 pages, A4 fine
mailgate=$build/bin/faxmailgate
[ -x "$mailgate" ] || fail "$mailgate is not built"
chmod 0755 "$tmp"
db=$tmp/db/queue.db
mkdir -p "$tmp/db" "$tmp/in" "$tmp/mta"

postfix_start "$tmp/mta" "" || fail "cannot start Postfix"
D=$MTA_DOMAIN

cat >"$tmp/plan" <<-EOF
	+49301234100 fax dir=$tmp/in station="REMOTE 1"
	+4930555 busy
	+4930556 no-answer ring=1
	+4930558 unassigned
	+4930701* congestion
EOF
# base NAME LINES...: the configuration of faxd, faxctl and faxmailgate ($tmp/NAME.conf), with LINES
base() {
	local name=$1
	shift
	conf "$name" "log_target = stderr" "log_level = info" "db_path = $db" \
		"sim_socket = $tmp/sim.sock" "sim_plan = $tmp/plan" "sim_timing = unpaced" \
		"dial_country_code = 49" "dial_area_code = 30" "line_count = 1" "line_numbers = +49301239999" \
		"faxd_name = fx1" "faxd_poll = 1s" "faxd_lease = 6s" "faxd_stall_timeout = 5s" \
		"line_failures_down = 3" "line_retest = 5s" "retry_line = 1h" "retry_busy = 1s" \
		"retry_no_answer = 1s" "retry_max_attempts = 2" "retry_max_age = 1m" \
		"fax_header = " "fax_station_id = +49 30 1239999" \
		"smtp_relay = 127.0.0.1:$MTA_PORT" "smtp_starttls = no" "mail_from = faxgate@$D" \
		"alert_to = postmaster@$D" "notify_delay_after = 60s" "mailgate_poll = 1s" "$@"
}
cfg=$(base mg)
"$faxctl" -c "$cfg" db upgrade >"$tmp/up.log" 2>&1 || fail "db upgrade: $(cat "$tmp/up.log")"

sql() { sqlite3 "$db" "$1"; }
# job_add NUMBER DIAL NOTIFY [queue_add args]: a job whose mail asked NOTIFY ("" none); prints its id
job_add() {
	local number=$1 dial=$2 notify=$3 id
	shift 3
	id=$(add "$number" "$dial" -t "fax $number $notify" -s "sender@$D" "$@")
	[ -z "$notify" ] || sql "UPDATE jobs SET notify = '$notify' WHERE id = $id"
	echo "$id"
}
# mailgate_once [CONF]: faxmailgate -1, which must end with status 0
mailgate_once() {
	local rc=0
	"$mailgate" -1 -c "${1:-$cfg}" >>"$tmp/mailgate.log" 2>&1 || rc=$?
	assert_eq "$rc" 0 "faxmailgate -1's exit status: $(tail -n 20 "$tmp/mailgate.log")"
}
outbox_count() { sql "SELECT count(*) FROM outbox WHERE kind = '$1'"; }
# outbox_settled: every mail of the outbox sent (the relay took them all)
outbox_settled() {
	assert_eq "$(sql "SELECT count(*) FROM outbox WHERE status != 'sent'")" 0 \
		"mails not sent: $(sql "SELECT id, kind, status, last_error FROM outbox WHERE status != 'sent'")"
}

# report MAILDIR-FILES...: one JSON object per message: envelope sender (Return-Path), Message-ID,
# subject, the report's parts and fields, the words of the human part, attachments
report() {
	python3 - "$@" <<-'PY'
		import email, email.policy, json, sys
		for path in sys.argv[1:]:
		    with open(path, "rb") as f:
		        m = email.message_from_binary_file(f, policy=email.policy.default)
		    out = {"file": path, "return_path": str(m.get("Return-Path", "")),
		           "message_id": str(m.get("Message-ID", "")), "subject": str(m.get("Subject", "")),
		           "to": str(m.get("To", "")), "from": str(m.get("From", "")),
		           "type": m.get_content_type(), "report_type": m.get_param("report-type") or "",
		           "parts": [], "fields": {}, "text": "", "attachments": []}
		    for part in m.walk():
		        ct = part.get_content_type()
		        out["parts"].append(ct)
		        if ct == "message/delivery-status":
		            # per-message fields, then one block per recipient
		            for block in part.get_payload():
		                for k, v in block.items():
		                    out["fields"][k.lower()] = str(v)
		        elif ct == "text/plain" and not out["text"] and part.get_filename() is None:
		            out["text"] = part.get_content()
		        elif part.get_filename():
		            out["attachments"].append([ct, part.get_filename(), len(part.get_payload(decode=True) or b"")])
		    print(json.dumps(out))
	PY
}
# notice_of JOB: the report of the notice about JOB (the outbox names the Message-ID)
notice_of() {
	local mid f msgs
	mid=$(sql "SELECT message_id FROM outbox WHERE kind = 'notice' AND ref_id = $1 ORDER BY id DESC LIMIT 1")
	[ -n "$mid" ] || fail "no notice in the outbox for job $1"
	mapfile -t msgs < <(mta_messages sender)
	f=$(grep -lF "$mid" "${msgs[@]}" /dev/null | head -n 1)
	[ -n "$f" ] || fail "the notice $mid of job $1 was not delivered"
	report "$f"
}
# jq_ JSON EXPR: a Python expression on the object o
jq_() { python3 -c "import json,sys; o = json.loads(sys.argv[1]); print($2)" "$1"; }

# ---------------------------------------------------------------- notices
note "jobs sent, failed and cancelled, with and without NOTIFY"
j_ok_success=$(job_add +49301234100 0301234100 SUCCESS)
j_ok_default=$(job_add +49301234100 0301234100 "")
j_busy_default=$(job_add +4930555 030555 "")
j_busy_never=$(job_add +4930555 030555 NEVER)
j_unassigned=$(job_add +4930558 030558 "SUCCESS,FAILURE")
j_null=$(job_add +4930555 030555 "" -s "")
j_hostile=$(job_add +4930555 030555 "FAILURE" -s $'evil sender@example.test\r\nBcc: x@example.test')
j_delay_only=$(job_add +4930555 030555 DELAY)
j_cancel=$(job_add +4930556 030556 "")
"$faxctl" -c "$cfg" cancel "$j_cancel" >/dev/null
# queued two minutes ago and held: late (notify_delay_after 60 s)
j_late=$(job_add +49301234100 0301234100 "DELAY,SUCCESS")
"$faxctl" -c "$cfg" hold "$j_late" >/dev/null
sql "UPDATE jobs SET created = created - 120 WHERE id = $j_late"

start_sim "$cfg"
start_faxd
for id in $j_ok_success $j_ok_default; do wait_status "$id" sent 30; done
for id in $j_busy_default $j_busy_never $j_unassigned $j_null $j_hostile $j_delay_only; do
	wait_status "$id" failed 30
done
assert_eq "$(jfield "$j_busy_default" attempts)" 2 "calls of a busy job"

note "faxmailgate: notices for the sent, failed, cancelled and late jobs that asked"
mailgate_once
outbox_settled
assert_eq "$(sql "SELECT group_concat(ref_id, ' ') FROM (SELECT ref_id FROM outbox WHERE kind = 'notice' ORDER BY ref_id)")" \
	"$j_ok_success $j_busy_default $j_unassigned $j_cancel $j_late" "jobs that got a notice"
assert_eq "$(sql "SELECT count(*) FROM jobs WHERE notice = 2")" 9 "jobs whose notices are done"
assert_eq "$(sql "SELECT notice FROM jobs WHERE id = $j_late")" 1 "the late job's notice state"
assert_eq "$(sql "SELECT count(DISTINCT sender) || ' ' || min(sender) FROM outbox WHERE kind = 'notice'")" "1 " \
	"envelope sender of notices (the null sender)"
mta_wait_delivered sender 5 20 || fail "notices not delivered"
grep -q 'no failure notice: the envelope sender "evil sender@example.test??Bcc: x@example.test" is not an address' \
	"$tmp/mailgate.log" || fail "the hostile sender is not logged: $(grep -i sender "$tmp/mailgate.log" | tail -n 5)"

r=$(notice_of "$j_busy_default")
assert_eq "$(jq_ "$r" 'o["type"], o["report_type"]')" "multipart/report delivery-status" "a failure notice's type"
assert_eq "$(jq_ "$r" 'o["return_path"]')" "<>" "a notice's envelope sender"
assert_eq "$(jq_ "$r" 'o["to"]')" "sender@$D" "a notice's To"
assert_eq "$(jq_ "$r" 'o["fields"].get("action")')" failed "Action of a failure"
grep -q '^5\.' <<<"$(jq_ "$r" 'o["fields"].get("status", "")')" || fail "Status of a failure: $r"
grep -q busy <<<"$(jq_ "$r" 'o["fields"].get("diagnostic-code", "")')" || fail "Diagnostic-Code of a busy failure: $r"
grep -q "the line was busy on both attempts" <<<"$(jq_ "$r" 'o["text"]')" || fail "the reason in words: $r"
grep -q "application/pdf" <<<"$(jq_ "$r" '[a[0] for a in o["attachments"]]')" || fail "no PDF in a failure notice: $r"
grep -q "text/rfc822-headers" <<<"$(jq_ "$r" 'o["parts"]')" || fail "no headers part: $r"

r=$(notice_of "$j_ok_success")
assert_eq "$(jq_ "$r" 'o["fields"].get("action")')" delivered "Action of a success"
grep -q '^2\.' <<<"$(jq_ "$r" 'o["fields"].get("status", "")')" || fail "Status of a success: $r"
grep -q "REMOTE 1" <<<"$(jq_ "$r" 'o["fields"].get("remote-mta", "")')" || fail "Remote-MTA of a success: $r"

r=$(notice_of "$j_unassigned")
assert_eq "$(jq_ "$r" 'o["fields"].get("action")')" failed "Action of an unassigned number"
grep -q "the number does not exist" <<<"$(jq_ "$r" 'o["text"]')" || fail "the reason for an unassigned number: $r"

r=$(notice_of "$j_cancel")
assert_eq "$(jq_ "$r" 'o["fields"].get("action")')" failed "Action of a cancelled job"
grep -q "cancelled by the administrator" <<<"$(jq_ "$r" 'o["text"]')" || fail "the reason for a cancelled job: $r"

r=$(notice_of "$j_late")
assert_eq "$(jq_ "$r" 'o["fields"].get("action")')" delayed "Action of a delay notice"
grep -q '^4\.' <<<"$(jq_ "$r" 'o["fields"].get("status", "")')" || fail "Status of a delay: $r"
grep -q "it is on hold" <<<"$(jq_ "$r" 'o["text"]')" || fail "the reason of a delay: $r"

note "never twice: faxmailgate again finds nothing to do"
n=$(sql "SELECT count(*) FROM outbox")
mailgate_once
assert_eq "$(sql "SELECT count(*) FROM outbox")" "$n" "outbox mails after a second run"

note "the late job, released and sent: its final notice after the delay notice"
"$faxctl" -c "$cfg" release "$j_late" >/dev/null
wait_status "$j_late" sent 30
mailgate_once
outbox_settled
assert_eq "$(sql "SELECT count(*) FROM outbox WHERE kind = 'notice' AND ref_id = $j_late")" 2 "notices of the late job"
mta_wait_delivered sender 6 20 || fail "the final notice was not delivered"
r=$(notice_of "$j_late")
assert_eq "$(jq_ "$r" 'o["fields"].get("action")')" delivered "Action of the late job's final notice"

# ---------------------------------------------------------------- alerts
note "a line out of service: one alert"
ids=()
for n in 1 2 3; do
	ids+=("$(job_add "+49307010$n" "0307010$n" NEVER)")
done
for id in "${ids[@]}"; do
	wait_status "$id" failed 20
done
"$faxctl" -c "$cfg" events | grep -q line_down || fail "faxd recorded no line_down event"
mailgate_once
outbox_settled
assert_eq "$(outbox_count alert)" 1 "alert mails after the line went down"
mta_wait_delivered postmaster 1 20 || fail "the alert was not delivered"
r=$(report "$(mta_messages postmaster | tail -n 1)")
grep -q "line sim0 of fx1 out of service" <<<"$(jq_ "$r" 'o["subject"] + " " + o["text"]')" || fail "the line's alert: $r"
assert_eq "$(sql "SELECT state FROM alerts WHERE key = 'line:fx1:sim0'")" down "the line's alert state"
assert_eq "$(sql "SELECT count(*) FROM events WHERE handled = 0")" 0 "events left unhandled"

note "the line back in service: one recovery"
g=$(job_add +49301234100 0301234100 NEVER)
wait_status "$g" sent 20
"$faxctl" -c "$cfg" events | grep -q line_up || fail "faxd recorded no line_up event"
mailgate_once
outbox_settled
assert_eq "$(outbox_count alert)" 2 "alert mails after the line came back"
mta_wait_delivered postmaster 2 20 || fail "the recovery was not delivered"
r=$(report "$(mta_messages postmaster | tail -n 1)")
grep -q "line sim0 of fx1 works again" <<<"$(jq_ "$r" 'o["subject"] + " " + o["text"]')" || fail "the line's recovery: $r"
assert_eq "$(sql "SELECT state FROM alerts WHERE key = 'line:fx1:sim0'")" up "the line's alert state"

note "the telephone network lost, then back: one alert, one recovery"
stop_pid "$sim_pid"
sim_pid=
# wait_event KIND: faxd tries its network again every second
wait_event() {
	for _ in $(seq 100); do
		"$faxctl" -c "$cfg" events | grep -q "$1" && return 0
		sleep 0.1
	done
	fail "faxd recorded no $1 event: $(tail -n 5 "$tmp/faxd.log")"
}
wait_event trunk_down
start_sim "$cfg"
wait_event trunk_up
mailgate_once
outbox_settled
assert_eq "$(outbox_count alert)" 4 "alert mails after the network was lost and came back"
mta_wait_delivered postmaster 4 20 || fail "the network's alert and recovery were not delivered"
subjects=$(for f in $(mta_messages postmaster | tail -n 2); do jq_ "$(report "$f")" 'o["subject"]'; done)
grep -q "trunk sim of fx1 out of service" <<<"$subjects" || fail "the network's alert: $subjects"
grep -q "trunk sim of fx1 works again" <<<"$subjects" || fail "the network's recovery: $subjects"
assert_eq "$(sql "SELECT state FROM alerts WHERE key = 'trunk:fx1:sim'")" up "the network's alert state"

note "events told twice are mailed once"
stop_faxd
"$queue_add" -c "$cfg" -e line_down
"$queue_add" -c "$cfg" -e line_down
"$queue_add" -c "$cfg" -e line_up
"$queue_add" -c "$cfg" -e line_up
mailgate_once
outbox_settled
assert_eq "$(outbox_count alert)" 6 "alert mails after line 1's two downs and two ups"
assert_eq "$(sql "SELECT count(*) FROM events WHERE handled = 0")" 0 "events left unhandled"
mailgate_once
assert_eq "$(outbox_count alert)" 6 "alert mails after another run"

note "a fax waiting too long, then no longer"
w=$(job_add +49301234100 0301234100 NEVER)
sql "UPDATE jobs SET created = created - 200, send_after = send_after - 200 WHERE id = $w"
mailgate_once "$(base age "alert_queue_age = 60s")"
assert_eq "$(outbox_count alert)" 7 "alert mails after a fax waited too long"
assert_eq "$(sql "SELECT state FROM alerts WHERE key = 'queue_age'")" down "the queue's alert state"
mailgate_once "$(base age "alert_queue_age = 60s")"
assert_eq "$(outbox_count alert)" 7 "alert mails while it still waits (alert_repeat not over)"
"$faxctl" -c "$cfg" cancel "$w" >/dev/null
mailgate_once "$(base age "alert_queue_age = 60s")"
assert_eq "$(outbox_count alert)" 8 "alert mails after it no longer waits"
alerts=8
assert_eq "$(sql "SELECT state FROM alerts WHERE key = 'queue_age'")" up "the queue's alert state"

note "the disk of the queue"
pct=$(python3 -c "import os; s = os.statvfs('$tmp/db'); print(int(100 * s.f_bavail / s.f_blocks))")
if [ "$pct" -lt 98 ] && [ "$pct" -gt 2 ]; then
	mailgate_once "$(base disk "alert_disk_free_pct = $((pct + 1))")"
	assert_eq "$(sql "SELECT state FROM alerts WHERE key = 'disk'")" down "the disk's alert state ($pct% free)"
	mailgate_once "$(base disk "alert_disk_free_pct = 1")"
	assert_eq "$(sql "SELECT state FROM alerts WHERE key = 'disk'")" up "the disk's alert state after"
	alerts=$((alerts + 2))
	assert_eq "$(outbox_count alert)" $alerts "alert mails after the disk went low and back"
else
	note "skipped: $pct% free on the disk of $tmp leaves no threshold on either side"
fi
outbox_settled

note "the hourly limit, and the daily summary that says what it held back"
for _ in 1 2 3 4 5; do
	"$queue_add" -c "$cfg" -e mail_failed
done
before=$(mta_count postmaster)
mailgate_once "$(base limit "alert_max_per_hour = 2" "alert_daily_summary = yes" "alert_summary_hour = 0")"
outbox_settled
alerts=$((alerts + 3))
assert_eq "$(outbox_count alert)" $alerts "alert mails: two of five, and the summary"
assert_eq "$(grep -c "alert mails this hour: event mail_failed" "$tmp/mailgate.log")" 3 "alerts only logged"
mta_wait_delivered postmaster $((before + 3)) 20 || fail "the alerts were not delivered"
mapfile -t msgs < <(mta_messages postmaster)
s=$(report "$(grep -l "^X-Faxgate-Alert: summary" "${msgs[@]}" | tail -n 1)")
assert_eq "$(jq_ "$s" 'o["subject"]')" "[faxgate] Daily summary: 4 faxes sent, 9 failed, 0 received" "the summary's subject"
grep -q "sim0" <<<"$(jq_ "$s" 'o["text"]')" || fail "the summary does not show the line: $s"
grep -q "hourly limit): 3" <<<"$(jq_ "$s" 'o["text"]')" || fail "the summary does not say 3 alerts were held back: $s"
mailgate_once "$(base limit "alert_max_per_hour = 2" "alert_daily_summary = yes" "alert_summary_hour = 0")"
assert_eq "$(outbox_count alert)" $alerts "alert mails after another run (the summary is once a day)"

echo "mailgate_notices: ok"
