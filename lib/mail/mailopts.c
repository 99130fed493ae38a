/*
 * mailopts.c - per-message fax options from X-Fax-* headers and subject keywords.
 *
 * Reads hostile header and subject text: values are short words and times, parsed by hand with
 * every field range-checked; nothing is allocated in proportion to the input except the tidied
 * subject, which is never longer than the subject itself.
 */
#include "mail/mailopts.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "render/geometry.h"
#include "util/xalloc.h"

void mailopts_init(struct mailopts *o)
{
	o->resolution = -1;
	o->cover = -1;
	o->send_after = 0;
}

/* Copy of s without leading and trailing blanks, at most cap-1 bytes; false when longer. */
static bool mailopts_trim(const char *s, size_t n, char *out, size_t cap)
{
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= cap)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

static const char *mailopts_skip(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* n digits exactly; -1 when not. */
static int mailopts_digits(const char **pp, int n)
{
	const char *p = *pp;
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*pp = p + n;
	return v;
}

/* "HH:MM" or "HH:MM:SS" (seconds only when allowed). */
static bool mailopts_clock(const char **pp, bool seconds, struct tm *tm)
{
	const char *p = *pp;
	int h, m, s = 0;

	h = mailopts_digits(&p, isdigit((unsigned char)p[1]) ? 2 : 1);
	if (h < 0 || *p++ != ':')
		return false;
	m = mailopts_digits(&p, 2);
	if (m < 0)
		return false;
	if (seconds && *p == ':') {
		p++;
		s = mailopts_digits(&p, 2);
		if (s < 0 || s > 60)
			return false;
	}
	if (h > 23 || m > 59)
		return false;
	tm->tm_hour = h;
	tm->tm_min = m;
	tm->tm_sec = s == 60 ? 59 : s;
	*pp = p;
	return true;
}

static bool mailopts_date_valid(int y, int mon, int d)
{
	static const int days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (y < 1970 || y > 9999 || mon < 1 || mon > 12 || d < 1 || d > days[mon - 1])
		return false;
	return mon != 2 || d < 29 || (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

/* Local wall-clock time to unix seconds; a time skipped by a DST change moves forward. */
static int64_t mailopts_local(struct tm *tm)
{
	tm->tm_isdst = -1;
	return (int64_t)mktime(tm);
}

static int mailopts_iso(const char *s, int64_t *out)
{
	const char *p = s;
	struct tm tm = {0};
	int y, mon, d;

	y = mailopts_digits(&p, 4);
	if (y < 0 || *p++ != '-')
		return -1;
	mon = mailopts_digits(&p, 2);
	if (mon < 0 || *p++ != '-')
		return -1;
	d = mailopts_digits(&p, 2);
	if (d < 0 || !mailopts_date_valid(y, mon, d))
		return -1;
	if (*p != ' ' && *p != 'T' && *p != 't')
		return -1;
	p = mailopts_skip(p + 1);
	if (!mailopts_clock(&p, true, &tm) || *mailopts_skip(p) != '\0')
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = d;
	*out = mailopts_local(&tm);
	return 0;
}

/* RFC 5322 zone: +hhmm / -hhmm, or one of the obsolete names; seconds east of UTC. */
static bool mailopts_zone(const char *z, long *east)
{
	static const struct {
		const char *name;
		int hours;
	} names[] = {{"UT", 0},   {"GMT", 0},  {"Z", 0},    {"EST", -5}, {"EDT", -4}, {"CST", -6},
	             {"CDT", -5}, {"MST", -7}, {"MDT", -6}, {"PST", -8}, {"PDT", -7}};
	const char *p = z + 1;
	int hh, mm;

	if (*z == '+' || *z == '-') {
		hh = mailopts_digits(&p, 2);
		mm = hh < 0 ? -1 : mailopts_digits(&p, 2);
		if (mm < 0 || mm > 59 || hh > 23 || *mailopts_skip(p) != '\0')
			return false;
		*east = (*z == '-' ? -1 : 1) * (hh * 3600L + mm * 60L);
		return true;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t n = strlen(names[i].name);

		if (strncasecmp(z, names[i].name, n) == 0 && *mailopts_skip(z + n) == '\0') {
			*east = names[i].hours * 3600L;
			return true;
		}
	}
	return false;
}

/* "[Thu, ]26 Nov 2026 18:00[:00] +0100" (RFC 5322 section 3.3). */
static int mailopts_rfc5322(const char *s, int64_t *out)
{
	static const char months[12][4] = {"jan", "feb", "mar", "apr", "may", "jun",
	                                   "jul", "aug", "sep", "oct", "nov", "dec"};
	const char *p = mailopts_skip(s), *comma = strchr(s, ',');
	struct tm tm = {0};
	int d, mon = -1, y;
	long east;
	time_t t;

	if (comma != NULL) {
		if (comma - p != 3)
			return -1;
		p = mailopts_skip(comma + 1);
	}
	d = mailopts_digits(&p, isdigit((unsigned char)p[1]) ? 2 : 1);
	if (d < 0 || *p != ' ')
		return -1;
	p = mailopts_skip(p);
	for (int i = 0; i < 12; i++)
		if (strncasecmp(p, months[i], 3) == 0 && p[3] == ' ')
			mon = i + 1;
	if (mon < 0)
		return -1;
	p = mailopts_skip(p + 3);
	y = mailopts_digits(&p, 4);
	if (y < 0 || *p != ' ' || !mailopts_date_valid(y, mon, d))
		return -1;
	p = mailopts_skip(p);
	if (!mailopts_clock(&p, true, &tm) || *p != ' ' || !mailopts_zone(mailopts_skip(p), &east))
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = d;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = (int64_t)t - east;
	return 0;
}

/* "HH:MM": the next such wall-clock time after now. */
static int mailopts_clock_only(const char *s, int64_t now, int64_t *out)
{
	const char *p = s;
	struct tm want = {0}, tm;
	time_t tnow = (time_t)now;
	int64_t t;

	if (!mailopts_clock(&p, false, &want) || *mailopts_skip(p) != '\0')
		return -1;
	if (localtime_r(&tnow, &tm) == NULL)
		return -1;
	tm.tm_hour = want.tm_hour;
	tm.tm_min = want.tm_min;
	tm.tm_sec = 0;
	t = mailopts_local(&tm);
	if (t <= now) {
		if (localtime_r(&tnow, &tm) == NULL)
			return -1;
		tm.tm_mday++;
		tm.tm_hour = want.tm_hour;
		tm.tm_min = want.tm_min;
		tm.tm_sec = 0;
		t = mailopts_local(&tm);
	}
	*out = t;
	return 0;
}

int mailopts_parse_time(const char *s, int64_t now, int64_t *out)
{
	char v[80];
	int64_t t;
	int rc;

	if (!mailopts_trim(s, strlen(s), v, sizeof(v)) || v[0] == '\0')
		return -1;
	if (strlen(v) <= 5 && strchr(v, ':') != NULL)
		rc = mailopts_clock_only(v, now, &t);
	else if (isdigit((unsigned char)v[0]) && strlen(v) > 4 && v[4] == '-')
		rc = mailopts_iso(v, &t);
	else
		rc = mailopts_rfc5322(v, &t);
	if (rc < 0 || t == -1)
		return -1;
	if (t > now + MAILOPTS_MAX_DELAY)
		return -1;
	*out = t < now ? now : t;
	return 0;
}

/* Record one option value; a different value for an option already set is a contradiction. */
static int mailopts_set(int *slot, int v, const char *what, struct buf *err)
{
	if (*slot != -1 && *slot != v) {
		buf_printf(err, "the fax option %s is given twice with different values", what);
		return -1;
	}
	*slot = v;
	return 0;
}

static int mailopts_set_time(struct mailopts *o, const char *value, int64_t now, const char *what,
                             struct buf *err)
{
	int64_t t;

	if (mailopts_parse_time(value, now, &t) < 0) {
		buf_printf(err,
		           "the fax option %s \"%.60s\" is not a time: write 2026-11-26 18:00, an RFC 5322 "
		           "date, or 18:00, at most a year ahead",
		           what, value);
		return -1;
	}
	if (o->send_after != 0 && o->send_after != t) {
		buf_printf(err, "the fax option %s is given twice with different values", what);
		return -1;
	}
	o->send_after = t;
	return 0;
}

int mailopts_header(struct mailopts *o, const char *name, const char *value, int64_t now, struct buf *err)
{
	char v[32];
	int r;

	if (strcasecmp(name, "X-Fax-Send-After") == 0)
		return mailopts_set_time(o, value, now, "X-Fax-Send-After", err);
	if (strcasecmp(name, "X-Fax-Resolution") == 0) {
		r = mailopts_trim(value, strlen(value), v, sizeof(v)) ? geometry_resolution_parse(v) : -1;
		if (r < 0) {
			buf_printf(
			    err,
			    "the fax option X-Fax-Resolution \"%.60s\" must be standard, fine or superfine",
			    value);
			return -1;
		}
		return mailopts_set(&o->resolution, r, "X-Fax-Resolution", err);
	}
	if (strcasecmp(name, "X-Fax-Cover") == 0) {
		if (!mailopts_trim(value, strlen(value), v, sizeof(v)))
			r = -1;
		else
			r = strcasecmp(v, "yes") == 0 ? 1 : strcasecmp(v, "no") == 0 ? 0 : -1;
		if (r < 0) {
			buf_printf(err, "the fax option X-Fax-Cover \"%.60s\" must be yes or no", value);
			return -1;
		}
		return mailopts_set(&o->cover, r, "X-Fax-Cover", err);
	}
	return 0;
}

/*
 * One bracketed word of the subject: 1 when it is an option (applied), 0 when it is not one of
 * ours, -1 when it is ours but malformed.
 */
static int mailopts_keyword(struct mailopts *o, const char *kw, int64_t now, struct buf *err)
{
	int r;

	if ((r = geometry_resolution_parse(kw)) >= 0)
		return mailopts_set(&o->resolution, r, "[resolution]", err) < 0 ? -1 : 1;
	if (strcasecmp(kw, "cover") == 0 || strcasecmp(kw, "nocover") == 0)
		return mailopts_set(&o->cover, strcasecmp(kw, "cover") == 0, "[cover]", err) < 0 ? -1 : 1;
	if (strncasecmp(kw, "after", 5) == 0 && (kw[5] == '\0' || isspace((unsigned char)kw[5])))
		return mailopts_set_time(o, kw + 5, now, "[after]", err) < 0 ? -1 : 1;
	return 0;
}

int mailopts_subject(struct mailopts *o, const char *subject, int64_t now, char **tidy, struct buf *err)
{
	size_t n = strlen(subject);
	char *out = xmalloc(n + 1), kw[80];
	size_t o_len = 0;
	const char *p = subject;

	while (*p != '\0') {
		const char *close = *p == '[' ? strchr(p, ']') : NULL;
		int r = 0;

		if (close != NULL && mailopts_trim(p + 1, (size_t)(close - p - 1), kw, sizeof(kw)))
			r = mailopts_keyword(o, kw, now, err);
		if (r < 0) {
			free(out);
			return -1;
		}
		if (r == 0) {
			out[o_len++] = *p++;
			continue;
		}
		/* drop the keyword and the blanks after it; blanks before it stay as one separator */
		p = close + 1;
		while (*p == ' ' || *p == '\t')
			p++;
		while (o_len > 0 && (out[o_len - 1] == ' ' || out[o_len - 1] == '\t'))
			o_len--;
		if (o_len > 0 && *p != '\0')
			out[o_len++] = ' ';
	}
	while (o_len > 0 && isspace((unsigned char)out[o_len - 1]))
		o_len--;
	out[o_len] = '\0';
	p = out;
	while (isspace((unsigned char)*p))
		p++;
	memmove(out, p, strlen(p) + 1);
	*tidy = out;
	return 0;
}
