/*
 * pending.c - TEMPORARY, removed when issue #5's pieces are merged: weak stand-ins for the steps
 * and the routing built in parallel, so faxmailgate links meanwhile. Each says it is missing; the
 * real definitions replace them as they arrive.
 */
#include "mailgate.h"
#include "util/log.h"
#include "util/xalloc.h"

#define PENDING __attribute__((weak))

PENDING int mailgate_inbound(struct mailgate *mg)
{
	(void)mg;
	return 0;
}

PENDING int mailgate_notices(struct mailgate *mg)
{
	(void)mg;
	return 0;
}

PENDING int mailgate_alerts(struct mailgate *mg)
{
	(void)mg;
	return 0;
}

PENDING int mailgate_deliver(struct mailgate *mg)
{
	(void)mg;
	return 0;
}

PENDING struct alerts *alerts_new(void)
{
	return NULL;
}

PENDING void alerts_free(struct alerts *a)
{
	(void)a;
}

PENDING void alerts_db_state(struct mailgate *mg, bool down, const char *why)
{
	(void)mg;
	if (down)
		log_error("the database cannot be used: %s", why);
}

PENDING int route_open(const struct conf *conf, struct router **r, struct buf *err)
{
	(void)conf;
	*r = NULL;
	buf_printf(err, "mailgate/pending.c: routing not merged yet");
	return 0;
}

PENDING void route_close(struct router *r)
{
	(void)r;
}
