/*
 * route.h - where a received fax goes, in order: the fixed routes of the configuration
 * (inbound_routes, by sub-address or number called), the directory (users whose fax number is the
 * number called, disabled accounts skipped; inbound_ldap), the catch-all mailbox
 * (inbound_catchall, else alert_to). Numbers are compared in E.164 after the dial plan's
 * normalisation, or by their last inbound_match_digits digits. Directory answers are cached for
 * ldap_cache_time.
 */
#ifndef FAXGATE_ROUTE_ROUTE_H
#define FAXGATE_ROUTE_ROUTE_H

#include <stddef.h>

#include "conf/conf.h"
#include "util/buf.h"

enum route_source { ROUTE_TABLE, ROUTE_DIRECTORY, ROUTE_CATCHALL, ROUTE_NONE };

enum route_rc {
	ROUTE_OK = 0, /* out filled (source ROUTE_NONE: nowhere to go, not even a catch-all) */
	ROUTE_TEMP,   /* the directory could not be asked: try again later, never the catch-all */
};

struct route_result {
	char **addrs; /* mail addresses, no duplicates */
	size_t n;
	enum route_source source;
	char *note; /* how they were found, for logs and the mail's X-Faxgate-Route header */
};

struct router;

/* Parse inbound_routes and open the directory (when configured). -1 with err naming the bad entry. */
int route_open(const struct conf *conf, struct router **r, struct buf *err);
void route_close(struct router *r);
/* Where a fax called to `called` (as the line gave it; may be NULL or "") with sub-address goes. */
enum route_rc route_find(struct router *r, const char *called, const char *subaddress, struct route_result *out,
                         struct buf *err);
void route_result_free(struct route_result *res);
const char *route_source_name(enum route_source s);

#endif
