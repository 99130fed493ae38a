/*
 * fdio.h - read and write file descriptors without losing data to EINTR or short writes.
 */
#ifndef FAXGATE_UTIL_FDIO_H
#define FAXGATE_UTIL_FDIO_H

#include <stddef.h>
#include <sys/types.h>

/* One read(2), retried on EINTR. */
ssize_t fdio_read(int fd, void *buf, size_t len);
/* Read exactly len bytes; returns 0, or -1 with errno (EPIPE-like: ENODATA at early EOF). */
int fdio_read_full(int fd, void *buf, size_t len);
/* Write all len bytes; returns 0 or -1 with errno. */
int fdio_write_all(int fd, const void *buf, size_t len);

#endif
