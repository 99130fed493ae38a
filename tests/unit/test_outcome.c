/*
 * test_outcome.c - the table of call outcomes is complete and consistent, retry delays come from
 * the configuration, and every spandsp completion code maps to a sensible outcome.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <spandsp.h>

#include "conf/conf.h"
#include "fax/outcome.h"

#define LAST_T30_CODE T30_ERR_CSA_UNACCEPTABLE

static void test_table(void **state)
{
	(void)state;
	for (int i = 0; i < FAX_OUTCOME_COUNT; i++) {
		const struct fax_outcome_info *a = fax_outcome_info((enum fax_outcome)i);

		assert_non_null(a->name);
		assert_non_null(a->words);
		assert_true(strlen(a->name) > 1);
		assert_true(strlen(a->words) > 10);
		/* names are stored in the database: lower case identifiers */
		assert_int_equal(strspn(a->name, "abcdefghijklmnopqrstuvwxyz_0123456789"), strlen(a->name));
		assert_int_equal(fax_outcome_parse(a->name), i);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(a->name, fax_outcome_info((enum fax_outcome)j)->name);
		if (a->next == FAX_NEXT_RETRY)
			assert_true(a->retry_key >= offsetof(struct conf, retry_busy) &&
			            a->retry_key <= offsetof(struct conf, retry_line));
		else
			assert_int_equal(a->retry_key, 0);
	}
	assert_int_equal(fax_outcome_info(FAX_OK)->next, FAX_NEXT_DONE);
	assert_int_equal(fax_outcome_info(FAX_NEEDS_STANDARD)->next, FAX_NEXT_RERENDER);
	assert_int_equal(fax_outcome_info(FAX_NEEDS_A4)->next, FAX_NEXT_RERENDER);
	assert_int_equal(fax_outcome_info(FAX_UNASSIGNED)->next, FAX_NEXT_FAIL);
	assert_int_equal(fax_outcome_info(FAX_REFUSED)->next, FAX_NEXT_FAIL);
	assert_int_equal(fax_outcome_info(FAX_CANCELLED)->next, FAX_NEXT_FAIL);
	/* a SIP 403: not allowed, so never tried again, and no fault of our line */
	assert_int_equal(fax_outcome_info(FAX_FORBIDDEN)->next, FAX_NEXT_FAIL);
	assert_false(fax_outcome_info(FAX_FORBIDDEN)->blames_line);
	assert_string_equal(fax_outcome_info(FAX_FORBIDDEN)->name, "forbidden");
	assert_string_equal(fax_outcome_info(FAX_FORBIDDEN)->words,
	                    "the telephone network refused to place the call (not allowed)");
	assert_int_equal(fax_outcome_parse("forbidden"), FAX_FORBIDDEN);
	assert_true(fax_outcome_info(FAX_LINE)->blames_line);
	assert_false(fax_outcome_info(FAX_BUSY)->blames_line);
	assert_string_equal(fax_outcome_info(FAX_BUSY)->words, "the line was busy");
	/* out of range is an internal error, never a crash */
	assert_int_equal(fax_outcome_info(FAX_OUTCOME_COUNT)->next, fax_outcome_info(FAX_INTERNAL)->next);
	assert_int_equal(fax_outcome_parse("nonsense"), -1);
	assert_int_equal(fax_outcome_parse(""), -1);
	assert_int_equal(fax_outcome_parse(NULL), -1);
	assert_int_equal(fax_outcome_parse("BUSY"), -1);
}

static void test_retry_delay(void **state)
{
	struct conf c;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.retry_busy = 180;
	c.retry_no_answer = 300;
	c.retry_voice = 1800;
	c.retry_dropped = 120;
	c.retry_protocol = 60;
	c.retry_line = 61;
	assert_int_equal(fax_outcome_retry_delay(&c, FAX_BUSY), 180);
	assert_int_equal(fax_outcome_retry_delay(&c, FAX_NO_ANSWER), 300);
	assert_int_equal(fax_outcome_retry_delay(&c, FAX_VOICE), 1800);
	assert_int_equal(fax_outcome_retry_delay(&c, FAX_DROPPED), 120);
	assert_int_equal(fax_outcome_retry_delay(&c, FAX_PROTOCOL), 60);
	assert_int_equal(fax_outcome_retry_delay(&c, FAX_LINE), 61);
	assert_int_equal(fax_outcome_retry_delay(&c, FAX_WATCHDOG), 60);
	assert_int_equal(fax_outcome_retry_delay(&c, FAX_OK), 0);
	assert_int_equal(fax_outcome_retry_delay(&c, FAX_REFUSED), 0);
	assert_int_equal(fax_outcome_retry_delay(&c, FAX_NEEDS_STANDARD), 0);
	assert_int_equal(fax_outcome_retry_delay(&c, FAX_CANCELLED), 0);
	assert_int_equal(fax_outcome_retry_delay(&c, FAX_FORBIDDEN), 0);
}

static void test_from_t30_all(void **state)
{
	(void)state;
	for (int code = 0; code <= LAST_T30_CODE; code++) {
		/* the range is spandsp's: every code has its own text */
		assert_string_not_equal(t30_completion_code_to_str(code), "???");
		for (int answered = 0; answered < 2; answered++)
			for (int pages = 0; pages < 3; pages += 2) {
				enum fax_outcome o = fax_outcome_from_t30(code, answered, pages);

				assert_true((unsigned)o < FAX_OUTCOME_COUNT);
				assert_true((o == FAX_OK) == (code == T30_ERR_OK));
				/* what the line reports, or faxd decides, never comes out of T.30 */
				assert_true(o != FAX_BUSY && o != FAX_NO_ANSWER && o != FAX_UNASSIGNED &&
				            o != FAX_LINE && o != FAX_CANCELLED && o != FAX_HELD &&
				            o != FAX_WATCHDOG && o != FAX_FORBIDDEN);
				/* a machine that spoke fax or took pages is no voice */
				if (answered || pages)
					assert_int_not_equal(o, FAX_VOICE);
			}
	}
	/* a code from a newer spandsp is retried as a protocol error */
	assert_int_equal(fax_outcome_from_t30(LAST_T30_CODE + 1, true, 0), FAX_PROTOCOL);
	assert_int_equal(fax_outcome_from_t30(-1, true, 0), FAX_PROTOCOL);
}

static void test_from_t30_cases(void **state)
{
	(void)state;
	assert_int_equal(fax_outcome_from_t30(T30_ERR_OK, true, 3), FAX_OK);
	assert_int_equal(fax_outcome_from_t30(T30_ERR_T0_EXPIRED, false, 0), FAX_VOICE);
	assert_int_equal(fax_outcome_from_t30(T30_ERR_T0_EXPIRED, true, 0), FAX_PROTOCOL);
	assert_int_equal(fax_outcome_from_t30(T30_ERR_T1_EXPIRED, false, 0), FAX_VOICE);
	assert_int_equal(fax_outcome_from_t30(T30_ERR_CALLDROPPED, false, 0), FAX_VOICE);
	assert_int_equal(fax_outcome_from_t30(T30_ERR_CALLDROPPED, true, 0), FAX_DROPPED);
	assert_int_equal(fax_outcome_from_t30(T30_ERR_CALLDROPPED, true, 2), FAX_DROPPED);
	assert_int_equal(fax_outcome_from_t30(T30_ERR_RETRYDCN, true, 1), FAX_DROPPED);
	assert_int_equal(fax_outcome_from_t30(T30_ERR_TX_PHDDEAD, true, 1), FAX_DROPPED);
	assert_int_equal(fax_outcome_from_t30(T30_ERR_RX_DCNFAX, true, 1), FAX_DROPPED);
	assert_int_equal(fax_outcome_from_t30(T30_ERR_NORESSUPPORT, true, 0), FAX_NEEDS_STANDARD);
	assert_int_equal(fax_outcome_from_t30(T30_ERR_NOSIZESUPPORT, true, 0), FAX_NEEDS_A4);
	assert_int_equal(fax_outcome_from_t30(T30_ERR_INCOMPATIBLE, true, 0), FAX_REFUSED);
	assert_int_equal(fax_outcome_from_t30(T30_ERR_RX_INCAPABLE, true, 0), FAX_REFUSED);
	for (int c = T30_ERR_TX_BADDCS; c <= T30_ERR_TX_T5EXP; c++)
		if (c != T30_ERR_TX_PHDDEAD)
			assert_int_equal(fax_outcome_from_t30(c, true, 1), FAX_PROTOCOL);
	for (int c = T30_ERR_FILEERROR; c <= T30_ERR_NOMEM; c++)
		assert_int_equal(fax_outcome_from_t30(c, true, 0), FAX_INTERNAL);
	for (int c = T30_ERR_NOPOLL; c <= T30_ERR_CSA_UNACCEPTABLE; c++)
		assert_int_equal(fax_outcome_from_t30(c, true, 0), FAX_REFUSED);
}

static void test_after_rerender(void **state)
{
	(void)state;
	assert_int_equal(fax_outcome_after_rerender(FAX_NEEDS_STANDARD, false, false), FAX_NEEDS_STANDARD);
	assert_int_equal(fax_outcome_after_rerender(FAX_NEEDS_STANDARD, true, false), FAX_REFUSED);
	assert_int_equal(fax_outcome_after_rerender(FAX_NEEDS_A4, true, false), FAX_NEEDS_A4);
	assert_int_equal(fax_outcome_after_rerender(FAX_NEEDS_A4, false, true), FAX_REFUSED);
	assert_int_equal(fax_outcome_after_rerender(FAX_BUSY, true, true), FAX_BUSY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),          cmocka_unit_test(test_retry_delay),
	    cmocka_unit_test(test_from_t30_all),   cmocka_unit_test(test_from_t30_cases),
	    cmocka_unit_test(test_after_rerender),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
