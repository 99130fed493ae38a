#!/usr/bin/env python3
"""mta_send.py - a small SMTP client for the end-to-end tests (used by mta.sh's mta_send).

It walks one transaction step by step, with no pipelining, so that every reply can be checked on
its own: the greeting, EHLO, AUTH, MAIL FROM, each RCPT TO, DATA and the end of data. It prints
one line per reply:

    STEP CODE TEXT

STEP is connect, ehlo, auth, mail, rcpt:ADDRESS, data, eom or quit; a multi-line reply is joined
with " | ". The last line is always "final CODE TEXT": the reply that decided the transaction (the
end-of-data reply, or the first refusal that ended it: greeting, AUTH, MAIL, every RCPT refused,
DATA). A refused RCPT does not end the transaction while another one was accepted, as with a real
client. The exit status is 0 when the final reply is 2xx, 4 for 4xx, 5 for 5xx and 1 when no
reply came (connection refused or closed, timeout).

usage: mta_send.py [-H HOST] -p PORT [-f FROM] [-a USER:PASSWORD] [-e EHLO] [-t SECONDS] [-N NOTIFY]
                   MESSAGE-FILE RCPT...
MESSAGE-FILE is the message as it goes after DATA (headers, blank line, body); "-" reads stdin.
FROM may be empty for the null sender.
"""

import argparse
import base64
import socket
import sys


class Closed(Exception):
    pass


def read_reply(f):
    """One reply, possibly multi-line: (code, text)."""
    lines = []
    while True:
        line = f.readline(4096)
        if not line:
            raise Closed("connection closed")
        line = line.decode("utf-8", "replace").rstrip("\r\n")
        lines.append(line[4:])
        if len(line) < 4 or line[3] != "-":
            return line[:3], " | ".join(lines)


def main():
    ap = argparse.ArgumentParser(add_help=True)
    ap.add_argument("-H", dest="host", default="127.0.0.1")
    ap.add_argument("-p", dest="port", type=int, required=True)
    ap.add_argument("-f", dest="sender", default="sender@example.test")
    ap.add_argument("-a", dest="auth", default=None)
    ap.add_argument("-e", dest="ehlo", default="client.example.test")
    ap.add_argument("-t", dest="timeout", type=float, default=60)
    ap.add_argument("-N", dest="notify", default=None,
                    help="RFC 3461 NOTIFY for every recipient, e.g. SUCCESS,FAILURE")
    ap.add_argument("message")
    ap.add_argument("rcpts", nargs="+")
    a = ap.parse_args()

    if a.message == "-":
        msg = sys.stdin.buffer.read()
    else:
        with open(a.message, "rb") as fh:
            msg = fh.read()

    def out(step, code, text):
        print(f"{step} {code} {text}", flush=True)

    final = None
    try:
        s = socket.create_connection((a.host, a.port), timeout=a.timeout)
    except OSError as e:
        out("final", "000", f"cannot connect: {e}")
        return 1
    f = s.makefile("rb")

    def cmd(step, line):
        s.sendall(line.encode() + b"\r\n")
        code, text = read_reply(f)
        out(step, code, text)
        return code, text

    try:
        code, text = read_reply(f)
        out("connect", code, text)
        if code[0] != "2":
            final = (code, text)
        else:
            code, text = cmd("ehlo", "EHLO " + a.ehlo)
            if code[0] != "2":
                final = (code, text)
        if final is None and a.auth is not None:
            user, _, password = a.auth.partition(":")
            token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()
            code, text = cmd("auth", "AUTH PLAIN " + token)
            if code[0] != "2":
                final = (code, text)
        if final is None:
            code, text = cmd("mail", f"MAIL FROM:<{a.sender}>")
            if code[0] != "2":
                final = (code, text)
        if final is None:
            accepted = 0
            last = None
            for r in a.rcpts:
                dsn = f" NOTIFY={a.notify}" if a.notify else ""
                code, text = cmd("rcpt:" + r, f"RCPT TO:<{r}>{dsn}")
                last = (code, text)
                if code[0] == "2":
                    accepted += 1
                elif code == "421":
                    break
            if accepted == 0:
                final = last
        if final is None:
            code, text = cmd("data", "DATA")
            if code != "354":
                final = (code, text)
        if final is None:
            body = msg.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            if not body.endswith(b"\r\n"):
                body += b"\r\n"
            # Dot-stuffing: a line starting with "." gets a second one.
            body = b"\r\n".join(b"." + l if l.startswith(b".") else l for l in body.split(b"\r\n"))
            s.sendall(body + b".\r\n")
            code, text = read_reply(f)
            out("eom", code, text)
            final = (code, text)
        try:
            if final[0] != "421":
                cmd("quit", "QUIT")
        except (Closed, OSError):
            pass
    except (Closed, OSError) as e:
        if final is None:
            out("final", "000", f"no reply: {e}")
            return 1
    s.close()
    out("final", final[0], final[1])
    return {"2": 0, "4": 4, "5": 5}.get(final[0][0], 1)


if __name__ == "__main__":
    sys.exit(main())
