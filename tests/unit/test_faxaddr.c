/*
 * test_faxaddr.c - fax recipients in mail addresses: every accepted way of writing a number, the
 * domains that count (and the look-alikes that must not), the mistakes a sender gets told about,
 * hostile input, display names split for the cover page, and address comparison.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fax/faxaddr.h"
#include "util/buf.h"

#define DOMAINS "fax.example.com, FAX.Example.ORG"

struct ok_case {
	const char *rcpt;
	const char *number;
	const char *subaddress;
};

static const struct ok_case ok_cases[] = {
    {"+49 30 1234-100@fax.example.com", "+49301234100", NULL},
    {"<\"+49 30 1234-100\"@fax.example.com>", "+49301234100", NULL},
    {"\"+49 30 1234-100\"@fax.example.com", "+49301234100", NULL},
    {"FAX=+49301234100@fax.example.com", "+49301234100", NULL},
    {"fax=+49301234100@FAX.EXAMPLE.COM", "+49301234100", NULL},
    {"FAX=+49301234100/T33S=6789@fax.example.com", "+49301234100", "6789"},
    {"<FAX=+49301234100/t33s=6789@fax.example.com>", "+49301234100", "6789"},
    {"\"FAX=+44 20 7946 0123/T33S=12\"@fax.example.com", "+442079460123", "12"},
    {"0301234100@fax.example.com", "0301234100", NULL},
    {"1234100@fax.example.com", "1234100", NULL},
    {"0049301234100@fax.example.com", "0049301234100", NULL},
    {"(030) 1234-100@fax.example.com", "0301234100", NULL},
    {"\"(030) 1234 100\"@fax.example.com", "0301234100", NULL},
    {"030.1234.100@fax.example.com", "0301234100", NULL},
    {"0049.30.1234100@fax.example.com", "0049301234100", NULL},
    {"030/1234-100@fax.example.com", "0301234100", NULL},
    {"030-1234-100@fax.example.com", "0301234100", NULL},
    {"+49 (0)30 1234100@fax.example.com", "+49301234100", NULL},
    {"+49(0)301234100@fax.example.com", "+49301234100", NULL},
    {"<+1-212-555-0100@fax.example.org>", "+12125550100", NULL},
    {"  <+1 (212) 555-0100@Fax.Example.Org.>  ", "+12125550100", NULL},
    {"<@relay.example.net:+4930123@fax.example.com>", "+4930123", NULL},
    {"\"+49\\ 30\\ 1234\"@fax.example.com", "+49301234", NULL},
    {"+49\t30\t1234@fax.example.com", "+49301234", NULL},
    {" +49 30 1234 @fax.example.com", "+49301234", NULL},
    {"12345678901234567890@fax.example.com", "12345678901234567890", NULL},
    {"+12345678901234567890@fax.example.com", "+12345678901234567890", NULL},
    {"0301234100/T33S=1@fax.example.com", "0301234100", "1"},
    {"FAX=+49301234100/T33S=12345678901234567890@fax.example.com", "+49301234100", "12345678901234567890"},
};

static void test_accepted_forms(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof ok_cases / sizeof ok_cases[0]; i++) {
		const struct ok_case *c = &ok_cases[i];
		struct faxaddr a;
		struct buf err = BUF_INIT;
		enum faxaddr_rc rc = faxaddr_parse(c->rcpt, DOMAINS, &a, &err);
		if (rc != FAXADDR_OK)
			fail_msg("%s: rc %d (%s)", c->rcpt, rc, buf_cstr(&err));
		assert_string_equal(a.number, c->number);
		if (c->subaddress)
			assert_string_equal(a.subaddress, c->subaddress);
		else
			assert_null(a.subaddress);
		assert_int_equal(err.len, 0);
		faxaddr_free(&a);
		buf_free(&err);
	}
}

static const char *const not_fax[] = {
    "+49301234100@example.com",
    "+49301234100@sub.fax.example.com",
    "+49301234100@fax.example.com.evil.net",
    "+49301234100@xfax.example.com",
    "+49301234100@fax.example.co",
    "+49301234100@fax-example.com",
    "jane@[192.0.2.1]",
    "postmaster",
    "<postmaster>",
    "<>",
    "",
    "@",
    "+49301234100@",
    "<+49301234100>",
    "+49301234100@fax.example.com@example.net",
};

static void test_not_fax(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof not_fax / sizeof not_fax[0]; i++) {
		struct faxaddr a;
		struct buf err = BUF_INIT;
		if (faxaddr_parse(not_fax[i], DOMAINS, &a, &err) != FAXADDR_NOT_FAX)
			fail_msg("'%s' taken for a fax address", not_fax[i]);
		assert_null(a.number);
		assert_null(a.subaddress);
		buf_free(&err);
	}
}

static void test_no_domains(void **state)
{
	struct faxaddr a;

	(void)state;
	assert_int_equal(faxaddr_parse("+49301234100@fax.example.com", "", &a, NULL), FAXADDR_NOT_FAX);
	assert_int_equal(faxaddr_parse("+49301234100@fax.example.com", NULL, &a, NULL), FAXADDR_NOT_FAX);
	assert_int_equal(faxaddr_parse(NULL, DOMAINS, &a, NULL), FAXADDR_NOT_FAX);
	assert_int_equal(faxaddr_parse("+49301234100@fax.example.com", " , ,fax.example.com,, ", &a, NULL),
	                 FAXADDR_OK);
	faxaddr_free(&a);
}

struct bad_case {
	const char *rcpt;
	const char *words; /* part of the reason the sender gets */
};

static const struct bad_case bad_cases[] = {
    {"jane.doe@fax.example.com", "letters"},
    {"+49 30 1234 ext 5@fax.example.com", "letters"},
    {"FAX=FAX=+4930@fax.example.com", "letters"},
    {"+49-30-CALL-NOW@fax.example.com", "letters"},
    {"@fax.example.com", "no fax number"},
    {"\"\"@fax.example.com", "no fax number"},
    {"\" \"@fax.example.com", "no fax number"},
    {"FAX=@fax.example.com", "no fax number"},
    {"+@fax.example.com", "no fax number"},
    {"- . /@fax.example.com", "no fax number"},
    {"()@fax.example.com", "no fax number"},
    {"123456789012345678901@fax.example.com", "more than 20 digits"},
    {"+1 234 567 890 123 456 789 01@fax.example.com", "more than 20 digits"},
    {"49+30@fax.example.com", "only allowed at the start"},
    {"++49301234@fax.example.com", "only allowed at the start"},
    {"FAX=+49301234100+@fax.example.com", "only allowed at the start"},
    {"(030 1234@fax.example.com", "brackets"},
    {"030) 1234@fax.example.com", "brackets"},
    {"((030)) 1234@fax.example.com", "brackets"},
    {"\"+49 30@fax.example.com", "quotes"},
    {"+49\"30\"@fax.example.com", "quotes"},
    {"\"+49\" 30@fax.example.com", "quotes"},
    {"\"+49 30\\\"@fax.example.com", "quotes"},
    {"+49*30#1@fax.example.com", "may only contain"},
    {"+49,30,1234@fax.example.com", "may only contain"},
    {"1@2@fax.example.com", "may only contain"},
    {"\"1@2\"@fax.example.com", "may only contain"},
    {"a@b@fax.example.com", "letters"},
    {"+\xef\xbc\x94\xef\xbc\x99 30 1234@fax.example.com", "may only contain"}, /* fullwidth 4 9 */
    {"+49 30 1234\xc2\xa0" "100@fax.example.com", "may only contain"},            /* no-break space */
    {"+49\r\n30@fax.example.com", "may only contain"},
    {"FAX=+49301234100/T33S=@fax.example.com", "sub-address"},
    {"FAX=+49301234100/T33S=12a@fax.example.com", "sub-address"},
    {"FAX=+49301234100/T33S=123456789012345678901@fax.example.com", "sub-address"},
    {"FAX=+49301234100/T33S=1/T33S=2@fax.example.com", "sub-address"},
    {"FAX=+49301234100/POSTD=1@fax.example.com", "unknown addition"},
    {"FAX=/T33S=12@fax.example.com", "no fax number"},
};

static void test_malformed(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		const struct bad_case *c = &bad_cases[i];
		struct faxaddr a;
		struct buf err = BUF_INIT;
		enum faxaddr_rc rc = faxaddr_parse(c->rcpt, DOMAINS, &a, &err);
		if (rc != FAXADDR_MALFORMED)
			fail_msg("%s: rc %d, expected malformed", c->rcpt, rc);
		if (!strstr(buf_cstr(&err), c->words))
			fail_msg("%s: reason '%s' lacks '%s'", c->rcpt, buf_cstr(&err), c->words);
		assert_null(a.number);
		assert_null(a.subaddress);
		buf_free(&err);
	}
	/* err is optional */
	struct faxaddr a;
	assert_int_equal(faxaddr_parse("x@fax.example.com", DOMAINS, &a, NULL), FAXADDR_MALFORMED);
}

static void test_long_input(void **state)
{
	size_t n = 100000;
	char *s = malloc(n + 64);
	struct faxaddr a;
	struct buf err = BUF_INIT;

	(void)state;
	memset(s, '1', n);
	strcpy(s + n, "@fax.example.com");
	assert_int_equal(faxaddr_parse(s, DOMAINS, &a, &err), FAXADDR_MALFORMED);
	assert_non_null(strstr(buf_cstr(&err), "too long"));
	buf_reset(&err);

	/* just within the local part buffer, but too many digits */
	memset(s, '1', 200);
	strcpy(s + 200, "@fax.example.com");
	assert_int_equal(faxaddr_parse(s, DOMAINS, &a, &err), FAXADDR_MALFORMED);
	assert_non_null(strstr(buf_cstr(&err), "more than 20 digits"));
	buf_reset(&err);

	/* a long quoted string of blanks around a short number */
	s[0] = '"';
	memset(s + 1, ' ', 260);
	memcpy(s + 261, "+4930\"@fax.example.com", 23);
	assert_int_equal(faxaddr_parse(s, DOMAINS, &a, &err), FAXADDR_MALFORMED);
	buf_reset(&err);
	memset(s + 1, ' ', 240);
	memcpy(s + 241, "+4930\"@fax.example.com", 23);
	assert_int_equal(faxaddr_parse(s, DOMAINS, &a, &err), FAXADDR_OK);
	assert_string_equal(a.number, "+4930");
	faxaddr_free(&a);

	/* no @ at all, and a huge domain */
	memset(s, 'x', n);
	s[n] = '\0';
	assert_int_equal(faxaddr_parse(s, DOMAINS, &a, &err), FAXADDR_NOT_FAX);
	s[10] = '@';
	assert_int_equal(faxaddr_parse(s, DOMAINS, &a, &err), FAXADDR_NOT_FAX);
	free(s);
	buf_free(&err);
}

static uint32_t rng = 2463534242u;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* Whatever garbage comes, the answer is one of the three, and an OK number has the promised shape. */
static void test_garbage(void **state)
{
	static const char alphabet[] = "0123456789+-./() \t\"\\@<>:=/FAXT33Sfaxts,;\x80\xc3\xa9\xff\x01";
	char s[600];

	(void)state;
	for (int i = 0; i < 20000; i++) {
		size_t len = rnd() % 80, j;
		for (j = 0; j < len; j++)
			s[j] = i % 3 ? alphabet[rnd() % (sizeof alphabet - 1)] : (char)(1 + rnd() % 255);
		strcpy(s + len, i % 2 ? "@fax.example.com" : "");
		struct faxaddr a;
		struct buf err = BUF_INIT;
		enum faxaddr_rc rc = faxaddr_parse(s, DOMAINS, &a, &err);
		assert_true(rc == FAXADDR_OK || rc == FAXADDR_NOT_FAX || rc == FAXADDR_MALFORMED);
		if (rc == FAXADDR_OK) {
			const char *d = a.number + (a.number[0] == '+');
			size_t n = strspn(d, "0123456789");
			assert_true(n >= 1 && n <= 20 && d[n] == '\0');
			if (a.subaddress) {
				n = strspn(a.subaddress, "0123456789");
				assert_true(n >= 1 && n <= 20 && a.subaddress[n] == '\0');
			}
		} else {
			assert_null(a.number);
		}
		assert_true(rc != FAXADDR_MALFORMED || err.len > 0);
		faxaddr_free(&a);
		buf_free(&err);
	}
}

struct name_case {
	const char *display, *name, *company;
};

static const struct name_case name_cases[] = {
    {"Jane Doe / ACME Ltd", "Jane Doe", "ACME Ltd"},
    {"Jane Doe, ACME Ltd", "Jane Doe", "ACME Ltd"},
    {"ACME Ltd (Jane Doe)", "Jane Doe", "ACME Ltd"},
    {"Jane Doe", "Jane Doe", NULL},
    {"\"Jane Doe / ACME Ltd\"", "Jane Doe", "ACME Ltd"},
    {"\" Jane Doe \"", "Jane Doe", NULL},
    {"Jane Doe, Maersk A/S", "Jane Doe", "Maersk A/S"},
    {"Jane Doe /ACME", "Jane Doe", "ACME"},
    {"Jane Doe/ ACME", "Jane Doe", "ACME"},
    {"Jane Doe / ACME Ltd, Sales", "Jane Doe", "ACME Ltd, Sales"},
    {"Jane\r\n Doe\t/  ACME", "Jane Doe", "ACME"},
    {"  Jane   Doe  ", "Jane Doe", NULL},
    {"/ ACME", NULL, "ACME"},
    {"Jane Doe /", "Jane Doe", NULL},
    {"(Jane Doe)", "Jane Doe", NULL},
    {"ACME ()", NULL, "ACME"},
    {"Müller GmbH (Jürgen Müller)", "Jürgen Müller", "Müller GmbH"},
    {"AC/DC Fan Club", "AC/DC Fan Club", NULL},
    {"", NULL, NULL},
    {"   ", NULL, NULL},
    {"\"\"", NULL, NULL},
    {",", NULL, NULL},
};

static void expect_str(const char *what, const char *got, const char *want)
{
	if (!want && got)
		fail_msg("%s: got '%s', expected none", what, got);
	if (want && (!got || strcmp(got, want) != 0))
		fail_msg("%s: got '%s', expected '%s'", what, got ? got : "(none)", want);
}

static void test_split_name(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof name_cases / sizeof name_cases[0]; i++) {
		const struct name_case *c = &name_cases[i];
		char *name, *company;
		faxaddr_split_name(c->display, &name, &company);
		expect_str(c->display, name, c->name);
		expect_str(c->display, company, c->company);
		free(name);
		free(company);
	}

	char *name = (char *)"x", *company = (char *)"y";
	faxaddr_split_name(NULL, &name, &company);
	assert_null(name);
	assert_null(company);
}

static void test_split_name_long(void **state)
{
	char in[2000], *name, *company;

	(void)state;
	memset(in, 'A', 300);
	in[300] = '\0';
	faxaddr_split_name(in, &name, &company);
	assert_int_equal(strlen(name), 200);
	assert_null(company);
	free(name);

	/* 'a' then 150 two-byte characters: cutting at 200 would split one, so 199 bytes stay */
	in[0] = 'a';
	for (int i = 0; i < 150; i++)
		memcpy(in + 1 + 2 * i, "\xc3\xa9", 2);
	in[301] = '\0';
	faxaddr_split_name(in, &name, &company);
	assert_int_equal(strlen(name), 199);
	assert_int_equal((unsigned char)name[198], 0xa9);
	free(name);

	/* more than is looked at: the rest is ignored, no crash */
	memset(in, 'B', sizeof in - 1);
	in[sizeof in - 1] = '\0';
	in[1500] = '/';
	faxaddr_split_name(in, &name, &company);
	assert_int_equal(strlen(name), 200);
	assert_null(company);
	free(name);
}

struct same_case {
	const char *a, *b;
	bool same;
};

static const struct same_case same_cases[] = {
    {"<A@Fax.Example.com>", "A@fax.example.com", true},
    {"a@x.example", "A@x.example", false},
    {"\"+49 30\"@fax.example.com", "<+49 30@fax.example.com>", true},
    {"\"+49 30\"@fax.example.com", "<+4930@fax.example.com>", false},
    {"a@x.example", "a@y.example", false},
    {"a@x.example.", "a@X.EXAMPLE", true},
    {" <a@x.example> ", "a@x.example", true},
    {"<@relay.example:a@x.example>", "a@x.example", true},
    {"postmaster", "<postmaster>", true},
    {"postmaster", "Postmaster", false},
    {"postmaster", "postmaster@x.example", false},
    {"\"a@x.example", "\"a@x.example", false},
    {"a@x.example", "a@x.example.org", false},
};

static void test_same(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof same_cases / sizeof same_cases[0]; i++) {
		const struct same_case *c = &same_cases[i];
		if (faxaddr_same(c->a, c->b) != c->same || faxaddr_same(c->b, c->a) != c->same)
			fail_msg("'%s' vs '%s': expected %s", c->a, c->b, c->same ? "same" : "different");
	}
	assert_false(faxaddr_same(NULL, "a@b"));
	assert_false(faxaddr_same("a@b", NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accepted_forms), cmocka_unit_test(test_not_fax),
	    cmocka_unit_test(test_no_domains),     cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_long_input),     cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_split_name),     cmocka_unit_test(test_split_name_long),
	    cmocka_unit_test(test_same),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
