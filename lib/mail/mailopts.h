/*
 * mailopts.h - the fax options a sender gives in X-Fax-* headers or as [keywords] in the subject.
 *
 * See mailparts.h for the syntax. Values are checked strictly: a misspelt option is an error the
 * sender hears about, never a silent default. The same option given twice with different values
 * (in two headers, in the subject twice, or in a header and the subject) is an error too.
 */
#ifndef FAXGATE_MAIL_MAILOPTS_H
#define FAXGATE_MAIL_MAILOPTS_H

#include <stdbool.h>
#include <stdint.h>

#include "util/buf.h"

/* How far ahead X-Fax-Send-After may point: the queue holds no fax longer than this. */
#define MAILOPTS_MAX_DELAY ((int64_t)366 * 24 * 3600)

struct mailopts {
	int resolution;     /* enum fax_resolution or -1 */
	int cover;          /* 1, 0 or -1 */
	int64_t send_after; /* unix seconds, 0 when not given */
};

void mailopts_init(struct mailopts *o);
/*
 * One header; name is matched without case, unknown names are ignored (returns 0). Returns -1
 * with err set when the value is malformed or contradicts one given before.
 */
int mailopts_header(struct mailopts *o, const char *name, const char *value, int64_t now, struct buf *err);
/*
 * Take the option keywords out of a subject: *tidy receives the subject without them (malloc'd),
 * whitespace around a removed keyword collapsed to one space and the ends trimmed. Bracketed
 * words that are not options ("[EXTERNAL]") stay. -1 with err set on a malformed option.
 */
int mailopts_subject(struct mailopts *o, const char *subject, int64_t now, char **tidy, struct buf *err);
/*
 * A send-after time: "YYYY-MM-DD HH:MM[:SS]", an RFC 5322 date, or "HH:MM" (today in local
 * time, tomorrow when that is not after now). A time in the past means now. -1 when malformed or
 * more than MAILOPTS_MAX_DELAY ahead.
 */
int mailopts_parse_time(const char *s, int64_t now, int64_t *out);

#endif
