/*
 * privdrop.h - leave root for a service user, for good.
 *
 * Daemons started as root (and faxctl's queue commands, so the database files always belong to the
 * same user) switch to the configured user right after reading their configuration. The switch
 * cannot be undone: real, effective and saved ids all change, and supplementary groups become the
 * user's own. Not root: nothing to do.
 */
#ifndef FAXGATE_UTIL_PRIVDROP_H
#define FAXGATE_UTIL_PRIVDROP_H

#include "util/buf.h"

/* Become user (a name); "" or not root: no change. Returns 0, or -1 with the reason in err. */
int privdrop_switch(const char *user, struct buf *err);

#endif
