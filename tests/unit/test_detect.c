/*
 * test_detect.c - document types are recognised by content alone, whatever the file is called.
 *
 * Every sample is written to a private temporary folder at test time: a few bytes of a PDF,
 * PNG, JPEG, GIF, TIFF and PostScript header, text in UTF-8 and Latin-1, HTML, RTF, real zip
 * files made with libzip (an OOXML package libmagic only calls zip, an ODF package, a plain
 * zip), an OLE compound file header, an executable and an empty file.
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

struct fixture {
	char dir[64];
	struct convert_ctx c;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	if (testdir_make(f->dir, sizeof(f->dir), "test_detect") < 0)
		return -1;
	f->c.out_fd = -1;
	f->c.max_unpacked = 256 * 1024 * 1024;
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

static char *write_file(struct fixture *f, const char *name, const void *data, size_t len)
{
	char *path = xasprintf("%s/%s", f->dir, name);
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	return path;
}

/* Detect a sample and check type; returns the MIME type libmagic gave (static storage). */
static const char *expect(struct fixture *f, const char *name, const void *data, size_t len,
                          enum doc_type want)
{
	static struct doc_info info;
	char *path = write_file(f, name, data, len);

	f->c.status = RENDER_OK;
	assert_int_equal(detect_type(&f->c, path, &info), 0);
	if (info.type != want)
		fail_msg("%s: detected type %d (%s, %s), wanted %d", name, (int)info.type, info.mime,
		         info.description, (int)want);
	free(path);
	return info.mime;
}

#define EXPECT(f, name, lit, want) expect(f, name, lit, sizeof(lit) - 1, want)

static void test_pdf_and_postscript(void **state)
{
	struct fixture *f = *state;

	/* The name says text: the content decides. */
	EXPECT(f, "notes.txt", "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
	       DOC_PDF);
	EXPECT(f, "a.ps", "%!PS-Adobe-3.0\n%%Pages: 1\nshowpage\n", DOC_POSTSCRIPT);
	EXPECT(f, "a.eps", "%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", DOC_POSTSCRIPT);
}

static void test_images(void **state)
{
	struct fixture *f = *state;

	EXPECT(f, "a.pdf", "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x00\0\0\0\x3a\x7e\x9b\x55",
	       DOC_IMAGE);
	EXPECT(f, "b", "\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0", DOC_IMAGE);
	EXPECT(f, "c", "GIF89a\x01\0\x01\0\x80\0\0\0\0\0\xff\xff\xff!", DOC_IMAGE);
	EXPECT(f, "d", "P5\n2 2\n255\n\0\0\0\0", DOC_IMAGE);
	EXPECT(f, "e", "II*\0\x08\0\0\0\x01\0\0\x01\x03\0\x01\0\0\0\x01\0\0\0\0\0\0\0", DOC_TIFF);
	EXPECT(f, "f", "MM\0*\0\0\0\x08\0\x01\x01\0\0\x03\0\0\0\x01\0\x01\0\0\0\0\0\0", DOC_TIFF);
}

static void test_text(void **state)
{
	struct fixture *f = *state;
	const char *mime;

	mime = EXPECT(f, "u.pdf",
	              "Gr\xc3\xbc\xc3\x9f"
	              "e aus K\xc3\xb6ln, \xe2\x82\xac 10\n",
	              DOC_TEXT);
	assert_string_equal(mime, "text/plain");
	EXPECT(f, "l.doc", "Caf\xe9 cr\xe8me br\xfbl\xe9\x65, gar\xe7on\n", DOC_TEXT);
	EXPECT(f, "prog", "#include <stdio.h>\nint main(void)\n{\n\treturn 0;\n}\n", DOC_TEXT);
	EXPECT(f, "page",
	       "<!DOCTYPE html>\n<html><head><title>t</title></head><body><p>x</p></body></html>\n",
	       DOC_HTML);
	EXPECT(f, "letter", "{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}} Hello\\par }\n", DOC_RTF);
}

static void test_zip_add(zip_t *z, const char *name, const char *text)
{
	zip_source_t *s = zip_source_buffer(z, text, strlen(text), 0);

	assert_non_null(s);
	assert_true(zip_file_add(z, name, s, ZIP_FL_OVERWRITE) >= 0);
}

/* A zip made with libzip from (name, text) pairs; stored (not compressed) when store. */
static char *make_zip(struct fixture *f, const char *name, const char *const *entries, bool store)
{
	char *path = xasprintf("%s/%s", f->dir, name);
	int err = 0;
	zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);

	assert_non_null(z);
	for (size_t i = 0; entries[i]; i += 2) {
		test_zip_add(z, entries[i], entries[i + 1]);
		if (store)
			assert_int_equal(zip_set_file_compression(z, i / 2, ZIP_CM_STORE, 0), 0);
	}
	assert_int_equal(zip_close(z), 0);
	return path;
}

static enum doc_type detect_path(struct fixture *f, const char *path, struct doc_info *info)
{
	f->c.status = RENDER_OK;
	assert_int_equal(detect_type(&f->c, path, info), 0);
	return info->type;
}

static void test_office_zip(void **state)
{
	struct fixture *f = *state;
	/* [Content_Types].xml not first: libmagic cannot tell it from any zip. */
	static const char *const ooxml[] = {
	    "word/document.xml",   "<w:document/>",   "_rels/.rels", "<Relationships/>",
	    "[Content_Types].xml", "<Types></Types>", NULL,
	};
	static const char *const odf[] = {
	    "mimetype",    "application/vnd.oasis.opendocument.text",
	    "content.xml", "<office:document-content/>",
	    NULL,
	};
	static const char *const plain[] = {"readme.txt", "just a zip", "data.csv", "a,b\n1,2\n", NULL};
	struct doc_info info;
	char *path;

	path = make_zip(f, "x.pdf", ooxml, false);
	assert_int_equal(detect_path(f, path, &info), DOC_OFFICE_ZIP);
	free(path);
	path = make_zip(f, "y.txt", odf, true);
	assert_int_equal(detect_path(f, path, &info), DOC_OFFICE_ZIP);
	free(path);
	path = make_zip(f, "z.docx", plain, false);
	assert_int_equal(detect_path(f, path, &info), DOC_UNKNOWN);
	assert_string_equal(info.mime, "application/zip");
	free(path);
}

static void test_ole(void **state)
{
	struct fixture *f = *state;
	unsigned char ole[4096];
	char *path;
	struct doc_info info;

	/* An OLE compound file header with nothing in it: an office file libmagic cannot name. */
	memset(ole, 0, sizeof(ole));
	memcpy(ole, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8);
	memcpy(ole + 24, "\x3e\0\x03\0\xfe\xff\x09\0\x06\0", 10);
	path = write_file(f, "ole.bin", ole, sizeof(ole));
	assert_int_equal(detect_path(f, path, &info), DOC_OFFICE_OLE);
	free(path);
}

static void test_empty_and_unknown(void **state)
{
	struct fixture *f = *state;
	struct doc_info info;
	const char *mime;
	char *path;

	path = write_file(f, "empty.pdf", "", 0);
	assert_int_equal(detect_path(f, path, &info), DOC_EMPTY);
	free(path);

	/* Gzip and an executable are not documents, whatever their names say. */
	mime = EXPECT(f, "g.pdf", "\x1f\x8b\x08\0\0\0\0\0\0\x03\x03\0\0\0\0\0\0\0\0\0", DOC_UNKNOWN);
	assert_string_equal(mime, "application/gzip");
	assert_int_equal(detect_path(f, "/bin/true", &info), DOC_UNKNOWN);
	assert_non_null(strstr(info.mime, "application/"));

	/* A file that cannot be read is faxgate's problem, not the sender's. */
	f->c.status = RENDER_OK;
	assert_int_equal(detect_type(&f->c, "/nonexistent/x", &info), -1);
	assert_int_equal(f->c.status, RENDER_INTERNAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pdf_and_postscript),
	    cmocka_unit_test(test_images),
	    cmocka_unit_test(test_text),
	    cmocka_unit_test(test_office_zip),
	    cmocka_unit_test(test_ole),
	    cmocka_unit_test(test_empty_and_unknown),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
