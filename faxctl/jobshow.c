/*
 * jobshow.c - jobs shown to the admin: a table row, every field, or JSON (see jobshow.h).
 */
#include "jobshow.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

size_t jobshow_text(FILE *f, const char *s, size_t max)
{
	size_t n = 0;

	if (!s)
		s = "-";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		bool starts = (*p & 0xC0) != 0x80;
		if (max && starts && n >= max)
			break;
		if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\x%02x", *p);
			n += 4;
		} else {
			fputc(*p, f);
			n += starts;
		}
	}
	return n;
}

void jobshow_cell(FILE *f, const char *s, size_t width)
{
	size_t n = jobshow_text(f, s, width);

	fprintf(f, "%*s", (int)(n < width ? width - n + 2 : 2), "");
}

void jobshow_time(FILE *f, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[32];

	if (t <= 0 || !localtime_r(&tt, &tm) || !strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S", &tm)) {
		fprintf(f, "%lld", (long long)t);
		return;
	}
	fputs(s, f);
}

void jobshow_table_head(FILE *f)
{
	fprintf(f, "%8s  %-9s %3s %5s  %-19s  %-16s  %-24s  %s\n", "ID", "STATUS", "PRI", "PAGES", "CREATED",
	        "NUMBER", "SENDER", "REASON");
}

void jobshow_table_row(FILE *f, const struct job *j)
{
	fprintf(f, "%8lld  %-9s %3d %5d  ", (long long)j->id, queue_status_name(j->status), j->priority,
	        j->pages);
	jobshow_time(f, j->created);
	fputs("  ", f);
	jobshow_cell(f, j->number, 16);
	jobshow_cell(f, j->auth_user ? j->auth_user : j->sender, 24);
	jobshow_text(f, j->reason, 60);
	fputc('\n', f);
}

static const void *jobshow_field(const struct job *j, const struct job_field *fd)
{
	return (const char *)j + fd->offset;
}

void jobshow_fields(FILE *f, const struct job *j)
{
	for (const struct job_field *fd = job_fields; fd->name; fd++) {
		const void *v = jobshow_field(j, fd);

		fprintf(f, "%-13s ", fd->name);
		switch (fd->type) {
		case JOB_FIELD_INT:
			fprintf(f, "%d", *(const int *)v);
			break;
		case JOB_FIELD_INT64:
			fprintf(f, "%lld", (long long)*(const int64_t *)v);
			break;
		case JOB_FIELD_TIME:
			jobshow_time(f, *(const int64_t *)v);
			break;
		case JOB_FIELD_TEXT:
			/* the mail's whole header section is for --json; here its size says it is there */
			if (v == &j->headers && j->headers)
				fprintf(f, "(%zu bytes: faxctl job --json)", strlen(j->headers));
			else
				jobshow_text(f, *(char *const *)v, 0);
			break;
		case JOB_FIELD_STATUS:
			fputs(queue_status_name(*(const enum job_status *)v), f);
			break;
		case JOB_FIELD_BOOL:
			fputs(*(const bool *)v ? "yes" : "no", f);
			break;
		}
		fputc('\n', f);
	}
}

/* The queue stores valid UTF-8 only, so bytes above 0x7f pass as they are. */
void jobshow_json_string(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void jobshow_json(FILE *f, const struct job *j)
{
	fputc('{', f);
	for (const struct job_field *fd = job_fields; fd->name; fd++) {
		const void *v = jobshow_field(j, fd);

		fprintf(f, "%s\"%s\": ", fd == job_fields ? "" : ", ", fd->name);
		switch (fd->type) {
		case JOB_FIELD_INT:
			fprintf(f, "%d", *(const int *)v);
			break;
		case JOB_FIELD_INT64:
		case JOB_FIELD_TIME:
			fprintf(f, "%lld", (long long)*(const int64_t *)v);
			break;
		case JOB_FIELD_TEXT:
			jobshow_json_string(f, *(char *const *)v);
			break;
		case JOB_FIELD_STATUS:
			jobshow_json_string(f, queue_status_name(*(const enum job_status *)v));
			break;
		case JOB_FIELD_BOOL:
			fputs(*(const bool *)v ? "true" : "false", f);
			break;
		}
	}
	fputc('}', f);
}

void jobshow_json_list(FILE *f, const void *items, size_t n, size_t size, void (*one)(FILE *, const void *))
{
	fputc('[', f);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ",\n " : "", f);
		one(f, (const char *)items + i * size);
	}
	fputs("]\n", f);
}
