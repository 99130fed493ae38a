/*
 * rcpt.c - each recipient decided at RCPT time: not ours, refused with the reason, or a fax.
 *
 * Order: is it a fax address at all; is the number well-formed and allowed by the dial plan; may
 * this sender fax (asked once per message). A refused recipient gets its own 5xx and the others go
 * on unaffected. The policy's answer is temporary (4xx) when the directory cannot be asked.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fax/dialplan.h"
#include "fax/faxaddr.h"
#include "session.h"
#include "util/log.h"
#include "util/xalloc.h"

/* NOTIFY= and ORCPT= from the RCPT's ESMTP parameters (RFC 3461); ORCPT's xtext is kept as sent. */
static void rcpt_dsn_params(char **argv, struct fax_rcpt *r)
{
	for (char **a = argv + 1; *a; a++) {
		if (strncasecmp(*a, "NOTIFY=", 7) == 0 && strlen(*a) < 64 && !r->notify)
			r->notify = xstrdup(*a + 7);
		else if (strncasecmp(*a, "ORCPT=", 6) == 0 && strlen(*a) < 600 && !r->orcpt)
			r->orcpt = xstrdup(*a + 6);
	}
}

static sfsistat rcpt_policy(SMFICTX *ctx, struct session *s)
{
	struct policy_client client = {
	    .addr = s->client_addr[0] ? s->client_addr : NULL,
	    .auth_user = s->auth_user,
	    .sender = s->sender ? s->sender : "",
	};
	struct buf why = BUF_INIT;
	enum policy_rc rc;

	if (s->policy_done == 0) {
		rc = policy_check(s->rt->policy, &client, &s->identity, &why);
		if (rc == POLICY_ALLOW) {
			s->policy_done = 1;
		} else {
			log_notice("sender <%s> client [%s] auth %s may not fax: %s", client.sender,
			           s->client_addr, s->auth_user ? s->auth_user : "-", buf_cstr(&why));
			if (rc == POLICY_TEMPFAIL) {
				session_reply(ctx, "451", "4.4.3", "Cannot check who may fax right now: %s",
				              buf_cstr(&why));
				buf_free(&why);
				return SMFIS_TEMPFAIL; /* asked again at the next recipient or retry */
			}
			s->policy_done = -1;
		}
	}
	if (s->policy_done < 0) {
		session_reply(ctx, "550", "5.7.1", "You are not allowed to send faxes%s%s",
		              why.len ? ": " : "", buf_cstr(&why));
		buf_free(&why);
		return SMFIS_REJECT;
	}
	buf_free(&why);
	return SMFIS_CONTINUE;
}

sfsistat rcpt_check(SMFICTX *ctx, struct session *s, char **argv)
{
	const struct conf *conf = &s->rt->conf;
	struct faxaddr fa = {0};
	struct dialplan_number dn = {0};
	struct buf err = BUF_INIT;
	enum faxaddr_rc arc;
	enum dialplan_rc drc;
	sfsistat rc;

	if (!argv[0])
		return SMFIS_CONTINUE;
	arc = faxaddr_parse(argv[0], conf->fax_domains, &fa, &err);
	if (arc == FAXADDR_NOT_FAX) {
		s->nother++;
		buf_free(&err);
		return SMFIS_CONTINUE;
	}
	if (arc == FAXADDR_MALFORMED) {
		session_reply(ctx, "550", "5.1.3", "%s: %s", argv[0], buf_cstr(&err));
		buf_free(&err);
		return SMFIS_REJECT;
	}
	drc = dialplan_resolve(conf, fa.number, &dn, &err);
	if (drc == DIALPLAN_TEMPFAIL) {
		log_error("recipient %s: %s", argv[0], buf_cstr(&err));
		session_reply(ctx, "451", "4.3.0",
		              "The fax number cannot be checked right now; try again later");
		rc = SMFIS_TEMPFAIL;
		goto out;
	}
	if (drc != DIALPLAN_OK) {
		session_reply(ctx, "550", dialplan_smtp_code(drc), "%s: %s", argv[0], buf_cstr(&err));
		log_info("recipient %s refused: %s", argv[0], buf_cstr(&err));
		rc = SMFIS_REJECT;
		goto out;
	}
	if (s->too_big) {
		session_reply(ctx, "552", "5.3.4", "Message too big to fax (the limit is %ld bytes)",
		              conf->milter_max_message);
		rc = SMFIS_REJECT;
		goto out;
	}
	if (s->nrcpts >= (size_t)conf->milter_max_recipients) {
		session_reply(ctx, "452", "4.5.3", "Too many fax recipients in one message (at most %ld)",
		              conf->milter_max_recipients);
		rc = SMFIS_TEMPFAIL;
		goto out;
	}
	rc = rcpt_policy(ctx, s);
	if (rc != SMFIS_CONTINUE)
		goto out;

	s->rcpts = xreallocarray(s->rcpts, s->nrcpts + 1, sizeof(*s->rcpts));
	struct fax_rcpt *r = &s->rcpts[s->nrcpts++];
	memset(r, 0, sizeof(*r));
	r->rcpt = xstrdup(argv[0]);
	r->number = dn.e164;
	r->dial = dn.dial;
	r->subaddress = fa.subaddress;
	dn.e164 = dn.dial = fa.subaddress = NULL;
	rcpt_dsn_params(argv, r);
	log_info("fax recipient %s: %s, dial %s", argv[0], r->number, r->dial);
out:
	dialplan_number_free(&dn);
	faxaddr_free(&fa);
	buf_free(&err);
	return rc;
}
