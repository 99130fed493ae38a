/*
 * status.c - the one table from rendering outcome to sender's words, SMTP code and retry-or-fail.
 */
#include "render/status.h"

static const struct render_status_info render_statuses[RENDER_STATUS_COUNT] = {
    [RENDER_OK] = {"ok", false, "2.0.0", "was converted"},
    [RENDER_EMPTY] = {"empty", true, "5.6.0", "is empty"},
    [RENDER_UNSUPPORTED] = {"unsupported", true, "5.6.1", "is of a type that cannot be faxed"},
    [RENDER_CORRUPT] = {"corrupt", true, "5.6.5", "is damaged or incomplete and cannot be read"},
    [RENDER_ENCRYPTED] = {"encrypted", true, "5.6.5",
                          "is protected by a password; send it without the password protection"},
    [RENDER_TOO_BIG_IMAGE] = {"image-too-large", true, "5.6.5",
                              "contains an image too large to fax; reduce its size in pixels"},
    [RENDER_TOO_BIG_INPUT] = {"input-too-large", true, "5.3.4", "is larger than a fax may be"},
    [RENDER_ZIP_BOMB] = {"zip-bomb", true, "5.6.5",
                         "unpacks to far more data than a document should (it may be malicious)"},
    [RENDER_TOO_MANY_PAGES] = {"too-many-pages", true, "5.3.4", "has more pages than one fax may have"},
    [RENDER_NO_CONTENT] = {"no-content", true, "5.6.0", "contains only blank pages"},
    [RENDER_TIMEOUT] = {"timeout", true, "5.6.5", "took too long to convert into fax pages"},
    [RENDER_MEMORY] = {"memory", true, "5.6.5", "needs too much memory to convert into fax pages"},
    [RENDER_CONVERT_FAILED] = {"convert-failed", true, "5.6.5", "could not be converted into fax pages"},
    [RENDER_INTERNAL] = {"internal", false, "4.3.0",
                         "could not be converted because of a temporary problem of the fax server"},
};

const struct render_status_info *render_status_info(enum render_status s)
{
	if ((unsigned)s >= RENDER_STATUS_COUNT)
		s = RENDER_INTERNAL;
	return &render_statuses[s];
}
