/*
 * test_zipcheck.c - zip bombs are refused before LibreOffice sees them; real documents pass.
 *
 * The bombs are real zip files made with libzip at test time: 20 MB of zeros deflate to about
 * 20 KB, which is beyond both a 10 MB unpacked limit and the 200:1 ratio for large entries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include <cmocka.h>

#include "render/convert.h"
#include "testdir.h"
#include "util/xalloc.h"

#define MB (1024 * 1024)

struct fixture {
	char dir[64];
	struct convert_ctx c;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	if (testdir_make(f->dir, sizeof(f->dir), "test_zipcheck") < 0)
		return -1;
	f->c.out_fd = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int rc = testdir_remove(f->dir);

	free(f);
	return rc;
}

static int check(struct fixture *f, const char *path, size_t max_unpacked)
{
	f->c.status = RENDER_OK;
	f->c.detail[0] = '\0';
	f->c.max_unpacked = max_unpacked;
	return zipcheck(&f->c, path);
}

/* One entry of size zero bytes, deflated, plus a small text entry. */
static char *make_zeros_zip(struct fixture *f, const char *name, size_t size)
{
	char *path = xasprintf("%s/%s", f->dir, name);
	static const char types[] = "<Types/>";
	void *zeros = xcalloc(1, size);
	int err = 0;
	zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);

	assert_non_null(z);
	assert_true(
	    zip_file_add(z, "[Content_Types].xml", zip_source_buffer(z, types, strlen(types), 0), 0) >= 0);
	assert_true(zip_file_add(z, "word/document.xml", zip_source_buffer(z, zeros, size, 0), 0) >= 0);
	assert_int_equal(zip_close(z), 0);
	free(zeros);
	return path;
}

static long file_size(const char *path)
{
	FILE *fp = fopen(path, "rb");
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	fclose(fp);
	return n;
}

static void test_bomb_total(void **state)
{
	struct fixture *f = *state;
	char *path = make_zeros_zip(f, "bomb.docx", 20 * MB);

	/* Really a bomb: tiny on disk. */
	assert_true(file_size(path) < 200 * 1024);
	assert_int_equal(check(f, path, 10 * MB), -1);
	assert_int_equal(f->c.status, RENDER_ZIP_BOMB);
	/* The numbers are in the detail for the log. */
	assert_non_null(strstr(f->c.detail, "10485760"));
	assert_non_null(strstr(f->c.detail, "20971"));
	free(path);
}

static void test_bomb_ratio(void **state)
{
	struct fixture *f = *state;
	char *path = make_zeros_zip(f, "ratio.docx", 20 * MB);

	/* Within the total, but 20 MB from a few KB is no document. */
	assert_int_equal(check(f, path, 256 * MB), -1);
	assert_int_equal(f->c.status, RENDER_ZIP_BOMB);
	assert_non_null(strstr(f->c.detail, ":1"));
	free(path);
}

static void test_small_highly_compressed_passes(void **state)
{
	struct fixture *f = *state;
	/* 5 MB of zeros is far beyond 200:1, but small entries may compress as they like. */
	char *path = make_zeros_zip(f, "small.docx", 5 * MB);

	assert_int_equal(check(f, path, 256 * MB), 0);
	assert_int_equal(f->c.status, RENDER_OK);
	free(path);
}

static void test_normal_document_passes(void **state)
{
	struct fixture *f = *state;
	char *path = xasprintf("%s/doc.docx", f->dir);
	size_t len = 2 * MB;
	char *text = xmalloc(len);
	unsigned seed = 42;
	int err = 0;
	zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);

	/* Words from a small alphabet compress like real text: a few to one. */
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245 + 12345;
		text[i] = (seed >> 16) % 7 == 0 ? ' ' : (char)('a' + (seed >> 16) % 26);
	}
	assert_non_null(z);
	assert_true(zip_file_add(z, "word/document.xml", zip_source_buffer(z, text, len, 0), 0) >= 0);
	assert_true(zip_file_add(z, "[Content_Types].xml", zip_source_buffer(z, "<Types/>", 8, 0), 0) >= 0);
	assert_int_equal(zip_close(z), 0);
	assert_int_equal(check(f, path, 256 * MB), 0);
	/* The same document is too big for a 1 MB limit: the total counts. */
	assert_int_equal(check(f, path, 1 * MB), -1);
	assert_int_equal(f->c.status, RENDER_ZIP_BOMB);
	free(text);
	free(path);
}

static void test_too_many_entries(void **state)
{
	struct fixture *f = *state;
	char *path = xasprintf("%s/many.docx", f->dir);
	int err = 0;
	zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);

	assert_non_null(z);
	for (int i = 0; i < 10001; i++) {
		char name[32];

		snprintf(name, sizeof(name), "e%d", i);
		assert_true(zip_file_add(z, name, zip_source_buffer(z, "", 0, 0), 0) >= 0);
	}
	assert_int_equal(zip_close(z), 0);
	assert_int_equal(check(f, path, 256 * MB), -1);
	assert_int_equal(f->c.status, RENDER_ZIP_BOMB);
	assert_non_null(strstr(f->c.detail, "10001"));
	free(path);
}

static void test_corrupt(void **state)
{
	struct fixture *f = *state;
	char *path = make_zeros_zip(f, "cut.docx", 1 * MB);
	char *cut = xasprintf("%s/cut2.docx", f->dir);
	char *junk = xasprintf("%s/junk.docx", f->dir);
	long n = file_size(path);
	char *data = xmalloc((size_t)n);
	FILE *fp = fopen(path, "rb");

	assert_non_null(fp);
	assert_int_equal(fread(data, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	/* Without its central directory. */
	fp = fopen(cut, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, (size_t)n - 40, fp), (size_t)n - 40);
	fclose(fp);
	assert_int_equal(check(f, cut, 256 * MB), -1);
	assert_int_equal(f->c.status, RENDER_CORRUPT);

	/* A zip signature followed by noise. */
	fp = fopen(junk, "wb");
	assert_non_null(fp);
	fputs("PK\003\004 this is not a zip file at all, only its first four bytes are", fp);
	fclose(fp);
	assert_int_equal(check(f, junk, 256 * MB), -1);
	assert_int_equal(f->c.status, RENDER_CORRUPT);

	/* Local headers that disagree with the central directory (a classic overlap trick). */
	for (long i = 0; i + 4 <= n; i++)
		if (memcmp(data + i, "PK\001\002", 4) == 0) {
			data[i + 20] ^= 0x40; /* compressed size in the central directory */
			break;
		}
	fp = fopen(cut, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	assert_int_equal(check(f, cut, 256 * MB), -1);
	assert_int_equal(f->c.status, RENDER_CORRUPT);

	free(data);
	free(cut);
	free(junk);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bomb_total),
	    cmocka_unit_test(test_bomb_ratio),
	    cmocka_unit_test(test_small_highly_compressed_passes),
	    cmocka_unit_test(test_normal_document_passes),
	    cmocka_unit_test(test_too_many_entries),
	    cmocka_unit_test(test_corrupt),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
