/*
 * session.c - the libmilter callbacks: follow the SMTP session and collect a fax mail.
 *
 * Mail without fax recipients is let go at DATA (SMFIS_ACCEPT), so ordinary mail costs the MTA one
 * round trip per stage up to there and nothing more.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "milter.h"
#include "session.h"
#include "util/log.h"
#include "util/xalloc.h"

/*
 * libmilter hands each step of a connection to whichever of its worker threads is free, so the
 * per-thread log context (the queue ID) is set from the session again at every step: left alone it
 * would be missing, or name another connection's mail.
 */
static struct session *session_of(SMFICTX *ctx)
{
	struct session *s = smfi_getpriv(ctx);

	if (s && s->queue_id)
		log_context_set("%s", s->queue_id);
	else
		log_context_clear();
	return s;
}

static void fax_rcpt_free(struct fax_rcpt *r)
{
	free(r->rcpt);
	free(r->number);
	free(r->dial);
	free(r->subaddress);
	free(r->notify);
	free(r->orcpt);
}

void session_message_reset(struct session *s)
{
	free(s->sender);
	free(s->auth_user);
	free(s->queue_id);
	free(s->identity);
	for (size_t i = 0; i < s->nrcpts; i++)
		fax_rcpt_free(&s->rcpts[i]);
	free(s->rcpts);
	buf_free(&s->msg);
	s->sender = s->auth_user = s->queue_id = s->identity = NULL;
	s->rcpts = NULL;
	s->nrcpts = s->nother = 0;
	s->header_len = 0;
	s->policy_done = 0;
	s->too_big = false;
	log_context_clear();
}

void session_reply(SMFICTX *ctx, const char *code, const char *xcode, const char *fmt, ...)
{
	struct buf raw = BUF_INIT, safe = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&raw, fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < raw.len && safe.len < 400; i++) {
		unsigned char c = (unsigned char)raw.data[i];
		if (c == '%')
			buf_puts(&safe, "%%");
		else
			buf_putc(&safe, c >= 0x20 && c < 0x7f ? (char)c : '?');
	}
	if (smfi_setreply(ctx, (char *)code, (char *)xcode, (char *)buf_cstr(&safe)) != MI_SUCCESS)
		log_warning("could not set the reply \"%s %s %s\"", code, xcode, buf_cstr(&safe));
	buf_free(&raw);
	buf_free(&safe);
}

static sfsistat session_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
	struct session *s = xcalloc(1, sizeof(*s));

	(void)host;
	s->rt = runtime_get();
	if (addr && addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)addr)->sin_addr, s->client_addr,
		          sizeof(s->client_addr));
	else if (addr && addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)addr)->sin6_addr, s->client_addr,
		          sizeof(s->client_addr));
	smfi_setpriv(ctx, s);
	return SMFIS_CONTINUE;
}

static char *session_strip_angles(const char *a)
{
	size_t n = strlen(a);

	if (n >= 2 && a[0] == '<' && a[n - 1] == '>')
		return xstrndup(a + 1, n - 2);
	return xstrdup(a);
}

static sfsistat session_envfrom(SMFICTX *ctx, char **argv)
{
	struct session *s = session_of(ctx);
	const char *auth = smfi_getsymval(ctx, (char *)"{auth_authen}");
	const char *qid = smfi_getsymval(ctx, (char *)"i");

	if (!s)
		return SMFIS_TEMPFAIL;
	session_message_reset(s);
	s->sender = session_strip_angles(argv[0] ? argv[0] : "");
	s->auth_user = auth && *auth ? xstrdup(auth) : NULL;
	s->queue_id = qid && *qid ? xstrdup(qid) : NULL;
	if (s->queue_id)
		log_context_set("%s", s->queue_id);
	/* SIZE= announces the mail's size; refuse early what would be refused at the end anyway. */
	for (char **a = argv + 1; *a; a++)
		if (strncasecmp(*a, "SIZE=", 5) == 0 &&
		    strtol(*a + 5, NULL, 10) > s->rt->conf.milter_max_message)
			s->too_big = true;
	return SMFIS_CONTINUE;
}

static sfsistat session_envrcpt(SMFICTX *ctx, char **argv)
{
	struct session *s = session_of(ctx);

	if (!s)
		return SMFIS_TEMPFAIL;
	return rcpt_check(ctx, s, argv);
}

/*
 * DATA is asked for, not skipped (SMFIP_NODATA), for speed alone: for a skipped stage Postfix still
 * sends its macros, a packet no reply follows, so the milter's kernel delays the ACK, and Nagle's
 * algorithm in the MTA then holds back the headers until that ACK comes, about 40 ms later, for
 * every mail over a TCP socket. An answer to DATA acknowledges at once.
 */
static sfsistat session_data(SMFICTX *ctx)
{
	struct session *s = session_of(ctx);

	if (!s)
		return SMFIS_TEMPFAIL;
	/* No fax recipients: nothing for us in this mail; the MTA need not send us a byte of it. */
	return s->nrcpts == 0 ? SMFIS_ACCEPT : SMFIS_CONTINUE;
}

static sfsistat session_header(SMFICTX *ctx, char *name, char *value)
{
	struct session *s = session_of(ctx);

	if (!s)
		return SMFIS_TEMPFAIL;
	if (s->nrcpts == 0)
		return SMFIS_ACCEPT; /* no fax recipients: nothing for us in this mail */
	if (!s->too_big) {
		buf_printf(&s->msg, "%s: %s\r\n", name, value);
		if (s->msg.len > (size_t)s->rt->conf.milter_max_message)
			s->too_big = true;
	}
	return SMFIS_CONTINUE;
}

static sfsistat session_eoh(SMFICTX *ctx)
{
	struct session *s = session_of(ctx);

	if (!s)
		return SMFIS_TEMPFAIL;
	if (s->nrcpts == 0)
		return SMFIS_ACCEPT;
	s->header_len = s->msg.len; /* the jobs keep them for their notices */
	buf_puts(&s->msg, "\r\n");
	return SMFIS_CONTINUE;
}

static sfsistat session_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct session *s = session_of(ctx);

	if (!s)
		return SMFIS_TEMPFAIL;
	if (s->too_big)
		return SMFIS_CONTINUE; /* refused at the end, once the whole mail has been read */
	if (s->msg.len + len > (size_t)s->rt->conf.milter_max_message) {
		s->too_big = true;
		buf_free(&s->msg);
		return SMFIS_CONTINUE;
	}
	buf_append(&s->msg, chunk, len);
	return SMFIS_CONTINUE;
}

static sfsistat session_eom(SMFICTX *ctx)
{
	struct session *s = session_of(ctx);
	sfsistat rc;

	if (!s)
		return SMFIS_TEMPFAIL;
	if (s->nrcpts == 0)
		return SMFIS_ACCEPT;
	if (s->too_big) {
		session_reply(ctx, "552", "5.3.4", "Message too big to fax (the limit is %ld bytes)",
		              s->rt->conf.milter_max_message);
		rc = SMFIS_REJECT;
	} else {
		rc = eom_queue(ctx, s);
	}
	session_message_reset(s);
	return rc;
}

static sfsistat session_abort(SMFICTX *ctx)
{
	struct session *s = session_of(ctx);

	if (s)
		session_message_reset(s);
	return SMFIS_CONTINUE;
}

static sfsistat session_close(SMFICTX *ctx)
{
	struct session *s = session_of(ctx);

	if (s) {
		session_message_reset(s);
		runtime_put(s->rt);
		free(s);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

static sfsistat session_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
                                  unsigned long f3, unsigned long *pf0, unsigned long *pf1,
                                  unsigned long *pf2, unsigned long *pf3)
{
	(void)ctx;
	(void)f2;
	(void)f3;
	/* We add nothing and change nothing but recipients; skip the stages we do not use. */
	*pf0 = f0 & (SMFIF_DELRCPT | SMFIF_ADDHDRS);
	*pf1 = f1 & (SMFIP_NOHELO | SMFIP_NOUNKNOWN);
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

struct smfiDesc milter_callbacks = {
    .xxfi_name = (char *)"faxgate",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = SMFIF_DELRCPT | SMFIF_ADDHDRS,
    .xxfi_connect = session_connect,
    .xxfi_envfrom = session_envfrom,
    .xxfi_envrcpt = session_envrcpt,
    .xxfi_data = session_data,
    .xxfi_header = session_header,
    .xxfi_eoh = session_eoh,
    .xxfi_body = session_body,
    .xxfi_eom = session_eom,
    .xxfi_abort = session_abort,
    .xxfi_close = session_close,
    .xxfi_negotiate = session_negotiate,
};
