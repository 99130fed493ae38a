/*
 * mailgate.h - what faxmailgate's files share: the program's state and its four steps.
 *
 * The main loop (faxmailgate.c) runs the steps in turn, each doing a bounded amount of work, and
 * sleeps mailgate_poll when none had any. Every mail is made and stored in the outbox in the same
 * transaction that moves its source on (a received fax to "mailed", a job's notice state, an
 * event to handled), then handed to the relay by mailgate_deliver: nothing is made twice, and
 * nothing is lost when the relay, the directory or faxmailgate itself fails.
 */
#ifndef FAXGATE_MAILGATE_MAILGATE_H
#define FAXGATE_MAILGATE_MAILGATE_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/conf.h"
#include "queue/queue.h"
#include "route/route.h"

struct alerts; /* alerts.c's state: rate limit, last checks */

struct mailgate {
	const struct conf *conf;
	struct queue *q;       /* NULL while the database cannot be reached */
	struct router *router; /* routing of received faxes */
	struct alerts *alerts;
	const char *owner; /* lease owner name of this mailgate (queue_server_name plus pid) */
	int64_t now;       /* the loop's clock for this round, unix seconds */
};

/*
 * The steps. Each returns the number of items it handled (0: nothing to do), or -1 when the
 * database failed (the loop then closes the connection, reopens it later and raises the "db"
 * alert).
 */
int mailgate_inbound(struct mailgate *mg); /* received faxes "new" -> routed mail in the outbox */
int mailgate_notices(struct mailgate *mg); /* finished or late jobs -> notices in the outbox */
int mailgate_alerts(struct mailgate *mg);  /* events and checks -> alert mails in the outbox */
int mailgate_deliver(struct mailgate *mg); /* the outbox -> the relay */

/* alerts.c: state for the alert step (NULL on lack of memory is fatal via xalloc). */
struct alerts *alerts_new(void);
void alerts_free(struct alerts *a);
/*
 * The database cannot be reached (or can again): kept in memory, since it cannot be stored;
 * mailed straight to the relay (not through the outbox), once per alert_repeat, with its recovery.
 */
void alerts_db_state(struct mailgate *mg, bool down, const char *why);

#endif
