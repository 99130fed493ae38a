/*
 * render_scratch.c - the scratch folders the faxrender helper works in (see render_scratch.h).
 *
 * The inputs are the sender's documents and a path the caller gave: they are copied in with a size
 * bound that reading, not stat, enforces, into files made with O_EXCL | O_NOFOLLOW. Started by root,
 * we give the folders to render_user, whose processes may still run while we remove the tree: it is
 * walked by descriptors, never by path, so a folder swapped for a symbolic link cannot lead us out.
 */
#include "render/render_scratch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "render/cover.h"
#include "util/fdio.h"
#include "util/log.h"
#include "util/xalloc.h"

int render_scratch_owner_init(struct render_scratch_owner *o, const char *name, struct buf *detail)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	errno = 0;
	pw = name && name[0] ? getpwnam(name) : NULL;
	if (!pw) {
		log_error("render_user \"%s\": %s", name ? name : "",
		          errno ? strerror(errno) : "no such user");
		buf_printf(detail, "render_user \"%s\" unknown", name ? name : "");
		return -1;
	}
	if (pw->pw_uid == 0) {
		log_error("render_user \"%s\" is root: converters must not run as root", name);
		buf_printf(detail, "render_user \"%s\" is root", name);
		return -1;
	}
	o->set_user = true;
	o->uid = pw->pw_uid;
	o->gid = pw->pw_gid;
	return 0;
}

/* Give what we made for the helper to its user (when it gets one). */
static int render_scratch_give(const struct render_scratch_owner *o, const char *path, struct buf *detail)
{
	if (!o->set_user)
		return 0;
	if (chown(path, o->uid, o->gid) < 0) {
		buf_printf(detail, "cannot give %s to render_user: %m", path);
		return -1;
	}
	return 0;
}

char *render_scratch_make(const char *tmpdir, const struct render_scratch_owner *o, struct buf *detail)
{
	char *dir = xasprintf("%s/faxgate-render-XXXXXX", tmpdir);

	if (!mkdtemp(dir)) {
		buf_printf(detail, "cannot make a scratch folder in %s: %m", tmpdir);
		free(dir);
		return NULL;
	}
	if (render_scratch_give(o, dir, detail) < 0) {
		render_scratch_remove(dir);
		free(dir);
		return NULL;
	}
	return dir;
}

/*
 * Copy src (a path the caller gave, anywhere) to dst in our own folder, at most max bytes: the
 * helper can reach nothing else. Reading, not stat, decides the size, so a pipe or a file that
 * grows meanwhile is bounded too.
 */
static enum render_status render_scratch_copy_in(const char *src, const char *dst, size_t max,
                                                 struct buf *detail)
{
	int in = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY), out = -1;
	enum render_status st = RENDER_OK;
	size_t total = 0;
	char chunk[65536];

	if (in < 0) {
		buf_printf(detail, "%s: %m", src);
		return RENDER_CORRUPT;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		buf_printf(detail, "cannot create %s: %m", dst);
		close(in);
		return RENDER_INTERNAL;
	}
	for (;;) {
		ssize_t n = fdio_read(in, chunk, sizeof(chunk));
		if (n < 0) {
			buf_printf(detail, "%s: %m", src);
			st = RENDER_CORRUPT;
			break;
		}
		if (n == 0)
			break;
		if ((size_t)n > max - total) {
			buf_printf(detail, "more than %zu bytes", max);
			st = RENDER_TOO_BIG_INPUT;
			break;
		}
		total += (size_t)n;
		if (fdio_write_all(out, chunk, (size_t)n) < 0) {
			buf_printf(detail, "cannot write %s: %m", dst);
			st = RENDER_INTERNAL;
			break;
		}
	}
	close(in);
	if (close(out) < 0 && st == RENDER_OK) {
		buf_printf(detail, "cannot write %s: %m", dst);
		st = RENDER_INTERNAL;
	}
	if (st == RENDER_OK && total == 0)
		st = RENDER_EMPTY;
	return st;
}

static int render_scratch_write(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int rc;

	if (fd < 0)
		return -1;
	rc = fdio_write_all(fd, data, len);
	if (close(fd) < 0)
		rc = -1;
	return rc;
}

enum render_status render_scratch_input(const struct render_scratch_owner *o, const struct render_input *in,
                                        const char *docdir, const char *path, size_t max, struct buf *detail)
{
	enum render_status st;

	if (mkdir(docdir, 0700) < 0) {
		buf_printf(detail, "cannot make %s: %m", docdir);
		st = RENDER_INTERNAL;
	} else if (in->path) {
		st = render_scratch_copy_in(in->path, path, max, detail);
	} else if (in->len == 0) {
		st = RENDER_EMPTY;
	} else if (in->len > max) {
		buf_printf(detail, "%zu bytes, limit %zu", in->len, max);
		st = RENDER_TOO_BIG_INPUT;
	} else if (render_scratch_write(path, in->data, in->len) < 0) {
		buf_printf(detail, "cannot write %s: %m", path);
		st = RENDER_INTERNAL;
	} else {
		st = RENDER_OK;
	}
	if (st == RENDER_OK &&
	    (render_scratch_give(o, docdir, detail) < 0 || render_scratch_give(o, path, detail) < 0))
		st = RENDER_INTERNAL;
	return st;
}

enum render_status render_scratch_cover(const struct render_scratch_owner *o, const char *cdir,
                                        const char *fpath, const struct buf *fields, const char *tmpl,
                                        const char *tpath, struct buf *detail)
{
	enum render_status st;

	if (mkdir(cdir, 0700) < 0 || render_scratch_write(fpath, fields->data, fields->len) < 0) {
		buf_printf(detail, "cannot write the cover fields: %m");
		st = RENDER_INTERNAL;
	} else {
		st = render_scratch_copy_in(tmpl, tpath, COVER_MAX_TEMPLATE, detail);
	}
	if (st == RENDER_OK &&
	    (render_scratch_give(o, cdir, detail) < 0 || render_scratch_give(o, fpath, detail) < 0 ||
	     render_scratch_give(o, tpath, detail) < 0))
		st = RENDER_INTERNAL;
	return st;
}

static void render_scratch_remove_at(int dirfd, int depth)
{
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	for (size_t n = 0; n < 100000 && (e = readdir(d)) != NULL; n++) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd, e->d_name, 0) == 0 || errno != EISDIR || depth >= 32)
			continue;
		int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0) {
			render_scratch_remove_at(sub, depth + 1);
			close(sub);
		}
		(void)unlinkat(dirfd, e->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

void render_scratch_remove(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return;
	render_scratch_remove_at(fd, 0);
	close(fd);
	(void)rmdir(dir);
}
