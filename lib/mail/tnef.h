/*
 * tnef.h - Outlook's TNEF (winmail.dat, application/ms-tnef) unpacked from memory with libytnef.
 *
 * Yields the attachments with their long names (embedded Outlook messages are unpacked in turn:
 * their attachments follow, their text becomes a file of its own) and the message body: the
 * compressed RTF when it decompresses, its HTML when there is one, and its plain text.
 */
#ifndef FAXGATE_MAIL_TNEF_H
#define FAXGATE_MAIL_TNEF_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* Outlook messages embedded in a TNEF stream, one in another: how deep they are followed. */
#define TNEF_MAX_DEPTH 3
/* The largest RTF body decompressed (anything beyond is not a mail body). */
#define TNEF_MAX_RTF ((size_t)16 << 20)

struct tnef_file {
	char *name; /* UTF-8, NULL when the stream names none */
	uint8_t *data;
	size_t len;
};

struct tnef_content {
	struct tnef_file *files;
	size_t nfiles;
	struct buf rtf;  /* decompressed RTF body, empty when none */
	struct buf html; /* HTML body as stored (charset in its <meta>, if any) */
	struct buf text; /* plain text body, UTF-8 */
};

/*
 * Unpack len bytes of TNEF. At most max_files attachments (embedded messages' included). -1 with
 * err set (in words for the sender) when the stream is broken or holds too much.
 */
int tnef_unpack(const void *data, size_t len, size_t max_files, struct tnef_content *out, struct buf *err);
void tnef_content_free(struct tnef_content *c);
/* Decompress an RTF body (MS-OXRTFCP: LZFu or stored MELA) of at most TNEF_MAX_RTF; 0 or -1. */
int tnef_rtf_decompress(const uint8_t *in, size_t len, struct buf *out);

#endif
