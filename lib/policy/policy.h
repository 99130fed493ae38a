/*
 * policy.h - who may fax. Nobody may until a rule allows it.
 *
 * The sender is first identified, then checked against the rules:
 *   identity: the SMTP AUTH login when the client authenticated; else the envelope sender, but
 *             only when the client is in policy_trusted_networks (an internal mail server whose
 *             senders are believed). Mail from any other client has no identity, so a forged
 *             From or envelope sender from outside can never fax.
 *   rules (any one allows): client in policy_allow_networks (whatever the sender);
 *             policy_allow_authenticated and the client authenticated; the identity in
 *             policy_allow_senders (user@domain, @domain or a login); the identity is a directory
 *             user (enabled) who is a member of policy_ldap_group.
 * Directory answers are cached for ldap_cache_time. A directory that cannot be reached gives
 * POLICY_TEMPFAIL (the MTA retries), never a silent allow or a permanent refusal.
 * One struct policy is shared by all milter threads: every function is thread-safe.
 */
#ifndef FAXGATE_POLICY_POLICY_H
#define FAXGATE_POLICY_POLICY_H

#include "conf/conf.h"
#include "util/buf.h"

enum policy_rc {
	POLICY_ALLOW = 0,
	POLICY_DENY,     /* 550 5.7.1, with the reason */
	POLICY_TEMPFAIL, /* directory unreachable or failing: 451 4.4.3 */
};

struct policy_client {
	const char *addr;      /* client IP address as text, "192.0.2.1" or "2001:db8::1"; NULL if unknown */
	const char *auth_user; /* SMTP AUTH login ({auth_authen}), or NULL */
	const char *sender;    /* envelope sender without angle brackets; "" for the null sender */
};

struct policy;

/* Parses the networks and lists in conf; -1 with the problem in err (bad CIDR, missing password file). */
int policy_open(const struct conf *conf, struct policy **p, struct buf *err);
void policy_close(struct policy *p);
/*
 * May this client fax? On POLICY_ALLOW *identity is set (malloc'd) to whom pages are counted
 * against for the daily quota: the login, the trusted sender, or "client:ADDR" for
 * policy_allow_networks without another identity. On DENY or TEMPFAIL why says why in words a
 * sender understands (no directory details, no passwords).
 */
enum policy_rc policy_check(struct policy *p, const struct policy_client *c, char **identity, struct buf *why);

#endif
