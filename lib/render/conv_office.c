/*
 * conv_office.c - office documents, HTML and RTF: LibreOffice makes a PDF, mupdf draws it.
 *
 * Hostile input: documents that may carry macros, links to local files or remote servers, and
 * zip bombs. Zip containers are checked before LibreOffice opens them (zipcheck.c). LibreOffice
 * runs headless in its own process with a fresh profile in the private work folder that forbids
 * macros and never updates links, under its own address-space and output-size limits; the network
 * is already cut off by the parent. It only ever sees a copy named after the type detected from
 * the content (it picks its import filter by extension), never the sender's file name.
 */
#include "render/convert.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "util/buf.h"
#include "util/fdio.h"
#include "util/log.h"

/* Macros off whatever the document says; links (to files, to servers) never refreshed. */
static const char office_registry[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<oor:items xmlns:oor=\"http://openoffice.org/2001/registry\" "
    "xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n"
    "<item oor:path=\"/org.openoffice.Office.Common/Security/Scripting\">"
    "<prop oor:name=\"MacroSecurityLevel\" oor:op=\"fuse\"><value>3</value></prop></item>\n"
    "<item oor:path=\"/org.openoffice.Office.Common/Security/Scripting\">"
    "<prop oor:name=\"DisableMacrosExecution\" oor:op=\"fuse\"><value>true</value></prop></item>\n"
    "<item oor:path=\"/org.openoffice.Office.Common/Security/Scripting\">"
    "<prop oor:name=\"BlockUntrustedRefererLinks\" oor:op=\"fuse\"><value>true</value></prop></item>\n"
    /* Writer: 0 = never update links; Calc: 1 = never (the two enums differ). */
    "<item oor:path=\"/org.openoffice.Office.Writer/Content/Update\">"
    "<prop oor:name=\"Link\" oor:op=\"fuse\"><value>0</value></prop></item>\n"
    "<item oor:path=\"/org.openoffice.Office.Calc/Content/Update\">"
    "<prop oor:name=\"Link\" oor:op=\"fuse\"><value>1</value></prop></item>\n"
    "</oor:items>\n";

static const struct {
	const char *mime;
	const char *ext;
} office_exts[] = {
    {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"},
    {"application/vnd.openxmlformats-officedocument.wordprocessingml.template", "dotx"},
    {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"},
    {"application/vnd.openxmlformats-officedocument.spreadsheetml.template", "xltx"},
    {"application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"},
    {"application/vnd.openxmlformats-officedocument.presentationml.slideshow", "ppsx"},
    {"application/vnd.openxmlformats-officedocument.presentationml.template", "potx"},
    {"application/vnd.ms-word.document.macroEnabled.12", "docm"},
    {"application/vnd.ms-excel.sheet.macroEnabled.12", "xlsm"},
    {"application/vnd.ms-powerpoint.presentation.macroEnabled.12", "pptm"},
    {"application/vnd.oasis.opendocument.text", "odt"},
    {"application/vnd.oasis.opendocument.text-template", "ott"},
    {"application/vnd.oasis.opendocument.spreadsheet", "ods"},
    {"application/vnd.oasis.opendocument.spreadsheet-template", "ots"},
    {"application/vnd.oasis.opendocument.presentation", "odp"},
    {"application/vnd.oasis.opendocument.presentation-template", "otp"},
    {"application/vnd.oasis.opendocument.graphics", "odg"},
    {"application/vnd.oasis.opendocument.graphics-template", "otg"},
    {"application/msword", "doc"},
    {"application/vnd.ms-excel", "xls"},
    {"application/vnd.ms-powerpoint", "ppt"},
};

/* A zip libmagic did not name: the parts an OOXML package must have, or ODF's mimetype entry. */
static const char *office_zip_ext(const char *path)
{
	static const struct {
		const char *entry;
		const char *ext;
	} parts[] = {
	    {"word/document.xml", "docx"}, {"xl/workbook.xml", "xlsx"}, {"ppt/presentation.xml", "pptx"}};
	char mimetype[96] = "";
	const char *ext = NULL;
	int err = 0;
	zip_t *z = zip_open(path, ZIP_RDONLY, &err);

	if (z == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]) && ext == NULL; i++)
		if (zip_name_locate(z, parts[i].entry, 0) >= 0)
			ext = parts[i].ext;
	if (ext == NULL) {
		zip_file_t *f = zip_fopen(z, "mimetype", 0);

		if (f) {
			zip_int64_t n = zip_fread(f, mimetype, sizeof(mimetype) - 1);

			mimetype[n > 0 ? n : 0] = '\0';
			zip_fclose(f);
		}
	}
	zip_discard(z);
	for (size_t i = 0; i < sizeof(office_exts) / sizeof(office_exts[0]) && ext == NULL && *mimetype; i++)
		if (strcmp(mimetype, office_exts[i].mime) == 0)
			ext = office_exts[i].ext;
	return ext;
}

/* The extension LibreOffice should see; from the type detected by content, never the name. */
static const char *office_ext(const char *path, const struct doc_info *info)
{
	if (info->type == DOC_HTML)
		return "html";
	if (info->type == DOC_RTF)
		return "rtf";
	for (size_t i = 0; i < sizeof(office_exts) / sizeof(office_exts[0]); i++)
		if (strcasecmp(info->mime, office_exts[i].mime) == 0)
			return office_exts[i].ext;
	if (info->type == DOC_OFFICE_ZIP) {
		const char *ext = office_zip_ext(path);

		return ext ? ext : "docx";
	}
	/* An OLE file libmagic could not name: LibreOffice's own detection looks past the extension. */
	return "doc";
}

static int office_copy(struct convert_ctx *c, const char *from, const char *to)
{
	char data[65536];
	int in, out, ret = 0;
	ssize_t n;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return convert_fail(c, RENDER_INTERNAL, "cannot read %s: %m", from);
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0) {
		close(in);
		return convert_fail(c, RENDER_INTERNAL, "cannot create %s: %m", to);
	}
	while ((n = fdio_read(in, data, sizeof(data))) > 0)
		if (fdio_write_all(out, data, (size_t)n) < 0) {
			ret = convert_fail(c, RENDER_INTERNAL, "cannot write %s: %m", to);
			break;
		}
	if (n < 0)
		ret = convert_fail(c, RENDER_INTERNAL, "cannot read %s: %m", from);
	if (close(out) < 0 && ret == 0)
		ret = convert_fail(c, RENDER_INTERNAL, "cannot write %s: %m", to);
	close(in);
	return ret;
}

static int office_profile(struct convert_ctx *c)
{
	struct buf dir = BUF_INIT, file = BUF_INIT, data = BUF_INIT;
	int ret = 0;

	buf_printf(&dir, "%s/lo-profile", c->workdir);
	buf_printf(&file, "%s/lo-profile/user", c->workdir);
	if (mkdir(buf_cstr(&dir), 0700) < 0 || mkdir(buf_cstr(&file), 0700) < 0) {
		ret = convert_fail(c, RENDER_INTERNAL, "cannot create the LibreOffice profile: %m");
	} else {
		int fd;

		buf_puts(&file, "/registrymodifications.xcu");
		buf_puts(&data, office_registry);
		fd = open(buf_cstr(&file), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 || buf_write_fd(&data, fd) < 0)
			ret = convert_fail(c, RENDER_INTERNAL, "cannot write the LibreOffice profile: %m");
		if (fd >= 0)
			close(fd);
	}
	buf_free(&dir);
	buf_free(&file);
	buf_free(&data);
	return ret;
}

/* file:// URL of a local path, as -env:UserInstallation wants it. */
static void office_file_url(struct buf *b, const char *path)
{
	buf_puts(b, "file://");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("/-._~", *p))
			buf_putc(b, (char)*p);
		else
			buf_printf(b, "%%%02X", *p);
	}
}

int convert_office(struct convert_ctx *c, const char *path, const struct doc_info *info)
{
	struct buf in = BUF_INIT, outdir = BUF_INIT, pdf = BUF_INIT, env = BUF_INIT;
	const char *ext;
	struct stat st;
	int ret = -1;

	if (info->type == DOC_OFFICE_ZIP && zipcheck(c, path) < 0)
		return -1;
	ext = office_ext(path, info);
	buf_printf(&in, "%s/in.%s", c->workdir, ext);
	buf_printf(&outdir, "%s/out", c->workdir);
	buf_printf(&pdf, "%s/out/in.pdf", c->workdir);
	buf_puts(&env, "-env:UserInstallation=");
	office_file_url(&env, c->workdir);
	buf_puts(&env, "/lo-profile");
	log_debug("LibreOffice converts it as .%s", ext);

	if (office_copy(c, path, buf_cstr(&in)) < 0 || office_profile(c) < 0)
		goto out;
	if (mkdir(buf_cstr(&outdir), 0700) < 0) {
		convert_fail(c, RENDER_INTERNAL, "cannot create %s: %m", buf_cstr(&outdir));
		goto out;
	}
	{
		char *argv[16];
		size_t n = 0;

		argv[n++] = (char *)c->soffice;
		argv[n++] = "--headless";
		argv[n++] = "--invisible";
		argv[n++] = "--norestore";
		argv[n++] = "--nolockcheck";
		argv[n++] = "--nologo";
		argv[n++] = "--nodefault";
		argv[n++] = env.data;
		/*
		 * HTML is imported as a Writer document, not Writer/Web: the web import and its PDF
		 * export lose the first heading and start with a blank page (LibreOffice 7.4), while
		 * this keeps headings, lists and table borders as a browser shows them.
		 */
		if (info->type == DOC_HTML)
			argv[n++] = "--infilter=HTML (StarWriter)";
		argv[n++] = "--convert-to";
		argv[n++] = info->type == DOC_HTML ? "pdf:writer_pdf_Export" : "pdf";
		argv[n++] = "--outdir";
		argv[n++] = outdir.data;
		argv[n++] = in.data;
		argv[n] = NULL;
		if (convert_exec(c, "libreoffice", argv, c->office_memory, RENDER_CORRUPT) < 0)
			goto out;
	}
	if (stat(buf_cstr(&pdf), &st) < 0 || st.st_size == 0) {
		convert_fail(c, convert_disk_full(c) ? RENDER_INTERNAL : RENDER_CORRUPT,
		             "LibreOffice could not read it (no PDF made)");
		goto out;
	}
	log_debug("LibreOffice made a PDF of %lld bytes", (long long)st.st_size);
	ret = convert_mupdf(c, buf_cstr(&pdf), false);
out:
	buf_free(&in);
	buf_free(&outdir);
	buf_free(&pdf);
	buf_free(&env);
	return ret;
}
