/*
 * test_charset.c - text in any charset becomes the exact expected UTF-8: UTF-8 with and without a
 * byte order mark, Latin-1, Windows-1252, UTF-16/32 with a mark and UTF-16 without, ISO-2022-JP,
 * Shift_JIS and KOI8-R (recognised by uchardet), broken UTF-8 (each broken sequence one U+FFFD);
 * then the tidying for the typesetter (line ends, tabs, controls, overstrikes) and the bounds.
 */
#include <iconv.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <glib.h>

#include "render/charset.h"
#include "util/buf.h"
#include "util/xalloc.h"

#define FFFD "\xEF\xBF\xBD"

/* Convert len bytes and compare with the expected UTF-8; returns the guess for further checks. */
static struct charset_guess check(const void *in, size_t len, const char *expect)
{
	struct buf out = BUF_INIT;
	struct charset_guess g;

	charset_to_utf8(in, len, &out, &g);
	assert_true(g_utf8_validate(buf_cstr(&out), (gssize)out.len, NULL));
	assert_string_equal(buf_cstr(&out), expect);
	assert_int_equal(out.len, strlen(expect));
	buf_free(&out);
	return g;
}

#define CHECK(lit, expect) check(lit, sizeof(lit) - 1, expect)

/* Encode UTF-8 with glibc's iconv, to feed the detector realistic legacy-charset text. */
static size_t encode(const char *utf8, const char *charset, char *out, size_t cap)
{
	iconv_t cd = iconv_open(charset, "UTF-8");
	char *in = (char *)utf8, *o = out;
	size_t inleft = strlen(utf8), oleft = cap;

	assert_true(cd != (iconv_t)-1);
	assert_int_not_equal(iconv(cd, &in, &inleft, &o, &oleft), (size_t)-1);
	iconv_close(cd);
	return cap - oleft;
}

static void test_utf8(void **state)
{
	struct charset_guess g;

	(void)state;
	g = CHECK("Gr\xC3\xBC\xC3\x9F"
	          "e, \xD0\xBC\xD0\xB8\xD1\x80, \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80\n",
	          "Grüße, мир, 日本 😀\n");
	assert_string_equal(g.name, "UTF-8");
	assert_string_equal(g.how, "utf-8");
	g = CHECK("\xEF\xBB\xBFGr\xC3\xBC\xC3\x9F"
	          "e\n",
	          "Grüße\n");
	assert_string_equal(g.name, "UTF-8");
	assert_string_equal(g.how, "bom");
	assert_int_equal(g.skip, 3);
	g = CHECK("plain ASCII\n", "plain ASCII\n");
	assert_string_equal(g.name, "UTF-8");
	g = CHECK("", "");
}

static void test_latin1(void **state)
{
	struct charset_guess g;

	(void)state;
	g = CHECK("Gr\xFC\xDF"
	          "e",
	          "Grüße");
	assert_string_not_equal(g.name, "UTF-8");
	g = CHECK("Viele Gr\xFC\xDF"
	          "e aus M\xFCnchen und sch\xF6ne Tr\xE4ume.\n",
	          "Viele Grüße aus München und schöne Träume.\n");
	assert_string_not_equal(g.name, "UTF-8");
}

static void test_windows1252(void **state)
{
	(void)state;
	CHECK("Price: \x80 100, \x93quoted\x94 text\n", "Price: € 100, “quoted” text\n");
	CHECK("The price is \x80 100 and he said \x93hello\x94 to me \x96 twice\x85\n",
	      "The price is € 100 and he said “hello” to me – twice…\n");
}

static void test_utf16_32(void **state)
{
	struct charset_guess g;

	(void)state;
	/* "Hi ü€\n" */
	g = CHECK("\xFF\xFEH\0i\0 \0\xFC\0\xAC\x20\n\0", "Hi ü€\n");
	assert_string_equal(g.name, "UTF-16LE");
	assert_string_equal(g.how, "bom");
	g = CHECK("\xFE\xFF\0H\0i\0 \0\xFC\x20\xAC\0\n", "Hi ü€\n");
	assert_string_equal(g.name, "UTF-16BE");
	/* A character beyond the BMP is a surrogate pair; an unpaired surrogate is one U+FFFD. */
	CHECK("\xFF\xFE=\xD8\0\xDE!\0", "😀!");
	CHECK("\xFF\xFE"
	      "a\0\x00\xDC"
	      "b\0",
	      "a" FFFD "b");
	g = check("\xFF\xFE\0\0H\0\0\0\xAC\x20\0\0", 12, "H€");
	assert_string_equal(g.name, "UTF-32LE");
	/* Without a mark: half the bytes are NUL. */
	g = CHECK("H\0e\0l\0l\0o\0 \0w\0o\0r\0l\0d\0\n\0", "Hello world\n");
	assert_string_equal(g.name, "UTF-16LE");
	assert_string_equal(g.how, "zeros");
	/* A truncated last unit is one U+FFFD. */
	CHECK("\xFF\xFEO\0K\0!", "OK" FFFD);
}

static void test_iso2022jp(void **state)
{
	struct charset_guess g;

	(void)state;
	/* 日本語 as mail clients send it: ESC $ B ... ESC ( B */
	g = CHECK("\x1B$BF|K\\8l\x1B(B ok\n", "日本語 ok\n");
	assert_string_equal(g.how, "escapes");
	g = CHECK("Subject \x1B$B$3$s$K$A$O\x1B(B!\n", "Subject こんにちは!\n");
	assert_string_equal(g.how, "escapes");
	/* A lone escape is just a control character. */
	g = CHECK("a\x1B[1mb\n", "a[1mb\n");
	assert_string_equal(g.name, "UTF-8");
}

static void test_legacy_cjk_cyrillic(void **state)
{
	static const char ja[] = "日本語のテキストです。これはShift_JISで書かれた文章のテストです。"
	                         "よろしくお願いします。\n";
	static const char ru[] = "Съешь же ещё этих мягких французских булок, да выпей чаю. "
	                         "Привет, как дела? Всё хорошо.\n";
	char enc[1024];
	size_t n;
	struct charset_guess g;

	(void)state;
	n = encode(ja, "SHIFT_JIS", enc, sizeof(enc));
	g = check(enc, n, ja);
	assert_int_equal(strcasecmp(g.name, "SHIFT_JIS"), 0);
	assert_string_equal(g.how, "uchardet");
	n = encode(ru, "KOI8-R", enc, sizeof(enc));
	g = check(enc, n, ru);
	assert_int_equal(strcasecmp(g.name, "KOI8-R"), 0);
	n = encode(ja, "EUC-JP", enc, sizeof(enc));
	g = check(enc, n, ja);
	assert_int_equal(strcasecmp(g.name, "EUC-JP"), 0);
}

static void test_invalid_utf8(void **state)
{
	struct buf out = BUF_INIT;
	struct charset_guess g;
	size_t bad;

	(void)state;
	/* Mostly valid UTF-8 with damage: stays UTF-8, each broken place replaced. */
	g = CHECK("Gr\xC3\xBC\xC3\x9F"
	          "e aus M\xC3\xBCnchen, sch\xC3\xB6ne Tage! \xC3( caf\xC3\xA9 \xED\xA0\x80 ok\xE2\x82",
	          "Grüße aus München, schöne Tage! " FFFD "( café " FFFD FFFD FFFD " ok" FFFD);
	assert_string_equal(g.name, "UTF-8");
	/* The decoder alone: one U+FFFD per maximal subpart (Unicode's recommended practice). */
	static const char broken[] = "a\xC0\xAF"
	                             "b\xE0\x80\xAF"
	                             "c\xF8\x88\x80\x80\x80"
	                             "d\xF4\x90\x80\x80"
	                             "e\xE2\x82";

	bad = charset_decode(broken, sizeof(broken) - 1, "UTF-8", &out);
	assert_string_equal(buf_cstr(&out), "a" FFFD FFFD "b" FFFD FFFD FFFD "c" FFFD FFFD FFFD FFFD FFFD
	                                    "d" FFFD FFFD FFFD FFFD "e" FFFD);
	assert_int_equal(bad, 15);
	buf_free(&out);
}

static void test_fallback(void **state)
{
	struct buf out = BUF_INIT;
	char all[256];
	int i;

	(void)state;
	/* Every byte value decodes to something; nothing fails, controls are gone. */
	for (i = 0; i < 256; i++)
		all[i] = (char)(255 - i);
	charset_to_utf8(all, sizeof(all), &out, NULL);
	assert_true(g_utf8_validate(buf_cstr(&out), (gssize)out.len, NULL));
	for (const char *p = buf_cstr(&out); *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		assert_false((c < 0x20 && c != '\n' && c != '\f') || (c >= 0x7F && c < 0xA0));
	}
	/* A charset iconv does not know is decoded as Windows-1252. */
	buf_reset(&out);
	assert_int_equal(charset_decode("\x80x", 2, "NO-SUCH-CHARSET", &out), 0);
	assert_string_equal(buf_cstr(&out), "€x");
	buf_free(&out);
}

static void test_tidy(void **state)
{
	struct buf out = BUF_INIT;
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"a\r\nb\rc\nd", "a\nb\nc\nd"},
	    {"\r\n\r\n", "\n\n"},
	    {"a\tb", "a       b"},
	    {"abcdefgh\tx", "abcdefgh        x"},
	    {"abcdefg\tx\ty", "abcdefg x       y"},
	    {"\xE6\x97\xA5\tx", "日      x"},      /* a wide character takes two columns */
	    {"e\xCC\x81\tx", "e\xCC\x81       x"}, /* a combining accent takes none */
	    {"page 1\fpage 2", "page 1\fpage 2"},
	    {"a\fb\tc", "a\fb       c"},
	    {"N\bNA\bAM\bME\bE", "NAME"},
	    {"_\bu_\bn", "un"},
	    {"\bx\n\by", "x\ny"},
	    {"\xEF\xBB\xBFtext", "text"},
	    {"bad \xFF byte", "bad " FFFD " byte"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&out);
		charset_tidy(cases[i].in, strlen(cases[i].in), &out);
		assert_string_equal(buf_cstr(&out), cases[i].out);
	}
	/* Combining marks beyond the stream-safe limit are dropped; the next letter starts afresh. */
	buf_reset(&out);
	{
		struct buf in = BUF_INIT, want = BUF_INIT;

		for (int k = 0; k < 2; k++) {
			buf_putc(&in, 'a');
			buf_putc(&want, 'a');
			for (int m = 0; m < 1000; m++) {
				buf_puts(&in, "\xCC\x81");
				if (m < CHARSET_MAX_MARKS)
					buf_puts(&want, "\xCC\x81");
			}
		}
		charset_tidy(in.data, in.len, &out);
		assert_string_equal(buf_cstr(&out), buf_cstr(&want));
		buf_free(&in);
		buf_free(&want);
	}
	/* C0 (NUL included), DEL and C1 controls are dropped. */
	buf_reset(&out);
	charset_tidy("a\x01\x1B\x7F"
	             "b\xC2\x85\xC2\x9F"
	             "c\0d",
	             13, &out);
	assert_string_equal(buf_cstr(&out), "abcd");
	buf_free(&out);
}

static void test_bounds(void **state)
{
	size_t big = CHARSET_MAX_INPUT + 12345;
	char *in = xmalloc(big);
	struct buf out = BUF_INIT;

	(void)state;
	memset(in, 'a', big);
	charset_to_utf8(in, big, &out, NULL);
	assert_int_equal(out.len, CHARSET_MAX_INPUT);
	/* Tabs grow eightfold: the output stops at its own bound. */
	memset(in, '\t', big);
	charset_to_utf8(in, big, &out, NULL);
	assert_true(out.len <= CHARSET_MAX_OUTPUT + CHARSET_TAB_WIDTH);
	assert_true(out.len >= CHARSET_MAX_OUTPUT);
	free(in);
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_utf8),         cmocka_unit_test(test_latin1),
	    cmocka_unit_test(test_windows1252),  cmocka_unit_test(test_utf16_32),
	    cmocka_unit_test(test_iso2022jp),    cmocka_unit_test(test_legacy_cjk_cyrillic),
	    cmocka_unit_test(test_invalid_utf8), cmocka_unit_test(test_fallback),
	    cmocka_unit_test(test_tidy),         cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
