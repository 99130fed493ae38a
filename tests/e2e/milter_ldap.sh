#!/bin/bash
# milter_ldap.sh - who may fax, decided by a directory, through a real MTA: a private Postfix with
# faxmilter attached, whose policy is membership of a directory group (no allow list), asked of a
# private slapd holding Active Directory-like and Domino-like entries (tests/e2e/slapd.sh).
#
# The set-up is that of a gateway behind an internal relay (Exchange, Domino): the relay's address
# is in policy_trusted_networks, so the envelope sender is the identity. Members fax; non-members,
# disabled accounts and logins the directory does not know are refused with 550 5.7.1 at RCPT; with
# the directory down the recipient gets 451 4.4.3 (the relay tries again), and once it is back the
# retry is queued. First the AD-like tree, then the Domino-like one after a reload (SIGHUP).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/mta.sh"
. "$here/slapd.sh"
. "$here/milter_mta.inc"
chmod 0755 "$tmp" # Postfix's users enter it
trap 'stop_milter; mta_stop; slapd_stop || true; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
slapd_available || fail "slapd, slapadd or ldapsearch not installed (scripts/deps)"

mkdir "$tmp/slapd"
slapd_start "$tmp/slapd" || fail "slapd does not start"
milter_port=$(mta_free_port)
fax=$MTA_FAX_DOMAIN
msg=$tmp/msg.eml

# ldap_conf TYPE BASE GROUP: the milter's configuration for one directory. No answer is cached, so
# every mail asks the directory (and a stopped one shows at once).
ldap_conf() {
	conf "ldap-$1" "log_target = stderr" "log_level = info" "milter_socket = inet:$milter_port@127.0.0.1" \
		"db_path = $tmp/queue.db" "fax_domains = $fax" "dial_country_code = 49" "dial_area_code = 30" \
		"render_workers = 1" "policy_trusted_networks = 127.0.0.1" \
		"ldap_uri = $SLAPD_URI" "ldap_bind_dn = $SLAPD_BIND_DN" "ldap_bind_password_file = $SLAPD_BIND_PWFILE" \
		"ldap_timeout = 2s" "ldap_cache_time = 0" \
		"ldap_type = $1" "ldap_base = $2" "policy_ldap_group = $3"
}

# refused SENDER NUMBER CODE ENHANCED TEXT-REGEX [MTA_SEND-ARGS...]: the fax recipient is refused
# at RCPT with this reply, and no job is queued for it
refused() {
	local sender=$1 number=$2 code=$3 enh=$4 text=$5
	shift 5
	send "$sender to $number" "$code $enh" "$@" -f "$sender" "$msg" "$number@$fax"
	grep -Eq "^rcpt:\\$number@$fax $code $enh .*$text" <<<"$last_out" ||
		fail "$sender: RCPT not refused with $code $enh /$text/: $last_out"
	assert_eq "$(jobs_with number "$number")" 0 "jobs to $number"
}

# queued SENDER NUMBER: the mail is accepted and one job is queued from this sender
queued() {
	send "$1 to $2" "250" -f "$1" "$msg" "$2@$fax"
	assert_eq "$(jobs_with number "$2")" 1 "jobs to $2"
	assert_eq "$(jobs_json | python3 -c "import json,sys; print([j['sender'] for j in json.load(sys.stdin) if j['number'] == '$2'][0])")" \
		"$1" "sender of the job to $2"
}

cfg=$tmp/milter.conf # the milter's; the directory's configuration is copied over it
cp "$(ldap_conf ad "$SLAPD_AD_BASE" "CN=Fax Users,OU=Groups,DC=example,DC=com")" "$cfg"
"$faxctl" -c "$cfg" db upgrade >/dev/null || fail "faxctl db upgrade"
start_milter "$cfg"
postfix_start "$tmp/mta" "inet:127.0.0.1:$milter_port" || fail "cannot start Postfix"
mta_message "$msg" "directory" "Who may fax is in the directory."

note "Active Directory"
queued anna.berg@example.com +49301236001
queued dora.engel@example.com +49301236002 # a member through a nested group
refused bernd.kuhn@example.com +49301236003 550 "5\.7\.1" "not allowed to send faxes"
refused carla.diaz@example.com +49301236004 550 "5\.7\.1" "not allowed to send faxes" # disabled account
refused nobody@example.com +49301236005 550 "5\.7\.1" "not allowed to send faxes"
# SMTP AUTH names the user: Postfix's alice is no one in the directory, whatever the envelope says
if [ "$MTA_SASL" = 1 ]; then
	refused anna.berg@example.com +49301236006 550 "5\.7\.1" "alice is not allowed" -a alice:alice-pw
fi

note "Active Directory down, then back"
slapd_stop || true # (slapd.sh is not written for set -e)
refused anna.berg@example.com +49301236007 451 "4\.4\.3" "Cannot check who may fax"
grep -q "may not fax" "$tmp/milter.log" || fail "the directory failure is not logged"
slapd_restart || fail "slapd does not come back"
queued anna.berg@example.com +49301236007

note "Domino, after a reload"
cp "$(ldap_conf domino "$SLAPD_DOMINO_BASE" "CN=FaxUsers,O=Example")" "$cfg"
n=$(grep -c "configuration reloaded" "$tmp/milter.log" || true)
kill -HUP "$milter_pid"
for _ in $(seq 100); do
	[ "$(grep -c "configuration reloaded" "$tmp/milter.log")" -gt "$n" ] && break
	sleep 0.05
done
[ "$(grep -c "configuration reloaded" "$tmp/milter.log")" -gt "$n" ] || fail "no reload: $(tail -n 5 "$tmp/milter.log")"
queued hans.ibsen@example.org +49301236011
queued jana.kraus@example.org +49301236012 # a member through a nested group
refused ina.jung@example.org +49301236013 550 "5\.7\.1" "not allowed to send faxes"
# the AD member is no one in this directory
refused anna.berg@example.com +49301236014 550 "5\.7\.1" "not allowed to send faxes"
slapd_stop || true # (slapd.sh is not written for set -e)
refused hans.ibsen@example.org +49301236015 451 "4\.4\.3" "Cannot check who may fax"
slapd_restart || fail "slapd does not come back"
queued hans.ibsen@example.org +49301236015

stop_milter
milter_sanitizer_check
! grep -qF "$SLAPD_BIND_PASSWORD" "$tmp/milter.log" || fail "the service account's password is in the milter's log"
echo "milter_ldap: ok"
