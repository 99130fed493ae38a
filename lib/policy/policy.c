/*
 * policy.c - who may fax: identify the sender, then try the rules; nobody may unless one allows.
 *
 * Hostile input: everything in struct policy_client comes from an SMTP client through the MTA.
 * Only the SMTP AUTH login (checked by the MTA) and the envelope sender of a trusted network's
 * client are believed; anything else is no identity at all. Directory answers are cached per
 * identity; temporary directory failures are never cached and never turned into an answer.
 */
#include "policy/policy.h"

#include <ctype.h>
#include <ldap.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "directory/directory.h"
#include "policy/netlist.h"
#include "policy/policy_cache.h"
#include "policy/senderlist.h"
#include "util/log.h"
#include "util/xalloc.h"

/* No address (RFC 5321: 256 octets in a path) or login is longer. */
#define POLICY_MAX_IDENTITY 320
#define POLICY_CACHE_MAX    10000

/* What the directory said about an identity, as cached. */
enum policy_dir_answer {
	DIR_MEMBER = 1,
	DIR_NOT_MEMBER,
	DIR_NOT_FOUND,
	DIR_AMBIGUOUS,
	DIR_DISABLED,
	DIR_NO_GROUP, /* policy_ldap_group does not exist */
	DIR_TEMPFAIL,
};

struct policy {
	bool allow_authenticated;
	struct netlist trusted, allow;
	struct senderlist senders;
	char *group_dn;
	struct directory *dir;
	pthread_mutex_t dir_lock; /* one connection, one query at a time */
	struct policy_cache *cache;
};

static int policy_group_check(const char *dn, struct buf *err)
{
	LDAPDN parsed = NULL;

	if (ldap_str2dn(dn, &parsed, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS || !parsed) {
		buf_printf(err, "policy_ldap_group: '%s' is not a DN", dn);
		return -1;
	}
	ldap_dnfree(parsed);
	return 0;
}

static int policy_parse_lists(struct policy *p, const struct conf *conf, struct buf *err)
{
	struct buf e = BUF_INIT;
	const char *key = NULL;

	if (netlist_parse(conf->policy_trusted_networks, &p->trusted, &e) < 0)
		key = "policy_trusted_networks";
	else if (netlist_parse(conf->policy_allow_networks, &p->allow, &e) < 0)
		key = "policy_allow_networks";
	else if (senderlist_parse(conf->policy_allow_senders, &p->senders, &e) < 0)
		key = "policy_allow_senders";
	if (key)
		buf_printf(err, "%s: %s", key, buf_cstr(&e));
	buf_free(&e);
	return key ? -1 : 0;
}

int policy_open(const struct conf *conf, struct policy **pp, struct buf *err)
{
	struct policy *p = xcalloc(1, sizeof(*p));

	*pp = NULL;
	pthread_mutex_init(&p->dir_lock, NULL);
	p->allow_authenticated = conf->policy_allow_authenticated;
	if (policy_parse_lists(p, conf, err) < 0)
		goto fail;
	if (conf->policy_ldap_group && *conf->policy_ldap_group) {
		if (!conf->ldap_uri || !*conf->ldap_uri) {
			buf_puts(err, "policy_ldap_group needs ldap_uri");
			goto fail;
		}
		if (policy_group_check(conf->policy_ldap_group, err) < 0 ||
		    directory_open(conf, &p->dir, err) < 0)
			goto fail;
		p->group_dn = xstrdup(conf->policy_ldap_group);
	}
	p->cache = policy_cache_new(conf->ldap_cache_time, POLICY_CACHE_MAX);
	if (!p->allow.n && !p->allow_authenticated && !p->senders.n && !p->dir)
		log_warning("no policy_* rule allows anyone to fax: every message will be refused");
	*pp = p;
	return 0;
fail:
	policy_close(p);
	return -1;
}

void policy_close(struct policy *p)
{
	if (!p)
		return;
	netlist_free(&p->trusted);
	netlist_free(&p->allow);
	senderlist_free(&p->senders);
	directory_close(p->dir);
	policy_cache_free(p->cache);
	pthread_mutex_destroy(&p->dir_lock);
	free(p->group_dn);
	free(p);
}

/*
 * The lower-cased identity, or NULL when there is none: an AUTH login, else the envelope sender
 * of a trusted client. *bad is set when there was one but it cannot be an address or login.
 */
static char *policy_identify(const struct policy *p, const struct policy_client *c, bool *bad)
{
	const char *id = NULL;
	size_t n;

	*bad = false;
	if (c->auth_user && *c->auth_user)
		id = c->auth_user;
	else if (c->sender && *c->sender && netlist_match(&p->trusted, c->addr))
		id = c->sender;
	if (!id)
		return NULL;
	n = strlen(id);
	*bad = n > POLICY_MAX_IDENTITY || id[0] == '@' || id[n - 1] == '@';
	for (const unsigned char *s = (const unsigned char *)id; *s && !*bad; s++)
		*bad = *s <= 0x20 || *s == 0x7f;
	if (*bad)
		return NULL;
	char *low = xstrdup(id);
	for (char *s = low; *s; s++)
		*s = (char)tolower((unsigned char)*s);
	return low;
}

/* One directory round: find the user, then the membership. The connection is not shared. */
static enum policy_dir_answer policy_directory_ask(struct policy *p, const char *identity)
{
	struct directory_user u;
	struct buf err = BUF_INIT;
	enum directory_rc rc;
	enum policy_dir_answer ans;
	bool member = false;

	pthread_mutex_lock(&p->dir_lock);
	rc = directory_find_user(p->dir, identity, &u, &err);
	if (rc == DIRECTORY_OK && !u.disabled)
		rc = directory_is_member(p->dir, u.dn, p->group_dn, &member, &err);
	pthread_mutex_unlock(&p->dir_lock);

	switch (rc) {
	case DIRECTORY_OK:
		ans = u.disabled ? DIR_DISABLED : member ? DIR_MEMBER : DIR_NOT_MEMBER;
		break;
	case DIRECTORY_NOT_FOUND:
		/* After a user was found, NOT_FOUND can only mean the group is missing. */
		ans = u.dn ? DIR_NO_GROUP : DIR_NOT_FOUND;
		if (u.dn)
			log_error("policy_ldap_group: %s", buf_cstr(&err));
		break;
	case DIRECTORY_AMBIGUOUS:
		ans = DIR_AMBIGUOUS;
		break;
	default:
		log_warning("directory lookup of %s failed: %s", identity, buf_cstr(&err));
		ans = DIR_TEMPFAIL;
		break;
	}
	directory_user_free(&u);
	buf_free(&err);
	return ans;
}

static enum policy_dir_answer policy_directory(struct policy *p, const char *identity)
{
	enum policy_dir_answer ans;
	int cached;
	time_t now = time(NULL);

	if (policy_cache_get(p->cache, identity, now, &cached))
		return (enum policy_dir_answer)cached;
	ans = policy_directory_ask(p, identity);
	if (ans != DIR_TEMPFAIL && ans != DIR_NO_GROUP)
		policy_cache_put(p->cache, identity, ans, now);
	return ans;
}

static const char *policy_dir_words(enum policy_dir_answer a)
{
	switch (a) {
	case DIR_NOT_MEMBER:
		return "not in the fax group";
	case DIR_NOT_FOUND:
		return "not in the directory";
	case DIR_AMBIGUOUS:
		return "matches several directory entries";
	case DIR_DISABLED:
		return "account disabled";
	case DIR_NO_GROUP:
		return "the fax group does not exist";
	default:
		return "directory";
	}
}

/* "client:ADDR" with the address in one canonical spelling, so quotas add up. */
static char *policy_client_identity(const char *addr)
{
	struct buf b = BUF_INIT;
	unsigned char a[16];

	buf_puts(&b, "client:");
	if (netlist_addr_parse(addr, strlen(addr), a) == 0)
		netlist_addr_format(a, &b);
	else
		buf_puts(&b, "unknown");
	return buf_steal(&b);
}

enum policy_rc policy_check(struct policy *p, const struct policy_client *c, char **identity, struct buf *why)
{
	bool authenticated = c->auth_user && *c->auth_user, bad;
	char *id = policy_identify(p, c, &bad);
	const char *client = c->addr ? c->addr : "unknown";
	enum policy_dir_answer ans;

	*identity = NULL;
	if (bad) {
		buf_puts(why, "the sender's login or address is not valid for faxing");
		log_info("policy: deny client %.64s: unusable identity", client);
		return POLICY_DENY;
	}
	if (netlist_match(&p->allow, c->addr)) {
		*identity = id ? id : policy_client_identity(client);
		log_debug("policy: allow %s (client network)", *identity);
		return POLICY_ALLOW;
	}
	if (authenticated && p->allow_authenticated) {
		*identity = id;
		log_debug("policy: allow %s (authenticated)", id);
		return POLICY_ALLOW;
	}
	if (!id) {
		buf_puts(why, "faxing needs SMTP authentication: log in to your mail server to send faxes");
		log_info(
		    "policy: deny client %.64s sender <%.320s>: not authenticated, not a trusted network",
		    client, c->sender ? c->sender : "");
		return POLICY_DENY;
	}
	if (senderlist_match(&p->senders, id)) {
		*identity = id;
		log_debug("policy: allow %s (policy_allow_senders)", id);
		return POLICY_ALLOW;
	}
	if (p->dir) {
		ans = policy_directory(p, id);
		if (ans == DIR_MEMBER) {
			*identity = id;
			log_debug("policy: allow %s (directory group)", id);
			return POLICY_ALLOW;
		}
		if (ans == DIR_TEMPFAIL) {
			buf_puts(why, "the permission to fax cannot be checked now; try again later");
			free(id);
			return POLICY_TEMPFAIL;
		}
		log_info("policy: deny %s: %s", id, policy_dir_words(ans));
	} else
		log_info("policy: deny %s: no rule allows it", id);
	buf_printf(why, "%s is not allowed to send faxes", id);
	free(id);
	return POLICY_DENY;
}
