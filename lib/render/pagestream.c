/*
 * pagestream.c - the record stream from the faxrender helper to its parent.
 *
 * The writer side runs in the helper, next to the hostile document; the reader side runs in the
 * parent and treats the stream as hostile too (the helper may have been subverted by the
 * document): records may arrive split anywhere, every size is checked against fixed and configured
 * limits as soon as its header is complete (so no claimed size is ever allocated), control
 * characters in texts are replaced so they cannot forge log lines, and after the first violation
 * the reader accepts nothing more.
 */
#include "render/pagestream.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "render/geometry.h"
#include "util/fdio.h"
#include "util/xalloc.h"

#define PAGESTREAM_MAX_TEXT 4096

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Texts longer than the reader accepts are cut, so a long message does not fail the stream. */
static size_t pagestream_text_len(const char *text)
{
	size_t len = text ? strlen(text) : 0;

	return len > PAGESTREAM_MAX_TEXT ? PAGESTREAM_MAX_TEXT : len;
}

int pagestream_put_type(int fd, const char *type)
{
	size_t len = pagestream_text_len(type);
	uint8_t hdr[5];

	hdr[0] = 'T';
	put32(hdr + 1, (uint32_t)len);
	if (fdio_write_all(fd, hdr, sizeof(hdr)) < 0)
		return -1;
	return len ? fdio_write_all(fd, type, len) : 0;
}

int pagestream_put_page(int fd, const struct bitmap *b)
{
	uint8_t hdr[9];

	hdr[0] = 'P';
	put32(hdr + 1, (uint32_t)b->width);
	put32(hdr + 5, (uint32_t)b->height);
	if (fdio_write_all(fd, hdr, sizeof(hdr)) < 0)
		return -1;
	return fdio_write_all(fd, b->bits, b->stride * (size_t)b->height);
}

int pagestream_put_error(int fd, enum render_status st, const char *text)
{
	size_t len = pagestream_text_len(text);
	uint8_t hdr[9];

	hdr[0] = 'E';
	put32(hdr + 1, (uint32_t)st);
	put32(hdr + 5, (uint32_t)len);
	if (fdio_write_all(fd, hdr, sizeof(hdr)) < 0)
		return -1;
	return len ? fdio_write_all(fd, text, len) : 0;
}

int pagestream_put_done(int fd)
{
	return fdio_write_all(fd, "D", 1);
}

void pagestream_reader_init(struct pagestream_reader *r, int max_height, size_t max_pages)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->in);
	r->max_height = max_height;
	r->max_pages = max_pages;
	r->status = RENDER_OK;
}

static char *pagestream_text(const uint8_t *p, size_t len)
{
	char *s = xmalloc(len + 1);

	for (size_t i = 0; i < len; i++)
		s[i] = p[i] < 0x20 || p[i] == 0x7f ? '?' : (char)p[i];
	s[len] = '\0';
	return s;
}

/*
 * Parse one record at p; returns its size, 0 when it is not complete yet, or -1 on a violation.
 * Headers are checked before the body is waited for.
 */
static long pagestream_parse(struct pagestream_reader *r, const uint8_t *p, size_t avail)
{
	switch (p[0]) {
	case 'T': {
		if (avail < 5)
			return 0;
		uint32_t len = get32(p + 1);
		if (len > PAGESTREAM_MAX_TEXT || r->type)
			return -1;
		if (avail < 5 + (size_t)len)
			return 0;
		r->type = pagestream_text(p + 5, len);
		return 5 + (long)len;
	}
	case 'P': {
		if (avail < 9)
			return 0;
		uint32_t w = get32(p + 1), h = get32(p + 5);
		if (w != FAX_WIDTH || h < 1 || r->max_height < 1 || h > (uint32_t)r->max_height ||
		    r->pages.count >= r->max_pages)
			return -1;
		size_t stride = (w + 7) / 8, body = stride * h;
		if (avail < 9 + body)
			return 0;
		struct bitmap b;
		bitmap_alloc(&b, (int)w, (int)h);
		memcpy(b.bits, p + 9, body);
		page_list_push(&r->pages, &b);
		return 9 + (long)body;
	}
	case 'E': {
		if (avail < 9)
			return 0;
		uint32_t st = get32(p + 1), len = get32(p + 5);
		if (st == RENDER_OK || st >= RENDER_STATUS_COUNT || len > PAGESTREAM_MAX_TEXT || r->error ||
		    r->status != RENDER_OK)
			return -1;
		if (avail < 9 + (size_t)len)
			return 0;
		r->status = (enum render_status)st;
		r->error = pagestream_text(p + 9, len);
		return 9 + (long)len;
	}
	case 'D':
		r->done = 1;
		return 1;
	default:
		return -1;
	}
}

int pagestream_reader_feed(struct pagestream_reader *r, const void *data, size_t len)
{
	size_t off = 0;

	if (r->bad)
		return -1;
	buf_append(&r->in, data, len);
	while (off < r->in.len) {
		long n = -1;
		/* Nothing may follow the end. */
		if (!r->done)
			n = pagestream_parse(r, (const uint8_t *)r->in.data + off, r->in.len - off);
		if (n < 0) {
			r->bad = 1;
			buf_free(&r->in);
			return -1;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	if (off > 0) {
		memmove(r->in.data, r->in.data + off, r->in.len - off);
		r->in.len -= off;
		r->in.data[r->in.len] = '\0';
	}
	return 0;
}

void pagestream_reader_free(struct pagestream_reader *r)
{
	buf_free(&r->in);
	page_list_free(&r->pages);
	free(r->type);
	free(r->error);
	memset(r, 0, sizeof(*r));
}
