/*
 * words.c - walking a configuration list word by word.
 */
#include "policy/words.h"

#include <string.h>

#define WORD_SEPARATORS ", \t\r\n"

bool words_next(const char **cursor, const char **word, size_t *len)
{
	const char *p = *cursor;

	if (!p)
		return false;
	p += strspn(p, WORD_SEPARATORS);
	if (!*p)
		return false;
	*word = p;
	*len = strcspn(p, WORD_SEPARATORS);
	*cursor = p + *len;
	return true;
}
