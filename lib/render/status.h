/*
 * status.h - outcomes of rendering a document, and the one table mapping each to the sender's
 * words, the SMTP enhanced status code (RFC 3463) and whether it is final or worth a retry.
 */
#ifndef FAXGATE_RENDER_STATUS_H
#define FAXGATE_RENDER_STATUS_H

#include <stdbool.h>

enum render_status {
	RENDER_OK = 0,
	RENDER_EMPTY,          /* zero bytes */
	RENDER_UNSUPPORTED,    /* a type faxgate cannot fax */
	RENDER_CORRUPT,        /* damaged or truncated */
	RENDER_ENCRYPTED,      /* password-protected */
	RENDER_TOO_BIG_IMAGE,  /* image dimensions beyond the limit (decompression bomb) */
	RENDER_TOO_BIG_INPUT,  /* the file itself is beyond the limit */
	RENDER_ZIP_BOMB,       /* unpacks to more than the limit */
	RENDER_TOO_MANY_PAGES, /* more pages than one fax may have */
	RENDER_NO_CONTENT,     /* only blank pages */
	RENDER_TIMEOUT,        /* took longer than the limit */
	RENDER_MEMORY,         /* needed more memory than the limit */
	RENDER_CONVERT_FAILED, /* the converter failed on this document */
	RENDER_INTERNAL,       /* faxgate's own problem: retry later */
	RENDER_STATUS_COUNT
};

struct render_status_info {
	const char *name;   /* stable identifier for logs and JSON */
	bool permanent;     /* true: the sender must change the document; false: retry later */
	const char *smtp;   /* enhanced status code, e.g. "5.6.1" */
	const char *reason; /* completes "The attachment \"x.pdf\" ..." in plain words */
};

const struct render_status_info *render_status_info(enum render_status s);

#endif
