/*
 * cfgfile.c - parse, default, validate and document table-driven configuration (see cfgfile.h).
 *
 * Configuration is admin input but still parsed defensively: overlong lines, stray bytes and
 * numbers that overflow are errors, never truncation.
 */
#include "util/cfgfile.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

#define CFG_MAX_FILE (1024 * 1024)

static const char *cfg_type_name(const struct cfg_key *k)
{
	switch (k->type) {
	case CFG_STRING:
		return "string";
	case CFG_PATH:
		return "path";
	case CFG_INT:
		return "integer";
	case CFG_BOOL:
		return "boolean";
	case CFG_ENUM:
		return "one of";
	case CFG_DURATION:
		return "duration";
	case CFG_SIZE:
		return "size";
	case CFG_LIST:
		return "list";
	}
	return "?";
}

const struct cfg_key *cfg_find(const struct cfg_key *keys, const char *name)
{
	for (const struct cfg_key *k = keys; k->name; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

/* Parse a number with an optional unit suffix; units is "s=1,m=60..." style via the tables below. */
static int cfg_number(const char *v, const char *const *suffix, const long *mult, long *out)
{
	char *end;
	long n;

	if (!isdigit((unsigned char)v[0]) && v[0] != '-')
		return -1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v)
		return -1;
	if (*end == '\0') {
		*out = n;
		return 0;
	}
	for (size_t i = 0; suffix && suffix[i]; i++) {
		if (strcmp(end, suffix[i]) == 0) {
			if (n > 0 && n > LONG_MAX / mult[i])
				return -1;
			if (n < 0 && n < LONG_MIN / mult[i])
				return -1;
			*out = n * mult[i];
			return 0;
		}
	}
	return -1;
}

static const char *const cfg_dur_suffix[] = {"s", "m", "h", "d", NULL};
static const long cfg_dur_mult[] = {1, 60, 3600, 86400};
static const char *const cfg_size_suffix[] = {"k", "K", "M", "G", NULL};
static const long cfg_size_mult[] = {1024L, 1024L, 1024L * 1024, 1024L * 1024 * 1024};

static int cfg_enum_index(const char *choices, const char *v)
{
	size_t vl = strlen(v);
	int idx = 0;

	for (const char *p = choices; *p;) {
		const char *bar = strchr(p, '|');
		size_t l = bar ? (size_t)(bar - p) : strlen(p);
		if (l == vl && strncmp(p, v, l) == 0)
			return idx;
		idx++;
		if (!bar)
			break;
		p = bar + 1;
	}
	return -1;
}

static int cfg_store(const struct cfg_key *k, void *conf, const char *v, struct buf *err)
{
	char *field = (char *)conf + k->offset;
	long n;

	switch (k->type) {
	case CFG_STRING:
	case CFG_LIST:
	case CFG_PATH:
		if (k->type == CFG_PATH && v[0] != '\0' && v[0] != '/') {
			buf_printf(err, "%s: '%s' is not an absolute path", k->name, v);
			return -1;
		}
		free(*(char **)field);
		*(char **)field = xstrdup(v);
		return 0;
	case CFG_BOOL:
		if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1"))
			*(bool *)field = true;
		else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "0"))
			*(bool *)field = false;
		else {
			buf_printf(err, "%s: '%s' is not yes or no", k->name, v);
			return -1;
		}
		return 0;
	case CFG_ENUM: {
		int idx = cfg_enum_index(k->choices, v);
		if (idx < 0) {
			buf_printf(err, "%s: '%s' is not one of %s", k->name, v, k->choices);
			return -1;
		}
		*(int *)field = idx;
		return 0;
	}
	case CFG_INT:
	case CFG_DURATION:
	case CFG_SIZE:
		if (cfg_number(v,
		               k->type == CFG_DURATION ? cfg_dur_suffix
		               : k->type == CFG_SIZE   ? cfg_size_suffix
		                                       : NULL,
		               k->type == CFG_DURATION ? cfg_dur_mult : cfg_size_mult, &n) < 0) {
			buf_printf(err, "%s: '%s' is not a valid %s", k->name, v, cfg_type_name(k));
			return -1;
		}
		if (n < k->min || n > k->max) {
			buf_printf(err, "%s: %s is out of range %ld..%ld", k->name, v, k->min, k->max);
			return -1;
		}
		*(long *)field = n;
		return 0;
	}
	return -1;
}

int cfg_set(const struct cfg_key *keys, void *conf, const char *key, const char *value, struct buf *err)
{
	const struct cfg_key *k = cfg_find(keys, key);

	if (!k) {
		buf_printf(err, "unknown key '%s'", key);
		return -1;
	}
	return cfg_store(k, conf, value, err);
}

int cfg_defaults(const struct cfg_key *keys, void *conf, struct buf *err)
{
	for (const struct cfg_key *k = keys; k->name; k++)
		if (cfg_store(k, conf, k->def, err) < 0)
			return -1;
	return 0;
}

static char *cfg_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int cfg_parse(const struct cfg_key *keys, void *conf, const char *name, const char *text, size_t len,
              struct buf *err)
{
	struct buf line = BUF_INIT;
	size_t nkeys = 0, lineno = 0, startline = 0;
	bool *seen;
	int rc = -1;

	for (const struct cfg_key *k = keys; k->name; k++)
		nkeys++;
	seen = xcalloc(nkeys, sizeof(*seen));

	for (size_t pos = 0; pos < len || line.len;) {
		const char *nl = pos < len ? memchr(text + pos, '\n', len - pos) : NULL;
		size_t l = nl ? (size_t)(nl - (text + pos)) : len - pos;
		bool more;

		if (pos >= len && line.len == 0)
			break;
		lineno++;
		if (line.len == 0)
			startline = lineno;
		if (memchr(text + pos, '\0', l)) {
			buf_printf(err, "%s:%zu: NUL byte in configuration", name, lineno);
			goto out;
		}
		buf_append(&line, text + pos, l);
		pos += l + (nl ? 1 : 0);
		if (line.len > 8192) {
			buf_printf(err, "%s:%zu: line too long", name, startline);
			goto out;
		}
		more = line.len && line.data[line.len - 1] == '\\' && pos < len;
		if (more) {
			line.data[--line.len] = '\0';
			continue;
		}

		char *s = cfg_trim(line.data ? line.data : (char *)"");
		if (*s == '\0' || *s == '#') {
			buf_reset(&line);
			continue;
		}
		char *eq = strchr(s, '=');
		if (!eq) {
			buf_printf(err, "%s:%zu: expected 'key = value'", name, startline);
			goto out;
		}
		*eq = '\0';
		char *key = cfg_trim(s), *val = cfg_trim(eq + 1);
		size_t vl = strlen(val);
		if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
			val[vl - 1] = '\0';
			val++;
		}
		const struct cfg_key *k = cfg_find(keys, key);
		if (!k) {
			buf_printf(err, "%s:%zu: unknown key '%s'", name, startline, key);
			goto out;
		}
		if (seen[k - keys]) {
			buf_printf(err, "%s:%zu: key '%s' is set twice", name, startline, key);
			goto out;
		}
		seen[k - keys] = true;
		struct buf why = BUF_INIT;
		if (cfg_store(k, conf, val, &why) < 0) {
			buf_printf(err, "%s:%zu: %s", name, startline, buf_cstr(&why));
			buf_free(&why);
			goto out;
		}
		buf_free(&why);
		buf_reset(&line);
	}
	rc = 0;
out:
	buf_free(&line);
	free(seen);
	return rc;
}

int cfg_load(const struct cfg_key *keys, void *conf, const char *path, struct buf *err)
{
	struct buf text = BUF_INIT;
	int rc;

	if (buf_read_file(&text, path, CFG_MAX_FILE) < 0) {
		buf_printf(err, "%s: cannot read: %m", path);
		buf_free(&text);
		return -1;
	}
	rc = cfg_parse(keys, conf, path, text.data, text.len, err);
	buf_free(&text);
	return rc;
}

void cfg_free(const struct cfg_key *keys, void *conf)
{
	for (const struct cfg_key *k = keys; k->name; k++) {
		if (k->type == CFG_STRING || k->type == CFG_PATH || k->type == CFG_LIST) {
			char **p = (char **)((char *)conf + k->offset);
			free(*p);
			*p = NULL;
		}
	}
}

static void cfg_range(const struct cfg_key *k, struct buf *out)
{
	switch (k->type) {
	case CFG_INT:
		buf_printf(out, "%ld..%ld", k->min, k->max);
		break;
	case CFG_DURATION:
		buf_printf(out, "%lds..%lds", k->min, k->max);
		break;
	case CFG_SIZE:
		buf_printf(out, "%ld..%ld bytes", k->min, k->max);
		break;
	case CFG_ENUM:
		buf_puts(out, k->choices);
		break;
	case CFG_BOOL:
		buf_puts(out, "yes|no");
		break;
	case CFG_PATH:
		buf_puts(out, "absolute path");
		break;
	default:
		buf_puts(out, "text");
		break;
	}
}

void cfg_reference(const struct cfg_key *keys, struct buf *out)
{
	buf_puts(out, "| key | type | default | range | description |\n");
	buf_puts(out, "|---|---|---|---|---|\n");
	for (const struct cfg_key *k = keys; k->name; k++) {
		buf_printf(out, "| `%s` | %s | `%s` | ", k->name,
		           k->type == CFG_ENUM ? "choice" : cfg_type_name(k), k->def);
		cfg_range(k, out);
		buf_printf(out, " | %s |\n", k->desc);
	}
}

void cfg_dump(const struct cfg_key *keys, const void *conf, struct buf *out)
{
	for (const struct cfg_key *k = keys; k->name; k++) {
		const char *field = (const char *)conf + k->offset;
		buf_printf(out, "%s = ", k->name);
		switch (k->type) {
		case CFG_STRING:
		case CFG_PATH:
		case CFG_LIST: {
			const char *s = *(char *const *)field;
			bool quote = s && (s[0] == ' ' || strchr(s, '#'));
			buf_printf(out, quote ? "\"%s\"" : "%s", s ? s : "");
			break;
		}
		case CFG_BOOL:
			buf_puts(out, *(const bool *)field ? "yes" : "no");
			break;
		case CFG_ENUM: {
			int idx = *(const int *)field;
			const char *p = k->choices;
			for (int i = 0; i < idx && p; i++) {
				p = strchr(p, '|');
				p = p ? p + 1 : NULL;
			}
			if (p)
				buf_append(out, p, strcspn(p, "|"));
			break;
		}
		case CFG_INT:
			buf_printf(out, "%ld", *(const long *)field);
			break;
		case CFG_DURATION:
			buf_printf(out, "%lds", *(const long *)field);
			break;
		case CFG_SIZE:
			buf_printf(out, "%ld", *(const long *)field);
			break;
		}
		buf_putc(out, '\n');
	}
}
