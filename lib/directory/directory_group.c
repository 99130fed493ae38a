/*
 * directory_group.c - is a user a member of a group, directly or through nested groups?
 *
 * AD and Domino both list members by DN in the group's member attribute. The group is asked
 * directly (base search on the group, filter member=DN), so a group outside ldap_base works.
 * Nesting is followed upwards: the groups under ldap_base that list the user, then the groups
 * that list those, each level asking the target group again, to a bounded depth and count. This
 * costs a few searches per user whatever the size of the groups, and never reads a member list
 * (AD hands out long ones in ranges).
 */
#include "directory/directory_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

#define GROUP_MAX_DEPTH   8   /* levels of nesting followed */
#define GROUP_MAX_SEEN    256 /* groups visited in all */
#define GROUP_FILTER_DNS  32  /* DNs in one (|(member=..)..) filter */
#define GROUP_MAX_DN_SIZE 2048

struct dnset {
	char **dn;  /* as the server spelled them, for filters */
	char **key; /* normalised, for comparison */
	size_t n;
};

static void dnset_free(struct dnset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->dn[i]);
		free(s->key[i]);
	}
	free(s->dn);
	free(s->key);
	memset(s, 0, sizeof(*s));
}

static bool dnset_has(const struct dnset *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->key[i], key) == 0)
			return true;
	return false;
}

/* Adds dn unless its key is in seen already; the key goes to seen too. */
static void dnset_add_new(struct dnset *s, struct dnset *seen, const char *dn)
{
	char *key = directory_dn_key(dn);

	if (seen->n >= GROUP_MAX_SEEN || dnset_has(seen, key)) {
		free(key);
		return;
	}
	seen->dn = xreallocarray(seen->dn, seen->n + 1, sizeof(char *));
	seen->key = xreallocarray(seen->key, seen->n + 1, sizeof(char *));
	seen->dn[seen->n] = xstrdup(dn);
	seen->key[seen->n++] = xstrdup(key);
	s->dn = xreallocarray(s->dn, s->n + 1, sizeof(char *));
	s->key = xreallocarray(s->key, s->n + 1, sizeof(char *));
	s->dn[s->n] = xstrdup(dn);
	s->key[s->n++] = key;
}

static const char *const group_no_attrs[] = {LDAP_NO_ATTRS, NULL};

/* Entries under base (scope as given) listing one of frontier's DNs [from, from + GROUP_FILTER_DNS). */
static enum directory_rc group_search(struct directory *d, const char *base, int scope,
                                      const struct dnset *frontier, size_t from, int sizelimit,
                                      LDAPMessage **res, struct buf *err)
{
	size_t to = from + GROUP_FILTER_DNS < frontier->n ? from + GROUP_FILTER_DNS : frontier->n;
	struct buf f = BUF_INIT;
	bool truncated;
	enum directory_rc rc;

	buf_puts(&f, "(|");
	for (size_t i = from; i < to; i++)
		directory_filter_fill("(member=%s)", frontier->dn[i], &f);
	buf_putc(&f, ')');
	rc = directory_search(d, base, scope, buf_cstr(&f), group_no_attrs, sizelimit, res, &truncated, err);
	buf_free(&f);
	return rc;
}

/* Does the group itself list any DN of the frontier? */
static enum directory_rc group_lists_any(struct directory *d, const char *group_dn,
                                         const struct dnset *frontier, bool *found, struct buf *err)
{
	for (size_t from = 0; from < frontier->n && !*found; from += GROUP_FILTER_DNS) {
		LDAPMessage *res;
		enum directory_rc rc =
		    group_search(d, group_dn, LDAP_SCOPE_BASE, frontier, from, 1, &res, err);

		if (rc != DIRECTORY_OK)
			return rc;
		*found = res != NULL;
		ldap_msgfree(res);
	}
	return DIRECTORY_OK;
}

/* The groups under ldap_base that list a DN of the frontier and were not seen before. */
static enum directory_rc group_parents(struct directory *d, const struct dnset *frontier, struct dnset *seen,
                                       struct dnset *parents, struct buf *err)
{
	for (size_t from = 0; from < frontier->n; from += GROUP_FILTER_DNS) {
		LDAPMessage *res;
		enum directory_rc rc = group_search(d, d->base, LDAP_SCOPE_SUBTREE, frontier, from,
		                                    DIRECTORY_MAX_ENTRIES, &res, err);

		if (rc != DIRECTORY_OK)
			return rc;
		for (LDAPMessage *e = res ? ldap_first_entry(d->ld, res) : NULL; e;
		     e = ldap_next_entry(d->ld, e)) {
			char *dn = ldap_get_dn(d->ld, e);
			if (dn && strlen(dn) <= GROUP_MAX_DN_SIZE)
				dnset_add_new(parents, seen, dn);
			ldap_memfree(dn);
		}
		ldap_msgfree(res);
	}
	return DIRECTORY_OK;
}

/* Only asked after a "no", so that a mistyped policy_ldap_group shows up in the log. */
static enum directory_rc group_exists(struct directory *d, const char *group_dn, struct buf *err)
{
	LDAPMessage *res;
	bool truncated;
	enum directory_rc rc;

	rc = directory_search(d, group_dn, LDAP_SCOPE_BASE, "(objectClass=*)", group_no_attrs, 1, &res,
	                      &truncated, err);
	if (rc != DIRECTORY_OK)
		return rc;
	if (!res) {
		buf_printf(err, "group %s does not exist in the directory", group_dn);
		return DIRECTORY_NOT_FOUND;
	}
	ldap_msgfree(res);
	return DIRECTORY_OK;
}

enum directory_rc directory_is_member(struct directory *d, const char *user_dn, const char *group_dn,
                                      bool *member, struct buf *err)
{
	struct dnset seen = {0}, frontier = {0};
	enum directory_rc rc = DIRECTORY_OK;

	*member = false;
	if (!*user_dn || !*group_dn || strlen(user_dn) > GROUP_MAX_DN_SIZE ||
	    strlen(group_dn) > GROUP_MAX_DN_SIZE)
		return DIRECTORY_NOT_FOUND;
	dnset_add_new(&frontier, &seen, user_dn);
	for (int depth = 0; depth <= GROUP_MAX_DEPTH && frontier.n > 0; depth++) {
		struct dnset parents = {0};

		rc = group_lists_any(d, group_dn, &frontier, member, err);
		if (rc != DIRECTORY_OK || *member || depth == GROUP_MAX_DEPTH)
			break;
		rc = group_parents(d, &frontier, &seen, &parents, err);
		dnset_free(&frontier);
		frontier = parents;
		if (rc != DIRECTORY_OK)
			break;
	}
	dnset_free(&frontier);
	dnset_free(&seen);
	if (rc == DIRECTORY_OK && !*member)
		rc = group_exists(d, group_dn, err);
	return rc;
}
