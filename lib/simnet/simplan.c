/*
 * simplan.c - read the simulated network's numbering plan and find the entry for a dial string.
 */
#include "simnet/simplan.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static const char *const simplan_kinds[] = {
    [SIMPLAN_UNASSIGNED] = "unassigned", [SIMPLAN_FAX] = "fax",     [SIMPLAN_BUSY] = "busy",
    [SIMPLAN_NO_ANSWER] = "no-answer",   [SIMPLAN_VOICE] = "voice", [SIMPLAN_CONGESTION] = "congestion",
};

const char *simplan_kind_name(enum simplan_kind k)
{
	if ((size_t)k >= sizeof(simplan_kinds) / sizeof(simplan_kinds[0]))
		return "?";
	return simplan_kinds[k];
}

static void simplan_entry_defaults(struct simplan_entry *e, enum simplan_kind kind, int lineno)
{
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->answer_after = 2;
	e->ring = 60;
	e->talk = 20;
	e->lineno = lineno;
}

/* One blank-separated word of a line; a double-quoted part keeps blanks. NULL at the end of the line. */
static char *simplan_word(char **pos, const char **why)
{
	char *s = *pos, *out, *start;
	bool quoted = false;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == 0 || *s == '#') {
		*pos = s;
		return NULL;
	}
	start = out = s;
	while (*s && (quoted || (*s != ' ' && *s != '\t'))) {
		if (*s == '"') {
			quoted = !quoted;
			s++;
			continue;
		}
		*out++ = *s++;
	}
	if (quoted) {
		*why = "the quotes do not match";
		return NULL;
	}
	if (*s)
		s++;
	*out = 0;
	*pos = s;
	return start;
}

static int simplan_int(const char *v, long min, long max, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < min || n > max)
		return -1;
	*out = (int)n;
	return 0;
}

static int simplan_number(struct simplan_entry *e, const char *w)
{
	size_t n = strlen(w);
	size_t start = w[0] == '+' ? 1 : 0;

	if (n > 0 && w[n - 1] == '*') {
		e->prefix = true;
		n--;
	}
	if (n <= start || n > SIMNET_MAX_NUMBER)
		return -1;
	for (size_t i = start; i < n; i++)
		if (w[i] < '0' || w[i] > '9')
			return -1;
	memcpy(e->number, w, n);
	e->number[n] = 0;
	return 0;
}

/* Which options each kind takes. */
static bool simplan_option_fits(enum simplan_kind k, const char *key)
{
	static const struct {
		const char *key;
		unsigned kinds;
	} table[] = {
	    {"dir", 1u << SIMPLAN_FAX},           {"station", 1u << SIMPLAN_FAX},
	    {"standard-only", 1u << SIMPLAN_FAX}, {"a4-only", 1u << SIMPLAN_FAX},
	    {"no-ecm", 1u << SIMPLAN_FAX},        {"hangup-after", 1u << SIMPLAN_FAX},
	    {"noise", 1u << SIMPLAN_FAX},         {"answer-after", 1u << SIMPLAN_FAX | 1u << SIMPLAN_VOICE},
	    {"talk", 1u << SIMPLAN_VOICE},        {"ring", 1u << SIMPLAN_NO_ANSWER},
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].key, key) == 0)
			return (table[i].kinds & 1u << k) != 0;
	return false;
}

static bool simplan_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/* One option word; NULL when it is fine, else the reason (static text or in why). */
static const char *simplan_option(struct simplan_entry *e, char *w, struct buf *why)
{
	char *eq = strchr(w, '=');
	const char *v = eq ? eq + 1 : NULL;

	if (eq)
		*eq = 0;
	if (!simplan_option_fits(e->kind, w)) {
		buf_printf(why, "option '%s' is unknown for %s", w, simplan_kind_name(e->kind));
		return buf_cstr(why);
	}
	bool flag = strcmp(w, "standard-only") == 0 || strcmp(w, "a4-only") == 0 || strcmp(w, "no-ecm") == 0;
	if (flag != (v == NULL)) {
		buf_printf(why, flag ? "option '%s' takes no value" : "option '%s' needs a value (%s=...)", w,
		           w);
		return buf_cstr(why);
	}
	if (strcmp(w, "dir") == 0) {
		if (v[0] != '/' || strlen(v) > SIMPLAN_MAX_DIR || !simplan_printable(v))
			return "dir must be an absolute path of at most 200 printable characters";
		strcpy(e->dir, v);
	} else if (strcmp(w, "station") == 0) {
		if (strlen(v) > SIMNET_MAX_IDENT || !simplan_printable(v))
			return "station must be at most 20 printable characters";
		strcpy(e->station, v);
	} else if (strcmp(w, "standard-only") == 0) {
		e->standard_only = true;
	} else if (strcmp(w, "a4-only") == 0) {
		e->a4_only = true;
	} else if (strcmp(w, "no-ecm") == 0) {
		e->no_ecm = true;
	} else if (strcmp(w, "hangup-after") == 0) {
		if (simplan_int(v, 1, 10000, &e->hangup_after) < 0)
			return "hangup-after must be a number of pages from 1 to 10000";
	} else if (strcmp(w, "noise") == 0) {
		if (simplan_int(v, -80, -5, &e->noise_dbm0) < 0)
			return "noise must be a level in dBm0 from -80 to -5";
		e->noisy = true;
	} else if (strcmp(w, "answer-after") == 0) {
		if (simplan_int(v, 0, 300, &e->answer_after) < 0)
			return "answer-after must be seconds from 0 to 300";
	} else if (strcmp(w, "talk") == 0) {
		if (simplan_int(v, 0, 3600, &e->talk) < 0)
			return "talk must be seconds from 0 (never hang up) to 3600";
	} else if (strcmp(w, "ring") == 0) {
		if (simplan_int(v, 1, 600, &e->ring) < 0)
			return "ring must be seconds from 1 to 600";
	}
	return NULL;
}

/* Parse one line into e; 0 (1 for a blank or comment line, 2 for `default`), or -1 with why. */
static int simplan_line(char *line, int lineno, struct simplan_entry *e, struct buf *why)
{
	const char *bad = NULL, *r;
	char *pos = line, *num, *kind, *w;
	int k = -1;

	num = simplan_word(&pos, &bad);
	if (!num) {
		if (bad) {
			buf_puts(why, bad);
			return -1;
		}
		return 1;
	}
	kind = simplan_word(&pos, &bad);
	if (!kind) {
		buf_puts(why, bad ? bad
		                  : "a kind must follow the number (fax, busy, no-answer, voice, unassigned, "
		                    "congestion)");
		return -1;
	}
	for (size_t i = 0; i < sizeof(simplan_kinds) / sizeof(simplan_kinds[0]); i++)
		if (strcmp(kind, simplan_kinds[i]) == 0)
			k = (int)i;
	if (k < 0) {
		buf_printf(why, "unknown kind '%.40s' (fax, busy, no-answer, voice, unassigned, congestion)",
		           kind);
		return -1;
	}
	simplan_entry_defaults(e, (enum simplan_kind)k, lineno);
	bool is_default = strcmp(num, "default") == 0;
	if (!is_default && simplan_number(e, num) < 0) {
		buf_printf(why,
		           "'%.40s' is not a number: digits with an optional leading + and trailing *, "
		           "at most %d",
		           num, SIMNET_MAX_NUMBER);
		return -1;
	}
	while ((w = simplan_word(&pos, &bad)) != NULL)
		if ((r = simplan_option(e, w, why)) != NULL) {
			if (r != buf_cstr(why))
				buf_puts(why, r);
			return -1;
		}
	if (bad) {
		buf_puts(why, bad);
		return -1;
	}
	if (e->kind == SIMPLAN_FAX && e->dir[0] == 0) {
		buf_puts(why, "a fax machine needs dir=FOLDER for what it receives");
		return -1;
	}
	return is_default ? 2 : 0;
}

static int simplan_cmp(const void *a, const void *b)
{
	const struct simplan_entry *x = a, *y = b;
	int c = strcmp(x->number, y->number);

	return c ? c : (int)x->prefix - (int)y->prefix;
}

int simplan_parse(struct simplan *p, const char *name, const char *text, size_t len, struct buf *err)
{
	size_t cap = 0, off = 0;
	bool have_default = false;
	int lineno = 0;
	struct buf why = BUF_INIT;

	memset(p, 0, sizeof(*p));
	simplan_entry_defaults(&p->def, SIMPLAN_UNASSIGNED, 0);
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t l = nl ? (size_t)(nl - (text + off)) : len - off;
		char line[SIMPLAN_MAX_LINE + 1];
		struct simplan_entry e;
		int rc;

		lineno++;
		buf_reset(&why);
		if (l > SIMPLAN_MAX_LINE) {
			buf_printf(&why, "line longer than %d characters", SIMPLAN_MAX_LINE);
			goto bad;
		}
		memcpy(line, text + off, l);
		line[l] = 0;
		off += l + (nl ? 1 : 0);
		if (l > 0 && line[l - 1] == '\r')
			line[--l] = 0;
		if (memchr(line, 0, l) != NULL) {
			buf_puts(&why, "NUL byte in the line");
			goto bad;
		}
		rc = simplan_line(line, lineno, &e, &why);
		if (rc < 0)
			goto bad;
		if (rc == 1)
			continue;
		if (rc == 2) {
			if (have_default) {
				buf_printf(&why, "a second default (the first is on line %d)", p->def.lineno);
				goto bad;
			}
			have_default = true;
			p->def = e;
			continue;
		}
		if (p->count >= SIMPLAN_MAX_ENTRIES) {
			buf_printf(&why, "more than %d numbers", SIMPLAN_MAX_ENTRIES);
			goto bad;
		}
		if (p->count == cap) {
			cap = cap ? cap * 2 : 16;
			p->entries = xreallocarray(p->entries, cap, sizeof(*p->entries));
		}
		p->entries[p->count++] = e;
	}
	qsort(p->entries, p->count, sizeof(*p->entries), simplan_cmp);
	for (size_t i = 1; i < p->count; i++)
		if (simplan_cmp(&p->entries[i - 1], &p->entries[i]) == 0) {
			const struct simplan_entry *a = &p->entries[i - 1], *b = &p->entries[i];
			buf_printf(err, "%s:%d: %s%s is already on line %d", name,
			           a->lineno > b->lineno ? a->lineno : b->lineno, a->number,
			           a->prefix ? "*" : "", a->lineno < b->lineno ? a->lineno : b->lineno);
			buf_free(&why);
			simplan_free(p);
			return -1;
		}
	buf_free(&why);
	return 0;
bad:
	buf_printf(err, "%s:%d: %s", name, lineno, buf_cstr(&why));
	buf_free(&why);
	simplan_free(p);
	return -1;
}

int simplan_load(struct simplan *p, const char *path, struct buf *err)
{
	struct buf text = BUF_INIT;
	int rc;

	if (buf_read_file(&text, path, SIMPLAN_MAX_FILE) < 0) {
		buf_printf(err, "%s: %s", path, errno == EFBIG ? "larger than 4 MB" : strerror(errno));
		buf_free(&text);
		memset(p, 0, sizeof(*p));
		return -1;
	}
	rc = simplan_parse(p, path, text.data ? text.data : "", text.len, err);
	buf_free(&text);
	return rc;
}

void simplan_free(struct simplan *p)
{
	free(p->entries);
	p->entries = NULL;
	p->count = 0;
}

/* Digits only, with an optional leading '+' dropped (the conf keys allow "+49"). */
static const char *simplan_conf_digits(const char *s)
{
	if (!s)
		return "";
	if (*s == '+')
		s++;
	for (const char *c = s; *c; c++)
		if (*c < '0' || *c > '9')
			return "";
	return s;
}

static bool simplan_starts(const char *s, const char *prefix)
{
	return *prefix && strncmp(s, prefix, strlen(prefix)) == 0;
}

int simplan_e164(const struct conf *conf, const char *dial, char *out, size_t outlen)
{
	const char *cc = simplan_conf_digits(conf->dial_country_code);
	const char *area = simplan_conf_digits(conf->dial_area_code);
	const char *intl = simplan_conf_digits(conf->dial_international_prefix);
	const char *natl = simplan_conf_digits(conf->dial_national_prefix);
	const char *outside = simplan_conf_digits(conf->dial_outside_prefix);
	int n;

	if (dial[0] == '+')
		n = snprintf(out, outlen, "%s", dial);
	else {
		if (!simnet_digits_ok(dial, SIMNET_MAX_NUMBER) || !*dial)
			return -1;
		if (simplan_starts(dial, outside))
			dial += strlen(outside);
		if (simplan_starts(dial, intl))
			n = snprintf(out, outlen, "+%s", dial + strlen(intl));
		else if (!*cc)
			return -1;
		else if (simplan_starts(dial, natl))
			n = snprintf(out, outlen, "+%s%s", cc, dial + strlen(natl));
		else
			n = snprintf(out, outlen, "+%s%s%s", cc, area, dial);
	}
	if (n < 2 || (size_t)n >= outlen || !simnet_digits_ok(out + 1, SIMNET_MAX_NUMBER))
		return -1;
	return 0;
}

static const struct simplan_entry *simplan_search(const struct simplan *p, const char *number, size_t len,
                                                  bool prefix)
{
	struct simplan_entry key;

	if (len > SIMNET_MAX_NUMBER)
		return NULL;
	memcpy(key.number, number, len);
	key.number[len] = 0;
	key.prefix = prefix;
	return bsearch(&key, p->entries, p->count, sizeof(*p->entries), simplan_cmp);
}

const struct simplan_entry *simplan_lookup(const struct simplan *p, const char *dial, const char *e164)
{
	const char *keys[2] = {dial, e164};
	const struct simplan_entry *best = NULL;
	size_t best_len = 0;

	for (int i = 0; i < 2; i++)
		if (keys[i] && *keys[i] &&
		    (best = simplan_search(p, keys[i], strlen(keys[i]), false)) != NULL)
			return best;
	for (int i = 0; i < 2; i++) {
		size_t n = keys[i] ? strlen(keys[i]) : 0;

		for (size_t l = n; l > best_len; l--) {
			const struct simplan_entry *e = simplan_search(p, keys[i], l, true);
			if (e) {
				best = e;
				best_len = l;
				break;
			}
		}
	}
	return best ? best : &p->def;
}
