/*
 * cmd_render.c - `faxctl render`: documents to one fax TIFF, through the same engine the milter uses.
 *
 * Exit status tells a script what happened: 0 written, 3 a document was refused (the message says
 * which and why, in the words a sender would get), 4 a temporary problem.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "faxctl.h"
#include "render/faxtiff.h"
#include "render/render.h"
#include "util/log.h"
#include "util/xalloc.h"

static void render_usage(void)
{
	fprintf(stderr,
	        "usage: faxctl render [--resolution standard|fine|superfine] [--paper a4|letter]\n"
	        "                     [--cover KEY=VALUE]... [--cover-template PATH] -o OUT.tif IN...\n");
}

/* --cover KEY=VALUE, or --cover @FILE with one KEY=VALUE a line. */
static int render_add_field(struct render_field **fields, size_t *n, const char *arg)
{
	if (arg[0] == '@') {
		struct buf text = BUF_INIT;
		if (buf_read_file(&text, arg + 1, 1024 * 1024) < 0) {
			fprintf(stderr, "faxctl: %s: %m\n", arg + 1);
			return -1;
		}
		for (char *line = text.data, *nl; line && *line; line = nl ? nl + 1 : NULL) {
			nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			if (*line && render_add_field(fields, n, line) < 0) {
				buf_free(&text);
				return -1;
			}
			if (!nl)
				break;
		}
		buf_free(&text);
		return 0;
	}
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg) {
		fprintf(stderr, "faxctl: --cover wants KEY=VALUE, not '%s'\n", arg);
		return -1;
	}
	*fields = xreallocarray(*fields, *n + 1, sizeof(**fields));
	(*fields)[*n].key = xstrndup(arg, (size_t)(eq - arg));
	(*fields)[*n].value = xstrdup(eq + 1);
	(*n)++;
	return 0;
}

static void render_free_fields(struct render_field *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((char *)fields[i].key);
		free((char *)fields[i].value);
	}
	free(fields);
}

int faxctl_render(struct faxctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"resolution", required_argument, NULL, 'r'}, {"paper", required_argument, NULL, 'p'},
	    {"cover", required_argument, NULL, 'C'},      {"cover-template", required_argument, NULL, 'T'},
	    {"output", required_argument, NULL, 'o'},     {NULL, 0, NULL, 0},
	};
	const char *out = NULL, *res_name = NULL, *paper_name = NULL, *tmpl = NULL;
	struct render_field *fields = NULL;
	size_t nfields = 0;
	bool cover = false;
	int c, rc = FAXCTL_USAGE;

	while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			res_name = optarg;
			break;
		case 'p':
			paper_name = optarg;
			break;
		case 'C':
			cover = true;
			if (render_add_field(&fields, &nfields, optarg) < 0)
				goto out;
			break;
		case 'T':
			cover = true;
			tmpl = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		default:
			render_usage();
			goto out;
		}
	}
	if (!out || optind >= argc) {
		render_usage();
		goto out;
	}
	if (faxctl_load_conf(ctl) < 0) {
		rc = FAXCTL_FAIL;
		goto out;
	}

	struct render_request req = {
	    .conf = &ctl->conf,
	    .res = (enum fax_resolution)ctl->conf.render_resolution,
	    .paper = (enum fax_paper)ctl->conf.render_paper,
	    .cover = cover,
	    .fields = fields,
	    .nfields = nfields,
	    .cover_template = tmpl,
	};
	if (res_name) {
		int r = geometry_resolution_parse(res_name);
		if (r < 0) {
			fprintf(stderr, "faxctl: --resolution: '%s' is not standard, fine or superfine\n",
			        res_name);
			goto out;
		}
		req.res = (enum fax_resolution)r;
	}
	if (paper_name) {
		int p = geometry_paper_parse(paper_name);
		if (p < 0) {
			fprintf(stderr, "faxctl: --paper: '%s' is not a4 or letter\n", paper_name);
			goto out;
		}
		req.paper = (enum fax_paper)p;
	}
	size_t n = (size_t)(argc - optind);
	struct render_input *inputs = xcalloc(n, sizeof(*inputs));
	for (size_t i = 0; i < n; i++) {
		inputs[i].path = argv[optind + (int)i];
		/* A file we cannot open is the caller's mistake, not a damaged document. */
		if (access(inputs[i].path, R_OK) < 0) {
			fprintf(stderr, "faxctl: %s: %m\n", inputs[i].path);
			free(inputs);
			rc = FAXCTL_FAIL;
			goto out;
		}
		const char *slash = strrchr(inputs[i].path, '/');
		inputs[i].name = slash ? slash + 1 : inputs[i].path;
	}
	req.inputs = inputs;
	req.ninputs = n;

	struct render_result res;
	struct buf msg = BUF_INIT;
	enum render_status st = render_documents(&req, &res);
	if (st == RENDER_OK) {
		char err[256] = "";
		if (faxtiff_write(out, &res.pages, &res.geom, "faxgate faxctl", err, sizeof(err)) < 0) {
			fprintf(stderr, "faxctl: %s: %s\n", out, err);
			rc = FAXCTL_FAIL;
		} else {
			printf("%s: %zu pages, %s, %s\n", out, res.pages.count,
			       geometry_resolution_name(res.geom.res), geometry_paper_name(res.geom.paper));
			rc = FAXCTL_OK;
		}
	} else {
		render_result_message(&res, &ctl->conf, &msg);
		fprintf(stderr, "faxctl: %s\n", buf_cstr(&msg));
		if (res.detail.len)
			fprintf(stderr, "faxctl: detail: %s\n", buf_cstr(&res.detail));
		rc = render_status_info(st)->permanent ? FAXCTL_REJECTED : FAXCTL_TEMPFAIL;
	}
	buf_free(&msg);
	render_result_free(&res);
	free(inputs);
out:
	render_free_fields(fields, nfields);
	return rc;
}
