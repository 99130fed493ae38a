#!/bin/bash
# mta_harness.sh - the harness of the milter's end-to-end tests (mta.sh) does what the milter tests
# rely on, with no milter at all: a private Postfix and a private Sendmail whose milter is down
# answer tempfail and deliver nothing; with no milter configured they accept, deliver to the Maildirs
# with the message intact, expose fax recipients that slip through, and Postfix's SASL AUTH and
# mynetworks switch work. Everything it starts is stopped by PID, and checked gone.
#
# A component that cannot be had (Postfix not installed, Sendmail's packages not downloadable) is
# skipped with a "SKIP:" line; the rest still runs.
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/e2e/mta.sh
. "$here/mta.sh"
tmp=$(mktemp -d)
start=$SECONDS
trap 'mta_stop; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
note() {
	echo "-- $((SECONDS - start))s: $*"
}

# expect_final OUT CODE ENHANCED WHAT: the transaction ended with this reply.
expect_final() {
	grep -q "^final $2 $3" <<<"$1" || fail "$4: expected $2 $3, got:
$1"
}

# expect_delivered_intact USER ORIGINAL: the newest message in USER's Maildir has ORIGINAL's
# headers and exactly its body.
expect_delivered_intact() {
	local got
	got=$(mta_messages "$1" | tail -n 1)
	[ -n "$got" ] || fail "nothing delivered to $1"
	grep -qF "Subject: $(sed -n 's/^Subject: //p' "$2")" "$got" || fail "$1: subject lost"
	cmp -s <(sed '1,/^$/d' "$2") <(sed '1,/^$/d' "$got") || fail "$1: body changed:
$(diff <(sed '1,/^$/d' "$2") <(sed '1,/^$/d' "$got") | head -20)"
}

# stop_checked: stop the instance and require that no process of it is left.
stop_checked() {
	local pids p
	pids=$(mta_pids)
	mta_stop || fail "$MTA_KIND did not stop cleanly"
	for p in $pids; do
		! mta_alive "$p" || fail "$MTA_KIND process $p still runs after stop"
	done
}

# A message whose body has what transports like to damage: leading dots, a lone dot, 8-bit text,
# trailing blanks, a long line and a "From " line.
msg=$tmp/msg.eml
mta_message "$msg" "harness $$" "line one
.leading dot
.
From the start of a line
trailing blanks   
$(printf 'x%.0s' {1..900})
Grüße aus Köln"
sed -i 's/^Content-Type: text\/plain; charset=us-ascii$/Content-Type: text\/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit/' "$msg"
closed=$(mta_free_port)
faxrcpt=4930123456@$MTA_FAX_DOMAIN

# ---- Postfix
if ! command -v postfix >/dev/null; then
	echo "SKIP: postfix is not installed"
else
	note "postfix: the admins' sample has no unknown or misspelt parameter"
	mkdir -p "$tmp/sample"
	cp "$here/../../conf/postfix-main.cf.sample" "$tmp/sample/main.cf"
	: >"$tmp/sample/master.cf"
	touch -d "-10 seconds" "$tmp/sample/main.cf" "$tmp/sample/master.cf"
	postconf -c "$tmp/sample" -n >"$tmp/sample/out" 2>&1 || fail "postconf on the sample: $(cat "$tmp/sample/out")"
	! grep -i warning "$tmp/sample/out" || fail "conf/postfix-main.cf.sample has warnings"
	grep -q '^milter_default_action = tempfail$' "$tmp/sample/out" || fail "sample: no tempfail"

	note "postfix: milter down"
	postfix_start "$tmp/pf" "inet:127.0.0.1:$closed" || fail "postfix_start"
	out=$(mta_send "$msg" alice@example.test)
	rc=$?
	[ "$rc" -eq 4 ] || fail "milter down: mta_send returned $rc, not 4"
	expect_final "$out" 451 4.7.1 "postfix, milter down"
	grep -q '^mail 451 4.7.1 ' <<<"$out" || fail "postfix, milter down: not refused at MAIL FROM: $out"
	if [ "$MTA_SASL" = 1 ]; then
		# Even AUTH is put off: smtpd found the milter down when the client connected.
		out=$(mta_send -a alice:alice-pw "$msg" alice@example.test)
		grep -q '^final 454 4.3.0 ' <<<"$out" || fail "postfix, milter down, AUTH: $out"
	fi
	grep -q 'milter' "$tmp/pf/log/maillog" || fail "the log does not name the milter: $(tail -5 "$tmp/pf/log/maillog")"
	# Local submission goes through non_smtpd_milters: it waits in the queue, undelivered.
	printf 'Subject: local %s\n\nsubmitted locally\n' "$$" |
		mta_submit_local sender@example.test alice@example.test || fail "sendmail(1) submission"
	for ((i = 0; i < 40; i++)); do
		grep -q 'milter-reject: CONNECT' "$tmp/pf/log/maillog" && break
		sleep 0.05
	done
	sleep 0.3
	[ "$(mta_count alice)" -eq 0 ] || fail "delivered although the milter is down"
	[ "$(mta_queue_count)" -eq 1 ] || fail "the local submission is not waiting in the queue: $(mta_queue_count)"
	stop_checked

	note "postfix: milter on a unix socket that nobody listens on"
	postfix_start "$tmp/pfu" "unix:$tmp/no-milter.sock" || fail "postfix_start, unix socket"
	out=$(mta_send "$msg" alice@example.test)
	expect_final "$out" 451 4.7.1 "postfix, unix socket milter down"
	stop_checked

	note "postfix: no milter, same queue: the waiting mail goes out"
	postfix_start "$tmp/pf" "" || fail "postfix_start without milter"
	! grep -q '^smtpd_milters' "$tmp/pf/etc/main.cf" || fail "\"\" still configures a milter"
	mta_flush
	mta_wait_delivered alice 1 10 || fail "the queued mail was not delivered after the milter went away"
	[ "$(mta_queue_count)" -eq 0 ] || fail "queue not empty after delivery"

	note "postfix: no milter: delivery, leftovers, unknown users"
	out=$(mta_send "$msg" alice@example.test "$faxrcpt" nobody@example.test) ||
		fail "no milter: refused: $out"
	grep -q '^rcpt:nobody@example.test 550 5.1.1 ' <<<"$out" || fail "unknown user not refused at RCPT: $out"
	grep -qF "rcpt:$faxrcpt 250 " <<<"$out" || fail "fax domain not accepted at RCPT: $out"
	mta_wait_delivered alice 2 10 || fail "not delivered to alice"
	expect_delivered_intact alice "$msg"
	mta_wait_delivered fax 1 10 || fail "the leftover fax recipient is not visible"
	grep -qFx "Delivered-To: $faxrcpt" "$(mta_messages fax)" || fail "fax leftover does not name its recipient"

	if [ "$MTA_SASL" = 1 ]; then
		note "postfix: AUTH and an untrusted client"
		stop_checked
		MTA_MYNETWORKS=192.0.2.0/24 postfix_start "$tmp/pf2" "" || fail "postfix_start, untrusted"
		out=$(mta_send "$msg" someone@other.test)
		expect_final "$out" 554 5.7.1 "relay from an untrusted client without AUTH"
		grep -q 'Relay access denied' <<<"$out" || fail "untrusted relay refused for another reason: $out"
		out=$(mta_send "$msg" "$faxrcpt") || fail "fax domain refused to an untrusted client: $out"
		out=$(mta_send -a alice:wrong "$msg" alice@example.test)
		expect_final "$out" 535 5.7.8 "AUTH with a wrong password"
		# With AUTH the relay check passes; the instance's no-outbound rule refuses it instead.
		out=$(mta_send -a bob:bob-pw "$msg" someone@other.test)
		grep -q '^auth 235 ' <<<"$out" || fail "AUTH bob: $out"
		grep -q '^final 550 5.7.1 .*sends no mail out' <<<"$out" || fail "relay after AUTH: $out"
		out=$(mta_send -a bob:bob-pw "$msg" alice@example.test) || fail "AUTH bob to alice: $out"
		mta_wait_delivered alice 1 10 || fail "not delivered after AUTH"
		grep -q 'with ESMTPA' "$(mta_messages alice)" || fail "no ESMTPA in Received"
		grep -q 'sasl_method=PLAIN, sasl_username=bob' "$tmp/pf2/log/maillog" || fail "the log does not show bob's AUTH"
	else
		echo "SKIP: Postfix AUTH (saslpasswd2 from sasl2-bin is not installed)"
	fi
	stop_checked
fi

# ---- Sendmail
sendmail_prepare
rc=$?
if [ "$rc" -eq 2 ]; then
	echo "SKIP: Sendmail (its packages cannot be downloaded and unpacked)"
elif [ "$rc" -ne 0 ]; then
	fail "sendmail unpack"
else
	note "sendmail: the admins' sample builds"
	{
		echo "include(\`$MTA_SENDMAIL_ROOT/usr/share/sendmail/cf/m4/cf.m4')dnl"
		echo "OSTYPE(\`linux')dnl"
		cat "$here/../../conf/sendmail.mc.sample"
		echo "MAILER(\`local')dnl"
		echo "MAILER(\`smtp')dnl"
	} >"$tmp/sample.mc"
	m4 "$tmp/sample.mc" >"$tmp/sample.cf" 2>"$tmp/sample.err" || fail "m4 on the sample: $(cat "$tmp/sample.err")"
	[ ! -s "$tmp/sample.err" ] || fail "m4 on the sample: $(cat "$tmp/sample.err")"
	grep -q '^Xfaxgate, S=inet:10025@127.0.0.1, F=T, ' "$tmp/sample.cf" || fail "sample: no milter"
	grep -q '^O Milter.macros.envfrom=.*{auth_authen}.*{client_addr}' "$tmp/sample.cf" || fail "sample: macros"
	grep -q '^C{R}fax.example.com$' "$tmp/sample.cf" || fail "sample: fax domain not a relay domain"

	note "sendmail: milter down"
	sendmail_start "$tmp/sm" "$closed" || fail "sendmail_start"
	grep -q "^Xfaxgate, S=inet:$closed@127.0.0.1, F=T" "$tmp/sm/sm/sendmail.cf" || fail "no milter in sendmail.cf"
	grep -q '^O Milter.macros.envfrom=.*{auth_authen}' "$tmp/sm/sm/sendmail.cf" || fail "no {auth_authen} for the milter"
	out=$(mta_send "$msg" alice@example.test)
	rc=$?
	[ "$rc" -eq 4 ] || fail "sendmail, milter down: mta_send returned $rc, not 4: $out"
	expect_final "$out" 451 4.3.2 "sendmail, milter down"
	if [ "$MTA_SASL" = 1 ]; then
		out=$(mta_send -a alice:alice-pw "$msg" alice@example.test)
		grep -q '^final 454 4.3.0 ' <<<"$out" || fail "sendmail, milter down, AUTH: $out"
	fi
	sleep 0.5
	[ "$(mta_count alice)" -eq 0 ] || fail "sendmail delivered although the milter is down"
	[ "$(mta_queue_count)" -eq 0 ] || fail "sendmail queued mail although it refused it"
	stop_checked

	note "sendmail: milter on a unix socket that nobody listens on"
	sendmail_start "$tmp/smu" "unix:$tmp/no-milter.sock" || fail "sendmail_start, unix socket"
	out=$(mta_send "$msg" alice@example.test)
	expect_final "$out" 451 4.3.2 "sendmail, unix socket milter down"
	stop_checked

	note "sendmail: no milter"
	sendmail_start "$tmp/sm2" "" || fail "sendmail_start without milter"
	! grep -q '^Xfaxgate' "$tmp/sm2/sm/sendmail.cf" || fail "\"\" still configures a milter"
	out=$(mta_send "$msg" alice@example.test "$faxrcpt") || fail "sendmail, no milter: $out"
	mta_wait_delivered alice 1 10 || fail "sendmail: not delivered to alice"
	expect_delivered_intact alice "$msg"
	mta_wait_delivered fax 1 10 || fail "sendmail: the leftover fax recipient is not visible"
	grep -qFx "X-Sink-Rcpt: $faxrcpt" "$(mta_messages fax)" || fail "sendmail: leftover unnamed"
	printf 'Subject: local %s\n\nsubmitted locally\n' "$$" |
		mta_submit_local sender@example.test bob@example.test || fail "sendmail: local submission"
	mta_wait_delivered bob 1 10 || fail "sendmail: local submission not delivered"
	if [ "$MTA_SASL" = 1 ]; then
		note "sendmail: AUTH"
		# Its SASL configuration is mounted in its own mount namespace only.
		! grep -q ' /usr/lib/sasl2 ' /proc/self/mountinfo || fail "the SASL mount leaked out of sendmail's namespace"
		out=$(mta_send -a alice:wrong "$msg" alice@example.test)
		grep -q '^final 535 ' <<<"$out" || fail "sendmail AUTH with a wrong password: $out"
		out=$(mta_send -a alice:alice-pw "$msg" alice@example.test) || fail "sendmail AUTH alice: $out"
		grep -q '^auth 235 ' <<<"$out" || fail "sendmail AUTH alice: $out"
		mta_wait_delivered alice 2 10 || fail "sendmail: not delivered after AUTH"
		grep -q 'authenticated bits=0' "$(mta_messages alice | tail -n 1)" || fail "sendmail: AUTH not in Received"
	else
		echo "SKIP: Sendmail AUTH (saslpasswd2 from sasl2-bin or /usr/lib/sasl2 is missing)"
	fi
	stop_checked
fi

elapsed=$((SECONDS - start))
note "done in ${elapsed}s"
[ "$elapsed" -le 30 ] || fail "the harness took ${elapsed}s (budget 30 s)"
echo "mta_harness: ok"
