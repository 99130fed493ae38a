/*
 * buf.h - the one length-counted string/byte buffer of faxgate.
 *
 * A buf holds bytes that may contain NULs; data is always NUL-terminated after len so it can be
 * handed to C string functions when the contents are known to be text. Growth never fails (see
 * xalloc.h); callers that read hostile input bound the size themselves (buf_read_file's max).
 */
#ifndef FAXGATE_UTIL_BUF_H
#define FAXGATE_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

#define BUF_INIT                                                                                             \
	{                                                                                                    \
		NULL, 0, 0                                                                                   \
	}

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* The contents as a C string; never NULL. */
const char *buf_cstr(struct buf *b);
/* Hand the storage to the caller (free() it) and leave b empty. */
char *buf_steal(struct buf *b);
/* Read a whole file; -1 with errno set on failure, errno EFBIG when it holds more than max bytes. */
int buf_read_file(struct buf *b, const char *path, size_t max);
/* Write all of b to fd, retrying short writes; -1 with errno on failure. */
int buf_write_fd(const struct buf *b, int fd);

#endif
