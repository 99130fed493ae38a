/*
 * conv_text.c - plain-text documents: any charset in, typeset pages out.
 *
 * Defends against: huge files (only the first CHARSET_MAX_INPUT bytes are read, the page limit
 * stops the rest), non-regular files, and everything charset.c and typeset.c defend against.
 */
#include "render/convert.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "render/charset.h"
#include "render/typeset.h"
#include "util/buf.h"
#include "util/fdio.h"
#include "util/log.h"

/* Read at most max bytes of path; *more tells whether the file went on. -1 with errno on failure. */
static int conv_text_read(const char *path, size_t max, struct buf *b, bool *more)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	char probe;
	ssize_t n;

	*more = false;
	if (fd < 0)
		return -1;
	while (b->len < max) {
		buf_reserve(b, max - b->len < 65536 ? max - b->len : 65536);
		n = fdio_read(fd, b->data + b->len,
		              b->cap - b->len - 1 < max - b->len ? b->cap - b->len - 1 : max - b->len);
		if (n < 0) {
			int e = errno;

			close(fd);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
		b->data[b->len] = '\0';
	}
	if (b->len >= max && fdio_read(fd, &probe, 1) == 1)
		*more = true;
	close(fd);
	return 0;
}

static int conv_text_page(void *arg, const struct greymap *page)
{
	return convert_put_grey(arg, page);
}

int convert_text(struct convert_ctx *c, const char *path)
{
	struct buf raw = BUF_INIT, text = BUF_INIT;
	struct charset_guess g;
	struct typeset *ts;
	bool more;
	int pages;

	if (conv_text_read(path, CHARSET_MAX_INPUT, &raw, &more) < 0) {
		buf_free(&raw);
		return convert_fail(c, RENDER_INTERNAL, "cannot read %s: %m", path);
	}
	if (more)
		log_info("text: only the first %zu bytes are typeset", CHARSET_MAX_INPUT);
	charset_to_utf8(raw.data ? raw.data : "", raw.len, &text, &g);
	buf_free(&raw);
	log_info("text: %s (%s), %zu bytes of UTF-8", g.name, g.how, text.len);
	ts = typeset_new(&c->geom, c->bilevel.text_threshold);
	if (ts == NULL) {
		buf_free(&text);
		return convert_fail(c, RENDER_INTERNAL, "cannot set up the typesetter");
	}
	pages = typeset_text(ts, c->text_font, buf_cstr(&text), text.len, conv_text_page, c);
	typeset_free(ts);
	buf_free(&text);
	if (pages < 0 || c->status != RENDER_OK)
		return -1;
	log_debug("text: %d pages typeset", pages);
	return 0;
}
