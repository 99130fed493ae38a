/*
 * faxaddr.c - which envelope recipients are faxes, and the number (and T.33 sub-address) in them.
 *
 * The recipient comes straight from an SMTP client, so it is hostile: nothing here allocates
 * before the sizes are checked, the local part is copied into a fixed buffer (an SMTP local part
 * has at most 64 octets; we take up to LOCAL_MAX), and every reason given back is in words a
 * sender can act on. The accepted forms are in faxaddr.h and docs/dialplan.md.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fax/faxaddr.h"
#include "util/xalloc.h"

#define LOCAL_MAX      256
#define NUMBER_MAX     20 /* digits; E.164 has 15, the rest is room for dialling prefixes */
#define SUBADDRESS_MAX 20 /* T.30's SUB frame carries at most 20 digits */
#define BLANKS         " \t"
#define LIST_SEPS      ", \t"

struct addr {
	char local[LOCAL_MAX + 1]; /* unquoted */
	const char *domain;        /* into the caller's string, without a trailing dot */
	size_t domain_len;
};

enum split_rc { SPLIT_OK, SPLIT_NO_ADDRESS, SPLIT_BAD_QUOTES, SPLIT_TOO_LONG };

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Undo RFC 5321 quoting of a local part ("+49 30 1234" or "a\"b"); false when it is broken. */
static enum split_rc unquote(const char *s, const char *end, char *out)
{
	size_t n = 0;

	if (end - s > 2 * LOCAL_MAX)
		return SPLIT_TOO_LONG;
	if (s < end && *s == '"') {
		for (s++; s < end && *s != '"'; s++) {
			if (*s == '\\' && ++s == end)
				return SPLIT_BAD_QUOTES;
			if (n == LOCAL_MAX)
				return SPLIT_TOO_LONG;
			out[n++] = *s;
		}
		if (s + 1 != end) /* no closing quote, or something after it */
			return SPLIT_BAD_QUOTES;
	} else {
		for (; s < end; s++) {
			if (*s == '"')
				return SPLIT_BAD_QUOTES;
			if (n == LOCAL_MAX)
				return SPLIT_TOO_LONG;
			out[n++] = *s;
		}
	}
	out[n] = '\0';
	return SPLIT_OK;
}

/* s without surrounding blanks and angle brackets, as start and length. */
static void bare(const char *s, const char **start, size_t *len)
{
	const char *end;

	s += strspn(s, BLANKS);
	end = s + strlen(s);
	while (end > s && is_blank(end[-1]))
		end--;
	if (s < end && *s == '<') {
		s++;
		if (end > s && end[-1] == '>')
			end--;
	}
	*start = s;
	*len = (size_t)(end - s);
}

/* "<@relay:local@domain>" to its local part and domain; brackets, blanks and source routes go. */
static enum split_rc addr_split(const char *str, struct addr *a)
{
	const char *s, *end, *at;
	size_t len;

	bare(str, &s, &len);
	end = s + len;
	if (s < end && *s == '@') { /* RFC 5321 says to ignore a source route */
		const char *colon = memchr(s, ':', (size_t)(end - s));
		if (colon)
			s = colon + 1;
	}
	at = NULL;
	for (const char *p = s; p < end; p++)
		if (*p == '@')
			at = p;
	if (!at || at + 1 == end)
		return SPLIT_NO_ADDRESS;
	a->domain = at + 1;
	a->domain_len = (size_t)(end - a->domain);
	if (a->domain_len > 1 && a->domain[a->domain_len - 1] == '.')
		a->domain_len--;
	return unquote(s, at, a->local);
}

static bool domain_listed(const char *list, const char *domain, size_t len)
{
	const char *p = list ? list : "";

	p += strspn(p, LIST_SEPS);
	while (*p) {
		size_t n = strcspn(p, LIST_SEPS);
		size_t m = n > 1 && p[n - 1] == '.' ? n - 1 : n;
		if (m == len && strncasecmp(p, domain, len) == 0)
			return true;
		p += n;
		p += strspn(p, LIST_SEPS);
	}
	return false;
}

/* The "/T33S=123" after a number; s points at the '/'. */
static bool parse_subaddress(const char *s, char **sub, struct buf *err)
{
	size_t n;

	if (strncasecmp(s, "/T33S=", 6) != 0) {
		buf_printf(err,
		           "the fax address has an unknown addition after the number; only /T33S= with a "
		           "sub-address is understood");
		return false;
	}
	s += 6;
	n = strspn(s, "0123456789");
	if (n == 0 || s[n] != '\0' || n > SUBADDRESS_MAX) {
		buf_printf(err, "the sub-address after /T33S= must be 1 to %d digits", SUBADDRESS_MAX);
		return false;
	}
	*sub = xstrdup(s);
	return true;
}

/* The digits of a written number, with its leading '+', into out (NUMBER_MAX + 2 bytes). */
static bool parse_number(const char *s, const char *end, char *out, struct buf *err)
{
	size_t n = 0;
	bool plus = false, in_bracket = false;

	if (s < end && *s == '+') {
		plus = true;
		out[n++] = '+';
		s++;
	}
	for (; s < end; s++) {
		char c = *s;
		if (c >= '0' && c <= '9') {
			if (n - plus == NUMBER_MAX) {
				buf_printf(err, "the fax number has more than %d digits", NUMBER_MAX);
				return false;
			}
			out[n++] = c;
		} else if (c == '(' && !in_bracket) {
			in_bracket = true;
			/* "+49 (0)30 ...": the trunk prefix is not dialled from abroad */
			if (plus && s + 2 < end && s[1] == '0' && s[2] == ')') {
				s += 2;
				in_bracket = false;
			}
		} else if (c == ')' && in_bracket) {
			in_bracket = false;
		} else if (c == '(' || c == ')') {
			buf_printf(err, "the brackets in the fax number do not match");
			return false;
		} else if (c == '+') {
			buf_printf(err, "a + is only allowed at the start of the fax number");
			return false;
		} else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
			buf_printf(err,
			           "the fax number contains letters; write it with digits only, e.g. +49 30 "
			           "1234567");
			return false;
		} else if (!is_blank(c) && c != '-' && c != '.' && c != '/') {
			buf_printf(
			    err,
			    "the fax number may only contain digits, spaces and the characters + - . / ( )");
			return false;
		}
	}
	if (in_bracket) {
		buf_printf(err, "the brackets in the fax number do not match");
		return false;
	}
	out[n] = '\0';
	if (n == (size_t)plus) {
		buf_printf(err, "the fax address holds no fax number");
		return false;
	}
	return true;
}

/* Where the qualifiers begin: a '/' followed by a letter ("030/1234" is a separator). */
static const char *qualifier_start(const char *s, const char *end)
{
	for (const char *p = s; p + 1 < end; p++)
		if (*p == '/' && ((p[1] | 0x20) >= 'a' && (p[1] | 0x20) <= 'z'))
			return p;
	return end;
}

static bool parse_local(char *local, struct faxaddr *out, struct buf *err)
{
	char number[NUMBER_MAX + 2];
	char *s = local + strspn(local, BLANKS), *end = s + strlen(s), *q;

	while (end > s && is_blank(end[-1]))
		*--end = '\0';
	if (strncasecmp(s, "FAX=", 4) == 0) /* RFC 3192 */
		s += 4;
	q = (char *)qualifier_start(s, end);
	if (!parse_number(s, q, number, err))
		return false;
	if (q < end && !parse_subaddress(q, &out->subaddress, err))
		return false;
	out->number = xstrdup(number);
	return true;
}

static enum faxaddr_rc parse(const char *rcpt, const char *fax_domains, struct faxaddr *out, struct buf *err)
{
	struct addr a;
	enum split_rc rc = addr_split(rcpt, &a);

	if (rc == SPLIT_NO_ADDRESS || !domain_listed(fax_domains, a.domain, a.domain_len))
		return FAXADDR_NOT_FAX;
	if (rc == SPLIT_TOO_LONG) {
		buf_printf(err, "the fax address is too long");
		return FAXADDR_MALFORMED;
	}
	if (rc == SPLIT_BAD_QUOTES) {
		buf_printf(err, "the quotes in the fax address do not match");
		return FAXADDR_MALFORMED;
	}
	if (!parse_local(a.local, out, err)) {
		faxaddr_free(out);
		return FAXADDR_MALFORMED;
	}
	return FAXADDR_OK;
}

enum faxaddr_rc faxaddr_parse(const char *rcpt, const char *fax_domains, struct faxaddr *out, struct buf *err)
{
	struct buf scratch = BUF_INIT;
	enum faxaddr_rc rc;

	out->number = out->subaddress = NULL;
	if (!rcpt)
		return FAXADDR_NOT_FAX;
	rc = parse(rcpt, fax_domains, out, err ? err : &scratch);
	buf_free(&scratch);
	return rc;
}

void faxaddr_free(struct faxaddr *a)
{
	if (!a)
		return;
	free(a->number);
	free(a->subaddress);
	a->number = a->subaddress = NULL;
}

bool faxaddr_same(const char *a, const char *b)
{
	struct addr x, y;
	enum split_rc rx, ry;

	if (!a || !b)
		return false;
	rx = addr_split(a, &x);
	ry = addr_split(b, &y);
	if (rx == SPLIT_NO_ADDRESS && ry == SPLIT_NO_ADDRESS) {
		const char *sa, *sb;
		size_t la, lb;
		bare(a, &sa, &la);
		bare(b, &sb, &lb);
		return la == lb && memcmp(sa, sb, la) == 0;
	}
	if (rx != SPLIT_OK || ry != SPLIT_OK)
		return false;
	return strcmp(x.local, y.local) == 0 && x.domain_len == y.domain_len &&
	       strncasecmp(x.domain, y.domain, x.domain_len) == 0;
}
