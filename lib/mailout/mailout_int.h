/*
 * mailout_int.h - what the mail writers (mailout_*.c, template.c) share; not for other modules.
 */
#ifndef FAXGATE_MAILOUT_MAILOUT_INT_H
#define FAXGATE_MAILOUT_MAILOUT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gmime/gmime.h>

#include "conf/conf.h"
#include "mailout/mailout.h"
#include "mailout/template.h"
#include "util/buf.h"

/* template.c */
/* The folder of the admin's templates: mail_template_dir, else "templates" beside conf_default_path(). */
void template_dir(const struct conf *conf, struct buf *out);
/* Expand a template's text (not a file): what template_expand does once it has the text. */
int template_expand_text(const char *text, size_t len, const struct template_var *vars, size_t nvars,
                         struct buf *subject, struct buf *body, struct buf *err);
/*
 * Append a value as templates put it: valid UTF-8, at most 16 KiB, controls become spaces
 * (one_line) or '?' (otherwise; line breaks and tabs stay).
 */
void template_put_value(struct buf *out, const char *value, bool one_line);
/* The built-in template's text, or NULL. */
const char *template_builtin_text(const char *name);

/* mailout.c */
/*
 * Expand template name for a mail. An admin's template that is broken (malformed, not UTF-8,
 * unreadable) is logged as an error and the built-in one is used instead: a fax or a notice is
 * never lost to a typo in a translation. -1 only when not even a built-in template exists.
 */
int mailout_texts(const struct conf *conf, const char *name, const struct template_var *vars, size_t nvars,
                  struct buf *subject, struct buf *body, struct buf *err);
/* This host's name for Message-IDs and Reporting-MTA: letters, digits, '-' and '.' only. */
void mailout_host(struct buf *out);
/*
 * A new message: From (display name, then mail_from), Date now, Subject, Auto-Submitted, and a
 * Message-ID "<prefix.RANDOM@host>" (random from getrandom) which also goes into out->message_id.
 */
GMimeMessage *mailout_message_new(const struct conf *conf, const char *from_name, const char *id_prefix,
                                  const char *subject, const char *auto_submitted, struct mailout_mail *out);
/* Add a recipient (To); -1 with err when the address is empty, too long or has spaces or controls. */
int mailout_add_to(GMimeMessage *msg, const char *addr, struct buf *err);
/* A text/plain; charset=utf-8 part, 7bit or quoted-printable as its text needs. */
GMimeObject *mailout_text_part(const char *text, size_t len);
/* A part holding data, base64, with a file name (attachment or inline). */
GMimeObject *mailout_data_part(const char *type, const char *subtype, const char *filename, const void *data,
                               size_t len, bool attachment);
/* Write the message into out->message (LF line ends) and drop it. */
void mailout_finish(GMimeMessage *msg, struct mailout_mail *out);
/* Set a header to printable ASCII made of value (anything else '?'), at most max bytes. */
void mailout_set_ascii_header(GMimeObject *obj, const char *name, const char *value, size_t max);
/* Unix time as local time in strftime's fmt ("-" for 0). */
void mailout_time(int64_t t, const char *fmt, struct buf *out);
/* Seconds as "mm:ss" (or "h:mm:ss" from an hour on). */
void mailout_duration(int64_t secs, struct buf *out);
/* Printable ASCII for protocol fields: every other byte '?', at most max bytes. */
void mailout_ascii(const char *s, size_t max, struct buf *out);
/* A file name part: letters, digits, '+', '-' kept, anything else '_', at most max bytes. */
void mailout_filename_part(const char *s, size_t max, struct buf *out);

#endif
