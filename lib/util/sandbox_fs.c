/*
 * sandbox_fs.c - hide the host's private places from a converter child (see sandbox_fs.h).
 *
 * A converter tricked by a hostile document into reading local files (an office document's links
 * to pictures by path, PostScript file operators) must find users' files, mail, state and secrets
 * absent. In its own mount namespace the child covers those folders with small private tmpfs
 * mounts and binds back only its work folder (read-write) and the few folders converters are
 * installed in (read-only). It may still be privileged (root, or a user namespace) while doing so.
 *
 * Paths are resolved and strings allocated in the parent: the child side runs between fork and
 * exec and makes only async-signal-safe system calls.
 */
#include "util/sandbox_fs.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"

/* Where a host keeps what a converter has no business reading: users' files, mail, state, secrets. */
static const char *const sandbox_private_dirs[] = {
    "/home",        "/root", "/tmp", "/var/tmp", "/var/lib", "/var/spool", "/var/mail",    "/var/log",
    "/var/backups", "/srv",  "/mnt", "/media",   "/opt",     "/run",       "/etc/faxgate", NULL,
};

/* Whether path is dir or inside it. */
static bool sandbox_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static void sandbox_add_hide(struct sandbox_fs *p, const char *dir)
{
	char real[PATH_MAX];
	struct stat sb;

	if (!realpath(dir, real) || stat(real, &sb) < 0 || !S_ISDIR(sb.st_mode) || strcmp(real, "/") == 0)
		return;
	for (size_t i = 0; i < p->nhide; i++)
		if (sandbox_under(real, p->hide[i]))
			return;
	/* A new folder holding ones already listed replaces them: one mount hides them all. */
	for (size_t i = 0; i < p->nhide;) {
		if (sandbox_under(p->hide[i], real)) {
			free(p->hide[i]);
			p->hide[i] = p->hide[--p->nhide];
		} else {
			i++;
		}
	}
	if (p->nhide < SANDBOX_FS_MAX_HIDE)
		p->hide[p->nhide++] = strdup(real);
	if (p->nhide && !p->hide[p->nhide - 1])
		p->nhide--;
}

static int sandbox_add_bind(struct sandbox_fs *p, const char *path, bool readonly)
{
	struct stat sb;

	if (p->nbind >= SANDBOX_FS_MAX_BIND || stat(path, &sb) < 0 || !S_ISDIR(sb.st_mode))
		return -1;
	p->bind[p->nbind].path = strdup(path);
	if (!p->bind[p->nbind].path)
		return -1;
	p->bind[p->nbind++].readonly = readonly;
	return 0;
}

/* A path that must stay visible: the folder directly inside the hidden one holding it is bound back. */
static void sandbox_add_keep(struct sandbox_fs *p, const char *path)
{
	char real[PATH_MAX];

	if (!realpath(path, real))
		return;
	for (size_t i = 0; i < p->nhide; i++) {
		size_t n = strlen(p->hide[i]);
		if (!sandbox_under(real, p->hide[i]) || real[n] == '\0')
			continue;
		char *end = strchr(real + n + 1, '/');
		if (end)
			*end = '\0';
		for (size_t j = 0; j < p->nbind; j++)
			if (strcmp(p->bind[j].path, real) == 0)
				return;
		(void)sandbox_add_bind(p, real, true);
		return;
	}
}

int sandbox_fs_prepare(struct sandbox_fs *fs, const struct sandbox_limits *lim)
{
	char real[PATH_MAX];

	if (!lim->workdir || !realpath(lim->workdir, real)) {
		log_error("sandbox: no work folder to keep visible (%s)",
		          lim->workdir ? lim->workdir : "none");
		return -1;
	}
	for (size_t i = 0; sandbox_private_dirs[i]; i++)
		sandbox_add_hide(fs, sandbox_private_dirs[i]);
	for (size_t i = 0; lim->hide && lim->hide[i]; i++)
		sandbox_add_hide(fs, lim->hide[i]);
	if (sandbox_add_bind(fs, real, false) < 0) {
		log_error("sandbox: cannot open the work folder %s: %m", real);
		return -1;
	}
	for (size_t i = 0; lim->keep && lim->keep[i]; i++)
		sandbox_add_keep(fs, lim->keep[i]);
	return 0;
}

void sandbox_fs_free(struct sandbox_fs *fs)
{
	for (size_t i = 0; i < fs->nhide; i++)
		free(fs->hide[i]);
	for (size_t i = 0; i < fs->nbind; i++)
		free(fs->bind[i].path);
}

const char *sandbox_fs_path(const struct sandbox_fs *fs, enum sandbox_fs_fail fail, int index)
{
	if (fail == SANDBOX_FS_HIDE && index >= 0 && (size_t)index < fs->nhide)
		return fs->hide[index];
	if (fail == SANDBOX_FS_BIND && index >= 0 && (size_t)index < fs->nbind)
		return fs->bind[index].path;
	return "";
}

/* Make the folders leading to path (inside a hiding tmpfs they are missing); path is restored. */
static void sandbox_child_mkdirs(char *path)
{
	for (char *s = path + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		(void)mkdir(path, 0755);
		*s = '/';
	}
	(void)mkdir(path, 0755);
}

enum sandbox_fs_fail sandbox_fs_child_isolate(struct sandbox_fs *p, int *index)
{
	*index = 0;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return SANDBOX_FS_PROPAGATION;
	/*
	 * The folders are about to be hidden: take detached copies of their mounts first (open_tree;
	 * a descriptor from the parent would not do, the kernel binds only mounts of this namespace)
	 * and attach them where they were afterwards.
	 */
	for (size_t i = 0; i < p->nbind; i++) {
		struct sandbox_fs_bind *b = &p->bind[i];
		b->tree = open_tree(AT_FDCWD, b->path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (b->tree < 0) {
			*index = (int)i;
			return SANDBOX_FS_BIND;
		}
	}
	for (size_t i = 0; i < p->nhide; i++)
		if (mount("tmpfs", p->hide[i], "tmpfs", MS_NOSUID | MS_NODEV,
		          "size=1m,nr_inodes=1024,mode=1777") < 0) {
			*index = (int)i;
			return SANDBOX_FS_HIDE;
		}
	for (size_t i = 0; i < p->nbind; i++) {
		struct sandbox_fs_bind *b = &p->bind[i];
		sandbox_child_mkdirs(b->path);
		if (move_mount(b->tree, "", AT_FDCWD, b->path, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
			*index = (int)i;
			return SANDBOX_FS_BIND;
		}
		/* Best effort: the converter's user cannot write there anyway. */
		if (b->readonly)
			(void)mount(NULL, b->path, NULL,
			            MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL);
	}
	return SANDBOX_FS_OK;
}
