/*
 * conv_cover.c - the cover page converter: a template and a fields file in, one page out.
 *
 * The template is the admin's (a fault in it is RENDER_INTERNAL, naming the line, never the
 * sender's problem); the fields file is written by faxgate from the sender's message and its
 * values are treated as hostile by cover.c.
 */
#include "render/convert.h"

#include <errno.h>
#include <string.h>

#include "render/cover.h"
#include "render/typeset.h"
#include "util/buf.h"
#include "util/log.h"

#define CONV_COVER_DEFAULT FAXGATE_DATADIR "/cover.tmpl"

int convert_cover(struct convert_ctx *c, const char *template_path, const char *fields_path)
{
	struct buf tmpl = BUF_INIT, fields = BUF_INIT, err = BUF_INIT;
	struct cover_template t;
	struct cover_fields f;
	const struct greymap *page;
	struct typeset *ts = NULL;
	int ret = -1;

	if (template_path == NULL || template_path[0] == '\0')
		template_path = CONV_COVER_DEFAULT;
	cover_fields_init(&f);
	memset(&t, 0, sizeof(t));
	if (buf_read_file(&tmpl, template_path, COVER_MAX_TEMPLATE) < 0) {
		if (errno == EFBIG)
			convert_fail(c, RENDER_INTERNAL, "cover template %s: larger than %zu bytes",
			             template_path, COVER_MAX_TEMPLATE);
		else
			convert_fail(c, RENDER_INTERNAL, "cannot read cover template %s: %m", template_path);
		goto out;
	}
	if (cover_template_parse(&t, tmpl.data ? tmpl.data : "", tmpl.len, &err) < 0) {
		convert_fail(c, RENDER_INTERNAL, "cover template %s: %s", template_path, buf_cstr(&err));
		goto out;
	}
	if (fields_path != NULL && fields_path[0] != '\0') {
		if (buf_read_file(&fields, fields_path, COVER_MAX_FIELDS_FILE) < 0) {
			convert_fail(c, RENDER_INTERNAL, "cannot read cover fields %s: %m", fields_path);
			goto out;
		}
		cover_fields_parse(&f, fields.data ? fields.data : "", fields.len);
	}
	ts = typeset_new(&c->geom, c->bilevel.text_threshold);
	if (ts == NULL) {
		convert_fail(c, RENDER_INTERNAL, "cannot set up the typesetter");
		goto out;
	}
	if (cover_render(ts, &t, &f, &page, &err) < 0) {
		convert_fail(c, RENDER_INTERNAL, "cover template %s: %s", template_path, buf_cstr(&err));
		goto out;
	}
	ret = convert_put_grey(c, page);
out:
	typeset_free(ts);
	cover_template_free(&t);
	cover_fields_free(&f);
	buf_free(&tmpl);
	buf_free(&fields);
	buf_free(&err);
	return ret;
}
