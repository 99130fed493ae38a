/*
 * route.c - where a received fax goes (route.h): the sub-address routes, the number routes, the
 * directory, the catch-all, in that order; the first that names a mailbox wins.
 *
 * Inputs are the number called and the sub-address as the line gave them (from the caller's
 * network: hostile, bounded here) and directory values (bounded in directory_fax.c). A directory
 * that cannot be asked makes the answer ROUTE_TEMP, never the catch-all: a fax for someone must not
 * land in the admins' mailbox because a server was down. After such a failure the directory is left
 * alone for ROUTE_DIR_HOLDOFF seconds, so a batch of faxes costs one timeout, not one each, while
 * faxes the table routes go on.
 */
#include "route/route.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "directory/directory.h"
#include "route/route_cache.h"
#include "route/route_int.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Numbers remembered at most (each answer holds the few users with that number). */
#define ROUTE_CACHE_MAX 1000
/* After a temporary directory failure, answer ROUTE_TEMP without asking for this long. */
#define ROUTE_DIR_HOLDOFF 10
/* Longest number called or sub-address looked at; longer ones are no number. */
#define ROUTE_INPUT_MAX 64
/* Names of directory users quoted in a note, at most, and the length of each. */
#define ROUTE_NOTE_NAMES    5
#define ROUTE_NOTE_NAME_MAX 64

struct router {
	/*
	 * The dial plan's keys, copied: the caller's configuration may be moved or freed while the
	 * router lives (faxmailgate's reload opens the router on a configuration it then copies).
	 */
	struct conf dial;
	long match_digits;
	struct route_table table;
	struct directory *dir; /* NULL: no directory routing */
	struct route_cache *cache;
	char **catchall;
	size_t ncatchall;
	const char *catchall_key; /* the setting the catch-all came from */
	time_t dir_failed;        /* monotonic seconds of the last temporary failure; 0 none */
	char *dir_error;
};

/* The number called, as far as it could be read. */
struct route_called {
	bool given; /* the line gave something */
	bool clean_ok, e164_ok;
	char clean[ROUTE_NUMBER_SIZE];
	char e164[ROUTE_NUMBER_SIZE];
};

static time_t route_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + 1; /* never 0, which means "no failure" */
}

static char *route_strdup(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* What reading numbers needs of the configuration: the dial plan's place and prefixes. */
static void route_dial_copy(struct conf *dial, const struct conf *conf)
{
	memset(dial, 0, sizeof(*dial));
	dial->dial_country_code = route_strdup(conf->dial_country_code);
	dial->dial_area_code = route_strdup(conf->dial_area_code);
	dial->dial_international_prefix = route_strdup(conf->dial_international_prefix);
	dial->dial_national_prefix = route_strdup(conf->dial_national_prefix);
	dial->dial_outside_prefix = route_strdup(conf->dial_outside_prefix);
	dial->dial_local_without_area = conf->dial_local_without_area;
}

static void route_dial_free(struct conf *dial)
{
	free(dial->dial_country_code);
	free(dial->dial_area_code);
	free(dial->dial_international_prefix);
	free(dial->dial_national_prefix);
	free(dial->dial_outside_prefix);
}

int route_open(const struct conf *conf, struct router **rp, struct buf *err)
{
	struct router *r = xcalloc(1, sizeof(*r));
	bool own = conf->inbound_catchall && conf->inbound_catchall[0];

	*rp = NULL;
	route_dial_copy(&r->dial, conf);
	r->match_digits = conf->inbound_match_digits;
	if (route_table_parse(conf, conf->inbound_routes, r->match_digits, &r->table, err) < 0)
		goto fail;
	r->catchall_key = own ? "inbound_catchall" : "alert_to";
	if (route_addr_list(r->catchall_key, own ? conf->inbound_catchall : conf->alert_to, &r->catchall,
	                    &r->ncatchall, err) < 0)
		goto fail;
	if (conf->inbound_ldap && conf->ldap_uri && conf->ldap_uri[0] &&
	    directory_open(conf, &r->dir, err) < 0)
		goto fail;
	r->cache = route_cache_new(conf->ldap_cache_time, ROUTE_CACHE_MAX);
	*rp = r;
	return 0;
fail:
	route_close(r);
	return -1;
}

void route_close(struct router *r)
{
	if (!r)
		return;
	route_table_free(&r->table);
	route_dial_free(&r->dial);
	route_addr_list_free(r->catchall, r->ncatchall);
	directory_close(r->dir);
	route_cache_free(r->cache);
	free(r->dir_error);
	free(r);
}

const char *route_source_name(enum route_source s)
{
	switch (s) {
	case ROUTE_TABLE:
		return "table";
	case ROUTE_DIRECTORY:
		return "directory";
	case ROUTE_CATCHALL:
		return "catch-all";
	default:
		return "none";
	}
}

void route_result_free(struct route_result *res)
{
	if (!res)
		return;
	route_addr_list_free(res->addrs, res->n);
	free(res->note);
	memset(res, 0, sizeof(*res));
}

/* Add an address unless it is there already (addresses compared without case). */
static void route_add(struct route_result *out, const char *addr)
{
	for (size_t i = 0; i < out->n; i++)
		if (strcasecmp(out->addrs[i], addr) == 0)
			return;
	out->addrs = xreallocarray(out->addrs, out->n + 1, sizeof(*out->addrs));
	out->addrs[out->n++] = xstrdup(addr);
}

/* A directory user's name for a note: printable, bounded. */
static void route_note_name(struct buf *note, const struct directory_user *u)
{
	const char *s = u->name && u->name[0] ? u->name : u->mail ? u->mail : u->dn ? u->dn : "?";
	size_t i;

	for (i = 0; s[i] && i < ROUTE_NOTE_NAME_MAX; i++)
		buf_putc(note, (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i]);
	if (s[i])
		buf_puts(note, "...");
}

static void route_note_names(struct buf *note, const struct directory_user *u, size_t n, bool disabled)
{
	size_t shown = 0, total = 0;

	for (size_t i = 0; i < n; i++) {
		if (u[i].disabled != disabled)
			continue;
		if (shown < ROUTE_NOTE_NAMES) {
			if (shown++)
				buf_puts(note, ", ");
			route_note_name(note, &u[i]);
		}
		total++;
	}
	if (total > shown)
		buf_printf(note, " and %zu more", total - shown);
}

static void route_note_number(struct buf *note, const struct router *r, const struct route_called *c)
{
	const char *num = c->e164_ok ? c->e164 : c->clean;

	if (!c->clean_ok) {
		buf_puts(note, c->given ? "the number called cannot be read" : "no number called");
		return;
	}
	buf_printf(note, "number %s", num);
	if (r->match_digits > 0 && strlen(num) >= (size_t)r->match_digits)
		buf_printf(note, " (last %ld digits %s)", r->match_digits,
		           num + strlen(num) - (size_t)r->match_digits);
	else if (r->match_digits > 0)
		buf_printf(note, " (shorter than the %ld digits of a routing code)", r->match_digits);
}

/*
 * Does an entry match? Tier 0: the same number (E.164, or the last match_digits digits); tier 1:
 * an entry without prefix that is the called number's last digits (an extension), used only when
 * no entry matched in tier 0, so "100=" does not add to "+49301234100=".
 */
static bool route_entry_matches(const struct router *r, const struct route_entry *e,
                                const struct route_called *c, int tier)
{
	if (e->sub || !c->clean_ok)
		return false;
	if (r->match_digits > 0)
		return tier == 0 && route_number_tail_equal(e->key, c->clean, (size_t)r->match_digits);
	if (tier == 0)
		return e->e164[0] && c->e164_ok && strcmp(e->e164, c->e164) == 0;
	return e->local && route_number_ends_with(c->e164_ok ? c->e164 : c->clean, e->key);
}

static bool route_by_subaddress(const struct router *r, const char *subaddress, struct route_result *out)
{
	char sub[ROUTE_NUMBER_SIZE];
	struct buf note = BUF_INIT;

	if (!subaddress || !subaddress[0])
		return false;
	if (strlen(subaddress) > ROUTE_INPUT_MAX ||
	    !route_subaddress_clean(subaddress, strlen(subaddress), sub)) {
		log_info("route: a sub-address of %zu characters that are not all digits: not looked up",
		         strlen(subaddress));
		return false;
	}
	for (size_t i = 0; i < r->table.n; i++)
		if (r->table.v[i].sub && strcmp(r->table.v[i].key, sub) == 0)
			route_add(out, r->table.v[i].addr);
	if (!out->n)
		return false;
	out->source = ROUTE_TABLE;
	buf_printf(&note, "sub-address %s in inbound_routes", sub);
	out->note = buf_steal(&note);
	return true;
}

static bool route_by_table(const struct router *r, const struct route_called *c, struct route_result *out)
{
	struct buf note = BUF_INIT;
	const char *first = NULL;

	for (int tier = 0; tier < 2 && !out->n; tier++)
		for (size_t i = 0; i < r->table.n; i++)
			if (route_entry_matches(r, &r->table.v[i], c, tier)) {
				route_add(out, r->table.v[i].addr);
				if (!first)
					first = r->table.v[i].word;
			}
	if (!out->n)
		return false;
	out->source = ROUTE_TABLE;
	route_note_number(&note, r, c);
	buf_printf(&note, " in inbound_routes (%s%s)", first, out->n > 1 ? " and more" : "");
	out->note = buf_steal(&note);
	return true;
}

/* Ask the directory (or the cache); ROUTE_TEMP when it cannot be asked. */
static enum route_rc route_directory_users(struct router *r, const char *key, struct directory_user **users,
                                           size_t *n, struct buf *err)
{
	time_t now = route_clock();
	enum directory_rc drc;
	struct buf why = BUF_INIT;

	if (route_cache_get(r->cache, key, now, users, n))
		return ROUTE_OK;
	if (r->dir_failed && now - r->dir_failed < ROUTE_DIR_HOLDOFF) {
		buf_printf(err, "the directory failed %lds ago (%s); not asked again yet",
		           (long)(now - r->dir_failed), r->dir_error ? r->dir_error : "?");
		return ROUTE_TEMP;
	}
	drc = directory_find_fax(r->dir, &r->dial, key, (int)r->match_digits, users, n, &why);
	if (drc == DIRECTORY_ERR_TEMP) {
		r->dir_failed = now;
		free(r->dir_error);
		r->dir_error = xstrdup(buf_cstr(&why));
		buf_printf(err, "the directory cannot be asked: %s", buf_cstr(&why));
		buf_free(&why);
		return ROUTE_TEMP;
	}
	buf_free(&why);
	r->dir_failed = 0;
	if (drc != DIRECTORY_OK) {
		directory_user_list_free(*users, *n);
		*users = NULL;
		*n = 0;
	}
	route_cache_put(r->cache, key, *users, *n, now);
	return ROUTE_OK;
}

/*
 * The directory's users with the number: enabled ones with a usable mail address get the fax.
 * *why_not tells the catch-all's note what the directory said when nobody got it.
 */
static enum route_rc route_by_directory(struct router *r, const struct route_called *c,
                                        struct route_result *out, struct buf *why_not, struct buf *err)
{
	const char *key = r->match_digits > 0 ? c->clean : c->e164_ok ? c->e164 : NULL;
	struct directory_user *users = NULL;
	size_t n = 0, disabled = 0;
	struct buf note = BUF_INIT;
	enum route_rc rc;

	if (!key) {
		buf_puts(why_not, "; the dial plan cannot read it, so the directory was not asked");
		return ROUTE_OK;
	}
	rc = route_directory_users(r, key, &users, &n, err);
	if (rc != ROUTE_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (users[i].disabled) {
			disabled++;
		} else if (!users[i].mail || !route_addr_ok(users[i].mail, strlen(users[i].mail))) {
			log_warning(
			    "route: directory entry %s has the fax number %s but no usable mail address",
			    users[i].dn ? users[i].dn : "?", key);
			users[i].disabled = true; /* for the notes: not a recipient */
			disabled++;
		} else {
			route_add(out, users[i].mail);
		}
	}
	if (out->n) {
		out->source = ROUTE_DIRECTORY;
		route_note_number(&note, r, c);
		buf_puts(&note, " in the directory: ");
		route_note_names(&note, users, n, false);
		if (disabled) {
			buf_puts(&note, "; skipped (disabled or no mail): ");
			route_note_names(&note, users, n, true);
		}
		out->note = buf_steal(&note);
	} else if (disabled) {
		buf_puts(why_not, "; in the directory only for disabled accounts or ones without mail: ");
		route_note_names(why_not, users, n, true);
	}
	directory_user_list_free(users, n);
	return ROUTE_OK;
}

enum route_rc route_find(struct router *r, const char *called, const char *subaddress,
                         struct route_result *out, struct buf *err)
{
	struct route_called c = {0};
	struct buf note = BUF_INIT, why_not = BUF_INIT;
	enum route_rc rc;

	memset(out, 0, sizeof(*out));
	out->source = ROUTE_NONE;
	if (route_by_subaddress(r, subaddress, out))
		return ROUTE_OK;
	c.given = called && called[0];
	if (c.given && strlen(called) <= ROUTE_INPUT_MAX) {
		c.clean_ok = route_number_clean(called, strlen(called), c.clean);
		c.e164_ok = c.clean_ok && route_number_e164(&r->dial, c.clean, c.e164);
	}
	if (!c.clean_ok && c.given)
		log_info("route: the number called (%zu characters) is no number", strlen(called));
	if (route_by_table(r, &c, out))
		return ROUTE_OK;
	if (r->dir && c.clean_ok) {
		rc = route_by_directory(r, &c, out, &why_not, err);
		if (rc != ROUTE_OK || out->n) {
			buf_free(&why_not);
			return rc;
		}
	}
	route_note_number(&note, r, &c);
	if (subaddress && subaddress[0])
		buf_puts(&note, " with a sub-address");
	buf_printf(&note, ": no route%s", buf_cstr(&why_not));
	buf_free(&why_not);
	if (r->ncatchall) {
		for (size_t i = 0; i < r->ncatchall; i++)
			route_add(out, r->catchall[i]);
		out->source = ROUTE_CATCHALL;
		buf_printf(&note, "; catch-all (%s)", r->catchall_key);
	} else {
		buf_puts(&note, "; neither inbound_catchall nor alert_to names a mailbox");
	}
	out->note = buf_steal(&note);
	return ROUTE_OK;
}
