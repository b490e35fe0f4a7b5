"""Email through a real SMTP server on loopback (aiosmtpd): forwards, digests, refusals, a crash."""
import email
import email.policy
import re
import sqlite3
import ssl
import subprocess
import threading
import time

import requests
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from conftest import BINARY, PHONE_UA, Server, form_token, free_port, run

SENDER = "stoplink@stp.example"
RECIPIENT = "ops@acme.example"


class Mailbox:
    """An SMTP server on loopback that keeps every message; `refuse` answers RCPT TO with the
    given replies, one per attempt, before accepting."""

    def __init__(self, refuse=(), port=None, **smtp_options):
        self.messages = []
        self.attempts = 0
        self.refusals = list(refuse)
        self.lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=port or free_port(), **smtp_options)

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.controller.port}"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.attempts += 1
            if self.refusals:
                return self.refusals.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content, session.ssl is not None))
        return "250 Message accepted"

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    def wait_for(self, count, seconds=60):
        deadline = time.monotonic() + seconds
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return [email.message_from_bytes(content, policy=email.policy.default) for _, _, content, _ in self.messages]


def wait_until(condition, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("the condition did not hold in time")


def email_rows(database):
    with sqlite3.connect(database) as db:
        return db.execute("SELECT kind, address, status, attempts, last_error FROM emails ORDER BY id").fetchall()


def serve(database, mailbox_url, *extra):
    return Server(database, demo=True, extra_args=["--smtp-url", mailbox_url, "--smtp-from", SENDER, *extra]).start()


def company_id(server):
    auth = {"Authorization": f"Bearer {server.line_starting('Demo API key: ')}"}
    return requests.get(f"{server.base}/api/v1/company", headers=auth, timeout=10).json()["id"]


def opt_out(server, phone="06 12345678"):
    """Opts a number out through the demo link's page, as a recipient would."""
    link = server.line_starting("Demo link: ")
    session = requests.Session()
    session.headers["User-Agent"] = PHONE_UA
    token = form_token(session.get(link, timeout=10).text)
    response = session.post(link, data={"token": token, "phone": phone}, allow_redirects=False, timeout=10)
    assert response.status_code in (200, 303), response.text


def test_an_opt_out_is_forwarded_with_proper_headers_and_a_masked_number(database):
    mailbox = Mailbox().start()
    server = serve(database, mailbox.url)
    try:
        company = company_id(server)
        added = run("email", "add", "--company", company, "--address", RECIPIENT, "--forward", database=database)
        opt_out(server)

        messages = mailbox.wait_for(1)
    finally:
        server.stop()
        mailbox.stop()

    assert added.stdout.strip() == f"{RECIPIENT}\tforward"
    assert len(messages) == 1
    mail_from, rcpt_tos, _, _ = mailbox.messages[0]
    assert (mail_from, rcpt_tos) == (SENDER, [RECIPIENT])
    message = messages[0]
    assert message["From"] == f"<{SENDER}>" or message["From"] == SENDER
    assert message["To"] in (RECIPIENT, f"<{RECIPIENT}>")
    assert message["Subject"].startswith("Opt-out: •••••••78")
    assert message["Message-ID"].endswith("@stp.example>")
    assert message["Date"] is not None
    assert message["MIME-Version"] == "1.0"
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    body = message.get_content()
    assert "Number:   •••••••78" in body
    assert "612345678" not in body
    assert "Source:   link" in body
    assert email_rows(database) == [("forward", RECIPIENT, "sent", 1, None)]


def test_the_daily_digest_is_queued_once_and_one_can_be_asked_for_by_hand(database):
    first = Server(database, demo=True).start()
    company = company_id(first)
    opt_out(first)
    first.stop()
    run("email", "add", "--company", company, "--address", RECIPIENT, "--digest", database=database)
    mailbox = Mailbox().start()
    server = serve(database, mailbox.url, "--email-digest-hour", "0")
    try:
        scheduled = mailbox.wait_for(1)
        queued = run("email", "digest", "--company", company, database=database)
        both = mailbox.wait_for(2)
        wait_until(lambda: all(row[2] == "sent" for row in email_rows(database)))
    finally:
        server.stop()
        mailbox.stop()

    assert len(scheduled) >= 1
    assert queued.stdout.strip() == "queued 1 digest"
    assert len(both) == 2
    for message in both:
        # The demo's own history may put opt-outs of its earlier campaigns in the last 24 hours;
        # the one made here is the demo campaign's only one.
        subject = re.fullmatch(r"Stoplink digest: (\d+) opt-outs? for Demo Company", str(message["Subject"]))
        assert subject, message["Subject"]
        body = message.get_content()
        assert f"Opt-outs: {subject.group(1)}" in body
        assert "By campaign:" in body
        assert re.search(r"\n  demo: 1\r?\n", body), body
        assert "612345678" not in body
    assert [row[:3] for row in email_rows(database)] == [("digest", RECIPIENT, "sent")] * 2


def test_a_temporary_refusal_is_tried_again_and_then_sent(database):
    mailbox = Mailbox(refuse=["451 4.3.0 try again later"]).start()
    server = serve(database, mailbox.url)
    try:
        run("email", "add", "--company", company_id(server), "--address", RECIPIENT, "--forward", database=database)
        opt_out(server)

        messages = mailbox.wait_for(1)
        rows = wait_until(lambda: [row for row in email_rows(database) if row[2] == "sent"])
    finally:
        server.stop()
        mailbox.stop()

    assert len(messages) == 1
    assert mailbox.attempts == 2
    assert rows == [("forward", RECIPIENT, "sent", 2, None)]


def test_a_permanent_refusal_fails_at_once_is_listed_and_logged_without_the_address(database):
    mailbox = Mailbox(refuse=["550 5.1.1 <ops@acme.example>: no such user"] * 10).start()
    server = serve(database, mailbox.url)
    try:
        company = company_id(server)
        run("email", "add", "--company", company, "--address", RECIPIENT, "--forward", database=database)
        opt_out(server)

        rows = wait_until(lambda: [row for row in email_rows(database) if row[2] == "failed"])
        listed = run("email", "list", "--company", company, database=database)
    finally:
        server.stop()
        mailbox.stop()
    log = server.log_text()

    assert mailbox.messages == []
    assert mailbox.attempts == 1
    assert rows[0][:4] == ("forward", RECIPIENT, "failed", 1)
    assert "550" in rows[0][4]
    assert f"failed\t{RECIPIENT}\tforward\t1 attempts" in listed.stdout
    failed_lines = [line for line in log.splitlines() if "email failed for good" in line]
    assert len(failed_lines) == 1
    assert "error" in failed_lines[0]
    assert "o•••@acme.example" in failed_lines[0]
    assert RECIPIENT not in log
    assert "612345678" not in log


def test_an_email_queued_before_a_crash_arrives_exactly_once_after_the_restart(database):
    port = free_port()
    # Nothing listens on the port yet: the opt-out is acknowledged, the email cannot go out.
    server = serve(database, f"smtp://127.0.0.1:{port}")
    company = company_id(server)
    run("email", "add", "--company", company, "--address", RECIPIENT, "--forward", database=database)
    opt_out(server)
    # The first attempt found no server and was recorded (so no claim is held) before the crash.
    wait_until(lambda: email_rows(database)[0][3] >= 1)
    server.kill()
    assert [row[:3] for row in email_rows(database)] == [("forward", RECIPIENT, "pending")]

    mailbox = Mailbox(port=port).start()
    restarted = Server(database, extra_args=["--smtp-url", mailbox.url, "--smtp-from", SENDER]).start()
    try:
        messages = mailbox.wait_for(1)
        wait_until(lambda: email_rows(database)[0][2] == "sent")
    finally:
        restarted.stop()
        mailbox.stop()

    assert len(mailbox.messages) == 1
    assert messages[0]["Subject"].startswith("Opt-out: •••••••78")


def test_a_bad_smtp_url_or_a_missing_sender_stops_the_start(database):
    for args, problem in [
        (["--smtp-url", "http://mail.example", "--smtp-from", SENDER], "--smtp-url must look like"),
        (["--smtp-url", "smtp://127.0.0.1:2525"], "--smtp-url needs --smtp-from"),
        (["--smtp-url", "smtp://127.0.0.1:2525", "--smtp-from", "a@b.example\r\nBcc: x@y.example"], "--smtp-from must be"),
    ]:
        result = subprocess.run(
            [str(BINARY), "serve", "--database", f"sqlite:{database}", *args],
            capture_output=True, text=True, timeout=60,
        )
        assert result.returncode != 0
        assert problem in result.stderr


def test_the_cli_refuses_a_bad_address_and_removes_a_recipient(database):
    company = run("company", "create", "--name", "Acme", "--country", "nl", database=database).stdout.strip().splitlines()[-1]

    bad = run("email", "add", "--company", company, "--address", "ops@acme.example\nBcc: x@y.example", "--forward", database=database, check=False)
    nothing = run("email", "add", "--company", company, "--address", RECIPIENT, database=database, check=False)
    run("email", "add", "--company", company, "--address", RECIPIENT, "--forward", "--digest", database=database)
    listed = run("email", "list", "--company", company, database=database)
    removed = run("email", "remove", "--company", company, "--address", RECIPIENT, database=database)
    again = run("email", "remove", "--company", company, "--address", RECIPIENT, database=database, check=False)
    empty = run("email", "list", "--company", company, database=database)

    assert bad.returncode != 0
    assert nothing.returncode != 0
    assert listed.stdout.strip() == f"{RECIPIENT}\tforward,digest"
    assert removed.returncode == 0
    assert again.returncode != 0
    assert empty.stdout.strip() == "no recipients"


def test_starttls_and_authentication_with_a_self_signed_certificate(database, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
         "-subj", "/CN=localhost"],
        check=True, capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((mechanism, auth_data.login, auth_data.password, session.ssl is not None))
        return AuthResult(success=(auth_data.login, auth_data.password) == (b"stoplink", b"p@ss:word"))

    mailbox = Mailbox(tls_context=context, require_starttls=True, authenticator=authenticator, auth_required=True).start()
    url = f"smtp://stoplink:p%40ss%3Aword@127.0.0.1:{mailbox.controller.port}?starttls=require&tls_verify=false"
    server = serve(database, url)
    try:
        run("email", "add", "--company", company_id(server), "--address", RECIPIENT, "--forward", database=database)
        opt_out(server)

        messages = mailbox.wait_for(1)
    finally:
        server.stop()
        mailbox.stop()

    assert len(messages) == 1
    assert mailbox.messages[0][3], "the message was not sent over TLS"
    assert logins == [("PLAIN", b"stoplink", b"p@ss:word", True)]


def test_a_server_without_starttls_is_refused_when_the_url_requires_it(database):
    mailbox = Mailbox().start()
    server = serve(database, mailbox.url + "?starttls=require")
    try:
        run("email", "add", "--company", company_id(server), "--address", RECIPIENT, "--forward", database=database)
        opt_out(server)

        rows = wait_until(lambda: [row for row in email_rows(database) if row[3] >= 1])
    finally:
        server.stop()
        mailbox.stop()

    assert mailbox.messages == []
    assert rows[0][2] == "pending"
    assert "STARTTLS" in rows[0][4]
