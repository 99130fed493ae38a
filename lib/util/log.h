/*
 * log.h - the one logging API of faxgate.
 *
 * Every program logs through these functions, to syslog (daemons) or stderr (tools and tests).
 * A per-thread context string ("job=42 call=7") is prefixed to each line so a job or call can be
 * followed through the logs. Formats are printf-checked; glibc's %m prints strerror(errno).
 * Messages below the configured level are dropped before formatting. Libraries that have their
 * own log hooks (mupdf, libtiff, glib, spandsp, libpq, libesmtp) are routed here by their users.
 */
#ifndef FAXGATE_UTIL_LOG_H
#define FAXGATE_UTIL_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_level {
	LOG_LVL_ERROR = 0, /* something failed and needs an admin */
	LOG_LVL_WARNING,   /* something failed and was handled */
	LOG_LVL_NOTICE,    /* normal but significant: a job queued, a fax sent */
	LOG_LVL_INFO,      /* progress */
	LOG_LVL_DEBUG,     /* detail for developers */
};

enum log_target { LOG_TO_STDERR, LOG_TO_SYSLOG };

/* ident names the program; facility is a syslog facility name ("mail", "local0"...). */
void log_open(const char *ident, enum log_target target, const char *facility);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
bool log_enabled(enum log_level level);

/* Parse "error|warning|notice|info|debug"; returns -1 when unknown. */
int log_level_parse(const char *name);
const char *log_level_name(enum log_level level);

/* The context prefix of this thread; NULL or "" clears it. */
void log_context_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_context_clear(void);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#define log_error(...)   log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LVL_WARNING, __VA_ARGS__)
#define log_notice(...)  log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...)    log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)                                                                                       \
	do {                                                                                                 \
		if (log_enabled(LOG_LVL_DEBUG))                                                              \
			log_msg(LOG_LVL_DEBUG, __VA_ARGS__);                                                 \
	} while (0)

#endif
