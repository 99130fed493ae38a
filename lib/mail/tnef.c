/*
 * tnef.c - winmail.dat unpacked with libytnef, behind a guard that makes its input safe.
 *
 * Reads hostile bytes. libytnef 2.0 trusts its input in ways a mail gateway cannot: it appends
 * each attachment by walking the whole list (quadratic in the attachment count), leaks when an
 * attribute repeats, fails the whole stream when an icon, title or down-level body exceeds its
 * small fixed limits, and its RTF decompressor reads past its input and allocates what the
 * header claims. So the stream is first checked here (framing, checksums, attachment count) and
 * copied with only the attributes faxgate uses, each once and within libytnef's limits; the RTF
 * body is decompressed here (MS-OXRTFCP) with every index checked. When libytnef still rejects
 * the message's MAPI properties, it is asked again without them: attachments are worth more than
 * the body's formatting.
 */
#include "mail/tnef.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <ytnef.h>

#include "render/charset.h"
#include "util/log.h"
#include "util/xalloc.h"

#define TNEF_SIGNATURE 0x223E9F78u
/* libytnef's own limits (ytnef.c, PREALLOCCHECK) for attributes it would otherwise refuse. */
#define TNEF_YT_MAX_TITLE            100
#define TNEF_YT_MAX_BODY             100000
#define TNEF_PT_OBJECT               0x000D
#define TNEF_PT_LONG                 0x0003
#define TNEF_ATTACH_OLE_EMBEDDED_MSG 5

static uint32_t tnef_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Which attributes are kept, and which may appear once per attachment or message. */
static bool tnef_wanted(uint32_t id, uint32_t size)
{
	switch (id) {
	case attAttachTitle:
	case attSubject:
		return size <= TNEF_YT_MAX_TITLE;
	case attBody:
		return size <= TNEF_YT_MAX_BODY;
	case attOemCodepage:
	case attMAPIProps:
	case attAttachRenddata:
	case attAttachData:
	case attAttachment:
		return true;
	default:
		return false;
	}
}

/* Bit of each once-only attribute in the "seen" sets below. */
static unsigned tnef_once_bit(uint32_t id)
{
	switch (id) {
	case attAttachTitle:
		return 1;
	case attAttachData:
		return 2;
	case attAttachment:
		return 4;
	case attSubject:
		return 8;
	case attBody:
		return 16;
	case attOemCodepage:
		return 32;
	case attMAPIProps:
		return 64;
	default:
		return 0;
	}
}

static bool tnef_is_attachment_attr(uint32_t id)
{
	return id == attAttachTitle || id == attAttachData || id == attAttachment;
}

/*
 * Check the stream and copy the attributes libytnef is to see into out. drop_mapi: 1 leaves out
 * the message's MAPI properties, 2 the attachments' too. Returns the attachment count or -1.
 */
static long tnef_sanitize(const uint8_t *d, size_t len, size_t max_files, int drop_mapi, struct buf *out,
                          struct buf *err)
{
	size_t pos = 6, nfiles = 0;
	unsigned seen_msg = 0, seen_att = 0;

	if (len < 6 || tnef_le32(d) != TNEF_SIGNATURE) {
		buf_puts(err, "is not an Outlook TNEF attachment");
		return -1;
	}
	buf_append(out, d, 6);
	while (len - pos >= 11) {
		uint32_t id = tnef_le32(d + pos + 1), size = tnef_le32(d + pos + 5);
		unsigned sum = 0, bit = tnef_once_bit(id);
		const uint8_t *data = d + pos + 9;
		bool keep;

		if (size == 0 || size > len - pos - 11) {
			buf_puts(err, "is damaged (an attribute runs past its end)");
			return -1;
		}
		for (uint32_t i = 0; i < size; i++)
			sum += data[i];
		if ((sum & 0xFFFF) != (unsigned)(data[size] | data[size + 1] << 8)) {
			buf_puts(err, "is damaged (checksum mismatch)");
			return -1;
		}
		keep = tnef_wanted(id, size);
		if (id == attAttachRenddata) {
			if (++nfiles > max_files) {
				buf_printf(err, "holds more than %zu attachments", max_files);
				return -1;
			}
			seen_att = 0;
		} else if (tnef_is_attachment_attr(id)) {
			keep = keep && nfiles > 0 && (seen_att & bit) == 0 &&
			       !(id == attAttachment && drop_mapi >= 2);
			if (keep)
				seen_att |= bit;
		} else if (bit != 0) {
			keep = keep && (seen_msg & bit) == 0 && !(id == attMAPIProps && drop_mapi >= 1);
			if (keep)
				seen_msg |= bit;
		}
		if (keep)
			buf_append(out, d + pos, 11 + (size_t)size);
		pos += 11 + (size_t)size;
	}
	if (len - pos >= 9) {
		buf_puts(err, "is damaged (its last attribute is cut off)");
		return -1;
	}
	return (long)nfiles;
}

/* A property of p by id (any type, not a named one); its type in *type. */
static variableLength *tnef_prop(MAPIProps *p, unsigned id, unsigned *type)
{
	for (DWORD i = 0; i < p->count; i++) {
		MAPIProperty *mp = &p->properties[i];

		if (mp->custom == 0 && PROP_ID(mp->id) == id && mp->count > 0 && mp->data != NULL) {
			*type = PROP_TYPE(mp->id);
			return &mp->data[0];
		}
	}
	return NULL;
}

static const char *tnef_codepage(TNEFStruct *t, char *name, size_t cap)
{
	uint32_t cp = t->CodePage.size >= 4 ? tnef_le32(t->CodePage.data) : 1252;

	if (cp == 65001)
		return "UTF-8";
	if (cp == 0 || cp == 20127)
		cp = 1252;
	snprintf(name, cap, "CP%u", cp);
	return name;
}

/* A string property (8-bit in the code page, or already UTF-8 from libytnef's UTF-16 reader). */
static bool tnef_string(variableLength *v, unsigned type, const char *cp, struct buf *out)
{
	size_t n;

	if (v == NULL || v->data == NULL || v->size <= 0)
		return false;
	if (type == PT_UNICODE) {
		n = strnlen((const char *)v->data, (size_t)v->size * 3 / 2 + 1);
		charset_decode(v->data, n, "UTF-8", out);
	} else {
		n = strnlen((const char *)v->data, (size_t)v->size);
		charset_decode(v->data, n, cp, out);
	}
	return out->len > 0;
}

static void tnef_add_file(struct tnef_content *out, const char *name, const void *data, size_t len)
{
	struct tnef_file *f;

	out->files = xreallocarray(out->files, out->nfiles + 1, sizeof(*out->files));
	f = &out->files[out->nfiles++];
	f->name = name != NULL ? xstrdup(name) : NULL;
	f->data = xmalloc(len + 1);
	if (len > 0)
		memcpy(f->data, data, len);
	f->len = len;
}

static int tnef_unpack_depth(const void *data, size_t len, size_t max_files, int depth,
                             struct tnef_content *out, struct buf *err);

/* An embedded Outlook message: its text as a file of its own, then its attachments. */
static int tnef_embedded(const uint8_t *d, size_t len, size_t max_files, int depth, struct tnef_content *out,
                         struct buf *err)
{
	struct tnef_content sub = {0};
	int rc;

	if (depth >= TNEF_MAX_DEPTH) {
		buf_printf(err, "nests Outlook messages more than %d deep", TNEF_MAX_DEPTH);
		return -1;
	}
	rc = tnef_unpack_depth(d, len, max_files, depth + 1, &sub, err);
	if (rc == 0) {
		if (sub.rtf.len > 0)
			tnef_add_file(out, "embedded message.rtf", sub.rtf.data, sub.rtf.len);
		else if (sub.html.len > 0)
			tnef_add_file(out, "embedded message.html", sub.html.data, sub.html.len);
		else if (sub.text.len > 0)
			tnef_add_file(out, "embedded message.txt", sub.text.data, sub.text.len);
		for (size_t i = 0; i < sub.nfiles; i++) {
			if (out->nfiles >= max_files) {
				buf_printf(err, "holds more than %zu attachments", max_files);
				rc = -1;
				break;
			}
			tnef_add_file(out, sub.files[i].name, sub.files[i].data, sub.files[i].len);
		}
	}
	tnef_content_free(&sub);
	return rc;
}

static int tnef_attachments(TNEFStruct *t, const char *cp, size_t max_files, int depth,
                            struct tnef_content *out, struct buf *err)
{
	for (Attachment *a = t->starting_attach.next; a != NULL; a = a->next) {
		struct buf name = BUF_INIT;
		variableLength *v, *obj;
		unsigned type = 0, otype = 0;
		const uint8_t *data = a->FileData.data;
		size_t len = a->FileData.size > 0 ? (size_t)a->FileData.size : 0;
		bool embedded = false;

		if (out->nfiles >= max_files) {
			buf_printf(err, "holds more than %zu attachments", max_files);
			return -1;
		}
		v = tnef_prop(&a->MAPI, PR_ATTACH_LONG_FILENAME, &type);
		if (!tnef_string(v, type, cp, &name)) {
			v = tnef_prop(&a->MAPI, PR_DISPLAY_NAME, &type);
			if (!tnef_string(v, type, cp, &name) && a->Title.size > 0)
				charset_decode(a->Title.data,
				               strnlen((char *)a->Title.data, (size_t)a->Title.size), cp,
				               &name);
		}
		v = tnef_prop(&a->MAPI, PR_ATTACH_METHOD, &type);
		if (v != NULL && type == TNEF_PT_LONG && v->size >= 4 &&
		    tnef_le32(v->data) == TNEF_ATTACH_OLE_EMBEDDED_MSG)
			embedded = true;
		obj = tnef_prop(&a->MAPI, PR_ATTACH_DATA_OBJ, &otype);
		if (len == 0 && obj != NULL && obj->data != NULL && obj->size > 0) {
			data = obj->data;
			len = (size_t)obj->size;
		}
		/* an embedded message is an interface id (16 bytes) and a TNEF stream of its own */
		if ((embedded || otype == TNEF_PT_OBJECT) && len >= 22 &&
		    tnef_le32(data + 16) == TNEF_SIGNATURE) {
			int rc = tnef_embedded(data + 16, len - 16, max_files, depth, out, err);

			buf_free(&name);
			if (rc < 0)
				return -1;
			continue;
		}
		tnef_add_file(out, name.len > 0 ? name.data : NULL, data, len);
		buf_free(&name);
	}
	return 0;
}

static void tnef_body(TNEFStruct *t, const char *cp, struct tnef_content *out)
{
	variableLength *v;
	unsigned type = 0;

	v = tnef_prop(&t->MapiProperties, PR_RTF_COMPRESSED, &type);
	if (v != NULL && v->data != NULL && v->size > 0 &&
	    tnef_rtf_decompress(v->data, (size_t)v->size, &out->rtf) < 0) {
		log_info("winmail.dat: the RTF body does not decompress, using its plain text");
		buf_reset(&out->rtf);
	}
	v = tnef_prop(&t->MapiProperties, PR_BODY_HTML, &type);
	if (v != NULL && v->data != NULL && v->size > 0)
		buf_append(&out->html, v->data, strnlen((char *)v->data, (size_t)v->size));
	v = tnef_prop(&t->MapiProperties, PR_BODY, &type);
	if (!tnef_string(v, type, cp, &out->text) && t->body.size > 0)
		charset_decode(t->body.data, strnlen((char *)t->body.data, (size_t)t->body.size), cp,
		               &out->text);
}

static int tnef_unpack_depth(const void *data, size_t len, size_t max_files, int depth,
                             struct tnef_content *out, struct buf *err)
{
	for (int drop = 0; drop <= 2; drop++) {
		struct buf clean = BUF_INIT;
		TNEFStruct t;
		char cpname[16];
		const char *cp;
		int rc;

		if (tnef_sanitize(data, len, max_files, drop, &clean, err) < 0) {
			buf_free(&clean);
			return -1;
		}
		TNEFInitialize(&t);
		t.Debug = 0; /* TNEFInitialize leaves it unset, and libytnef then prints to stdout */
		rc = TNEFParseMemory((BYTE *)clean.data, (long)clean.len, &t);
		if (rc < 0) {
			log_info("winmail.dat: libytnef error %d%s", rc,
			         drop < 2 ? ", trying without MAPI properties" : "");
			TNEFFree(&t);
			buf_free(&clean);
			continue;
		}
		cp = tnef_codepage(&t, cpname, sizeof(cpname));
		tnef_body(&t, cp, out);
		rc = tnef_attachments(&t, cp, max_files, depth, out, err);
		TNEFFree(&t);
		buf_free(&clean);
		return rc;
	}
	buf_puts(err, "could not be unpacked");
	return -1;
}

int tnef_unpack(const void *data, size_t len, size_t max_files, struct tnef_content *out, struct buf *err)
{
	memset(out, 0, sizeof(*out));
	return tnef_unpack_depth(data, len, max_files, 0, out, err);
}

void tnef_content_free(struct tnef_content *c)
{
	for (size_t i = 0; i < c->nfiles; i++) {
		free(c->files[i].name);
		free(c->files[i].data);
	}
	free(c->files);
	buf_free(&c->rtf);
	buf_free(&c->html);
	buf_free(&c->text);
	memset(c, 0, sizeof(*c));
}

/* MS-OXRTFCP 2.1.3.1.1: the dictionary starts with these 207 bytes. */
static const char tnef_rtf_prebuf[] =
    "{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript "
    "\\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par "
    "\\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx";

/* CRC-32 of MS-OXRTFCP 3.1.3.2: the usual polynomial, but no initial or final inversion. */
static uint32_t tnef_rtf_crc(const uint8_t *p, size_t n)
{
	uint32_t crc = 0;

	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
	}
	return crc;
}

int tnef_rtf_decompress(const uint8_t *in, size_t len, struct buf *out)
{
	uint8_t dict[4096];
	uint32_t comp, raw, magic, crc;
	size_t pos = 16, end, wp = sizeof(tnef_rtf_prebuf) - 1, start = out->len;

	if (len < 16)
		return -1;
	comp = tnef_le32(in);
	raw = tnef_le32(in + 4);
	magic = tnef_le32(in + 8);
	crc = tnef_le32(in + 12);
	if (comp < 12 || comp > len - 4 || raw > TNEF_MAX_RTF)
		return -1;
	end = (size_t)comp + 4;
	if (magic == 0x414C454Du) { /* "MELA": stored */
		if (raw > end - 16)
			return -1;
		buf_append(out, in + 16, raw);
		return 0;
	}
	if (magic != 0x75465A4Cu || tnef_rtf_crc(in + 16, end - 16) != crc) /* "LZFu" */
		return -1;
	memcpy(dict, tnef_rtf_prebuf, wp);
	buf_reserve(out, raw);
	while (pos < end) {
		uint8_t control = in[pos++];

		for (int bit = 0; bit < 8 && pos < end; bit++) {
			if ((control & (1u << bit)) == 0) {
				dict[wp] = in[pos];
				buf_putc(out, (char)in[pos++]);
				wp = (wp + 1) & 4095;
			} else {
				size_t ref, rp, n;

				if (end - pos < 2)
					return -1;
				ref = (size_t)in[pos] << 8 | in[pos + 1];
				pos += 2;
				rp = ref >> 4;
				n = (ref & 15) + 2;
				if (rp == wp) /* the end marker */
					goto done;
				for (size_t i = 0; i < n; i++) {
					uint8_t c = dict[(rp + i) & 4095];

					dict[wp] = c;
					buf_putc(out, (char)c);
					wp = (wp + 1) & 4095;
				}
			}
			if (out->len - start > raw)
				return -1;
		}
	}
done:
	return out->len - start == raw ? 0 : -1;
}
