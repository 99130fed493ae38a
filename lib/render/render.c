/*
 * render.c - the parent side of the rendering engine: one faxrender child per document.
 *
 * This runs inside daemons (the milter) and faxctl. It never parses a document itself: each one is
 * handed to the faxrender helper under sandbox limits, and only the page stream comes back, checked
 * record by record. The pages of all documents (and the cover page, rendered last because it shows
 * the page count, but put first) make one fax.
 *
 * The helper sees nothing of the host's private places (sandbox.h: isolate_files), so each input
 * is first copied into the document's own scratch folder, which is the only one it can reach;
 * started by root, it runs as render_user, who is given that folder (render_scratch.c).
 */
#include "render/render.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "render/pagestream.h"
#include "render/render_scratch.h"
#include "util/log.h"
#include "util/sandbox.h"
#include "util/xalloc.h"

/* Keys the helper needs; the parent passes them as -o key=value so both see one configuration. */
/* clang-format off */
static const char *const render_keys[] = {
    "log_level",
    "render_text_threshold",
    "render_photo_gamma_pct",
    "render_chop_blank_end",
    "render_chop_min_mm",
    "render_drop_blank_pages",
    "render_memory",
    "render_office_memory",
    "render_max_output",
    "render_max_image_pixels",
    "render_max_unpacked",
    "render_text_font",
    "render_ghostscript",
    "render_soffice",
    "render_workers",
    NULL,
};
/* clang-format on */

/* Room above render_memory for the helper's own code, libraries and stacks. */
#define RENDER_HELPER_SLACK ((size_t)256 << 20)

/* One call of render_documents: what every run of the helper shares. */
struct render_job {
	const struct render_request *req;
	const struct fax_geometry *geom;
	struct render_scratch_owner owner;
	struct buf *detail;
};

struct render_argv {
	char **v;
	size_t n, cap;
};

static void render_arg(struct render_argv *a, char *s)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->v = xreallocarray(a->v, a->cap, sizeof(*a->v));
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

static void render_argv_free(struct render_argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
}

/* rel beside the running program (rel starts with "/../"), when it exists; NULL otherwise. */
static char *render_beside_self(const char *rel, int mode)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash, *p;

	if (n <= 0)
		return NULL;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	p = xasprintf("%s%s", self, rel);
	if (access(p, mode) == 0)
		return p;
	free(p);
	return NULL;
}

static char *render_helper_path(const struct conf *conf)
{
	char *p;

	if (conf->render_helper && conf->render_helper[0])
		return xstrdup(conf->render_helper);
	/* From a build tree (bin/../libexec) or an install under another PREFIX (bin/../lib/faxgate). */
	if ((p = render_beside_self("/../libexec/faxrender", X_OK)) != NULL)
		return p;
	if ((p = render_beside_self("/../lib/faxgate/faxrender", X_OK)) != NULL)
		return p;
	return xstrdup(FAXGATE_LIBEXECDIR "/faxrender");
}

/* The helper's environment: nothing inherited but sanitizer settings, for the test build. */
static void render_env(struct render_argv *e, const char *workdir)
{
	static const char *const pass[] = {"ASAN_OPTIONS", "UBSAN_OPTIONS", NULL};

	render_arg(e, xstrdup("PATH=/usr/bin:/bin"));
	render_arg(e, xstrdup("LANG=C.UTF-8"));
	render_arg(e, xasprintf("HOME=%s", workdir));
	render_arg(e, xasprintf("TMPDIR=%s", workdir));
	for (size_t i = 0; pass[i]; i++) {
		const char *v = getenv(pass[i]);
		if (v)
			render_arg(e, xasprintf("%s=%s", pass[i], v));
	}
}

static void render_opt(struct render_argv *a, char *kv)
{
	render_arg(a, xstrdup("-o"));
	render_arg(a, kv);
}

static void render_conf_args(struct render_argv *a, const struct render_request *req, size_t max_pages)
{
	struct buf dump = BUF_INIT;

	cfg_dump(conf_keys, req->conf, &dump);
	for (char *line = dump.data, *nl; line && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		*nl = '\0';
		char *eq = strstr(line, " = ");
		if (!eq)
			continue;
		*eq = '\0';
		for (size_t i = 0; render_keys[i]; i++) {
			if (strcmp(line, render_keys[i]) == 0) {
				const char *v = eq + 3;
				size_t vl = strlen(v);
				/* cfg_dump quotes values with blanks or '#': the helper wants them bare. */
				if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"')
					render_opt(a, xasprintf("%s=%.*s", line, (int)vl - 2, v + 1));
				else
					render_opt(a, xasprintf("%s=%s", line, v));
				break;
			}
		}
	}
	buf_free(&dump);
	render_opt(a, xasprintf("render_resolution=%s", geometry_resolution_name(req->res)));
	render_opt(a, xasprintf("render_paper=%s", geometry_paper_name(req->paper)));
	render_opt(a, xasprintf("render_max_pages=%zu", max_pages));
}

static int render_reader(void *arg, const void *data, size_t len)
{
	return pagestream_reader_feed(arg, data, len);
}

/* Map how the child ended, and what it said, to a status. */
static enum render_status render_child_status(const struct sandbox_result *sr,
                                              const struct pagestream_reader *r, struct buf *detail)
{
	switch (sr->end) {
	case SANDBOX_TIMEOUT:
		buf_puts(detail, "wall-clock limit reached");
		return RENDER_TIMEOUT;
	case SANDBOX_CPU:
		buf_puts(detail, "CPU time limit reached");
		return RENDER_TIMEOUT;
	case SANDBOX_FSIZE:
		buf_puts(detail, "output size limit reached");
		return RENDER_TOO_BIG_INPUT;
	case SANDBOX_FAILED:
		buf_puts(detail, "could not start the converter");
		return RENDER_INTERNAL;
	case SANDBOX_ABORTED:
		/* The reader refuses the page that would go beyond the limit. */
		if (r->over_limit && r->pages.count >= r->max_pages) {
			buf_printf(detail, "more than %zu pages", r->max_pages);
			return RENDER_TOO_MANY_PAGES;
		}
		if (r->over_limit) {
			buf_puts(detail, "more page data than a fax may hold");
			return RENDER_TOO_BIG_INPUT;
		}
		buf_puts(detail, "the converter's output was malformed");
		return RENDER_CONVERT_FAILED;
	case SANDBOX_SIGNALED:
		if (r->status != RENDER_OK)
			break;
		buf_printf(detail, "the converter died of signal %d", sr->code);
		/* Only a converter that got as far as the document can blame it. */
		return r->type ? RENDER_CONVERT_FAILED : RENDER_INTERNAL;
	case SANDBOX_EXITED:
		break;
	}
	if (r->status != RENDER_OK) {
		buf_puts(detail, r->error ? r->error : "");
		return r->status;
	}
	/*
	 * A refusal is final for the sender, so it needs a converter that said why ('E'). The helper
	 * ending otherwise (usage error, cannot start, no type record) is our problem: retry later.
	 */
	if (sr->code != 0 || !r->done || !r->type) {
		buf_printf(detail, "the converter exited with status %d before finishing", sr->code);
		return RENDER_INTERNAL;
	}
	return RENDER_OK;
}

/* Run the helper on one document (or the cover) in workdir; pages are appended to out. */
static enum render_status render_one(const struct render_job *job, const char *workdir, char **extra,
                                     size_t max_pages, struct fax_page_list *out, char **type)
{
	const struct conf *conf = job->req->conf;
	const char *hide[] = {conf->render_tmpdir, FAXGATE_SYSCONFDIR, NULL};
	/* Converters installed in a hidden place (/opt), and Ghostscript's CMaps and font map. */
	const char *keep[] = {conf->render_soffice, conf->render_ghostscript, "/var/lib/ghostscript", NULL};
	size_t own = (size_t)conf->render_memory + RENDER_HELPER_SLACK;
	struct render_argv argv = {0}, env = {0};
	struct pagestream_reader reader;
	struct sandbox_result sr;
	struct sandbox_limits lim = {
	    .cpu_seconds = (unsigned)conf->render_cpu_seconds,
	    /* The helper's own decoders get render_memory; it raises the limit for LibreOffice only. */
	    .memory_bytes = own,
	    .memory_hard =
	        (size_t)conf->render_office_memory > own ? (size_t)conf->render_office_memory : own,
	    .file_bytes = (size_t)conf->render_max_output,
	    .wall_seconds = (unsigned)conf->render_timeout,
	    .isolate_network = conf->render_isolate_network,
	    .isolate_files = conf->render_isolate_files,
	    .workdir = workdir,
	    .hide = hide,
	    .keep = keep,
	    .set_user = job->owner.set_user,
	    .uid = job->owner.uid,
	    .gid = job->owner.gid,
	};
	enum render_status st;

	render_arg(&argv, render_helper_path(conf));
	render_conf_args(&argv, job->req, max_pages);
	render_arg(&argv, xstrdup("--workdir"));
	render_arg(&argv, xstrdup(workdir));
	for (size_t i = 0; extra[i]; i++)
		render_arg(&argv, xstrdup(extra[i]));
	render_env(&env, workdir);

	pagestream_reader_init(&reader, job->geom->height, max_pages);
	if (sandbox_run(&lim, argv.v, env.v, -1, render_reader, &reader, &sr) < 0) {
		buf_printf(job->detail, "cannot start %s: %m", argv.v[0]);
		st = RENDER_INTERNAL;
	} else {
		st = render_child_status(&sr, &reader, job->detail);
	}
	if (st == RENDER_OK) {
		for (size_t i = 0; i < reader.pages.count; i++)
			fax_page_list_push(out, &reader.pages.pages[i]);
		reader.pages.count = 0;
	}
	if (reader.type && type)
		*type = xstrdup(reader.type);
	pagestream_reader_free(&reader);
	render_argv_free(&argv);
	render_argv_free(&env);
	return st;
}

/* Field names are [a-z_]{1,32}: one with a newline or '=' would add fields of its own. */
static bool render_field_key_ok(const char *key)
{
	size_t n = strspn(key, "abcdefghijklmnopqrstuvwxyz_");

	return n >= 1 && n <= 32 && key[n] == '\0';
}

/* Cover fields as key=value lines; newlines and backslashes escaped (see conv_cover.c). */
static void render_fields_text(const struct render_request *req, size_t pages, struct buf *out)
{
	bool have_date = false;

	for (size_t i = 0; i < req->nfields; i++) {
		const struct render_field *f = &req->fields[i];
		if (!render_field_key_ok(f->key)) {
			log_warning("cover field \"%.40s\" left out: names are 1 to 32 of a-z and _", f->key);
			continue;
		}
		if (strcmp(f->key, "pages") == 0)
			continue; /* always computed */
		if (strcmp(f->key, "date") == 0)
			have_date = true;
		buf_printf(out, "%s=", f->key);
		for (const char *p = f->value; *p; p++) {
			if (*p == '\n')
				buf_puts(out, "\\n");
			else if (*p == '\\')
				buf_puts(out, "\\\\");
			else if (*p != '\r')
				buf_putc(out, *p);
		}
		buf_putc(out, '\n');
	}
	if (!have_date) {
		char date[64];
		time_t now = time(NULL);
		struct tm tm;
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M", localtime_r(&now, &tm));
		buf_printf(out, "date=%s\n", date);
	}
	buf_printf(out, "pages=%zu\n", pages);
}

/* The cover template: asked for, configured, installed, or (run from a build tree) the sample. */
static char *render_template(const struct render_request *req)
{
	char *p;

	if (req->cover_template)
		return xstrdup(req->cover_template);
	if (req->conf->render_cover_template && req->conf->render_cover_template[0])
		return xstrdup(req->conf->render_cover_template);
	if (access(FAXGATE_DATADIR "/cover.tmpl", R_OK) == 0)
		return xstrdup(FAXGATE_DATADIR "/cover.tmpl");
	/* Installed under another PREFIX than the one built for: bin/../share/faxgate. */
	if ((p = render_beside_self("/../share/faxgate/cover.tmpl", R_OK)) != NULL)
		return p;
	if ((p = render_beside_self("/../../conf/cover.tmpl", R_OK)) != NULL)
		return p;
	return xstrdup(FAXGATE_DATADIR "/cover.tmpl");
}

/* Input i: copied (or written) into its own folder, then converted; pages are added to res. */
static enum render_status render_input(const struct render_job *job, const char *workdir, size_t i,
                                       size_t max_pages, struct render_result *res)
{
	const struct render_input *in = &job->req->inputs[i];
	char *docdir = xasprintf("%s/doc-%zu", workdir, i);
	char *path = xasprintf("%s/input", docdir);
	size_t before = res->pages.count, max_input = (size_t)job->req->conf->render_max_input;
	enum render_status st;

	if (max_pages <= before)
		st = RENDER_TOO_MANY_PAGES;
	else
		st = render_scratch_input(&job->owner, in, docdir, path, max_input, job->detail);
	if (st == RENDER_OK) {
		char *extra[] = {(char *)"--", path, NULL};
		st = render_one(job, docdir, extra, max_pages - before, &res->pages, &res->docs[i].type);
	}
	if (st == RENDER_TOO_MANY_PAGES)
		res->page_limit = max_pages;
	res->docs[i].pages = (int)(res->pages.count - before);
	free(path);
	free(docdir);
	return st;
}

/* The cover page, from a copy of the template in the cover's own folder; put first in res. */
static enum render_status render_cover(const struct render_job *job, const char *workdir,
                                       struct render_result *res)
{
	struct buf fields = BUF_INIT;
	char *cdir = xasprintf("%s/cover", workdir);
	char *fpath = xasprintf("%s/fields", cdir), *tpath = xasprintf("%s/cover.tmpl", cdir);
	char *tmpl = render_template(job->req);
	struct fax_page_list cover = {0};
	enum render_status st;

	render_fields_text(job->req, res->pages.count + 1 + job->req->other_pages, &fields);
	st = render_scratch_cover(&job->owner, cdir, fpath, &fields, tmpl, tpath, job->detail);
	if (st == RENDER_OK) {
		char *extra[] = {(char *)"--cover", tpath, (char *)"--", fpath, NULL};
		st = render_one(job, cdir, extra, 1, &cover, NULL);
		if (st == RENDER_OK && cover.count != 1) {
			buf_printf(job->detail, "the cover template made %zu pages", cover.count);
			st = RENDER_INTERNAL;
		}
	}
	if (st != RENDER_OK) {
		/* A broken template is the admin's problem, never the sender's. */
		log_error("cover page (template %s): %s (%s)", tmpl, render_status_info(st)->name,
		          buf_cstr(job->detail));
		st = RENDER_INTERNAL;
	} else {
		/* Put the cover first: grow the list by one, shift, place. */
		struct fax_page first = cover.pages[0], hole = {0};
		size_t n = res->pages.count;
		cover.count = 0;
		fax_page_list_push(&res->pages, &hole);
		memmove(&res->pages.pages[1], &res->pages.pages[0], n * sizeof(struct fax_page));
		res->pages.pages[0] = first;
	}
	fax_page_list_free(&cover);
	buf_free(&fields);
	free(tmpl);
	free(tpath);
	free(fpath);
	free(cdir);
	return st;
}

enum render_status render_documents(const struct render_request *req, struct render_result *res)
{
	const struct conf *conf = req->conf;
	size_t max_pages = (size_t)conf->render_max_pages;
	struct render_job job = {.req = req, .geom = &res->geom, .detail = &res->detail};
	char *workdir;
	enum render_status st = RENDER_OK;

	memset(res, 0, sizeof(*res));
	geometry_init(&res->geom, req->res, req->paper);
	res->docs = xcalloc(req->ninputs + 1, sizeof(*res->docs));
	if (render_scratch_owner_init(&job.owner, conf->render_user, &res->detail) < 0)
		return res->status = RENDER_INTERNAL;
	workdir = render_scratch_make(conf->render_tmpdir, &job.owner, &res->detail);
	if (!workdir)
		return res->status = RENDER_INTERNAL;
	if (req->cover)
		max_pages = max_pages > 1 ? max_pages - 1 : 0;
	max_pages = max_pages > req->other_pages ? max_pages - req->other_pages : 0;

	for (size_t i = 0; i < req->ninputs && st == RENDER_OK; i++) {
		const char *name = req->inputs[i].name ? req->inputs[i].name : "(unnamed)";

		res->ndocs = i + 1;
		st = render_input(&job, workdir, i, max_pages, res);
		if (st != RENDER_OK) {
			res->failed_name = xstrdup(name);
			log_info("document \"%s\": %s (%s)", name, render_status_info(st)->name,
			         buf_cstr(&res->detail));
		} else {
			log_info("document \"%s\": %s, %d pages", name,
			         res->docs[i].type ? res->docs[i].type : "?", res->docs[i].pages);
		}
	}
	if (st == RENDER_OK && req->cover)
		st = render_cover(&job, workdir, res);
	if (st == RENDER_OK && res->pages.count == 0)
		st = RENDER_NO_CONTENT;
	if (st != RENDER_OK)
		fax_page_list_free(&res->pages);
	render_scratch_remove(workdir);
	free(workdir);
	return res->status = st;
}

void render_result_free(struct render_result *res)
{
	fax_page_list_free(&res->pages);
	for (size_t i = 0; i < res->ndocs; i++)
		free(res->docs[i].type);
	free(res->docs);
	free(res->failed_name);
	buf_free(&res->detail);
	memset(res, 0, sizeof(*res));
}

void render_result_message(const struct render_result *res, const struct conf *conf, struct buf *out)
{
	const struct render_status_info *info = render_status_info(res->status);

	if (res->status == RENDER_OK) {
		buf_printf(out, "%zu pages", res->pages.count);
		return;
	}
	if (res->failed_name) {
		buf_puts(out, "The attachment \"");
		/* The name is the sender's: keep it to one printable line. */
		for (const unsigned char *p = (const unsigned char *)res->failed_name; *p; p++)
			buf_putc(out, (*p < 0x20 || *p == 0x7f || *p == '"') ? '_' : (char)*p);
		buf_printf(out, "\" %s", info->reason);
	} else {
		buf_printf(out, "The fax %s", info->reason);
	}
	/* The limit the documents met: with a cover page, one less than render_max_pages. */
	if (res->status == RENDER_TOO_MANY_PAGES)
		buf_printf(out, " (at most %zu)",
		           res->page_limit ? res->page_limit : (size_t)conf->render_max_pages);
	if (res->status == RENDER_TOO_BIG_INPUT)
		buf_printf(out, " (at most %ld %s)",
		           conf->render_max_input >= 1024 * 1024 ? conf->render_max_input / (1024 * 1024)
		                                                 : conf->render_max_input / 1024,
		           conf->render_max_input >= 1024 * 1024 ? "MB" : "KB");
	buf_putc(out, '.');
}
