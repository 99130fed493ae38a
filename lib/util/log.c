/*
 * log.c - syslog or stderr logging with levels and a per-thread context prefix.
 */
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static const char *log_ident = "faxgate";
static enum log_target log_target_now = LOG_TO_STDERR;
static enum log_level log_level_now = LOG_LVL_NOTICE;
static __thread char log_context[128];

static const struct {
	const char *name;
	int syslog_priority;
} log_levels[] = {
    [LOG_LVL_ERROR] = {"error", LOG_ERR},      [LOG_LVL_WARNING] = {"warning", LOG_WARNING},
    [LOG_LVL_NOTICE] = {"notice", LOG_NOTICE}, [LOG_LVL_INFO] = {"info", LOG_INFO},
    [LOG_LVL_DEBUG] = {"debug", LOG_DEBUG},
};

static const struct {
	const char *name;
	int facility;
} log_facilities[] = {
    {"mail", LOG_MAIL},     {"daemon", LOG_DAEMON}, {"user", LOG_USER},     {"local0", LOG_LOCAL0},
    {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},
    {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
};

void log_open(const char *ident, enum log_target target, const char *facility)
{
	int fac = LOG_MAIL;

	log_ident = ident;
	log_target_now = target;
	if (facility != NULL)
		for (size_t i = 0; i < sizeof(log_facilities) / sizeof(log_facilities[0]); i++)
			if (strcmp(facility, log_facilities[i].name) == 0)
				fac = log_facilities[i].facility;
	if (target == LOG_TO_SYSLOG)
		openlog(ident, LOG_PID | LOG_NDELAY, fac);
}

void log_set_level(enum log_level level)
{
	log_level_now = level;
}

enum log_level log_get_level(void)
{
	return log_level_now;
}

bool log_enabled(enum log_level level)
{
	return level <= log_level_now;
}

int log_level_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++)
		if (strcmp(name, log_levels[i].name) == 0)
			return (int)i;
	return -1;
}

const char *log_level_name(enum log_level level)
{
	return log_levels[level].name;
}

void log_context_set(const char *fmt, ...)
{
	va_list ap;

	if (fmt == NULL) {
		log_context[0] = '\0';
		return;
	}
	va_start(ap, fmt);
	vsnprintf(log_context, sizeof(log_context), fmt, ap);
	va_end(ap);
}

void log_context_clear(void)
{
	log_context[0] = '\0';
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char text[2048];
	int saved_errno = errno;

	if (!log_enabled(level))
		return;
	errno = saved_errno; /* keep %m meaningful */
	vsnprintf(text, sizeof(text), fmt, ap);
	/* Hostile strings may reach a log line: never let them forge extra lines. */
	for (char *p = text; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (log_target_now == LOG_TO_SYSLOG) {
		syslog(log_levels[level].syslog_priority, "%s%s%s: %s", log_context,
		       log_context[0] ? " " : "", log_levels[level].name, text);
	} else {
		fprintf(stderr, "%s[%ld]: %s%s%s: %s\n", log_ident, (long)getpid(), log_context,
		        log_context[0] ? " " : "", log_levels[level].name, text);
	}
	errno = saved_errno;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void log_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERROR, fmt, ap);
	va_end(ap);
	exit(EXIT_FAILURE);
}
