/*
 * xalloc.c - allocation wrappers that abort on exhaustion (see xalloc.h for why).
 */
#include "util/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

static void *xalloc_check(void *p, size_t size)
{
	if (p == NULL && size != 0)
		log_fatal("out of memory allocating %zu bytes", size);
	return p;
}

void *xmalloc(size_t size)
{
	return xalloc_check(malloc(size ? size : 1), size);
}

void *xcalloc(size_t count, size_t size)
{
	return xalloc_check(calloc(count ? count : 1, size ? size : 1), count * size);
}

void *xrealloc(void *ptr, size_t size)
{
	return xalloc_check(realloc(ptr, size ? size : 1), size);
}

void *xreallocarray(void *ptr, size_t count, size_t size)
{
	if (size != 0 && count > (size_t)-1 / size)
		log_fatal("allocation overflow: %zu x %zu", count, size);
	return xrealloc(ptr, count * size);
}

char *xstrdup(const char *s)
{
	return xalloc_check(strdup(s), strlen(s) + 1);
}

char *xstrndup(const char *s, size_t n)
{
	return xalloc_check(strndup(s, n), n + 1);
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *out;

	va_start(ap, fmt);
	if (vasprintf(&out, fmt, ap) < 0)
		log_fatal("out of memory formatting a string");
	va_end(ap);
	return out;
}
