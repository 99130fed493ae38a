/*
 * notify.c - which notice a job's sender gets, and why the fax went as it did, in plain words.
 *
 * The reason is told from the calls themselves: the outcome table's words (outcome.c) for each run
 * of calls that ended the same way, so a sender reads "nobody answered the call on 3 attempts,
 * then the line was busy twice" rather than the last call's cause alone. Calls cut short by an
 * administrator (cancelled, held) say nothing about the destination and are left out of it.
 *
 * The envelope sender and NOTIFY come from whoever sent the mail: both are checked strictly, and
 * what does not pass gets no notice (an address with a space or a line break in it must never
 * reach a header or the relay).
 */
#include "fax/notify.h"

#include <string.h>
#include <strings.h>
#include <time.h>

#include "fax/outcome.h"
#include "policy/words.h"

int notify_parse(const char *words)
{
	static const struct {
		const char *word;
		int flag;
	} known[] = {
	    {"success", NOTIFY_SUCCESS},
	    {"failure", NOTIFY_FAILURE},
	    {"delay", NOTIFY_DELAY},
	    {"never", NOTIFY_NEVER},
	};
	const char *p = words;
	int flags = 0;

	if (p == NULL)
		return -1;
	const char *w;
	size_t len, i;

	while (words_next(&p, &w, &len)) {
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strlen(known[i].word) == len && strncasecmp(w, known[i].word, len) == 0)
				break;
		if (i == sizeof(known) / sizeof(known[0]))
			return -1;
		flags |= known[i].flag;
	}
	if (flags == 0 || ((flags & NOTIFY_NEVER) && flags != NOTIFY_NEVER))
		return -1;
	return flags;
}

unsigned notify_wanted(const char *job_notify, const char *notify_default)
{
	int f = notify_parse(job_notify);

	if (f < 0)
		f = notify_parse(notify_default);
	if (f < 0)
		f = NOTIFY_FAILURE;
	return f & NOTIFY_NEVER ? 0 : (unsigned)f;
}

bool notify_decide(const struct job *j, int64_t delay_before, unsigned wanted, struct notify_decision *d)
{
	d->kind = NOTIFY_NONE;
	d->from = j->notice;
	switch (j->status) {
	case JOB_SENT:
	case JOB_FAILED:
	case JOB_CANCELLED:
		if (j->notice >= JOB_NOTICE_FINAL)
			return false;
		d->to = JOB_NOTICE_FINAL;
		if (j->status == JOB_SENT && (wanted & NOTIFY_SUCCESS))
			d->kind = NOTIFY_SEND_SUCCESS;
		else if (j->status != JOB_SENT && (wanted & NOTIFY_FAILURE))
			d->kind = NOTIFY_SEND_FAILURE;
		return true;
	default:
		if (j->notice != JOB_NOTICE_NONE || delay_before <= 0 || j->created > delay_before)
			return false;
		d->to = JOB_NOTICE_DELAY;
		if (wanted & NOTIFY_DELAY)
			d->kind = NOTIFY_SEND_DELAY;
		return true;
	}
}

/* --- the reason in words --- */

/* Words stored in the database (a job's reason) may hold anything: one line, bounded. */
static void reason_put_clean(struct buf *out, const char *s)
{
	size_t max = 400, len = strlen(s);

	if (len > max) {
		len = max;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--; /* never cut a UTF-8 character in two */
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		buf_putc(out, c < 0x20 || c == 0x7f ? ' ' : (char)c);
	}
	if (len < strlen(s))
		buf_puts(out, "...");
}

static const char *reason_words(const char *outcome)
{
	int o = fax_outcome_parse(outcome);

	return o < 0 ? "the call failed" : fax_outcome_info((enum fax_outcome)o)->words;
}

/*
 * The outcome's words split where a count can go: "the fax machines could not understand each
 * other" | ", usually because of a poor telephone line".
 */
static size_t reason_head(const char *words)
{
	static const char *const seps[] = {", ", " (", ": "};
	size_t head = strlen(words);

	for (size_t i = 0; i < sizeof(seps) / sizeof(seps[0]); i++) {
		const char *p = strstr(words, seps[i]);
		if (p && (size_t)(p - words) < head)
			head = (size_t)(p - words);
	}
	return head;
}

/* Calls that say something about the destination: not those an administrator cut short. */
static bool reason_counts(const struct attempt *a)
{
	const char *o = a->outcome ? a->outcome : "";

	return strcmp(o, "cancelled") != 0 && strcmp(o, "held") != 0;
}

static bool reason_same(const struct attempt *a, const struct attempt *b)
{
	return strcmp(a->outcome ? a->outcome : "", b->outcome ? b->outcome : "") == 0;
}

static void reason_times(struct buf *out, size_t count, bool in_runs)
{
	if (count == 1)
		buf_puts(out, " once");
	else if (count == 2)
		buf_puts(out, " twice");
	else
		buf_printf(out, in_runs ? " on %zu attempts" : " %zu times", count);
}

/* Runs of calls that ended alike; more than this many runs are told as totals per outcome. */
#define REASON_MAX_RUNS 4

/*
 * The calls a[0..n) in words; returns how many were told (0: none, out unchanged). whole: they are
 * all the calls there were ("on all 5 attempts"), not only those before the last ("5 times").
 */
static size_t reason_history(const struct attempt *a, size_t n, bool whole, struct buf *out)
{
	const struct attempt *prev = NULL, *only = NULL;
	size_t counted = 0, runs = 0, i, k;

	for (i = 0; i < n; i++) {
		if (!reason_counts(&a[i]))
			continue;
		if (prev == NULL || !reason_same(prev, &a[i]))
			runs++;
		prev = only = &a[i];
		counted++;
	}
	if (counted == 0)
		return 0;
	if (runs == 1) {
		/* "the line was busy on all 5 attempts" */
		const char *w = reason_words(only->outcome);
		size_t head = reason_head(w);

		buf_append(out, w, head);
		if (!whole)
			reason_times(out, counted, true);
		else if (counted == 2)
			buf_puts(out, " on both attempts");
		else if (counted > 2)
			buf_printf(out, " on all %zu attempts", counted);
		buf_puts(out, w + head);
		return counted;
	}
	if (runs <= REASON_MAX_RUNS) {
		/* "nobody answered the call on 3 attempts, then the line was busy twice" */
		prev = NULL;
		for (i = 0; i < n; i = k) {
			if (!reason_counts(&a[i])) {
				k = i + 1;
				continue;
			}
			size_t count = 1;
			for (k = i + 1; k < n && (!reason_counts(&a[k]) || reason_same(&a[k], &a[i])); k++)
				if (reason_counts(&a[k]))
					count++;
			const char *w = reason_words(a[i].outcome);
			if (prev)
				buf_puts(out, ", then ");
			buf_append(out, w, reason_head(w));
			reason_times(out, count, true);
			prev = &a[i];
		}
		return counted;
	}
	/* "in 9 attempts, the line was busy 5 times, nobody answered the call 3 times and ..." */
	buf_printf(out, "in %zu attempts, ", counted);
	size_t told = 0, kinds = 0;
	for (i = 0; i < n; i++) {
		bool seen = false;
		if (!reason_counts(&a[i]))
			continue;
		for (k = 0; k < i && !seen; k++)
			seen = reason_counts(&a[k]) && reason_same(&a[k], &a[i]);
		if (!seen)
			kinds++;
	}
	for (i = 0; i < n; i++) {
		bool seen = false;
		size_t count = 0;
		if (!reason_counts(&a[i]))
			continue;
		for (k = 0; k < i && !seen; k++)
			seen = reason_counts(&a[k]) && reason_same(&a[k], &a[i]);
		if (seen)
			continue;
		for (k = i; k < n; k++)
			if (reason_counts(&a[k]) && reason_same(&a[k], &a[i]))
				count++;
		const char *w = reason_words(a[i].outcome);
		if (told > 0)
			buf_puts(out, told + 1 == kinds ? " and " : ", ");
		buf_append(out, w, reason_head(w));
		reason_times(out, count, false);
		told++;
	}
	return counted;
}

static const struct attempt *reason_last(const struct attempt *a, size_t n)
{
	while (n > 0)
		if (reason_counts(&a[--n]))
			return &a[n];
	return NULL;
}

static void reason_failure(const struct job *j, const struct attempt *a, size_t n, struct buf *out)
{
	const struct attempt *last = reason_last(a, n);
	const char *code = j->reason_code ? j->reason_code : "";
	struct buf hist = BUF_INIT;

	reason_history(a, n, j->status != JOB_CANCELLED, &hist);
	if (j->status == JOB_CANCELLED || hist.len == 0) {
		/* "cancelled by the administrator", or a failure before any call */
		if (j->reason && j->reason[0])
			reason_put_clean(out, j->reason);
		else if (fax_outcome_parse(code) >= 0)
			buf_puts(out, reason_words(code));
		else if (j->status == JOB_CANCELLED)
			buf_puts(out, fax_outcome_info(FAX_CANCELLED)->words);
		else
			buf_puts(out, "the fax could not be sent");
		if (hist.len) {
			buf_puts(out, "; before that, ");
			buf_append(out, hist.data, hist.len);
		}
		buf_free(&hist);
		return;
	}
	buf_append(out, hist.data, hist.len);
	if (strcmp(code, "refused") == 0 && last && last->outcome &&
	    strcmp(last->outcome, "needs_standard") == 0)
		buf_puts(out, "; it refused the fax even at standard resolution");
	else if (strcmp(code, "refused") == 0 && last && last->outcome &&
	         strcmp(last->outcome, "needs_a4") == 0)
		buf_puts(out, "; it refused the fax even on A4 paper");
	else if (j->reason && strstr(j->reason, "no more time"))
		buf_puts(out, "; there was no time left to try again");
	buf_free(&hist);
}

static void reason_delay(const struct job *j, const struct attempt *a, size_t n, int64_t now, struct buf *out)
{
	if (j->status == JOB_HELD)
		buf_puts(out, "it is on hold");
	else if (j->status == JOB_SENDING)
		buf_puts(out, "it is being sent now");
	else if (reason_last(a, n) == NULL)
		buf_puts(out, "no call could be made yet");
	else
		buf_puts(out, "it could not be sent yet");
	if (reason_last(a, n)) {
		buf_puts(out, ": ");
		reason_history(a, n, true, out);
	}
	if (j->status == JOB_QUEUED && j->next_attempt > now) {
		char at[32];
		struct tm tm;
		time_t t = (time_t)j->next_attempt;

		if (localtime_r(&t, &tm) && strftime(at, sizeof(at), "%Y-%m-%d %H:%M", &tm) > 0)
			buf_printf(out, "; the next try is at %s", at);
	}
}

void notify_reason(const struct job *j, const struct attempt *a, size_t n, enum notify_kind kind, int64_t now,
                   struct buf *out)
{
	if (a == NULL)
		n = 0;
	switch (kind) {
	case NOTIFY_SEND_SUCCESS: {
		/* the last call is the one that went through; the ones before it are history */
		size_t before = n;
		if (before > 0 && a[before - 1].outcome && strcmp(a[before - 1].outcome, "ok") == 0)
			before--;
		buf_puts(out, fax_outcome_info(FAX_OK)->words);
		if (reason_last(a, before)) {
			buf_puts(out, "; before that, ");
			reason_history(a, before, false, out);
		}
		break;
	}
	case NOTIFY_SEND_DELAY:
		reason_delay(j, a, n, now, out);
		break;
	default:
		reason_failure(j, a, n, out);
		break;
	}
}

const char *notify_outcome(const struct job *j, const struct attempt *a, size_t n, enum notify_kind kind)
{
	const struct attempt *last = a ? reason_last(a, n) : NULL;

	if (kind != NOTIFY_SEND_DELAY && fax_outcome_parse(j->reason_code) >= 0)
		return j->reason_code;
	if (kind == NOTIFY_SEND_SUCCESS)
		return "ok";
	if (last && last->outcome && fax_outcome_parse(last->outcome) >= 0)
		return last->outcome;
	if (kind != NOTIFY_SEND_DELAY && j->reason_code && j->reason_code[0])
		return j->reason_code;
	return queue_status_name(j->status);
}

/* --- the sender's address --- */

static bool address_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

static bool address_local_ok(const char *s, size_t len)
{
	if (len == 0 || len > 64)
		return false;
	/* A quoted local part ("a b"@x) gets no notice: rare, and the mail writer takes none. */
	if (s[0] == '"')
		return false;
	/* dot-atom */
	if (s[0] == '.' || s[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return false;
		} else if (!address_atext((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

static bool address_domain_ok(const char *s)
{
	size_t len = strlen(s), label = 0;

	if (len == 0 || len > 253)
		return false;
	if (s[0] == '[') {
		/* address literal: [192.0.2.1] or [IPv6:2001:db8::1] */
		if (len < 3 || s[len - 1] != ']')
			return false;
		return strspn(s + 1, "0123456789abcdefABCDEFIPv6:.") == len - 2;
	}
	for (size_t i = 0; i <= len; i++) {
		char c = s[i];
		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		           (c == '-' && label > 0)) {
			label++;
		} else {
			return false;
		}
	}
	return true;
}

bool notify_address_ok(const char *addr)
{
	const char *at;
	size_t len;

	if (addr == NULL)
		return false;
	len = strlen(addr);
	if (len < 3 || len > 254)
		return false;
	at = strrchr(addr, '@');
	if (at == NULL || at == addr)
		return false;
	return address_local_ok(addr, (size_t)(at - addr)) && address_domain_ok(at + 1);
}
