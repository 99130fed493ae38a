/*
 * faxdoc.h - what the fax document writers (faxpdf.c, faxpreview.c) share; not for other modules.
 */
#ifndef FAXGATE_FAXDOC_FAXDOC_H
#define FAXGATE_FAXDOC_FAXDOC_H

#include "util/buf.h"

/* Replace err's contents with a message; err may be NULL (the caller wants no text). */
void faxdoc_error(struct buf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
