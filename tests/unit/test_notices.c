/*
 * test_notices.c - notices and alerts, their decisions without a database or a relay: RFC 3461
 * NOTIFY words, which notice a job gets when, the reason in words from its calls, which envelope
 * senders can take a notice; when an alert is mailed (once, repeated, recovered), the hourly
 * limit, the keys of events and the time of the daily summary.
 *
 * mailgate/alert_policy.c belongs to faxmailgate, not to the library: it is compiled in here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "../../mailgate/alert_policy.c"
#include "fax/notify.h"
#include "fax/outcome.h"

/* --- NOTIFY --- */

static void test_parse(void **state)
{
	(void)state;
	assert_int_equal(notify_parse("SUCCESS,FAILURE"), NOTIFY_SUCCESS | NOTIFY_FAILURE);
	assert_int_equal(notify_parse("failure"), NOTIFY_FAILURE);
	assert_int_equal(notify_parse("Delay"), NOTIFY_DELAY);
	assert_int_equal(notify_parse("SUCCESS,FAILURE,DELAY"),
	                 NOTIFY_SUCCESS | NOTIFY_FAILURE | NOTIFY_DELAY);
	assert_int_equal(notify_parse("NEVER"), NOTIFY_NEVER);
	/* notify_default is written with blanks or commas */
	assert_int_equal(notify_parse("failure delay"), NOTIFY_FAILURE | NOTIFY_DELAY);
	assert_int_equal(notify_parse(" success ,, failure "), NOTIFY_SUCCESS | NOTIFY_FAILURE);
	assert_int_equal(notify_parse("FAILURE,FAILURE"), NOTIFY_FAILURE);
	/* invalid: the default applies */
	assert_int_equal(notify_parse("NEVER,SUCCESS"), -1);
	assert_int_equal(notify_parse("FAILURES"), -1);
	assert_int_equal(notify_parse("FAIL"), -1);
	assert_int_equal(notify_parse("SUCCESS,BOGUS"), -1);
	assert_int_equal(notify_parse(""), -1);
	assert_int_equal(notify_parse(" , "), -1);
	assert_int_equal(notify_parse(NULL), -1);
	assert_int_equal(notify_parse("SUCCESS\r\nX"), -1);
}

static void test_wanted(void **state)
{
	(void)state;
	assert_int_equal(notify_wanted(NULL, "failure"), NOTIFY_FAILURE);
	assert_int_equal(notify_wanted("SUCCESS", "failure"), NOTIFY_SUCCESS);
	assert_int_equal(notify_wanted("NEVER", "failure delay"), 0);
	assert_int_equal(notify_wanted("garbage", "success delay"), NOTIFY_SUCCESS | NOTIFY_DELAY);
	assert_int_equal(notify_wanted(NULL, "never"), 0);
	assert_int_equal(notify_wanted("", "delay"), NOTIFY_DELAY);
	/* a broken default is the RFC's own default */
	assert_int_equal(notify_wanted(NULL, "nonsense"), NOTIFY_FAILURE);
	assert_int_equal(notify_wanted(NULL, NULL), NOTIFY_FAILURE);
}

static struct job job_make(enum job_status st, int notice, int64_t created)
{
	struct job j;

	memset(&j, 0, sizeof(j));
	j.id = 7;
	j.status = st;
	j.notice = notice;
	j.created = created;
	j.sender = (char *)"jane@example.com";
	return j;
}

static void test_decide(void **state)
{
	static const struct {
		enum job_status status;
		int notice;
		int64_t created; /* the job's */
		unsigned wanted; /* NOTIFY flags */
		bool due;        /* something to do */
		enum notify_kind kind;
		int to;
	} cases[] = {
	    /* finished jobs: their final notice, when asked for */
	    {JOB_SENT, JOB_NOTICE_NONE, 100, NOTIFY_SUCCESS, true, NOTIFY_SEND_SUCCESS, JOB_NOTICE_FINAL},
	    {JOB_SENT, JOB_NOTICE_NONE, 100, NOTIFY_FAILURE, true, NOTIFY_NONE, JOB_NOTICE_FINAL},
	    {JOB_SENT, JOB_NOTICE_DELAY, 100, NOTIFY_SUCCESS | NOTIFY_DELAY, true, NOTIFY_SEND_SUCCESS,
	     JOB_NOTICE_FINAL},
	    {JOB_SENT, JOB_NOTICE_FINAL, 100, NOTIFY_SUCCESS, false, NOTIFY_NONE, 0},
	    {JOB_FAILED, JOB_NOTICE_NONE, 100, NOTIFY_FAILURE, true, NOTIFY_SEND_FAILURE, JOB_NOTICE_FINAL},
	    {JOB_FAILED, JOB_NOTICE_NONE, 100, NOTIFY_SUCCESS | NOTIFY_DELAY, true, NOTIFY_NONE,
	     JOB_NOTICE_FINAL},
	    {JOB_FAILED, JOB_NOTICE_DELAY, 100, NOTIFY_FAILURE, true, NOTIFY_SEND_FAILURE, JOB_NOTICE_FINAL},
	    {JOB_FAILED, JOB_NOTICE_FINAL, 100, NOTIFY_FAILURE, false, NOTIFY_NONE, 0},
	    {JOB_CANCELLED, JOB_NOTICE_NONE, 100, NOTIFY_FAILURE, true, NOTIFY_SEND_FAILURE,
	     JOB_NOTICE_FINAL},
	    {JOB_CANCELLED, JOB_NOTICE_NONE, 100, 0 /* NEVER */, true, NOTIFY_NONE, JOB_NOTICE_FINAL},
	    /* unfinished and late (created at or before 1000): a delay notice once */
	    {JOB_QUEUED, JOB_NOTICE_NONE, 900, NOTIFY_DELAY, true, NOTIFY_SEND_DELAY, JOB_NOTICE_DELAY},
	    {JOB_QUEUED, JOB_NOTICE_NONE, 1000, NOTIFY_DELAY, true, NOTIFY_SEND_DELAY, JOB_NOTICE_DELAY},
	    {JOB_SENDING, JOB_NOTICE_NONE, 900, NOTIFY_DELAY | NOTIFY_FAILURE, true, NOTIFY_SEND_DELAY,
	     JOB_NOTICE_DELAY},
	    {JOB_HELD, JOB_NOTICE_NONE, 900, NOTIFY_DELAY, true, NOTIFY_SEND_DELAY, JOB_NOTICE_DELAY},
	    {JOB_QUEUED, JOB_NOTICE_NONE, 900, NOTIFY_FAILURE, true, NOTIFY_NONE, JOB_NOTICE_DELAY},
	    {JOB_QUEUED, JOB_NOTICE_DELAY, 900, NOTIFY_DELAY, false, NOTIFY_NONE, 0},
	    /* not late yet */
	    {JOB_QUEUED, JOB_NOTICE_NONE, 1001, NOTIFY_DELAY, false, NOTIFY_NONE, 0},
	    {JOB_HELD, JOB_NOTICE_NONE, 5000, NOTIFY_DELAY, false, NOTIFY_NONE, 0},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct job j = job_make(cases[i].status, cases[i].notice, cases[i].created);
		struct notify_decision d;
		bool due = notify_decide(&j, 1000, cases[i].wanted, &d);

		if (due != cases[i].due)
			fail_msg("case %zu: due %d", i, due);
		if (!due)
			continue;
		if (d.kind != cases[i].kind || d.to != cases[i].to || d.from != cases[i].notice)
			fail_msg("case %zu: kind %d to %d from %d", i, d.kind, d.to, d.from);
	}
	/* delay notices off (notify_delay_after 0): unfinished jobs are never due */
	struct job j = job_make(JOB_QUEUED, JOB_NOTICE_NONE, 1);
	struct notify_decision d;
	assert_false(notify_decide(&j, 0, NOTIFY_DELAY, &d));
}

/* --- the reason in words --- */

static struct attempt att_list[32];

/* Attempts from outcome names, oldest first; returns their number. */
static size_t atts(const char *const *outcomes)
{
	size_t n = 0;

	memset(att_list, 0, sizeof(att_list));
	for (; outcomes[n]; n++) {
		att_list[n].outcome = (char *)outcomes[n];
		att_list[n].start = 1000 + (int64_t)n * 60;
	}
	return n;
}

static char *reason_of(const struct job *j, const char *const *outcomes, enum notify_kind kind, int64_t now)
{
	static struct buf b;
	size_t n = atts(outcomes);

	buf_reset(&b);
	notify_reason(j, att_list, n, kind, now, &b);
	return (char *)buf_cstr(&b);
}

#define OUTCOMES(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_reason_failure(void **state)
{
	struct job j = job_make(JOB_FAILED, JOB_NOTICE_NONE, 100);

	(void)state;
	j.reason_code = (char *)"busy";
	j.reason = (char *)"the line was busy (5 attempts)";
	assert_string_equal(
	    reason_of(&j, OUTCOMES("busy", "busy", "busy", "busy", "busy"), NOTIFY_SEND_FAILURE, 0),
	    "the line was busy on all 5 attempts");
	assert_string_equal(reason_of(&j, OUTCOMES("busy", "busy"), NOTIFY_SEND_FAILURE, 0),
	                    "the line was busy on both attempts");
	assert_string_equal(reason_of(&j, OUTCOMES("busy"), NOTIFY_SEND_FAILURE, 0), "the line was busy");
	assert_string_equal(reason_of(&j, OUTCOMES("no_answer", "no_answer", "no_answer", "busy", "busy"),
	                              NOTIFY_SEND_FAILURE, 0),
	                    "nobody answered the call on 3 attempts, then the line was busy twice");
	assert_string_equal(
	    reason_of(&j, OUTCOMES("voice", "busy", "voice"), NOTIFY_SEND_FAILURE, 0),
	    "a person or an answering machine answered instead of a fax machine once, then the "
	    "line was busy once, then a person or an answering machine answered instead of a "
	    "fax machine once");
	/* words with a clause after them: the count goes before it */
	j.reason_code = (char *)"protocol";
	assert_string_equal(
	    reason_of(&j, OUTCOMES("protocol", "protocol", "protocol"), NOTIFY_SEND_FAILURE, 0),
	    "the fax machines could not understand each other on all 3 attempts, usually "
	    "because of a poor telephone line");
	/* many changes: totals per outcome, in the order they first came */
	assert_string_equal(
	    reason_of(&j, OUTCOMES("busy", "no_answer", "busy", "no_answer", "dropped", "busy", "protocol"),
	              NOTIFY_SEND_FAILURE, 0),
	    "in 7 attempts, the line was busy 3 times, nobody answered the call twice, the call "
	    "was cut off before the fax was complete once and the fax machines could not "
	    "understand each other once");
	/* the final failures */
	j.reason_code = (char *)"unassigned";
	j.reason = (char *)"the number does not exist (the telephone network said so)";
	assert_string_equal(reason_of(&j, OUTCOMES("unassigned"), NOTIFY_SEND_FAILURE, 0),
	                    "the number does not exist (the telephone network said so)");
	assert_string_equal(reason_of(&j, OUTCOMES("busy", "unassigned"), NOTIFY_SEND_FAILURE, 0),
	                    "the line was busy once, then the number does not exist once");
	/* a SIP 403 after a busy line: the reason is cut before its parenthesis, like every outcome's */
	j.reason_code = (char *)"forbidden";
	j.reason = (char *)"the telephone network refused to place the call (not allowed)";
	assert_string_equal(reason_of(&j, OUTCOMES("forbidden"), NOTIFY_SEND_FAILURE, 0),
	                    "the telephone network refused to place the call (not allowed)");
	assert_string_equal(
	    reason_of(&j, OUTCOMES("busy", "forbidden"), NOTIFY_SEND_FAILURE, 0),
	    "the line was busy once, then the telephone network refused to place the call once");
	/* a remote that refuses even the simplest format (faxd: needs_standard at standard -> refused) */
	j.reason_code = (char *)"refused";
	j.reason = (char *)"the receiving fax machine refused the fax: it cannot take what we send";
	assert_string_equal(
	    reason_of(&j, OUTCOMES("needs_standard", "needs_standard"), NOTIFY_SEND_FAILURE, 0),
	    "the receiving fax machine cannot take fine resolution on both attempts; it refused "
	    "the fax even at standard resolution");
	assert_string_equal(
	    reason_of(&j, OUTCOMES("needs_a4", "needs_a4"), NOTIFY_SEND_FAILURE, 0),
	    "the receiving fax machine cannot take this paper size on both attempts; it refused "
	    "the fax even on A4 paper");
	/* out of time (retry_max_age) rather than out of attempts */
	j.reason_code = (char *)"no_answer";
	j.reason = (char *)"nobody answered the call; no more time to try again (2 attempts)";
	assert_string_equal(reason_of(&j, OUTCOMES("no_answer", "no_answer"), NOTIFY_SEND_FAILURE, 0),
	                    "nobody answered the call on both attempts; there was no time left to try again");
	/* an outcome this program does not know */
	j.reason_code = (char *)"gremlins";
	j.reason = NULL;
	assert_string_equal(reason_of(&j, OUTCOMES("gremlins", "gremlins"), NOTIFY_SEND_FAILURE, 0),
	                    "the call failed on both attempts");
}

static void test_reason_cancelled(void **state)
{
	struct job j = job_make(JOB_CANCELLED, JOB_NOTICE_NONE, 100);

	(void)state;
	j.reason_code = (char *)"cancelled";
	j.reason = (char *)"cancelled by the administrator";
	assert_string_equal(reason_of(&j, OUTCOMES(NULL), NOTIFY_SEND_FAILURE, 0),
	                    "cancelled by the administrator");
	/* the calls before it are told; the call the cancel cut short is not */
	assert_string_equal(reason_of(&j, OUTCOMES("busy", "busy", "cancelled"), NOTIFY_SEND_FAILURE, 0),
	                    "cancelled by the administrator; before that, the line was busy twice");
	j.reason = NULL;
	assert_string_equal(reason_of(&j, OUTCOMES(NULL), NOTIFY_SEND_FAILURE, 0), "the fax was cancelled");
	/* a job that failed before any call, for a reason not in the outcome table */
	j.status = JOB_FAILED;
	j.reason_code = (char *)"not_allowed";
	j.reason = (char *)"the number is not allowed";
	assert_string_equal(reason_of(&j, OUTCOMES(NULL), NOTIFY_SEND_FAILURE, 0),
	                    "the number is not allowed");
	j.reason = NULL;
	assert_string_equal(reason_of(&j, OUTCOMES(NULL), NOTIFY_SEND_FAILURE, 0),
	                    "the fax could not be sent");
	j.reason_code = (char *)"internal";
	assert_string_equal(reason_of(&j, OUTCOMES(NULL), NOTIFY_SEND_FAILURE, 0),
	                    fax_outcome_info(FAX_INTERNAL)->words);
	/* a held call in between says nothing either */
	j.reason_code = (char *)"busy";
	assert_string_equal(reason_of(&j, OUTCOMES("busy", "held", "busy"), NOTIFY_SEND_FAILURE, 0),
	                    "the line was busy on both attempts");
}

static void test_reason_hostile(void **state)
{
	struct job j = job_make(JOB_CANCELLED, JOB_NOTICE_NONE, 100);
	char *longr = malloc(5000);

	(void)state;
	j.reason = (char *)"cancelled\r\nBcc: victim@example.com\x7f";
	assert_string_equal(reason_of(&j, OUTCOMES(NULL), NOTIFY_SEND_FAILURE, 0),
	                    "cancelled  Bcc: victim@example.com ");
	/* bounded, and never cut inside a UTF-8 character */
	memset(longr, 'a', 4999);
	longr[4999] = '\0';
	memcpy(longr + 399, "\xc3\xa9", 2);
	j.reason = longr;
	const char *r = reason_of(&j, OUTCOMES(NULL), NOTIFY_SEND_FAILURE, 0);
	assert_true(strlen(r) <= 403);
	assert_string_equal(r + strlen(r) - 3, "...");
	assert_int_equal(strlen(r), 399 + 3);
	free(longr);
	/* attempts with no outcome at all */
	j.status = JOB_FAILED;
	j.reason = NULL;
	j.reason_code = NULL;
	memset(att_list, 0, sizeof(att_list));
	struct buf b = BUF_INIT;
	notify_reason(&j, att_list, 2, NOTIFY_SEND_FAILURE, 0, &b);
	assert_string_equal(buf_cstr(&b), "the call failed on both attempts");
	buf_reset(&b);
	notify_reason(&j, NULL, 5, NOTIFY_SEND_FAILURE, 0, &b);
	assert_string_equal(buf_cstr(&b), "the fax could not be sent");
	buf_free(&b);
}

static void test_reason_success_delay(void **state)
{
	struct job j = job_make(JOB_SENT, JOB_NOTICE_NONE, 100);

	(void)state;
	j.reason_code = (char *)"ok";
	j.reason = (char *)"sent 3 pages to +49 30 1234";
	assert_string_equal(reason_of(&j, OUTCOMES("ok"), NOTIFY_SEND_SUCCESS, 0),
	                    fax_outcome_info(FAX_OK)->words);
	assert_string_equal(
	    reason_of(&j, OUTCOMES("busy", "busy", "ok"), NOTIFY_SEND_SUCCESS, 0),
	    "every page was sent and confirmed by the receiving fax machine; before that, the "
	    "line was busy twice");
	assert_string_equal(reason_of(&j, OUTCOMES(NULL), NOTIFY_SEND_SUCCESS, 0),
	                    "every page was sent and confirmed by the receiving fax machine");

	/* delay: why, and when the next try is (local time: UTC here) */
	setenv("TZ", "UTC", 1);
	tzset();
	j = job_make(JOB_QUEUED, JOB_NOTICE_NONE, 100);
	j.next_attempt = 1700000000 + 600; /* 2023-11-14 22:23:20 UTC */
	assert_string_equal(
	    reason_of(&j, OUTCOMES("busy", "busy", "no_answer"), NOTIFY_SEND_DELAY, 1700000000),
	    "it could not be sent yet: the line was busy twice, then nobody answered the call "
	    "once; the next try is at 2023-11-14 22:23");
	assert_string_equal(reason_of(&j, OUTCOMES(NULL), NOTIFY_SEND_DELAY, 1700000000),
	                    "no call could be made yet; the next try is at 2023-11-14 22:23");
	/* due already: waiting for a line, no time to tell */
	assert_string_equal(reason_of(&j, OUTCOMES(NULL), NOTIFY_SEND_DELAY, 1700000000 + 700),
	                    "no call could be made yet");
	j.status = JOB_HELD;
	assert_string_equal(reason_of(&j, OUTCOMES("busy"), NOTIFY_SEND_DELAY, 0),
	                    "it is on hold: the line was busy");
	j.status = JOB_SENDING;
	assert_string_equal(reason_of(&j, OUTCOMES(NULL), NOTIFY_SEND_DELAY, 0), "it is being sent now");
}

static void test_outcome_name(void **state)
{
	struct job j = job_make(JOB_FAILED, JOB_NOTICE_NONE, 100);
	size_t n;

	(void)state;
	j.reason_code = (char *)"refused";
	n = atts(OUTCOMES("busy", "needs_standard"));
	assert_string_equal(notify_outcome(&j, att_list, n, NOTIFY_SEND_FAILURE), "refused");
	j.reason_code = (char *)"not_allowed";
	assert_string_equal(notify_outcome(&j, att_list, n, NOTIFY_SEND_FAILURE), "needs_standard");
	assert_string_equal(notify_outcome(&j, NULL, 0, NOTIFY_SEND_FAILURE), "not_allowed");
	j.reason_code = NULL;
	assert_string_equal(notify_outcome(&j, NULL, 0, NOTIFY_SEND_FAILURE), "failed");
	j.status = JOB_CANCELLED;
	j.reason_code = (char *)"cancelled";
	n = atts(OUTCOMES("busy", "cancelled"));
	assert_string_equal(notify_outcome(&j, att_list, n, NOTIFY_SEND_FAILURE), "cancelled");
	j.status = JOB_SENT;
	j.reason_code = (char *)"ok";
	assert_string_equal(notify_outcome(&j, att_list, n, NOTIFY_SEND_SUCCESS), "ok");
	/* delay: what the last call did, the status before any */
	j.status = JOB_QUEUED;
	j.reason_code = (char *)"busy";
	n = atts(OUTCOMES("no_answer"));
	assert_string_equal(notify_outcome(&j, att_list, n, NOTIFY_SEND_DELAY), "no_answer");
	assert_string_equal(notify_outcome(&j, NULL, 0, NOTIFY_SEND_DELAY), "queued");
	j.status = JOB_HELD;
	assert_string_equal(notify_outcome(&j, NULL, 0, NOTIFY_SEND_DELAY), "held");
}

/* --- the sender's address --- */

static void test_address(void **state)
{
	static const char *const good[] = {
	    "jane@example.com",
	    "first.last+fax@mail.example.co.uk",
	    "x@y.z",
	    "u@localhost",
	    "o'brien@example.ie",
	    "u@[192.0.2.1]",
	    "u@[IPv6:2001:db8::1]",
	    "A-Z_09!#$%&'*+/=?^`{|}~@Example-1.COM",
	};
	static const char *const bad[] = {
	    "",
	    "@",
	    "a@",
	    "@example.com",
	    "jane",
	    "jane@",
	    "jane doe@example.com",
	    "<jane@example.com>",
	    "jane@example.com>",
	    "jane@example.com\r\nBcc: x@y.z",
	    "jane@example.com\n",
	    "jane\t@example.com",
	    ".jane@example.com",
	    "jane.@example.com",
	    "ja..ne@example.com",
	    "jane@example..com",
	    "jane@.example.com",
	    "jane@example.com.",
	    "jane@-example.com",
	    "jane@example-.com",
	    "jane@exa_mple.com",
	    "a@b,c@d.com",
	    "a@b c.com",
	    "j\xc3\xa9@example.com",
	    "jane@ex\xc3\xa4mple.com",
	    /* quoted local parts: the mail writer takes none, so they get no notice */
	    "\"john doe\"@example.com",
	    "\"a@b\"@example.com",
	    "\"quote\\\"d\"@example.com",
	    "\"unterminated@example.com",
	    "\"cr\r\"@example.com",
	    "\"bs\\\"@example.com",
	    "u@[192.0.2.1",
	    "u@[]",
	    "u@[1.2.3.4]x",
	    "(comment)jane@example.com",
	    "jane@example.com(comment)",
	    "MAILER-DAEMON",
	};
	char buf[400];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!notify_address_ok(good[i]))
			fail_msg("refused: %s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (notify_address_ok(bad[i]))
			fail_msg("accepted: %s", bad[i]);
	assert_false(notify_address_ok(NULL));
	/* 64 characters of local part are fine, 65 are not */
	memset(buf, 'a', 64);
	strcpy(buf + 64, "@example.com");
	assert_true(notify_address_ok(buf));
	memset(buf, 'a', 65);
	strcpy(buf + 65, "@example.com");
	assert_false(notify_address_ok(buf));
	/* 254 characters in all, labels of 63 at most */
	char l62[63];
	memset(l62, 'b', 62);
	l62[62] = '\0';
	snprintf(buf, sizeof(buf), "a@c%s.%s.%s.%s", l62, l62, l62, l62);
	assert_int_equal(strlen(buf), 254);
	assert_true(notify_address_ok(buf));
	snprintf(buf, sizeof(buf), "a@cc%s.%s.%s.%s", l62, l62, l62, l62);
	assert_false(notify_address_ok(buf));
	snprintf(buf, sizeof(buf), "a@c%s.com", l62);
	assert_true(notify_address_ok(buf));
	snprintf(buf, sizeof(buf), "a@cc%s.com", l62);
	assert_false(notify_address_ok(buf));
}

/* --- alerts --- */

static void test_alert_decide(void **state)
{
	struct alert_state cur = {0}, next = {0};

	(void)state;
	/* nothing wrong, nothing known: nothing stored */
	assert_int_equal(alert_decide(NULL, false, 1000, 3600, &next), ALERT_MAIL_NONE);
	/* begins: mailed at once */
	assert_int_equal(alert_decide(NULL, true, 1000, 3600, &next), ALERT_MAIL_DOWN);
	assert_string_equal(next.state, "down");
	assert_int_equal(next.since, 1000);
	assert_int_equal(next.last_mail, 1000);
	cur = next;
	/* lasts: quiet until alert_repeat has passed, then again, keeping when it began */
	assert_int_equal(alert_decide(&cur, true, 1001, 3600, &next), ALERT_MAIL_NONE);
	assert_int_equal(alert_decide(&cur, true, 4599, 3600, &next), ALERT_MAIL_NONE);
	assert_int_equal(alert_decide(&cur, true, 4600, 3600, &next), ALERT_MAIL_REPEAT);
	assert_string_equal(next.state, "down");
	assert_int_equal(next.since, 1000);
	assert_int_equal(next.last_mail, 4600);
	cur = next;
	assert_int_equal(alert_decide(&cur, true, 5000, 3600, &next), ALERT_MAIL_NONE);
	/* a clock set back does not silence it */
	assert_int_equal(alert_decide(&cur, true, 100, 3600, &next), ALERT_MAIL_REPEAT);
	/* ends: one recovery */
	assert_int_equal(alert_decide(&cur, false, 6000, 3600, &next), ALERT_MAIL_UP);
	assert_string_equal(next.state, "up");
	assert_int_equal(next.since, 6000);
	assert_int_equal(next.last_mail, 6000);
	cur = next;
	/* and never twice */
	assert_int_equal(alert_decide(&cur, false, 6001, 3600, &next), ALERT_MAIL_NONE);
	assert_int_equal(alert_decide(&cur, false, 99999, 3600, &next), ALERT_MAIL_NONE);
	/* begins again: a new alert */
	assert_int_equal(alert_decide(&cur, true, 7000, 3600, &next), ALERT_MAIL_DOWN);
	assert_int_equal(next.since, 7000);
	/* a row with a state this program does not know counts as not down */
	cur.state = (char *)"weird";
	assert_int_equal(alert_decide(&cur, false, 7000, 3600, &next), ALERT_MAIL_NONE);
	cur.state = NULL;
	assert_int_equal(alert_decide(&cur, true, 7000, 3600, &next), ALERT_MAIL_DOWN);
}

static void test_alert_rate(void **state)
{
	struct alert_rate r = {0};
	int64_t t = 100000;

	(void)state;
	for (int i = 0; i < 3; i++) {
		assert_true(alert_rate_allow(&r, t + i, 3));
		alert_rate_sent(&r, t + i);
	}
	/* the fourth in the hour is only logged, and counted */
	assert_false(alert_rate_allow(&r, t + 10, 3));
	alert_rate_suppress(&r);
	assert_false(alert_rate_allow(&r, t + 3599, 3));
	alert_rate_suppress(&r);
	assert_int_equal(r.suppressed, 2);
	/* an hour after the first, one may go again: it reports the two, then the count starts afresh */
	assert_true(alert_rate_allow(&r, t + 3600, 3));
	assert_int_equal(r.suppressed, 2);
	alert_rate_sent(&r, t + 3600);
	assert_int_equal(r.suppressed, 0);
	assert_false(alert_rate_allow(&r, t + 3600, 3));
	assert_true(alert_rate_allow(&r, t + 3602, 3));
	assert_int_equal(r.n, 1);
	/* a clock set back forgets what lies in its future */
	assert_true(alert_rate_allow(&r, t - 5000, 3));
	assert_int_equal(r.n, 0);
	/* a long burst keeps memory bounded by the limit */
	for (int i = 0; i < 1000; i++)
		if (alert_rate_allow(&r, t + i, 20))
			alert_rate_sent(&r, t + i);
		else
			alert_rate_suppress(&r);
	assert_int_equal(r.n, 20);
	assert_int_equal(r.suppressed, 980);
	assert_true(r.cap <= 32);
	alert_rate_free(&r);
	assert_null(r.sent);
}

static void test_alert_event_key(void **state)
{
	struct event e = {0};
	struct buf key = BUF_INIT;
	bool down = false;

	(void)state;
	e.kind = (char *)"line_down";
	e.server = (char *)"fax1";
	e.subject = (char *)"sim0";
	assert_true(alert_event_key(&e, &key, &down));
	assert_true(down);
	assert_string_equal(buf_cstr(&key), "line:fax1:sim0");
	e.kind = (char *)"line_up";
	assert_true(alert_event_key(&e, &key, &down));
	assert_false(down);
	assert_string_equal(buf_cstr(&key), "line:fax1:sim0");
	/* other programs' pairs follow the same rule */
	e.kind = (char *)"relay_down";
	e.subject = NULL;
	assert_true(alert_event_key(&e, &key, &down));
	assert_string_equal(buf_cstr(&key), "relay:fax1:");
	/* one-shot kinds */
	e.kind = (char *)"mail_failed";
	assert_false(alert_event_key(&e, &key, &down));
	e.kind = (char *)"_down";
	assert_false(alert_event_key(&e, &key, &down));
	e.kind = NULL;
	assert_false(alert_event_key(&e, &key, &down));
	/* hostile contents: no blanks or control characters, bounded */
	char longs[300];
	memset(longs, 'x', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	e.kind = (char *)"line_down";
	e.server = (char *)"a b\r\n";
	e.subject = longs;
	assert_true(alert_event_key(&e, &key, &down));
	assert_int_equal(strncmp(buf_cstr(&key), "line:a_b__:", 11), 0);
	assert_int_equal(key.len, 11 + 64);
	buf_free(&key);
}

static void test_summary_due(void **state)
{
	/* 2023-11-14 07:00:00 UTC */
	int64_t seven = 1699945200;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	assert_false(alert_summary_due(0, seven - 1, 7));
	assert_true(alert_summary_due(0, seven, 7));
	assert_true(alert_summary_due(0, seven + 3600 * 10, 7));
	/* once a day */
	assert_false(alert_summary_due(seven + 5, seven + 3600, 7));
	assert_false(alert_summary_due(seven, seven + 86399, 7));
	assert_true(alert_summary_due(seven, seven + 86400, 7));
	/* yesterday's, sent late in the day, does not stop today's */
	assert_true(alert_summary_due(seven - 3600, seven + 1, 7));
	/* midnight */
	assert_true(alert_summary_due(seven - 86400, seven - 7 * 3600, 0));
	/* another zone: 07:00 in Berlin is 06:00 UTC in winter */
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	assert_true(alert_summary_due(0, seven - 3600, 7));
	assert_false(alert_summary_due(0, seven - 3601, 7));
	setenv("TZ", "UTC", 1);
	tzset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_wanted),
	    cmocka_unit_test(test_decide),
	    cmocka_unit_test(test_reason_failure),
	    cmocka_unit_test(test_reason_cancelled),
	    cmocka_unit_test(test_reason_hostile),
	    cmocka_unit_test(test_reason_success_delay),
	    cmocka_unit_test(test_outcome_name),
	    cmocka_unit_test(test_address),
	    cmocka_unit_test(test_alert_decide),
	    cmocka_unit_test(test_alert_rate),
	    cmocka_unit_test(test_alert_event_key),
	    cmocka_unit_test(test_summary_due),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
