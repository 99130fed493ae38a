/*
 * runtime.h - what every milter session works with: the configuration and the sender policy.
 *
 * A session takes a reference when the MTA connects and keeps it to the end, so a reload
 * (SIGHUP) changes what new sessions see without disturbing the ones in progress.
 */
#ifndef FAXGATE_MILTER_RUNTIME_H
#define FAXGATE_MILTER_RUNTIME_H

#include "conf/conf.h"
#include "policy/policy.h"

struct runtime {
	struct conf conf;
	struct policy *policy;
	int refs; /* guarded by the runtime lock in runtime.c */
};

/* Load the configuration at path and build a runtime; NULL with the reason in err. */
struct runtime *runtime_load(const char *path, struct buf *err);
/* Make rt the one new sessions get (takes over the caller's reference). */
void runtime_install(struct runtime *rt);
/* The current runtime, with a reference for the caller. */
struct runtime *runtime_get(void);
void runtime_put(struct runtime *rt);

#endif
