/*
 * dialplan.c - a fax number as a sender wrote it, read from this server's place in the telephone
 * network: to E.164, through the policy (deny, allow, international, premium), to a dial string.
 *
 * The number comes from a mail address, so it is hostile: it is checked again here (digits and a
 * leading '+', at most 20 digits) before anything is built from it, and every buffer below has a
 * fixed size that the checks guarantee. docs/dialplan.md has the rules.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fax/dialplan.h"
#include "fax/phonenumber.h"
#include "util/xalloc.h"

#define DIGITS "0123456789"
/* A number as written: E.164 has at most 15 digits, the room above is for dialling prefixes. */
#define NUMBER_DIGITS_MAX 20
/* Configured parts: country code 1..3 digits, area code and dialling prefixes at most 8. */
#define CC_MAX          3
#define PART_MAX        8
#define PREFIX_MAX      15
#define E164_DIGITS_MAX 15

/* The configuration, checked: an invalid part reads as empty (dialplan_check_conf reports it). */
struct plan {
	char cc[CC_MAX + 1];
	char area[PART_MAX + 1];
	char intl[PART_MAX + 1];
	char national[PART_MAX + 1];
	char outside[PART_MAX + 1];
	bool local_without_area;
};

static bool digits_only(const char *s, size_t min, size_t max)
{
	size_t n = strspn(s, DIGITS);
	return s[n] == '\0' && n >= min && n <= max;
}

static void plan_part(char *dst, size_t size, const char *value)
{
	dst[0] = '\0';
	if (value && digits_only(value, 0, size - 1))
		memcpy(dst, value, strlen(value) + 1);
}

static void plan_init(struct plan *p, const struct conf *conf)
{
	const char *cc = conf->dial_country_code ? conf->dial_country_code : "";

	plan_part(p->cc, sizeof p->cc, cc[0] == '+' ? cc + 1 : cc);
	plan_part(p->area, sizeof p->area, conf->dial_area_code);
	plan_part(p->intl, sizeof p->intl, conf->dial_international_prefix);
	plan_part(p->national, sizeof p->national, conf->dial_national_prefix);
	plan_part(p->outside, sizeof p->outside, conf->dial_outside_prefix);
	p->local_without_area = conf->dial_local_without_area;
}

static bool starts_with(const char *s, const char *prefix)
{
	return prefix[0] && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A list entry as an E.164 prefix without '+': "+49 900" is two entries, "+49900" one. */
static bool prefix_entry(const char *word, size_t len, char out[PREFIX_MAX + 1])
{
	if (len > 0 && word[0] == '+') {
		word++;
		len--;
	}
	if (len == 0 || len > PREFIX_MAX || strspn(word, DIGITS) < len)
		return false;
	memcpy(out, word, len);
	out[len] = '\0';
	return true;
}

/* Whether the E.164 number (with '+') begins with an entry of the list (commas or blanks). */
static bool prefix_listed(const char *list, const char *e164)
{
	const char *p = list ? list : "";
	char entry[PREFIX_MAX + 1];

	while (*p) {
		size_t len = strcspn(p, ", \t");
		if (prefix_entry(p, len, entry) && starts_with(e164 + 1, entry))
			return true;
		p += len;
		p += strspn(p, ", \t");
	}
	return false;
}

/*
 * The number as country code and national number (digits, no '+') in intl; for a local number
 * also the reading as a national number without prefix in alt (NANP's ten-digit dialling).
 */
static enum dialplan_rc to_international(const struct plan *p, const char *number, char *intl, char *alt,
                                         struct buf *err)
{
	const char *d = number; /* checked by the caller: '+'? and 1..20 digits */

	alt[0] = '\0';
	if (d[0] == '+') {
		strcpy(intl, d + 1);
		return DIALPLAN_OK;
	}
	if (starts_with(d, p->intl)) {
		strcpy(intl, d + strlen(p->intl));
		if (!intl[0]) {
			buf_printf(err, "the fax number ends after the international prefix %s", p->intl);
			return DIALPLAN_MALFORMED;
		}
		return DIALPLAN_OK;
	}
	if (!p->cc[0]) {
		buf_printf(err, "numbers must be given in international form: + country code, area code and "
		                "number, e.g. +49 30 1234567");
		return DIALPLAN_MALFORMED;
	}
	if (starts_with(d, p->national)) {
		if (!d[strlen(p->national)]) {
			buf_printf(err, "the fax number ends after the national prefix %s", p->national);
			return DIALPLAN_MALFORMED;
		}
		sprintf(intl, "%s%s", p->cc, d + strlen(p->national));
		return DIALPLAN_OK;
	}
	if (p->area[0]) {
		sprintf(intl, "%s%s%s", p->cc, p->area, d);
		sprintf(alt, "%s%s", p->cc, d);
	} else {
		sprintf(intl, "%s%s", p->cc, d);
	}
	return DIALPLAN_OK;
}

/* How the sender's number was understood, for messages: "+4930123" or "123 (read as +4930123)". */
static void say_number(struct buf *err, const char *number, const struct phonenumber_info *info,
                       const char *digits)
{
	const char *e164 = info->e164[0] ? info->e164 + 1 : digits;

	if (number[0] == '+' && strcmp(number + 1, e164) == 0)
		buf_printf(err, "+%s", e164);
	else
		buf_printf(err, "%s (read as +%s)", number, e164);
}

static enum dialplan_rc analyse(const char *number, const char *intl, const char *alt,
                                struct phonenumber_info *info, struct buf *err)
{
	enum phonenumber_rc rc = phonenumber_analyse(intl, info);

	/* too long for a local number: the sender included the area code but no prefix */
	if (alt[0] && rc == PHONENUMBER_TOO_LONG) {
		struct phonenumber_info other;
		if (phonenumber_analyse(alt, &other) == PHONENUMBER_OK && other.valid) {
			*info = other;
			rc = PHONENUMBER_OK;
			intl = alt;
		}
	}
	/* some countries' metadata allows longer numbers (extensions), E.164 does not */
	if (rc == PHONENUMBER_OK && strlen(info->e164) > 1 + E164_DIGITS_MAX)
		rc = PHONENUMBER_TOO_LONG;
	switch (rc) {
	case PHONENUMBER_OK:
		return DIALPLAN_OK;
	case PHONENUMBER_INTERNAL:
		buf_printf(err, "the fax number could not be checked; please try again later");
		return DIALPLAN_TEMPFAIL;
	case PHONENUMBER_BAD_COUNTRY:
		buf_printf(err, "+%s does not begin with a country code in use", intl);
		return DIALPLAN_IMPOSSIBLE;
	default:
		break;
	}
	buf_printf(err, "the fax number ");
	say_number(err, number, info, intl);
	buf_printf(err, rc == PHONENUMBER_TOO_SHORT  ? " is too short"
	                : rc == PHONENUMBER_TOO_LONG ? " is too long"
	                                             : " has the wrong number of digits");
	return DIALPLAN_IMPOSSIBLE;
}

/* Premium here means costing the caller more than an ordinary call: see docs/dialplan.md. */
static bool premium(enum phonenumber_type type)
{
	return type == PHONENUMBER_PREMIUM_RATE || type == PHONENUMBER_SHARED_COST ||
	       type == PHONENUMBER_PERSONAL_NUMBER;
}

static enum dialplan_rc policy(const struct conf *conf, const struct plan *p, const char *number,
                               const struct phonenumber_info *info, struct buf *err)
{
	char cc[8];

	if (prefix_listed(conf->dial_deny_prefixes, info->e164)) {
		buf_printf(err, "faxes to %s are blocked by this fax server's dial plan", info->e164);
		return DIALPLAN_DENIED;
	}
	if (prefix_listed(conf->dial_allow_prefixes, info->e164))
		return DIALPLAN_OK;
	if (!info->valid) {
		buf_printf(err, "the fax number ");
		say_number(err, number, info, info->e164 + 1);
		buf_printf(err, " is not in any number range in use");
		return DIALPLAN_IMPOSSIBLE;
	}
	snprintf(cc, sizeof cc, "%d", info->country_code);
	if (strcmp(cc, p->cc) != 0 && !conf->dial_allow_international) {
		buf_printf(err, "faxes to other countries are not allowed (%s is a number in %s)", info->e164,
		           info->region[0] ? info->region : "another country");
		return DIALPLAN_INTERNATIONAL;
	}
	if (premium(info->type) && !conf->dial_allow_premium) {
		buf_printf(
		    err,
		    "faxes to premium-rate, shared-cost and personal numbers are not allowed (%s is a %s "
		    "number)",
		    info->e164, phonenumber_type_name(info->type));
		return DIALPLAN_PREMIUM;
	}
	return DIALPLAN_OK;
}

static enum dialplan_rc dial_string(const struct plan *p, const struct phonenumber_info *info,
                                    struct buf *dial, struct buf *err)
{
	char cc[8];
	size_t area_len = strlen(p->area);

	snprintf(cc, sizeof cc, "%d", info->country_code);
	buf_puts(dial, p->outside);
	if (strcmp(cc, p->cc) != 0) {
		if (!p->intl[0]) {
			buf_printf(err, "this fax server cannot dial other countries");
			return DIALPLAN_INTERNATIONAL;
		}
		buf_printf(dial, "%s%s%s", p->intl, cc, info->nsn);
	} else if (p->local_without_area && area_len && starts_with(info->nsn, p->area) &&
	           info->nsn[area_len]) {
		buf_puts(dial, info->nsn + area_len);
	} else {
		buf_printf(dial, "%s%s", p->national, info->nsn);
	}
	return DIALPLAN_OK;
}

static enum dialplan_rc resolve(const struct conf *conf, const char *number, struct dialplan_number *out,
                                struct buf *err)
{
	struct plan p;
	char intl[NUMBER_DIGITS_MAX + CC_MAX + PART_MAX + 1], alt[sizeof intl];
	struct phonenumber_info info;
	struct buf dial = BUF_INIT;
	enum dialplan_rc rc;

	if (!number || !number[0]) {
		buf_printf(err, "no fax number given");
		return DIALPLAN_MALFORMED;
	}
	if (!digits_only(number + (number[0] == '+'), 1, SIZE_MAX)) {
		buf_printf(err, "a fax number may only contain digits, and + at the start");
		return DIALPLAN_MALFORMED;
	}
	if (strlen(number + (number[0] == '+')) > NUMBER_DIGITS_MAX) {
		buf_printf(err, "the fax number has more than %d digits", NUMBER_DIGITS_MAX);
		return DIALPLAN_MALFORMED;
	}

	plan_init(&p, conf);
	rc = to_international(&p, number, intl, alt, err);
	if (rc != DIALPLAN_OK)
		return rc;
	rc = analyse(number, intl, alt, &info, err);
	if (rc == DIALPLAN_OK)
		rc = policy(conf, &p, number, &info, err);
	if (rc == DIALPLAN_OK)
		rc = dial_string(&p, &info, &dial, err);
	if (rc != DIALPLAN_OK) {
		buf_free(&dial);
		return rc;
	}
	out->e164 = xstrdup(info.e164);
	out->dial = buf_steal(&dial);
	return DIALPLAN_OK;
}

enum dialplan_rc dialplan_resolve(const struct conf *conf, const char *number, struct dialplan_number *out,
                                  struct buf *err)
{
	struct buf scratch = BUF_INIT;
	enum dialplan_rc rc;

	out->e164 = out->dial = NULL;
	rc = resolve(conf, number, out, err ? err : &scratch);
	buf_free(&scratch);
	return rc;
}

void dialplan_number_free(struct dialplan_number *n)
{
	if (!n)
		return;
	free(n->e164);
	free(n->dial);
	n->e164 = n->dial = NULL;
}

const char *dialplan_smtp_code(enum dialplan_rc rc)
{
	switch (rc) {
	case DIALPLAN_OK:
		return "2.1.5";
	case DIALPLAN_MALFORMED:
	case DIALPLAN_IMPOSSIBLE:
		return "5.1.3";
	case DIALPLAN_TEMPFAIL:
		return "4.3.0";
	case DIALPLAN_INTERNATIONAL:
	case DIALPLAN_PREMIUM:
	case DIALPLAN_DENIED:
	default:
		return "5.7.1";
	}
}

static int check_digits(const char *key, const char *value, size_t max, struct buf *err)
{
	if (value && !digits_only(value, 0, max)) {
		buf_printf(err, "%s: '%s' is not a string of at most %zu digits", key, value, max);
		return -1;
	}
	return 0;
}

static int check_prefixes(const char *key, const char *list, struct buf *err)
{
	const char *p = list ? list : "";
	char entry[PREFIX_MAX + 1];

	while (*p) {
		size_t len = strcspn(p, ", \t");
		if (!prefix_entry(p, len, entry) || entry[0] == '0') {
			buf_printf(err, "%s: '%.*s' is not a number prefix in international form like +49900",
			           key, (int)(len > 40 ? 40 : len), p);
			return -1;
		}
		p += len;
		p += strspn(p, ", \t");
	}
	return 0;
}

static int check_conf(const struct conf *conf, struct buf *err)
{
	const char *cc = conf->dial_country_code ? conf->dial_country_code : "";

	if (cc[0] == '+')
		cc++;
	if (check_digits("dial_country_code", cc, CC_MAX, err) < 0 ||
	    check_digits("dial_area_code", conf->dial_area_code, PART_MAX, err) < 0 ||
	    check_digits("dial_international_prefix", conf->dial_international_prefix, PART_MAX, err) < 0 ||
	    check_digits("dial_national_prefix", conf->dial_national_prefix, PART_MAX, err) < 0 ||
	    check_digits("dial_outside_prefix", conf->dial_outside_prefix, PART_MAX, err) < 0 ||
	    check_prefixes("dial_allow_prefixes", conf->dial_allow_prefixes, err) < 0 ||
	    check_prefixes("dial_deny_prefixes", conf->dial_deny_prefixes, err) < 0)
		return -1;
	if (cc[0] && !phonenumber_country_exists(atoi(cc))) {
		buf_printf(err, "dial_country_code: there is no country with calling code %s", cc);
		return -1;
	}
	if (!cc[0] && conf->dial_area_code && conf->dial_area_code[0]) {
		buf_printf(err, "dial_area_code needs dial_country_code");
		return -1;
	}
	return 0;
}

int dialplan_check_conf(const struct conf *conf, struct buf *err)
{
	struct buf scratch = BUF_INIT;
	int rc = check_conf(conf, err ? err : &scratch);

	buf_free(&scratch);
	return rc;
}
