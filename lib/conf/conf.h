/*
 * conf.h - faxgate's configuration: one struct, one key table (conf_keys.c), one file for all programs.
 *
 * Every program loads the same file (default FAXGATE_SYSCONFDIR/faxgate.conf). The key table is
 * the reference: `faxctl config reference` prints it and docs/configuration.md is checked against it.
 */
#ifndef FAXGATE_CONF_CONF_H
#define FAXGATE_CONF_CONF_H

#include <stdbool.h>

#include "util/buf.h"
#include "util/cfgfile.h"

/* Order matches the choices strings in conf_keys.c. */
enum conf_resolution { CONF_RES_STANDARD, CONF_RES_FINE, CONF_RES_SUPERFINE };
enum conf_paper { CONF_PAPER_A4, CONF_PAPER_LETTER };
enum conf_log_target { CONF_LOG_SYSLOG, CONF_LOG_STDERR };

struct conf {
	/* logging */
	int log_target;
	int log_level; /* enum log_level */
	int log_facility;

	/* rendering: page format */
	int render_resolution;
	int render_paper;
	bool render_chop_blank_end;
	long render_chop_min_mm;
	bool render_drop_blank_pages;
	long render_max_pages;
	long render_text_threshold;
	long render_photo_gamma_pct;
	char *render_text_font;
	char *render_cover_template;

	/* rendering: safety limits for converters */
	long render_cpu_seconds;
	long render_timeout;
	long render_memory;
	long render_office_memory;
	long render_max_output;
	long render_max_image_pixels;
	long render_max_unpacked;
	long render_max_input;
	bool render_isolate_network;
	bool render_isolate_files;
	char *render_user;
	char *render_helper;
	char *render_ghostscript;
	char *render_soffice;
	char *render_tmpdir;

	/* rendering: speed */
	long render_workers;
};

extern const struct cfg_key conf_keys[];

/* The file used when none is given: $FAXGATE_CONF, else FAXGATE_SYSCONFDIR "/faxgate.conf". */
const char *conf_default_path(void);
/* Defaults, then the file at path (NULL: defaults only). Returns 0 or -1 with the problem in err. */
int conf_load(struct conf *c, const char *path, struct buf *err);
void conf_free(struct conf *c);
/*
 * The start of every daemon: parse "-c CONF", load it (default path otherwise) and open the log.
 * Returns 0, or the exit status to end with (2 usage, 1 bad configuration) after saying why.
 */
int conf_daemon_start(int argc, char **argv, const char *ident, struct conf *c);
/* Open the log as configured; tools pass to_stderr so their messages reach the terminal. */
void conf_log_open(const struct conf *c, const char *ident, bool to_stderr);

#endif
