/*
 * jobshow.h - jobs shown to the admin: a table row, every field, or JSON.
 *
 * Job text comes from mail and is hostile: on a terminal control characters are shown as \xHH,
 * so a subject cannot move the cursor or retitle the window; in JSON they are escaped.
 */
#ifndef FAXGATE_FAXCTL_JOBSHOW_H
#define FAXGATE_FAXCTL_JOBSHOW_H

#include <stdio.h>

#include "queue/queue.h"

void jobshow_table_head(FILE *f);
void jobshow_table_row(FILE *f, const struct job *j);
/* One "field: value" line a field. */
void jobshow_fields(FILE *f, const struct job *j);
/* One JSON object with every field (times as unix seconds, NULL as null). */
void jobshow_json(FILE *f, const struct job *j);

#endif
