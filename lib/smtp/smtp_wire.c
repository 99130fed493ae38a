/*
 * smtp_wire.c - libesmtp's callbacks: the message as the relay must get it, the dialogue as the
 * log may show it, and the decisions libesmtp leaves to its caller (certificates).
 *
 * The message reader turns the stored message's bare LF line ends into CRLF, which libesmtp needs
 * to see lines (and so to dot-stuff them). It also aborts the data when AUTH was wanted but did not
 * succeed: libesmtp goes on to MAIL after a failed AUTH (a relay must take mail for its own
 * domains), and we would rather try again later than hand the mail over unauthenticated.
 *
 * The monitor sees every command and reply except the message itself. Each line is logged at
 * debug level, with the AUTH exchange hidden (it carries the password, in base64). From the replies
 * it keeps what smtp.c needs but libesmtp does not expose: the answer that ended a session before
 * MAIL (greeting, EHLO, STARTTLS), whether AUTH succeeded, and the mechanisms the relay offered.
 * Replies come from the relay and may be anything: lines are bounded and cleaned before use.
 */
#include "smtp/smtp_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "util/log.h"

/* The longest reply text kept for messages; the longest reply line buffered. */
#define SMTP_WIRE_REPLY_MAX 400
#define SMTP_WIRE_LINE_MAX  4096

void smtp_wire_clean(struct buf *out, const char *s, size_t len, size_t max)
{
	size_t start = out->len;

	while (len > 0 && (s[len - 1] == '\r' || s[len - 1] == '\n' || s[len - 1] == ' '))
		len--;
	for (size_t i = 0; i < len && out->len - start < max; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r')
			continue; /* the lines of a multi-line text are joined by spaces */
		buf_putc(out, c == '\n' || c == '\t' ? ' ' : c < 0x20 || c >= 0x7f ? '?' : (char)c);
	}
}

/* ---- the message */

struct smtp_reader {
	size_t pos;
	bool prev_cr;
	char out[8192];
};

const char *smtp_wire_message(void **ctx, int *len, void *arg)
{
	struct smtp_run *run = arg;
	struct smtp_reader *r = *ctx;
	size_t n = 0;

	if (!r) {
		/* libesmtp frees the context with free() */
		r = malloc(sizeof *r);
		if (!r) {
			errno = ENOMEM;
			if (len)
				*len = 0;
			return NULL;
		}
		r->pos = 0;
		r->prev_cr = false;
		*ctx = r;
	}
	if (!len) { /* rewind */
		r->pos = 0;
		r->prev_cr = false;
		return NULL;
	}
	if (r->pos > 0 &&
	    ((run->auth_wanted && !run->auth_ok) || (run->tls_mode == CONF_TLS_REQUIRE && !run->tls_ok))) {
		/*
		 * NULL with errno set: libesmtp drops the connection without the final dot (DATA)
		 * or the last chunk (BDAT), so the relay discards what it got. Not at the first
		 * call, which normally holds the whole header section: an abort among the headers
		 * leaks libesmtp's header buffer on its BDAT path.
		 */
		log_debug("relay: message aborted, %s", run->auth_ok ? "no TLS" : "not authenticated");
		errno = EACCES;
		*len = 0;
		return NULL;
	}
	while (r->pos < run->len && n + 2 <= sizeof r->out) {
		char c = run->data[r->pos++];

		if (c == '\n' && !r->prev_cr)
			r->out[n++] = '\r';
		r->out[n++] = c;
		r->prev_cr = c == '\r';
	}
	*len = (int)n;
	return n ? r->out : NULL;
}

/* ---- the dialogue */

static bool smtp_wire_before_mail(const char *cmd)
{
	return !strcmp(cmd, "connect") || !strcmp(cmd, "EHLO") || !strcmp(cmd, "HELO") ||
	       !strcmp(cmd, "STARTTLS");
}

/* A complete reply (run->reply holds its lines). */
static void smtp_wire_reply(struct smtp_run *run, int code)
{
	if (run->auth_pending) {
		if (code == 334) {
			run->auth_secret = true;
			return;
		}
		run->auth_pending = false;
		if (code / 100 == 2) {
			run->auth_ok = true;
		} else {
			buf_reset(&run->auth_reply);
			buf_append(&run->auth_reply, run->reply.data, run->reply.len);
		}
		return;
	}
	if (code == 354) /* the message follows, unseen by the monitor, then its final dot */
		strcpy(run->last_cmd, ".");
	if (code >= 400 && run->failure.len == 0 && smtp_wire_before_mail(run->last_cmd)) {
		buf_printf(&run->failure,
		           "%s: ", strcmp(run->last_cmd, "connect") ? run->last_cmd : "greeting");
		buf_append(&run->failure, run->reply.data, run->reply.len);
	}
}

static void smtp_wire_read_line(struct smtp_run *run, const char *line, size_t n)
{
	struct buf clean = BUF_INIT;
	bool more;
	int code;

	smtp_wire_clean(&clean, line, n, SMTP_WIRE_LINE_MAX);
	log_debug("relay: < %s", buf_cstr(&clean));
	if (clean.len < 3 || !isdigit((unsigned char)clean.data[0]) ||
	    !isdigit((unsigned char)clean.data[1]) || !isdigit((unsigned char)clean.data[2])) {
		buf_free(&clean);
		return;
	}
	code = (clean.data[0] - '0') * 100 + (clean.data[1] - '0') * 10 + (clean.data[2] - '0');
	more = clean.len > 3 && clean.data[3] == '-';
	/* the EHLO reply's AUTH line: "250-AUTH PLAIN LOGIN" */
	if (!strcmp(run->last_cmd, "EHLO") && clean.len > 9 && !strncasecmp(clean.data + 4, "AUTH", 4) &&
	    (clean.data[8] == ' ' || clean.data[8] == '=')) {
		buf_reset(&run->auth_offered);
		buf_puts(&run->auth_offered, clean.data + 9);
	}
	if (run->reply.len == 0)
		buf_append(&run->reply, clean.data,
		           clean.len < SMTP_WIRE_REPLY_MAX ? clean.len : SMTP_WIRE_REPLY_MAX);
	else if (run->reply.len < SMTP_WIRE_REPLY_MAX && clean.len > 4) {
		buf_putc(&run->reply, ' ');
		smtp_wire_clean(&run->reply, clean.data + 4, clean.len - 4,
		                SMTP_WIRE_REPLY_MAX - run->reply.len);
	}
	buf_free(&clean);
	if (more)
		return;
	smtp_wire_reply(run, code);
	buf_reset(&run->reply);
}

static void smtp_wire_write_line(struct smtp_run *run, const char *line, size_t n)
{
	char verb[sizeof run->last_cmd];
	size_t i;

	if (run->auth_secret) {
		run->auth_secret = false;
		log_debug("relay: > (AUTH data, not shown)");
		return;
	}
	for (i = 0; i < n && i < sizeof verb - 1 && line[i] != ' ' && line[i] != '\r' && line[i] != '\n'; i++)
		verb[i] = (char)toupper((unsigned char)line[i]);
	verb[i] = '\0';
	if (strcmp(verb, "QUIT") && strcmp(verb, "RSET")) /* the step that failed, not the goodbye */
		memcpy(run->last_cmd, verb, sizeof verb);
	if (!strcmp(verb, "STARTTLS"))
		run->starttls_tried = true;
	if (!strcmp(verb, "AUTH")) {
		/* "AUTH MECH [initial-response]": the response is the password in disguise */
		struct buf mech = BUF_INIT;
		size_t m = i + 1, e;

		for (e = m; e < n && line[e] != ' ' && line[e] != '\r' && line[e] != '\n'; e++)
			;
		if (m < e)
			smtp_wire_clean(&mech, line + m, e - m, 32);
		run->auth_pending = true;
		log_debug("relay: > AUTH %s%s", buf_cstr(&mech),
		          e < n && line[e] == ' ' ? " (initial response, not shown)" : "");
		buf_free(&mech);
		return;
	}
	if (log_enabled(LOG_LVL_DEBUG)) {
		struct buf clean = BUF_INIT;

		smtp_wire_clean(&clean, line, n, SMTP_WIRE_LINE_MAX);
		log_debug("relay: > %s", buf_cstr(&clean));
		buf_free(&clean);
	}
}

void smtp_wire_monitor(const char *buf, int len, int writing, void *arg)
{
	struct smtp_run *run = arg;
	const char *p = buf, *end = buf + (len > 0 ? len : 0), *nl;

	run->last_activity = time(NULL);
	if (writing == SMTP_CB_WRITING) {
		while (p < end) {
			nl = memchr(p, '\n', (size_t)(end - p));
			smtp_wire_write_line(run, p, (size_t)((nl ? nl + 1 : end) - p));
			p = nl ? nl + 1 : end;
		}
		return;
	}
	if (writing != SMTP_CB_READING)
		return;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) {
			if (run->partial.len + (size_t)(end - p) <= SMTP_WIRE_LINE_MAX)
				buf_append(&run->partial, p, (size_t)(end - p));
			return;
		}
		if (run->partial.len) {
			if (run->partial.len + (size_t)(nl - p) <= SMTP_WIRE_LINE_MAX)
				buf_append(&run->partial, p, (size_t)(nl - p));
			smtp_wire_read_line(run, run->partial.data, run->partial.len);
			buf_reset(&run->partial);
		} else {
			smtp_wire_read_line(run, p, (size_t)(nl - p));
		}
		p = nl + 1;
	}
}

/* ---- events */

/* A certificate problem: accepted with smtp_starttls = try, the end of the session with require. */
static int smtp_wire_cert(struct smtp_run *run, const char *what)
{
	if (run->tls_mode == CONF_TLS_TRY) {
		log_info("relay: %s; TLS used all the same (smtp_starttls = try)", what);
		return 1;
	}
	if (run->tls_problem.len == 0)
		buf_printf(&run->tls_problem, "STARTTLS: %s (smtp_starttls = require)", what);
	return 0;
}

/*
 * libesmtp writes a message in 2 KB pieces and the last, short one waits under Nagle's algorithm
 * until the relay acknowledges the one before, which a relay delaying its ACKs does only after
 * 40 ms: every mail took 40 ms longer than it needs (22 notices a second instead of hundreds).
 * libesmtp does not show its socket, so once it is connected we find it: the newest TCP socket
 * connected to the relay's port at or above the lowest descriptor that was free when the session
 * began, and set TCP_NODELAY on it. Nothing else is touched; when none is found, the mail just goes slower.
 */
static void smtp_wire_nodelay(const struct smtp_run *run)
{
	int one = 1;

	if (run->fd_floor < 0)
		return;
	for (int fd = run->fd_floor + 16; fd >= run->fd_floor; fd--) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		int type = 0;
		socklen_t tlen = sizeof(type);

		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0 || type != SOCK_STREAM ||
		    getpeername(fd, (struct sockaddr *)&peer, &len) < 0)
			continue;
		if (!(peer.ss_family == AF_INET &&
		      ntohs(((struct sockaddr_in *)&peer)->sin_port) == run->port) &&
		    !(peer.ss_family == AF_INET6 &&
		      ntohs(((struct sockaddr_in6 *)&peer)->sin6_port) == run->port))
			continue;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
			log_debug("relay: TCP_NODELAY: %m");
		return;
	}
}

void smtp_wire_event(smtp_session_t session, int event, void *arg, ...)
{
	struct smtp_run *run = arg;
	struct buf what = BUF_INIT;
	va_list ap;
	int *ok;

	va_start(ap, arg);
	switch (event) {
	case SMTP_EV_CONNECT:
		run->connected = true;
		strcpy(run->last_cmd, "connect");
		smtp_connect_timer_stop();
		smtp_wire_nodelay(run);
		log_debug("relay: connected to %s", smtp_get_server_name(session));
		break;
	case SMTP_EV_DISCONNECT:
		log_debug("relay: disconnected");
		break;
	case SMTP_EV_MESSAGEDATA:
		/* the message is going out (the monitor sees none of it, nor anything after BDAT) */
		run->last_activity = time(NULL);
		strcpy(run->last_cmd, ".");
		break;
	case SMTP_EV_MAILSTATUS:
	case SMTP_EV_RCPTSTATUS:
	case SMTP_EV_MESSAGESENT:
		break; /* the monitor logs the replies */
	case SMTP_EV_SYNTAXWARNING:
		log_debug("relay: a reply without an enhanced status code");
		break;
	case SMTP_EV_STARTTLS_OK: {
		const char *cipher;
		int bits;

		(void)va_arg(ap, void *); /* the SSL */
		cipher = va_arg(ap, const char *);
		bits = va_arg(ap, int);
		run->tls_ok = true;
		log_debug("relay: TLS up, %s, %d bits", cipher ? cipher : "?", bits);
		break;
	}
	case SMTP_EV_INVALID_PEER_CERTIFICATE: {
		long code = va_arg(ap, long);

		ok = va_arg(ap, int *);
		buf_printf(&what, "the relay's certificate does not verify: %s", smtp_tls_verify_text(code));
		*ok = smtp_wire_cert(run, buf_cstr(&what));
		break;
	}
	case SMTP_EV_NO_PEER_CERTIFICATE:
		ok = va_arg(ap, int *);
		*ok = smtp_wire_cert(run, "the relay shows no certificate");
		break;
	case SMTP_EV_WRONG_PEER_CERTIFICATE: {
		const char *name;

		ok = va_arg(ap, int *);
		name = va_arg(ap, const char *);
		buf_puts(&what, "the relay's certificate is for ");
		if (name && *name)
			smtp_wire_clean(&what, name, strlen(name), 100);
		else
			buf_puts(&what, "another name");
		buf_printf(&what, ", not %s", smtp_get_server_name(session));
		*ok = smtp_wire_cert(run, buf_cstr(&what));
		break;
	}
	case SMTP_EV_WEAK_CIPHER: {
		int bits = va_arg(ap, int);

		ok = va_arg(ap, int *);
		buf_printf(&what, "the cipher has only %d bits", bits);
		*ok = smtp_wire_cert(run, buf_cstr(&what));
		break;
	}
	case SMTP_EV_NO_CLIENT_CERTIFICATE:
		ok = va_arg(ap, int *);
		*ok = 1; /* we present none */
		break;
	case SMTP_EV_UNUSABLE_CLIENT_CERTIFICATE:
	case SMTP_EV_UNUSABLE_CA_LIST:
		if (run->tls_problem.len == 0)
			buf_puts(&run->tls_problem,
			         "STARTTLS: libesmtp found an unusable certificate file under "
			         "~/.config/libesmtp (only its owner may read it)");
		break;
	case SMTP_EV_EXTNA_STARTTLS:
		if (run->tls_problem.len == 0)
			buf_puts(&run->tls_problem,
			         "the relay does not offer STARTTLS (smtp_starttls = require)");
		break;
	case SMTP_EV_EXTNA_DSN:
	case SMTP_EV_EXTNA_CHUNKING:
	case SMTP_EV_EXTNA_ETRN:
		ok = va_arg(ap, int *); /* "quit now": we require none of these */
		if (ok)
			*ok = 0;
		break;
	default:
		log_debug("relay: libesmtp event %d", event);
		break;
	}
	va_end(ap);
	buf_free(&what);
}
