/*
 * sandbox_fs.h - the converter child's private view of the file system (internal to sandbox.c).
 *
 * The parent resolves every path and allocates everything (sandbox_fs_prepare); the child, between
 * fork and exec, only makes system calls that are async-signal-safe (sandbox_fs_child_isolate).
 */
#ifndef FAXGATE_UTIL_SANDBOX_FS_H
#define FAXGATE_UTIL_SANDBOX_FS_H

#include <stdbool.h>
#include <stddef.h>

#include "util/sandbox.h"

#define SANDBOX_FS_MAX_HIDE 32
#define SANDBOX_FS_MAX_BIND 16

struct sandbox_fs_bind {
	char *path; /* where, at its real path; the child writes into it to make the components */
	int tree;   /* the child's detached copy of its mount */
	bool readonly;
};

/* Zeroed by the caller before sandbox_fs_prepare. */
struct sandbox_fs {
	char *hide[SANDBOX_FS_MAX_HIDE];
	size_t nhide;
	struct sandbox_fs_bind bind[SANDBOX_FS_MAX_BIND];
	size_t nbind;
};

/* What sandbox_fs_child_isolate could not do. */
enum sandbox_fs_fail {
	SANDBOX_FS_OK,
	SANDBOX_FS_PROPAGATION, /* making the mounts private */
	SANDBOX_FS_HIDE,        /* covering hide[index] */
	SANDBOX_FS_BIND,        /* binding bind[index] back */
};

/* Parent side: list what to hide and what to bind back for lim. Returns -1 (logged) on failure. */
int sandbox_fs_prepare(struct sandbox_fs *fs, const struct sandbox_limits *lim);

void sandbox_fs_free(struct sandbox_fs *fs);

/*
 * Child side, in its new mount namespace, between fork and exec: hide and bind back. Returns
 * SANDBOX_FS_OK, or what failed with errno set and *index the entry it failed on.
 */
enum sandbox_fs_fail sandbox_fs_child_isolate(struct sandbox_fs *fs, int *index);

/* Parent side: the path a failure of the child was about ("" when none). */
const char *sandbox_fs_path(const struct sandbox_fs *fs, enum sandbox_fs_fail fail, int index);

#endif
