/*
 * conv_postscript.c - PostScript and EPS documents: Ghostscript makes a PDF, mupdf draws it.
 *
 * Hostile input: PostScript is a programming language. Ghostscript runs it with -dSAFER (no file
 * access beyond its input and output, no pipes, no device changes) in its own process with an
 * address-space and output-size limit; endless loops are ended by the parent's CPU and time limits.
 * Going through PDF keeps one drawing path (mupdf's) for every vector format.
 */
#include "render/convert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/log.h"

/* Ghostscript reads '%' in OutputFile as a page number format: double them. */
static void ps_output_arg(struct buf *b, const char *path)
{
	buf_puts(b, "-sOutputFile=");
	for (const char *p = path; *p; p++) {
		if (*p == '%')
			buf_putc(b, '%');
		buf_putc(b, *p);
	}
}

int convert_postscript(struct convert_ctx *c, const char *path)
{
	struct buf out = BUF_INIT, pdf = BUF_INIT;
	int ret;

	buf_printf(&pdf, "%s/ps.pdf", c->workdir);
	ps_output_arg(&out, buf_cstr(&pdf));
	unlink(buf_cstr(&pdf));
	{
		/*
		 * Documents that set no page size get the fax paper's; an EPS gets a page of its own
		 * size (-dEPSCrop); the fax geometry, not Ghostscript, decides about landscape; -f: the
		 * input is a file even if its name looked like an option.
		 */
		char *argv[] = {(char *)c->ghostscript,
		                "-q",
		                "-dSAFER",
		                "-dBATCH",
		                "-dNOPAUSE",
		                "-dNOINTERPOLATE",
		                c->geom.paper == FAX_PAPER_LETTER ? "-sPAPERSIZE=letter" : "-sPAPERSIZE=a4",
		                "-dEPSCrop",
		                "-dAutoRotatePages=/None",
		                "-sDEVICE=pdfwrite",
		                out.data,
		                "-f",
		                (char *)path,
		                NULL};

		ret = convert_exec(c, "ghostscript", argv, c->memory_limit, RENDER_CORRUPT);
	}
	if (ret == 0 && access(buf_cstr(&pdf), R_OK) < 0)
		ret = convert_fail(c, RENDER_CORRUPT, "ghostscript made no PDF");
	if (ret == 0)
		ret = convert_mupdf(c, buf_cstr(&pdf), false);
	buf_free(&out);
	buf_free(&pdf);
	return ret;
}
