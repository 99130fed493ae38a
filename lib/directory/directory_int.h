/*
 * directory_int.h - what the directory's files share: the connection object and the one search
 * primitive every lookup goes through (connect, bind, reconnect once, errors mapped to
 * DIRECTORY_ERR_TEMP). New lookups (mailgate's find-by-fax-number) are a filter and an attribute
 * list handed to directory_search.
 */
#ifndef FAXGATE_DIRECTORY_DIRECTORY_INT_H
#define FAXGATE_DIRECTORY_DIRECTORY_INT_H

#include <ldap.h>
#include <stdbool.h>

#include "directory/directory.h"

struct directory {
	LDAP *ld; /* NULL until the first lookup, and again after a connection failed */
	int type; /* enum conf_ldap_type */
	char *uri;
	char *base;
	char *bind_dn;
	char *password; /* NULL for anonymous binds; never logged */
	bool starttls;
	bool tls; /* StartTLS or an ldaps:// server: the TLS options are set */
	char *ca_file;
	char *user_filter; /* with %s where the escaped key goes */
	long timeout;
};

/* Entries a search may return at most; more is an error of the caller's filter, not of the server. */
#define DIRECTORY_MAX_ENTRIES 1000

/*
 * Search under base; *res receives the answer (free with ldap_msgfree) when DIRECTORY_OK.
 * A base that does not exist is an empty answer. More entries than sizelimit set *truncated
 * (the entries received are kept). Failures are logged and returned as DIRECTORY_ERR_TEMP.
 */
enum directory_rc directory_search(struct directory *d, const char *base, int scope, const char *filter,
                                   const char *const *attrs, int sizelimit, LDAPMessage **res,
                                   bool *truncated, struct buf *err);
/*
 * The one user filter (a complete filter, values already escaped) matches under ldap_base:
 * NOT_FOUND for none, AMBIGUOUS for several. Lookups by other keys (fax number) build their
 * filter and come here.
 */
enum directory_rc directory_find_one(struct directory *d, const char *filter, struct directory_user *out,
                                     struct buf *err);
/* Fill *out from a search entry (requested with the user attributes); dn is the entry's DN. */
void directory_user_from_entry(struct directory *d, LDAPMessage *e, const char *dn,
                               struct directory_user *out);
/* The first value of attr in entry as a new string, or NULL. */
char *directory_first_value(struct directory *d, LDAPMessage *entry, const char *attr);
/* Replace each %s of tmpl by value escaped for a filter; "%%" is a '%'. */
void directory_filter_fill(const char *tmpl, const char *value, struct buf *out);
/* A DN in a form two spellings of the same DN share (for comparisons and sets). */
char *directory_dn_key(const char *dn);

#endif
