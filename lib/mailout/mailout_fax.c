/*
 * mailout_fax.c - a received fax as a mail to its recipients: the "fax" template's text, the pages
 * as a lossless PDF, optionally the fax TIFF and a preview of the first page.
 *
 * Everything about the call comes from the remote end (caller id, station id) or the network
 * (number called, sub-address) and is treated as hostile: template.c cleans values in texts, and
 * what reaches headers or file names is reduced to safe characters here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "faxdoc/faxpdf.h"
#include "faxdoc/faxpreview.h"
#include "mailout/mailout.h"
#include "mailout/mailout_int.h"
#include "render/faxtiff.h"
#include "render/geometry.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Pages named in the quality line before "..." */
#define MAILOUT_QUALITY_PAGES 20

static const char *mailout_or(const char *s, const char *dflt)
{
	return s && s[0] ? s : dflt;
}

/* "good", or the pages with damaged rows: "damaged rows on pages 2, 5". */
static void mailout_quality(const struct mailout_fax *f, struct buf *out)
{
	size_t n = 0, count = f->pages ? f->pages->count : 0;

	buf_reset(out);
	for (size_t i = 0; f->bad_rows && i < count; i++) {
		if (f->bad_rows[i] <= 0)
			continue;
		if (n == MAILOUT_QUALITY_PAGES) {
			buf_puts(out, ", ...");
			break;
		}
		buf_printf(out, "%s%zu", n ? ", " : "", i + 1);
		n++;
	}
	if (n == 0) {
		buf_puts(out, "good");
		return;
	}
	struct buf list = BUF_INIT;
	buf_append(&list, out->data, out->len);
	buf_reset(out);
	buf_printf(out, "damaged rows on page%s %s", n > 1 ? "s" : "", buf_cstr(&list));
	buf_free(&list);
}

/* The pages as a fax TIFF: written through faxtiff_write into a private folder, read back. */
static int mailout_tiff(const struct conf *conf, const struct fax_page_list *pages, int res, struct buf *out,
                        struct buf *err)
{
	const char *base = conf->render_tmpdir && conf->render_tmpdir[0] ? conf->render_tmpdir : "/tmp";
	char *dir = xasprintf("%s/faxgate-mail.XXXXXX", base), *path = NULL, msg[256];
	struct fax_geometry g;
	int rc = -1;

	if (mkdtemp(dir) == NULL) {
		buf_printf(err, "cannot make a folder in %s: %s", base, strerror(errno));
		free(dir);
		return -1;
	}
	path = xasprintf("%s/fax.tif", dir);
	geometry_init(&g, (enum fax_resolution)res, FAX_PAPER_A4);
	if (faxtiff_write(path, pages, &g, "faxgate", msg, sizeof(msg)) < 0)
		buf_puts(err, msg);
	else if (buf_read_file(out, path, (size_t)-1 / 2) < 0)
		buf_printf(err, "cannot read %s: %s", path, strerror(errno));
	else
		rc = 0;
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
	return rc;
}

int mailout_fax(const struct conf *conf, const struct mailout_fax *f, struct mailout_mail *out,
                struct buf *err)
{
	const struct inbound *in = f->in;
	const struct fax_page_list *pages = f->pages;
	size_t npages = pages ? pages->count : 0;
	struct buf subject = BUF_INIT, body = BUF_INIT, date = BUF_INIT, tod = BUF_INIT, dur = BUF_INIT,
	           quality = BUF_INIT, name = BUF_INIT, doc = BUF_INIT, why = BUF_INIT, stamp = BUF_INIT;
	char id[32], npg[32];
	int64_t when = in->received > 0 ? in->received : (int64_t)time(NULL);
	const char *sender = mailout_or(in->caller, mailout_or(in->remote_id, NULL));
	GMimeMessage *msg = NULL;
	GMimeMultipart *mixed = NULL;
	int rc = -1;

	buf_init(&out->message);
	out->message_id = NULL;
	if (f->nto == 0) {
		buf_puts(err, "a received fax with no recipients");
		return -1;
	}
	snprintf(id, sizeof(id), "%lld", (long long)in->id);
	snprintf(npg, sizeof(npg), "%zu", npages);
	mailout_time(when, "%Y-%m-%d", &date);
	mailout_time(when, "%H:%M", &tod);
	mailout_duration(in->started > 0 && in->received >= in->started ? in->received - in->started : -1,
	                 &dur);
	mailout_quality(f, &quality);
	const struct template_var vars[] = {
	    {"sender", sender ? sender : "unknown"},
	    {"caller", mailout_or(in->caller, "-")},
	    {"station", mailout_or(in->remote_id, "-")},
	    {"called", mailout_or(in->called, "-")},
	    {"subaddress", mailout_or(in->subaddress, "-")},
	    {"pages", npg},
	    {"date", buf_cstr(&date)},
	    {"time", buf_cstr(&tod)},
	    {"duration", buf_cstr(&dur)},
	    {"quality", buf_cstr(&quality)},
	    {"partial", in->partial ? " (incomplete)" : ""},
	    {"complete", in->partial ? "no, the call ended before the whole fax arrived" : "yes"},
	    {"line", mailout_or(in->line, "-")},
	    {"id", id},
	};
	if (mailout_texts(conf, "fax", vars, sizeof(vars) / sizeof(vars[0]), &subject, &body, err) < 0)
		goto out;

	snprintf(id, sizeof(id), "fax-in.%lld", (long long)in->id);
	msg =
	    mailout_message_new(conf, sender ? sender : "Fax", id, buf_cstr(&subject), "auto-generated", out);
	for (size_t i = 0; i < f->nto; i++)
		if (mailout_add_to(msg, f->to[i], err) < 0)
			goto out;
	snprintf(id, sizeof(id), "%lld", (long long)in->id);
	g_mime_object_set_header((GMimeObject *)msg, "X-Faxgate-Fax", id, NULL);
	if (f->route_note && f->route_note[0])
		mailout_set_ascii_header((GMimeObject *)msg, "X-Faxgate-Route", f->route_note, 300);

	if (npages == 0) {
		GMimeObject *text = mailout_text_part(body.data, body.len);
		g_mime_message_set_mime_part(msg, text);
		g_object_unref(text);
		mailout_finish(msg, out);
		msg = NULL;
		rc = 0;
		goto out;
	}

	mixed = g_mime_multipart_new_with_subtype("mixed");
	GMimeObject *text = mailout_text_part(body.data, body.len);
	g_mime_multipart_add(mixed, text);
	g_object_unref(text);

	/* File names tell faxes apart in a folder: fax-CALLER-YYYYMMDD-HHMMSS. */
	buf_puts(&stamp, "fax-");
	mailout_filename_part(sender ? sender : "unknown", 32, &stamp);
	mailout_time(when, "-%Y%m%d-%H%M%S", &name);
	buf_puts(&stamp, buf_cstr(&name));

	struct buf title = BUF_INIT;
	buf_printf(&title, "Fax from %s", sender ? sender : "unknown");
	struct faxpdf_info info = {buf_cstr(&title), in->remote_id, NULL, "faxgate", when};
	int pdf_rc = faxpdf_write(pages, in->resolution, &info, &doc, &why);
	buf_free(&title);
	if (pdf_rc < 0) {
		buf_printf(err, "cannot make the PDF: %s", buf_cstr(&why));
		goto out;
	}
	buf_reset(&name);
	buf_printf(&name, "%s.pdf", buf_cstr(&stamp));
	GMimeObject *part = mailout_data_part("application", "pdf", buf_cstr(&name), doc.data, doc.len, true);
	g_mime_multipart_add(mixed, part);
	g_object_unref(part);

	if (conf->inbound_attach_tiff) {
		buf_reset(&doc);
		buf_reset(&why);
		if (mailout_tiff(conf, pages, in->resolution, &doc, &why) < 0) {
			log_warning("fax %lld: no TIFF attached: %s", (long long)in->id, buf_cstr(&why));
		} else {
			buf_reset(&name);
			buf_printf(&name, "%s.tif", buf_cstr(&stamp));
			part = mailout_data_part("image", "tiff", buf_cstr(&name), doc.data, doc.len, true);
			g_mime_multipart_add(mixed, part);
			g_object_unref(part);
		}
	}
	if (conf->inbound_preview) {
		buf_reset(&doc);
		buf_reset(&why);
		/* A first page too damaged to draw still leaves the fax worth mailing, without preview. */
		if (faxpreview_png(&pages->pages[0], in->resolution, (int)conf->inbound_preview_width, &doc,
		                   &why) < 0) {
			log_warning("fax %lld: no preview: %s", (long long)in->id, buf_cstr(&why));
		} else {
			buf_reset(&name);
			buf_printf(&name, "%s-page1.png", buf_cstr(&stamp));
			part = mailout_data_part("image", "png", buf_cstr(&name), doc.data, doc.len, false);
			g_mime_multipart_add(mixed, part);
			g_object_unref(part);
		}
	}
	g_mime_message_set_mime_part(msg, (GMimeObject *)mixed);
	mailout_finish(msg, out);
	msg = NULL;
	rc = 0;
out:
	if (mixed)
		g_object_unref(mixed);
	if (msg)
		g_object_unref(msg);
	if (rc < 0)
		mailout_mail_free(out);
	buf_free(&subject);
	buf_free(&body);
	buf_free(&date);
	buf_free(&tod);
	buf_free(&dur);
	buf_free(&quality);
	buf_free(&name);
	buf_free(&doc);
	buf_free(&why);
	buf_free(&stamp);
	return rc;
}
