/*
 * cover.c - cover page fields, the template language and its rendering (docs/cover-template.md).
 *
 * Defends against: hostile field values (markup, placeholders, control characters, invalid UTF-8,
 * megabytes of comment) which are sanitised, bounded and escaped before substitution; fields
 * files and templates of any size or shape (bounded, every line checked, bad markup reported with
 * its line number instead of being drawn half).
 */
#include "render/cover.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <pango/pango.h>

#include "render/charset.h"
#include "util/log.h"
#include "util/xalloc.h"

#define COVER_MAX_KEY      32
#define COVER_RULE_BAND_MM 3.0
#define COVER_RULE_MM      0.4

/* The fields a template can use; the index is the slot in struct cover_fields. */
static const char *const cover_keys[] = {
    "to_name",  "to_company", "to_fax",  "from_name", "from_email", "from_phone",
    "from_fax", "date",       "subject", "pages",     "comment",
};
#define COVER_NKEYS   (sizeof(cover_keys) / sizeof(cover_keys[0]))
#define COVER_COMMENT 10

_Static_assert(COVER_NKEYS <= sizeof(((struct cover_fields *)0)->values) / sizeof(char *), "fields table");

static int cover_key_index(const char *key, size_t len)
{
	size_t i;

	for (i = 0; i < COVER_NKEYS; i++)
		if (strlen(cover_keys[i]) == len && memcmp(cover_keys[i], key, len) == 0)
			return (int)i;
	return -1;
}

void cover_fields_init(struct cover_fields *f)
{
	memset(f, 0, sizeof(*f));
}

void cover_fields_free(struct cover_fields *f)
{
	size_t i;

	for (i = 0; i < COVER_NKEYS; i++)
		free(f->values[i]);
	cover_fields_init(f);
}

const char *cover_fields_get(const struct cover_fields *f, const char *key)
{
	int i = cover_key_index(key, strlen(key));

	return i < 0 ? NULL : f->values[i];
}

/* Keep printable text: line breaks only in the comment, tabs and other controls made blank or dropped. */
static void cover_clean(const char *s, bool multiline, struct buf *out)
{
	const char *p;
	int marks = 0;

	for (p = s; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		/* Combining marks stacked by the thousand cost Pango seconds (see charset.h). */
		marks = g_unichar_iszerowidth(c) ? marks + 1 : 0;
		if (marks > CHARSET_MAX_MARKS)
			continue;
		if (c == '\n' || c == '\t' || c == '\f' || c == '\v')
			buf_putc(out, multiline && c == '\n' ? '\n' : ' ');
		else if (c < 0x20 || (c >= 0x7F && c < 0xA0))
			continue;
		else
			buf_append(out, p, (size_t)(g_utf8_next_char(p) - p));
	}
}

int cover_fields_set(struct cover_fields *f, const char *key, const char *value, size_t len)
{
	int i = cover_key_index(key, strlen(key));
	bool cut = len > COVER_MAX_VALUE, comment = i == COVER_COMMENT;
	struct buf b = BUF_INIT;
	gchar *valid;
	const char *end, *start;

	if (i < 0)
		return -1;
	/* make_valid also ends the value at a NUL and at a character cut in half by the bound. */
	valid = g_utf8_make_valid(value, (gssize)(cut ? COVER_MAX_VALUE : len));
	if (cut) {
		end = valid + strlen(valid);
		if (g_str_has_suffix(valid, "\xEF\xBF\xBD"))
			end -= 3;
		valid[end - valid] = '\0';
	}
	cover_clean(valid, comment, &b);
	g_free(valid);
	if (comment && g_utf8_strlen(buf_cstr(&b), -1) > COVER_MAX_COMMENT_CHARS) {
		b.len = (size_t)(g_utf8_offset_to_pointer(b.data, COVER_MAX_COMMENT_CHARS) - b.data);
		b.data[b.len] = '\0';
		cut = true;
	}
	/* Surrounding blanks and trailing empty lines (mail bodies end with some) only waste room. */
	while (b.len > 0 && (b.data[b.len - 1] == ' ' || b.data[b.len - 1] == '\n'))
		b.data[--b.len] = '\0';
	if (cut)
		buf_puts(&b, "\xE2\x80\xA6");
	start = buf_cstr(&b);
	start += strspn(start, " \n");
	free(f->values[i]);
	f->values[i] = xstrdup(start);
	buf_free(&b);
	return 0;
}

/* Undo the fields file's escapes: "\n" and "\\". */
static void cover_unescape(const char *s, size_t len, struct buf *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len && (s[i + 1] == 'n' || s[i + 1] == '\\')) {
			buf_putc(out, s[i + 1] == 'n' ? '\n' : '\\');
			i++;
		} else {
			buf_putc(out, s[i]);
		}
	}
}

void cover_fields_parse(struct cover_fields *f, const char *data, size_t len)
{
	const char *p = data, *end, *nl, *eq;
	struct buf v = BUF_INIT;
	size_t lines = 0;
	char key[COVER_MAX_KEY + 1];

	if (len > COVER_MAX_FIELDS_FILE)
		len = COVER_MAX_FIELDS_FILE;
	end = data + len;
	for (; p < end && lines < COVER_MAX_FIELDS; p = nl + 1, lines++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		eq = memchr(p, '=', (size_t)(nl - p));
		if (eq == NULL || eq == p || (size_t)(eq - p) > COVER_MAX_KEY)
			continue;
		memcpy(key, p, (size_t)(eq - p));
		key[eq - p] = '\0';
		buf_reset(&v);
		/* Bound before unescaping: a value never needs more than twice its limit of escaped text. */
		cover_unescape(eq + 1,
		               (size_t)(nl - eq - 1) > 2 * COVER_MAX_VALUE ? 2 * COVER_MAX_VALUE
		                                                           : (size_t)(nl - eq - 1),
		               &v);
		if (v.len > 0 && v.data[v.len - 1] == '\r')
			v.data[--v.len] = '\0';
		cover_fields_set(f, key, buf_cstr(&v), v.len);
	}
	buf_free(&v);
}

void cover_substitute(const char *markup, size_t len, const struct cover_fields *f, struct buf *out)
{
	const char *p = markup, *end = markup + len, *open, *close;

	while (p < end) {
		int k;

		open = memmem(p, (size_t)(end - p), "${", 2);
		if (open == NULL)
			break;
		buf_append(out, p, (size_t)(open - p));
		close = memchr(open + 2, '}', (size_t)(end - open - 2));
		if (close == NULL || close - open - 2 > COVER_MAX_KEY ||
		    strspn(open + 2, "abcdefghijklmnopqrstuvwxyz0123456789_") != (size_t)(close - open - 2)) {
			/* Not a placeholder: keep the text as written. */
			buf_append(out, open, 2);
			p = open + 2;
			continue;
		}
		k = cover_key_index(open + 2, (size_t)(close - open - 2));
		if (k >= 0 && f->values[k] != NULL) {
			gchar *esc = g_markup_escape_text(f->values[k], -1);

			buf_puts(out, esc);
			g_free(esc);
		}
		p = close + 1;
	}
	if (p < end)
		buf_append(out, p, (size_t)(end - p));
}

size_t cover_split_cells(char *s, size_t ncolumns, char **cells)
{
	size_t n = 1;
	char *tab;

	cells[0] = s;
	while (n <= ncolumns && (tab = strchr(cells[n - 1], '\t')) != NULL) {
		*tab = '\0';
		cells[n++] = tab + 1;
	}
	return n;
}

/* Numbers in directives, in mm, independent of the locale. */
static int cover_numbers(const char *s, double *v, size_t max, size_t *n, double lo, double hi)
{
	char *end;

	*n = 0;
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			return 0;
		if (*n == max)
			return -1;
		v[*n] = g_ascii_strtod(s, &end);
		if (end == s || (*end != '\0' && *end != ' ' && *end != '\t') ||
		    !(v[*n] >= lo && v[*n] <= hi))
			return -1;
		(*n)++;
		s = end;
	}
}

static int cover_check_markup(char *text, size_t ntabs, struct buf *err)
{
	char *copy = xstrdup(text), *cells[TYPESET_MAX_COLUMNS + 1];
	size_t n = cover_split_cells(copy, ntabs, cells), i;
	GError *gerr = NULL;
	int ret = 0;

	for (i = 0; i < n && ret == 0; i++) {
		if (!pango_parse_markup(cells[i], -1, 0, NULL, NULL, NULL, &gerr)) {
			buf_printf(err, "%s", gerr ? gerr->message : "bad markup");
			ret = -1;
		}
	}
	if (gerr)
		g_error_free(gerr);
	free(copy);
	return ret;
}

/* One template line into it; -1 with the reason in err. */
static int cover_parse_line(struct cover_item *it, char *line, size_t *ntabs, struct buf *err)
{
	char *arg;
	size_t n;

	if (line[0] != '%') {
		it->kind = COVER_TEXT;
		it->text = xstrdup(line);
		return cover_check_markup(line, *ntabs, err);
	}
	arg = line + 1 + strcspn(line + 1, " \t");
	if (*arg)
		*arg++ = '\0';
	while (*arg == ' ' || *arg == '\t')
		arg++;
	g_strchomp(arg);
	if (strcmp(line, "%rule") == 0) {
		it->kind = COVER_RULE;
		it->mm = COVER_RULE_MM;
		if (cover_numbers(arg, &it->mm, 1, &n, 0.1, COVER_RULE_BAND_MM) < 0) {
			buf_printf(err, "%%rule takes a thickness of 0.1 to %g mm", COVER_RULE_BAND_MM);
			return -1;
		}
	} else if (strcmp(line, "%space") == 0) {
		it->kind = COVER_SPACE;
		if (cover_numbers(arg, &it->mm, 1, &n, 0, 300) < 0 || n != 1) {
			buf_puts(err, "%space takes one number of mm (0 to 300)");
			return -1;
		}
	} else if (strcmp(line, "%tabs") == 0) {
		it->kind = COVER_TABS;
		if (cover_numbers(arg, it->tabs, TYPESET_MAX_COLUMNS, &it->ntabs, 1, 180) < 0) {
			buf_printf(err, "%%tabs takes up to %d positions in mm (1 to 180)",
			           TYPESET_MAX_COLUMNS);
			return -1;
		}
		for (n = 1; n < it->ntabs; n++) {
			if (it->tabs[n] <= it->tabs[n - 1]) {
				buf_puts(err, "%tabs positions must increase");
				return -1;
			}
		}
		*ntabs = it->ntabs;
	} else if (strcmp(line, "%font") == 0) {
		it->kind = COVER_FONT;
		it->text = xstrdup(arg);
	} else if (strcmp(line, "%align") == 0) {
		it->kind = COVER_ALIGN;
		if (strcmp(arg, "left") == 0)
			it->align = TYPESET_ALIGN_LEFT;
		else if (strcmp(arg, "center") == 0 || strcmp(arg, "centre") == 0)
			it->align = TYPESET_ALIGN_CENTER;
		else if (strcmp(arg, "right") == 0)
			it->align = TYPESET_ALIGN_RIGHT;
		else {
			buf_puts(err, "%align takes left, center or right");
			return -1;
		}
	} else {
		buf_printf(err, "unknown directive %s (a paragraph starting with %% is written &#37;)", line);
		return -1;
	}
	return 0;
}

int cover_template_parse(struct cover_template *t, const char *data, size_t len, struct buf *err)
{
	const char *p = data, *end = data + len, *nl;
	struct buf why = BUF_INIT;
	size_t ntabs = 0, cap = 0;
	int line = 0, ret = 0;

	memset(t, 0, sizeof(*t));
	if (len > COVER_MAX_TEMPLATE) {
		buf_printf(err, "larger than %zu bytes", COVER_MAX_TEMPLATE);
		return -1;
	}
	for (; p < end && ret == 0; p = nl + 1) {
		char *text;
		struct cover_item *it;

		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		line++;
		if (line > COVER_MAX_TEMPLATE_LINES) {
			buf_printf(err, "more than %d lines", COVER_MAX_TEMPLATE_LINES);
			ret = -1;
			break;
		}
		if (!g_utf8_validate(p, nl - p, NULL)) {
			buf_printf(err, "line %d: not valid UTF-8", line);
			ret = -1;
			break;
		}
		text = xstrndup(p, (size_t)(nl - p));
		if (nl > p && text[nl - p - 1] == '\r')
			text[nl - p - 1] = '\0';
		if (strncmp(text, "%%", 2) == 0) {
			free(text);
			continue;
		}
		if (t->count == cap) {
			cap = cap ? cap * 2 : 32;
			t->items = xreallocarray(t->items, cap, sizeof(*t->items));
		}
		it = &t->items[t->count++];
		memset(it, 0, sizeof(*it));
		it->line = line;
		buf_reset(&why);
		if (cover_parse_line(it, text, &ntabs, &why) < 0) {
			buf_printf(err, "line %d: %s", line, buf_cstr(&why));
			ret = -1;
		}
		free(text);
	}
	buf_free(&why);
	if (ret < 0)
		cover_template_free(t);
	return ret;
}

void cover_template_free(struct cover_template *t)
{
	size_t i;

	for (i = 0; i < t->count; i++)
		free(t->items[i].text);
	free(t->items);
	memset(t, 0, sizeof(*t));
}

/* Substitute and typeset one paragraph under the current font, alignment and columns. */
static int cover_paragraph(struct typeset *ts, const struct cover_item *it, struct typeset_block *blk,
                           const struct cover_fields *f, struct buf *err)
{
	char *copy = xstrdup(it->text), *raw[TYPESET_MAX_COLUMNS + 1];
	const char *cells[TYPESET_MAX_COLUMNS + 1];
	struct buf sub[TYPESET_MAX_COLUMNS + 1];
	struct buf why = BUF_INIT;
	size_t n = cover_split_cells(copy, blk->ncolumns, raw), i;
	int ret;

	for (i = 0; i < n; i++) {
		buf_init(&sub[i]);
		cover_substitute(raw[i], strlen(raw[i]), f, &sub[i]);
		cells[i] = buf_cstr(&sub[i]);
	}
	blk->cells = cells;
	blk->ncells = n;
	ret = typeset_page_block(ts, blk, &why);
	if (ret < 0)
		buf_printf(err, "line %d: %s", it->line, buf_cstr(&why));
	else if (ret > 0)
		log_debug("cover: line %d cut to fit the page", it->line);
	for (i = 0; i < n; i++)
		buf_free(&sub[i]);
	buf_free(&why);
	free(copy);
	return ret < 0 ? -1 : 0;
}

int cover_render(struct typeset *ts, const struct cover_template *t, const struct cover_fields *f,
                 const struct greymap **page, struct buf *err)
{
	struct typeset_block blk;
	size_t i;

	memset(&blk, 0, sizeof(blk));
	typeset_page_begin(ts);
	for (i = 0; i < t->count; i++) {
		const struct cover_item *it = &t->items[i];

		switch (it->kind) {
		case COVER_TEXT:
			if (cover_paragraph(ts, it, &blk, f, err) < 0)
				return -1;
			break;
		case COVER_RULE:
			typeset_page_rule(ts, COVER_RULE_BAND_MM, it->mm);
			break;
		case COVER_SPACE:
			typeset_page_space(ts, it->mm);
			break;
		case COVER_TABS:
			memcpy(blk.columns, it->tabs, sizeof(blk.columns));
			blk.ncolumns = it->ntabs;
			break;
		case COVER_FONT:
			blk.font = it->text[0] ? it->text : NULL;
			break;
		case COVER_ALIGN:
			blk.align = it->align;
			break;
		}
	}
	*page = typeset_page_end(ts);
	return 0;
}
