/*
 * test_simnet.c - the simulated network's wire protocol (framing, validation, G.711) and its
 * numbering plan (parsing, errors with file:line, dial strings to entries).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "simnet/simnet_proto.h"
#include "simnet/simplan.h"

/* A frame built by hand: header fields as given, then the payload. */
static size_t frame(uint8_t *out, int type, int flags, int line, uint32_t call, const void *p, size_t len,
                    size_t claimed)
{
	out[0] = (uint8_t)type;
	out[1] = (uint8_t)flags;
	simnet_set16(out + 2, (unsigned)line);
	out[4] = (uint8_t)(call >> 24);
	out[5] = (uint8_t)(call >> 16);
	out[6] = (uint8_t)(call >> 8);
	out[7] = (uint8_t)call;
	simnet_set16(out + 8, (unsigned)claimed);
	if (len)
		memcpy(out + SIMNET_HEADER, p, len);
	return SIMNET_HEADER + len;
}

static void test_round_trip(void **state)
{
	struct buf b = BUF_INIT, err = BUF_INIT;
	const char *in[2] = {"0301234100", "+4930999"}, *out[2];
	const size_t max[2] = {31, 31};
	uint8_t audio[160];
	struct simnet_msg m;
	size_t off = 0;
	int n;

	(void)state;
	memset(audio, 0xd5, sizeof(audio));
	simnet_put_strings(&b, SIMNET_DIAL, 7, 0x1234567u, 2, in);
	simnet_put(&b, SIMNET_AUDIO, 4095, 0x80000001u, audio, sizeof(audio));
	simnet_put(&b, SIMNET_HANGUP, 0, 9, NULL, 0);

	n = simnet_take(b.data + off, b.len - off, &m, &err);
	assert_int_equal(n, SIMNET_HEADER + 11 + 9);
	assert_int_equal(m.type, SIMNET_DIAL);
	assert_int_equal(m.line, 7);
	assert_int_equal(m.call, 0x1234567u);
	assert_int_equal(simnet_get_strings(&m, 2, out, max, &err), 0);
	assert_string_equal(out[0], "0301234100");
	assert_string_equal(out[1], "+4930999");
	off += (size_t)n;
	n = simnet_take(b.data + off, b.len - off, &m, &err);
	assert_int_equal(m.type, SIMNET_AUDIO);
	assert_int_equal(m.line, 4095);
	assert_int_equal(m.call, 0x80000001u);
	assert_int_equal(m.len, 160);
	assert_memory_equal(m.data, audio, 160);
	off += (size_t)n;
	n = simnet_take(b.data + off, b.len - off, &m, &err);
	assert_int_equal(n, SIMNET_HEADER);
	assert_int_equal(m.type, SIMNET_HANGUP);
	off += (size_t)n;
	assert_int_equal(off, b.len);
	assert_int_equal(err.len, 0);
	buf_free(&b);
	buf_free(&err);
}

static void test_incomplete_frames_wait(void **state)
{
	struct buf b = BUF_INIT, err = BUF_INIT;
	struct simnet_msg m;
	uint8_t audio[100] = {0};

	(void)state;
	simnet_put(&b, SIMNET_AUDIO, 1, 2, audio, sizeof(audio));
	/* every prefix of a valid frame asks for more, without an error */
	for (size_t l = 0; l < b.len; l++)
		assert_int_equal(simnet_take(b.data, l, &m, &err), 0);
	assert_int_equal(simnet_take(b.data, b.len, &m, &err), (int)b.len);
	assert_int_equal(err.len, 0);
	buf_free(&b);
	buf_free(&err);
}

/* A malformed frame: -1 and a reason containing want. */
static void expect_bad(const uint8_t *f, size_t len, const char *want)
{
	struct buf err = BUF_INIT;
	struct simnet_msg m;

	assert_int_equal(simnet_take(f, len, &m, &err), -1);
	if (!strstr(buf_cstr(&err), want))
		fail_msg("reason '%s' lacks '%s'", buf_cstr(&err), want);
	buf_free(&err);
}

static void test_malformed_frames(void **state)
{
	uint8_t f[SIMNET_HEADER + SIMNET_MAX_PAYLOAD + 16] = {0};
	uint8_t big[SIMNET_MAX_PAYLOAD + 8] = {0};
	size_t n;

	(void)state;
	/* unknown types, seen at the first byte */
	f[0] = 0;
	expect_bad(f, 1, "unknown message type 0");
	f[0] = 200;
	expect_bad(f, 1, "unknown message type 200");
	n = frame(f, SIMNET_TYPE_MAX + 1, 0, 0, 0, NULL, 0, 0);
	expect_bad(f, n, "unknown message type");
	/* flags must be zero */
	n = frame(f, SIMNET_HANGUP, 1, 0, 0, NULL, 0, 0);
	expect_bad(f, n, "flags 0x01");
	/* lengths outside the type's bounds, refused from the header alone */
	n = frame(f, SIMNET_HANGUP, 0, 0, 0, "x", 1, 1);
	expect_bad(f, n, "HANGUP: payload of 1 bytes");
	n = frame(f, SIMNET_AUDIO, 0, 0, 0, NULL, 0, 0);
	expect_bad(f, n, "AUDIO: payload of 0 bytes");
	n = frame(f, SIMNET_AUDIO, 0, 0, 0, big, 0, SIMNET_MAX_BLOCK + 1);
	expect_bad(f, SIMNET_HEADER, "AUDIO: payload of 481 bytes");
	n = frame(f, SIMNET_HELLO, 0, 0, 0, big, 5, 5);
	expect_bad(f, n, "HELLO: payload of 5 bytes");
	n = frame(f, SIMNET_STATS, 0, 0, 0, big, 0, 65535);
	expect_bad(f, SIMNET_HEADER, "STATS: payload of 65535 bytes");
}

static void expect_bad_strings(int type, const void *p, size_t len, int nfields, const char *want)
{
	static const size_t max[5] = {8, 8, 8, 8, 8};
	uint8_t f[SIMNET_HEADER + 64];
	struct buf err = BUF_INIT;
	struct simnet_msg m;
	const char *s[5];
	size_t n = frame(f, type, 0, 0, 0, p, len, len);

	assert_int_equal(simnet_take(f, n, &m, &err), (int)n);
	assert_int_equal(simnet_get_strings(&m, nfields, s, max, &err), -1);
	if (!strstr(buf_cstr(&err), want))
		fail_msg("reason '%s' lacks '%s'", buf_cstr(&err), want);
	buf_free(&err);
}

static void test_malformed_strings(void **state)
{
	(void)state;
	expect_bad_strings(SIMNET_DIAL,
	                   "123\0"
	                   "456",
	                   7, 2, "field 2 is not terminated");
	expect_bad_strings(SIMNET_DIAL,
	                   "123\0"
	                   "456\0"
	                   "7",
	                   9, 2, "1 bytes after the 2 fields");
	expect_bad_strings(SIMNET_DIAL,
	                   "12\n3\0"
	                   "4\0",
	                   7, 2, "non-printable byte 0x0a");
	expect_bad_strings(SIMNET_DIAL,
	                   "123456789\0"
	                   "4\0",
	                   12, 2, "field 1 has 9 bytes, at most 8");
	expect_bad_strings(SIMNET_INCOMING,
	                   "1\0"
	                   "2\0",
	                   4, 3, "field 3 is not terminated");
	expect_bad_strings(SIMNET_DIAL,
	                   "\xff\0"
	                   "1\0",
	                   4, 2, "non-printable byte 0xff");
}

/* The first five fields of a CALL (path, caller, station, called, sub-address), then the text given. */
#define CALL_FIVE        "/f\0\0\0+1\0\0"
#define CALL_WITH(sixth) CALL_FIVE sixth, sizeof(CALL_FIVE sixth) - 1

/* A CALL frame with these six fields (NUL-separated in s, len bytes). */
static int call_get(const char *s, size_t len, struct simnet_call_req *r, struct buf *err)
{
	uint8_t f[SIMNET_HEADER + 128];
	struct simnet_msg m;
	size_t n = frame(f, SIMNET_CALL, 0, 0, 0, s, len, len);

	if (simnet_take(f, n, &m, err) != (int)n)
		return -2;
	return simnet_call_get(&m, r, err);
}

static void expect_bad_call(const char *s, size_t len, const char *want)
{
	struct buf err = BUF_INIT;
	struct simnet_call_req r;

	assert_int_equal(call_get(s, len, &r, &err), -1);
	if (!strstr(buf_cstr(&err), want))
		fail_msg("reason '%s' lacks '%s'", buf_cstr(&err), want);
	buf_free(&err);
}

static void test_call_request(void **state)
{
	struct simnet_call_req in = {"/tmp/fax.tif", "+4940555", "CALLER 9", "+4930999", "77", 0}, out;
	struct buf b = BUF_INIT, err = BUF_INIT;
	struct simnet_msg m;

	(void)state;
	/* round trip: without a cut, and with the highest one */
	simnet_call_put(&b, &in);
	in.hangup_after_page = SIMNET_MAX_CUT;
	simnet_call_put(&b, &in);
	int n = simnet_take(b.data, b.len, &m, &err);
	assert_true(n > 0);
	assert_int_equal(simnet_call_get(&m, &out, &err), 0);
	assert_string_equal(out.path, "/tmp/fax.tif");
	assert_string_equal(out.caller, "+4940555");
	assert_string_equal(out.station, "CALLER 9");
	assert_string_equal(out.called, "+4930999");
	assert_string_equal(out.sub, "77");
	assert_int_equal(out.hangup_after_page, 0);
	assert_true(simnet_take(b.data + n, b.len - (size_t)n, &m, &err) > 0);
	assert_int_equal(simnet_call_get(&m, &out, &err), 0);
	assert_int_equal(out.hangup_after_page, SIMNET_MAX_CUT);
	assert_int_equal(call_get(CALL_WITH("1\0"), &out, &err), 0);
	assert_int_equal(out.hangup_after_page, 1);
	assert_string_equal(out.caller, "");

	/* the hang-up page: empty or 1..999 in plain decimal */
	expect_bad_call(CALL_WITH("0\0"), "hang-up page \"0\" is not a number from 1 to 999");
	expect_bad_call(CALL_WITH("07\0"), "hang-up page \"07\"");
	expect_bad_call(CALL_WITH("-1\0"), "hang-up page \"-1\"");
	expect_bad_call(CALL_WITH("1a\0"), "hang-up page \"1a\"");
	expect_bad_call(CALL_WITH(" 2\0"), "hang-up page \" 2\"");
	expect_bad_call(CALL_WITH("1000\0"), "field 6 has 4 bytes, at most 3");
	/* the five fields of the first version are not a CALL any more */
	expect_bad_call(CALL_WITH(""), "field 6 is not terminated");
	expect_bad_call(CALL_WITH("1\0"
	                          "2\0"),
	                "2 bytes after the 6 fields");
	/* only a CALL is read as one */
	simnet_put(&b, SIMNET_HANGUP, 0, 0, NULL, 0);
	buf_reset(&err);
	size_t off = 0;
	while ((n = simnet_take(b.data + off, b.len - off, &m, &err)) > 0 && m.type != SIMNET_HANGUP)
		off += (size_t)n;
	assert_int_equal(m.type, SIMNET_HANGUP);
	assert_int_equal(simnet_call_get(&m, &out, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "HANGUP is not a CALL"));
	buf_free(&b);
	buf_free(&err);
}

static void test_numbers(void **state)
{
	(void)state;
	assert_true(simnet_number_ok("0301234100"));
	assert_true(simnet_number_ok("+49301234100"));
	assert_true(simnet_number_ok("*31#0301234100"));
	assert_false(simnet_number_ok(""));
	assert_false(simnet_number_ok("+"));
	assert_false(simnet_number_ok("49+30"));
	assert_false(simnet_number_ok("030 1234"));
	assert_false(simnet_number_ok("12345678901234567890123456789012")); /* 32 digits */
	assert_true(simnet_digits_ok("", 20));
	assert_true(simnet_digits_ok("6789", 20));
	assert_false(simnet_digits_ok("67a9", 20));
	assert_false(simnet_digits_ok("123456789012345678901", 20));
}

static void test_g711(void **state)
{
	int16_t in[8] = {0, 1000, -1000, 8000, -8000, 32000, -32000, 123}, out[8];
	uint8_t g[8];

	(void)state;
	for (int law = SIMNET_ULAW; law <= SIMNET_ALAW; law++) {
		simnet_g711_encode(law, in, g, 8);
		simnet_g711_decode(law, g, out, 8);
		for (int i = 0; i < 8; i++) {
			int err = abs(out[i] - in[i]);
			/* companding keeps the value within a few percent (and within a step near zero) */
			assert_true(err <= abs(in[i]) / 16 + 16);
		}
	}
	/* the two laws code differently: a mismatch between the ends would not go unnoticed */
	uint8_t u[8], a[8];
	simnet_g711_encode(SIMNET_ULAW, in, u, 8);
	simnet_g711_encode(SIMNET_ALAW, in, a, 8);
	assert_memory_not_equal(u, a, 8);
}

static const char plan_text[] = "# the test network\n"
                                "+49301234100  fax  dir=/srv/in station=\"REMOTE 1\" standard-only a4-only "
                                "no-ecm hangup-after=2 noise=-35 answer-after=3\n"
                                "\n"
                                "+4930555 busy   # a comment after the entry\n"
                                "+4930556\tno-answer ring=30\r\n"
                                "+4930557 voice talk=0\n"
                                "+4930558 unassigned\n"
                                "+4930123* fax dir=/srv/bulk\n"
                                "+493012* busy\n"
                                "110 congestion\n"
                                "default busy\n";

static void test_plan_parse(void **state)
{
	struct buf err = BUF_INIT;
	struct simplan p;
	const struct simplan_entry *e;

	(void)state;
	assert_int_equal(simplan_parse(&p, "plan", plan_text, strlen(plan_text), &err), 0);
	assert_int_equal(p.count, 8);
	e = simplan_lookup(&p, "0301234100", "+49301234100");
	assert_int_equal(e->kind, SIMPLAN_FAX);
	assert_string_equal(e->dir, "/srv/in");
	assert_string_equal(e->station, "REMOTE 1");
	assert_true(e->standard_only && e->a4_only && e->no_ecm && e->noisy);
	assert_int_equal(e->hangup_after, 2);
	assert_int_equal(e->noise_dbm0, -35);
	assert_int_equal(e->answer_after, 3);
	assert_int_equal(e->lineno, 2);
	assert_int_equal(simplan_lookup(&p, "030555", "+4930555")->kind, SIMPLAN_BUSY);
	e = simplan_lookup(&p, "030556", "+4930556");
	assert_int_equal(e->kind, SIMPLAN_NO_ANSWER);
	assert_int_equal(e->ring, 30);
	e = simplan_lookup(&p, "030557", "+4930557");
	assert_int_equal(e->kind, SIMPLAN_VOICE);
	assert_int_equal(e->talk, 0);
	assert_int_equal(simplan_lookup(&p, "030558", "+4930558")->kind, SIMPLAN_UNASSIGNED);
	/* the longer prefix wins, an exact number beats both */
	e = simplan_lookup(&p, "030123999", "+4930123999");
	assert_int_equal(e->kind, SIMPLAN_FAX);
	assert_string_equal(e->dir, "/srv/bulk");
	assert_int_equal(simplan_lookup(&p, "03012999", "+493012999")->kind, SIMPLAN_BUSY);
	/* a number without + matches the dial string as dialled */
	assert_int_equal(simplan_lookup(&p, "110", "+4930110")->kind, SIMPLAN_CONGESTION);
	/* everything else: the default */
	e = simplan_lookup(&p, "0897777", "+49897777");
	assert_ptr_equal(e, &p.def);
	assert_int_equal(e->kind, SIMPLAN_BUSY);
	simplan_free(&p);

	/* without a default line, unknown numbers are unassigned */
	assert_int_equal(simplan_parse(&p, "plan", "+491 busy\n", 10, &err), 0);
	assert_int_equal(simplan_lookup(&p, "0897777", NULL)->kind, SIMPLAN_UNASSIGNED);
	simplan_free(&p);
	buf_free(&err);
}

static void expect_plan_error_len(const char *text, size_t len, const char *want)
{
	struct buf err = BUF_INIT;
	struct simplan p;

	assert_int_equal(simplan_parse(&p, "t.plan", text, len, &err), -1);
	if (!strstr(buf_cstr(&err), want))
		fail_msg("plan error '%s' lacks '%s'", buf_cstr(&err), want);
	assert_null(p.entries);
	buf_free(&err);
}

static void expect_plan_error(const char *text, const char *want)
{
	expect_plan_error_len(text, strlen(text), want);
}

static void test_plan_errors(void **state)
{
	char longline[1100];

	(void)state;
	expect_plan_error("+491 busy\n+492\n", "t.plan:2: a kind must follow the number");
	expect_plan_error("+491 fax\n", "t.plan:1: a fax machine needs dir=FOLDER");
	expect_plan_error("+491 faks dir=/x\n", "t.plan:1: unknown kind 'faks'");
	expect_plan_error("\n\n+49x1 busy\n", "t.plan:3: '+49x1' is not a number");
	expect_plan_error("+ busy\n", "t.plan:1: '+' is not a number");
	expect_plan_error("+491 busy dir=/x\n", "t.plan:1: option 'dir' is unknown for busy");
	expect_plan_error("+491 fax dir=/x colour\n", "t.plan:1: option 'colour' is unknown for fax");
	expect_plan_error("+491 fax dir=relative\n", "t.plan:1: dir must be an absolute path");
	expect_plan_error("+491 fax dir=/x noise=-3\n", "noise must be a level in dBm0 from -80 to -5");
	expect_plan_error("+491 fax dir=/x noise=loud\n", "noise must be a level");
	expect_plan_error("+491 fax dir=/x hangup-after=0\n", "hangup-after must be a number of pages");
	expect_plan_error("+491 fax dir=/x hangup-after=2x\n", "hangup-after must be a number of pages");
	expect_plan_error("+491 fax dir=/x no-ecm=yes\n", "option 'no-ecm' takes no value");
	expect_plan_error("+491 fax dir=/x hangup-after\n", "option 'hangup-after' needs a value");
	expect_plan_error("+491 fax dir=/x station=\"REMOTE\n", "t.plan:1: the quotes do not match");
	expect_plan_error("+491 fax dir=/x station=\"123456789012345678901\"\n",
	                  "station must be at most 20 printable characters");
	expect_plan_error("+491 voice ring=3\n", "option 'ring' is unknown for voice");
	expect_plan_error("+491 busy\n+492 busy\n+491 voice\n", "t.plan:3: +491 is already on line 1");
	expect_plan_error("+491* busy\n+491* voice\n", "t.plan:2: +491* is already on line 1");
	expect_plan_error("default busy\ndefault voice\n",
	                  "t.plan:2: a second default (the first is on line 1)");
	expect_plan_error_len("+491 busy\n+49\0002 busy\n", 20, "t.plan:2: NUL byte");
	memset(longline, '1', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = 0;
	expect_plan_error(longline, "t.plan:1: line longer than 1000 characters");
	expect_plan_error("+12345678901234567890123456789012 busy\n", "is not a number");
}

static void test_plan_load_missing(void **state)
{
	struct buf err = BUF_INIT;
	struct simplan p;

	(void)state;
	assert_int_equal(simplan_load(&p, "/nonexistent/plan", &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "/nonexistent/plan"));
	buf_free(&err);
}

static void test_dial_to_e164(void **state)
{
	struct conf c;
	struct buf err = BUF_INIT;
	char out[40];

	(void)state;
	assert_int_equal(conf_load(&c, NULL, &err), 0);
	free(c.dial_country_code);
	free(c.dial_area_code);
	free(c.dial_international_prefix);
	free(c.dial_national_prefix);
	free(c.dial_outside_prefix);
	c.dial_country_code = strdup("+49");
	c.dial_area_code = strdup("30");
	c.dial_international_prefix = strdup("00");
	c.dial_national_prefix = strdup("0");
	c.dial_outside_prefix = strdup("");
	/* direct: national, local, international, already E.164 */
	assert_int_equal(simplan_e164(&c, "0301234100", out, sizeof(out)), 0);
	assert_string_equal(out, "+49301234100");
	assert_int_equal(simplan_e164(&c, "1234100", out, sizeof(out)), 0);
	assert_string_equal(out, "+49301234100");
	assert_int_equal(simplan_e164(&c, "00442079460123", out, sizeof(out)), 0);
	assert_string_equal(out, "+442079460123");
	assert_int_equal(simplan_e164(&c, "+49301234100", out, sizeof(out)), 0);
	assert_string_equal(out, "+49301234100");
	/* behind a PBX with outside prefix 0 (docs/dialplan.md's Berlin example) */
	free(c.dial_outside_prefix);
	c.dial_outside_prefix = strdup("0");
	assert_int_equal(simplan_e164(&c, "01234100", out, sizeof(out)), 0);
	assert_string_equal(out, "+49301234100");
	assert_int_equal(simplan_e164(&c, "00891234567", out, sizeof(out)), 0);
	assert_string_equal(out, "+49891234567");
	assert_int_equal(simplan_e164(&c, "000442079460123", out, sizeof(out)), 0);
	assert_string_equal(out, "+442079460123");
	/* not digits, or too long */
	assert_int_equal(simplan_e164(&c, "0*31#", out, sizeof(out)), -1);
	assert_int_equal(simplan_e164(&c, "", out, sizeof(out)), -1);
	/* no country: only international dial strings can be read */
	free(c.dial_country_code);
	c.dial_country_code = strdup("");
	assert_int_equal(simplan_e164(&c, "01234100", out, sizeof(out)), -1);
	assert_int_equal(simplan_e164(&c, "000442079460123", out, sizeof(out)), 0);
	conf_free(&c);
	buf_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_incomplete_frames_wait),
	    cmocka_unit_test(test_malformed_frames),
	    cmocka_unit_test(test_malformed_strings),
	    cmocka_unit_test(test_call_request),
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_g711),
	    cmocka_unit_test(test_plan_parse),
	    cmocka_unit_test(test_plan_errors),
	    cmocka_unit_test(test_plan_load_missing),
	    cmocka_unit_test(test_dial_to_e164),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
