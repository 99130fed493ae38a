# shellcheck shell=bash
# slapd.sh - a private OpenLDAP server standing in for Active Directory and Domino, for tests.
# Sourced, never run by itself (so it is not executable, and tests/run-all passes it by).
#
#   . "$FAXGATE_SRC/tests/e2e/slapd.sh"
#   slapd_start DIR     build a server in DIR (must exist, empty) and start it; 0, or 1 with why
#   slapd_stop          stop it by its PID (safe to call twice; call it from your EXIT trap)
#   slapd_restart       start it again on the same port with the same data
#   slapd_available     0 when slapd, slapadd and ldapsearch are installed (else: skip the test)
#
# After slapd_start these are set (and exported):
#   SLAPD_URI           ldap://127.0.0.1:PORT/ (a free port chosen at random; StartTLS offered)
#   SLAPD_LDAPS_URI     ldaps://127.0.0.1:PORT2/
#   SLAPD_CA_FILE       the private CA that signed the server's certificate (for 127.0.0.1)
#   SLAPD_AD_BASE       DC=example,DC=com  - Active Directory-like (tests/fixtures/ldap/ad.ldif)
#   SLAPD_DOMINO_BASE   O=Example          - Domino-like (tests/fixtures/ldap/domino.ldif)
#   SLAPD_BIND_DN       the service account that may read both trees
#   SLAPD_BIND_PWFILE   a file (mode 600) holding its password (no newline: ldapsearch -y takes it)
#   SLAPD_BIND_PASSWORD the password itself (random per start), to check it never leaks
#   SLAPD_PID, SLAPD_DIR
#
# Like AD, the server refuses every search without a bind (requires authc) and shows the data
# only to the service account. cn=config is built offline with slapadd -n 0; the stock core
# schema is copied with facsimileTelephoneNumber given matching rules (the stock one has none,
# so a filter on it would silently match nothing), then cosine, inetorgperson and the private
# AD-like and Domino-like schemas of tests/fixtures/ldap are loaded. Fax numbers in the data are
# in free form, as directories hold them. SLAPD_LOGLEVEL (default none) is slapd's log level;
# its output goes to DIR/slapd.log.

slapd_fixtures=$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures/ldap" && pwd)
SLAPD_AD_BASE='DC=example,DC=com'
SLAPD_DOMINO_BASE='O=Example'
SLAPD_BIND_DN='CN=svc-fax,OU=Service Accounts,DC=example,DC=com'
SLAPD_PID=
export SLAPD_AD_BASE SLAPD_DOMINO_BASE SLAPD_BIND_DN

slapd_available() {
	[ -x /usr/sbin/slapd ] && [ -x /usr/sbin/slapadd ] && command -v ldapsearch >/dev/null
}

# The cn=config tree: back_mdb, the schemas, one database per tree, the access rules.
slapd_config_ldif() {
	local dir=$1 db suffix n=0
	cat <<EOF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $dir/slapd.pid
olcLogLevel: ${SLAPD_LOGLEVEL:-none}
olcTLSCACertificateFile: $dir/tls/ca.pem
olcTLSCertificateFile: $dir/tls/server.pem
olcTLSCertificateKeyFile: $dir/tls/server.key

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file://$dir/schema/core.ldif

include: file:///etc/ldap/schema/cosine.ldif

include: file:///etc/ldap/schema/inetorgperson.ldif

include: file://$slapd_fixtures/ad-schema.ldif

include: file://$slapd_fixtures/domino-schema.ldif

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend
olcAccess: {0}to dn.base="" by * read
olcAccess: {1}to dn.base="cn=subschema" by * read

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by * none

EOF
	for db in ad domino; do
		n=$((n + 1))
		if [ $db = ad ]; then suffix=$SLAPD_AD_BASE; else suffix=$SLAPD_DOMINO_BASE; fi
		mkdir -p "$dir/$db"
		cat <<EOF
dn: olcDatabase={$n}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {$n}mdb
olcSuffix: $suffix
olcDbDirectory: $dir/$db
olcDbMaxSize: 16777216
olcDbIndex: objectClass eq
olcDbIndex: member eq
olcDbIndex: mail,uid,sAMAccountName,userPrincipalName,proxyAddresses eq
olcRequires: authc
olcAccess: {0}to attrs=userPassword by anonymous auth by * none
olcAccess: {1}to * by dn.exact="$SLAPD_BIND_DN" read by * none

EOF
	done
}

# A private CA and a certificate for 127.0.0.1 signed by it.
slapd_tls_setup() {
	local t=$1/tls
	mkdir -p "$t"
	(
		cd "$t" &&
			openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
				-subj '/CN=faxgate test CA' -keyout ca.key -out ca.pem &&
			openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
				-subj '/CN=127.0.0.1' -keyout server.key -out server.csr &&
			printf 'subjectAltName = IP:127.0.0.1, DNS:localhost\n' >ext.cnf &&
			openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
				-extfile ext.cnf -out server.pem
	) >"$1/tls.log" 2>&1 || { echo "slapd_start: cannot make certificates: $(cat "$1/tls.log")" >&2; return 1; }
	SLAPD_CA_FILE=$t/ca.pem
	export SLAPD_CA_FILE
}

# Start slapd on $SLAPD_PORT; wait until it answers. 1 if it died (port taken) or never answered.
slapd_run() {
	/usr/sbin/slapd -F "$SLAPD_DIR/config" -h "$SLAPD_URI $SLAPD_LDAPS_URI" -d 0 >>"$SLAPD_DIR/slapd.log" 2>&1 &
	SLAPD_PID=$!
	export SLAPD_PID
	for _ in $(seq 100); do
		if ldapsearch -LLL -x -H "$SLAPD_URI" -s base -b '' namingContexts >/dev/null 2>&1; then
			return 0
		fi
		grep -q '^State:.*Z' "/proc/$SLAPD_PID/status" 2>/dev/null && break
		[ -e "/proc/$SLAPD_PID" ] || break
		sleep 0.05
	done
	slapd_stop
	return 1
}

slapd_start() {
	local dir=$1
	SLAPD_DIR=$(cd "$dir" && pwd) || return 1
	export SLAPD_DIR
	mkdir -p "$SLAPD_DIR/config" "$SLAPD_DIR/schema"
	sed '/NAME ( .facsimileTelephoneNumber. .fax. )/,/SYNTAX/ s/SYNTAX 1.3.6.1.4.1.1466.115.121.1.22 )/EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )/' \
		/etc/ldap/schema/core.ldif >"$SLAPD_DIR/schema/core.ldif"
	grep -q 'caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )' "$SLAPD_DIR/schema/core.ldif" ||
		{ echo "slapd_start: cannot patch facsimileTelephoneNumber in core.ldif" >&2; return 1; }
	slapd_tls_setup "$SLAPD_DIR" || return 1
	slapd_config_ldif "$SLAPD_DIR" >"$SLAPD_DIR/config.ldif"
	/usr/sbin/slapadd -n 0 -F "$SLAPD_DIR/config" -l "$SLAPD_DIR/config.ldif" >"$SLAPD_DIR/slapadd.log" 2>&1 ||
		{ echo "slapd_start: slapadd -n 0: $(cat "$SLAPD_DIR/slapadd.log")" >&2; return 1; }

	SLAPD_BIND_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
	export SLAPD_BIND_PASSWORD
	SLAPD_BIND_PWFILE=$SLAPD_DIR/bind.pw
	export SLAPD_BIND_PWFILE
	(umask 077 && printf '%s' "$SLAPD_BIND_PASSWORD" >"$SLAPD_BIND_PWFILE")
	{
		cat "$slapd_fixtures/ad.ldif"
		printf '\ndn: OU=Service Accounts,%s\nobjectClass: organizationalUnit\nou: Service Accounts\n' \
			"$SLAPD_AD_BASE"
		printf '\ndn: %s\nobjectClass: user\ncn: svc-fax\nsn: svc-fax\nsAMAccountName: svc-fax\n' "$SLAPD_BIND_DN"
		printf 'userAccountControl: 66048\nuserPassword: %s\n' "$(/usr/sbin/slappasswd -s "$SLAPD_BIND_PASSWORD")"
	} >"$SLAPD_DIR/ad-data.ldif"
	if ! /usr/sbin/slapadd -q -n 1 -F "$SLAPD_DIR/config" -l "$SLAPD_DIR/ad-data.ldif" >>"$SLAPD_DIR/slapadd.log" 2>&1 ||
		! /usr/sbin/slapadd -q -n 2 -F "$SLAPD_DIR/config" -l "$slapd_fixtures/domino.ldif" \
			>>"$SLAPD_DIR/slapadd.log" 2>&1; then
		echo "slapd_start: slapadd: $(cat "$SLAPD_DIR/slapadd.log")" >&2
		return 1
	fi

	for _ in 1 2 3 4 5; do
		SLAPD_PORT=$((20000 + RANDOM % 40000))
		SLAPD_URI=ldap://127.0.0.1:$SLAPD_PORT/
		SLAPD_LDAPS_URI=ldaps://127.0.0.1:$((SLAPD_PORT + 1))/
		export SLAPD_PORT SLAPD_URI SLAPD_LDAPS_URI
		slapd_run && return 0
	done
	echo "slapd_start: slapd does not start: $(tail -n 5 "$SLAPD_DIR/slapd.log")" >&2
	return 1
}

slapd_restart() {
	[ -n "${SLAPD_DIR:-}" ] || return 1
	slapd_run
}

slapd_stop() {
	[ -n "${SLAPD_PID:-}" ] || return 0
	kill "$SLAPD_PID" 2>/dev/null || true
	for _ in $(seq 100); do
		[ -e "/proc/$SLAPD_PID" ] || break
		grep -q '^State:.*Z' "/proc/$SLAPD_PID/status" 2>/dev/null && break
		sleep 0.05
	done
	kill -9 "$SLAPD_PID" 2>/dev/null || true # usually gone by now; safe under set -e
	wait "$SLAPD_PID" 2>/dev/null || true
	SLAPD_PID=
	return 0
}
