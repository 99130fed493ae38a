/*
 * cfgfile.h - table-driven "key = value" configuration files.
 *
 * A program describes every key once, in a table of struct cfg_key: name, type, default, range and
 * a one-line description. The parser fills a caller's struct through the offsets in the table, so
 * the table is the single source of truth for parsing, defaults, validation and documentation.
 * Unknown keys, repeated keys and bad values are errors that name the file and line.
 *
 * File syntax: one "key = value" per line; '#' starts a comment line; blank lines are ignored;
 * values run to the end of the line with surrounding blanks removed; a value may be put in double
 * quotes to keep leading or trailing blanks or a '#'. A line ending in '\' continues on the next.
 */
#ifndef FAXGATE_UTIL_CFGFILE_H
#define FAXGATE_UTIL_CFGFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

enum cfg_type {
	CFG_STRING,   /* char *, any text */
	CFG_PATH,     /* char *, absolute path or empty */
	CFG_INT,      /* long, decimal, within [min, max] */
	CFG_BOOL,     /* bool: yes/no, true/false, on/off, 1/0 */
	CFG_ENUM,     /* int: index into the '|'-separated choices */
	CFG_DURATION, /* long seconds: a number with s, m, h or d (seconds when bare), within [min, max] */
	CFG_SIZE,     /* long bytes: a number with k, M or G (bytes when bare), within [min, max] */
	CFG_LIST,     /* char *: words separated by commas or blanks, kept as written */
};

struct cfg_key {
	const char *name;
	enum cfg_type type;
	size_t offset;       /* where the value lives in the caller's struct */
	const char *def;     /* default, written as in a file; parsed like one */
	long min, max;       /* CFG_INT, CFG_DURATION, CFG_SIZE */
	const char *choices; /* CFG_ENUM: "standard|fine|superfine" */
	const char *desc;    /* one line for the reference */
};

/* Set every key of the table to its default. Returns 0, or -1 with the problem in err. */
int cfg_defaults(const struct cfg_key *keys, void *conf, struct buf *err);
/* Parse a file over the defaults already set. Returns 0, or -1 with "file:line: problem" in err. */
int cfg_load(const struct cfg_key *keys, void *conf, const char *path, struct buf *err);
/* Parse text (the file name is only used in messages). */
int cfg_parse(const struct cfg_key *keys, void *conf, const char *name, const char *text, size_t len,
              struct buf *err);
/* Set one key from a string, as if it were in a file (used by -o key=value style overrides). */
int cfg_set(const struct cfg_key *keys, void *conf, const char *key, const char *value, struct buf *err);
/* Free the strings owned by conf. */
void cfg_free(const struct cfg_key *keys, void *conf);
/* The key reference in Markdown, one table row per key. */
void cfg_reference(const struct cfg_key *keys, struct buf *out);
/* Print the configuration in file syntax ("key = value"). */
void cfg_dump(const struct cfg_key *keys, const void *conf, struct buf *out);
const struct cfg_key *cfg_find(const struct cfg_key *keys, const char *name);

#endif
