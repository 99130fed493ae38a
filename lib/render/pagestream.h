/*
 * pagestream.h - how the faxrender helper hands pages back to its parent over a pipe.
 *
 * Records: 'T' + len + text: the detected document type; 'P' + width + height + len + the page's
 * MMR bytes (mmr.h); 'E' + status + len + text: the conversion failed; 'D': done. Between a page
 * worker and the helper's main process (convert_workers.c) there is also 'B': a page left out as
 * blank; the parent refuses it. Integers are 32-bit little endian. The parent trusts nothing in
 * it: widths, heights, counts and lengths are checked against limits.
 */
#ifndef FAXGATE_RENDER_PAGESTREAM_H
#define FAXGATE_RENDER_PAGESTREAM_H

#include <stddef.h>

#include "render/mmr.h"
#include "render/status.h"
#include "util/buf.h"

int pagestream_put_type(int fd, const char *type);
/* -1 with errno EMSGSIZE for a page longer than mmr_max_len allows: no reader would take it. */
int pagestream_put_page(int fd, const struct fax_page *p);
int pagestream_put_blank(int fd);
int pagestream_put_error(int fd, enum render_status st, const char *text);
int pagestream_put_done(int fd);

/* Incremental parser for the parent side. */
struct pagestream_reader {
	struct buf in;
	int max_height;
	size_t max_pages;
	/* results */
	struct fax_page_list pages;
	char *type;
	enum render_status status; /* RENDER_OK until an 'E' record */
	char *error;
	int done;
	int bad;        /* protocol violation seen */
	int over_limit; /* ...namely more pages or page bytes than allowed */
	size_t bytes;   /* MMR bytes held in pages */
};

/* The most MMR bytes one document may hand back: far beyond any real fax, bounds the parent. */
#define PAGESTREAM_MAX_TOTAL ((size_t)256 * 1024 * 1024)

void pagestream_reader_init(struct pagestream_reader *r, int max_height, size_t max_pages);
/* Feed bytes; returns -1 on a protocol violation or when limits are exceeded, else 0. */
int pagestream_reader_feed(struct pagestream_reader *r, const void *data, size_t len);
void pagestream_reader_free(struct pagestream_reader *r);

/* One record of a page worker's stream. */
struct pagestream_record {
	char kind;                 /* 'P', 'B', 'E' or 'D' */
	struct fax_page page;      /* 'P' */
	enum render_status status; /* 'E' */
	char *text;                /* 'E' */
};

/*
 * Read exactly one record with blocking reads, checked as the parent checks them ('T' is refused).
 * Returns 0, or -1 with errno: ENODATA at the end of the stream, EPROTO on a violation, or the
 * read's error. rec must be released with pagestream_record_free.
 */
int pagestream_read_record(int fd, int max_height, struct pagestream_record *rec);
void pagestream_record_free(struct pagestream_record *rec);

#endif
