"""A mail server as a company runs one, for the window tests: aiosmtpd's Controller on
127.0.0.1 that requires STARTTLS (on the certificate given, self-signed by the test) and a
login before it takes mail, accepting one user and password only. Messages go to a Maildir;
every login attempt is appended to a JSON-lines file as {mechanism, login, accepted} (never
the password). Prints "ready" once it listens; runs until killed.

/usr/bin/python3 smtp_starttls.py --port P --cert C --key K --maildir DIR --logins FILE --user U
with the one password it accepts in the environment, SMTP_TEST_PASSWORD.
"""

import argparse
import json
import logging
import os
import ssl
import threading
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword


def main():
    parser = argparse.ArgumentParser()
    for name in ("--cert", "--key", "--maildir", "--logins", "--user"):
        parser.add_argument(name, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # A client that refuses the certificate is expected (a test checks the app says so): its
    # traceback, and aiosmtpd's own deprecation notice, are noise in the test's output.
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    warnings.simplefilter("ignore", DeprecationWarning)
    password = os.environ["SMTP_TEST_PASSWORD"].encode()

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == args.user.encode()
            and auth_data.password == password
        )
        login = auth_data.login.decode(errors="replace") if isinstance(auth_data, LoginPassword) else None
        with open(args.logins, "a") as log:
            log.write(json.dumps({"mechanism": mechanism, "login": login, "accepted": ok}) + "\n")
        return AuthResult(success=ok, handled=False)

    controller = Controller(
        Mailbox(args.maildir),
        hostname="127.0.0.1",
        port=args.port,
        tls_context=context,
        require_starttls=True,
        auth_require_tls=True,
        auth_required=True,
        authenticator=authenticator,
    )
    controller.start()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
