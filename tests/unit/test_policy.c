/*
 * test_policy.c - who may fax, without a directory server: network lists, sender lists, the
 * identity rules (forged senders from outside never identify anyone), deny by default, the cache,
 * filter escaping and the directory's set-up checks. tests/e2e/policy_ldap.sh covers a real slapd.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "directory/directory_int.h"
#include "policy/netlist.h"
#include "policy/policy.h"
#include "policy/policy_cache.h"
#include "policy/senderlist.h"
#include "testdir.h"
#include "util/log.h"

static int nl_parse(const char *list, struct netlist *nl)
{
	struct buf err = BUF_INIT;
	int rc = netlist_parse(list, nl, &err);

	if (rc < 0)
		assert_non_null(strstr(buf_cstr(&err), "'"));
	buf_free(&err);
	return rc;
}

static void test_netlist_parse(void **state)
{
	static const char *const bad[] = {
	    "192.0.2.0/33", "192.0.2.1/24", "2001:db8::/129", "2001:db8::1/32", "300.1.1.1",
	    "10.0.0.0/",    "10.0.0.0/+8",  "10.0.0.0/-1",    "10.0.0.0/8/8",   "1.2.3",
	    "abc",          "fe80::1%eth0", "[10.0.0.1",      "10.0.0.0/1000",  "/8",
	    "IPv6:",        "[]",
	};
	struct netlist nl;

	(void)state;
	assert_int_equal(
	    nl_parse("192.0.2.0/24 2001:db8::/32, 10.0.0.1,,[2001:db8:1::]/48\tIPv6:2001:db8:2::/48 "
	             "::ffff:198.51.100.0/120 [IPv6:2001:db8:3::1] 0.0.0.0/0",
	             &nl),
	    0);
	assert_int_equal(nl.n, 8);
	assert_int_equal(nl.v[0].prefix, 120);
	assert_int_equal(nl.v[2].prefix, 128);
	assert_int_equal(nl.v[7].prefix, 96);
	netlist_free(&nl);

	assert_int_equal(nl_parse("", &nl), 0);
	assert_int_equal(nl.n, 0);
	assert_false(netlist_match(&nl, "192.0.2.1"));
	netlist_free(&nl);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (nl_parse(bad[i], &nl) == 0)
			fail_msg("'%s' accepted as a network", bad[i]);
		assert_null(nl.v);
	}
}

static void test_netlist_match(void **state)
{
	struct netlist nl;
	struct buf b = BUF_INIT;
	unsigned char a[16];

	(void)state;
	assert_int_equal(nl_parse("192.0.2.0/24 2001:db8::/32 ::ffff:198.51.100.0/120 203.0.113.9", &nl), 0);
	assert_true(netlist_match(&nl, "192.0.2.0"));
	assert_true(netlist_match(&nl, "192.0.2.255"));
	assert_false(netlist_match(&nl, "192.0.3.0"));
	assert_false(netlist_match(&nl, "192.0.1.255"));
	/* IPv4 clients on an IPv6 socket, and an IPv4 network written as mapped IPv6. */
	assert_true(netlist_match(&nl, "::ffff:192.0.2.7"));
	assert_true(netlist_match(&nl, "::FFFF:192.0.2.7"));
	assert_true(netlist_match(&nl, "198.51.100.200"));
	assert_false(netlist_match(&nl, "198.51.101.1"));
	assert_true(netlist_match(&nl, "203.0.113.9"));
	assert_false(netlist_match(&nl, "203.0.113.8"));
	/* The forms MTAs hand over. */
	assert_true(netlist_match(&nl, "2001:db8:ffff::1"));
	assert_true(netlist_match(&nl, "IPv6:2001:db8::5"));
	assert_true(netlist_match(&nl, "ipv6:2001:DB8::5"));
	assert_true(netlist_match(&nl, "[2001:db8::5]"));
	assert_true(netlist_match(&nl, "[IPv6:2001:db8::5]"));
	assert_false(netlist_match(&nl, "2001:db9::1"));
	/* IPv4-compatible is not IPv4-mapped. */
	assert_false(netlist_match(&nl, "::192.0.2.7"));
	/* Not addresses: in no network. */
	assert_false(netlist_match(&nl, NULL));
	assert_false(netlist_match(&nl, ""));
	assert_false(netlist_match(&nl, "unknown"));
	assert_false(netlist_match(&nl, "192.0.2.7 "));
	assert_false(netlist_match(&nl, "192.0.2.7/32"));
	assert_false(netlist_match(&nl, "[192.0.2.7"));
	netlist_free(&nl);

	/* /0 of IPv4 is every IPv4 client, yet no IPv6 one; ::/0 is everyone. */
	assert_int_equal(nl_parse("0.0.0.0/0", &nl), 0);
	assert_true(netlist_match(&nl, "255.255.255.255"));
	assert_true(netlist_match(&nl, "::ffff:10.0.0.1"));
	assert_false(netlist_match(&nl, "2001:db8::1"));
	netlist_free(&nl);
	assert_int_equal(nl_parse("::/0", &nl), 0);
	assert_true(netlist_match(&nl, "2001:db8::1"));
	assert_true(netlist_match(&nl, "10.0.0.1"));
	netlist_free(&nl);

	assert_int_equal(netlist_addr_parse("::ffff:192.0.2.7", 16, a), 0);
	netlist_addr_format(a, &b);
	assert_string_equal(buf_cstr(&b), "192.0.2.7");
	buf_reset(&b);
	assert_int_equal(netlist_addr_parse("[IPv6:2001:DB8:0::1]", 20, a), 0);
	netlist_addr_format(a, &b);
	assert_string_equal(buf_cstr(&b), "2001:db8::1");
	buf_free(&b);
}

static void test_senderlist(void **state)
{
	static const char *const bad[] = {"a@", "@", "a@b@c", "@@x"};
	struct senderlist sl;
	struct buf err = BUF_INIT;

	(void)state;
	assert_int_equal(senderlist_parse("Anna@Example.com, @Sales.Example.COM jdoe", &sl, &err), 0);
	assert_int_equal(sl.n, 3);
	assert_true(senderlist_match(&sl, "anna@example.com"));
	assert_true(senderlist_match(&sl, "ANNA@EXAMPLE.COM"));
	assert_false(senderlist_match(&sl, "anna@example.org"));
	assert_false(senderlist_match(&sl, "xanna@example.com"));
	assert_true(senderlist_match(&sl, "bob@sales.example.com"));
	assert_false(senderlist_match(&sl, "bob@x.sales.example.com"));
	assert_false(senderlist_match(&sl, "bob@example.com"));
	assert_true(senderlist_match(&sl, "JDoe"));
	assert_false(senderlist_match(&sl, "jdoe@example.com"));
	assert_false(senderlist_match(&sl, ""));
	senderlist_free(&sl);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&err);
		if (senderlist_parse(bad[i], &sl, &err) == 0)
			fail_msg("'%s' accepted as a sender", bad[i]);
		assert_non_null(strstr(buf_cstr(&err), bad[i]));
	}
	buf_free(&err);
}

/*
 * A configuration: the defaults with loopback as a trusted relay (the cases' local mail server),
 * then "key=value" pairs up to a NULL or n of them.
 */
static void conf_with_list(struct conf *c, const char *const *kv, size_t n)
{
	struct buf err = BUF_INIT;

	assert_int_equal(conf_load(c, NULL, &err), 0);
	assert_int_equal(cfg_set(conf_keys, c, "policy_trusted_networks", "127.0.0.0/8 ::1", &err), 0);
	for (size_t i = 0; i < n && kv[i]; i++) {
		const char *eq = strchr(kv[i], '=');
		char key[64];

		assert_non_null(eq);
		snprintf(key, sizeof(key), "%.*s", (int)(eq - kv[i]), kv[i]);
		if (cfg_set(conf_keys, c, key, eq + 1, &err) < 0)
			fail_msg("%s: %s", kv[i], buf_cstr(&err));
	}
	buf_free(&err);
}

static void conf_with(struct conf *c, ...)
{
	const char *kv[16];
	size_t n = 0;
	va_list ap;

	va_start(ap, c);
	while (n < 16 && (kv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	conf_with_list(c, kv, n);
}

static struct policy *open_policy(struct conf *c)
{
	struct policy *p = NULL;
	struct buf err = BUF_INIT;

	if (policy_open(c, &p, &err) < 0)
		fail_msg("policy_open: %s", buf_cstr(&err));
	buf_free(&err);
	return p;
}

/* policy_check; *identity or the reason compared with want (NULL: do not compare). */
static void expect(struct policy *p, const char *addr, const char *auth, const char *sender,
                   enum policy_rc want_rc, const char *want)
{
	struct policy_client c = {addr, auth, sender};
	struct buf why = BUF_INIT;
	char *identity = (char *)"untouched";
	enum policy_rc rc = policy_check(p, &c, &identity, &why);

	if (rc != want_rc)
		fail_msg("client %s auth %s sender %s: rc %d, not %d (%s)", addr ? addr : "-",
		         auth ? auth : "-", sender, rc, want_rc, buf_cstr(&why));
	if (rc == POLICY_ALLOW) {
		assert_non_null(identity);
		if (want)
			assert_string_equal(identity, want);
		free(identity);
	} else {
		assert_null(identity);
		assert_true(why.len > 0);
		if (want && !strstr(buf_cstr(&why), want))
			fail_msg("reason '%s' lacks '%s'", buf_cstr(&why), want);
	}
	buf_free(&why);
}

static void test_deny_by_default(void **state)
{
	struct conf c;
	struct policy *p;

	(void)state;
	conf_with(&c, NULL);
	p = open_policy(&c);
	expect(p, "127.0.0.1", NULL, "root@localhost", POLICY_DENY, "root@localhost is not allowed");
	expect(p, "127.0.0.1", "admin", "admin@example.com", POLICY_DENY, "admin is not allowed");
	expect(p, "192.0.2.1", NULL, "anna@example.com", POLICY_DENY, "authentication");
	expect(p, NULL, NULL, "", POLICY_DENY, NULL);
	policy_close(p);
	conf_free(&c);
}

static void test_identity_rules(void **state)
{
	struct conf c;
	struct policy *p;

	(void)state;
	conf_with(&c, "policy_trusted_networks=10.1.0.0/16 2001:db8:1::/48",
	          "policy_allow_senders=anna@example.com, jdoe", NULL);
	p = open_policy(&c);
	/* The internal relay's sender is believed, also over IPv6 and IPv4-mapped. */
	expect(p, "10.1.2.3", NULL, "Anna@Example.com", POLICY_ALLOW, "anna@example.com");
	expect(p, "::ffff:10.1.2.3", NULL, "anna@example.com", POLICY_ALLOW, "anna@example.com");
	expect(p, "IPv6:2001:db8:1::25", NULL, "anna@example.com", POLICY_ALLOW, "anna@example.com");
	/* The same sender from anywhere else is forged until proven otherwise. */
	expect(p, "192.0.2.66", NULL, "anna@example.com", POLICY_DENY, "authentication");
	expect(p, "::ffff:192.0.2.66", NULL, "anna@example.com", POLICY_DENY, "authentication");
	expect(p, "127.0.0.1", NULL, "anna@example.com", POLICY_DENY, "authentication");
	expect(p, NULL, NULL, "anna@example.com", POLICY_DENY, "authentication");
	expect(p, "garbage", NULL, "anna@example.com", POLICY_DENY, "authentication");
	/* Authenticated: the login is the identity, the envelope does not matter. */
	expect(p, "192.0.2.66", "jdoe", "anna@example.com", POLICY_ALLOW, "jdoe");
	expect(p, "192.0.2.66", "JDoe", "", POLICY_ALLOW, "jdoe");
	expect(p, "192.0.2.66", "mallory", "anna@example.com", POLICY_DENY, "mallory is not allowed");
	expect(p, "10.1.2.3", "mallory", "anna@example.com", POLICY_DENY, "mallory is not allowed");
	/* An empty login is no login. */
	expect(p, "10.1.2.3", "", "anna@example.com", POLICY_ALLOW, "anna@example.com");
	/* The null sender (bounces) has no identity. */
	expect(p, "10.1.2.3", NULL, "", POLICY_DENY, "authentication");
	/* Identities that cannot be addresses or logins. */
	expect(p, "10.1.2.3", NULL, "anna@example.com\r\nX: y", POLICY_DENY, "not valid");
	expect(p, "10.1.2.3", NULL, "@example.com", POLICY_DENY, "not valid");
	expect(p, "192.0.2.66", "jd oe", "", POLICY_DENY, "not valid");
	char longid[400];
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	expect(p, "192.0.2.66", longid, "", POLICY_DENY, "not valid");
	policy_close(p);
	conf_free(&c);
}

static void test_allow_lists(void **state)
{
	struct conf c;
	struct policy *p;

	(void)state;
	conf_with(&c, "policy_allow_senders=@Example.COM user@other.org",
	          "policy_allow_networks=192.0.2.0/28 2001:db8:5::/64", "policy_allow_authenticated=no",
	          NULL);
	p = open_policy(&c);
	expect(p, "127.0.0.1", NULL, "Bob@EXAMPLE.com", POLICY_ALLOW, "bob@example.com");
	expect(p, "127.0.0.1", NULL, "bob@sub.example.com", POLICY_DENY, "not allowed");
	expect(p, "127.0.0.1", NULL, "USER@other.org", POLICY_ALLOW, "user@other.org");
	expect(p, "127.0.0.1", NULL, "user2@other.org", POLICY_DENY, "not allowed");
	/* Authentication alone allows nothing here. */
	expect(p, "198.51.100.1", "bob", "bob@example.com", POLICY_DENY, "bob is not allowed");
	/* Network rule: anyone, counted per client unless someone is identified. */
	expect(p, "192.0.2.9", NULL, "scanner@nowhere.test", POLICY_ALLOW, "client:192.0.2.9");
	expect(p, "::ffff:192.0.2.9", NULL, "", POLICY_ALLOW, "client:192.0.2.9");
	expect(p, "[IPv6:2001:db8:5::a]", NULL, "x@y.z", POLICY_ALLOW, "client:2001:db8:5::a");
	expect(p, "192.0.2.9", "Bob", "x@y.z", POLICY_ALLOW, "bob");
	expect(p, "192.0.2.16", NULL, "scanner@nowhere.test", POLICY_DENY, "authentication");
	policy_close(p);
	conf_free(&c);

	conf_with(&c, "policy_allow_authenticated=yes", "policy_trusted_networks=", NULL);
	p = open_policy(&c);
	expect(p, "198.51.100.1", "Someone", "x@y.z", POLICY_ALLOW, "someone");
	expect(p, "127.0.0.1", NULL, "root@localhost", POLICY_DENY, "authentication");
	policy_close(p);
	conf_free(&c);
}

static void open_fails(struct conf *c, const char *want)
{
	struct policy *p = NULL;
	struct buf err = BUF_INIT;

	if (policy_open(c, &p, &err) == 0)
		fail_msg("policy_open accepted a configuration that should fail with '%s'", want);
	assert_null(p);
	if (!strstr(buf_cstr(&err), want))
		fail_msg("error '%s' lacks '%s'", buf_cstr(&err), want);
	buf_free(&err);
	conf_free(c);
}

#define GROUP   "policy_ldap_group=CN=Fax,DC=example,DC=com"
#define URI     "ldap_uri=ldap://dc1/"
#define BIND_DN "ldap_bind_dn=CN=svc,DC=example,DC=com"

static void test_bad_setup(void **state)
{
	char dir[64], pw[128], empty[128], cmd[300], missing[300];
	struct conf c;
	FILE *f;

	(void)state;
	assert_int_equal(testdir_make(dir, sizeof(dir), "test_policy"), 0);
	snprintf(pw, sizeof(pw), "%s/pw", dir);
	snprintf(empty, sizeof(empty), "%s/empty", dir);
	f = fopen(pw, "w");
	assert_non_null(f);
	fputs("Secret-1\n", f);
	fclose(f);
	chmod(pw, 0600);
	f = fopen(empty, "w");
	assert_non_null(f);
	fputs("\n", f);
	fclose(f);

	snprintf(missing, sizeof(missing), "ldap_bind_password_file=%s/missing", dir);
	snprintf(cmd, sizeof(cmd), "ldap_bind_password_file=%s", empty);
	const struct {
		const char *kv[4];
		const char *want;
	} bad[] = {
	    {{"policy_trusted_networks=10.0.0.0/33"}, "policy_trusted_networks: '10.0.0.0/33'"},
	    {{"policy_allow_networks=10.1.1.1/16"}, "policy_allow_networks: '10.1.1.1/16' has bits set"},
	    {{"policy_allow_senders=a@b@c"}, "policy_allow_senders"},
	    {{GROUP}, "needs ldap_uri"},
	    {{"policy_ldap_group=not a dn", URI}, "not a DN"},
	    {{GROUP, "ldap_uri=http://dc1/"}, "ldap_uri: 'http://dc1/'"},
	    {{GROUP, "ldap_uri=ldaps://dc1/", "ldap_starttls=yes"}, "ldap_starttls must be off"},
	    {{GROUP, URI, BIND_DN}, "needs ldap_bind_password_file"},
	    {{GROUP, URI, BIND_DN, missing}, "No such file"},
	    {{GROUP, URI, BIND_DN, cmd}, "one line"},
	    {{GROUP, URI, "ldap_user_filter=(mail=*)"}, "no %s"},
	    {{GROUP, URI, "ldap_user_filter=(|(mail=%s)(uid=%d))"}, "only %s"},
	    {{GROUP, URI, "ldap_user_filter=(|(mail=%s)"}, "unbalanced"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		conf_with_list(&c, bad[i].kv, 4);
		open_fails(&c, bad[i].want);
	}

	/* A good one: two servers, the password read; nothing is contacted yet. */
	snprintf(cmd, sizeof(cmd), "ldap_bind_password_file=%s", pw);
	conf_with(&c, GROUP, "ldap_uri=ldap://dc1/, ldaps://dc2:636", BIND_DN, cmd, NULL);
	struct directory *d = NULL;
	struct buf err = BUF_INIT;
	assert_int_equal(directory_open(&c, &d, &err), 0);
	assert_non_null(d);
	assert_string_equal(d->password, "Secret-1");
	assert_string_equal(d->uri, "ldap://dc1/ ldaps://dc2:636");
	directory_close(d);
	conf_free(&c);
	/* No ldap_uri: no directory, and no error. */
	conf_with(&c, NULL);
	assert_int_equal(directory_open(&c, &d, &err), 0);
	assert_null(d);
	conf_free(&c);
	buf_free(&err);
	assert_int_equal(testdir_remove(dir), 0);
}

/* A directory that cannot be reached: TEMPFAIL for what needs it, answers for what does not. */
static void test_directory_down(void **state)
{
	struct conf c;
	struct policy *p;

	(void)state;
	conf_with(&c, "policy_ldap_group=CN=Fax,DC=example,DC=com", "ldap_uri=ldap://127.0.0.1:1/",
	          "ldap_timeout=1s", "policy_allow_senders=@allowed.test", NULL);
	p = open_policy(&c);
	expect(p, "127.0.0.1", NULL, "anna@example.com", POLICY_TEMPFAIL, "try again later");
	/* Not cached: asked again, failing again. */
	expect(p, "127.0.0.1", NULL, "anna@example.com", POLICY_TEMPFAIL, "try again later");
	expect(p, "192.0.2.1", "anna", "", POLICY_TEMPFAIL, NULL);
	expect(p, "127.0.0.1", NULL, "x@allowed.test", POLICY_ALLOW, "x@allowed.test");
	/* No identity: denied at once, the directory is not even asked. */
	expect(p, "192.0.2.1", NULL, "anna@example.com", POLICY_DENY, "authentication");
	policy_close(p);
	conf_free(&c);
}

static void test_escape(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	directory_escape("*)(mail=*", &b);
	assert_string_equal(buf_cstr(&b), "\\2A\\29\\28mail=\\2A");
	buf_reset(&b);
	directory_escape("a\\b", &b);
	assert_string_equal(buf_cstr(&b), "a\\5Cb");
	buf_reset(&b);
	directory_filter_fill("(|(mail=%s)(x=100%%)(proxyAddresses=smtp:%s))", "a*b", &b);
	assert_string_equal(buf_cstr(&b), "(|(mail=a\\2Ab)(x=100%)(proxyAddresses=smtp:a\\2Ab))");
	buf_free(&b);
}

static void test_dn_key(void **state)
{
	char *a = directory_dn_key("CN=Anna Berg,OU=Users,DC=example,DC=com");
	char *b = directory_dn_key("cn=anna berg, ou=users, dc=Example, dc=COM");
	char *c = directory_dn_key("cn=Anna Bergmann,ou=Users,dc=example,dc=com");

	(void)state;
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	free(a);
	free(b);
	free(c);
}

static void test_cache(void **state)
{
	struct policy_cache *c = policy_cache_new(60, 3);
	char key[16];
	int v = 0;

	(void)state;
	assert_false(policy_cache_get(c, "a", 1000, &v));
	policy_cache_put(c, "a", 1, 1000);
	assert_true(policy_cache_get(c, "a", 1059, &v));
	assert_int_equal(v, 1);
	assert_false(policy_cache_get(c, "a", 1060, &v));
	policy_cache_put(c, "a", 2, 1010);
	assert_true(policy_cache_get(c, "a", 1060, &v));
	assert_int_equal(v, 2);
	/* Full: the entry that expires first goes. */
	policy_cache_put(c, "b", 3, 1001);
	policy_cache_put(c, "c", 4, 1002);
	assert_int_equal(policy_cache_count(c), 3);
	policy_cache_put(c, "d", 5, 1003);
	assert_int_equal(policy_cache_count(c), 3);
	assert_false(policy_cache_get(c, "b", 1003, &v));
	assert_true(policy_cache_get(c, "a", 1003, &v));
	assert_true(policy_cache_get(c, "d", 1003, &v));
	/* Expired entries make room first. */
	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		policy_cache_put(c, key, i, 2000 + i * 100);
		assert_true(policy_cache_count(c) <= 3);
		assert_true(policy_cache_get(c, key, 2000 + i * 100, &v));
		assert_int_equal(v, i);
	}
	policy_cache_free(c);

	/* ttl 0: nothing is kept. */
	c = policy_cache_new(0, 10);
	policy_cache_put(c, "a", 1, 1000);
	assert_false(policy_cache_get(c, "a", 1000, &v));
	assert_int_equal(policy_cache_count(c), 0);
	policy_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_netlist_parse),  cmocka_unit_test(test_netlist_match),
	    cmocka_unit_test(test_senderlist),     cmocka_unit_test(test_deny_by_default),
	    cmocka_unit_test(test_identity_rules), cmocka_unit_test(test_allow_lists),
	    cmocka_unit_test(test_bad_setup),      cmocka_unit_test(test_directory_down),
	    cmocka_unit_test(test_escape),         cmocka_unit_test(test_dn_key),
	    cmocka_unit_test(test_cache),
	};

	log_open("test_policy", LOG_TO_STDERR, "mail");
	log_set_level(LOG_LVL_WARNING);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
