/*
 * directory_fax.c - users by fax number, for routing received faxes (directory_find_fax).
 *
 * Directories hold fax numbers as people typed them ("+49 30 1234-100", "(030) 1234 102",
 * "0049 30 1234 103", "104", AD's "FAX:Name@+4930..." proxy addresses), so no filter can match
 * them exactly. The search asks for entries whose fax attributes hold the last few digits of the
 * number in order, with anything between them (*1*0*0 finds "1-00" and "1 00"); every value of
 * the answer is then read like the number called (route_number.h) and compared in E.164, or by
 * the last match_digits digits. The filter only narrows the candidates; the comparison decides.
 *
 * Values come from the directory and are treated as untrusted: bounded, never placed in a filter.
 * The answer is bounded too (DIRECTORY_MAX_FAX_ENTRIES); a larger one is used as far as it goes
 * and logged, since a directory with that many near-identical numbers needs a longer routing code.
 */
#include "directory/directory_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "route/route_number.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Candidates one search may return; the substring filter is loose, but not this loose. */
#define DIRECTORY_MAX_FAX_ENTRIES 200
/* Values of one entry looked at, at most (AD users carry dozens of proxy addresses). */
#define DIRECTORY_MAX_FAX_VALUES 100
/* Longest value read as a number; a fax number written with separators is far shorter. */
#define DIRECTORY_MAX_FAX_VALUE 128
/* Digits of the number put into the filter when the whole number is compared. */
#define DIRECTORY_FILTER_DIGITS_MIN 4
#define DIRECTORY_FILTER_DIGITS_MAX 6

static const char *const directory_fax_attrs[] = {"mail",
                                                  "displayName",
                                                  "cn",
                                                  "userAccountControl",
                                                  "accountExpires",
                                                  "facsimileTelephoneNumber",
                                                  "otherFacsimileTelephoneNumber",
                                                  "proxyAddresses",
                                                  NULL};

/*
 * How many trailing digits go into the filter. With a routing code, exactly its digits (every
 * value that can match holds them). Otherwise the number's local part when it lies in this
 * server's area (any writing of the number holds at least that), at most 6; else 4.
 */
static size_t directory_fax_filter_digits(const struct conf *conf, const char *digits, int match_digits)
{
	size_t len = strlen(digits), n = DIRECTORY_FILTER_DIGITS_MIN;
	const char *cc = conf->dial_country_code ? conf->dial_country_code : "";
	const char *area = conf->dial_area_code ? conf->dial_area_code : "";

	if (match_digits > 0)
		return (size_t)match_digits < len ? (size_t)match_digits : len;
	if (cc[0] == '+')
		cc++;
	if (cc[0] && area[0] && strncmp(digits, cc, strlen(cc)) == 0 &&
	    strncmp(digits + strlen(cc), area, strlen(area)) == 0 && len > strlen(cc) + strlen(area))
		n = len - strlen(cc) - strlen(area);
	if (n > DIRECTORY_FILTER_DIGITS_MAX)
		n = DIRECTORY_FILTER_DIGITS_MAX;
	if (n < DIRECTORY_FILTER_DIGITS_MIN)
		n = DIRECTORY_FILTER_DIGITS_MIN;
	return n < len ? n : len;
}

/* "(attr=PREFIX*1*0*0)": the digits are checked digits, escaped all the same. */
static void directory_fax_term(struct buf *f, const char *attr, const char *prefix, const char *tail)
{
	buf_printf(f, "(%s=%s", attr, prefix);
	for (const char *p = tail; *p; p++) {
		char one[2] = {*p, '\0'};

		buf_putc(f, '*');
		directory_escape(one, f);
	}
	buf_puts(f, ")");
}

static void directory_fax_filter(int type, const char *tail, struct buf *f)
{
	switch (type) {
	case CONF_LDAP_AD:
		buf_puts(f, "(&(objectClass=user)(|");
		directory_fax_term(f, "facsimileTelephoneNumber", "", tail);
		directory_fax_term(f, "otherFacsimileTelephoneNumber", "", tail);
		directory_fax_term(f, "proxyAddresses", "FAX:", tail);
		buf_puts(f, "))");
		break;
	case CONF_LDAP_DOMINO:
		buf_puts(f, "(&(objectClass=dominoPerson)");
		directory_fax_term(f, "facsimiletelephonenumber", "", tail);
		buf_puts(f, ")");
		break;
	default:
		buf_puts(f, "(&(objectClass=inetOrgPerson)");
		directory_fax_term(f, "facsimileTelephoneNumber", "", tail);
		buf_puts(f, ")");
		break;
	}
}

/*
 * The number in an AD proxy address "FAX:+49 30 1234-100" or "FAX:Jane Doe@+49301234100" (the
 * number follows the last '@'); NULL for other address types.
 */
static const char *directory_fax_proxy_number(const char *v, size_t len, size_t *nlen)
{
	const char *at;

	if (len < 4 || strncasecmp(v, "FAX:", 4) != 0)
		return NULL;
	v += 4;
	len -= 4;
	at = memrchr(v, '@', len);
	if (at) {
		len -= (size_t)(at + 1 - v);
		v = at + 1;
	}
	*nlen = len;
	return v;
}

/* Does one directory value hold the number? want is E.164, or any digits with match_digits. */
static bool directory_fax_value_matches(const struct conf *conf, const char *v, size_t len, const char *want,
                                        int match_digits)
{
	char clean[ROUTE_NUMBER_SIZE], e164[ROUTE_NUMBER_SIZE];

	if (len > DIRECTORY_MAX_FAX_VALUE || memchr(v, '\0', len) || !route_number_clean(v, len, clean))
		return false;
	if (match_digits > 0)
		return route_number_tail_equal(clean, want, (size_t)match_digits);
	return route_number_e164(conf, clean, e164) && strcmp(e164, want) == 0;
}

static bool directory_fax_entry_matches(struct directory *d, const struct conf *conf, LDAPMessage *e,
                                        const char *want, int match_digits)
{
	static const char *const number_attrs[] = {"facsimileTelephoneNumber",
	                                           "otherFacsimileTelephoneNumber", "proxyAddresses"};
	bool match = false;
	int looked = 0;

	for (size_t a = 0; a < sizeof(number_attrs) / sizeof(number_attrs[0]) && !match; a++) {
		bool proxy = a == 2;
		struct berval **vals;

		/* Only AD has the other two; elsewhere a value there is nothing faxgate was told of. */
		if (a > 0 && d->type != CONF_LDAP_AD)
			break;
		vals = ldap_get_values_len(d->ld, e, number_attrs[a]);
		for (size_t i = 0; vals && vals[i] && !match && looked < DIRECTORY_MAX_FAX_VALUES;
		     i++, looked++) {
			const char *v = vals[i]->bv_val;
			size_t len = vals[i]->bv_len;

			if (proxy && !(v = directory_fax_proxy_number(v, len, &len)))
				continue;
			match = directory_fax_value_matches(conf, v, len, want, match_digits);
		}
		ldap_value_free_len(vals);
	}
	return match;
}

enum directory_rc directory_find_fax(struct directory *d, const struct conf *conf, const char *number,
                                     int match_digits, struct directory_user **out, size_t *n,
                                     struct buf *err)
{
	char clean[ROUTE_NUMBER_SIZE], digits[ROUTE_NUMBER_SIZE];
	struct buf filter = BUF_INIT;
	LDAPMessage *res = NULL;
	enum directory_rc rc;
	bool truncated;
	size_t ndigits;

	*out = NULL;
	*n = 0;
	if (!number || !route_number_clean(number, strlen(number), clean) || match_digits < 0)
		return DIRECTORY_NOT_FOUND;
	/* Without a routing code only an E.164 number can be compared with what the values say. */
	if (match_digits == 0 && clean[0] != '+')
		return DIRECTORY_NOT_FOUND;
	if (match_digits > 0 && route_number_digits(clean) < (size_t)match_digits)
		return DIRECTORY_NOT_FOUND;
	strcpy(digits, clean + (clean[0] == '+'));
	ndigits = directory_fax_filter_digits(conf, digits, match_digits);
	directory_fax_filter(d->type, digits + strlen(digits) - ndigits, &filter);
	log_debug("directory: fax number %s: %s", clean, buf_cstr(&filter));
	rc = directory_search(d, d->base, LDAP_SCOPE_SUBTREE, buf_cstr(&filter), directory_fax_attrs,
	                      DIRECTORY_MAX_FAX_ENTRIES, &res, &truncated, err);
	if (rc != DIRECTORY_OK)
		goto done;
	if (truncated)
		log_warning(
		    "directory: more than %d entries have fax numbers like %s; only those are compared "
		    "(a longer inbound_match_digits narrows the search)",
		    DIRECTORY_MAX_FAX_ENTRIES, clean);
	for (LDAPMessage *e = res ? ldap_first_entry(d->ld, res) : NULL; e; e = ldap_next_entry(d->ld, e)) {
		char *dn;

		if (!directory_fax_entry_matches(d, conf, e, clean, match_digits))
			continue;
		dn = ldap_get_dn(d->ld, e);
		if (!dn)
			continue;
		*out = xreallocarray(*out, *n + 1, sizeof(**out));
		directory_user_from_entry(d, e, dn, &(*out)[*n]);
		(*n)++;
		ldap_memfree(dn);
	}
	rc = *n ? DIRECTORY_OK : DIRECTORY_NOT_FOUND;
done:
	ldap_msgfree(res);
	buf_free(&filter);
	return rc;
}

void directory_user_list_free(struct directory_user *u, size_t n)
{
	for (size_t i = 0; i < n; i++)
		directory_user_free(&u[i]);
	free(u);
}
