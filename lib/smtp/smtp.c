/*
 * smtp.c - smtp_send(): one stored message to the relay with libesmtp, and how it went for each
 * recipient: accepted, try again later, or refused for good.
 *
 * One SMTP session per message: faxmailgate sends a few mails a minute, and a session that
 * starts clean makes every failure that message's own. libesmtp runs the dialogue (EHLO, STARTTLS,
 * AUTH, pipelining, dot-stuffing); we give it the message through a callback (smtp_wire.c) and
 * read the outcome from its per-recipient status after the session, completed by what the
 * protocol monitor saw of the parts libesmtp does not report (greeting, EHLO, STARTTLS, AUTH).
 *
 * Waiting: every answer is awaited at most smtp_timeout (libesmtp's five timeouts, set below
 * their RFC minimums). libesmtp's connect() has no timeout of its own; a relay that drops our SYN
 * would hold us for minutes, so while connecting a SIGALRM without SA_RESTART interrupts it after
 * smtp_timeout (the event callback stops the timer once connected). SIGPIPE is ignored for the
 * session: a relay that closes early must not end the process.
 *
 * TLS (smtp_starttls): "no" never; "try" when the relay offers it, accepting any certificate
 * (unverifiable ones are logged at info) since the alternative is plain text anyway, and sending
 * in plain text once more when the TLS handshake itself fails; "require" only over TLS with a
 * certificate that the system's CAs (or SSL_CERT_FILE) verify for the relay's name, else the mail
 * waits. AUTH (smtp_auth_user): libesmtp's SASL client, PLAIN and LOGIN allowed; when AUTH fails
 * or the relay offers none we use, nothing is handed over and the mail waits.
 */
#include "smtp/smtp.h"
#include "smtp/smtp_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "util/log.h"
#include "util/xalloc.h"

/* ---- signals around a session */

struct smtp_signals {
	struct sigaction old_alarm, old_pipe;
	struct itimerval old_timer;
};

static void smtp_alarm(int sig)
{
	(void)sig; /* only to interrupt connect() */
}

static void smtp_signals_set(struct smtp_signals *s, long timeout)
{
	struct sigaction sa;
	struct itimerval t = {{timeout, 0}, {timeout, 0}};

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &s->old_pipe);
	sa.sa_handler = smtp_alarm; /* no SA_RESTART: connect() returns EINTR */
	sigaction(SIGALRM, &sa, &s->old_alarm);
	/* repeating: libesmtp tries each address of the relay in turn */
	setitimer(ITIMER_REAL, &t, &s->old_timer);
}

void smtp_connect_timer_stop(void)
{
	struct itimerval off;

	memset(&off, 0, sizeof off);
	setitimer(ITIMER_REAL, &off, NULL);
}

static void smtp_signals_restore(struct smtp_signals *s)
{
	smtp_connect_timer_stop();
	sigaction(SIGALRM, &s->old_alarm, NULL);
	sigaction(SIGPIPE, &s->old_pipe, NULL);
	if (s->old_timer.it_value.tv_sec || s->old_timer.it_value.tv_usec)
		setitimer(ITIMER_REAL, &s->old_timer, NULL);
}

/* ---- checks */

/*
 * An address libesmtp can put between <> as it is: no blanks or control characters (a CR LF
 * would start a command of its own), no angle brackets, ASCII only (libesmtp has no SMTPUTF8).
 */
static bool smtp_address_ok(const char *a, bool empty_ok)
{
	size_t n = a ? strlen(a) : 0;

	if (n == 0)
		return a && empty_ok;
	if (n > 254)
		return false;
	for (const unsigned char *p = (const unsigned char *)a; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '<' || *p == '>')
			return false;
	return true;
}

static bool smtp_name_ok(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n > 255)
		return false;
	for (const unsigned char *p = (const unsigned char *)h; *p; p++)
		if (*p <= ' ' || *p >= 0x7f)
			return false;
	return true;
}

/* ---- outcome */

static void smtp_status_put(struct buf *out, const smtp_status_t *st)
{
	buf_printf(out, "%d", st->code);
	if (st->enh_class)
		buf_printf(out, " %d.%d.%d", st->enh_class, st->enh_subject, st->enh_detail);
	if (st->text && *st->text) {
		buf_putc(out, ' ');
		smtp_wire_clean(out, st->text, strlen(st->text), 300);
	}
}

static enum smtp_rc smtp_class(int code)
{
	return code / 100 == 2 ? SMTP_SENT : code / 100 == 5 ? SMTP_PERM : SMTP_TEMP;
}

/* Why a session ended before MAIL got an answer. */
static void smtp_session_reason(const struct conf *conf, const struct smtp_relay *relay, struct smtp_run *run,
                                int err, struct buf *out)
{
	char ebuf[128];
	const char *etext, *step;

	if (run->tls_problem.len) {
		buf_append(out, run->tls_problem.data, run->tls_problem.len);
		return;
	}
	if (run->failure.len) {
		buf_append(out, run->failure.data, run->failure.len);
		return;
	}
	etext = smtp_strerror(err, ebuf, sizeof ebuf);
	if (!run->connected) {
		buf_printf(out, "connect to %s: %s", relay->name,
		           err == -EINTR ? "timed out"
		           : etext       ? etext
		                         : "failed");
		return;
	}
	step = !strcmp(run->last_cmd, "connect") ? "connecting"
	       : !strcmp(run->last_cmd, ".")     ? "the message"
	                                         : run->last_cmd;
	if (time(NULL) - run->last_activity >= conf->smtp_timeout - 1)
		buf_printf(out, "%s did not answer within %lds after %s", relay->name, conf->smtp_timeout,
		           step);
	else
		buf_printf(out, "connection to %s lost after %s%s%s", relay->name, step, etext ? ": " : "",
		           etext ? etext : "");
}

static void smtp_auth_reason(struct smtp_run *run, struct buf *out)
{
	if (run->auth_reply.len) {
		buf_puts(out, "AUTH failed: ");
		buf_append(out, run->auth_reply.data, run->auth_reply.len);
	} else if (run->auth_offered.len) {
		buf_printf(out,
		           "the relay offers no AUTH mechanism faxgate uses (PLAIN, LOGIN): it offers %s",
		           buf_cstr(&run->auth_offered));
	} else {
		buf_printf(out, "the relay offers no AUTH%s",
		           run->tls_ok || run->tls_mode == CONF_TLS_NO ? "" : " (without TLS)");
	}
}

/*
 * After the session: each recipient's outcome into msg->rcpt_rc (valid[i] false: refused by us
 * already), and the words into reply.
 */
static void smtp_outcome(const struct conf *conf, const struct smtp_message *msg,
                         const struct smtp_relay *relay, struct smtp_run *run, smtp_message_t m,
                         smtp_recipient_t *r, int err, struct buf *reply)
{
	const smtp_status_t *mail = smtp_reverse_path_status(m);
	const smtp_status_t *data = smtp_message_transfer_status(m);
	/* a 354 left by a session that ended during the message is no verdict */
	int data_code =
	    data && data->code >= 200 && data->code < 600 && data->code / 100 != 3 ? data->code : 0;
	bool any_accepted = false, unanswered = false;

	if (run->auth_wanted && !run->auth_ok && run->connected && run->tls_problem.len == 0 &&
	    run->failure.len == 0) {
		smtp_auth_reason(run, reply);
		return; /* every recipient stays SMTP_TEMP: nothing was handed over */
	}
	if (!mail || mail->code == 0) {
		smtp_session_reason(conf, relay, run, err, reply);
		return;
	}
	if (mail->code / 100 != 2) {
		buf_puts(reply, "MAIL FROM: ");
		smtp_status_put(reply, mail);
		for (size_t i = 0; i < msg->nrecipients; i++)
			if (r[i])
				msg->rcpt_rc[i] = smtp_class(mail->code);
		return;
	}
	for (size_t i = 0; i < msg->nrecipients; i++) {
		const smtp_status_t *st = r[i] ? smtp_recipient_status(r[i]) : NULL;

		if (st && st->code / 100 == 2)
			any_accepted = true;
	}
	if (data_code && any_accepted)
		smtp_status_put(reply, data);
	for (size_t i = 0; i < msg->nrecipients; i++) {
		const smtp_status_t *st;
		int code;

		if (!r[i])
			continue;
		st = smtp_recipient_status(r[i]);
		code = st ? st->code : 0;
		if (code / 100 == 2)
			msg->rcpt_rc[i] = data_code ? smtp_class(data_code) : SMTP_TEMP;
		else
			msg->rcpt_rc[i] = code ? smtp_class(code) : SMTP_TEMP;
		if (code == 0 || (code / 100 == 2 && !data_code))
			unanswered = true;
		if (code && code / 100 != 2) {
			buf_printf(reply, "%s<%s>: ", reply->len ? "; " : "", msg->recipients[i]);
			smtp_status_put(reply, st);
		}
	}
	if (unanswered) {
		/* the session ended before the relay said what became of the message */
		struct buf why = BUF_INIT;

		smtp_session_reason(conf, relay, run, err, &why);
		buf_printf(reply, "%s%s", reply->len ? "; " : "", buf_cstr(&why));
		buf_free(&why);
	}
}

/* ---- one session */

static void smtp_failed(struct buf *reply, const char *what)
{
	char ebuf[128];
	const char *e = smtp_strerror(smtp_errno(), ebuf, sizeof ebuf);

	buf_printf(reply, "libesmtp: %s: %s", what, e ? e : "failed");
}

/*
 * Run one session with STARTTLS as tls_mode says. Returns true when smtp_starttls = try should
 * send again without TLS (the handshake failed before anything was handed over).
 */
static bool smtp_session(const struct conf *conf, const struct smtp_message *msg,
                         const struct smtp_relay *relay, const bool *valid, struct smtp_run *run,
                         struct buf *reply)
{
	smtp_session_t s = smtp_create_session();
	smtp_message_t m = s ? smtp_add_message(s) : NULL;
	smtp_recipient_t *r = xcalloc(msg->nrecipients ? msg->nrecipients : 1, sizeof *r);
	auth_context_t auth = NULL;
	struct smtp_signals sig;
	struct buf why = BUF_INIT;
	const char *helo = conf->smtp_helo && *conf->smtp_helo ? conf->smtp_helo : NULL;
	bool retry = false;
	int err;

	if (!m) {
		smtp_failed(reply, "no session");
		goto out;
	}
	if (!smtp_set_server(s, relay->hostport) || !smtp_set_hostname(s, helo) ||
	    !smtp_set_reverse_path(m, msg->sender) || !smtp_set_messagecb(m, smtp_wire_message, run) ||
	    !smtp_set_monitorcb(s, smtp_wire_monitor, run, 0) || !smtp_set_eventcb(s, smtp_wire_event, run)) {
		smtp_failed(reply, "session set-up");
		goto out;
	}
	for (size_t i = 0; i < msg->nrecipients; i++)
		if (valid[i] && !(r[i] = smtp_add_recipient(m, msg->recipients[i]))) {
			smtp_failed(reply, "recipient set-up");
			goto out;
		}
	for (int which = Timeout_GREETING; which <= Timeout_DATA2; which++)
		smtp_set_timeout(s, which | Timeout_OVERRIDE_RFC2822_MINIMUM, conf->smtp_timeout * 1000L);

	if (run->tls_mode != CONF_TLS_NO) {
		SSL_CTX *ctx = smtp_tls_ctx(&why);

		if (ctx) {
			smtp_starttls_set_ctx(s, ctx);
			smtp_starttls_enable(s, run->tls_mode == CONF_TLS_TRY ? Starttls_ENABLED
			                                                      : Starttls_REQUIRED);
		} else if (run->tls_mode == CONF_TLS_REQUIRE) {
			buf_printf(reply, "STARTTLS impossible: %s", buf_cstr(&why));
			goto out;
		} else {
			log_warning("STARTTLS impossible, sending without: %s", buf_cstr(&why));
			run->tls_mode = CONF_TLS_NO;
		}
	}
	if (run->tls_mode == CONF_TLS_NO)
		smtp_starttls_enable(s, Starttls_DISABLED);
	if (run->auth_wanted) {
		auth = auth_create_context();
		if (!auth || !auth_set_mechanism_flags(auth, AUTH_PLUGIN_PLAIN, 0) ||
		    !auth_set_interact_cb(auth, smtp_auth_interact, run) || !smtp_auth_set_context(s, auth)) {
			smtp_failed(reply, "AUTH set-up");
			goto out;
		}
	}

	run->last_activity = time(NULL);
	smtp_signals_set(&sig, conf->smtp_timeout);
	run->port = atoi(strrchr(relay->hostport, ':') + 1); /* smtp_relay_parse always writes host:port */
	run->fd_floor = open("/dev/null", O_RDONLY | O_CLOEXEC); /* the lowest free descriptor now */
	if (run->fd_floor >= 0)
		close(run->fd_floor);
	(void)smtp_start_session(s); /* the outcome is in the statuses and the monitor's notes */
	err = smtp_errno();
	smtp_signals_restore(&sig);
	if (err && log_enabled(LOG_LVL_DEBUG)) {
		char ebuf[128];
		const char *e = smtp_strerror(err, ebuf, sizeof ebuf);

		log_debug("relay: libesmtp says: %s", e ? e : "?");
	}

	/* smtp_starttls = try: a relay that offers STARTTLS but cannot do it gets the mail in plain text */
	retry =
	    run->tls_mode == CONF_TLS_TRY && run->starttls_tried && !run->tls_ok && run->tls_problem.len == 0;
	if (!retry)
		smtp_outcome(conf, msg, relay, run, m, r, err, reply);
out:
	if (s)
		smtp_destroy_session(s);
	if (auth)
		auth_destroy_context(auth);
	free(r);
	buf_free(&why);
	return retry;
}

static void smtp_run_reset(struct smtp_run *run)
{
	buf_free(&run->partial);
	buf_free(&run->reply);
	buf_free(&run->auth_offered);
	buf_free(&run->auth_reply);
	buf_free(&run->failure);
	buf_free(&run->tls_problem);
	memset(run->last_cmd, 0, sizeof run->last_cmd);
	strcpy(run->last_cmd, "connect");
	run->connected = run->auth_pending = run->auth_secret = run->auth_ok = false;
	run->starttls_tried = run->tls_ok = false;
}

enum smtp_rc smtp_send(const struct conf *conf, const struct smtp_message *msg, struct buf *reply)
{
	static bool auth_init, warned_clear;
	struct smtp_run run;
	struct smtp_relay relay;
	bool *valid = xcalloc(msg->nrecipients ? msg->nrecipients : 1, sizeof *valid);
	size_t nvalid = 0, sent = 0, temp = 0;
	enum smtp_rc rc;

	buf_reset(reply);
	memset(&run, 0, sizeof run);
	for (size_t i = 0; i < msg->nrecipients; i++) {
		valid[i] = smtp_address_ok(msg->recipients[i], false);
		msg->rcpt_rc[i] = valid[i] ? SMTP_TEMP : SMTP_PERM;
		nvalid += valid[i];
	}
	if (!smtp_address_ok(msg->sender, true)) {
		for (size_t i = 0; i < msg->nrecipients; i++)
			msg->rcpt_rc[i] = SMTP_PERM;
		buf_puts(reply, "the envelope sender is not an address faxgate can send");
		goto done;
	}
	if (nvalid == 0) {
		buf_puts(reply, msg->nrecipients ? "no recipient is an address faxgate can send to"
		                                 : "no recipients");
		goto done;
	}
	if (smtp_relay_parse(conf->smtp_relay, &relay, reply) < 0)
		goto done;
	if (conf->smtp_helo && *conf->smtp_helo && !smtp_name_ok(conf->smtp_helo)) {
		buf_puts(reply, "smtp_helo is not a host name");
		goto done;
	}
	run.conf = conf;
	run.data = msg->data;
	run.len = msg->len;
	run.tls_mode = conf->smtp_starttls;
	if (conf->smtp_auth_user && *conf->smtp_auth_user) {
		if (!smtp_address_ok(conf->smtp_auth_user, false) || strlen(conf->smtp_auth_user) > 255) {
			buf_puts(reply, "smtp_auth_user is not a user name faxgate can send");
			goto done;
		}
		if (smtp_auth_password(conf->smtp_auth_password_file, &run.password, reply) < 0)
			goto done;
		run.user = conf->smtp_auth_user;
		run.auth_wanted = true;
		if (!auth_init) {
			auth_client_init();
			auth_init = true;
		}
		if (conf->smtp_starttls == CONF_TLS_NO && !warned_clear) {
			log_warning("smtp_auth_user is set and smtp_starttls = no: the password goes to %s "
			            "unencrypted",
			            relay.name);
			warned_clear = true;
		}
	}

	smtp_run_reset(&run);
	if (smtp_session(conf, msg, &relay, valid, &run, reply)) {
		log_info("relay %s: STARTTLS failed (%s); sending without TLS (smtp_starttls = try)",
		         relay.name, run.failure.len ? buf_cstr(&run.failure) : "TLS handshake");
		smtp_run_reset(&run);
		run.tls_mode = CONF_TLS_NO;
		buf_reset(reply);
		smtp_session(conf, msg, &relay, valid, &run, reply);
	}
done:
	smtp_auth_forget(&run.password);
	smtp_run_reset(&run);
	free(valid);
	for (size_t i = 0; i < msg->nrecipients; i++) {
		sent += msg->rcpt_rc[i] == SMTP_SENT;
		temp += msg->rcpt_rc[i] == SMTP_TEMP;
	}
	rc = temp ? SMTP_TEMP : sent ? SMTP_SENT : SMTP_PERM;
	if (reply->len == 0)
		buf_puts(reply, rc == SMTP_SENT ? "sent" : "not sent");
	return rc;
}
