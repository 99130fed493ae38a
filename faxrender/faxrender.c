/*
 * faxrender - turn one document (or the cover page) into fax pages, in a child process.
 *
 * SYNOPSIS
 *	faxrender [-o key=value]... --workdir DIR FILE
 *	faxrender [-o key=value]... --workdir DIR --cover TEMPLATE FIELDSFILE
 *
 * DESCRIPTION
 *	Detects the type of FILE from its content, converts it with the matching converter and
 *	writes the pages to standard output as a page stream (pagestream.h): the detected type first,
 *	then the pages, then "done" or the error with its status. -o sets configuration keys
 *	(conf_keys.c) as the parent's configuration has them; DIR is a private scratch folder.
 *	Logs go to standard error. The exit code is 0 whenever the stream could be written, also
 *	when the document failed: the failure is in the stream.
 *
 * SECURITY
 *	Everything it reads is hostile. It runs with the CPU, memory, file-size and wall-clock limits
 *	and without the network that the parent (render.c, sandbox.c) applies before exec; it only
 *	hands back MMR-encoded pages whose sizes the parent checks. Multi-page documents are drawn
 *	by page workers forked from it (convert_workers.c), which stay under the same limits.
 *	Libraries that print to stdout would corrupt the stream, so fd 1 is moved away and stdout
 *	points at stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glib.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "render/bilevel.h"
#include "render/convert.h"
#include "render/faxtiff.h"
#include "render/geometry.h"
#include "render/pagestream.h"
#include "util/buf.h"
#include "util/log.h"

#if defined(__SANITIZE_ADDRESS__)
/*
 * The test build checks for leaks. The font libraries keep caches for the life of the process;
 * their suppressions are built in because the sandbox hides any suppressions file of the tests.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libfontconfig.so\nleak:libcairo.so\nleak:libpango-1.0.so\nleak:libpangoft2-1.0.so\n"
	       "leak:libpangocairo-1.0.so\nleak:libglib-2.0.so\nleak:libgobject-2.0.so\nleak:libharfbuzz.so\n"
	       "leak:libfreetype.so\n";
}
#endif

static void faxrender_glib_message(const gchar *domain, GLogLevelFlags level, const gchar *message,
                                   gpointer user)
{
	(void)user;
	log_msg(level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL) ? LOG_LVL_WARNING : LOG_LVL_DEBUG,
	        "%s: %s", domain ? domain : "glib", message);
}

static void faxrender_setup_libraries(void)
{
	faxtiff_route_logs();
	g_log_set_default_handler(faxrender_glib_message, NULL);
}

static void faxrender_usage(void)
{
	fprintf(stderr, "usage: faxrender [-o key=value]... --workdir DIR FILE\n"
	                "       faxrender [-o key=value]... --workdir DIR --cover TEMPLATE FIELDSFILE\n");
}

static void faxrender_ctx(struct convert_ctx *c, const struct conf *conf, const char *workdir, int out_fd)
{
	memset(c, 0, sizeof(*c));
	geometry_init(&c->geom, (enum fax_resolution)conf->render_resolution,
	              (enum fax_paper)conf->render_paper);
	bilevel_opts_init(&c->bilevel, &c->geom, (int)conf->render_text_threshold,
	                  (int)conf->render_photo_gamma_pct, conf->render_chop_blank_end,
	                  (int)conf->render_chop_min_mm);
	c->drop_blank = conf->render_drop_blank_pages;
	c->max_pages = (size_t)conf->render_max_pages;
	c->memory_limit = (size_t)conf->render_memory;
	c->office_memory = (size_t)conf->render_office_memory;
	c->max_output = (size_t)conf->render_max_output;
	c->max_image_pixels = conf->render_max_image_pixels;
	c->max_unpacked = (size_t)conf->render_max_unpacked;
	c->text_font = conf->render_text_font;
	c->ghostscript = conf->render_ghostscript;
	c->soffice = conf->render_soffice;
	c->workdir = workdir;
	c->workers = (int)conf->render_workers;
	c->out_fd = out_fd;
	c->status = RENDER_OK;
}

static const char *faxrender_type_name(enum doc_type t)
{
	switch (t) {
	case DOC_EMPTY:
		return "empty";
	case DOC_PDF:
		return "pdf";
	case DOC_POSTSCRIPT:
		return "postscript";
	case DOC_TIFF:
		return "tiff";
	case DOC_IMAGE:
		return "image";
	case DOC_TEXT:
		return "text";
	case DOC_HTML:
		return "html";
	case DOC_OFFICE_ZIP:
	case DOC_OFFICE_OLE:
		return "office";
	case DOC_RTF:
		return "rtf";
	case DOC_UNKNOWN:
		break;
	}
	return "unknown";
}

/* The converter for a detected type; -1 when it failed (status set). */
static int faxrender_dispatch(struct convert_ctx *c, const char *path, const struct doc_info *info)
{
	switch (info->type) {
	case DOC_EMPTY:
		return convert_fail(c, RENDER_EMPTY, "the file is empty");
	case DOC_UNKNOWN:
		break;
	case DOC_PDF:
		return convert_mupdf(c, path, false);
	case DOC_IMAGE:
		return convert_mupdf(c, path, true);
	case DOC_TIFF:
		return convert_tiff(c, path);
	case DOC_POSTSCRIPT:
		return convert_postscript(c, path);
	case DOC_TEXT:
		return convert_text(c, path);
	case DOC_HTML:
	case DOC_RTF:
	case DOC_OFFICE_ZIP:
	case DOC_OFFICE_OLE:
		return convert_office(c, path, info);
	}
	return convert_fail(c, RENDER_UNSUPPORTED, "%s (%s)", info->mime, info->description);
}

/* Detect, announce the type, convert. Returns -1 only when the stream cannot be written. */
static int faxrender_document(struct convert_ctx *c, const char *path, int *converted)
{
	struct doc_info info;
	char type[sizeof(info.mime) + 16];

	*converted = -1;
	if (detect_type(c, path, &info) < 0)
		return pagestream_put_type(c->out_fd, info.mime[0] ? info.mime : "unknown");
	snprintf(type, sizeof(type), "%s (%s)", faxrender_type_name(info.type), info.mime);
	log_info("document: %s, %s", info.mime, info.description);
	if (pagestream_put_type(c->out_fd, type) < 0)
		return -1;
	*converted = faxrender_dispatch(c, path, &info);
	return 0;
}

/* The last record: done, or the failure. Returns -1 when the stream cannot be written. */
static int faxrender_finish(struct convert_ctx *c, int converted)
{
	if (converted < 0 && c->status == RENDER_OK)
		convert_fail(c, RENDER_INTERNAL, "the converter failed without saying why");
	if (c->status == RENDER_OK && c->pages_sent == 0) {
		if (c->pages_blank > 0)
			convert_fail(c, RENDER_NO_CONTENT, "all %zu pages are blank", c->pages_blank);
		else
			convert_fail(c, RENDER_NO_CONTENT, "no pages");
	}
	if (c->status != RENDER_OK) {
		log_info("failed: %s: %s", render_status_info(c->status)->name, c->detail);
		return pagestream_put_error(c->out_fd, c->status, c->detail);
	}
	log_info("%zu pages sent, %zu blank pages left out", c->pages_sent, c->pages_blank);
	return pagestream_put_done(c->out_fd);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"workdir", required_argument, NULL, 'w'},
	    {"cover", required_argument, NULL, 'c'},
	    {NULL, 0, NULL, 0},
	};
	struct conf conf;
	struct convert_ctx c;
	struct buf err = BUF_INIT;
	const char *workdir = NULL, *cover = NULL;
	int opt, out_fd, ret, converted = -1;

	log_open("faxrender", LOG_TO_STDERR, NULL);
	umask(077);
	signal(SIGPIPE, SIG_IGN);
	memset(&conf, 0, sizeof(conf));
	if (cfg_defaults(conf_keys, &conf, &err) < 0)
		log_fatal("configuration defaults: %s", buf_cstr(&err));
	while ((opt = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		char *eq;

		switch (opt) {
		case 'o':
			eq = strchr(optarg, '=');
			if (eq == NULL) {
				faxrender_usage();
				return 2;
			}
			*eq = '\0';
			if (cfg_set(conf_keys, &conf, optarg, eq + 1, &err) < 0) {
				log_error("-o %s: %s", optarg, buf_cstr(&err));
				return 2;
			}
			break;
		case 'w':
			workdir = optarg;
			break;
		case 'c':
			cover = optarg;
			break;
		default:
			faxrender_usage();
			return 2;
		}
	}
	if (workdir == NULL || optind + 1 != argc) {
		faxrender_usage();
		return 2;
	}
	log_set_level((enum log_level)conf.log_level);

	/* The page stream gets its own descriptor; stray prints of any library land on stderr. */
	out_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	if (out_fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
		log_fatal("cannot set up the page stream: %m");
	faxrender_setup_libraries();
	faxrender_ctx(&c, &conf, workdir, out_fd);

	if (cover) {
		ret = pagestream_put_type(out_fd, "cover");
		if (ret == 0)
			converted = convert_cover(&c, cover, argv[optind]);
	} else {
		ret = faxrender_document(&c, argv[optind], &converted);
	}
	if (ret == 0)
		ret = faxrender_finish(&c, converted);
	if (ret < 0)
		log_error("cannot write the page stream: %m");
	cfg_free(conf_keys, &conf);
	buf_free(&err);
	return ret < 0 ? 1 : 0;
}
