/*
 * cover.h - the cover page: fields from the message, a template from the admin (see
 * docs/cover-template.md), one page of typeset markup.
 *
 * Field values come from the sender (subject, names, the mail's text) and are hostile: they are
 * bounded, made valid UTF-8 and markup-escaped before they reach the template, in one pass, so a
 * value can neither inject markup nor expand other placeholders. The template is the admin's: a
 * mistake in it is reported with its line number.
 */
#ifndef FAXGATE_RENDER_COVER_H
#define FAXGATE_RENDER_COVER_H

#include <stddef.h>

#include "render/bitmap.h"
#include "render/typeset.h"
#include "util/buf.h"

#define COVER_MAX_FIELDS         64   /* key=value lines read from a fields file */
#define COVER_MAX_VALUE          4096 /* bytes of a value */
#define COVER_MAX_COMMENT_CHARS  2000 /* characters of the comment shown before "…" */
#define COVER_MAX_FIELDS_FILE    ((size_t)1 << 20)
#define COVER_MAX_TEMPLATE       ((size_t)64 << 10)
#define COVER_MAX_TEMPLATE_LINES 500

/* Values of the known fields (to_name, to_company, ... comment); NULL when not given. */
struct cover_fields {
	char *values[16];
};

void cover_fields_init(struct cover_fields *f);
void cover_fields_free(struct cover_fields *f);
/* Set a known field from raw UTF-8 (sanitised and bounded here); -1 when the key is unknown. */
int cover_fields_set(struct cover_fields *f, const char *key, const char *value, size_t len);
const char *cover_fields_get(const struct cover_fields *f, const char *key);
/*
 * Read "key=value" lines; in values "\n" is a line break and "\\" a backslash. Unknown keys and
 * lines without '=' are ignored; only the first COVER_MAX_FIELDS lines count.
 */
void cover_fields_parse(struct cover_fields *f, const char *data, size_t len);

/* Replace each ${name} in markup by the escaped value of field name (unknown or unset: nothing). */
void cover_substitute(const char *markup, size_t len, const struct cover_fields *f, struct buf *out);

enum cover_kind {
	COVER_TEXT,  /* a paragraph of markup; with tab stops, each tab starts the next column */
	COVER_RULE,  /* %rule [thickness mm] */
	COVER_SPACE, /* %space mm */
	COVER_TABS,  /* %tabs mm... (none: no columns) */
	COVER_FONT,  /* %font Pango font description */
	COVER_ALIGN, /* %align left|center|right */
};

struct cover_item {
	enum cover_kind kind;
	int line; /* in the template, for messages */
	double mm;
	double tabs[TYPESET_MAX_COLUMNS];
	size_t ntabs;
	enum typeset_align align;
	char *text; /* COVER_TEXT markup, COVER_FONT description */
};

struct cover_template {
	struct cover_item *items;
	size_t count;
};

/* Parse and check a template; -1 with err ("line 7: ...") when it is not valid. */
int cover_template_parse(struct cover_template *t, const char *data, size_t len, struct buf *err);
void cover_template_free(struct cover_template *t);
/* Split a paragraph into at most ncolumns + 1 cells at tabs; returns the count. cells point into s. */
size_t cover_split_cells(char *s, size_t ncolumns, char **cells);

/* Typeset the cover; *page is valid until ts is used again. -1 with err on a template error. */
int cover_render(struct typeset *ts, const struct cover_template *t, const struct cover_fields *f,
                 const struct greymap **page, struct buf *err);

#endif
