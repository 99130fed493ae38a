/*
 * faxaddr_name.c - the display name of a fax recipient as person and company, for the cover page.
 *
 * People write "Jane Doe / ACME Ltd", "Jane Doe, ACME Ltd" or "ACME Ltd (Jane Doe)"; the first
 * form that fits wins, in that order. The text comes from a mail header (already decoded by the
 * caller) and ends up on a page, so control characters become spaces, blanks are collapsed and
 * each part is cut to NAME_MAX bytes without splitting a UTF-8 character.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fax/faxaddr.h"
#include "util/xalloc.h"

#define INPUT_MAX 1024 /* bytes of the display name looked at */
#define NAME_MAX_ 200  /* bytes kept of each part */

/* Control characters to spaces, runs of blanks to one, blanks and enclosing quotes trimmed. */
static size_t clean(const char *in, char *out)
{
	size_t n = 0;

	for (size_t i = 0; in[i] && i < INPUT_MAX; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c < 0x20 || c == 0x7f)
			c = ' ';
		if (c == ' ' && (n == 0 || out[n - 1] == ' '))
			continue;
		out[n++] = (char)c;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	if (n >= 2 && out[0] == '"' && out[n - 1] == '"') {
		memmove(out, out + 1, n - 2);
		n -= 2;
		out[n] = '\0';
		while (n > 0 && out[n - 1] == ' ')
			out[--n] = '\0';
		if (out[0] == ' ')
			memmove(out, out + 1, n--);
	}
	return n;
}

/* A copy of s[0..len) without surrounding blanks, cut to NAME_MAX_ bytes; NULL when empty. */
static char *part(const char *s, size_t len)
{
	while (len > 0 && *s == ' ') {
		s++;
		len--;
	}
	while (len > 0 && s[len - 1] == ' ')
		len--;
	if (len > NAME_MAX_) {
		len = NAME_MAX_;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
		while (len > 0 && s[len - 1] == ' ')
			len--;
	}
	return len ? xstrndup(s, len) : NULL;
}

/* The first '/' with a blank beside it: "A/S" and "w/o" are part of a name. */
static const char *spaced_slash(const char *s)
{
	for (const char *p = strchr(s, '/'); p; p = strchr(p + 1, '/'))
		if ((p > s && p[-1] == ' ') || p[1] == ' ')
			return p;
	return NULL;
}

void faxaddr_split_name(const char *display, char **name, char **company)
{
	char text[INPUT_MAX + 1];
	const char *sep;
	size_t len;

	*name = *company = NULL;
	if (!display)
		return;
	len = clean(display, text);
	if (len == 0)
		return;

	if ((sep = spaced_slash(text))) {
		*name = part(text, (size_t)(sep - text));
		*company = part(sep + 1, strlen(sep + 1));
	} else if (text[len - 1] == ')' && (sep = strrchr(text, '(')) && sep < text + len - 1) {
		*company = part(text, (size_t)(sep - text));
		*name = part(sep + 1, (size_t)(text + len - 1 - (sep + 1)));
	} else if ((sep = strchr(text, ','))) {
		*name = part(text, (size_t)(sep - text));
		*company = part(sep + 1, strlen(sep + 1));
	} else {
		*name = part(text, len);
	}
}
