/*
 * pagestream.h - how the faxrender helper hands pages back to its parent over a pipe.
 *
 * Records: 'T' + len + text: the detected document type; 'P' + width + height + packed 1-bit rows;
 * 'E' + status + len + text: the conversion failed; 'D': done. Integers are 32-bit little endian.
 * The parent trusts nothing in it: widths, heights, counts and lengths are checked against limits.
 */
#ifndef FAXGATE_RENDER_PAGESTREAM_H
#define FAXGATE_RENDER_PAGESTREAM_H

#include <stddef.h>

#include "render/bitmap.h"
#include "render/status.h"
#include "util/buf.h"

int pagestream_put_type(int fd, const char *type);
int pagestream_put_page(int fd, const struct bitmap *b);
int pagestream_put_error(int fd, enum render_status st, const char *text);
int pagestream_put_done(int fd);

/* Incremental parser for the parent side. */
struct pagestream_reader {
	struct buf in;
	int max_height;
	size_t max_pages;
	/* results */
	struct page_list pages;
	char *type;
	enum render_status status; /* RENDER_OK until an 'E' record */
	char *error;
	int done;
	int bad; /* protocol violation seen */
};

void pagestream_reader_init(struct pagestream_reader *r, int max_height, size_t max_pages);
/* Feed bytes; returns -1 on a protocol violation or when limits are exceeded, else 0. */
int pagestream_reader_feed(struct pagestream_reader *r, const void *data, size_t len);
void pagestream_reader_free(struct pagestream_reader *r);

#endif
