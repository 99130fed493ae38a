/*
 * detect.c - what a document is, decided by its content alone.
 *
 * The name and the MIME type the sender gave are not trusted: a file named report.pdf may be an
 * executable, a zip bomb or a PostScript program. libmagic reads the content; the MIME type it
 * names picks the converter, and anything not on the list below is refused as unsupported rather
 * than handed to a converter that might try harder than it should. Office documents that libmagic
 * only calls "zip" are recognised by the entries an OOXML or ODF container must have.
 */
#include "render/convert.h"

#include <errno.h>
#include <fcntl.h>
#include <magic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "util/log.h"

struct detect_rule {
	const char *mime;
	bool prefix; /* mime is a prefix of a family */
	enum doc_type type;
};

/* Office MIME types are resolved to zip or OLE by the file's signature, see detect_office(). */
#define DOC_OFFICE DOC_OFFICE_ZIP

static const struct detect_rule detect_rules[] = {
    {"application/pdf", false, DOC_PDF},
    {"application/postscript", false, DOC_POSTSCRIPT},
    {"image/x-eps", false, DOC_POSTSCRIPT},
    {"image/tiff", false, DOC_TIFF},
    {"image/png", false, DOC_IMAGE},
    {"image/jpeg", false, DOC_IMAGE},
    {"image/gif", false, DOC_IMAGE},
    {"image/bmp", false, DOC_IMAGE},
    {"image/x-ms-bmp", false, DOC_IMAGE},
    {"image/x-portable-", true, DOC_IMAGE},
    {"text/html", false, DOC_HTML},
    {"application/xhtml+xml", false, DOC_HTML},
    {"text/rtf", false, DOC_RTF},
    {"application/rtf", false, DOC_RTF},
    {"text/", true, DOC_TEXT}, /* after html and rtf: the rest of text/ is shown as it is */
    {"application/vnd.openxmlformats-officedocument.", true, DOC_OFFICE},
    {"application/vnd.oasis.opendocument.text", true, DOC_OFFICE},
    {"application/vnd.oasis.opendocument.spreadsheet", true, DOC_OFFICE},
    {"application/vnd.oasis.opendocument.presentation", true, DOC_OFFICE},
    {"application/vnd.oasis.opendocument.graphics", true, DOC_OFFICE},
    {"application/msword", false, DOC_OFFICE},
    {"application/vnd.ms-word", true, DOC_OFFICE},
    {"application/vnd.ms-excel", true, DOC_OFFICE},
    {"application/vnd.ms-powerpoint", true, DOC_OFFICE},
    {"application/vnd.ms-office", false, DOC_OFFICE},
    {"application/x-ole-storage", false, DOC_OFFICE},
    {"application/CDFV2", false, DOC_OFFICE},
};

static bool detect_rule_matches(const struct detect_rule *r, const char *mime)
{
	if (r->prefix)
		return strncasecmp(mime, r->mime, strlen(r->mime)) == 0;
	return strcasecmp(mime, r->mime) == 0;
}

/* Zip (PK\3\4) or OLE compound file; anything else claiming to be office is refused. */
static enum doc_type detect_office(const char *path)
{
	static const unsigned char zip_sig[4] = {'P', 'K', 3, 4};
	static const unsigned char ole_sig[8] = {0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1};
	unsigned char head[8];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return DOC_UNKNOWN;
	n = read(fd, head, sizeof(head));
	close(fd);
	if (n >= 4 && memcmp(head, zip_sig, sizeof(zip_sig)) == 0)
		return DOC_OFFICE_ZIP;
	if (n == (ssize_t)sizeof(head) && memcmp(head, ole_sig, sizeof(ole_sig)) == 0)
		return DOC_OFFICE_OLE;
	return DOC_UNKNOWN;
}

/* libmagic says zip for OOXML files whose first entry is not [Content_Types].xml. */
static bool detect_zip_is_office(const char *path)
{
	int err = 0;
	zip_t *z = zip_open(path, ZIP_RDONLY, &err);
	bool office;

	if (z == NULL) {
		log_debug("detect: not a readable zip (libzip error %d)", err);
		return false;
	}
	office = zip_name_locate(z, "[Content_Types].xml", 0) >= 0 || zip_name_locate(z, "mimetype", 0) >= 0;
	zip_discard(z);
	return office;
}

static enum doc_type detect_map(const char *path, const char *mime)
{
	for (size_t i = 0; i < sizeof(detect_rules) / sizeof(detect_rules[0]); i++) {
		if (!detect_rule_matches(&detect_rules[i], mime))
			continue;
		if (detect_rules[i].type == DOC_OFFICE)
			return detect_office(path);
		return detect_rules[i].type;
	}
	if (strcasecmp(mime, "application/zip") == 0 && detect_zip_is_office(path))
		return DOC_OFFICE_ZIP;
	return DOC_UNKNOWN;
}

static void detect_copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

int detect_type(struct convert_ctx *c, const char *path, struct doc_info *info)
{
	struct stat st;
	magic_t m;
	const char *s;

	memset(info, 0, sizeof(*info));
	info->type = DOC_UNKNOWN;
	if (stat(path, &st) < 0)
		return convert_fail(c, RENDER_INTERNAL, "cannot read the document: %m");
	if (!S_ISREG(st.st_mode))
		return convert_fail(c, RENDER_INTERNAL, "the document is not a regular file");
	if (st.st_size == 0) {
		info->type = DOC_EMPTY;
		detect_copy(info->mime, sizeof(info->mime), "inode/x-empty");
		detect_copy(info->description, sizeof(info->description), "empty");
		return 0;
	}

	m = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_TAR);
	if (m == NULL)
		return convert_fail(c, RENDER_INTERNAL, "libmagic: cannot start: %m");
	if (magic_load(m, NULL) < 0) {
		convert_fail(c, RENDER_INTERNAL, "libmagic: cannot load its database: %s", magic_error(m));
		magic_close(m);
		return -1;
	}
	s = magic_file(m, path);
	if (s == NULL) {
		convert_fail(c, RENDER_INTERNAL, "libmagic: %s", magic_error(m));
		magic_close(m);
		return -1;
	}
	detect_copy(info->mime, sizeof(info->mime), s);
	/* The human description only serves the logs; its failure does not matter. */
	if (magic_setflags(m, MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_TAR) == 0) {
		s = magic_file(m, path);
		detect_copy(info->description, sizeof(info->description), s ? s : "?");
	}
	magic_close(m);

	/* Encrypted OOXML is an OLE file that only holds a cipher text. */
	if (strcasecmp(info->mime, "application/encrypted") == 0)
		return convert_fail(c, RENDER_ENCRYPTED, "%s (%s)", info->mime, info->description);
	info->type = detect_map(path, info->mime);
	log_debug("detected %s (%s): type %d", info->mime, info->description, (int)info->type);
	return 0;
}
