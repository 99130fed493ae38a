/*
 * directory.c - the connection to the directory: set-up checks, the service account's password,
 * connecting and binding (TLS as configured, every step bounded by ldap_timeout) and the search
 * primitive that reconnects once when a kept connection turned out dead.
 *
 * Several servers may be named in ldap_uri; libldap tries them in order when it connects, so a
 * reconnect after a failure is also the failover. The password lives only in struct directory and
 * in the bind request; no message carries it.
 */
#include "directory/directory_int.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/log.h"
#include "util/xalloc.h"

/* A password file larger than this is not a password file. */
#define DIRECTORY_MAX_PASSWORD 4096

/* Indexed by enum conf_ldap_type. */
static const char *const directory_default_filters[] = {
    "(&(objectClass=user)(|(mail=%s)(proxyAddresses=smtp:%s)(userPrincipalName=%s)(sAMAccountName=%s)))",
    "(&(objectClass=dominoPerson)(|(mail=%s)(uid=%s)))",
    "(&(objectClass=inetOrgPerson)(|(mail=%s)(uid=%s)))",
};

/* Only %s and %% may appear, at least one %s, and parentheses must balance. */
static int directory_filter_check(const char *f, struct buf *err)
{
	int depth = 0, keys = 0;

	if (f[0] != '(') {
		buf_printf(err, "ldap_user_filter must start with '('");
		return -1;
	}
	for (const char *p = f; *p; p++) {
		if (*p == '%') {
			if (p[1] == 's')
				keys++;
			else if (p[1] != '%') {
				buf_printf(err, "ldap_user_filter: only %%s and %%%% may follow '%%'");
				return -1;
			}
			p++;
		} else if (*p == '(')
			depth++;
		else if (*p == ')' && --depth < 0)
			break;
	}
	if (depth != 0) {
		buf_printf(err, "ldap_user_filter: unbalanced parentheses");
		return -1;
	}
	if (keys == 0) {
		buf_printf(err, "ldap_user_filter has no %%s for the address or login");
		return -1;
	}
	return 0;
}

/*
 * Every URI must parse; StartTLS on an ldaps:// server would be TLS inside TLS. list receives
 * them separated by single blanks, the form ldap_initialize takes.
 */
static int directory_uri_check(const char *uris, bool starttls, struct buf *list, bool *ldaps,
                               struct buf *err)
{
	const char *p = uris;
	int count = 0;

	while (*p) {
		size_t n;
		char *one;
		LDAPURLDesc *lud = NULL;

		p += strspn(p, ", \t");
		n = strcspn(p, ", \t");
		if (n == 0)
			break;
		one = xstrndup(p, n);
		p += n;
		if (ldap_url_parse(one, &lud) != LDAP_URL_SUCCESS) {
			buf_printf(err, "ldap_uri: '%s' is not an LDAP URI", one);
			free(one);
			return -1;
		}
		bool tls = strcasecmp(lud->lud_scheme, "ldaps") == 0;
		*ldaps = *ldaps || tls;
		bool known = tls || strcasecmp(lud->lud_scheme, "ldap") == 0 ||
		             strcasecmp(lud->lud_scheme, "ldapi") == 0;
		ldap_free_urldesc(lud);
		if (!known || (tls && starttls)) {
			buf_printf(err,
			           known ? "ldap_uri: '%s' is ldaps://, so ldap_starttls must be off"
			                 : "ldap_uri: '%s' is not ldap://, ldaps:// or ldapi://",
			           one);
			free(one);
			return -1;
		}
		if (count++)
			buf_putc(list, ' ');
		buf_puts(list, one);
		free(one);
	}
	if (count == 0) {
		buf_printf(err, "ldap_uri names no server");
		return -1;
	}
	return 0;
}

/* Read once at start; the file should be readable by faxgate alone. */
static int directory_read_password(const char *path, char **password, struct buf *err)
{
	struct buf b = BUF_INIT;
	struct stat st;

	if (buf_read_file(&b, path, DIRECTORY_MAX_PASSWORD) < 0) {
		buf_printf(err, "ldap_bind_password_file %s: %s", path,
		           errno == EFBIG ? "too large for a password" : strerror(errno));
		buf_free(&b);
		return -1;
	}
	if (stat(path, &st) == 0 && (st.st_mode & S_IROTH))
		log_warning("ldap_bind_password_file %s is readable by every user: chmod o-r it", path);
	while (b.len > 0 && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
		b.data[--b.len] = '\0';
	if (b.len == 0 || memchr(b.data, '\0', b.len) || memchr(b.data, '\n', b.len)) {
		buf_printf(err, "ldap_bind_password_file %s must hold the password on one line", path);
		explicit_bzero(b.data, b.cap);
		buf_free(&b);
		return -1;
	}
	*password = buf_steal(&b);
	return 0;
}

int directory_open(const struct conf *conf, struct directory **dp, struct buf *err)
{
	struct directory *d;
	const char *filter;
	struct buf uris = BUF_INIT;
	bool ldaps = false;

	*dp = NULL;
	if (!conf->ldap_uri || !*conf->ldap_uri)
		return 0;
	if (directory_uri_check(conf->ldap_uri, conf->ldap_starttls, &uris, &ldaps, err) < 0) {
		buf_free(&uris);
		return -1;
	}
	if (conf->ldap_type < 0 || conf->ldap_type > CONF_LDAP_GENERIC) {
		buf_printf(err, "ldap_type: unknown directory type");
		return -1;
	}
	filter = conf->ldap_user_filter && *conf->ldap_user_filter
	             ? conf->ldap_user_filter
	             : directory_default_filters[conf->ldap_type];
	if (directory_filter_check(filter, err) < 0) {
		buf_free(&uris);
		return -1;
	}
	bool have_dn = conf->ldap_bind_dn && *conf->ldap_bind_dn;
	bool have_pw = conf->ldap_bind_password_file && *conf->ldap_bind_password_file;
	if (have_dn != have_pw) {
		buf_printf(err, have_dn ? "ldap_bind_dn needs ldap_bind_password_file"
		                        : "ldap_bind_password_file needs ldap_bind_dn");
		buf_free(&uris);
		return -1;
	}

	/*
	 * Writing a request to a connection the server has closed raises SIGPIPE, which must not
	 * end the process. Daemons ignore it anyway; this covers tools.
	 */
	struct sigaction sa;
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);

	d = xcalloc(1, sizeof(*d));
	if (have_pw && directory_read_password(conf->ldap_bind_password_file, &d->password, err) < 0) {
		free(d);
		buf_free(&uris);
		return -1;
	}
	d->type = conf->ldap_type;
	d->uri = buf_steal(&uris);
	d->base = xstrdup(conf->ldap_base ? conf->ldap_base : "");
	d->bind_dn = have_dn ? xstrdup(conf->ldap_bind_dn) : NULL;
	d->starttls = conf->ldap_starttls;
	d->tls = ldaps || d->starttls;
	d->ca_file = conf->ldap_ca_file && *conf->ldap_ca_file ? xstrdup(conf->ldap_ca_file) : NULL;
	d->user_filter = xstrdup(filter);
	d->timeout = conf->ldap_timeout > 0 ? conf->ldap_timeout : 5;
	*dp = d;
	return 0;
}

static void directory_disconnect(struct directory *d)
{
	if (d->ld)
		ldap_unbind_ext_s(d->ld, NULL, NULL);
	d->ld = NULL;
}

void directory_close(struct directory *d)
{
	if (!d)
		return;
	directory_disconnect(d);
	if (d->password) {
		explicit_bzero(d->password, strlen(d->password));
		free(d->password);
	}
	free(d->uri);
	free(d->base);
	free(d->bind_dn);
	free(d->ca_file);
	free(d->user_filter);
	free(d);
}

/* The server's own words about the last failure, when it gave any. */
static void directory_describe(LDAP *ld, int rc, struct buf *err)
{
	char *diag = NULL;

	buf_puts(err, ldap_err2string(rc));
	if (ld && ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag) == LDAP_OPT_SUCCESS && diag) {
		/* libldap fills in "(unknown error code)" when there is nothing to say. */
		if (*diag && *diag != '(')
			buf_printf(err, " (%.200s)", diag);
		ldap_memfree(diag);
	}
}

static int directory_set_options(struct directory *d, LDAP *ld, struct buf *err)
{
	int version = LDAP_VERSION3, reqcert = LDAP_OPT_X_TLS_DEMAND, newctx = 0;
	int timelimit = (int)d->timeout;
	struct timeval tv = {.tv_sec = d->timeout, .tv_usec = 0};

	/* Chasing referrals would bind elsewhere anonymously; AD hands them out for its partitions. */
	if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_RESTART, LDAP_OPT_ON) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_TIMELIMIT, &timelimit) != LDAP_OPT_SUCCESS) {
		buf_puts(err, "cannot set the LDAP connection options");
		return -1;
	}
	/* Certificates are always verified, whatever a system ldap.conf says. */
	if (!d->tls)
		return 0;
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &reqcert) != LDAP_OPT_SUCCESS ||
	    (d->ca_file && ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, d->ca_file) != LDAP_OPT_SUCCESS) ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &newctx) != LDAP_OPT_SUCCESS) {
		buf_printf(err, "cannot set up TLS%s%s", d->ca_file ? " with " : "",
		           d->ca_file ? d->ca_file : "");
		return -1;
	}
	return 0;
}

static enum directory_rc directory_connect(struct directory *d, struct buf *err)
{
	LDAP *ld = NULL;
	int rc;

	rc = ldap_initialize(&ld, d->uri);
	if (rc != LDAP_SUCCESS) {
		buf_printf(err, "directory %s: %s", d->uri, ldap_err2string(rc));
		return DIRECTORY_ERR_TEMP;
	}
	if (directory_set_options(d, ld, err) < 0)
		goto fail;
	if (d->starttls && (rc = ldap_start_tls_s(ld, NULL, NULL)) != LDAP_SUCCESS) {
		buf_printf(err, "directory %s: StartTLS failed: ", d->uri);
		directory_describe(ld, rc, err);
		goto fail;
	}
	if (d->bind_dn) {
		struct berval cred = {.bv_len = strlen(d->password), .bv_val = d->password};

		rc = ldap_sasl_bind_s(ld, d->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
		if (rc != LDAP_SUCCESS) {
			buf_printf(err, "directory %s: bind as %s failed: ", d->uri, d->bind_dn);
			directory_describe(ld, rc, err);
			goto fail;
		}
	}
	d->ld = ld;
	return DIRECTORY_OK;
fail:
	ldap_unbind_ext_s(ld, NULL, NULL);
	return DIRECTORY_ERR_TEMP;
}

/* Failures after which the connection cannot be trusted any more. */
static bool directory_conn_lost(int rc)
{
	return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR || rc == LDAP_TIMEOUT ||
	       rc == LDAP_UNAVAILABLE || rc == LDAP_BUSY;
}

enum directory_rc directory_search(struct directory *d, const char *base, int scope, const char *filter,
                                   const char *const *attrs, int sizelimit, LDAPMessage **res,
                                   bool *truncated, struct buf *err)
{
	struct timeval tv = {.tv_sec = d->timeout, .tv_usec = 0};
	int rc = LDAP_OTHER;

	*res = NULL;
	*truncated = false;
	for (int attempt = 0; attempt < 2; attempt++) {
		bool fresh = false;
		LDAPMessage *msg = NULL;

		if (!d->ld) {
			if (directory_connect(d, err) != DIRECTORY_OK)
				return DIRECTORY_ERR_TEMP;
			fresh = true;
		}
		rc = ldap_search_ext_s(d->ld, base, scope, filter, (char **)attrs, 0, NULL, NULL, &tv,
		                       sizelimit, &msg);
		if (rc == LDAP_SUCCESS || rc == LDAP_SIZELIMIT_EXCEEDED) {
			*truncated = rc == LDAP_SIZELIMIT_EXCEEDED;
			if (msg && ldap_count_entries(d->ld, msg) > 0)
				*res = msg;
			else
				ldap_msgfree(msg);
			return DIRECTORY_OK;
		}
		if (rc == LDAP_NO_SUCH_OBJECT) {
			ldap_msgfree(msg);
			return DIRECTORY_OK;
		}
		ldap_msgfree(msg);
		if (!directory_conn_lost(rc)) {
			buf_printf(err, "directory search under '%s' failed: ", base);
			directory_describe(d->ld, rc, err);
			return DIRECTORY_ERR_TEMP;
		}
		directory_disconnect(d);
		/* A connection kept from earlier may have been closed by the server: one more try. */
		if (fresh || rc == LDAP_TIMEOUT)
			break;
		log_info("directory connection lost (%s); reconnecting", ldap_err2string(rc));
	}
	buf_printf(err, "directory %s: %s", d->uri, ldap_err2string(rc));
	return DIRECTORY_ERR_TEMP;
}

char *directory_first_value(struct directory *d, LDAPMessage *entry, const char *attr)
{
	struct berval **vals = ldap_get_values_len(d->ld, entry, attr);
	char *s = NULL;

	if (vals && vals[0])
		s = xstrndup(vals[0]->bv_val, vals[0]->bv_len);
	ldap_value_free_len(vals);
	return s;
}

void directory_escape(const char *value, struct buf *out)
{
	struct berval in = {.bv_len = strlen(value), .bv_val = (char *)value}, esc = {0, NULL};

	if (ldap_bv2escaped_filter_value(&in, &esc) != 0)
		log_fatal("out of memory escaping an LDAP filter value");
	buf_append(out, esc.bv_val, esc.bv_len);
	ber_memfree(esc.bv_val);
}

void directory_filter_fill(const char *tmpl, const char *value, struct buf *out)
{
	for (const char *p = tmpl; *p; p++) {
		if (p[0] == '%' && p[1] == 's') {
			directory_escape(value, out);
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			buf_putc(out, '%');
			p++;
		} else
			buf_putc(out, *p);
	}
}

char *directory_dn_key(const char *dn)
{
	char *norm = NULL, *key;

	if (ldap_dn_normalize(dn, LDAP_DN_FORMAT_LDAP, &norm, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS &&
	    norm) {
		key = xstrdup(norm);
		ldap_memfree(norm);
	} else
		key = xstrdup(dn);
	/* AD and Domino compare DNs without regard to case. */
	for (char *p = key; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return key;
}
