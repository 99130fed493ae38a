/*
 * test_pagestream.c - the helper-to-parent page stream: a round trip through a real pipe with the
 * bytes fed in every possible split, and the reader's refusal of anything out of bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "render/pagestream.h"
#include "util/buf.h"

static void make_page(struct bitmap *b, int height, int seed)
{
	bitmap_alloc(b, 1728, height);
	for (size_t i = 0; i < b->stride * (size_t)height; i++)
		b->bits[i] = (uint8_t)(i * 31 + (size_t)seed * 7 + i / 216);
}

/* Everything the writer functions put into a pipe. */
static void capture(struct buf *out, void (*produce)(int fd))
{
	int fds[2];
	char chunk[4096];
	ssize_t n;

	assert_int_equal(pipe(fds), 0);
	produce(fds[1]);
	close(fds[1]);
	buf_init(out);
	while ((n = read(fds[0], chunk, sizeof(chunk))) > 0)
		buf_append(out, chunk, (size_t)n);
	assert_int_equal(n, 0);
	close(fds[0]);
}

static const int heights[] = {10, 1, 25};

static void produce_doc(int fd)
{
	assert_int_equal(pagestream_put_type(fd, "PDF document, version 1.7\n"), 0);
	for (int i = 0; i < 3; i++) {
		struct bitmap b;
		make_page(&b, heights[i], i);
		assert_int_equal(pagestream_put_page(fd, &b), 0);
		bitmap_free(&b);
	}
	assert_int_equal(pagestream_put_error(fd, RENDER_TOO_MANY_PAGES, "more than 3 pages"), 0);
	assert_int_equal(pagestream_put_done(fd), 0);
}

static void check_doc(const struct pagestream_reader *r)
{
	assert_int_equal(r->bad, 0);
	assert_int_equal(r->done, 1);
	/* The newline cannot reach a log line. */
	assert_string_equal(r->type, "PDF document, version 1.7?");
	assert_int_equal(r->status, RENDER_TOO_MANY_PAGES);
	assert_string_equal(r->error, "more than 3 pages");
	assert_int_equal(r->pages.count, 3);
	for (int i = 0; i < 3; i++) {
		struct bitmap want;
		make_page(&want, heights[i], i);
		assert_int_equal(r->pages.pages[i].width, 1728);
		assert_int_equal(r->pages.pages[i].height, heights[i]);
		assert_memory_equal(r->pages.pages[i].bits, want.bits, want.stride * (size_t)heights[i]);
		bitmap_free(&want);
	}
}

static void test_roundtrip_splits(void **state)
{
	struct buf s;
	struct pagestream_reader r;

	(void)state;
	capture(&s, produce_doc);

	/* Byte by byte: every record boundary falls between two feeds. */
	pagestream_reader_init(&r, 5000, 10);
	for (size_t i = 0; i < s.len; i++)
		assert_int_equal(pagestream_reader_feed(&r, s.data + i, 1), 0);
	check_doc(&r);
	pagestream_reader_free(&r);

	/* In two parts, split at every byte. */
	for (size_t k = 0; k <= s.len; k++) {
		pagestream_reader_init(&r, 5000, 10);
		assert_int_equal(pagestream_reader_feed(&r, s.data, k), 0);
		assert_int_equal(pagestream_reader_feed(&r, s.data + k, s.len - k), 0);
		check_doc(&r);
		pagestream_reader_free(&r);
	}

	/* In three parts of uneven sizes. */
	pagestream_reader_init(&r, 5000, 10);
	assert_int_equal(pagestream_reader_feed(&r, s.data, 3), 0);
	assert_int_equal(pagestream_reader_feed(&r, s.data + 3, 2170), 0);
	assert_int_equal(pagestream_reader_feed(&r, s.data + 2173, s.len - 2173), 0);
	check_doc(&r);
	pagestream_reader_free(&r);
	buf_free(&s);
}

static void produce_long_texts(int fd)
{
	char *t = malloc(6001);

	memset(t, 'x', 6000);
	t[6000] = '\0';
	assert_int_equal(pagestream_put_type(fd, t), 0);
	assert_int_equal(pagestream_put_error(fd, RENDER_CORRUPT, t), 0);
	assert_int_equal(pagestream_put_done(fd), 0);
	free(t);
}

static void test_writer_cuts_long_texts(void **state)
{
	struct buf s;
	struct pagestream_reader r;

	(void)state;
	capture(&s, produce_long_texts);
	pagestream_reader_init(&r, 5000, 10);
	assert_int_equal(pagestream_reader_feed(&r, s.data, s.len), 0);
	assert_int_equal(strlen(r.type), 4096);
	assert_int_equal(strlen(r.error), 4096);
	assert_int_equal(r.status, RENDER_CORRUPT);
	assert_int_equal(r.done, 1);
	pagestream_reader_free(&r);
	buf_free(&s);
}

static void put32(struct buf *b, uint32_t v)
{
	uint8_t p[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	buf_append(b, p, 4);
}

/* Feed s to a fresh reader; returns what the last feed said, and whether the reader is bad. */
static int feed_all(const struct buf *s, int max_height, size_t max_pages, int *bad, size_t *pages)
{
	struct pagestream_reader r;
	int rc;

	pagestream_reader_init(&r, max_height, max_pages);
	rc = pagestream_reader_feed(&r, s->data, s->len);
	*bad = r.bad;
	*pages = r.pages.count;
	/* After a violation nothing more is accepted. */
	if (rc < 0)
		assert_int_equal(pagestream_reader_feed(&r, "D", 1), -1);
	pagestream_reader_free(&r);
	return rc;
}

static void page_header(struct buf *b, uint32_t w, uint32_t h)
{
	buf_putc(b, 'P');
	put32(b, w);
	put32(b, h);
}

static void test_rejects(void **state)
{
	struct buf s = BUF_INIT;
	int bad;
	size_t pages;

	(void)state;
	/* Bad widths: refused on the header, before any body arrives. */
	page_header(&s, 1727, 10);
	assert_int_equal(feed_all(&s, 5000, 10, &bad, &pages), -1);
	assert_int_equal(bad, 1);
	buf_reset(&s);
	page_header(&s, 0xffffffffu, 10);
	assert_int_equal(feed_all(&s, 5000, 10, &bad, &pages), -1);
	buf_reset(&s);
	/* Heights: zero, and over the limit (no 40000-row body is waited for). */
	page_header(&s, 1728, 0);
	assert_int_equal(feed_all(&s, 5000, 10, &bad, &pages), -1);
	buf_reset(&s);
	page_header(&s, 1728, 5001);
	assert_int_equal(feed_all(&s, 5000, 10, &bad, &pages), -1);
	buf_reset(&s);
	page_header(&s, 1728, 5000);
	assert_int_equal(feed_all(&s, 5000, 10, &bad, &pages), 0);
	assert_int_equal(bad, 0);
	buf_reset(&s);

	/* Too many pages. */
	for (int i = 0; i < 3; i++) {
		page_header(&s, 1728, 2);
		for (int j = 0; j < 2 * 216; j++)
			buf_putc(&s, (char)j);
	}
	assert_int_equal(feed_all(&s, 5000, 3, &bad, &pages), 0);
	assert_int_equal(pages, 3);
	assert_int_equal(feed_all(&s, 5000, 2, &bad, &pages), -1);
	assert_int_equal(bad, 1);
	assert_int_equal(pages, 2);
	buf_reset(&s);

	/* Oversize texts, claimed in the header only. */
	buf_putc(&s, 'T');
	put32(&s, 4097);
	assert_int_equal(feed_all(&s, 5000, 10, &bad, &pages), -1);
	buf_reset(&s);
	buf_putc(&s, 'E');
	put32(&s, RENDER_CORRUPT);
	put32(&s, 0x7fffffff);
	assert_int_equal(feed_all(&s, 5000, 10, &bad, &pages), -1);
	buf_reset(&s);
	/* Status out of range, or OK as an error. */
	buf_putc(&s, 'E');
	put32(&s, RENDER_STATUS_COUNT);
	put32(&s, 0);
	assert_int_equal(feed_all(&s, 5000, 10, &bad, &pages), -1);
	buf_reset(&s);
	buf_putc(&s, 'E');
	put32(&s, RENDER_OK);
	put32(&s, 0);
	assert_int_equal(feed_all(&s, 5000, 10, &bad, &pages), -1);
	buf_reset(&s);
	/* A second type record, an unknown record, data after the end. */
	buf_putc(&s, 'T');
	put32(&s, 1);
	buf_putc(&s, 'a');
	buf_putc(&s, 'T');
	put32(&s, 0);
	assert_int_equal(feed_all(&s, 5000, 10, &bad, &pages), -1);
	buf_reset(&s);
	buf_putc(&s, 'X');
	assert_int_equal(feed_all(&s, 5000, 10, &bad, &pages), -1);
	buf_reset(&s);
	buf_puts(&s, "DD");
	assert_int_equal(feed_all(&s, 5000, 10, &bad, &pages), -1);
	buf_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip_splits),
	    cmocka_unit_test(test_writer_cuts_long_texts),
	    cmocka_unit_test(test_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
