/*
 * route_table.c - the fixed routes of the configuration (inbound_routes) and the addresses they
 * and the catch-all name, checked once when routing starts, so a typing mistake stops
 * faxmailgate with the entry named instead of sending a fax astray later.
 *
 *	inbound_routes = +49 30 1234-100=anna@example.com   # no: words are split at blanks
 *	inbound_routes = +49301234100=anna@example.com 0301234101=bernd@example.com
 *	                 100=reception@example.com sub:12=sales@example.com sub:12=boss@example.com
 */
#include "route/route_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/words.h"
#include "util/xalloc.h"

/* Longest word quoted back in an error message. */
#define ROUTE_QUOTE_MAX 80

static bool route_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* Dot-atom: atext runs joined by single dots (what mail servers accept unquoted), ASCII only: faxgate
 * does not speak SMTPUTF8, so an address beyond ASCII could never be delivered. */
static bool route_local_ok(const char *s, size_t len)
{
	if (len == 0 || len > 64 || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.' ? s[i + 1] == '.' : !route_atext(c))
			return false;
	}
	return true;
}

static bool route_domain_ok(const char *s, size_t len)
{
	size_t label = 0;

	if (len == 0 || len > 253 || s[0] == '.' || s[len - 1] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		           (c == '-' && label > 0)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return s[len - 1] != '-';
}

bool route_addr_ok(const char *s, size_t len)
{
	const char *at = len ? memrchr(s, '@', len) : NULL;

	if (!at || len > ROUTE_ADDR_MAX)
		return false;
	return route_local_ok(s, (size_t)(at - s)) && route_domain_ok(at + 1, len - (size_t)(at - s) - 1);
}

bool route_subaddress_clean(const char *s, size_t len, char out[ROUTE_NUMBER_SIZE])
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == ' ' || s[i] == '\t')
			continue;
		if (s[i] < '0' || s[i] > '9' || n == ROUTE_SUBADDRESS_MAX)
			return false;
		out[n++] = s[i];
	}
	out[n] = '\0';
	return n > 0;
}

static void route_quote(struct buf *err, const char *word, size_t len)
{
	buf_printf(err, "'%.*s%s'", (int)(len > ROUTE_QUOTE_MAX ? ROUTE_QUOTE_MAX : len), word,
	           len > ROUTE_QUOTE_MAX ? "..." : "");
}

int route_addr_list(const char *key, const char *list, char ***out, size_t *n, struct buf *err)
{
	const char *cur = list, *w;
	size_t len;

	*out = NULL;
	*n = 0;
	while (words_next(&cur, &w, &len)) {
		if (!route_addr_ok(w, len)) {
			buf_printf(err, "%s: ", key);
			route_quote(err, w, len);
			buf_puts(err, " is not a mail address like name@example.com");
			route_addr_list_free(*out, *n);
			*out = NULL;
			*n = 0;
			return -1;
		}
		*out = xreallocarray(*out, *n + 1, sizeof(**out));
		(*out)[(*n)++] = xstrndup(w, len);
	}
	return 0;
}

void route_addr_list_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* One word NUMBER=address or sub:SUBADDRESS=address into e; NULL, or what is wrong with it. */
static const char *route_entry_parse(const struct conf *conf, const char *w, size_t len, long match_digits,
                                     struct route_entry *e)
{
	const char *eq = memchr(w, '=', len), *key = w;
	size_t keylen;

	memset(e, 0, sizeof(*e));
	if (!eq)
		return "is not NUMBER=address or sub:SUBADDRESS=address";
	if (!route_addr_ok(eq + 1, len - (size_t)(eq + 1 - w)))
		return "does not end in a mail address like name@example.com";
	if (len >= 4 && strncasecmp(w, "sub:", 4) == 0) {
		e->sub = true;
		key += 4;
	}
	keylen = (size_t)(eq - key);
	if (e->sub) {
		if (!route_subaddress_clean(key, keylen, e->key))
			return "has no sub-address of 1 to 20 digits after sub:";
	} else {
		if (!route_number_clean(key, keylen, e->key))
			return "has no fax number before '=' (digits, a leading +, separators - . / ( ))";
		if (match_digits > 0 && route_number_digits(e->key) < (size_t)match_digits)
			return "has fewer digits than inbound_match_digits compares";
		e->local = route_number_is_local(conf, e->key);
		if (!route_number_e164(conf, e->key, e->e164)) {
			e->e164[0] = '\0';
			/* "+..." or "0..." that cannot be read would never match anything: say so now. */
			if (!e->local && match_digits == 0)
				return "has a number the dial plan cannot read (check dial_country_code and "
				       "the "
				       "prefixes)";
		}
	}
	e->addr = xstrndup(eq + 1, len - (size_t)(eq + 1 - w));
	e->word = xstrndup(w, len);
	return NULL;
}

int route_table_parse(const struct conf *conf, const char *list, long match_digits, struct route_table *t,
                      struct buf *err)
{
	const char *cur = list, *w;
	size_t len;

	t->v = NULL;
	t->n = 0;
	while (words_next(&cur, &w, &len)) {
		struct route_entry e;
		const char *why = route_entry_parse(conf, w, len, match_digits, &e);

		if (why) {
			buf_puts(err, "inbound_routes: ");
			route_quote(err, w, len);
			buf_printf(err, " %s", why);
			route_table_free(t);
			return -1;
		}
		t->v = xreallocarray(t->v, t->n + 1, sizeof(*t->v));
		t->v[t->n++] = e;
	}
	return 0;
}

void route_table_free(struct route_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].addr);
		free(t->v[i].word);
	}
	free(t->v);
	t->v = NULL;
	t->n = 0;
}
