/*
 * test_pagestream.c - the helper-to-parent page stream: a round trip of MMR pages through a real
 * pipe with the bytes fed in every possible split, the reader's refusal of anything out of bounds,
 * and the blocking record reader used on page workers' pipes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "render/pagestream.h"
#include "util/buf.h"

/* An encoded page with a pattern of its own. */
static void make_page(struct fax_page *p, int height, int seed)
{
	struct bitmap b;

	/* Strokes of varying width and place: a kilobyte or two, so records split in many places. */
	bitmap_alloc(&b, 1728, height);
	for (size_t i = 0; i < b.stride * (size_t)height; i++)
		if ((i % 216) % (size_t)(5 + seed) == i / 216 % 3)
			b.bits[i] = (uint8_t)(0xf0 >> (i / 216 % 4));
	assert_int_equal(mmr_encode(&b, p), 0);
	assert_true(p->len > (size_t)height * 4);
	bitmap_free(&b);
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
		struct fax_page p;
		make_page(&p, heights[i], i);
		assert_int_equal(pagestream_put_page(fd, &p), 0);
		fax_page_free(&p);
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
		struct fax_page want;
		make_page(&want, heights[i], i);
		assert_int_equal(r->pages.pages[i].width, 1728);
		assert_int_equal(r->pages.pages[i].height, heights[i]);
		assert_int_equal(r->pages.pages[i].len, want.len);
		assert_memory_equal(r->pages.pages[i].data, want.data, want.len);
		fax_page_free(&want);
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
	size_t third = s.len / 3;
	pagestream_reader_init(&r, 5000, 10);
	assert_int_equal(pagestream_reader_feed(&r, s.data, 3), 0);
	assert_int_equal(pagestream_reader_feed(&r, s.data + 3, third), 0);
	assert_int_equal(pagestream_reader_feed(&r, s.data + 3 + third, s.len - 3 - third), 0);
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

static void page_header(struct buf *b, uint32_t w, uint32_t h, uint32_t len)
{
	buf_putc(b, 'P');
	put32(b, w);
	put32(b, h);
	put32(b, len);
}

static void test_over_limit_flag(void **state)
{
	struct pagestream_reader r;
	struct buf s = BUF_INIT;

	(void)state;
	/* A shape error is "bad" only; a page beyond the count is also "over the limit". */
	page_header(&s, 1728, 10, 100);
	pagestream_reader_init(&r, 5000, 0);
	assert_int_equal(pagestream_reader_feed(&r, s.data, s.len), -1);
	assert_int_equal(r.over_limit, 1);
	pagestream_reader_free(&r);
	buf_reset(&s);
	page_header(&s, 1700, 10, 100);
	pagestream_reader_init(&r, 5000, 10);
	assert_int_equal(pagestream_reader_feed(&r, s.data, s.len), -1);
	assert_int_equal(r.bad, 1);
	assert_int_equal(r.over_limit, 0);
	pagestream_reader_free(&r);
	buf_free(&s);
}

static void test_rejects(void **state)
{
	struct buf s = BUF_INIT;
	int bad;
	size_t pages;

	(void)state;
	/* Bad widths: refused on the header, before any body arrives. */
	page_header(&s, 1727, 10, 100);
	assert_int_equal(feed_all(&s, 5000, 10, &bad, &pages), -1);
	assert_int_equal(bad, 1);
	buf_reset(&s);
	page_header(&s, 0xffffffffu, 10, 100);
	assert_int_equal(feed_all(&s, 5000, 10, &bad, &pages), -1);
	buf_reset(&s);
	/* Heights: zero, and over the limit (no 40000-row body is waited for). */
	page_header(&s, 1728, 0, 100);
	assert_int_equal(feed_all(&s, 5000, 10, &bad, &pages), -1);
	buf_reset(&s);
	page_header(&s, 1728, 5001, 100);
	assert_int_equal(feed_all(&s, 5000, 10, &bad, &pages), -1);
	buf_reset(&s);
	page_header(&s, 1728, 5000, 100);
	assert_int_equal(feed_all(&s, 5000, 10, &bad, &pages), 0);
	assert_int_equal(bad, 0);
	buf_reset(&s);
	/* Lengths: none, and more than a page of that size can take (not waited for either). */
	page_header(&s, 1728, 10, 0);
	assert_int_equal(feed_all(&s, 5000, 10, &bad, &pages), -1);
	buf_reset(&s);
	page_header(&s, 1728, 10, (uint32_t)mmr_max_len(1728, 10) + 1);
	assert_int_equal(feed_all(&s, 5000, 10, &bad, &pages), -1);
	buf_reset(&s);
	page_header(&s, 1728, 10, (uint32_t)mmr_max_len(1728, 10));
	assert_int_equal(feed_all(&s, 5000, 10, &bad, &pages), 0);
	assert_int_equal(bad, 0);
	buf_reset(&s);
	page_header(&s, 1728, 10, 0xffffffffu);
	assert_int_equal(feed_all(&s, 5000, 10, &bad, &pages), -1);
	buf_reset(&s);

	/* Too many pages. */
	for (int i = 0; i < 3; i++) {
		page_header(&s, 1728, 2, 40);
		for (int j = 0; j < 40; j++)
			buf_putc(&s, (char)j);
	}
	assert_int_equal(feed_all(&s, 5000, 3, &bad, &pages), 0);
	assert_int_equal(pages, 3);
	assert_int_equal(feed_all(&s, 5000, 2, &bad, &pages), -1);
	assert_int_equal(bad, 1);
	assert_int_equal(pages, 2);
	buf_reset(&s);

	/* A blank-page record is for page workers only. */
	buf_putc(&s, 'B');
	assert_int_equal(feed_all(&s, 5000, 10, &bad, &pages), -1);
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

static void produce_worker(int fd)
{
	struct fax_page p;

	make_page(&p, 7, 3);
	assert_int_equal(pagestream_put_page(fd, &p), 0);
	fax_page_free(&p);
	assert_int_equal(pagestream_put_blank(fd), 0);
	assert_int_equal(pagestream_put_error(fd, RENDER_MEMORY, "page 3:\tout of memory"), 0);
	assert_int_equal(pagestream_put_done(fd), 0);
}

/* Read records from the bytes of s through a pipe: returns the last result, errno kept in *err. */
static int read_records(const struct buf *s, int max_height, struct pagestream_record *recs, int n, int *err)
{
	int fds[2], rc = 0;

	assert_int_equal(pipe(fds), 0);
	assert_true(s->len < 65536);
	assert_int_equal(write(fds[1], s->data, s->len), (ssize_t)s->len);
	close(fds[1]);
	for (int i = 0; i < n && rc == 0; i++) {
		rc = pagestream_read_record(fds[0], max_height, &recs[i]);
		*err = rc < 0 ? errno : 0;
	}
	close(fds[0]);
	return rc;
}

static void test_read_record(void **state)
{
	struct pagestream_record rec[5];
	struct fax_page want;
	struct buf s;
	int err;

	(void)state;
	capture(&s, produce_worker);
	assert_int_equal(read_records(&s, 5000, rec, 5, &err), -1);
	/* Four records, then the end of the stream. */
	assert_int_equal(err, ENODATA);
	assert_int_equal(rec[0].kind, 'P');
	make_page(&want, 7, 3);
	assert_int_equal(rec[0].page.width, 1728);
	assert_int_equal(rec[0].page.height, 7);
	assert_int_equal(rec[0].page.len, want.len);
	assert_memory_equal(rec[0].page.data, want.data, want.len);
	size_t rec0_len = want.len;
	fax_page_free(&want);
	assert_int_equal(rec[1].kind, 'B');
	assert_int_equal(rec[2].kind, 'E');
	assert_int_equal(rec[2].status, RENDER_MEMORY);
	assert_string_equal(rec[2].text, "page 3:?out of memory");
	assert_int_equal(rec[3].kind, 'D');
	for (int i = 0; i < 5; i++)
		pagestream_record_free(&rec[i]);

	/* A stream cut inside a record is a violation; cut between records, it has ended. */
	size_t plen = 13 + rec0_len, ends[] = {plen, plen + 1, plen + 1 + 9 + 21, plen + 1 + 9 + 21 + 1};
	assert_int_equal(ends[3], s.len);
	for (size_t cut = 1; cut < s.len; cut++) {
		struct buf part = BUF_INIT;
		int whole = 0;
		buf_append(&part, s.data, cut);
		while (whole < 4 && ends[whole] <= cut)
			whole++;
		assert_int_equal(read_records(&part, 5000, rec, 5, &err), -1);
		assert_int_equal(err, whole < 4 && ends[whole > 0 ? whole - 1 : 0] == cut ? ENODATA : EPROTO);
		for (int i = 0; i < 5; i++) {
			assert_int_equal(rec[i].kind != 0, i < whole);
			pagestream_record_free(&rec[i]);
		}
		buf_free(&part);
	}
	buf_free(&s);

	/* The same limits as the parent's reader: height, width, length, status; no type record. */
	buf_init(&s);
	page_header(&s, 1728, 8, 10);
	assert_int_equal(read_records(&s, 7, rec, 1, &err), -1);
	assert_int_equal(err, EPROTO);
	buf_reset(&s);
	page_header(&s, 1729, 8, 10);
	assert_int_equal(read_records(&s, 5000, rec, 1, &err), -1);
	assert_int_equal(err, EPROTO);
	buf_reset(&s);
	page_header(&s, 1728, 8, (uint32_t)mmr_max_len(1728, 8) + 1);
	assert_int_equal(read_records(&s, 5000, rec, 1, &err), -1);
	assert_int_equal(err, EPROTO);
	buf_reset(&s);
	buf_putc(&s, 'E');
	put32(&s, RENDER_OK);
	put32(&s, 0);
	assert_int_equal(read_records(&s, 5000, rec, 1, &err), -1);
	assert_int_equal(err, EPROTO);
	buf_reset(&s);
	buf_putc(&s, 'T');
	put32(&s, 0);
	assert_int_equal(read_records(&s, 5000, rec, 1, &err), -1);
	assert_int_equal(err, EPROTO);
	assert_int_equal(rec[0].kind, 0);
	buf_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip_splits), cmocka_unit_test(test_writer_cuts_long_texts),
	    cmocka_unit_test(test_rejects),          cmocka_unit_test(test_over_limit_flag),
	    cmocka_unit_test(test_read_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
