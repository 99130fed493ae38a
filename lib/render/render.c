/*
 * render.c - the parent side of the rendering engine: one faxrender child per document.
 *
 * This runs inside daemons (the milter) and faxctl. It never parses a document itself: each one is
 * handed to the faxrender helper under sandbox limits, and only the page stream comes back, checked
 * record by record. The pages of all documents (and the cover page, rendered last because it shows
 * the page count, but put first) make one fax.
 */
#include "render/render.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "render/pagestream.h"
#include "util/fdio.h"
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
	/* From a build tree or a relocated install: bin/../libexec/faxrender. */
	if ((p = render_beside_self("/../libexec/faxrender", X_OK)) != NULL)
		return p;
	return xstrdup(FAXGATE_LIBEXECDIR "/faxrender");
}

/* The helper's environment: nothing inherited but sanitizer settings, for the test build. */
static void render_env(struct render_argv *e, const char *workdir)
{
	static const char *const pass[] = {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", NULL};

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

static int render_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

static void render_rmtree(const char *dir)
{
	nftw(dir, render_rm, 16, FTW_DEPTH | FTW_PHYS);
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
		if (r->pages.count > r->max_pages) {
			buf_printf(detail, "more than %zu pages", r->max_pages);
			return RENDER_TOO_MANY_PAGES;
		}
		buf_puts(detail, "the converter's output was malformed");
		return RENDER_CONVERT_FAILED;
	case SANDBOX_SIGNALED:
		buf_printf(detail, "the converter died of signal %d", sr->code);
		return RENDER_CONVERT_FAILED;
	case SANDBOX_EXITED:
		break;
	}
	if (r->status != RENDER_OK) {
		buf_puts(detail, r->error ? r->error : "");
		return r->status;
	}
	if (sr->code != 0 || !r->done) {
		buf_printf(detail, "the converter exited with status %d before finishing", sr->code);
		return sr->code == 127 ? RENDER_INTERNAL : RENDER_CONVERT_FAILED;
	}
	return RENDER_OK;
}

/* Run the helper on one document (or the cover); pages are appended to out. */
static enum render_status render_one(const struct render_request *req, const char *workdir, char **extra,
                                     size_t max_pages, const struct fax_geometry *g,
                                     struct fax_page_list *out, char **type, struct buf *detail)
{
	const struct conf *conf = req->conf;
	struct render_argv argv = {0}, env = {0};
	struct pagestream_reader reader;
	struct sandbox_result sr;
	struct sandbox_limits lim = {
	    .cpu_seconds = (unsigned)conf->render_cpu_seconds,
	    /* LibreOffice needs the larger budget; the helper limits other converters itself. */
	    .memory_bytes = (size_t)conf->render_office_memory + (size_t)conf->render_memory,
	    .file_bytes = (size_t)conf->render_max_output,
	    .wall_seconds = (unsigned)conf->render_timeout,
	    .isolate_network = conf->render_isolate_network,
	};
	enum render_status st;

	render_arg(&argv, render_helper_path(conf));
	render_conf_args(&argv, req, max_pages);
	render_arg(&argv, xstrdup("--workdir"));
	render_arg(&argv, xstrdup(workdir));
	for (size_t i = 0; extra[i]; i++)
		render_arg(&argv, xstrdup(extra[i]));
	render_env(&env, workdir);

	pagestream_reader_init(&reader, g->height, max_pages);
	if (sandbox_run(&lim, argv.v, env.v, -1, render_reader, &reader, &sr) < 0) {
		buf_printf(detail, "cannot start %s: %m", argv.v[0]);
		st = RENDER_INTERNAL;
	} else {
		st = render_child_status(&sr, &reader, detail);
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

static int render_write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int rc;

	if (fd < 0)
		return -1;
	rc = fdio_write_all(fd, data, len);
	if (close(fd) < 0)
		rc = -1;
	return rc;
}

/* Cover fields as key=value lines; newlines and backslashes escaped (see conv_cover.c). */
static void render_fields_text(const struct render_request *req, size_t pages, struct buf *out)
{
	bool have_date = false;

	for (size_t i = 0; i < req->nfields; i++) {
		const struct render_field *f = &req->fields[i];
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
	if ((p = render_beside_self("/../../conf/cover.tmpl", R_OK)) != NULL)
		return p;
	return xstrdup(FAXGATE_DATADIR "/cover.tmpl");
}

enum render_status render_documents(const struct render_request *req, struct render_result *res)
{
	const struct conf *conf = req->conf;
	size_t max_pages = (size_t)conf->render_max_pages;
	char *workdir;
	enum render_status st = RENDER_OK;

	memset(res, 0, sizeof(*res));
	geometry_init(&res->geom, req->res, req->paper);
	res->docs = xcalloc(req->ninputs + 1, sizeof(*res->docs));
	workdir = xasprintf("%s/faxgate-render-XXXXXX", conf->render_tmpdir);
	if (!mkdtemp(workdir)) {
		buf_printf(&res->detail, "cannot make a scratch folder in %s: %m", conf->render_tmpdir);
		free(workdir);
		return res->status = RENDER_INTERNAL;
	}
	if (req->cover)
		max_pages = max_pages > 1 ? max_pages - 1 : 0;

	for (size_t i = 0; i < req->ninputs && st == RENDER_OK; i++) {
		const struct render_input *in = &req->inputs[i];
		char *path = in->path ? xstrdup(in->path) : xasprintf("%s/input-%zu", workdir, i);
		char *docdir = xasprintf("%s/doc-%zu", workdir, i);
		struct stat sb;
		size_t before = res->pages.count;

		res->ndocs = i + 1;
		if (!in->path && render_write_file(path, in->data, in->len) < 0) {
			buf_printf(&res->detail, "cannot write %s: %m", path);
			st = RENDER_INTERNAL;
		} else if (stat(path, &sb) < 0) {
			buf_printf(&res->detail, "%s: %m", path);
			st = in->path ? RENDER_CORRUPT : RENDER_INTERNAL;
		} else if (sb.st_size == 0) {
			st = RENDER_EMPTY;
		} else if ((unsigned long)sb.st_size > (unsigned long)conf->render_max_input) {
			buf_printf(&res->detail, "%lld bytes, limit %ld", (long long)sb.st_size,
			           conf->render_max_input);
			st = RENDER_TOO_BIG_INPUT;
		} else if (max_pages <= before) {
			st = RENDER_TOO_MANY_PAGES;
		} else if (mkdir(docdir, 0700) < 0) {
			buf_printf(&res->detail, "cannot make %s: %m", docdir);
			st = RENDER_INTERNAL;
		} else {
			char *extra[] = {path, NULL};
			st = render_one(req, docdir, extra, max_pages - before, &res->geom, &res->pages,
			                &res->docs[i].type, &res->detail);
		}
		res->docs[i].pages = (int)(res->pages.count - before);
		if (st != RENDER_OK) {
			res->failed_name = xstrdup(in->name ? in->name : "(unnamed)");
			log_info("document \"%s\": %s (%s)", res->failed_name, render_status_info(st)->name,
			         buf_cstr(&res->detail));
		} else {
			log_info("document \"%s\": %s, %d pages", in->name ? in->name : "(unnamed)",
			         res->docs[i].type ? res->docs[i].type : "?", res->docs[i].pages);
		}
		free(path);
		free(docdir);
	}

	if (st == RENDER_OK && req->cover) {
		struct buf fields = BUF_INIT;
		char *fpath = xasprintf("%s/cover-fields", workdir);
		char *cdir = xasprintf("%s/cover", workdir);
		struct fax_page_list cover = {0};

		render_fields_text(req, res->pages.count + 1, &fields);
		if (render_write_file(fpath, fields.data, fields.len) < 0 || mkdir(cdir, 0700) < 0) {
			buf_printf(&res->detail, "cannot write the cover fields: %m");
			st = RENDER_INTERNAL;
		} else {
			char *tmpl = render_template(req);
			char *extra[] = {(char *)"--cover", tmpl, fpath, NULL};
			st = render_one(req, cdir, extra, 1, &res->geom, &cover, NULL, &res->detail);
			if (st == RENDER_OK && cover.count != 1) {
				buf_printf(&res->detail, "the cover template made %zu pages", cover.count);
				st = RENDER_INTERNAL;
			}
			if (st != RENDER_OK) {
				/* A broken template is the admin's problem, never the sender's. */
				log_error("cover page: %s (%s)", render_status_info(st)->name,
				          buf_cstr(&res->detail));
				st = RENDER_INTERNAL;
			}
			free(tmpl);
		}
		if (st == RENDER_OK) {
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
		free(fpath);
		free(cdir);
	}
	if (st == RENDER_OK && res->pages.count == 0)
		st = RENDER_NO_CONTENT;
	if (st != RENDER_OK) {
		fax_page_list_free(&res->pages);
	}
	render_rmtree(workdir);
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
	if (res->status == RENDER_TOO_MANY_PAGES)
		buf_printf(out, " (at most %ld)", conf->render_max_pages);
	if (res->status == RENDER_TOO_BIG_INPUT)
		buf_printf(out, " (at most %ld %s)",
		           conf->render_max_input >= 1024 * 1024 ? conf->render_max_input / (1024 * 1024)
		                                                 : conf->render_max_input / 1024,
		           conf->render_max_input >= 1024 * 1024 ? "MB" : "KB");
	buf_putc(out, '.');
}
