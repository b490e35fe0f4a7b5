"""`stoplink serve` on PostgreSQL when the database misbehaves: a wrong URL or password, a schema
that is not current, a server that goes away and comes back, a connection cut mid-opt-out."""
import socket
import struct
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests

from conftest import BINARY, PHONE_UA, ROOT, Server, form_token, free_port, run
from test_scale_out import database_name, postgres_url, psql  # noqa: F401 (a fixture)


class Proxy:
    """A TCP forwarder in front of PostgreSQL that can cut every connection and refuse new ones."""

    def __init__(self, host, port):
        self.target = (host, port)
        self.open = True
        self.sockets = []
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def pump(source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        """The database is away: every connection dropped, new ones refused."""
        self.open = False
        with self.lock:
            sockets, self.sockets = self.sockets, []
        for end in sockets:
            try:
                # A reset, as when a server or the network goes away mid-answer.
                end.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            end.close()

    def restore(self):
        self.open = True

    def close(self):
        self.cut()
        self.listener.close()


def through(proxy, url):
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    return urlunsplit((parts.scheme, f"{netloc[0]}@127.0.0.1:{proxy.port}", parts.path, parts.query, ""))


@pytest.fixture
def proxied(postgres_url):
    parts = urlsplit(postgres_url)
    proxy = Proxy(parts.hostname, parts.port or 5432)
    yield postgres_url, proxy
    proxy.close()


def wait_until(predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def serve_error(database):
    """Starts `serve` expecting it to refuse; answers its exit code and standard error."""
    result = subprocess.run(
        [str(BINARY), "serve", "--port", str(free_port()), "--database", database],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )
    return result.returncode, result.stderr


def test_serve_refuses_a_database_it_cannot_use_with_one_clear_message(postgres_url):
    parts = urlsplit(postgres_url)
    wrong_password = urlunsplit((parts.scheme, f"stoplink:wrong@{parts.hostname}:{parts.port}", parts.path, parts.query, ""))
    nowhere = urlunsplit((parts.scheme, f"{parts.username}:{parts.password}@127.0.0.1:{free_port()}", parts.path, parts.query, ""))
    missing = urlunsplit((parts.scheme, parts.netloc, "/stoplink_t_does_not_exist", parts.query, ""))

    unmigrated = serve_error(postgres_url)
    password = serve_error(wrong_password)
    refused = serve_error(nowhere)
    no_database = serve_error(missing)
    bad_mode = serve_error(postgres_url + "&sslmode=sometimes")

    assert unmigrated[0] != 0 and "run `stoplink migrate` first" in unmigrated[1]
    assert password[0] != 0 and "password authentication failed" in password[1] and "wrong" not in password[1]
    assert refused[0] != 0 and "Connection refused" in refused[1]
    assert no_database[0] != 0 and "does not exist" in no_database[1]
    assert bad_mode[0] != 0 and "sslmode must be one of" in bad_mode[1]
    for _, message in (unmigrated, password, refused, no_database, bad_mode):
        assert "Error:" in message and "Traceback" not in message


def test_readyz_follows_the_database_away_and_back_without_a_restart(proxied):
    url, proxy = proxied
    run("migrate", database=url)
    server = Server(through(proxy, url)).start()
    try:
        assert requests.get(f"{server.base}/readyz", timeout=10).status_code == 200
        proxy.cut()
        assert wait_until(lambda: requests.get(f"{server.base}/readyz", timeout=10).status_code == 503, 30)
        assert requests.get(f"{server.base}/healthz", timeout=10).status_code == 200
        proxy.restore()
        assert wait_until(lambda: requests.get(f"{server.base}/readyz", timeout=10).status_code == 200, 60)
        assert server.process.poll() is None
    finally:
        server.stop()


def test_a_connection_cut_mid_opt_out_leaves_nothing_half_written(proxied):
    url, proxy = proxied
    run("migrate", database=url)
    company = run("company", "create", "--name", "Acme", "--country", "NL", database=url).stdout.strip().splitlines()[-1]
    phones = [f"+316{30000000 + index}" for index in range(60)]
    issued = run("links", "issue", "--company", company, "--campaign", "spring", "-", database=url,
                 input_text="\n".join(phones) + "\n").stdout
    links = {line.split(",")[0]: line.split(",")[2] for line in issued.strip().splitlines()[1:]}
    server = Server(through(proxy, url), extra_args=["--limit-form", "off"]).start()
    cut = threading.Event()

    def opt_out(phone):
        session = requests.Session()
        session.headers["User-Agent"] = PHONE_UA
        path = urlsplit(links[phone]).path
        stage = "GET"
        try:
            page = session.get(f"{server.base}{path}", timeout=30)
            if page.status_code != 200:
                return phone, page.status_code, page.text
            stage = "POST"
            answer = session.post(f"{server.base}{path}", data={"token": form_token(page.text), "phone": phone},
                                  allow_redirects=False, timeout=30)
            return phone, answer.status_code, answer.text
        except requests.Timeout as error:
            return phone, None, f"{stage} {time.monotonic()}: {error}"
        finally:
            if phone == phones[15]:
                cut.set()

    try:
        with ThreadPoolExecutor(6) as pool:
            futures = [pool.submit(opt_out, phone) for phone in phones]
            cut.wait(60)
            proxy.cut()
            print("cut at", time.monotonic())
            time.sleep(1)
            proxy.restore()
            print("restored at", time.monotonic())
            answers = [future.result() for future in futures]
        log = server.log_text()
    finally:
        server.stop()

    hung = [(phone, text) for phone, status, text in answers if status is None]
    assert not hung, f"requests hung past the database's return: {hung}\n{log[-6000:]}"

    acknowledged = {phone for phone, status, _ in answers if status == 303}
    failed = [(status, text) for _, status, text in answers if status != 303]
    # The recipient who lost the database sees a page that says so, never an empty or raw answer.
    for status, text in failed:
        assert status in (500, 503), status
        assert "<html" in text.lower()
    database = database_name(url)
    events = psql(database, "SELECT phone FROM consent_events ORDER BY company_seq").split()
    suppressed = set(psql(database, "SELECT phone FROM suppressions").split())
    assert acknowledged <= set(events)
    assert len(events) == len(set(events)), "an opt-out was recorded twice"
    assert set(events) == suppressed, "a ledger row without its suppression, or the other way round"
    heads = psql(database, "SELECT feed_head FROM companies")
    assert int(heads) == len(events)
    assert psql(database, "SELECT COUNT(*) FROM consent_events WHERE company_seq NOT BETWEEN 1 AND "
                          f"{len(events)}") == "0"
