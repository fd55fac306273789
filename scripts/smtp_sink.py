#!/usr/bin/env python3
"""A real SMTP server (aiosmtpd) that keeps every message it accepts as a .eml file.

Used by Tests/MailTests (SMTP integration tests) and by CI's end-to-end mail check.

    python smtp_sink.py --dir DIR [--port 0] [--starttls CERT KEY | --implicit-tls CERT KEY]
                        [--auth user:password [--auth-mechanisms PLAIN,LOGIN]] [--reject-rcpt]

* Prints "listening on PORT" (the real port, also with --port 0) once it accepts connections.
* Each message is written atomically as DIR/NNNN.eml: the DATA bytes exactly as received after
  the server removed the dot-stuffing (RFC 5321 §4.5.2), CRLF line ends kept; the envelope goes
  beside it as DIR/NNNN.json ({"mail_from": ..., "rcpt_tos": [...]}).
* --auth offers AUTH PLAIN and LOGIN (RFC 4954) and, with TLS, only after TLS (STARTTLS is then
  required before MAIL, RFC 3207 §4); a wrong password gets 535.
* --reject-rcpt answers every RCPT TO with 550.
* SIGTERM or SIGINT: stops accepting, closes, exits 0. So does end of input on standard input
  with --stop-on-stdin-eof, so that a test runner that dies does not leave the sink behind.
"""
import argparse
import asyncio
import json
import logging
import os
import signal
import ssl
import sys
import threading

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class SinkHandler:
    def __init__(self, directory, reject_rcpt):
        self.directory = directory
        self.reject_rcpt = reject_rcpt
        self.count = len([n for n in os.listdir(directory) if n.endswith(".eml")])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject_rcpt:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        stem = os.path.join(self.directory, "%04d" % self.count)
        meta = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}
        write_atomically(stem + ".json", json.dumps(meta).encode("utf-8"))
        # The .eml last: a reader that sees it can also read its envelope.
        write_atomically(stem + ".eml", envelope.original_content)
        return "250 OK queued as %04d" % self.count


def write_atomically(path, data):
    temporary = path + ".tmp"
    with open(temporary, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


class Authenticator:
    def __init__(self, username, password):
        self.username = username.encode("utf-8")
        self.password = password.encode("utf-8")

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = auth_data.login == self.username and auth_data.password == self.password
        return AuthResult(success=ok, handled=False)


def tls_context(cert, key):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description="SMTP sink writing .eml files (aiosmtpd)")
    parser.add_argument("--dir", required=True, help="directory for received messages")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    tls = parser.add_mutually_exclusive_group()
    tls.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    tls.add_argument("--implicit-tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--auth", metavar="USER:PASSWORD")
    parser.add_argument("--auth-mechanisms", default="PLAIN,LOGIN",
                        help="comma-separated AUTH mechanisms to offer (PLAIN, LOGIN)")
    parser.add_argument("--reject-rcpt", action="store_true", help="550 every RCPT TO")
    parser.add_argument("--stop-on-stdin-eof", action="store_true",
                        help="exit when standard input closes (the parent is gone)")
    return parser.parse_args(argv)


def server_factory(arguments):
    handler = SinkHandler(arguments.dir, arguments.reject_rcpt)
    options = {"hostname": "smtp-sink.test", "ident": "smtp_sink"}
    if arguments.starttls:
        options["tls_context"] = tls_context(*arguments.starttls)
        options["require_starttls"] = True
    if arguments.auth:
        username, _, password = arguments.auth.partition(":")
        options["authenticator"] = Authenticator(username, password)
        options["auth_required"] = True
        offered = {m.strip().upper() for m in arguments.auth_mechanisms.split(",")}
        options["auth_exclude_mechanism"] = sorted({"PLAIN", "LOGIN"} - offered)
        # Implicit TLS encrypts from the first byte, which aiosmtpd's STARTTLS bookkeeping
        # does not see: let it offer AUTH there; plain servers keep AUTH behind TLS.
        options["auth_require_tls"] = not arguments.implicit_tls
    return lambda: SMTP(handler, **options)


async def serve(arguments):
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    if arguments.stop_on_stdin_eof:
        def wait_for_eof():
            sys.stdin.buffer.read()
            loop.call_soon_threadsafe(stop.set)
        threading.Thread(target=wait_for_eof, daemon=True).start()
    implicit = tls_context(*arguments.implicit_tls) if arguments.implicit_tls else None
    server = await loop.create_server(
        server_factory(arguments), host=arguments.host, port=arguments.port, ssl=implicit)
    port = server.sockets[0].getsockname()[1]
    print("listening on %d" % port, flush=True)
    await stop.wait()
    server.close()
    try:
        # Python 3.12+ waits here for open sessions too; do not let one keep us alive.
        await asyncio.wait_for(server.wait_closed(), timeout=2)
    except asyncio.TimeoutError:
        pass


def main(argv):
    arguments = parse_arguments(argv)
    # A parent that starts us from a thread with signals blocked (Swift's thread pool does)
    # passes that mask on: unblock what we stop on, or SIGTERM would never arrive.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    # aiosmtpd logs every session (and a deprecation notice per AUTH) on "mail.log": only errors.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    os.makedirs(arguments.dir, exist_ok=True)
    asyncio.run(serve(arguments))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
