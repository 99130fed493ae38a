/*
 * route_number.c - fax numbers as written in directories and the configuration, made comparable
 * (route_number.h).
 *
 * The rules for separators are those of a fax address's local part (faxaddr.c), and E.164 comes
 * from the same dialplan_resolve the milter uses, on a copy of the configuration whose dial
 * policy lets every number through: whether faxes may be *sent* to a number (international,
 * premium, deny lists, ranges libphonenumber does not know) says nothing about which number a
 * directory entry holds.
 */
#include "route/route_number.h"

#include <string.h>

#include "fax/dialplan.h"

/* Every E.164 number begins with one of these: the policy's allow list that skips all checks. */
static char route_allow_all[] = "1 2 3 4 5 6 7 8 9";
static char route_deny_none[] = "";
#define E164_MAX_DIGITS 15

static bool route_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool route_number_clean(const char *s, size_t len, char out[ROUTE_NUMBER_SIZE])
{
	const char *end = s + len;
	size_t n = 0;
	bool plus = false, in_bracket = false;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s < end && *s == '+') {
		plus = true;
		out[n++] = '+';
		s++;
	}
	for (; s < end; s++) {
		char c = *s;

		if (route_is_digit(c)) {
			if (n - plus == ROUTE_NUMBER_MAX)
				return false;
			out[n++] = c;
		} else if (c == '(' && !in_bracket) {
			/* "+49 (0)30 ...": the trunk prefix is not dialled from abroad */
			if (plus && end - s >= 3 && s[1] == '0' && s[2] == ')')
				s += 2;
			else
				in_bracket = true;
		} else if (c == ')' && in_bracket) {
			in_bracket = false;
		} else if (c != ' ' && c != '\t' && c != '-' && c != '.' && c != '/') {
			return false;
		}
	}
	out[n] = '\0';
	return !in_bracket && n > (size_t)plus;
}

bool route_number_e164(const struct conf *conf, const char *clean, char out[ROUTE_NUMBER_SIZE])
{
	struct conf relaxed = *conf; /* a shallow copy: only pointers to constants are put in */
	struct dialplan_number dn = {0};
	enum dialplan_rc rc;
	bool ok = false;

	if (!clean || !clean[0])
		return false;
	relaxed.dial_allow_international = true;
	relaxed.dial_allow_premium = true;
	relaxed.dial_deny_prefixes = route_deny_none;
	relaxed.dial_allow_prefixes = route_allow_all;
	rc = dialplan_resolve(&relaxed, clean, &dn, NULL);
	if (rc == DIALPLAN_OK && dn.e164 && strlen(dn.e164) < ROUTE_NUMBER_SIZE) {
		strcpy(out, dn.e164);
		ok = true;
	} else if (rc == DIALPLAN_INTERNATIONAL && clean[0] == '+' &&
	           route_number_digits(clean) <= E164_MAX_DIGITS) {
		/*
		 * A number of another country, read, but without dial_international_prefix the dial
		 * plan cannot make a dial string of it: the number itself is still known.
		 */
		strcpy(out, clean);
		ok = true;
	}
	dialplan_number_free(&dn);
	return ok;
}

static bool route_starts_with(const char *s, const char *prefix)
{
	return prefix && prefix[0] && strncmp(s, prefix, strlen(prefix)) == 0;
}

bool route_number_is_local(const struct conf *conf, const char *clean)
{
	return clean[0] != '+' && !route_starts_with(clean, conf->dial_international_prefix) &&
	       !route_starts_with(clean, conf->dial_national_prefix);
}

size_t route_number_digits(const char *number)
{
	size_t n = 0;

	for (const char *p = number; *p; p++)
		n += route_is_digit(*p);
	return n;
}

/* Pointer to the start of the last n digits of a clean number (which has at least n). */
static const char *route_tail(const char *number, size_t n)
{
	size_t len = strlen(number);

	return number + len - n;
}

bool route_number_tail_equal(const char *a, const char *b, size_t n)
{
	if (n == 0 || route_number_digits(a) < n || route_number_digits(b) < n)
		return false;
	return memcmp(route_tail(a, n), route_tail(b, n), n) == 0;
}

bool route_number_ends_with(const char *b, const char *a)
{
	size_t n = route_number_digits(a);

	return n > 0 && route_number_tail_equal(a, b, n);
}
