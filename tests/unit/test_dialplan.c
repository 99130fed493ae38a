/*
 * test_dialplan.c - fax numbers read from a German and a US server (and an Italian one, which has
 * no trunk prefix): E.164, dial strings, validity, and the policy (deny > allow > international,
 * premium) with real number ranges; the configuration check; hostile input; several threads.
 *
 * Expected values come from the numbering plans, not from running the code: Berlin is +49 30,
 * Munich +49 89, German 0900 is premium rate, 0180 shared cost, 0700 personal numbers, 0800 toll
 * free, 015x mobile; NANP 1-900 is premium, 1-800 toll free, 416 is Toronto; UK 020 is London,
 * 09 premium rate; Italian numbers keep their leading 0 after +39.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "fax/dialplan.h"
#include "fax/phonenumber.h"
#include "util/xalloc.h"

static void set(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

/* cc, area, international, national, outside prefix, local without area, allow intl, allow premium */
static void setup(struct conf *c, const char *cc, const char *area, const char *intl, const char *nat,
                  const char *outside, bool local, bool intl_ok, bool premium_ok)
{
	struct buf err = BUF_INIT;

	if (conf_load(c, NULL, &err) < 0)
		fail_msg("defaults: %s", buf_cstr(&err));
	buf_free(&err);
	set(&c->dial_country_code, cc);
	set(&c->dial_area_code, area);
	set(&c->dial_international_prefix, intl);
	set(&c->dial_national_prefix, nat);
	set(&c->dial_outside_prefix, outside);
	c->dial_local_without_area = local;
	c->dial_allow_international = intl_ok;
	c->dial_allow_premium = premium_ok;
}

struct dial_case {
	const char *number;
	enum dialplan_rc rc;
	const char *e164; /* when OK */
	const char *dial; /* when OK; else words of the reason */
};

static void run(const struct conf *c, const char *name, const struct dial_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct dial_case *t = &cases[i];
		struct dialplan_number out = {(char *)"junk", (char *)"junk"};
		struct buf err = BUF_INIT;
		enum dialplan_rc rc = dialplan_resolve(c, t->number, &out, &err);
		if (rc != t->rc)
			fail_msg("%s: '%s': rc %d, expected %d (%s)", name, t->number, rc, t->rc,
			         buf_cstr(&err));
		if (rc == DIALPLAN_OK) {
			if (strcmp(out.e164, t->e164) != 0 || strcmp(out.dial, t->dial) != 0)
				fail_msg("%s: '%s': %s dialled as %s, expected %s dialled as %s", name,
				         t->number, out.e164, out.dial, t->e164, t->dial);
			assert_int_equal(err.len, 0);
		} else {
			assert_null(out.e164);
			assert_null(out.dial);
			if (t->dial && !strstr(buf_cstr(&err), t->dial))
				fail_msg("%s: '%s': reason '%s' lacks '%s'", name, t->number, buf_cstr(&err),
				         t->dial);
			assert_true(err.len > 0);
		}
		dialplan_number_free(&out);
		buf_free(&err);
	}
}

#define RUN(c, cases) run(c, #cases, cases, sizeof cases / sizeof cases[0])

/* Berlin, straight on the public network, dialling the area code always. */
static const struct dial_case berlin[] = {
    {"+49301234100", DIALPLAN_OK, "+49301234100", "0301234100"},
    {"0301234100", DIALPLAN_OK, "+49301234100", "0301234100"},
    {"1234100", DIALPLAN_OK, "+49301234100", "0301234100"},
    {"0049301234100", DIALPLAN_OK, "+49301234100", "0301234100"},
    {"+490301234100", DIALPLAN_OK, "+49301234100", "0301234100"}, /* "+49 (0)30" without brackets */
    {"0891234567", DIALPLAN_OK, "+49891234567", "0891234567"},
    {"+4915112345678", DIALPLAN_OK, "+4915112345678", "015112345678"},
    {"+498001234567", DIALPLAN_OK, "+498001234567", "08001234567"},
    {"+499001234567", DIALPLAN_PREMIUM, NULL, "premium rate"},
    {"09001234567", DIALPLAN_PREMIUM, NULL, "+499001234567"},
    {"+491801234567", DIALPLAN_PREMIUM, NULL, "shared cost"},
    {"+4970012345678", DIALPLAN_PREMIUM, NULL, "personal"},
    {"+442079460123", DIALPLAN_INTERNATIONAL, NULL, "other countries"},
    {"00442079460123", DIALPLAN_INTERNATIONAL, NULL, "GB"},
    {"+12125550100", DIALPLAN_INTERNATIONAL, NULL, "US"},
    {"+4930", DIALPLAN_IMPOSSIBLE, NULL, "wrong number of digits"},
    {"+493", DIALPLAN_IMPOSSIBLE, NULL, "too short"},
    {"123", DIALPLAN_OK, "+4930123", "030123"}, /* Berlin still has five-digit numbers */
    {"1", DIALPLAN_IMPOSSIBLE, NULL, "1 (read as +49301)"},
    {"301234100", DIALPLAN_OK, "+4930301234100", "030301234100"}, /* local, not the national 030... */
    {"+4930123456789012", DIALPLAN_IMPOSSIBLE, NULL, "too long"}, /* 16 digits: not E.164 */
    {"+49301234100123456789", DIALPLAN_IMPOSSIBLE, NULL, "too long"},
    {"+49900123456", DIALPLAN_IMPOSSIBLE, NULL, "not in any number range"},
    {"+999123456", DIALPLAN_IMPOSSIBLE, NULL, "country code"},
    {"+0123", DIALPLAN_IMPOSSIBLE, NULL, "country code"},
    {"00", DIALPLAN_MALFORMED, NULL, "international prefix 00"},
    {"0", DIALPLAN_MALFORMED, NULL, "national prefix 0"},
    {"", DIALPLAN_MALFORMED, NULL, "no fax number"},
    {NULL, DIALPLAN_MALFORMED, NULL, "no fax number"},
    {"+", DIALPLAN_MALFORMED, NULL, "only contain digits"},
    {"abc", DIALPLAN_MALFORMED, NULL, "only contain digits"},
    {"+49 30 1234100", DIALPLAN_MALFORMED, NULL, "only contain digits"},
    {"++49301234100", DIALPLAN_MALFORMED, NULL, "only contain digits"},
    {"4930+1234100", DIALPLAN_MALFORMED, NULL, "only contain digits"},
    {"123456789012345678901", DIALPLAN_MALFORMED, NULL, "more than 20 digits"},
    {"+123456789012345678901", DIALPLAN_MALFORMED, NULL, "more than 20 digits"},
};

/* Berlin behind a PBX (outside line 0), local numbers without the area code. */
static const struct dial_case berlin_pbx[] = {
    {"+49301234100", DIALPLAN_OK, "+49301234100", "01234100"},
    {"0301234100", DIALPLAN_OK, "+49301234100", "01234100"},
    {"1234100", DIALPLAN_OK, "+49301234100", "01234100"},
    {"+49891234567", DIALPLAN_OK, "+49891234567", "00891234567"},
    {"+4915112345678", DIALPLAN_OK, "+4915112345678", "0015112345678"},
    {"+442079460123", DIALPLAN_OK, "+442079460123", "000442079460123"},
    {"123", DIALPLAN_OK, "+4930123", "0123"},
    {"08001234567", DIALPLAN_OK, "+498001234567", "008001234567"},
    {"+12125550100", DIALPLAN_OK, "+12125550100", "00012125550100"},
    {"+390612345678", DIALPLAN_OK, "+390612345678", "000390612345678"},
    {"+499001234567", DIALPLAN_PREMIUM, NULL, "premium"},
};

/* Berlin, faxes abroad allowed. */
static const struct dial_case berlin_world[] = {
    {"+442079460123", DIALPLAN_OK, "+442079460123", "00442079460123"},
    {"00442079460123", DIALPLAN_OK, "+442079460123", "00442079460123"},
    {"+12125550100", DIALPLAN_OK, "+12125550100", "0012125550100"},
    {"+390612345678", DIALPLAN_OK, "+390612345678", "00390612345678"},
    {"+33140000000", DIALPLAN_OK, "+33140000000", "0033140000000"},
    {"+449091234567", DIALPLAN_PREMIUM, NULL, "premium"},
    {"+19002345678", DIALPLAN_PREMIUM, NULL, "premium"},
    {"+41900123456", DIALPLAN_PREMIUM, NULL, "premium"},
};

/* New York, straight on the public network, ten-digit dialling. */
static const struct dial_case nyc[] = {
    {"+12125550100", DIALPLAN_OK, "+12125550100", "12125550100"},
    {"12125550100", DIALPLAN_OK, "+12125550100", "12125550100"},
    {"2125550100", DIALPLAN_OK, "+12125550100", "12125550100"},
    {"5550100", DIALPLAN_OK, "+12125550100", "12125550100"},
    {"2025550100", DIALPLAN_OK, "+12025550100", "12025550100"},
    {"+14165550100", DIALPLAN_OK, "+14165550100", "14165550100"},
    {"+18005550100", DIALPLAN_OK, "+18005550100", "18005550100"},
    {"+19002345678", DIALPLAN_PREMIUM, NULL, "premium rate"},
    {"19002345678", DIALPLAN_PREMIUM, NULL, "premium rate"},
    {"+442079460123", DIALPLAN_INTERNATIONAL, NULL, "other countries"},
    {"011442079460123", DIALPLAN_INTERNATIONAL, NULL, "GB"},
    {"011", DIALPLAN_MALFORMED, NULL, "international prefix 011"},
    {"1", DIALPLAN_MALFORMED, NULL, "national prefix 1"},
};

/* New York behind a PBX (outside line 9), seven-digit local dialling, faxes abroad allowed. */
static const struct dial_case nyc_pbx[] = {
    {"+12125550100", DIALPLAN_OK, "+12125550100", "95550100"},
    {"5550100", DIALPLAN_OK, "+12125550100", "95550100"},
    {"+12025550100", DIALPLAN_OK, "+12025550100", "912025550100"},
    {"+442079460123", DIALPLAN_OK, "+442079460123", "9011442079460123"},
    {"011442079460123", DIALPLAN_OK, "+442079460123", "9011442079460123"},
    {"+49301234100", DIALPLAN_OK, "+49301234100", "901149301234100"},
    {"+14165550100", DIALPLAN_OK, "+14165550100", "914165550100"},
    {"18005550100", DIALPLAN_OK, "+18005550100", "918005550100"},
    {"2125550100", DIALPLAN_OK, "+12125550100", "95550100"},
};

/* Rome: no trunk prefix, the 0 is part of the number. */
static const struct dial_case rome[] = {
    {"0612345678", DIALPLAN_OK, "+390612345678", "0612345678"},
    {"+390612345678", DIALPLAN_OK, "+390612345678", "0612345678"},
    {"00390612345678", DIALPLAN_OK, "+390612345678", "0612345678"},
};

static void test_berlin(void **state)
{
	struct conf c;

	(void)state;
	setup(&c, "49", "30", "00", "0", "", false, false, false);
	RUN(&c, berlin);
	conf_free(&c);
	setup(&c, "49", "30", "00", "0", "0", true, true, false);
	RUN(&c, berlin_pbx);
	conf_free(&c);
	setup(&c, "+49", "30", "00", "0", "", false, true, false);
	RUN(&c, berlin_world);
	conf_free(&c);
}

static void test_nanp(void **state)
{
	struct conf c;

	(void)state;
	setup(&c, "1", "212", "011", "1", "", false, false, false);
	RUN(&c, nyc);
	conf_free(&c);
	setup(&c, "1", "212", "011", "1", "9", true, true, false);
	RUN(&c, nyc_pbx);
	conf_free(&c);
}

static void test_rome(void **state)
{
	struct conf c;

	(void)state;
	setup(&c, "39", "", "00", "", "", false, false, false);
	RUN(&c, rome);
	conf_free(&c);
}

/* Precedence: deny prefixes > allow prefixes > international and premium rules. */
static void test_prefixes(void **state)
{
	static const struct dial_case deny_berlin[] = {
	    {"+49301234100", DIALPLAN_DENIED, NULL, "blocked"},
	    {"0301234100", DIALPLAN_DENIED, NULL, "+49301234100"},
	    {"+49301299999", DIALPLAN_OK, "+49301299999", "0301299999"},
	    {"+49891234567", DIALPLAN_OK, "+49891234567", "0891234567"},
	};
	static const struct dial_case allow_uk[] = {
	    {"+442079460123", DIALPLAN_OK, "+442079460123", "00442079460123"},
	    {"+12125550100", DIALPLAN_INTERNATIONAL, NULL, "other countries"},
	    {"+499001234567", DIALPLAN_OK, "+499001234567", "09001234567"},
	    {"+49900123456", DIALPLAN_OK, "+49900123456", "0900123456"}, /* allowed: no range check */
	    {"+4930", DIALPLAN_IMPOSSIBLE, NULL, "wrong number"},        /* but the length still counts */
	    {"+491801234567", DIALPLAN_PREMIUM, NULL, "shared cost"},
	};
	static const struct dial_case deny_over_allow[] = {
	    {"+442079460123", DIALPLAN_DENIED, NULL, "blocked"},
	    {"+441614960000", DIALPLAN_OK, "+441614960000", "00441614960000"},
	    {"+499001234567", DIALPLAN_DENIED, NULL, "blocked"},
	};
	struct conf c;

	(void)state;
	setup(&c, "49", "30", "00", "0", "", false, false, false);
	set(&c.dial_deny_prefixes, "+4930123");
	RUN(&c, deny_berlin);

	set(&c.dial_deny_prefixes, "");
	set(&c.dial_allow_prefixes, "foo, +44,+49900");
	RUN(&c, allow_uk);

	set(&c.dial_deny_prefixes, "+4420 49900");
	c.dial_allow_premium = true;
	RUN(&c, deny_over_allow);
	conf_free(&c);
}

static void test_no_country(void **state)
{
	static const struct dial_case closed[] = {
	    {"0301234100", DIALPLAN_MALFORMED, NULL, "international form"},
	    {"1234100", DIALPLAN_MALFORMED, NULL, "international form"},
	    {"+49301234100", DIALPLAN_INTERNATIONAL, NULL, "other countries"},
	    {"0049301234100", DIALPLAN_INTERNATIONAL, NULL, "other countries"},
	};
	static const struct dial_case open[] = {
	    {"+49301234100", DIALPLAN_OK, "+49301234100", "0049301234100"},
	    {"0049301234100", DIALPLAN_OK, "+49301234100", "0049301234100"},
	    {"0301234100", DIALPLAN_MALFORMED, NULL, "+ country code"},
	};
	static const struct dial_case no_intl_prefix[] = {
	    {"+442079460123", DIALPLAN_INTERNATIONAL, NULL, "cannot dial other countries"},
	    {"+49301234100", DIALPLAN_OK, "+49301234100", "0301234100"},
	};
	static const struct dial_case no_area[] = {
	    {"1234100", DIALPLAN_IMPOSSIBLE, NULL, "1234100 (read as +491234100)"},
	    {"301234100", DIALPLAN_OK, "+49301234100", "0301234100"},
	};
	struct conf c;

	(void)state;
	setup(&c, "", "", "00", "0", "", false, false, false);
	RUN(&c, closed);
	c.dial_allow_international = true;
	RUN(&c, open);
	conf_free(&c);

	setup(&c, "49", "30", "", "0", "", false, true, false);
	RUN(&c, no_intl_prefix);
	conf_free(&c);

	setup(&c, "49", "", "00", "0", "", false, false, false);
	RUN(&c, no_area);
	conf_free(&c);
}

static void test_smtp_codes(void **state)
{
	(void)state;
	assert_string_equal(dialplan_smtp_code(DIALPLAN_MALFORMED), "5.1.3");
	assert_string_equal(dialplan_smtp_code(DIALPLAN_IMPOSSIBLE), "5.1.3");
	assert_string_equal(dialplan_smtp_code(DIALPLAN_INTERNATIONAL), "5.7.1");
	assert_string_equal(dialplan_smtp_code(DIALPLAN_PREMIUM), "5.7.1");
	assert_string_equal(dialplan_smtp_code(DIALPLAN_DENIED), "5.7.1");
	assert_string_equal(dialplan_smtp_code(DIALPLAN_TEMPFAIL), "4.3.0");
	assert_string_equal(dialplan_smtp_code(DIALPLAN_OK), "2.1.5");
}

static void test_check_conf(void **state)
{
	struct conf c;
	struct buf err = BUF_INIT;

	(void)state;
	setup(&c, "", "", "00", "0", "", false, false, false);
	assert_int_equal(dialplan_check_conf(&c, &err), 0);
	set(&c.dial_country_code, "49");
	set(&c.dial_area_code, "30");
	set(&c.dial_allow_prefixes, "+44, +1 49900");
	assert_int_equal(dialplan_check_conf(&c, &err), 0);
	set(&c.dial_country_code, "+1");
	assert_int_equal(dialplan_check_conf(&c, &err), 0);
	assert_int_equal(err.len, 0);

	set(&c.dial_country_code, "999");
	assert_int_equal(dialplan_check_conf(&c, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "no country"));
	buf_reset(&err);
	set(&c.dial_country_code, "4x");
	assert_int_equal(dialplan_check_conf(&c, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "dial_country_code"));
	buf_reset(&err);
	set(&c.dial_country_code, "4949");
	assert_int_equal(dialplan_check_conf(&c, &err), -1);
	buf_reset(&err);
	set(&c.dial_country_code, "49");
	set(&c.dial_area_code, "(030)");
	assert_int_equal(dialplan_check_conf(&c, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "dial_area_code"));
	buf_reset(&err);
	set(&c.dial_area_code, "30");
	set(&c.dial_outside_prefix, "0123456789");
	assert_int_equal(dialplan_check_conf(&c, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "dial_outside_prefix"));
	buf_reset(&err);
	set(&c.dial_outside_prefix, "");
	set(&c.dial_deny_prefixes, "+49900, 0900"); /* national form: no country code begins with 0 */
	assert_int_equal(dialplan_check_conf(&c, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "'0900'"));
	buf_reset(&err);
	set(&c.dial_deny_prefixes, "+49900, premium");
	assert_int_equal(dialplan_check_conf(&c, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "dial_deny_prefixes"));
	buf_reset(&err);
	set(&c.dial_deny_prefixes, "");
	set(&c.dial_country_code, "");
	assert_int_equal(dialplan_check_conf(&c, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "needs dial_country_code"));
	buf_free(&err);
	conf_free(&c);
}

/* A broken configuration reads as empty parts: numbers are refused, nothing is misdialled. */
static void test_broken_conf(void **state)
{
	static const struct dial_case cases[] = {
	    {"0301234100", DIALPLAN_MALFORMED, NULL, "international form"},
	    {"+49301234100", DIALPLAN_INTERNATIONAL, NULL, NULL},
	};
	struct conf c;

	(void)state;
	setup(&c, "49; rm -rf /", "30", "00", "0", "", false, false, false);
	RUN(&c, cases);
	conf_free(&c);
}

static uint32_t rng = 88172645u;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static void check_one(const struct conf *c, const char *s)
{
	struct dialplan_number out;
	struct buf err = BUF_INIT;
	enum dialplan_rc rc = dialplan_resolve(c, s, &out, &err);

	assert_true(rc >= DIALPLAN_OK && rc <= DIALPLAN_TEMPFAIL);
	assert_true(rc != DIALPLAN_TEMPFAIL);
	if (rc == DIALPLAN_OK) {
		assert_int_equal(out.e164[0], '+');
		if (strlen(out.e164) > 16) /* E.164: at most 15 digits */
			fail_msg("%s: %s", s, out.e164);
		assert_int_equal(strspn(out.e164 + 1, "0123456789"), strlen(out.e164 + 1));
		assert_true(out.dial[0] != '\0');
		assert_int_equal(strspn(out.dial, "0123456789"), strlen(out.dial));
	} else {
		assert_true(err.len > 0);
	}
	dialplan_number_free(&out);
	buf_free(&err);
}

static void test_garbage(void **state)
{
	struct conf c;
	char s[64];

	(void)state;
	setup(&c, "49", "30", "00", "0", "0", true, true, true);
	for (int i = 0; i < 20000; i++) {
		size_t len = rnd() % 24, j = 0;
		if (i % 2)
			s[j++] = '+';
		for (; j < len; j++)
			s[j] = i % 5 ? (char)('0' + rnd() % 10) : (char)(1 + rnd() % 255);
		s[j] = '\0';
		check_one(&c, s);
	}
	char *huge = malloc(100001);
	memset(huge, '9', 100000);
	huge[100000] = '\0';
	check_one(&c, huge);
	free(huge);
	conf_free(&c);
}

struct worker {
	const struct conf *conf;
	int failures;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	static const char *const numbers[] = {"+49301234100", "+442079460123", "+499001234567", "1234100"};
	static const char *const dials[] = {"01234100", "000442079460123", NULL, "01234100"};

	for (int i = 0; i < 3000; i++) {
		struct dialplan_number out;
		size_t k = (size_t)i % 4;
		enum dialplan_rc rc = dialplan_resolve(w->conf, numbers[k], &out, NULL);
		if (dials[k] ? rc != DIALPLAN_OK || strcmp(out.dial, dials[k]) != 0 : rc != DIALPLAN_PREMIUM)
			w->failures++;
		dialplan_number_free(&out);
	}
	return NULL;
}

/* The milter resolves numbers on many threads; the first call (libphonenumber's set-up) races too. */
static void test_threads(void **state)
{
	struct conf c;
	pthread_t t[4];
	struct worker w[4];

	(void)state;
	setup(&c, "49", "30", "00", "0", "0", true, true, false);
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){&c, 0};
		assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].failures, 0);
	}
	conf_free(&c);
}

static void test_phonenumber(void **state)
{
	struct phonenumber_info info;

	(void)state;
	assert_int_equal(phonenumber_analyse("441614960000", &info), PHONENUMBER_OK);
	assert_int_equal(info.country_code, 44);
	assert_string_equal(info.nsn, "1614960000");
	assert_string_equal(info.region, "GB");
	assert_true(info.valid);
	assert_int_equal(phonenumber_analyse("", &info), PHONENUMBER_BAD_INPUT);
	assert_int_equal(phonenumber_analyse("+49", &info), PHONENUMBER_BAD_INPUT);
	assert_int_equal(phonenumber_analyse("123456789012345678901", &info), PHONENUMBER_BAD_INPUT);
	assert_true(phonenumber_country_exists(49));
	assert_true(phonenumber_country_exists(1));
	assert_false(phonenumber_country_exists(999));
	assert_false(phonenumber_country_exists(0));
	assert_false(phonenumber_country_exists(100000));
	assert_string_equal(phonenumber_type_name(PHONENUMBER_PREMIUM_RATE), "premium rate");
	assert_string_equal(phonenumber_type_name((enum phonenumber_type)99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_threads), /* first: libphonenumber's set-up races too */
	    cmocka_unit_test(test_berlin),     cmocka_unit_test(test_nanp),
	    cmocka_unit_test(test_rome),       cmocka_unit_test(test_prefixes),
	    cmocka_unit_test(test_no_country), cmocka_unit_test(test_smtp_codes),
	    cmocka_unit_test(test_check_conf), cmocka_unit_test(test_broken_conf),
	    cmocka_unit_test(test_garbage),    cmocka_unit_test(test_phonenumber),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
