/*
 * zipcheck.c - refuse zip bombs before LibreOffice unpacks an office document.
 *
 * OOXML and ODF documents are zip files; a few kilobytes can claim gigabytes of content (runs of
 * zeros compress more than 1000:1), or thousands of tiny entries, or entries that overlap. The
 * central directory is read with libzip's consistency checks (local headers must agree with it)
 * and refused when the whole would unpack beyond max_unpacked, when one large entry is
 * compressed suspiciously well, or when there are too many entries. Nothing is decompressed here.
 */
#include "render/convert.h"

#include <inttypes.h>
#include <zip.h>

#include "util/log.h"

#define ZIPCHECK_MAX_ENTRIES    10000
#define ZIPCHECK_MAX_RATIO      200
#define ZIPCHECK_RATIO_MIN_SIZE (10ULL * 1024 * 1024) /* small entries may compress as well as they like */

static int zipcheck_entries(struct convert_ctx *c, zip_t *z)
{
	zip_int64_t n = zip_get_num_entries(z, 0);
	uint64_t total = 0;

	if (n < 0)
		return convert_fail(c, RENDER_CORRUPT, "zip: cannot count the entries");
	if (n > ZIPCHECK_MAX_ENTRIES)
		return convert_fail(c, RENDER_ZIP_BOMB, "zip: %" PRId64 " entries (at most %d allowed)",
		                    (int64_t)n, ZIPCHECK_MAX_ENTRIES);
	for (zip_int64_t i = 0; i < n; i++) {
		zip_stat_t sb;

		zip_stat_init(&sb);
		if (zip_stat_index(z, (zip_uint64_t)i, 0, &sb) < 0)
			return convert_fail(c, RENDER_CORRUPT, "zip: entry %" PRId64 ": %s", (int64_t)i,
			                    zip_strerror(z));
		if (!(sb.valid & ZIP_STAT_SIZE) || !(sb.valid & ZIP_STAT_COMP_SIZE))
			return convert_fail(c, RENDER_CORRUPT, "zip: entry %" PRId64 " has no size",
			                    (int64_t)i);
		/* Sizes are 64-bit in zip64: keep the sum from wrapping around. */
		if (sb.size > UINT64_MAX - total)
			total = UINT64_MAX;
		else
			total += sb.size;
		if (total > c->max_unpacked)
			return convert_fail(c, RENDER_ZIP_BOMB,
			                    "zip: unpacks to more than %zu bytes (entry %" PRId64
			                    " brings it to %" PRIu64 ")",
			                    c->max_unpacked, (int64_t)i, total);
		if (sb.size > ZIPCHECK_RATIO_MIN_SIZE && sb.size / ZIPCHECK_MAX_RATIO > sb.comp_size)
			return convert_fail(c, RENDER_ZIP_BOMB,
			                    "zip: entry %" PRId64 " unpacks %" PRIu64 " bytes from %" PRIu64
			                    " (more than %d:1)",
			                    (int64_t)i, (uint64_t)sb.size, (uint64_t)sb.comp_size,
			                    ZIPCHECK_MAX_RATIO);
	}
	log_debug("zip: %" PRId64 " entries, %" PRIu64 " bytes unpacked", (int64_t)n, total);
	return 0;
}

int zipcheck(struct convert_ctx *c, const char *path)
{
	int err = 0, ret;
	zip_t *z = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &err);

	if (z == NULL) {
		zip_error_t ze;

		zip_error_init_with_code(&ze, err);
		convert_fail(c, err == ZIP_ER_OPEN || err == ZIP_ER_MEMORY ? RENDER_INTERNAL : RENDER_CORRUPT,
		             "zip: %s", zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return -1;
	}
	ret = zipcheck_entries(c, z);
	zip_discard(z);
	return ret;
}
