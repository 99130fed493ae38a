/*
 * template.h - the texts of faxgate's mails, as templates an admin can edit and translate.
 *
 * A template is a file NAME.txt: a first line "Subject: ...", a blank line, then the body. ${name}
 * stands for a variable's value (unknown names expand to nothing; "$$" is a '$'). The file in
 * mail_template_dir (default: "templates" beside the configuration file) wins; a template missing
 * there is the built-in English one (conf/templates, compiled in). Templates are UTF-8.
 */
#ifndef FAXGATE_MAILOUT_TEMPLATE_H
#define FAXGATE_MAILOUT_TEMPLATE_H

#include <stddef.h>

#include "conf/conf.h"
#include "util/buf.h"

struct template_var {
	const char *name;
	const char *value; /* NULL expands to nothing */
};

/*
 * Load template name ("fax", "notice-failure"...) and expand it: subject and body (both reset
 * first). Returns 0, or -1 with err when no such template exists or the file is unreadable or
 * malformed (no Subject line).
 */
int template_expand(const struct conf *conf, const char *name, const struct template_var *vars, size_t nvars,
                    struct buf *subject, struct buf *body, struct buf *err);

/* The built-in templates: name and text, ending with a NULL name (generated from conf/templates). */
struct template_builtin {
	const char *name;
	const char *text;
};
extern const struct template_builtin template_builtins[];

#endif
