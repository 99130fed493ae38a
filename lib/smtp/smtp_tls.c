/*
 * smtp_tls.c - the one SSL_CTX every STARTTLS session of this process uses.
 *
 * Why not libesmtp's own: libesmtp 1.1.0 keeps the SSL_CTX it makes in a static variable but
 * frees it when the first session that used it is destroyed, so the next TLS session of the same
 * process would use freed memory (fixed upstream after 1.1.0 by not caching). Handing it our
 * context with smtp_starttls_set_ctx() avoids that: libesmtp takes and drops its own reference
 * per session, ours keeps the context alive.
 *
 * The context trusts the system's certificate authorities (OpenSSL's default paths, which
 * SSL_CERT_FILE and SSL_CERT_DIR override). Whether a certificate that does not verify is
 * accepted is decided per session by the event callback (smtp_wire.c).
 *
 * It speaks TLS 1.2 only. libesmtp 1.1, once TLS is up, queues EHLO and then polls the socket; when
 * the socket is readable it reads before it sends, waiting for the answer to an EHLO still in its
 * buffer. A TLS 1.3 server sends its session tickets just after the handshake, which makes the
 * socket readable at that moment often enough (with Postfix on loopback, one session in ten): the
 * session then hangs until smtp_timeout and fails. TLS 1.2 carries its tickets inside the
 * handshake, so nothing arrives unasked. A relay that speaks TLS 1.3 only gets the mail in plain
 * text with smtp_starttls = try, and none with require.
 */
#include "smtp/smtp_int.h"

#include <stdio.h>

static struct {
	bool tried;
	SSL_CTX *ctx;
	char why[200];
} smtp_tls;

static void smtp_tls_init(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx) {
		snprintf(smtp_tls.why, sizeof smtp_tls.why, "OpenSSL cannot make a TLS context");
		return;
	}
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) || !SSL_CTX_set_default_verify_paths(ctx)) {
		SSL_CTX_free(ctx);
		snprintf(smtp_tls.why, sizeof smtp_tls.why, "OpenSSL cannot set up a TLS context");
		return;
	}
	smtp_tls.ctx = ctx;
}

SSL_CTX *smtp_tls_ctx(struct buf *err)
{
	if (!smtp_tls.tried) {
		smtp_tls.tried = true;
		smtp_tls_init();
	}
	if (!smtp_tls.ctx)
		buf_puts(err, smtp_tls.why);
	return smtp_tls.ctx;
}

const char *smtp_tls_verify_text(long code)
{
	return X509_verify_cert_error_string(code);
}
