/*
 * jobshow.h - jobs shown to the admin: a table row, every field, or JSON.
 *
 * Job text comes from mail and is hostile: on a terminal control characters are shown as \xHH,
 * so a subject cannot move the cursor or retitle the window; in JSON they are escaped.
 */
#ifndef FAXGATE_FAXCTL_JOBSHOW_H
#define FAXGATE_FAXCTL_JOBSHOW_H

#include <stdint.h>
#include <stdio.h>

#include "queue/queue.h"

/*
 * Text for a terminal: control characters and DEL as \xHH, at most max characters (0: all), never
 * cut inside a UTF-8 sequence; NULL as "-". Returns the characters written.
 */
size_t jobshow_text(FILE *f, const char *s, size_t max);
/* A table cell: text cut to width, padded to width, then two spaces. */
void jobshow_cell(FILE *f, const char *s, size_t width);
/* Local time "YYYY-MM-DD HH:MM:SS" (the number itself when it is not a time). */
void jobshow_time(FILE *f, int64_t t);
/* A JSON string, NULL as null. */
void jobshow_json_string(FILE *f, const char *s);
/* A JSON array of n items of size bytes, each written by one, and a newline. */
void jobshow_json_list(FILE *f, const void *items, size_t n, size_t size, void (*one)(FILE *, const void *));

void jobshow_table_head(FILE *f);
void jobshow_table_row(FILE *f, const struct job *j);
/* One "field: value" line a field. */
void jobshow_fields(FILE *f, const struct job *j);
/* One JSON object with every field (times as unix seconds, NULL as null). */
void jobshow_json(FILE *f, const struct job *j);

#endif
