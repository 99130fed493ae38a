/*
 * render.h - the rendering engine's public API: documents in, one fax document out.
 *
 * Each document is converted by the faxrender helper program in a child process with CPU, memory,
 * file size and wall-clock limits and no network (see sandbox.h); the caller only ever sees pages,
 * MMR encoded as a fax TIFF or a database stores them (mmr.h), and a status. The milter and
 * `faxctl render` both call render_documents().
 */
#ifndef FAXGATE_RENDER_RENDER_H
#define FAXGATE_RENDER_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/conf.h"
#include "render/bitmap.h"
#include "render/geometry.h"
#include "render/mmr.h"
#include "render/status.h"
#include "util/buf.h"

/* One input: a file on disk, or bytes in memory (path NULL). name is what the sender called it. */
struct render_input {
	const char *name;
	const char *path;
	const void *data;
	size_t len;
};

/* Cover page fields, as key=value pairs (see docs/rendering.md for the names). */
struct render_field {
	const char *key;
	const char *value;
};

struct render_request {
	const struct conf *conf;
	enum fax_resolution res; /* usually from conf, overridable per message */
	enum fax_paper paper;
	const struct render_input *inputs;
	size_t ninputs;
	bool cover;                        /* put a cover page first */
	const struct render_field *fields; /* cover fields */
	size_t nfields;
	const char *cover_template; /* NULL: from conf, else the installed default */
	/*
	 * Pages of the same fax rendered by another request: they count against render_max_pages and
	 * in the cover's page count. The milter renders the documents once (other_pages 1 for the
	 * cover to come) and a cover for each recipient (other_pages = the documents' pages).
	 */
	size_t other_pages;
};

struct render_result {
	struct fax_page_list pages;
	struct fax_geometry geom;
	enum render_status status;
	char *failed_name; /* which input failed (NULL when OK or not input-specific) */
	struct buf detail; /* technical detail for the log */
	size_t page_limit; /* RENDER_TOO_MANY_PAGES: the most pages the documents could have */
	/* per input: detected type and page count, for logs and reports */
	struct {
		char *type;
		int pages;
	} * docs;
	size_t ndocs;
};

/* Returns the status (also in res->status). res must be released with render_result_free. */
enum render_status render_documents(const struct render_request *req, struct render_result *res);
void render_result_free(struct render_result *res);
/* "The attachment "x.pdf" is password-protected ..." : the sentence a sender reads. */
void render_result_message(const struct render_result *res, const struct conf *conf, struct buf *out);

#endif
