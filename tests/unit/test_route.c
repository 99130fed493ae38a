/*
 * test_route.c - where received faxes go, without a directory server: numbers as people write
 * them (cleaning, E.164 through the dial plan, last digits), inbound_routes parsing and its
 * errors, the order (sub-address, number, directory, catch-all), routing codes, the catch-all
 * and its fall-back to alert_to, a directory that cannot be reached (a temporary failure, never
 * the catch-all), and the answer cache. tests/e2e/mailgate_route.sh covers a real slapd.
 *
 * Also faxmailgate's inbound step (mailgate/inbound.c, compiled in here) against a SQLite queue:
 * routed faxes become "mailed" with their mail in the outbox, oldest first and a bounded batch
 * a round; unrouted ones "unrouted" with an event; damaged pages still reach the recipient; a
 * directory that is down leaves the fax "new"; a fax another mailgate took is not mailed twice.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "../../mailgate/inbound.c"
#include "conf/conf.h"
#include "queue/queue_store.h"
#include "render/bitmap.h"
#include "render/mmr.h"
#include "route/route.h"
#include "route/route_cache.h"
#include "route/route_int.h"
#include "route/route_number.h"
#include "testdir.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Berlin's dial plan, then "key=value" pairs up to NULL. */
static void conf_with(struct conf *c, ...)
{
	struct buf err = BUF_INIT;
	const char *kv;
	va_list ap;

	assert_int_equal(conf_load(c, NULL, &err), 0);
	assert_int_equal(cfg_set(conf_keys, c, "dial_country_code", "49", &err), 0);
	assert_int_equal(cfg_set(conf_keys, c, "dial_area_code", "30", &err), 0);
	va_start(ap, c);
	while ((kv = va_arg(ap, const char *))) {
		const char *eq = strchr(kv, '=');
		char key[64];

		assert_non_null(eq);
		snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
		if (cfg_set(conf_keys, c, key, eq + 1, &err) < 0)
			fail_msg("%s: %s", kv, buf_cstr(&err));
	}
	va_end(ap);
	buf_free(&err);
}

static struct router *open_router(const struct conf *c)
{
	struct router *r = NULL;
	struct buf err = BUF_INIT;

	if (route_open(c, &r, &err) < 0)
		fail_msg("route_open: %s", buf_cstr(&err));
	buf_free(&err);
	return r;
}

/* route_find must answer OK with source and exactly the addresses of want (blank-separated). */
static void expect(struct router *r, const char *called, const char *sub, enum route_source source,
                   const char *want, const char *note)
{
	struct route_result res;
	struct buf err = BUF_INIT, got = BUF_INIT;

	if (route_find(r, called, sub, &res, &err) != ROUTE_OK)
		fail_msg("route %s/%s: %s", called ? called : "NULL", sub ? sub : "-", buf_cstr(&err));
	for (size_t i = 0; i < res.n; i++)
		buf_printf(&got, "%s%s", i ? " " : "", res.addrs[i]);
	if (res.source != source || strcmp(buf_cstr(&got), want) != 0)
		fail_msg("route %s/%s: %s [%s], not %s [%s] (%s)", called ? called : "NULL", sub ? sub : "-",
		         route_source_name(res.source), buf_cstr(&got), route_source_name(source), want,
		         res.note ? res.note : "");
	assert_non_null(res.note);
	if (note && !strstr(res.note, note))
		fail_msg("route %s: note '%s' lacks '%s'", called ? called : "NULL", res.note, note);
	route_result_free(&res);
	buf_free(&err);
	buf_free(&got);
}

static void test_number_clean(void **state)
{
	static const struct {
		const char *in, *out; /* out NULL: refused */
	} cases[] = {
	    {"+49 30 1234-100", "+49301234100"},
	    {"+49 (0)30 1234 100", "+49301234100"},
	    {"+49 (30) 1234-201", "+49301234201"},
	    {"(030) 1234 102", "0301234102"},
	    {"0049 30 1234 103", "0049301234103"},
	    {"030/1234-103", "0301234103"},
	    {"  +49.30.1234.100\t", "+49301234100"},
	    {"104", "104"},
	    {"(0)30 1234", "0301234"}, /* only after a country code is (0) dropped */
	    {"12345678901234567890", "12345678901234567890"},
	    {"123456789012345678901", NULL},
	    {"", NULL},
	    {"+", NULL},
	    {" - ", NULL},
	    {"+49 30 1234 100 ext. 5", NULL},
	    {"1+2", NULL},
	    {"(030", NULL},
	    {"030)", NULL},
	    {"((030))", NULL},
	    {"1*2", NULL},
	    {"*)(mail=*", NULL},
	};
	char out[ROUTE_NUMBER_SIZE];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool ok = route_number_clean(cases[i].in, strlen(cases[i].in), out);

		if (ok != (cases[i].out != NULL))
			fail_msg("'%s': %s", cases[i].in, ok ? "accepted" : "refused");
		if (ok && strcmp(out, cases[i].out) != 0)
			fail_msg("'%s' -> '%s', not '%s'", cases[i].in, out, cases[i].out);
	}
	/* Only len bytes are read: "100" of "1000". */
	assert_true(route_number_clean("1000", 3, out));
	assert_string_equal(out, "100");
}

static void test_number_e164(void **state)
{
	static const struct {
		const char *clean, *e164; /* e164 NULL: cannot be read */
	} cases[] = {
	    {"+49301234100", "+49301234100"},
	    {"1234100", "+49301234100"},    /* local, in area 30 */
	    {"0301234102", "+49301234102"}, /* national */
	    {"0049301234103", "+49301234103"},
	    {"0891234567", "+49891234567"},
	    /* The dial policy does not apply: these may not be faxed to, but they are numbers. */
	    {"00442079460123", "+442079460123"},
	    {"+442079460123", "+442079460123"},
	    {"09001234567", "+499001234567"},
	    {"0", NULL},
	    {"00", NULL},
	    {"+999123", NULL},
	};
	struct conf c;
	char out[ROUTE_NUMBER_SIZE];

	(void)state;
	conf_with(&c, "dial_allow_international=no", "dial_allow_premium=no", "dial_deny_prefixes=+4989",
	          NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool ok = route_number_e164(&c, cases[i].clean, out);

		if (ok != (cases[i].e164 != NULL))
			fail_msg("'%s': %s", cases[i].clean, ok ? out : "not read");
		if (ok && strcmp(out, cases[i].e164) != 0)
			fail_msg("'%s' -> '%s', not '%s'", cases[i].clean, out, cases[i].e164);
	}
	assert_true(route_number_is_local(&c, "1234100"));
	assert_false(route_number_is_local(&c, "0301234100"));
	assert_false(route_number_is_local(&c, "+49301234100"));
	assert_false(route_number_is_local(&c, "0049301234100"));
	conf_free(&c);

	/* Without a country code only international numbers can be read. */
	conf_with(&c, "dial_country_code=", "dial_area_code=", NULL);
	assert_false(route_number_e164(&c, "1234100", out));
	assert_true(route_number_e164(&c, "+49301234100", out));
	assert_string_equal(out, "+49301234100");
	conf_free(&c);
	/* Without an international prefix the dial plan cannot dial abroad; the number is still read. */
	conf_with(&c, "dial_international_prefix=", NULL);
	assert_true(route_number_e164(&c, "+442079460123", out));
	assert_string_equal(out, "+442079460123");
	assert_false(route_number_e164(&c, "+999123", out));
	assert_true(route_number_e164(&c, "0301234100", out));
	assert_string_equal(out, "+49301234100");
	conf_free(&c);
}

static void test_number_tail(void **state)
{
	(void)state;
	assert_true(route_number_tail_equal("+49301234104", "104", 3));
	assert_true(route_number_tail_equal("104", "+49899999104", 3));
	assert_false(route_number_tail_equal("+49301234104", "105", 3));
	assert_false(route_number_tail_equal("04", "+49301234104", 3)); /* too short */
	assert_false(route_number_tail_equal("104", "104", 0));
	assert_true(route_number_ends_with("+49301234100", "100"));
	assert_true(route_number_ends_with("+49301234100", "1234100"));
	assert_false(route_number_ends_with("+49301234100", "1100"));
	assert_false(route_number_ends_with("100", "1234100"));
	assert_int_equal(route_number_digits("+49301234100"), 11);
}

static void test_addresses(void **state)
{
	static const char *const good[] = {
	    "anna@example.com", "a.b+fax@sub.example.co.uk", "x@localhost", "o'neil@example.com", "j@b-c.de",
	};
	static const char *const bad[] = {
	    "",
	    "anna",
	    "@example.com",
	    "anna@",
	    "anna@@example.com",
	    "a..b@example.com",
	    ".a@x",
	    "a.@x",
	    "a b@x",
	    "<a@x>",
	    "a@-x.com",
	    "a@x-.com",
	    "a@x.",
	    "a@.x",
	    "a@x..y",
	    "a@x_y.com",
	    "\"a\"@x",
	    "a@x,b@y",
	    "a\n@x",
	    "a@[127.0.0.1]",
	    "j\xc3\xbcrgen@example.com",
	    "anna@b\xc3\xbcro.de",
	    "x\xff@example.com", /* beyond ASCII: no SMTPUTF8 */
	};
	char **v;
	size_t n;
	struct buf err = BUF_INIT;
	char longaddr[300];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!route_addr_ok(good[i], strlen(good[i])))
			fail_msg("'%s' refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (route_addr_ok(bad[i], strlen(bad[i])))
			fail_msg("'%s' accepted", bad[i]);
	memset(longaddr, 'a', sizeof(longaddr));
	memcpy(longaddr + 250, "@x.de", 6);
	assert_false(route_addr_ok(longaddr, strlen(longaddr)));

	assert_int_equal(route_addr_list("alert_to", "a@x.de, b@y.de\tc@z.de", &v, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[2], "c@z.de");
	route_addr_list_free(v, n);
	assert_int_equal(route_addr_list("alert_to", "", &v, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_null(v);
	assert_int_equal(route_addr_list("inbound_catchall", "a@x.de nobody", &v, &n, &err), -1);
	assert_null(v);
	assert_non_null(strstr(buf_cstr(&err), "inbound_catchall: 'nobody'"));
	buf_free(&err);
}

static void test_table_parse(void **state)
{
	static const struct {
		const char *list;
		long digits;
		const char *word; /* quoted in the error */
	} bad[] = {
	    {"100", 0, "'100'"},
	    {"100=", 0, "'100='"},
	    {"=a@x.de", 0, "'=a@x.de'"},
	    {"100=anna", 0, "'100=anna'"},
	    {"1x0=a@x.de", 0, "'1x0=a@x.de'"},
	    {"sub:=a@x.de", 0, "'sub:=a@x.de'"},
	    {"sub:12a=a@x.de", 0, "'sub:12a=a@x.de'"},
	    {"sub:123456789012345678901=a@x.de", 0, "'sub:123456789012345678901=a@x.de'"},
	    {"a@x.de=100", 0, "'a@x.de=100'"},
	    {"100=a@x.de 101=b@x", 0, NULL}, /* x is a (local) domain: fine */
	    {"+49301234100=a@x.de 00=b@x.de", 0, "'00=b@x.de'"},
	    {"+999123=a@x.de", 0, "'+999123=a@x.de'"},
	    {"100=a@x.de 10=b@x.de", 3, "'10=b@x.de'"},
	};
	struct route_table t;
	struct buf err = BUF_INIT;
	struct conf c;

	(void)state;
	conf_with(&c, NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = route_table_parse(&c, bad[i].list, bad[i].digits, &t, &err);

		if (!bad[i].word) {
			assert_int_equal(rc, 0);
			route_table_free(&t);
			continue;
		}
		if (rc != -1)
			fail_msg("'%s' accepted", bad[i].list);
		if (!strstr(buf_cstr(&err), bad[i].word) ||
		    strncmp(buf_cstr(&err), "inbound_routes: ", 16) != 0)
			fail_msg("'%s': error '%s' does not name %s", bad[i].list, buf_cstr(&err),
			         bad[i].word);
		assert_null(t.v);
		buf_reset(&err);
	}
	/* A long word is quoted shortened. */
	char longw[400];
	memset(longw, '1', sizeof(longw) - 1);
	longw[sizeof(longw) - 1] = '\0';
	assert_int_equal(route_table_parse(&c, longw, 0, &t, &err), -1);
	assert_true(strlen(buf_cstr(&err)) < 200);
	buf_reset(&err);

	assert_int_equal(route_table_parse(&c,
	                                   "+49-30-1234-100=a@x.de, 0301234101=b@x.de\n100=c@x.de "
	                                   "sub:12=d@x.de SUB:1 2=e@x.de",
	                                   0, &t, &err),
	                 -1); /* "SUB:1" and "2=e@x.de" are two words */
	buf_reset(&err);
	assert_int_equal(route_table_parse(&c,
	                                   "+49-30-1234-100=a@x.de, 0301234101=b@x.de\n100=c@x.de "
	                                   "sub:12=d@x.de SUB:12=e@x.de",
	                                   0, &t, &err),
	                 0);
	assert_int_equal(t.n, 5);
	assert_string_equal(t.v[0].e164, "+49301234100");
	assert_false(t.v[0].local);
	assert_string_equal(t.v[1].e164, "+49301234101");
	assert_string_equal(t.v[2].key, "100");
	assert_true(t.v[2].local);
	assert_true(t.v[3].sub);
	assert_string_equal(t.v[3].key, "12");
	assert_true(t.v[4].sub);
	assert_string_equal(t.v[4].addr, "e@x.de");
	route_table_free(&t);
	buf_free(&err);
	conf_free(&c);
}

static void test_order(void **state)
{
	struct conf c;
	struct router *r;

	(void)state;
	conf_with(&c,
	          "inbound_routes=+49301234100=anna@example.com 0301234100=ANNA@example.com "
	          "0301234100=team@example.com 100=reception@example.com 1234101=bernd@example.com "
	          "sub:12=sales@example.com sub:12=boss@example.com sub:0012=other@example.com",
	          "inbound_catchall=faxes@example.com", "alert_to=admin@example.com",
	          /* a directory that is never asked: inbound_ldap is off */
	          "ldap_uri=ldap://127.0.0.1:1/", "inbound_ldap=no", NULL);
	r = open_router(&c);
	/* Every writing of the number; duplicates (without case) once, in table order. */
	expect(r, "+49301234100", NULL, ROUTE_TABLE, "anna@example.com team@example.com",
	       "number +49301234100 in inbound_routes");
	expect(r, "030 1234-100", "", ROUTE_TABLE, "anna@example.com team@example.com", NULL);
	expect(r, "1234100", NULL, ROUTE_TABLE, "anna@example.com team@example.com", NULL);
	/* "100" is an extension: for numbers ending in it that have no route of their own. */
	expect(r, "+49309999100", NULL, ROUTE_TABLE, "reception@example.com", "100=reception@example.com");
	expect(r, "100", NULL, ROUTE_TABLE, "reception@example.com", NULL);
	expect(r, "+49 30 1234 101", NULL, ROUTE_TABLE, "bernd@example.com", NULL);
	/* The sub-address first, whatever the number; sub-addresses are compared as written. */
	expect(r, "+49301234100", "12", ROUTE_TABLE, "sales@example.com boss@example.com", "sub-address 12");
	expect(r, NULL, " 1 2 ", ROUTE_TABLE, "sales@example.com boss@example.com", NULL);
	expect(r, "+49301234100", "0012", ROUTE_TABLE, "other@example.com", NULL);
	expect(r, "+49301234100", "13", ROUTE_TABLE, "anna@example.com team@example.com", NULL);
	expect(r, "+49301234100", "1x", ROUTE_TABLE, "anna@example.com team@example.com", NULL);
	/* Nothing matches: the catch-all. */
	expect(r, "+49301234999", NULL, ROUTE_CATCHALL, "faxes@example.com",
	       "number +49301234999: no route; catch-all (inbound_catchall)");
	/* A route without prefix is also a number's last digits (an extension), in any area. */
	expect(r, "+4940991234101", NULL, ROUTE_TABLE, "bernd@example.com", NULL);
	expect(r, "+4940991234102", NULL, ROUTE_CATCHALL, "faxes@example.com", NULL);
	expect(r, NULL, NULL, ROUTE_CATCHALL, "faxes@example.com", "no number called");
	expect(r, "", "13", ROUTE_CATCHALL, "faxes@example.com", "no number called with a sub-address");
	expect(r, "anonymous", NULL, ROUTE_CATCHALL, "faxes@example.com", "cannot be read");
	route_close(r);
	conf_free(&c);

	/* No inbound_catchall: alert_to; neither: nowhere. */
	conf_with(&c, "alert_to=admin@example.com, root@example.com", NULL);
	r = open_router(&c);
	expect(r, "+49301234100", NULL, ROUTE_CATCHALL, "admin@example.com root@example.com", "(alert_to)");
	route_close(r);
	conf_free(&c);
	conf_with(&c, NULL);
	r = open_router(&c);
	expect(r, "+49301234100", NULL, ROUTE_NONE, "", "neither inbound_catchall nor alert_to");
	route_close(r);
	conf_free(&c);
	assert_string_equal(route_source_name(ROUTE_NONE), "none");
	assert_string_equal(route_source_name(ROUTE_CATCHALL), "catch-all");
}

static void test_match_digits(void **state)
{
	struct conf c;
	struct router *r;
	struct buf err = BUF_INIT;

	(void)state;
	conf_with(&c, "inbound_match_digits=3",
	          "inbound_routes=+49301234100=anna@example.com 0301234101=bernd@example.com "
	          "4102=carla@example.com",
	          "inbound_catchall=faxes@example.com", NULL);
	r = open_router(&c);
	expect(r, "+49301234100", NULL, ROUTE_TABLE, "anna@example.com", "last 3 digits 100");
	/* Only the last 3 digits count, on both sides, whatever the rest. */
	expect(r, "100", NULL, ROUTE_TABLE, "anna@example.com", NULL);
	expect(r, "+4940555100", NULL, ROUTE_TABLE, "anna@example.com", NULL);
	expect(r, "5101", NULL, ROUTE_TABLE, "bernd@example.com", NULL);
	expect(r, "102", NULL, ROUTE_TABLE, "carla@example.com", NULL);
	expect(r, "10", NULL, ROUTE_CATCHALL, "faxes@example.com", NULL);
	expect(r, "5", NULL, ROUTE_CATCHALL, "faxes@example.com", "number 5 (shorter than the 3 digits");
	expect(r, "+49301234103", NULL, ROUTE_CATCHALL, "faxes@example.com", NULL);
	route_close(r);
	conf_free(&c);

	/* A route with fewer digits than compared could never match: refused. */
	conf_with(&c, "inbound_match_digits=4", "inbound_routes=100=anna@example.com", NULL);
	r = (struct router *)1;
	assert_int_equal(route_open(&c, &r, &err), -1);
	assert_null(r);
	assert_non_null(strstr(buf_cstr(&err), "'100=anna@example.com'"));
	conf_free(&c);
	buf_free(&err);
}

/* A directory that cannot be reached: ROUTE_TEMP, never the catch-all; the table still works. */
static void test_directory_down(void **state)
{
	struct conf c;
	struct router *r;
	struct route_result res;
	struct buf err = BUF_INIT;

	(void)state;
	conf_with(&c, "ldap_uri=ldap://127.0.0.1:1/", "ldap_base=DC=example,DC=com", "ldap_timeout=1s",
	          "inbound_routes=0301234101=bernd@example.com sub:5=desk@example.com",
	          "inbound_catchall=faxes@example.com", NULL);
	r = open_router(&c);
	assert_int_equal(route_find(r, "+49301234100", NULL, &res, &err), ROUTE_TEMP);
	assert_int_equal(res.n, 0);
	assert_null(res.addrs);
	assert_non_null(strstr(buf_cstr(&err), "directory cannot be asked"));
	buf_reset(&err);
	/* Asked again at once: the same answer without waiting for the server. */
	assert_int_equal(route_find(r, "+49301234999", NULL, &res, &err), ROUTE_TEMP);
	assert_non_null(strstr(buf_cstr(&err), "not asked again yet"));
	buf_reset(&err);
	expect(r, "+49301234101", NULL, ROUTE_TABLE, "bernd@example.com", NULL);
	expect(r, "+49301234100", "5", ROUTE_TABLE, "desk@example.com", NULL);
	/* No number to look up: the directory is not needed for the catch-all. */
	expect(r, NULL, NULL, ROUTE_CATCHALL, "faxes@example.com", NULL);
	route_close(r);
	conf_free(&c);
	buf_free(&err);
}

static void test_bad_setup(void **state)
{
	static const char *const bad[][2] = {
	    {"inbound_catchall", "faxes"},
	    {"alert_to", "admin@example.com root"},
	    {"ldap_uri", "http://example.com/"},
	};
	struct conf c;
	struct router *r;
	struct buf err = BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		conf_with(&c, NULL);
		assert_int_equal(cfg_set(conf_keys, &c, bad[i][0], bad[i][1], &err), 0);
		r = (struct router *)1;
		if (route_open(&c, &r, &err) != -1)
			fail_msg("%s = %s accepted", bad[i][0], bad[i][1]);
		assert_null(r);
		assert_non_null(strstr(buf_cstr(&err), bad[i][0]));
		buf_reset(&err);
		conf_free(&c);
	}
	/* alert_to is not read when inbound_catchall is set. */
	conf_with(&c, "inbound_catchall=faxes@example.com", NULL);
	assert_int_equal(cfg_set(conf_keys, &c, "alert_to", "not an address", &err), 0);
	assert_int_equal(route_open(&c, &r, &err), 0);
	route_close(r);
	route_close(NULL);
	conf_free(&c);
	buf_free(&err);
}

static void user(struct directory_user *u, const char *mail, bool disabled)
{
	u->dn = xasprintf("CN=%s", mail);
	u->mail = xstrdup(mail);
	u->name = NULL;
	u->disabled = disabled;
}

static void test_cache(void **state)
{
	struct route_cache *c = route_cache_new(60, 3);
	struct directory_user in[2], *out;
	size_t n;
	char key[32];

	(void)state;
	user(&in[0], "a@x.de", false);
	user(&in[1], "b@x.de", true);
	assert_false(route_cache_get(c, "+49301234100", 1000, &out, &n));
	route_cache_put(c, "+49301234100", in, 2, 1000);
	directory_user_free(&in[0]);
	directory_user_free(&in[1]);
	/* A copy: the caller's users are gone, the cache's are not. */
	assert_true(route_cache_get(c, "+49301234100", 1059, &out, &n));
	assert_int_equal(n, 2);
	assert_string_equal(out[0].mail, "a@x.de");
	assert_true(out[1].disabled);
	assert_null(out[1].name);
	directory_user_list_free(out, n);
	/* Negative answers too. */
	route_cache_put(c, "+49301234999", NULL, 0, 1000);
	assert_true(route_cache_get(c, "+49301234999", 1000, &out, &n));
	assert_int_equal(n, 0);
	assert_null(out);
	/* Expired: gone. */
	assert_false(route_cache_get(c, "+49301234100", 1060, &out, &n));
	assert_null(out);
	assert_int_equal(route_cache_count(c), 1);
	/* A clock that went back is no reason to believe an answer. */
	assert_false(route_cache_get(c, "+49301234999", 999, &out, &n));
	/* Bounded: the oldest goes. */
	for (int i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "+4930%d", i);
		route_cache_put(c, key, NULL, 0, 2000 + i);
		assert_true(route_cache_count(c) <= 3);
	}
	assert_true(route_cache_get(c, "+49309", 2010, &out, &n));
	assert_false(route_cache_get(c, "+49306", 2010, &out, &n));
	/* Stored again: replaced, not doubled. */
	user(&in[0], "c@x.de", false);
	route_cache_put(c, "+49309", in, 1, 2011);
	directory_user_free(&in[0]);
	assert_true(route_cache_get(c, "+49309", 2011, &out, &n));
	assert_int_equal(n, 1);
	assert_string_equal(out[0].mail, "c@x.de");
	directory_user_list_free(out, n);
	route_cache_free(c);

	/* ttl 0: nothing is kept. */
	c = route_cache_new(0, 3);
	route_cache_put(c, "a", NULL, 0, 1000);
	assert_false(route_cache_get(c, "a", 1000, &out, &n));
	assert_int_equal(route_cache_count(c), 0);
	route_cache_free(c);
}

/* The router keeps nothing of the configuration it was opened with (faxmailgate's reload moves it). */
static void test_conf_gone(void **state)
{
	struct conf c;
	struct router *r;

	(void)state;
	conf_with(&c, "inbound_routes=0301234101=bernd@example.com", "inbound_catchall=faxes@example.com",
	          NULL);
	r = open_router(&c);
	conf_free(&c);
	memset(&c, 0x5a, sizeof(c));
	expect(r, "1234101", NULL, ROUTE_TABLE, "bernd@example.com", "number +49301234101");
	expect(r, "+49301234102", NULL, ROUTE_CATCHALL, "faxes@example.com", NULL);
	route_close(r);
}

/* Hostile numbers and sub-addresses from the line: no crash, no route from garbage. */
static void test_hostile(void **state)
{
	struct conf c;
	struct router *r;
	char big[4096];

	(void)state;
	conf_with(&c, "inbound_routes=100=reception@example.com sub:1=desk@example.com",
	          "inbound_catchall=faxes@example.com", NULL);
	r = open_router(&c);
	memset(big, '1', sizeof(big) - 4);
	memcpy(big + sizeof(big) - 4, "100", 4);
	expect(r, big, NULL, ROUTE_CATCHALL, "faxes@example.com", NULL);
	expect(r, "100", big, ROUTE_TABLE, "reception@example.com", NULL);
	expect(r, "\x01\x02", "\xff", ROUTE_CATCHALL, "faxes@example.com", NULL);
	expect(r, "1*0*0", "1*", ROUTE_CATCHALL, "faxes@example.com", NULL);
	route_close(r);
	conf_free(&c);
}

/* faxmailgate's inbound step against a SQLite queue. */
struct gate {
	char dir[64];
	struct conf conf;
	struct queue *q;
	struct router *r;
	struct mailgate mg;
};

static void gate_open(struct gate *g, const char *routes, const char *catchall, const char *ldap_uri)
{
	struct buf err = BUF_INIT, report = BUF_INIT;

	memset(g, 0, sizeof(*g));
	assert_int_equal(testdir_make(g->dir, sizeof(g->dir), "test_route"), 0);
	conf_with(&g->conf, "mail_from=fax@example.com", NULL);
	assert_int_equal(cfg_set(conf_keys, &g->conf, "inbound_routes", routes, &err), 0);
	assert_int_equal(cfg_set(conf_keys, &g->conf, "inbound_catchall", catchall, &err), 0);
	assert_int_equal(cfg_set(conf_keys, &g->conf, "ldap_uri", ldap_uri, &err), 0);
	assert_int_equal(cfg_set(conf_keys, &g->conf, "ldap_timeout", "1s", &err), 0);
	free(g->conf.db_path);
	g->conf.db_path = xasprintf("%s/queue.db", g->dir);
	free(g->conf.render_tmpdir);
	g->conf.render_tmpdir = xstrdup(g->dir);
	if (queue_upgrade(&g->conf, &report, &err) != QUEUE_OK ||
	    queue_open(&g->conf, &g->q, &err) != QUEUE_OK)
		fail_msg("queue: %s", buf_cstr(&err));
	g->r = open_router(&g->conf);
	g->mg.conf = &g->conf;
	g->mg.q = g->q;
	g->mg.router = g->r;
	g->mg.owner = "test";
	buf_free(&err);
	buf_free(&report);
}

static void gate_close(struct gate *g)
{
	route_close(g->r);
	queue_close(g->q);
	conf_free(&g->conf);
	testdir_remove(g->dir);
}

/* A received fax of npages real pages; page `broken` (1-based, 0 none) holds no data. */
static int64_t gate_fax(struct gate *g, const char *called, const char *sub, int npages, int broken)
{
	struct fax_page_list pages = {0};
	struct inbound in = {0};
	struct buf err = BUF_INIT;
	int bad[8] = {0};

	assert_true(npages <= 8);
	for (int i = 0; i < npages; i++) {
		struct bitmap b;
		struct fax_page p = {0};

		bitmap_alloc(&b, 1728, 200);
		memset(b.bits + b.stride * (size_t)(20 + i), 0xff, b.stride); /* a black line */
		assert_int_equal(mmr_encode(&b, &p), 0);
		bitmap_free(&b);
		if (i + 1 == broken)
			p.len = 0;
		bad[i] = i == 0 ? 3 : 0;
		fax_page_list_push(&pages, &p);
	}
	in.received = 1700000000;
	in.started = 1699999940;
	in.line = "sim0";
	in.caller = "+4940555123";
	in.called = (char *)called;
	in.subaddress = (char *)sub;
	in.remote_id = "CALLER 9";
	in.resolution = 1;
	if (queue_inbound_add(g->q, &in, &pages, bad, &err) != QUEUE_OK)
		fail_msg("inbound_add: %s", buf_cstr(&err));
	fax_page_list_free(&pages);
	buf_free(&err);
	return in.id;
}

static void gate_expect(struct gate *g, int64_t id, const char *status, const char *reason)
{
	struct inbound in;
	struct buf err = BUF_INIT;

	assert_int_equal(queue_inbound_get(g->q, id, &in, &err), QUEUE_OK);
	if (strcmp(in.status, status) != 0)
		fail_msg("fax %lld is %s, not %s (%s)", (long long)id, in.status, status,
		         in.reason ? in.reason : "");
	if (reason && (!in.reason || !strstr(in.reason, reason)))
		fail_msg("fax %lld: reason '%s' lacks '%s'", (long long)id, in.reason ? in.reason : "",
		         reason);
	inbound_free(&in);
	buf_free(&err);
}

/* The outbox mail about fax id (there must be exactly one), with its message. */
static void gate_mail(struct gate *g, int64_t id, struct outbox_mail *out)
{
	struct outbox_mail *list;
	size_t n, found = 0;
	struct buf err = BUF_INIT;

	assert_int_equal(queue_outbox_list(g->q, NULL, 0, &list, &n, &err), QUEUE_OK);
	for (size_t i = 0; i < n; i++)
		if (list[i].ref_id == id) {
			found++;
			assert_int_equal(queue_outbox_get(g->q, list[i].id, out, &err), QUEUE_OK);
		}
	outbox_list_free(list, n);
	if (found != 1)
		fail_msg("fax %lld has %zu mails in the outbox", (long long)id, found);
	buf_free(&err);
}

/* Whether the mail's header name (unfolded, blanks squeezed) holds text. */
static bool gate_header_has(const struct outbox_mail *m, const char *name, const char *text)
{
	struct buf v = BUF_INIT;
	const char *p = m->message.data, *end = p + m->message.len;
	bool found = false;
	size_t nl = strlen(name);

	while (p < end && *p != '\n' && !found) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		bool mine = strncasecmp(p, name, nl) == 0 && p[nl] == ':';

		buf_reset(&v);
		eol = eol ? eol : end;
		buf_append(&v, p, (size_t)(eol - p));
		/* continuation lines begin with a blank */
		while (eol + 1 < end && (eol[1] == ' ' || eol[1] == '\t')) {
			const char *next = memchr(eol + 1, '\n', (size_t)(end - eol - 1));
			next = next ? next : end;
			buf_putc(&v, ' ');
			buf_append(&v, eol + 1, (size_t)(next - eol - 1));
			eol = next;
		}
		if (mine) {
			struct buf sq = BUF_INIT;
			for (size_t i = 0; i < v.len; i++)
				if (!((v.data[i] == ' ' || v.data[i] == '\t' || v.data[i] == '\r') &&
				      sq.len && sq.data[sq.len - 1] == ' '))
					buf_putc(&sq,
					         v.data[i] == '\t' || v.data[i] == '\r' ? ' ' : v.data[i]);
			found = strstr(buf_cstr(&sq), text) != NULL;
			buf_free(&sq);
		}
		p = eol + 1;
	}
	buf_free(&v);
	return found;
}

static size_t gate_count(struct gate *g, bool events)
{
	struct buf err = BUF_INIT;
	size_t n;

	if (events) {
		struct event *e;
		assert_int_equal(queue_event_list(g->q, 0, false, 0, &e, &n, &err), QUEUE_OK);
		event_list_free(e, n);
	} else {
		struct outbox_mail *m;
		assert_int_equal(queue_outbox_list(g->q, NULL, 0, &m, &n, &err), QUEUE_OK);
		outbox_list_free(m, n);
	}
	buf_free(&err);
	return n;
}

static bool gate_event(struct gate *g, const char *kind, const char *text)
{
	struct buf err = BUF_INIT;
	struct event *e;
	size_t n;
	bool found = false;

	assert_int_equal(queue_event_list(g->q, 0, false, 0, &e, &n, &err), QUEUE_OK);
	for (size_t i = 0; i < n; i++)
		found = found || (strcmp(e[i].kind, kind) == 0 && e[i].text && strstr(e[i].text, text));
	event_list_free(e, n);
	buf_free(&err);
	return found;
}

static void test_inbound(void **state)
{
	struct gate g;
	struct outbox_mail m;
	int64_t a, b, c, d;

	(void)state;
	gate_open(&g, "0301234100=anna@example.com 0301234100=team@example.com sub:9=desk@example.com", "",
	          "");
	a = gate_fax(&g, "+49301234100", NULL, 2, 0);
	b = gate_fax(&g, "+49301234999", NULL, 1, 0); /* nobody, and no catch-all */
	c = gate_fax(&g, "+49301234555", "9", 3, 2);  /* page 2 arrived broken */
	d = gate_fax(&g, "+49301234100", NULL, 0, 0); /* no page at all */
	assert_int_equal(mailgate_inbound(&g.mg), 4);

	gate_expect(&g, a, "mailed", "inbound_routes");
	gate_mail(&g, a, &m);
	assert_string_equal(m.kind, "fax");
	assert_string_equal(m.sender, "fax@example.com");
	assert_string_equal(m.recipients, "anna@example.com team@example.com");
	assert_string_equal(m.status, "pending");
	assert_non_null(m.message_id);
	assert_true(m.message.len > 0);
	assert_non_null(strstr(buf_cstr(&m.message), m.message_id));
	outbox_mail_free(&m);

	gate_expect(&g, b, "unrouted", "no route");
	assert_true(gate_event(&g, "fax_unrouted", "+49301234999"));

	gate_expect(&g, c, "mailed", "sub-address 9");
	gate_mail(&g, c, &m);
	assert_string_equal(m.recipients, "desk@example.com");
	assert_true(gate_header_has(&m, "X-Faxgate-Route", "pages not attached: 2"));
	outbox_mail_free(&m);
	assert_true(gate_event(&g, "fax_damaged", "desk@example.com"));

	gate_expect(&g, d, "mailed", NULL);
	assert_false(gate_event(&g, "fax_damaged", "fax 4 "));

	/* Nothing new: nothing done, nothing mailed twice. */
	assert_int_equal(mailgate_inbound(&g.mg), 0);
	assert_int_equal(gate_count(&g, false), 3);
	assert_int_equal(gate_count(&g, true), 2);

	/* Another mailgate moved the fax first: this one's mail is rolled back. */
	struct inbound in = {.id = a, .caller = "x", .called = "y"};
	struct outbox_mail again = {.kind = inbound_kind_fax,
	                            .ref_id = a,
	                            .sender = "",
	                            .recipients = "x@example.com",
	                            .message_id = "<again@example.com>"};
	buf_puts(&again.message, "Subject: again\n\nagain\n");
	assert_int_equal(inbound_store(&g.mg, &in, "mailed", "again", &again, NULL, NULL), 0);
	buf_free(&again.message);
	assert_int_equal(gate_count(&g, false), 3);
	gate_close(&g);
}

/* A page row the queue refuses to hand out: the fax is mailed without pages, with an event; the step
 * goes on (a damaged row is no database failure that would stop faxmailgate). */
static void test_inbound_damaged_row(void **state)
{
	struct gate g;
	struct buf err = BUF_INIT;
	int64_t a;

	(void)state;
	gate_open(&g, "0301234100=anna@example.com", "", "");
	a = gate_fax(&g, "+49301234100", NULL, 2, 0);
	struct qparam p[] = {QP_I(a)};
	assert_int_equal(
	    queue_exec(g.q,
	               "UPDATE inbound_pages SET height = 1, data = zeroblob(1000000) WHERE inbound_id = $1",
	               p, 1, &err),
	    QUEUE_OK);
	assert_int_equal(mailgate_inbound(&g.mg), 1);
	gate_expect(&g, a, "mailed", NULL);
	assert_true(gate_event(&g, "fax_damaged", "no pages attached"));
	buf_free(&err);
	gate_close(&g);
}

/* Oldest first, a bounded batch a round. */
static void test_inbound_batch(void **state)
{
	struct gate g;
	int64_t first = 0, last = 0;

	(void)state;
	gate_open(&g, "", "faxes@example.com", "");
	for (int i = 0; i < INBOUND_BATCH + 5; i++) {
		last = gate_fax(&g, "+49301234100", NULL, 1, 0);
		if (i == 0)
			first = last;
	}
	assert_int_equal(mailgate_inbound(&g.mg), INBOUND_BATCH);
	gate_expect(&g, first, "mailed", "catch-all");
	gate_expect(&g, first + INBOUND_BATCH - 1, "mailed", NULL);
	gate_expect(&g, first + INBOUND_BATCH, "new", NULL);
	gate_expect(&g, last, "new", NULL);
	assert_int_equal(mailgate_inbound(&g.mg), 5);
	gate_expect(&g, last, "mailed", NULL);
	assert_int_equal(mailgate_inbound(&g.mg), 0);
	gate_close(&g);
}

/* The directory is down: the fax waits, even with a catch-all; the table still routes. */
static void test_inbound_directory_down(void **state)
{
	struct gate g;
	int64_t a, b;

	(void)state;
	gate_open(&g, "0301234101=bernd@example.com", "faxes@example.com", "ldap://127.0.0.1:1/");
	a = gate_fax(&g, "+49301234100", NULL, 1, 0);
	b = gate_fax(&g, "+49301234101", NULL, 1, 0);
	assert_int_equal(mailgate_inbound(&g.mg), 1);
	gate_expect(&g, a, "new", NULL);
	gate_expect(&g, b, "mailed", NULL);
	assert_int_equal(mailgate_inbound(&g.mg), 0);
	gate_expect(&g, a, "new", NULL);
	assert_int_equal(gate_count(&g, false), 1);
	assert_int_equal(gate_count(&g, true), 0);
	/* Without a database nothing is tried. */
	g.mg.q = NULL;
	assert_int_equal(mailgate_inbound(&g.mg), 0);
	gate_close(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_number_clean),  cmocka_unit_test(test_number_e164),
	    cmocka_unit_test(test_number_tail),   cmocka_unit_test(test_addresses),
	    cmocka_unit_test(test_table_parse),   cmocka_unit_test(test_order),
	    cmocka_unit_test(test_match_digits),  cmocka_unit_test(test_directory_down),
	    cmocka_unit_test(test_bad_setup),     cmocka_unit_test(test_cache),
	    cmocka_unit_test(test_hostile),       cmocka_unit_test(test_conf_gone),
	    cmocka_unit_test(test_inbound),       cmocka_unit_test(test_inbound_damaged_row),
	    cmocka_unit_test(test_inbound_batch), cmocka_unit_test(test_inbound_directory_down),
	};

	log_open("test_route", LOG_TO_STDERR, "mail");
	log_set_level(LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
