#!/bin/bash
# mailgate_smtp.sh - faxmailgate hands its outbox to the relay (mailgate/deliver.c, lib/smtp): the
# real program, on SQLite, against smtp-sink and a private Postfix (tests/e2e/mta.sh).
#   a) a relay that answers 4xx at the end of the data for a while, then a normal one on the same
#      port: the mail is tried again and again, nothing is lost, it arrives exactly once, byte for
#      byte (bare LF line ends and leading dots), with its Message-ID; the null sender is MAIL FROM:<>
#   b) no relay listening, then one (a mail older than smtp_give_up fails, with a "mail_failed"
#      event); a relay that never accepts the connection (connect timeout); a relay given as an
#      IPv6 literal is refused in words (libesmtp cannot take one) and the mail waits
#   c) 5xx for every recipient (smtp-sink): a fax mail goes to the catch-all and, refused there
#      too, fails, with "mail_refused" events (its received fax becomes "unrouted"); a notice fails
#      with an event, an alert without
#   d) Postfix: AUTH (PLAIN) with STARTTLS off, try (self-signed certificate) and require (verified
#      against a private CA; refused for a name the certificate does not hold); a wrong password
#      keeps the mail waiting, undelivered, until the password file is right; 550 for a fax mail's
#      recipient sends it to the catch-all's Maildir; 450 for one of two recipients goes on for
#      that one only, who gets it once the relay takes it, the other not twice
#   e) Postfix: received faxes (tests/tools/queue_add) routed by faxmailgate's inbound step, mailed
#      and delivered (the fax "delivered"); one whose mailbox the relay refuses reaches the catch-all;
#      then the same with the queue on a private PostgreSQL (tests/e2e/pg.sh)
# The SMTP AUTH password, as written or in base64, never appears in faxmailgate's debug log.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${FAXGATE_BUILD:-$top/build}
faxctl=$build/bin/faxctl
faxmailgate=$build/bin/faxmailgate
outbox_add=$build/tools/outbox_add
queue_add=$build/tools/queue_add
# shellcheck source=tests/e2e/mta.sh
. "$top/tests/e2e/mta.sh"
# shellcheck source=tests/e2e/pg.sh
. "$top/tests/e2e/pg.sh"
tmp=$(mktemp -d)
SINK_PID=
MG_PID=
HOLD_PID=
start=$SECONDS
cleanup() {
	mg_stop
	sink_stop
	[ -z "$HOLD_PID" ] || kill "$HOLD_PID" 2>/dev/null
	mta_stop
	pg_stop
	if [ -n "${KEEP_TMP:-}" ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
note() {
	echo "-- $((SECONDS - start))s: $*"
}
for f in "$faxctl" "$faxmailgate" "$outbox_add" "$queue_add"; do
	[ -x "$f" ] || fail "$f is not built"
done
command -v smtp-sink >/dev/null || fail "smtp-sink (package postfix) is not installed"
# smtp-sink runs as nobody and writes its dumps under $tmp
chmod 711 "$tmp"

# ---- helpers

# conf NAME LINES...: the base configuration with LINES (which replace the base's keys); sets $conf.
conf() {
	local line base=("run_user =" "log_target = stderr" "log_level = debug" "db_path = $tmp/queue.db"
		"smtp_timeout = 5s" "smtp_retry_min = 1s" "smtp_retry_max = 2s" "mailgate_poll = 1s"
		"smtp_starttls = no" "inbound_catchall = fax@example.test")
	conf=$tmp/$1.conf
	shift
	: >"$conf"
	for line in "${base[@]}"; do
		printf '%s\n' "$@" | grep -q "^${line%% =*} =" || printf '%s\n' "$line" >>"$conf"
	done
	printf '%s\n' "$@" >>"$conf"
}

# mg_start: faxmailgate in the background with $conf, logging to $tmp/mg.log.
mg_start() {
	"$faxmailgate" -c "$conf" 2>>"$tmp/mg.log" &
	MG_PID=$!
}
mg_stop() {
	[ -n "$MG_PID" ] || return 0
	kill -TERM "$MG_PID" 2>/dev/null
	wait "$MG_PID" 2>/dev/null
	MG_PID=
}
# mg_once [ENV=VALUE...]: faxmailgate -1 (rounds until nothing is due), which must succeed.
mg_once() {
	env "$@" "$faxmailgate" -1 -c "$conf" 2>>"$tmp/mg.log" || fail "faxmailgate -1 failed: $(tail -n 20 "$tmp/mg.log")"
}

# add KIND SENDER RCPTS FILE: store a mail in the outbox, print its id (use: id=$(add ...) || exit).
add() {
	"$outbox_add" -c "$conf" -k "$1" -s "$2" -r "$3" "$4" || fail "outbox_add $*"
}

# outbox_is ID PYTHON [TIMEOUT [WHAT]]: wait until the mail's JSON (m) satisfies PYTHON.
outbox_is() {
	local i steps=$((${3:-0} * 10))
	for ((i = 0; i <= steps; i++)); do
		if "$faxctl" -c "$conf" outbox --json "$1" >"$tmp/ob.json" 2>"$tmp/ob.err" &&
			python3 -c 'import json, sys; m = json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
				"$tmp/ob.json" "$2"; then
			return 0
		fi
		[ "$i" -lt "$steps" ] && sleep 0.1
	done
	fail "${4:-mail $1}: expected $2, got $(cat "$tmp/ob.json" "$tmp/ob.err"); log: $(tail -n 15 "$tmp/mg.log")"
}

# inbound_is ID STATUS: the received fax's status.
inbound_is() {
	local got
	got=$("$faxctl" -c "$conf" inbound --json "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])')
	[ "$got" = "$2" ] || fail "received fax $1 is $got, not $2: $(tail -n 20 "$tmp/mg.log")"
}
# Received faxes to +49 30 1234-101 go to anna, to -102 to a mailbox the relay does not know.
inbound=("dial_country_code = 49" "dial_area_code = 30"
	"inbound_routes = 0301234101=anna.berg@example.com 0301234102=nobody@example.com")

# events_count KIND SUBJECT: events of KIND about SUBJECT.
events_count() {
	"$faxctl" -c "$conf" events --json 2>/dev/null | python3 -c '
import json, sys
print(sum(1 for e in json.load(sys.stdin) if e["kind"] == sys.argv[1] and e["subject"] == sys.argv[2]))' "$1" "$2"
}

# sink_start DUMPDIR [ARGS...]: smtp-sink on $SINK_ADDR (default 127.0.0.1:$port), dumping each
# transaction into DUMPDIR (one folder per sink: its file names repeat from one process to the next).
sink_start() {
	local dir=$1 i
	shift
	mkdir -p "$dir" && chmod 777 "$dir"
	smtp-sink -u nobody -d "$dir/%H%M%S." "$@" "${SINK_ADDR:-127.0.0.1:$port}" 64 >>"$tmp/sink.log" 2>&1 &
	SINK_PID=$!
	for ((i = 0; i < 100; i++)); do
		python3 -c 'import socket, sys; h, p = sys.argv[1].rsplit(":", 1); socket.create_connection((h.strip("[]"), int(p)), 1)' \
			"${SINK_ADDR:-127.0.0.1:$port}" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "smtp-sink does not listen on ${SINK_ADDR:-127.0.0.1:$port}: $(cat "$tmp/sink.log")"
}
sink_stop() {
	[ -n "$SINK_PID" ] || return 0
	kill "$SINK_PID" 2>/dev/null
	wait "$SINK_PID" 2>/dev/null
	SINK_PID=
}
dumps() { find "$1" -type f 2>/dev/null | grep -c . || true; }

# sink_message DUMP: the message as the relay got it (smtp-sink's own header lines and its final
# empty line taken off).
sink_message() {
	python3 -c '
import sys
lines = open(sys.argv[1], newline="").read().split("\n")
i = next(k for k, l in enumerate(lines) if l.startswith("Received: "))
i += 1
while lines[i].startswith(("\t", " ")):
    i += 1
text = "\n".join(lines[i:])
sys.stdout.write(text[:-1] if text.endswith("\n\n") else text)' "$1"
}

# A message with bare LF line ends and what transports like to damage.
msg=$tmp/fax.eml
{
	printf 'From: faxgate <faxgate@example.test>\nTo: <anna.berg@example.com>\nSubject: fax from +4930123\n'
	printf 'Message-ID: <outbox-test.1@faxgate.example.test>\nDate: Tue, 25 Nov 2025 10:00:00 +0000\n'
	printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\nline one\n.leading dot\n.\n..\n'
	printf 'From the start of a line\n%s\nlast line\n' "$(printf 'x%.0s' {1..900})"
} >"$msg"
msgid='<outbox-test.1@faxgate.example.test>'
# mail FILE MESSAGE-ID: a copy of $msg with another Message-ID
mail() {
	sed "s/^Message-ID: .*/Message-ID: $2/" "$msg" >"$1"
}

port=$(mta_free_port)
conf sink "smtp_relay = 127.0.0.1:$port"
"$faxctl" -c "$conf" db upgrade >"$tmp/upgrade.out" 2>&1 || fail "db upgrade: $(cat "$tmp/upgrade.out")"

# ---- a) 4xx for a while, then accepted: exactly once, intact
note "a) 4xx at the end of the data, then a normal relay on the same port"
sink_start "$tmp/d4xx" -r .
id=$(add fax faxgate@example.test "anna.berg@example.com hans.ibsen@example.com" "$msg") || exit 1
mg_start
outbox_is "$id" 'm["status"] == "pending" and m["attempts"] >= 2 and m["last_error"].startswith("450 4.3.0")' 15 \
	"retried while the relay answers 4xx"
[ "$(dumps "$tmp/d4xx")" -ge 2 ] || fail "the 4xx relay saw $(dumps "$tmp/d4xx") transactions, not 2 or more"
outbox_is "$id" 'm["recipients"] == "anna.berg@example.com hans.ibsen@example.com"' 0 "recipients kept after 4xx"
sink_stop
sink_start "$tmp/dok"
outbox_is "$id" 'm["status"] == "sent" and m["sent"] > 0 and m["last_error"].startswith("250 2.0.0")' 15 \
	"delivered once the relay takes it"
# an extra retry period: nothing more goes out
sleep 2.5
[ "$(dumps "$tmp/dok")" -eq 1 ] || fail "the relay got the mail $(dumps "$tmp/dok") times, not once"
dump=$(find "$tmp/dok" -type f)
grep -qx 'X-Mail-Args: <faxgate@example.test>' "$dump" || fail "envelope sender: $(head -5 "$dump")"
[ "$(grep '^X-Rcpt-Args: ' "$dump" | tr '\n' ' ')" = "X-Rcpt-Args: <anna.berg@example.com> X-Rcpt-Args: <hans.ibsen@example.com> " ] ||
	fail "envelope recipients: $(grep X-Rcpt "$dump")"
sink_message "$dump" >"$tmp/got.eml"
cmp -s "$msg" "$tmp/got.eml" || fail "the message changed on the way: $(diff "$msg" "$tmp/got.eml" | head -20)"
[ "$(grep -ci '^Message-ID:' "$tmp/got.eml")" -eq 1 ] || fail "Message-ID headers: $(grep -i '^Message-ID:' "$tmp/got.eml")"
grep -q "outbox=$id notice: fax mail $msgid to anna.berg@example.com hans.ibsen@example.com: sent: 250 2.0.0" "$tmp/mg.log" ||
	fail "the delivery is not logged with id, kind, Message-ID, recipients and answer: $(grep "outbox=$id" "$tmp/mg.log" | tail -3)"
grep -q "outbox=$id warning: fax mail $msgid to .*: not sent, trying again later: 450 4.3.0" "$tmp/mg.log" ||
	fail "the 4xx is not logged"

note "a) the null sender"
mail "$tmp/notice.eml" '<outbox-test.2@faxgate.example.test>'
id=$(add notice "" "sender@example.test" "$tmp/notice.eml") || exit 1
outbox_is "$id" 'm["status"] == "sent"' 10 "notice with the null sender"
grep -qx 'X-Mail-Args: <>' "$(grep -l 'outbox-test.2@' "$tmp"/dok/*)" || fail "the null sender is not MAIL FROM:<>"
mg_stop

# ---- b) no relay, then one; a relay that never accepts; IPv6
note "b) relay down, then up"
sink_stop
conf down "smtp_relay = 127.0.0.1:$port" "smtp_give_up = 1m"
mail "$tmp/b.eml" '<outbox-test.3@faxgate.example.test>'
id=$(add fax faxgate@example.test "anna.berg@example.com" "$tmp/b.eml") || exit 1
# and one made longer ago than smtp_give_up (1 minute): it fails at its first try, with an event
mail "$tmp/old.eml" '<outbox-test.9@faxgate.example.test>'
old=$(add fax faxgate@example.test "anna.berg@example.com" "$tmp/old.eml") || exit 1
python3 -c 'import sqlite3, sys; d = sqlite3.connect(sys.argv[1]); d.execute("UPDATE outbox SET created = created - 61 WHERE id = ?", (int(sys.argv[2]),)); d.commit()' \
	"$tmp/queue.db" "$old" || fail "cannot age mail $old"
mg_start
outbox_is "$id" 'm["status"] == "pending" and m["attempts"] >= 2 and "Connection refused" in m["last_error"]' 15 \
	"retried while nothing listens"
outbox_is "$old" 'm["status"] == "failed" and m["attempts"] == 1 and "Connection refused" in m["last_error"]' 0 \
	"a mail older than smtp_give_up"
[ "$(events_count mail_failed "fax mail $old")" -eq 1 ] || fail "no mail_failed event for the mail given up"
sink_start "$tmp/db"
outbox_is "$id" 'm["status"] == "sent"' 15 "delivered once the relay is up"
sleep 1.5
[ "$(dumps "$tmp/db")" -eq 1 ] || fail "relay down then up: $(dumps "$tmp/db") deliveries, not 1"
grep -q 'outbox-test.3@' "$(find "$tmp/db" -type f)" || fail "relay down then up: another mail arrived"
mg_stop
sink_stop

note "b) a relay that never accepts the connection: connect times out"
python3 -c '
import socket, sys, time
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(0)
held = []
for i in range(4):  # fill the accept queue: further SYNs are dropped
    c = socket.socket(); c.setblocking(False)
    try: c.connect(l.getsockname())
    except BlockingIOError: pass
    held.append(c)
print(l.getsockname()[1], flush=True)
time.sleep(120)' >"$tmp/hold.port" &
HOLD_PID=$!
for ((i = 0; i < 50; i++)); do [ -s "$tmp/hold.port" ] && break; sleep 0.1; done
conf hold "smtp_relay = 127.0.0.1:$(cat "$tmp/hold.port")"
mail "$tmp/h.eml" '<outbox-test.4@faxgate.example.test>'
id=$(add alert faxgate@example.test "postmaster@example.test" "$tmp/h.eml") || exit 1
t0=$SECONDS
mg_once
[ $((SECONDS - t0)) -le 9 ] || fail "a relay that never answers held faxmailgate $((SECONDS - t0))s (smtp_timeout 5s)"
outbox_is "$id" 'm["status"] == "pending" and m["attempts"] == 1 and "timed out" in m["last_error"] and m["next_attempt"] > m["created"]' 0 \
	"connect timeout"
kill "$HOLD_PID"
wait "$HOLD_PID" 2>/dev/null
HOLD_PID=

note "b) an IPv6 address literal as the relay is refused in words; the mail waits"
conf v6 "smtp_relay = [::1]:$port"
mail "$tmp/v6.eml" '<outbox-test.5@faxgate.example.test>'
id=$(add fax faxgate@example.test "anna.berg@example.com" "$tmp/v6.eml") || exit 1
mg_once
outbox_is "$id" 'm["status"] == "pending" and "IPv6 address cannot be given" in (m["last_error"] or "")' 0 \
	"IPv6 literal refused"

# ---- c) 5xx from smtp-sink
note "c) 5xx for every recipient"
conf sink "smtp_relay = 127.0.0.1:$port"
sink_start "$tmp/d5xx" -f RCPT
mail "$tmp/c.eml" '<outbox-test.6@faxgate.example.test>'
fax=$(add fax faxgate@example.test "anna.berg@example.com" "$tmp/c.eml") || exit 1
mail "$tmp/n.eml" '<outbox-test.7@faxgate.example.test>'
notice=$(add notice "" "sender@example.test" "$tmp/n.eml") || exit 1
mail "$tmp/al.eml" '<outbox-test.8@faxgate.example.test>'
alert=$(add alert faxgate@example.test "postmaster@example.test" "$tmp/al.eml") || exit 1
mg_once
outbox_is "$fax" 'm["status"] == "failed" and m["recipients"] == "fax@example.test" and m["attempts"] == 2 and "500 5.3.0" in m["last_error"]' 0 \
	"a refused fax mail goes to the catch-all, refused there too it fails"
[ "$(events_count mail_refused "fax mail $fax")" -eq 2 ] || fail "fax mail: events: $("$faxctl" -c "$conf" events 2>&1)"
outbox_is "$notice" 'm["status"] == "failed" and m["attempts"] == 1' 0 "a refused notice fails"
[ "$(events_count mail_refused "notice mail $notice")" -eq 1 ] || fail "notice: no event"
outbox_is "$alert" 'm["status"] == "failed"' 0 "a refused alert fails"
[ "$(events_count mail_refused "alert mail $alert")" -eq 0 ] || fail "an alert refused made an event"
grep -q "outbox=$fax warning: refused for good; sending it to fax@example.test instead" "$tmp/mg.log" || fail "redirect not logged"
note "c) a received fax whose mail nobody takes becomes unrouted"
conf sink "smtp_relay = 127.0.0.1:$port" "${inbound[@]}"
rf=$("$queue_add" -c "$conf" -i -p 1 +49301234101) || fail "queue_add -i"
mg_once
inbound_is "$rf" unrouted
"$faxctl" -c "$conf" inbound --json "$rf" | grep -q 'catch-all already' || fail "the received fax does not say why"
sink_stop

# ---- d) a real Postfix: AUTH, STARTTLS, 550 to the catch-all, 450 for one recipient
if [ "$(id -u)" != 0 ] || ! command -v postfix >/dev/null || ! command -v saslpasswd2 >/dev/null; then
	echo "SKIP: Postfix tests (need root, postfix and sasl2-bin)"
else
	note "d) Postfix with AUTH, STARTTLS off"
	mkdir -p "$tmp/pki" && chmod 755 "$tmp/pki"
	(
		cd "$tmp/pki" &&
			openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=faxgate test CA" &&
			openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj "/CN=localhost" &&
			printf 'subjectAltName=DNS:localhost\n' >ext &&
			openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 -extfile ext &&
			chmod 644 srv.key srv.pem ca.pem
	) >"$tmp/pki.log" 2>&1 || fail "test certificates: $(cat "$tmp/pki.log")"
	printf 'hans.ibsen@example.com 450 4.2.1 Mailbox busy, try again later\n' >"$tmp/access"
	chmod 644 "$tmp/access"
	MTA_MAILBOXES="anna.berg@example.com hans.ibsen@example.com fax@example.test" \
		MTA_POSTFIX_EXTRA="smtpd_tls_cert_file = $tmp/pki/srv.pem
smtpd_tls_key_file = $tmp/pki/srv.key
smtpd_tls_security_level = may
smtpd_tls_received_header = yes
smtpd_recipient_restrictions = check_recipient_access texthash:$tmp/access" \
		postfix_start "$tmp/pf" "" || fail "postfix_start"
	[ "$MTA_SASL" = 1 ] || fail "Postfix has no SASL"
	printf 'alice-pw\n' >"$tmp/password"
	chmod 600 "$tmp/password"
	auth=("smtp_auth_user = alice" "smtp_auth_password_file = $tmp/password")
	conf pf "smtp_relay = 127.0.0.1:$MTA_PORT" "${auth[@]}"
	mail "$tmp/d1.eml" '<outbox-test.11@faxgate.example.test>'
	id=$(add fax faxgate@example.test "anna.berg@example.com" "$tmp/d1.eml") || exit 1
	mg_once
	outbox_is "$id" 'm["status"] == "sent"' 0 "Postfix, AUTH without TLS"
	mta_wait_delivered anna.berg@example.com 1 10 || fail "not in anna's Maildir"
	got=$(mta_messages anna.berg@example.com | tail -n 1)
	grep -q 'with ESMTPA ' "$got" || fail "not sent with AUTH: $(grep -A2 '^Received:' "$got")"
	grep -qx "Message-ID: <outbox-test.11@faxgate.example.test>" "$got" || fail "Message-ID changed"
	grep -q 'sasl_method=PLAIN, sasl_username=alice' "$tmp/pf/log/maillog" || fail "Postfix did not log alice's AUTH"

	note "d) a wrong password: the mail waits, undelivered, until the password file is right"
	printf 'not-the-password\n' >"$tmp/password"
	mail "$tmp/d2.eml" '<outbox-test.12@faxgate.example.test>'
	id=$(add fax faxgate@example.test "anna.berg@example.com" "$tmp/d2.eml") || exit 1
	mg_once
	outbox_is "$id" 'm["status"] == "pending" and m["last_error"].startswith("AUTH failed: 535 5.7.8")' 0 "wrong password"
	sleep 1
	[ "$(mta_count anna.berg@example.com)" -eq 1 ] || fail "delivered without AUTH"
	printf 'alice-pw\n' >"$tmp/password"
	sleep 1.2 # the back-off
	mg_once
	outbox_is "$id" 'm["status"] == "sent" and m["attempts"] == 2' 0 "the right password, read again"
	mta_wait_delivered anna.berg@example.com 2 10 || fail "not delivered with the right password"

	note "d) STARTTLS try (a self-signed certificate)"
	conf pf "smtp_relay = 127.0.0.1:$MTA_PORT" "${auth[@]}" "smtp_starttls = try"
	mail "$tmp/d3.eml" '<outbox-test.13@faxgate.example.test>'
	id=$(add fax faxgate@example.test "anna.berg@example.com" "$tmp/d3.eml") || exit 1
	mg_once
	outbox_is "$id" 'm["status"] == "sent"' 0 "STARTTLS try"
	mta_wait_delivered anna.berg@example.com 3 10 || fail "STARTTLS try: not delivered"
	got=$(mta_messages anna.berg@example.com | tail -n 1)
	grep -q 'with ESMTPSA ' "$got" || fail "STARTTLS try: not over TLS with AUTH: $(grep -A3 '^Received:' "$got")"
	grep -q 'certificate does not verify' "$tmp/mg.log" || fail "the unverified certificate is not logged"

	note "d) STARTTLS require: verified against the CA, refused for a name the certificate lacks"
	conf pf "smtp_relay = localhost:$MTA_PORT" "${auth[@]}" "smtp_starttls = require"
	mail "$tmp/d4.eml" '<outbox-test.14@faxgate.example.test>'
	id=$(add fax faxgate@example.test "anna.berg@example.com" "$tmp/d4.eml") || exit 1
	mg_once SSL_CERT_FILE="$tmp/pki/ca.pem"
	outbox_is "$id" 'm["status"] == "sent"' 0 "STARTTLS require, verified"
	mta_wait_delivered anna.berg@example.com 4 10 || fail "STARTTLS require: not delivered"
	conf pf "smtp_relay = 127.0.0.1:$MTA_PORT" "${auth[@]}" "smtp_starttls = require"
	mail "$tmp/d5.eml" '<outbox-test.15@faxgate.example.test>'
	id=$(add fax faxgate@example.test "anna.berg@example.com" "$tmp/d5.eml") || exit 1
	mg_once SSL_CERT_FILE="$tmp/pki/ca.pem"
	outbox_is "$id" 'm["status"] == "pending" and "certificate is for localhost, not 127.0.0.1" in m["last_error"]' 0 \
		"STARTTLS require, wrong name"
	sleep 1.2 # the back-off; now without the CA
	mg_once
	outbox_is "$id" 'm["status"] == "pending" and "does not verify" in m["last_error"]' 0 "STARTTLS require, unknown CA"
	sleep 0.5
	[ "$(mta_count anna.berg@example.com)" -eq 4 ] || fail "delivered without the required TLS"
	conf pf "smtp_relay = 127.0.0.1:$MTA_PORT" "${auth[@]}" "smtp_starttls = try"
	sleep 2.2 # the back-off
	mg_once
	outbox_is "$id" 'm["status"] == "sent" and m["attempts"] == 3' 0 "the waiting mail, once TLS is not required"
	mta_wait_delivered anna.berg@example.com 5 10 || fail "the mail that waited for TLS was not delivered"

	note "d) 550 for a fax mail's recipient: to the catch-all"
	mail "$tmp/d6.eml" '<outbox-test.16@faxgate.example.test>'
	id=$(add fax faxgate@example.test "nobody@example.com" "$tmp/d6.eml") || exit 1
	mg_once
	outbox_is "$id" 'm["status"] == "sent" and m["recipients"] == "fax@example.test" and m["attempts"] == 2' 0 \
		"refused fax mail to the catch-all"
	mta_wait_delivered fax@example.test 1 10 || fail "the catch-all got nothing"
	grep -qx "Message-ID: <outbox-test.16@faxgate.example.test>" "$(mta_messages fax@example.test)" ||
		fail "the catch-all got another mail"
	[ "$(events_count mail_refused "fax mail $id")" -eq 1 ] || fail "no mail_refused event for the refused fax mail"
	"$faxctl" -c "$conf" events --json | grep -q '550 5.1.1' || fail "the event does not give the relay's answer"

	note "d) 450 for one of two recipients: the mail goes on for that one only"
	mail "$tmp/d7.eml" '<outbox-test.17@faxgate.example.test>'
	id=$(add fax faxgate@example.test "anna.berg@example.com hans.ibsen@example.com" "$tmp/d7.eml") || exit 1
	mg_once
	outbox_is "$id" 'm["status"] == "pending" and m["recipients"] == "hans.ibsen@example.com" and "450 4.2.1" in m["last_error"]' 0 \
		"partly put off"
	mta_wait_delivered anna.berg@example.com 6 10 || fail "anna did not get the partly put off mail"
	[ "$(mta_count hans.ibsen@example.com)" -eq 0 ] || fail "hans got it despite the 450"
	: >"$tmp/access"
	postfix -c "$tmp/pf/etc" reload >/dev/null 2>&1 || fail "postfix reload"
	sleep 2.2 # the reload reaches smtpd, and the back-off passes
	mg_once
	outbox_is "$id" 'm["status"] == "sent"' 0 "the rest of a partly put off mail"
	mta_wait_delivered hans.ibsen@example.com 1 10 || fail "hans never got it"
	sleep 0.5
	[ "$(mta_count anna.berg@example.com)" -eq 6 ] || fail "anna got the mail twice"

	note "e) received faxes all the way: routed, mailed, delivered; refused, to the catch-all"
	conf pf "smtp_relay = 127.0.0.1:$MTA_PORT" "${auth[@]}" "smtp_starttls = try" "${inbound[@]}"
	fa=$("$queue_add" -c "$conf" -i -p 2 +49301234101) || fail "queue_add -i"
	fb=$("$queue_add" -c "$conf" -i -p 1 +49301234102) || fail "queue_add -i"
	mg_once
	inbound_is "$fa" delivered
	inbound_is "$fb" delivered
	mta_wait_delivered anna.berg@example.com 7 10 || fail "the received fax did not reach anna"
	grep -q '^Content-Type: application/pdf' "$(mta_messages anna.berg@example.com | tail -n 1)" ||
		fail "anna's fax mail has no PDF"
	mta_wait_delivered fax@example.test 2 10 || fail "the refused fax did not reach the catch-all"

	note "e) the same on PostgreSQL: a received fax routed, mailed, delivered, its outbox mail sent"
	pg_start "$tmp" >/dev/null || fail "cannot start PostgreSQL"
	conf pfpg "smtp_relay = 127.0.0.1:$MTA_PORT" "${auth[@]}" "smtp_starttls = try" "${inbound[@]}" \
		"db_driver = postgresql" "db_conninfo = $FAXGATE_TEST_PG"
	"$faxctl" -c "$conf" db upgrade >"$tmp/upgrade-pg.out" 2>&1 || fail "db upgrade: $(cat "$tmp/upgrade-pg.out")"
	fp=$("$queue_add" -c "$conf" -i -p 3 +49301234101) || fail "queue_add -i (PostgreSQL)"
	mg_once
	inbound_is "$fp" delivered
	mta_wait_delivered anna.berg@example.com 8 10 || fail "the received fax (PostgreSQL) did not reach anna"
	"$faxctl" -c "$conf" outbox --json | python3 -c '
import json, sys
m = [m for m in json.load(sys.stdin) if m["kind"] == "fax" and m["ref_id"] == int(sys.argv[1])]
assert len(m) == 1 and m[0]["status"] == "sent", m' "$fp" || fail "the outbox on PostgreSQL"
	pg_stop
	mta_stop
fi

note "the password never reaches the log"
grep -q 'AUTH PLAIN (initial response, not shown)' "$tmp/mg.log" || [ ! -d "$tmp/pf" ] ||
	fail "the debug log shows no AUTH exchange (is log_level debug?)"
for secret in alice-pw "$(printf '\0alice\0alice-pw' | base64)" "$(printf 'alice-pw' | base64)" \
	not-the-password "$(printf '\0alice\0not-the-password' | base64)"; do
	! grep -qF -- "$secret" "$tmp/mg.log" || fail "faxmailgate's log holds the password ($secret)"
done

elapsed=$((SECONDS - start))
note "done in ${elapsed}s"
echo "mailgate_smtp: ok"
