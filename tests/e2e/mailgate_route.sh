#!/bin/bash
# mailgate_route.sh - where received faxes go, asked of a real slapd standing in for Active
# Directory and Domino, through `faxctl route` (the routing faxmailgate uses): fax numbers in every
# form people write them (+49 30 1234-100, (030) 1234 102, 0049 30 1234 103, +49 (0)30 ...,
# 030/1234-103, AD "FAX:Name@+49..." proxy addresses) found by the number called in any form;
# several users with one number all get it, disabled and expired accounts never; a number only
# disabled accounts have, or nobody, goes to the catch-all (inbound_catchall, else alert_to, else
# nowhere: exit 1); a routing code (inbound_match_digits = 3) finds a user whose entry says only
# "104"; sub-address routes, then number routes, come before the directory; a directory that is
# down is a temporary failure (exit 4), never the catch-all, and the password appears nowhere;
# StartTLS and ldaps://; faxctl config check names a bad inbound_routes entry. Then faxmailgate
# itself (one pass, -1) on received faxes stored with queue_add: each routed fax "mailed" with one
# mail in the outbox to its mailboxes, an unrouted one "unrouted" with an event, and with the
# directory down the faxes it must route stay "new" until it is back.
# Uses tests/e2e/slapd.sh and the fixtures tests/fixtures/ldap/ad.ldif and domino.ldif.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${FAXGATE_BUILD:-$top/build}
faxctl=$build/bin/faxctl
faxmailgate=$build/bin/faxmailgate
queue_add=$build/tools/queue_add
. "$top/tests/e2e/slapd.sh"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
slapd_available || fail "slapd, slapadd or ldapsearch not installed (run scripts/deps)"
for f in "$faxctl" "$faxmailgate" "$queue_add"; do
	[ -x "$f" ] || fail "$f is not built"
done

tmp=$(mktemp -d)
trap 'slapd_stop; rm -rf "$tmp"' EXIT
mkdir "$tmp/slapd"
slapd_start "$tmp/slapd" || fail "slapd does not start"
echo "-- slapd at $SLAPD_URI (pid $SLAPD_PID)"

# Every output is kept here, to look for the password at the end.
: >"$tmp/all-output"

# conf NAME LINES...: a configuration file in $tmp (Berlin's dial plan, alert_to admin@example.com,
# unless LINES set them); prints its path.
conf() {
	local f=$tmp/$1.conf line
	shift
	: >"$f"
	for line in "log_target = stderr" "log_level = debug" "run_user = " "ldap_timeout = 2s" \
		"dial_country_code = 49" "dial_area_code = 30" "alert_to = admin@example.com"; do
		printf '%s\n' "$@" | grep -q "^${line%% =*} =" || printf '%s\n' "$line" >>"$f"
	done
	printf '%s\n' "$@" >>"$f"
	echo "$f"
}

# route CONF WANT_RC SOURCE 'TO...' NOTE_REGEX NUMBER [SUBADDRESS]: faxctl route must exit
# WANT_RC, name SOURCE, send to exactly the addresses TO (blank-separated, in any order) and
# say NOTE_REGEX in its note.
route() {
	local cf=$1 want_rc=$2 source=$3 to=$4 note=$5 rc=0 got want
	shift 5
	"$faxctl" -c "$cf" route "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	cat "$tmp/out" "$tmp/err" >>"$tmp/all-output"
	[ "$rc" = "$want_rc" ] || fail "route $* exited $rc, not $want_rc: $(cat "$tmp/out" "$tmp/err")"
	grep -qx "route: $source" "$tmp/out" || fail "route $*: not by $source: $(cat "$tmp/out")"
	got=$(sed -n 's/^to: //p' "$tmp/out" | sort | tr '\n' ' ')
	want=
	[ -z "$to" ] || want=$(tr ' ' '\n' <<<"$to" | sort | tr '\n' ' ')
	[ "$got" = "$want" ] || fail "route $*: to '$got', not '$want': $(cat "$tmp/out")"
	grep -Eq "^note: .*$note" "$tmp/out" || fail "route $*: note lacks /$note/: $(cat "$tmp/out")"
	echo "ok: $* -> $source $got($(sed -n 's/^note: //p' "$tmp/out"))"
}

# temp CONF NUMBER: the directory cannot be asked: exit 4, nothing on stdout, the reason on stderr.
temp() {
	local cf=$1 rc=0
	shift
	"$faxctl" -c "$cf" route "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	cat "$tmp/out" "$tmp/err" >>"$tmp/all-output"
	[ "$rc" = 4 ] || fail "route $* with the directory down exited $rc, not 4: $(cat "$tmp/out" "$tmp/err")"
	[ -s "$tmp/out" ] && fail "route $* with the directory down printed a route: $(cat "$tmp/out")"
	grep -q 'directory cannot be asked' "$tmp/err" || fail "route $*: no reason given: $(cat "$tmp/err")"
	echo "ok: $* -> temporary failure"
}

directory=("ldap_uri = $SLAPD_URI" "ldap_bind_dn = $SLAPD_BIND_DN"
	"ldap_bind_password_file = $SLAPD_BIND_PWFILE")
ad_dir=("ldap_type = ad" "ldap_base = $SLAPD_AD_BASE" "${directory[@]}")
ad=$(conf ad "${ad_dir[@]}" "inbound_catchall = faxes@example.com")
domino=$(conf domino "ldap_type = domino" "ldap_base = $SLAPD_DOMINO_BASE" "${directory[@]}")

echo "== Active Directory: the number called in any form"
route "$ad" 0 directory anna.berg@example.com 'number \+49301234100 in the directory: Anna Berg$' +49301234100
route "$ad" 0 directory anna.berg@example.com 'Anna Berg' 1234100
route "$ad" 0 directory anna.berg@example.com 'Anna Berg' 030-1234-100
route "$ad" 0 directory anna.berg@example.com 'Anna Berg' '0049 (30) 1234 100'
echo "== Active Directory: the directory's numbers in any form"
route "$ad" 0 directory bernd.kuhn@example.com 'Bernd Kuhn' +49301234101  # +49301234101
route "$ad" 0 directory bernd.kuhn@example.com 'Bernd Kuhn' +49301234102  # (030) 1234 102, other...
route "$ad" 0 directory hugo.lang@example.com 'Hugo Lang' +49301234105    # FAX:Hugo Lang@+49 30 1234-105
# Several users have 106 (FAX:+49301234106, +49 (0)30 1234 - 106); carla too, but she is disabled.
route "$ad" 0 directory 'ilse.maier@example.com jonas.noll@example.com' \
	'in the directory: (Ilse Maier, Jonas Noll|Jonas Noll, Ilse Maier); skipped \(disabled or no mail\): Carla Diaz$' \
	+49301234106
echo "== Active Directory: nobody, or only disabled accounts"
# 103: carla (disabled, 0049 30 1234 103) and emil (expired, 030/1234-103).
route "$ad" 0 catch-all faxes@example.com \
	'only for disabled accounts or ones without mail: (Carla Diaz, Emil Falk|Emil Falk, Carla Diaz); catch-all \(inbound_catchall\)' \
	+49301234103
route "$ad" 0 catch-all faxes@example.com 'number \+49301234999: no route; catch-all \(inbound_catchall\)' +49301234999
# Dora's entry says only "104": that is +49 30 104, not her DID, unless a routing code is used.
route "$ad" 0 catch-all faxes@example.com 'no route' +49301234104
noall=$(conf noall "${ad_dir[@]}")
route "$noall" 0 catch-all admin@example.com 'catch-all \(alert_to\)' +49301234999
nowhere=$(conf nowhere "${ad_dir[@]}" "alert_to = ")
route "$nowhere" 1 none '' 'neither inbound_catchall nor alert_to' +49301234999
# Hostile numbers: nothing of them reaches a filter, and they match nobody.
route "$ad" 0 catch-all faxes@example.com 'the number called cannot be read' '*'
route "$ad" 0 catch-all faxes@example.com 'cannot be read' '1*)(mail=*'
route "$ad" 0 catch-all faxes@example.com 'cannot be read' "$(printf '1%.0s' $(seq 80))"

echo "== routing codes: the last 3 digits"
code=$(conf code "${ad_dir[@]}" "inbound_match_digits = 3")
route "$code" 0 directory dora.engel@example.com 'last 3 digits 104\) in the directory: Dora Engel' +49301234104
route "$code" 0 directory dora.engel@example.com 'Dora Engel' 104
route "$code" 0 directory dora.engel@example.com 'Dora Engel' +49899999104
route "$code" 0 directory anna.berg@example.com 'Anna Berg' 100
route "$code" 0 directory bernd.kuhn@example.com 'Bernd Kuhn' 2102
route "$code" 0 catch-all admin@example.com 'no route' 103

echo "== the table before the directory"
table=$(conf table "${ad_dir[@]}" "inbound_catchall = faxes@example.com" \
	"inbound_routes = +49-30-1234-100=override@example.com, sub:77=sales@example.com sub:77=boss@example.com \
0301234101=desk@example.com 999=reception@example.com")
route "$table" 0 table override@example.com 'inbound_routes' +49301234100
# A sub-address route wins over the number's own route and the directory.
route "$table" 0 table 'sales@example.com boss@example.com' 'sub-address 77 in inbound_routes' +49301234101 77
route "$table" 0 table desk@example.com 'inbound_routes \(0301234101=desk@example.com\)' +49301234101 78
# "999" has no prefix: the last digits of any number called.
route "$table" 0 table reception@example.com '999=reception' +49301234999
route "$table" 0 directory hugo.lang@example.com 'Hugo Lang' +49301234105
# Without a directory the table and the catch-all still work.
nodir=$(conf nodir "inbound_routes = 0301234101=desk@example.com" "inbound_catchall = faxes@example.com")
route "$nodir" 0 table desk@example.com 'inbound_routes' +49301234101
route "$nodir" 0 catch-all faxes@example.com 'no route' +49301234100
off=$(conf off "${ad_dir[@]}" "inbound_ldap = no")
route "$off" 0 catch-all admin@example.com 'no route' +49301234100

echo "== Domino"
route "$domino" 0 directory hans.ibsen@example.org 'Hans Ibsen' +49301234200  # 030 1234 200
route "$domino" 0 directory ina.jung@example.org 'Ina Jung' 1234201          # +49 (30) 1234-201
route "$domino" 0 directory kurt.lenz@example.org 'Kurt Lenz' +49301234202   # +49 (0)30 1234-202
route "$domino" 0 catch-all admin@example.com 'no route' +49301234100
dcode=$(conf dcode "ldap_type = domino" "ldap_base = $SLAPD_DOMINO_BASE" "${directory[@]}" \
	"inbound_match_digits = 4")
route "$dcode" 0 directory kurt.lenz@example.org 'last 4 digits 4202' +4940991234202

echo "== TLS"
tls=("ldap_type = ad" "ldap_base = $SLAPD_AD_BASE" "ldap_bind_dn = $SLAPD_BIND_DN"
	"ldap_bind_password_file = $SLAPD_BIND_PWFILE" "ldap_ca_file = $SLAPD_CA_FILE")
starttls=$(conf starttls "${tls[@]}" "ldap_uri = $SLAPD_URI" "ldap_starttls = yes")
route "$starttls" 0 directory anna.berg@example.com 'Anna Berg' +49301234100
ldaps=$(conf ldaps "${tls[@]}" "ldap_uri = $SLAPD_LDAPS_URI")
route "$ldaps" 0 directory hugo.lang@example.com 'Hugo Lang' +49301234105

echo "== set-up mistakes"
# A refused bind is a temporary failure too: the fax waits, it does not go to the catch-all.
printf 'WrongSecret%s\n' "$RANDOM$RANDOM" >"$tmp/wrong.pw"
chmod 600 "$tmp/wrong.pw"
wrong=$(conf wrong "ldap_type = ad" "ldap_base = $SLAPD_AD_BASE" "ldap_uri = $SLAPD_URI" \
	"ldap_bind_dn = $SLAPD_BIND_DN" "ldap_bind_password_file = $tmp/wrong.pw" "inbound_catchall = faxes@example.com")
temp "$wrong" +49301234100
grep -q 'Invalid credentials' "$tmp/err" || fail "a refused bind is not reported: $(cat "$tmp/err")"
# faxctl config check names the bad entry of inbound_routes.
for bad in 'inbound_routes = 100=not-an-address' 'inbound_routes = 100' 'inbound_routes = sub:12a=x@example.com' \
	'inbound_routes = 1x0=x@example.com' 'inbound_catchall = faxes' 'inbound_match_digits = 4|inbound_routes = 100=x@example.com'; do
	IFS='|' read -ra lines <<<"$bad"
	cf=$(conf bad "${lines[@]}")
	rc=0
	"$faxctl" -c "$cf" config check >"$tmp/out" 2>"$tmp/err" || rc=$?
	[ "$rc" = 1 ] || fail "config check with '$bad' exited $rc, not 1: $(cat "$tmp/out" "$tmp/err")"
	word=${bad##*= }
	grep -qF "'$word'" "$tmp/err" || fail "config check with '$bad' does not name '$word': $(cat "$tmp/err")"
	"$faxctl" -c "$cf" route +49301234100 >/dev/null 2>&1 && fail "route runs with '$bad'"
	echo "ok: config check refuses $bad: $(cat "$tmp/err")"
done
"$faxctl" -c "$table" config check >"$tmp/out" 2>"$tmp/err" || fail "config check of a good table: $(cat "$tmp/err")"

echo "== the directory is down"
slapd_stop
temp "$ad" +49301234100
# Not even a number only the catch-all would get: the directory might know it.
temp "$ad" +49301234999
temp "$code" 104
# The table needs no directory.
route "$table" 0 table desk@example.com 'inbound_routes' +49301234101 78

echo "== faxmailgate: received faxes into the outbox"
# The relay is a closed port: the mails stay in the outbox, where they are looked at.
gate=$(conf gate "${ad_dir[@]}" "db_path = $tmp/queue.db" "alert_to = " "mail_from = fax@example.com" \
	"smtp_relay = 127.0.0.1:1" "inbound_routes = 0301234101=desk@example.com")
"$faxctl" -c "$gate" db upgrade >/dev/null 2>&1 || fail "faxctl db upgrade"
# fax NUMBER: a received fax of 2 pages to NUMBER (queue_add gives it sub-address 7); prints its id.
fax() {
	"$queue_add" -c "$gate" -i -p 2 "$1" 2>>"$tmp/queue_add.log" || fail "queue_add -i $1"
}
# pass: one faxmailgate pass, which must end well.
pass() {
	"$faxmailgate" -1 -c "$gate" >>"$tmp/mailgate.log" 2>&1 || fail "faxmailgate -1: $(tail -n 20 "$tmp/mailgate.log")"
}
# status ID WANT: the received fax's status.
status() {
	local got
	got=$("$faxctl" -c "$gate" inbound --json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
	[ "$got" = "$2" ] || fail "fax $1 is $got, not $2: $(tail -n 20 "$tmp/mailgate.log")"
}
# mailed ID 'TO...': the fax is mailed, with exactly one fax mail in the outbox, to exactly TO.
mailed() {
	local got
	status "$1" mailed
	got=$("$faxctl" -c "$gate" outbox --json --limit 0 | python3 -c '
import json, sys
ref = int(sys.argv[1])
mails = [m for m in json.load(sys.stdin) if m["kind"] == "fax" and m["ref_id"] == ref]
assert len(mails) == 1, "%d fax mails for fax %d" % (len(mails), ref)
m = mails[0]
assert m["sender"] == "fax@example.com", m["sender"]
assert m["message_id"].startswith("<"), m["message_id"]
print(" ".join(sorted(m["recipients"].split(" "))))' "$1") || fail "fax $1: outbox: $got"
	[ "$got" = "$(tr ' ' '\n' <<<"$2" | sort | tr '\n' ' ' | sed 's/ $//')" ] || fail "fax $1 mailed to '$got', not '$2'"
	echo "ok: fax $1 mailed to $got"
}
pass
slapd_stop
hugo=$(fax +49301234105)
team=$(fax +49301234106)
nobody=$(fax +49301234999)
desk=$(fax +49301234101)
pass
# Only the table's fax went; the directory's wait, the unknown number too (the directory might know it).
mailed "$desk" desk@example.com
for id in "$hugo" "$team" "$nobody"; do status "$id" new; done
grep -q "fax $hugo from .* waits: .*directory cannot be asked" "$tmp/mailgate.log" || fail "the wait is not logged: $(cat "$tmp/mailgate.log")"
echo "ok: with the directory down, faxes $hugo $team $nobody wait"
slapd_restart || fail "slapd does not start again"
pass
mailed "$hugo" hugo.lang@example.com
mailed "$team" 'ilse.maier@example.com jonas.noll@example.com'
status "$nobody" unrouted
"$faxctl" -c "$gate" events --json | python3 -c '
import json, sys
ev = [e for e in json.load(sys.stdin) if e["kind"] == "fax_unrouted" and e["subject"] == "fax " + sys.argv[1]]
assert len(ev) == 1 and "+49301234999" in ev[0]["text"], ev' "$nobody" || fail "no fax_unrouted event for fax $nobody"
echo "ok: fax $nobody unrouted, with an event"
# Nothing is mailed twice.
pass
[ "$("$faxctl" -c "$gate" outbox --json --limit 0 | python3 -c 'import json,sys; print(sum(m["kind"] == "fax" for m in json.load(sys.stdin)))')" = 3 ] ||
	fail "a second pass mailed again"
grep -q "fax $team from +4940555123 to +49301234106 sub-address 7: mail <.*> to .*(directory: number +49301234106 in the directory" \
	"$tmp/mailgate.log" || fail "the fax's mail is not logged with its route: $(cat "$tmp/mailgate.log")"
# The admin adds a catch-all and hands the unrouted fax back: it goes there, once.
"$faxctl" -c "$gate" inbound "$desk" --requeue >/dev/null 2>&1 && fail "a delivered fax could be requeued"
gate=$(conf gate "${ad_dir[@]}" "db_path = $tmp/queue.db" "alert_to = " "mail_from = fax@example.com" \
	"smtp_relay = 127.0.0.1:1" "inbound_routes = 0301234101=desk@example.com" "inbound_catchall = fax-desk@example.com")
"$faxctl" -c "$gate" inbound "$nobody" --requeue | grep -q "handed to faxmailgate again" || fail "cannot requeue fax $nobody"
status "$nobody" new
pass
mailed "$nobody" fax-desk@example.com
cat "$tmp/mailgate.log" >>"$tmp/all-output"

grep -qF "$SLAPD_BIND_PASSWORD" "$tmp/all-output" && fail "the service account's password appears in the output"
echo "mailgate_route: ok"
