#!/bin/bash
# policy_ldap.sh - who may fax, asked of a real slapd standing in for Active Directory and Domino:
# group members (direct and nested) may, others may not (non-members, disabled and expired
# accounts, unknown and ambiguous addresses, forged senders from outside, filter injection);
# a directory that is down or refuses the service account gives TEMPFAIL, never an answer, and
# the password appears nowhere; StartTLS and ldaps:// verify the server against ldap_ca_file.
# Uses tests/e2e/slapd.sh and build/tools/policycheck.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${FAXGATE_BUILD:-$top/build}
policycheck=$build/tools/policycheck
. "$top/tests/e2e/slapd.sh"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
slapd_available || fail "slapd, slapadd or ldapsearch not installed (run scripts/deps)"
[ -x "$policycheck" ] || fail "$policycheck is not built"

tmp=$(mktemp -d)
trap 'slapd_stop; rm -rf "$tmp"' EXIT
mkdir "$tmp/slapd"
slapd_start "$tmp/slapd" || fail "slapd does not start"
echo "-- slapd at $SLAPD_URI (pid $SLAPD_PID)"

# Every output is kept here, to look for the password at the end.
: >"$tmp/all-output"

# conf NAME LINES...: a configuration file in $tmp; prints its path.
conf() {
	local f=$tmp/$1.conf
	shift
	printf '%s\n' "log_target = stderr" "log_level = debug" "ldap_timeout = 2s" \
		"policy_trusted_networks = 127.0.0.0/8 ::1 10.1.0.0/16" "$@" >"$f"
	echo "$f"
}

# check CONF WANT_RC WANT_REGEX ARGS...: run policycheck, require its exit status and stdout.
check() {
	local cf=$1 want_rc=$2 want=$3 rc=0
	shift 3
	"$policycheck" -c "$cf" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	cat "$tmp/out" "$tmp/err" >>"$tmp/all-output"
	[ "$rc" = "$want_rc" ] || fail "policycheck $* exited $rc, not $want_rc: $(cat "$tmp/out" "$tmp/err")"
	grep -Eq "$want" "$tmp/out" || fail "policycheck $*: output lacks /$want/: $(cat "$tmp/out")"
	echo "ok: $* -> $(tr '\n' ' ' <"$tmp/out")"
}

directory=("ldap_uri = $SLAPD_URI" "ldap_bind_dn = $SLAPD_BIND_DN"
	"ldap_bind_password_file = $SLAPD_BIND_PWFILE")
# Group DNs are written in another case than the server's on purpose.
ad=$(conf ad "ldap_type = ad" "ldap_base = $SLAPD_AD_BASE" "${directory[@]}" \
	"policy_ldap_group = cn=fax users,ou=groups,dc=example,dc=com")
domino=$(conf domino "ldap_type = domino" "ldap_base = $SLAPD_DOMINO_BASE" "${directory[@]}" \
	"policy_ldap_group = cn=faxusers,o=example")
mx=10.1.0.5 outside=198.51.100.7

echo "== Active Directory"
check "$ad" 0 '^ALLOW anna\.berg@example\.com$' --client $mx --sender anna.berg@example.com
check "$ad" 0 '^ALLOW anna@example\.com$' --client $mx --sender ANNA@Example.COM
check "$ad" 0 '^ALLOW ab@example\.net$' --client "::ffff:$mx" --sender ab@example.net
check "$ad" 0 '^ALLOW dora\.engel@example\.com$' --client $mx --sender dora.engel@example.com
check "$ad" 1 '^DENY bernd\.kuhn@example\.com is not allowed' --client $mx --sender bernd.kuhn@example.com
check "$ad" 1 '^DENY carla\.diaz@example\.com is not allowed' --client $mx --sender carla.diaz@example.com
check "$ad" 1 '^DENY emil\.falk@example\.com is not allowed' --client $mx --sender emil.falk@example.com
check "$ad" 1 '^DENY nobody@example\.com is not allowed' --client $mx --sender nobody@example.com
check "$ad" 1 '^DENY info@example\.com is not allowed' --client $mx --sender info@example.com
grep -q 'matches several directory entries' "$tmp/err" || fail "ambiguous address not logged as such"
# Logins (sAMAccountName, userPrincipalName) from any client, whatever the envelope says.
check "$ad" 0 '^ALLOW anna$' --client $outside --auth anna --sender bernd.kuhn@example.com
check "$ad" 0 '^ALLOW anna@corp\.example\.com$' --client $outside --auth anna@corp.example.com --sender x@y.z
check "$ad" 1 '^DENY carla is not allowed' --client $outside --auth carla --sender anna.berg@example.com
# A member's address from outside without authentication: no identity, whatever it claims.
check "$ad" 1 '^DENY faxing needs SMTP authentication' --client $outside --sender anna.berg@example.com
check "$ad" 1 '^DENY faxing needs SMTP authentication' --client "IPv6:2001:db8::1" --sender anna.berg@example.com
check "$ad" 1 '^DENY faxing needs SMTP authentication' --client $outside --sender ''
# Filter injection: unescaped, "anna*" would find exactly Anna and let her address through.
check "$ad" 1 '^DENY anna\* is not allowed' --client $mx --sender 'anna*'
check "$ad" 1 '^DENY' --client $mx --sender '*)(mail=*'
check "$ad" 1 '^DENY' --client $mx --sender '*'
check "$ad" 1 '^DENY' --client $outside --auth 'anna)(|(sAMAccountName=*' --sender x@y.z

echo "== Domino"
check "$domino" 0 '^ALLOW hans\.ibsen@example\.org$' --client $mx --sender hans.ibsen@example.org
check "$domino" 0 '^ALLOW hibsen$' --client $outside --auth hibsen --sender ''
check "$domino" 0 '^ALLOW jana\.kraus@example\.org$' --client $mx --sender jana.kraus@example.org
check "$domino" 1 '^DENY ina\.jung@example\.org is not allowed' --client $mx --sender ina.jung@example.org
check "$domino" 1 '^DENY ijung is not allowed' --client $outside --auth ijung --sender hans.ibsen@example.org
check "$domino" 1 '^DENY nobody@example\.org is not allowed' --client $mx --sender nobody@example.org
check "$domino" 1 '^DENY faxing needs SMTP authentication' --client $outside --sender hans.ibsen@example.org

echo "== set-up mistakes"
nogroup=$(conf nogroup "ldap_type = domino" "ldap_base = $SLAPD_DOMINO_BASE" "${directory[@]}" \
	"policy_ldap_group = CN=NoSuchGroup,O=Example")
check "$nogroup" 1 '^DENY hans' --client $mx --sender hans.ibsen@example.org
grep -q 'does not exist' "$tmp/err" || fail "a missing group is not logged: $(cat "$tmp/err")"

wrongpw=WrongSecret$RANDOM$RANDOM
printf '%s\n' "$wrongpw" >"$tmp/wrong.pw"
chmod 600 "$tmp/wrong.pw"
wrong=$(conf wrong "ldap_type = ad" "ldap_base = $SLAPD_AD_BASE" "ldap_uri = $SLAPD_URI" \
	"ldap_bind_dn = $SLAPD_BIND_DN" "ldap_bind_password_file = $tmp/wrong.pw" \
	"policy_ldap_group = CN=Fax Users,OU=Groups,DC=example,DC=com")
check "$wrong" 75 '^TEMPFAIL ' --client $mx --sender anna.berg@example.com
grep -q 'Invalid credentials' "$tmp/err" || fail "a refused bind is not logged: $(cat "$tmp/err")"
grep -qF "$wrongpw" "$tmp/all-output" && fail "the wrong password appears in the output"

anon=$(conf anon "ldap_type = ad" "ldap_base = $SLAPD_AD_BASE" "ldap_uri = $SLAPD_URI" \
	"policy_ldap_group = CN=Fax Users,OU=Groups,DC=example,DC=com")
check "$anon" 75 '^TEMPFAIL ' --client $mx --sender anna.berg@example.com

# The first server is down: the second one answers.
failover=$(conf failover "ldap_type = ad" "ldap_base = $SLAPD_AD_BASE" "${directory[@]}" \
	"ldap_uri = ldap://127.0.0.1:$((SLAPD_PORT == 65000 ? 65001 : 65000))/ $SLAPD_URI" \
	"policy_ldap_group = CN=Fax Users,OU=Groups,DC=example,DC=com")
sed -i "/^ldap_uri = $(printf '%s' "$SLAPD_URI" | sed 's|/|\\/|g')$/d" "$failover"
check "$failover" 0 '^ALLOW anna\.berg@example\.com$' --client $mx --sender anna.berg@example.com

echo "== TLS"
tls=("ldap_type = ad" "ldap_base = $SLAPD_AD_BASE" "ldap_bind_dn = $SLAPD_BIND_DN"
	"ldap_bind_password_file = $SLAPD_BIND_PWFILE" "policy_ldap_group = CN=Fax Users,OU=Groups,DC=example,DC=com")
starttls=$(conf starttls "${tls[@]}" "ldap_uri = $SLAPD_URI" "ldap_starttls = yes" "ldap_ca_file = $SLAPD_CA_FILE")
check "$starttls" 0 '^ALLOW anna\.berg@example\.com$' --client $mx --sender anna.berg@example.com
ldaps=$(conf ldaps "${tls[@]}" "ldap_uri = $SLAPD_LDAPS_URI" "ldap_ca_file = $SLAPD_CA_FILE")
check "$ldaps" 0 '^ALLOW anna\.berg@example\.com$' --client $mx --sender anna.berg@example.com
# The server's certificate is not signed by a CA the system trusts: no connection.
untrusted=$(conf untrusted "${tls[@]}" "ldap_uri = $SLAPD_LDAPS_URI")
LDAPTLS_CACERT='' check "$untrusted" 75 '^TEMPFAIL ' --client $mx --sender anna.berg@example.com
untrusted=$(conf untrusted2 "${tls[@]}" "ldap_uri = $SLAPD_URI" "ldap_starttls = yes")
LDAPTLS_CACERT='' check "$untrusted" 75 '^TEMPFAIL ' --client $mx --sender anna.berg@example.com
grep -q 'StartTLS failed' "$tmp/err" || fail "a failed StartTLS is not logged: $(cat "$tmp/err")"

echo "== the directory goes away"
# A restart between two questions: the kept connection is dead, the second lookup reconnects.
restart="kill $SLAPD_PID; while [ -e /proc/$SLAPD_PID ] && ! grep -q '^State:.*Z' /proc/$SLAPD_PID/status; do sleep 0.05; done; \
/usr/sbin/slapd -F $SLAPD_DIR/config -h '$SLAPD_URI $SLAPD_LDAPS_URI' >/dev/null 2>&1 && \
for i in \$(seq 100); do ldapsearch -x -H $SLAPD_URI -s base -b '' >/dev/null 2>&1 && break; sleep 0.05; done"
nocache=$(conf nocache "ldap_type = ad" "ldap_base = $SLAPD_AD_BASE" "${directory[@]}" "ldap_cache_time = 0" \
	"policy_ldap_group = CN=Fax Users,OU=Groups,DC=example,DC=com")
check "$nocache" 0 'ALLOW anna' --client $mx --sender anna.berg@example.com --between "$restart"
[ "$(grep -c '^ALLOW anna\.berg@example\.com$' "$tmp/out")" = 2 ] || fail "no answer after a restart: $(cat "$tmp/out")"
grep -q 'reconnecting' "$tmp/err" || fail "the dead connection was not noticed: $(cat "$tmp/err")"
wait "$SLAPD_PID" 2>/dev/null
SLAPD_PID=$(cat "$SLAPD_DIR/slapd.pid")
[ -n "$SLAPD_PID" ] || fail "slapd did not come back"
echo "-- slapd restarted (pid $SLAPD_PID)"
check "$ad" 0 '^ALLOW dora\.engel@example\.com$' --client $mx --sender dora.engel@example.com

# Answers are cached: with the directory gone, a known answer stands, a new question waits.
stop="kill $SLAPD_PID; while [ -e /proc/$SLAPD_PID ] && ! grep -q '^State:.*Z' /proc/$SLAPD_PID/status; do sleep 0.05; done"
check "$ad" 0 'ALLOW anna\.berg@example\.com' --client $mx --sender anna.berg@example.com --between "$stop"
[ "$(grep -c '^ALLOW anna\.berg@example\.com$' "$tmp/out")" = 2 ] || fail "cached answer not used: $(cat "$tmp/out")"
SLAPD_PID=
check "$ad" 75 '^TEMPFAIL ' --client $mx --sender anna.berg@example.com
check "$domino" 75 '^TEMPFAIL ' --client $outside --auth hibsen --sender ''
# The rules that need no directory still work without it.
allowlist=$(conf allowlist "ldap_type = ad" "ldap_base = $SLAPD_AD_BASE" "${directory[@]}" \
	"policy_ldap_group = CN=Fax Users,OU=Groups,DC=example,DC=com" "policy_allow_senders = @example.net")
check "$allowlist" 0 '^ALLOW ab@example\.net$' --client $mx --sender ab@example.net
# A temporary failure is not remembered: once slapd is back, the same question is answered.
check "$ad" 0 'ALLOW anna\.berg@example\.com' --client $mx --sender anna.berg@example.com --between \
	"/usr/sbin/slapd -F $SLAPD_DIR/config -h '$SLAPD_URI $SLAPD_LDAPS_URI' >/dev/null 2>&1 && \
for i in \$(seq 100); do ldapsearch -x -H $SLAPD_URI -s base -b '' >/dev/null 2>&1 && break; sleep 0.05; done"
SLAPD_PID=$(cat "$SLAPD_DIR/slapd.pid")
grep -q '^TEMPFAIL ' "$tmp/out" || fail "first answer with slapd down was not TEMPFAIL: $(cat "$tmp/out")"

grep -qF "$SLAPD_BIND_PASSWORD" "$tmp/all-output" && fail "the service account's password appears in the output"
echo "policy_ldap: ok"
