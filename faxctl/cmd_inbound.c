/*
 * cmd_inbound.c - received faxes: `faxctl inbound [--status S] [--limit N] [--json]` lists them,
 * `faxctl inbound [--json] ID` shows one with its pages, `faxctl inbound ID --export OUT.tif|OUT.pdf`
 * writes its pages, as received, to a fax TIFF or a PDF (chosen by the name's ending), and
 * `faxctl inbound ID --requeue` hands a fax faxmailgate could not route ("unrouted") to it again,
 * once the routes or the catch-all are fixed.
 *
 * What the caller sent (caller id, sub-address, station id) is hostile: shown defused as for jobs.
 * The file is written as run_user (faxctl's queue commands drop root): into a folder that user can
 * write.
 *
 * Exit status: 0 done, 1 failed (no such fax, the database cannot be used, the file cannot be
 * written), 2 bad command line.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faxctl.h"
#include "jobshow.h"
#include "faxdoc/faxpdf.h"
#include "queue/queue.h"
#include "render/faxtiff.h"
#include "render/geometry.h"

/* Listed unless --limit says otherwise, as for jobs. */
#define INBOUND_DEFAULT_LIMIT 1000

#define INBOUND_USAGE                                                                                        \
	"usage: faxctl inbound [--status S] [--limit N] [--json]\n"                                          \
	"       faxctl inbound [--json] ID\n"                                                                \
	"       faxctl inbound ID --export OUT.tif|OUT.pdf\n"                                                \
	"       faxctl inbound ID --requeue\n"

struct inbound_field {
	const char *name;
	enum { IF_INT64, IF_TIME, IF_INT, IF_TEXT, IF_BOOL } type;
	size_t offset;
};

#define IF(t, f)                                                                                             \
	{                                                                                                    \
#f, IF_##t, offsetof(struct inbound, f)                                                      \
	}
static const struct inbound_field inbound_fields[] = {
    IF(INT64, id),       IF(TIME, received), IF(TIME, started),   IF(TEXT, server),
    IF(TEXT, line),      IF(TEXT, caller),   IF(TEXT, called),    IF(TEXT, subaddress),
    IF(TEXT, remote_id), IF(INT, pages),     IF(INT, resolution), IF(INT, t30_code),
    IF(BOOL, partial),   IF(TEXT, status),   IF(TEXT, reason),    {NULL, 0, 0},
};

static void inbound_json(FILE *f, const struct inbound *in, const struct fax_page_list *pages,
                         const int *bad_rows)
{
	fputc('{', f);
	for (const struct inbound_field *fd = inbound_fields; fd->name; fd++) {
		const void *v = (const char *)in + fd->offset;

		fprintf(f, "%s\"%s\": ", fd == inbound_fields ? "" : ", ", fd->name);
		switch (fd->type) {
		case IF_INT64:
		case IF_TIME:
			fprintf(f, "%" PRId64, *(const int64_t *)v);
			break;
		case IF_INT:
			fprintf(f, "%d", *(const int *)v);
			break;
		case IF_TEXT:
			jobshow_json_string(f, *(char *const *)v);
			break;
		case IF_BOOL:
			fputs(*(const bool *)v ? "true" : "false", f);
			break;
		}
	}
	if (pages) {
		fputs(", \"page_list\": [", f);
		for (size_t i = 0; i < pages->count; i++)
			fprintf(f, "%s{\"width\": %d, \"height\": %d, \"bad_rows\": %d, \"bytes\": %zu}",
			        i ? ", " : "", pages->pages[i].width, pages->pages[i].height,
			        bad_rows ? bad_rows[i] : 0, pages->pages[i].len);
		fputc(']', f);
	}
	fputc('}', f);
}

static void inbound_json_one(FILE *f, const void *item)
{
	inbound_json(f, item, NULL, NULL);
}

static void inbound_show(FILE *f, const struct inbound *in, const struct fax_page_list *pages,
                         const int *bad_rows)
{
	for (const struct inbound_field *fd = inbound_fields; fd->name; fd++) {
		const void *v = (const char *)in + fd->offset;

		fprintf(f, "%-11s ", fd->name);
		switch (fd->type) {
		case IF_INT64:
			fprintf(f, "%" PRId64, *(const int64_t *)v);
			break;
		case IF_TIME:
			jobshow_time(f, *(const int64_t *)v);
			break;
		case IF_INT:
			fprintf(f, "%d", *(const int *)v);
			break;
		case IF_TEXT:
			jobshow_text(f, *(char *const *)v, 0);
			break;
		case IF_BOOL:
			fputs(*(const bool *)v ? "yes" : "no", f);
			break;
		}
		fputc('\n', f);
	}
	for (size_t i = 0; i < pages->count; i++)
		fprintf(f, "page %-6zu %dx%d, %d bad rows, %zu bytes\n", i + 1, pages->pages[i].width,
		        pages->pages[i].height, bad_rows ? bad_rows[i] : 0, pages->pages[i].len);
}

static void inbound_table(FILE *f, const struct inbound *in, size_t n)
{
	fprintf(f, "%8s  %-19s  %-10s %5s  %-20s  %-16s  %s\n", "ID", "RECEIVED", "STATUS", "PAGES", "FROM",
	        "TO", "REMOTE");
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%8" PRId64 "  ", in[i].id);
		jobshow_time(f, in[i].received);
		fputs("  ", f);
		jobshow_cell(f, in[i].status, 10);
		fprintf(f, "%4d%s  ", in[i].pages, in[i].partial ? "+" : " ");
		jobshow_cell(f, in[i].caller, 20);
		jobshow_cell(f, in[i].called, 16);
		jobshow_text(f, in[i].remote_id, 20);
		fputc('\n', f);
	}
}

static int inbound_list(struct faxctl *ctl, const char *status, long limit, bool limit_given, bool json)
{
	struct buf err = BUF_INIT;
	struct inbound *in;
	struct queue *q;
	size_t n;

	if (faxctl_queue_open(ctl, &q) < 0)
		return FAXCTL_FAIL;
	enum queue_rc rc = queue_inbound_list(q, status, (size_t)limit, &in, &n, &err);
	queue_close(q);
	if (rc != QUEUE_OK) {
		fprintf(stderr, "faxctl: cannot list received faxes: %s\n", buf_cstr(&err));
		buf_free(&err);
		return FAXCTL_FAIL;
	}
	if (json) {
		jobshow_json_list(stdout, in, n, sizeof(*in), inbound_json_one);
	} else if (n == 0) {
		printf("no received faxes\n");
	} else {
		bool partial = false;
		inbound_table(stdout, in, n);
		for (size_t i = 0; i < n; i++)
			partial |= in[i].partial;
		if (partial)
			printf("(+: the call ended before the fax did; the pages received are kept)\n");
	}
	if (!limit_given && n == (size_t)limit)
		fprintf(stderr, "faxctl: the newest %ld are shown; --limit N shows N, --limit 0 all\n",
		        limit);
	inbound_list_free(in, n);
	buf_free(&err);
	return FAXCTL_OK;
}

/* The pages, untouched, in a PDF; the caller's number and station id name it. */
static int inbound_export_pdf(const struct inbound *in, const struct fax_page_list *pages, const char *out)
{
	struct buf title = BUF_INIT, err = BUF_INIT;
	struct faxpdf_info info = {NULL, in->remote_id, NULL, "faxgate", in->received};
	int rc;

	buf_printf(&title, "Fax %" PRId64 " from %s", in->id,
	           in->caller && *in->caller ? in->caller : "unknown");
	info.title = buf_cstr(&title);
	rc = faxpdf_save(out, pages, in->resolution, &info, &err);
	if (rc < 0)
		fprintf(stderr, "faxctl: cannot export received fax %" PRId64 ": %s\n", in->id,
		        buf_cstr(&err));
	buf_free(&title);
	buf_free(&err);
	return rc;
}

static int inbound_export(const struct inbound *in, const struct fax_page_list *pages, const char *out)
{
	const char *dot = strrchr(out, '.');
	struct fax_geometry g;
	char err[256];

	if (in->resolution < FAX_RES_STANDARD || in->resolution > FAX_RES_SUPERFINE) {
		fprintf(stderr, "faxctl: received fax %" PRId64 " has an unknown resolution %d\n", in->id,
		        in->resolution);
		return FAXCTL_FAIL;
	}
	if (dot && strcasecmp(dot, ".pdf") == 0) {
		if (inbound_export_pdf(in, pages, out) < 0)
			return FAXCTL_FAIL;
	} else {
		geometry_init(&g, (enum fax_resolution)in->resolution, FAX_PAPER_A4);
		if (faxtiff_write(out, pages, &g, "faxgate", err, sizeof(err)) < 0) {
			fprintf(stderr, "faxctl: cannot export received fax %" PRId64 ": %s\n", in->id, err);
			return FAXCTL_FAIL;
		}
	}
	printf("received fax %" PRId64 ": %zu pages written to %s\n", in->id, pages->count, out);
	return FAXCTL_OK;
}

static int inbound_one(struct faxctl *ctl, int64_t id, bool json, const char *export)
{
	struct fax_page_list pages = {0};
	struct buf err = BUF_INIT;
	int *bad_rows = NULL, status = FAXCTL_OK;
	struct inbound in;
	struct queue *q;

	if (faxctl_queue_open(ctl, &q) < 0)
		return FAXCTL_FAIL;
	enum queue_rc rc = queue_inbound_get(q, id, &in, &err);
	if (rc == QUEUE_OK) {
		rc = queue_inbound_pages(q, id, &pages, &bad_rows, &err);
		if (rc != QUEUE_OK)
			inbound_free(&in);
	}
	queue_close(q);
	if (rc != QUEUE_OK) {
		fprintf(stderr, "faxctl: %s\n", buf_cstr(&err));
		buf_free(&err);
		return FAXCTL_FAIL;
	}
	if (export) {
		status = inbound_export(&in, &pages, export);
	} else if (json) {
		inbound_json(stdout, &in, &pages, bad_rows);
		fputc('\n', stdout);
	} else {
		inbound_show(stdout, &in, &pages, bad_rows);
	}
	inbound_free(&in);
	fax_page_list_free(&pages);
	free(bad_rows);
	buf_free(&err);
	return status;
}

/* An unrouted fax back to "new": faxmailgate routes it again at its next round. */
static int inbound_requeue(struct faxctl *ctl, int64_t id)
{
	struct queue *q;
	struct buf err = BUF_INIT;
	enum queue_rc rc;

	if (faxctl_queue_open(ctl, &q) < 0)
		return 1;
	rc = queue_inbound_move(q, id, "unrouted", "new", "handed to faxmailgate again by the administrator",
	                        &err);
	if (rc == QUEUE_OK)
		printf("received fax %" PRId64 ": handed to faxmailgate again\n", id);
	else
		fprintf(stderr, "faxctl: received fax %" PRId64 ": %s\n", id, buf_cstr(&err));
	queue_close(q);
	buf_free(&err);
	return rc == QUEUE_OK ? 0 : 1;
}

int faxctl_inbound(struct faxctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"status", required_argument, NULL, 's'}, {"limit", required_argument, NULL, 'n'},
	    {"json", no_argument, NULL, 'j'},         {"export", required_argument, NULL, 'e'},
	    {"requeue", no_argument, NULL, 'r'},      {NULL, 0, NULL, 0},
	};
	const char *status = NULL, *export = NULL;
	long limit = INBOUND_DEFAULT_LIMIT;
	bool json = false, limit_given = false, requeue = false;
	int64_t id;
	int c;

	while ((c = getopt_long(argc, argv, "s:n:je:r", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			status = optarg;
			break;
		case 'n':
			if (faxctl_parse_limit(optarg, &limit) < 0)
				return FAXCTL_USAGE;
			limit_given = true;
			break;
		case 'j':
			json = true;
			break;
		case 'e':
			export = optarg;
			break;
		case 'r':
			requeue = true;
			break;
		default:
			fputs(INBOUND_USAGE, stderr);
			return FAXCTL_USAGE;
		}
	}
	if (optind == argc) {
		if (export || requeue) {
			fputs(INBOUND_USAGE, stderr);
			return FAXCTL_USAGE;
		}
		return inbound_list(ctl, status, limit, limit_given, json);
	}
	if (optind != argc - 1 || status || limit_given || (export && json) ||
	    (requeue && (export || json))) {
		fputs(INBOUND_USAGE, stderr);
		return FAXCTL_USAGE;
	}
	if (faxctl_parse_id(argv[optind], "a received fax's id", &id) < 0)
		return FAXCTL_USAGE;
	if (export && !*export) {
		fputs(INBOUND_USAGE, stderr);
		return FAXCTL_USAGE;
	}
	if (requeue)
		return inbound_requeue(ctl, id);
	return inbound_one(ctl, id, json, export);
}
