/*
 * smtp.h - hand one message to the configured relay over SMTP (libesmtp), with STARTTLS and AUTH
 * as configured, and say precisely how it went: accepted, try again later, or refused for good.
 *
 * The relay is conf->smtp_relay (host[:port], port 25 by default); EHLO name smtp_helo; STARTTLS
 * per smtp_starttls; AUTH when smtp_auth_user is set, the password read from
 * smtp_auth_password_file at each send (never logged, never in err); every answer awaited at most
 * smtp_timeout. libesmtp's own messages are routed into the log.
 */
#ifndef FAXGATE_SMTP_SMTP_H
#define FAXGATE_SMTP_SMTP_H

#include <stddef.h>

#include "conf/conf.h"
#include "util/buf.h"

enum smtp_rc {
	SMTP_SENT = 0, /* 250 after the data, for every recipient */
	SMTP_TEMP,     /* could not connect, TLS or AUTH failed, timeout, 4xx: try again later */
	SMTP_PERM,     /* 5xx for the sender, the data, or every recipient: trying again will not help */
};

struct smtp_message {
	const char *sender;            /* envelope sender; "" is the null sender <> */
	const char *const *recipients; /* envelope recipients */
	size_t nrecipients;
	const char *data; /* the whole message as stored (LF or CRLF line ends; dot-stuffed by the sender) */
	size_t len;
	enum smtp_rc *rcpt_rc; /* out, nrecipients entries: how it went for each recipient */
};

/*
 * Send msg. Recipients the relay accepts get the message once; each recipient's own result is in
 * msg->rcpt_rc (a failure before RCPT, or of the data, applies to all). The result is SMTP_SENT
 * when every recipient is SMTP_SENT or SMTP_PERM and at least one is sent; SMTP_PERM when all are
 * refused for good; SMTP_TEMP otherwise (the caller tries again later for the SMTP_TEMP
 * recipients only). reply (reset first) gets the relay's last meaningful answer or the reason, for
 * logs and alerts, e.g. "451 4.3.0 try later" or "connect to 127.0.0.1:25: Connection refused".
 */
enum smtp_rc smtp_send(const struct conf *conf, const struct smtp_message *msg, struct buf *reply);

#endif
