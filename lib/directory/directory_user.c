/*
 * directory_user.c - finding one user: by mail address, proxy address or login through the
 * configured filter, and turning the entry into a struct directory_user (name, mail, disabled).
 *
 * The key comes from mail envelopes and SMTP logins, so it is hostile: it is length-checked and
 * escaped into the filter; an answer with more than one entry is AMBIGUOUS, never the first one.
 */
#include "directory/directory_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/xalloc.h"

/* Longer than any address (RFC 5321: 256) or login: not looked up. */
#define DIRECTORY_MAX_KEY 320

/* AD userAccountControl: ACCOUNTDISABLE. */
#define AD_UAC_DISABLED 0x2
/* AD accountExpires counts 100 ns steps since 1601-01-01; this many seconds lie before 1970. */
#define AD_EPOCH_OFFSET 11644473600LL

static const char *const directory_user_attrs[] = {
    "mail", "displayName", "cn", "userAccountControl", "accountExpires", NULL};

/* accountExpires: 0 and the largest value both mean never. */
static bool directory_ad_expired(const char *v)
{
	char *end;
	long long ticks;

	if (!v)
		return false;
	ticks = strtoll(v, &end, 10);
	if (end == v || *end || ticks <= 0 || ticks == INT64_MAX)
		return false;
	return ticks / 10000000 - AD_EPOCH_OFFSET < (long long)time(NULL);
}

/*
 * userAccountControl is honoured wherever it appears, since generic servers that copy AD data
 * carry it too; account expiry only for AD.
 */
static bool directory_user_disabled(struct directory *d, LDAPMessage *e)
{
	char *uac = directory_first_value(d, e, "userAccountControl");
	bool disabled = false;

	if (uac) {
		char *end;
		long v = strtol(uac, &end, 10);
		/* A value that is no number: better to refuse than to let through. */
		disabled = end == uac || *end || (v & AD_UAC_DISABLED);
		free(uac);
	}
	if (!disabled && d->type == CONF_LDAP_AD) {
		char *exp = directory_first_value(d, e, "accountExpires");
		disabled = directory_ad_expired(exp);
		free(exp);
	}
	return disabled;
}

static bool directory_key_ok(const char *key)
{
	size_t n = strlen(key);

	if (n == 0 || n > DIRECTORY_MAX_KEY)
		return false;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

void directory_user_from_entry(struct directory *d, LDAPMessage *e, const char *dn,
                               struct directory_user *out)
{
	out->dn = xstrdup(dn);
	out->mail = directory_first_value(d, e, "mail");
	out->name = directory_first_value(d, e, "displayName");
	if (!out->name)
		out->name = directory_first_value(d, e, "cn");
	out->disabled = directory_user_disabled(d, e);
}

enum directory_rc directory_find_one(struct directory *d, const char *filter, struct directory_user *out,
                                     struct buf *err)
{
	LDAPMessage *res = NULL, *e;
	enum directory_rc rc;
	bool truncated;
	char *dn;

	memset(out, 0, sizeof(*out));
	rc = directory_search(d, d->base, LDAP_SCOPE_SUBTREE, filter, directory_user_attrs, 2, &res,
	                      &truncated, err);
	if (rc != DIRECTORY_OK)
		return rc;
	if (!res)
		return DIRECTORY_NOT_FOUND;
	if (truncated || ldap_count_entries(d->ld, res) > 1) {
		ldap_msgfree(res);
		return DIRECTORY_AMBIGUOUS;
	}
	e = ldap_first_entry(d->ld, res);
	dn = e ? ldap_get_dn(d->ld, e) : NULL;
	if (!dn) {
		ldap_msgfree(res);
		buf_puts(err, "directory returned an entry without a DN");
		return DIRECTORY_ERR_TEMP;
	}
	directory_user_from_entry(d, e, dn, out);
	ldap_memfree(dn);
	ldap_msgfree(res);
	return DIRECTORY_OK;
}

enum directory_rc directory_find_user(struct directory *d, const char *key, struct directory_user *out,
                                      struct buf *err)
{
	struct buf filter = BUF_INIT;
	enum directory_rc rc;

	memset(out, 0, sizeof(*out));
	if (!directory_key_ok(key))
		return DIRECTORY_NOT_FOUND;
	directory_filter_fill(d->user_filter, key, &filter);
	rc = directory_find_one(d, buf_cstr(&filter), out, err);
	buf_free(&filter);
	return rc;
}

void directory_user_free(struct directory_user *u)
{
	free(u->dn);
	free(u->mail);
	free(u->name);
	memset(u, 0, sizeof(*u));
}
