/*
 * senderlist.c - matching an identity against policy_allow_senders.
 *
 * "@domain" matches that domain exactly (no subdomains): a wider rule is an administrator's
 * explicit choice, written as a second entry. A login matches only an identity with no '@'.
 */
#include "policy/senderlist.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/words.h"
#include "util/xalloc.h"

static bool senderlist_word_ok(const char *w, size_t n)
{
	const char *at = memchr(w, '@', n);

	if (!at)
		return true;
	/* "@domain", or "user@domain": one '@' with something after it. */
	if (memchr(at + 1, '@', n - (size_t)(at - w) - 1) || at == w + n - 1)
		return false;
	return true;
}

int senderlist_parse(const char *list, struct senderlist *sl, struct buf *err)
{
	const char *cursor = list, *w;
	size_t n;

	sl->v = NULL;
	sl->n = 0;
	while (words_next(&cursor, &w, &n)) {
		if (!senderlist_word_ok(w, n)) {
			buf_printf(err, "'%.*s' is not user@domain, @domain or a login",
			           (int)(n > 100 ? 100 : n), w);
			senderlist_free(sl);
			return -1;
		}
		char *e = xstrndup(w, n);
		for (char *p = e; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		sl->v = xreallocarray(sl->v, sl->n + 1, sizeof(char *));
		sl->v[sl->n++] = e;
	}
	return 0;
}

void senderlist_free(struct senderlist *sl)
{
	for (size_t i = 0; i < sl->n; i++)
		free(sl->v[i]);
	free(sl->v);
	sl->v = NULL;
	sl->n = 0;
}

bool senderlist_match(const struct senderlist *sl, const char *identity)
{
	const char *at = strrchr(identity, '@');

	if (!*identity)
		return false;
	for (size_t i = 0; i < sl->n; i++) {
		const char *e = sl->v[i];
		if (e[0] == '@' ? at && strcasecmp(at + 1, e + 1) == 0 : strcasecmp(identity, e) == 0)
			return true;
	}
	return false;
}
