/*
 * smtp_auth.c - the SMTP AUTH password: read from smtp_auth_password_file at each send, so a
 * changed password needs no restart, handed to libesmtp's SASL client when it asks, and wiped
 * after the session. It never reaches a log line or a reply (smtp_wire.c hides the AUTH exchange).
 */
#include "smtp/smtp_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/log.h"

/* libesmtp's PLAIN and LOGIN clients take at most 255 bytes of user and of password. */
#define SMTP_AUTH_MAX 255

int smtp_auth_password(const char *path, char **password, struct buf *err)
{
	struct buf b = BUF_INIT;
	struct stat st;

	*password = NULL;
	if (!path || !*path) {
		buf_puts(err, "smtp_auth_user is set but smtp_auth_password_file is not");
		return -1;
	}
	if (buf_read_file(&b, path, 4096) < 0) {
		buf_printf(err, "smtp_auth_password_file %s: %s", path,
		           errno == EFBIG ? "too large for a password" : strerror(errno));
		if (b.data)
			explicit_bzero(b.data, b.cap);
		buf_free(&b);
		return -1;
	}
	if (stat(path, &st) == 0 && (st.st_mode & S_IROTH))
		log_warning("smtp_auth_password_file %s is readable by every user: chmod o-r it", path);
	while (b.len > 0 && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
		b.data[--b.len] = '\0';
	if (b.len == 0 || b.len > SMTP_AUTH_MAX || memchr(b.data, '\0', b.len) ||
	    memchr(b.data, '\n', b.len) || memchr(b.data, '\r', b.len)) {
		buf_printf(err,
		           "smtp_auth_password_file %s must hold the password on one line, at most %d bytes",
		           path, SMTP_AUTH_MAX);
		explicit_bzero(b.data, b.cap);
		buf_free(&b);
		return -1;
	}
	*password = buf_steal(&b);
	return 0;
}

void smtp_auth_forget(char **password)
{
	if (!*password)
		return;
	explicit_bzero(*password, strlen(*password));
	free(*password);
	*password = NULL;
}

int smtp_auth_interact(auth_client_request_t request, char **result, int fields, void *arg)
{
	struct smtp_run *run = arg;
	static char empty[] = "";

	for (int i = 0; i < fields; i++) {
		if (request[i].flags & AUTH_USER)
			result[i] = (char *)run->user;
		else if (request[i].flags & AUTH_PASS)
			result[i] = run->password;
		else if (request[i].flags & AUTH_REALM)
			result[i] = empty;
		else
			return 0; /* a mechanism wanting more than user and password: not ours */
		if (!result[i])
			return 0;
	}
	return 1;
}
