/*
 * directory.h - the OpenLDAP client faxgate uses against Active Directory, Domino or any LDAP
 * server: users by mail address or login, group membership, and (for mailgate) users by fax
 * number.
 *
 * Binds as the service account (ldap_bind_dn, password read from ldap_bind_password_file, never
 * logged); ldaps:// or StartTLS as configured; every operation bounded by ldap_timeout. Values
 * placed in filters are escaped (RFC 4515). Disabled accounts (AD userAccountControl bit 2) are
 * reported as such. One connection per struct directory; callers serialise its use.
 */
#ifndef FAXGATE_DIRECTORY_DIRECTORY_H
#define FAXGATE_DIRECTORY_DIRECTORY_H

#include <stdbool.h>

#include "conf/conf.h"
#include "util/buf.h"

enum directory_rc {
	DIRECTORY_OK = 0,
	DIRECTORY_NOT_FOUND,
	DIRECTORY_AMBIGUOUS, /* the key matched several entries: treated as not found by callers */
	DIRECTORY_ERR_TEMP,  /* server down, timeout, bind failed: try again later */
};

struct directory_user {
	char *dn;
	char *mail;
	char *name; /* displayName or cn */
	bool disabled;
};

struct directory;

/* NULL *d and 0 when no directory is configured (ldap_uri empty). -1 with err on bad setup. */
int directory_open(const struct conf *conf, struct directory **d, struct buf *err);
void directory_close(struct directory *d);
/* Find the user whose mail, proxy address or login is key. */
enum directory_rc directory_find_user(struct directory *d, const char *key, struct directory_user *out,
                                      struct buf *err);
/* Is user_dn a member of group_dn (the group's member attribute, nested groups followed)? */
enum directory_rc directory_is_member(struct directory *d, const char *user_dn, const char *group_dn,
                                      bool *member, struct buf *err);
/*
 * Users whose fax number is `number` (E.164, "+49301234100"): Active Directory's
 * facsimileTelephoneNumber, otherFacsimileTelephoneNumber and "FAX:" proxyAddresses, Domino's
 * facsimiletelephonenumber, a generic server's facsimileTelephoneNumber. Directory values are
 * free-form and are normalised with the dial plan before they are compared; with match_digits > 0
 * only the last match_digits digits of both are compared (a routing code). Disabled accounts are
 * included with disabled set (callers skip them). *out is a new array (NULL when none).
 */
enum directory_rc directory_find_fax(struct directory *d, const struct conf *conf, const char *number,
                                     int match_digits, struct directory_user **out, size_t *n,
                                     struct buf *err);
void directory_user_free(struct directory_user *u);
void directory_user_list_free(struct directory_user *u, size_t n);
/* RFC 4515 escaping of a value placed in a filter. */
void directory_escape(const char *value, struct buf *out);

#endif
