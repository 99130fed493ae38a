/*
 * faxdoc.c - helpers shared by the fax document writers.
 */
#include "faxdoc/faxdoc.h"

#include <stdarg.h>

void faxdoc_error(struct buf *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	buf_reset(err);
	va_start(ap, fmt);
	buf_vprintf(err, fmt, ap);
	va_end(ap);
}
