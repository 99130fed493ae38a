/*
 * testdir.h - scratch folders for the unit tests: made fresh under /tmp, removed with their contents.
 */
#ifndef FAXGATE_TESTS_TESTDIR_H
#define FAXGATE_TESTS_TESTDIR_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

/* dir receives "/tmp/NAME.XXXXXX" made unique; 0 or -1. */
static inline int testdir_make(char *dir, size_t len, const char *name)
{
	snprintf(dir, len, "/tmp/%s.XXXXXX", name);
	return mkdtemp(dir) ? 0 : -1;
}

static inline int testdir_remove(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
