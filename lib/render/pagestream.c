/*
 * pagestream.c - the record stream from the faxrender helper to its parent.
 *
 * The writer side runs in the helper, next to the hostile document; the reader side runs in the
 * parent and treats the stream as hostile too (the helper may have been subverted by the
 * document): records may arrive split anywhere, every size is checked against fixed and configured
 * limits as soon as its header is complete (so no claimed size is ever allocated), control
 * characters in texts are replaced so they cannot forge log lines, and after the first violation
 * the reader accepts nothing more. Pages arrive MMR encoded; a page's length is bounded by its size
 * (mmr_max_len), so nothing larger than a page can be claimed. The same checks serve the blocking
 * reader that the helper's main process uses on its page workers' pipes.
 */
#include "render/pagestream.h"

#include <errno.h>
#include <stdbool.h>
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

int pagestream_put_page(int fd, const struct fax_page *p)
{
	uint8_t hdr[13];

	if (p->len == 0 || p->len > mmr_max_len(p->width, p->height)) {
		errno = EMSGSIZE;
		return -1;
	}
	hdr[0] = 'P';
	put32(hdr + 1, (uint32_t)p->width);
	put32(hdr + 5, (uint32_t)p->height);
	put32(hdr + 9, (uint32_t)p->len);
	if (fdio_write_all(fd, hdr, sizeof(hdr)) < 0)
		return -1;
	return fdio_write_all(fd, p->data, p->len);
}

int pagestream_put_blank(int fd)
{
	return fdio_write_all(fd, "B", 1);
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

/* A page header the reader can take: a fax page no longer than the limit, its data bounded by its size. */
static bool pagestream_page_ok(uint32_t w, uint32_t h, uint32_t len, int max_height)
{
	return w == FAX_WIDTH && h >= 1 && max_height >= 1 && h <= (uint32_t)max_height && len >= 1 &&
	       len <= mmr_max_len((int)w, (int)h);
}

static bool pagestream_error_ok(uint32_t st, uint32_t len)
{
	return st != RENDER_OK && st < RENDER_STATUS_COUNT && len <= PAGESTREAM_MAX_TEXT;
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
		if (avail < 13)
			return 0;
		uint32_t len = get32(p + 9);
		if (!pagestream_page_ok(get32(p + 1), get32(p + 5), len, r->max_height))
			return -1;
		if (r->pages.count >= r->max_pages || r->bytes + len > PAGESTREAM_MAX_TOTAL) {
			r->over_limit = 1;
			return -1;
		}
		if (avail < 13 + (size_t)len)
			return 0;
		struct fax_page page = {(int)get32(p + 1), (int)get32(p + 5), len, xmalloc(len)};
		memcpy(page.data, p + 13, len);
		fax_page_list_push(&r->pages, &page);
		r->bytes += len;
		return 13 + (long)len;
	}
	case 'E': {
		if (avail < 9)
			return 0;
		uint32_t st = get32(p + 1), len = get32(p + 5);
		if (!pagestream_error_ok(st, len) || r->error || r->status != RENDER_OK)
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
	fax_page_list_free(&r->pages);
	free(r->type);
	free(r->error);
	memset(r, 0, sizeof(*r));
}

/* Read len bytes that a complete header promised: an end of stream here is a violation. */
static int pagestream_read_more(int fd, void *p, size_t len)
{
	if (fdio_read_full(fd, p, len) == 0)
		return 0;
	if (errno == ENODATA)
		errno = EPROTO;
	return -1;
}

int pagestream_read_record(int fd, int max_height, struct pagestream_record *rec)
{
	uint8_t hdr[13];

	memset(rec, 0, sizeof(*rec));
	if (fdio_read_full(fd, hdr, 1) < 0)
		return -1;
	switch (hdr[0]) {
	case 'P': {
		if (pagestream_read_more(fd, hdr + 1, 12) < 0)
			return -1;
		uint32_t w = get32(hdr + 1), h = get32(hdr + 5), len = get32(hdr + 9);
		if (!pagestream_page_ok(w, h, len, max_height))
			break;
		rec->page.width = (int)w;
		rec->page.height = (int)h;
		rec->page.len = len;
		rec->page.data = xmalloc(len);
		if (pagestream_read_more(fd, rec->page.data, len) < 0) {
			pagestream_record_free(rec);
			return -1;
		}
		rec->kind = 'P';
		return 0;
	}
	case 'E': {
		if (pagestream_read_more(fd, hdr + 1, 8) < 0)
			return -1;
		uint32_t st = get32(hdr + 1), len = get32(hdr + 5);
		uint8_t text[PAGESTREAM_MAX_TEXT];
		if (!pagestream_error_ok(st, len))
			break;
		if (pagestream_read_more(fd, text, len) < 0)
			return -1;
		rec->kind = 'E';
		rec->status = (enum render_status)st;
		rec->text = pagestream_text(text, len);
		return 0;
	}
	case 'B':
	case 'D':
		rec->kind = (char)hdr[0];
		return 0;
	}
	errno = EPROTO;
	return -1;
}

void pagestream_record_free(struct pagestream_record *rec)
{
	fax_page_free(&rec->page);
	free(rec->text);
	memset(rec, 0, sizeof(*rec));
}
