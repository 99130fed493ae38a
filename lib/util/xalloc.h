/*
 * xalloc.h - allocation that never returns NULL.
 *
 * Running out of memory in faxgate is not an input error: the process logs and aborts, and its
 * supervisor (or the MTA, for the milter) retries later. Code that handles hostile sizes must
 * check them before asking for memory.
 */
#ifndef FAXGATE_UTIL_XALLOC_H
#define FAXGATE_UTIL_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
void *xreallocarray(void *ptr, size_t count, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
