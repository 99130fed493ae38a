/*
 * template.c - the texts of faxgate's mails: load a template (the admin's file, else the built-in
 * one) and expand its ${variables}.
 *
 * The template file is the admin's, but the values are not: a caller id, a remote station id, a
 * subject come from strangers. So values are made valid UTF-8, values in the subject lose every
 * control character (no header can be smuggled in through a line break), values in the body keep
 * only line breaks and tabs, and every size is bounded: a template file, a value, the result.
 */
#include "mailout/template.h"

#include <errno.h>
#include <libgen.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <glib.h>

#include "mailout/mailout_int.h"
#include "util/log.h"
#include "util/xalloc.h"

/* A template file may be this large; anything larger is not a mail text. */
#define TEMPLATE_MAX_FILE ((size_t)64 << 10)
/* Bytes of one value put into a text (an alert's details are the longest). */
#define TEMPLATE_MAX_VALUE ((size_t)16 << 10)
/* Bytes of an expanded body: 64 KiB of template with values in it stays far below. */
#define TEMPLATE_MAX_BODY ((size_t)1 << 20)
/* Bytes of an expanded subject; gmime folds and encodes it. */
#define TEMPLATE_MAX_SUBJECT 400
/* Characters of a variable's name between "${" and "}". */
#define TEMPLATE_MAX_NAME 64

/* Where the admin's templates are: mail_template_dir, else "templates" beside the configuration. */
void template_dir(const struct conf *conf, struct buf *out)
{
	buf_reset(out);
	if (conf->mail_template_dir && conf->mail_template_dir[0]) {
		buf_puts(out, conf->mail_template_dir);
		return;
	}
	/* The configuration does not know its own path: the default one is where it is looked for. */
	char *path = xstrdup(conf_default_path());
	buf_printf(out, "%s/templates", dirname(path));
	free(path);
}

/* The cut at most max bytes into s that does not split a UTF-8 character. */
static size_t template_utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/*
 * Append a value: valid UTF-8 (bad bytes become U+FFFD), bounded, and with control characters
 * replaced: by a space when one_line (line breaks and tabs too), else by '?' (but for line breaks
 * and tabs).
 */
void template_put_value(struct buf *out, const char *value, bool one_line)
{
	gchar *valid = g_utf8_make_valid(value, (gssize)strnlen(value, TEMPLATE_MAX_VALUE * 2));
	size_t len = template_utf8_cut(valid, strlen(valid), TEMPLATE_MAX_VALUE);

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)valid[i];

		if (c == '\r')
			continue;
		if (c < 0x20 || c == 0x7f) {
			if (one_line)
				c = ' ';
			else if (c != '\n' && c != '\t')
				c = '?';
		}
		buf_putc(out, (char)c);
	}
	g_free(valid);
}

static const char *template_lookup(const struct template_var *vars, size_t nvars, const char *name,
                                   size_t len)
{
	for (size_t i = 0; i < nvars; i++)
		if (vars[i].name && strlen(vars[i].name) == len && memcmp(vars[i].name, name, len) == 0)
			return vars[i].value ? vars[i].value : "";
	return NULL;
}

/*
 * Expand s[0..len) into out: ${name} is the variable's value, "$$" a '$'; a '$' starting neither
 * stays as it is, and so does "${" without a well-formed name and '}' (a template is text first).
 */
static void template_subst(const char *s, size_t len, const struct template_var *vars, size_t nvars,
                           bool subject, struct buf *out, size_t max)
{
	size_t i = 0;

	while (i < len && out->len < max) {
		const char *dollar = memchr(s + i, '$', len - i);
		size_t plain = dollar ? (size_t)(dollar - (s + i)) : len - i;

		buf_append(out, s + i, plain);
		i += plain;
		if (i >= len)
			break;
		if (i + 1 < len && s[i + 1] == '$') {
			buf_putc(out, '$');
			i += 2;
			continue;
		}
		if (i + 1 < len && s[i + 1] == '{') {
			size_t n = 0;

			while (i + 2 + n < len && n <= TEMPLATE_MAX_NAME &&
			       (g_ascii_isalnum(s[i + 2 + n]) || s[i + 2 + n] == '_'))
				n++;
			if (n > 0 && n <= TEMPLATE_MAX_NAME && i + 2 + n < len && s[i + 2 + n] == '}') {
				const char *v = template_lookup(vars, nvars, s + i + 2, n);

				/*
				 * Only ${text} (an alert's or summary's details, faxgate's own words) may
				 * span lines; any other value comes from outside (station ids, subjects)
				 * and stays on its line, so it cannot forge lines of the mail's text.
				 */
				if (v)
					template_put_value(
					    out, v, subject || n != 4 || memcmp(s + i + 2, "text", 4) != 0);
				else
					log_debug("template: no variable %.*s", (int)n, s + i + 2);
				i += n + 3;
				continue;
			}
		}
		buf_putc(out, '$');
		i++;
	}
	if (out->len > max) {
		out->len = template_utf8_cut(out->data, out->len, max);
		out->data[out->len] = '\0';
	}
}

int template_expand_text(const char *text, size_t len, const struct template_var *vars, size_t nvars,
                         struct buf *subject, struct buf *body, struct buf *err)
{
	struct buf raw = BUF_INIT;
	const char *p, *end, *nl;
	size_t i;

	buf_reset(subject);
	buf_reset(body);
	if (len > TEMPLATE_MAX_FILE) {
		buf_printf(err, "larger than %zu KiB", TEMPLATE_MAX_FILE >> 10);
		return -1;
	}
	if (!g_utf8_validate(text, (gssize)len, NULL)) {
		buf_puts(err, "not valid UTF-8 text");
		return -1;
	}
	/* Lines end in LF inside faxgate, whatever editor wrote the file. */
	for (i = 0; i < len; i++)
		if (!(text[i] == '\r' && i + 1 < len && text[i + 1] == '\n'))
			buf_putc(&raw, text[i]);
	buf_cstr(&raw);
	p = raw.data;
	end = raw.data + raw.len;
	if (raw.len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) /* a byte order mark some editors add */
		p += 3;
	if ((size_t)(end - p) < 8 || strncasecmp(p, "Subject:", 8) != 0) {
		buf_puts(err, "the first line is not \"Subject: ...\"");
		buf_free(&raw);
		return -1;
	}
	p += 8;
	nl = memchr(p, '\n', (size_t)(end - p));
	if (nl == NULL)
		nl = end;
	while (p < nl && (*p == ' ' || *p == '\t'))
		p++;
	template_subst(p, (size_t)(nl - p), vars, nvars, true, subject, TEMPLATE_MAX_SUBJECT);
	/* The subject is one line whatever the template says: tabs and ends trimmed. */
	for (i = 0; i < subject->len; i++)
		if ((unsigned char)subject->data[i] < 0x20 || subject->data[i] == 0x7f)
			subject->data[i] = ' ';
	while (subject->len && subject->data[subject->len - 1] == ' ')
		subject->data[--subject->len] = '\0';
	p = nl < end ? nl + 1 : end;
	if (p < end && *p == '\n') /* the blank line after the subject */
		p++;
	template_subst(p, (size_t)(end - p), vars, nvars, false, body, TEMPLATE_MAX_BODY);
	buf_cstr(subject);
	buf_cstr(body);
	buf_free(&raw);
	return 0;
}

const char *template_builtin_text(const char *name)
{
	for (const struct template_builtin *t = template_builtins; t->name; t++)
		if (strcmp(t->name, name) == 0)
			return t->text;
	return NULL;
}

int template_expand(const struct conf *conf, const char *name, const struct template_var *vars, size_t nvars,
                    struct buf *subject, struct buf *body, struct buf *err)
{
	struct buf dir = BUF_INIT, path = BUF_INIT, text = BUF_INIT, why = BUF_INIT;
	const char *builtin;
	struct stat st;
	int rc = -1;

	buf_reset(subject);
	buf_reset(body);
	/* Names are faxgate's own, but a name must never climb out of the folder. */
	if (name == NULL || name[0] == '\0' ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(name)) {
		buf_printf(err, "template name \"%s\" is not valid", name ? name : "");
		return -1;
	}
	template_dir(conf, &dir);
	buf_printf(&path, "%s/%s.txt", buf_cstr(&dir), name);
	if (stat(buf_cstr(&path), &st) == 0) {
		if (!S_ISREG(st.st_mode)) {
			buf_printf(err, "template %s: not a regular file", buf_cstr(&path));
		} else if (buf_read_file(&text, buf_cstr(&path), TEMPLATE_MAX_FILE) < 0) {
			if (errno == EFBIG)
				buf_printf(err, "template %s: larger than %zu KiB", buf_cstr(&path),
				           TEMPLATE_MAX_FILE >> 10);
			else
				buf_printf(err, "template %s: %s", buf_cstr(&path), strerror(errno));
		} else if (template_expand_text(text.data ? text.data : "", text.len, vars, nvars, subject,
		                                body, &why) < 0) {
			buf_printf(err, "template %s: %s", buf_cstr(&path), buf_cstr(&why));
		} else {
			rc = 0;
		}
		goto out;
	}
	if (errno != ENOENT && errno != ENOTDIR) {
		buf_printf(err, "template %s: %s", buf_cstr(&path), strerror(errno));
		goto out;
	}
	builtin = template_builtin_text(name);
	if (builtin == NULL) {
		buf_printf(err, "no template \"%s\"", name);
		goto out;
	}
	if (template_expand_text(builtin, strlen(builtin), vars, nvars, subject, body, &why) < 0)
		buf_printf(err, "built-in template %s: %s", name, buf_cstr(&why));
	else
		rc = 0;
out:
	buf_free(&dir);
	buf_free(&path);
	buf_free(&text);
	buf_free(&why);
	return rc;
}
