/*
 * smtp_int.h - what the files of lib/smtp share: one send's state, seen by libesmtp's callbacks.
 *
 * libesmtp drives the SMTP dialogue itself and tells us about it through three callbacks: the
 * message reader (smtp_wire.c), the protocol monitor and the event callback (smtp_wire.c). They
 * fill struct smtp_run, from which smtp.c decides, after the session, how it went.
 */
#ifndef FAXGATE_SMTP_SMTP_INT_H
#define FAXGATE_SMTP_SMTP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* OpenSSL first: libesmtp.h declares smtp_starttls_set_ctx() only when it sees OpenSSL's types. */
#include <openssl/ssl.h>

#include <auth-client.h>
#include <libesmtp.h>

#include "conf/conf.h"
#include "util/buf.h"

/* The relay as configured: what to hand libesmtp, and how to name it in messages. */
struct smtp_relay {
	char hostport[300]; /* "host:port" for smtp_set_server */
	char name[300];     /* "host:port", for people */
};

struct smtp_run {
	const struct conf *conf;
	const char *data; /* the message as stored */
	size_t len;
	int tls_mode; /* enum conf_starttls for this session */

	/* AUTH: user and password, alive for the session only */
	const char *user;
	char *password;
	bool auth_wanted;

	/* the dialogue as the monitor saw it */
	struct buf partial; /* bytes of a reply line not complete yet */
	struct buf reply;   /* the reply being read, lines joined */
	char last_cmd[16];  /* verb of the last command written ("connect" before the greeting) */
	bool connected;
	bool auth_pending; /* AUTH sent, its final answer not read yet */
	bool auth_secret;  /* the next line written answers a 334 challenge: never shown */
	bool auth_ok;
	struct buf auth_offered; /* the EHLO AUTH line's mechanisms */
	struct buf auth_reply;   /* the answer to an AUTH that failed */
	struct buf failure;      /* first 4xx/5xx before MAIL: "EHLO: 421 ..." */
	bool starttls_tried;     /* STARTTLS was sent */
	bool tls_ok;             /* TLS is up and acceptable */
	struct buf tls_problem;  /* why TLS was not acceptable */
	time_t last_activity;    /* last byte read or written, for telling timeouts */
	int fd_floor; /* the lowest free descriptor before the session: its socket is at or above */
	int port;     /* the relay's port, to tell its socket from others (the directory's) */
};

/* smtp_wire.c: the callbacks, with libesmtp's signatures (arg is the struct smtp_run). */
const char *smtp_wire_message(void **ctx, int *len, void *arg);
void smtp_wire_monitor(const char *buf, int len, int writing, void *arg);
void smtp_wire_event(smtp_session_t session, int event, void *arg, ...);
/* Append s to out with control characters as spaces and at most max bytes of it. */
void smtp_wire_clean(struct buf *out, const char *s, size_t len, size_t max);

/* smtp.c: the event callback calls this once connected (the connect timeout has served). */
void smtp_connect_timer_stop(void);

/* smtp_relay.c: parse conf's smtp_relay; -1 with the reason in err. */
int smtp_relay_parse(const char *relay, struct smtp_relay *r, struct buf *err);

/* smtp_tls.c: the process's SSL_CTX, or NULL with the reason in err. */
SSL_CTX *smtp_tls_ctx(struct buf *err);
/* OpenSSL's words for a certificate verification result. */
const char *smtp_tls_verify_text(long code);

/* smtp_auth.c: read the password file (one line); -1 with the reason in err. Free with smtp_auth_forget. */
int smtp_auth_password(const char *path, char **password, struct buf *err);
void smtp_auth_forget(char **password);
/* libesmtp's interaction callback (auth_interact_t): user and password from the smtp_run. */
int smtp_auth_interact(auth_client_request_t request, char **result, int fields, void *arg);

#endif
