/*
 * render_scratch.h - the scratch folders the faxrender helper works in (internal to render.c).
 *
 * The helper sees no other folder (sandbox.h: isolate_files), so every input is copied in first,
 * bounded in size; started by root, the helper runs as render_user, who is given what it needs.
 */
#ifndef FAXGATE_RENDER_RENDER_SCRATCH_H
#define FAXGATE_RENDER_RENDER_SCRATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "render/render.h"
#include "util/buf.h"

/* Who the helper runs as, and so who owns its folders. */
struct render_scratch_owner {
	bool set_user; /* running as root: the helper runs as uid/gid and owns its folder */
	uid_t uid;
	gid_t gid;
};

/* Running as root: the helper will run as render_user. Returns -1 (said why) when that is unusable. */
int render_scratch_owner_init(struct render_scratch_owner *o, const char *render_user, struct buf *detail);

/* A new private folder in tmpdir, given to the owner; NULL (said why in detail) on failure. */
char *render_scratch_make(const char *tmpdir, const struct render_scratch_owner *o, struct buf *detail);

/* Make docdir and put the input there as path, at most max bytes, both given to the owner. */
enum render_status render_scratch_input(const struct render_scratch_owner *o, const struct render_input *in,
                                        const char *docdir, const char *path, size_t max, struct buf *detail);

/*
 * Make cdir and put the cover fields there as fpath and a copy of the template tmpl as tpath, all
 * given to the owner.
 */
enum render_status render_scratch_cover(const struct render_scratch_owner *o, const char *cdir,
                                        const char *fpath, const struct buf *fields, const char *tmpl,
                                        const char *tpath, struct buf *detail);

/* Remove a scratch folder and everything in it. */
void render_scratch_remove(const char *dir);

#endif
