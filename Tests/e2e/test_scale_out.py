"""Scale-out: nginx in front of two `stoplink serve` processes on one PostgreSQL database.

Opt-outs arrive through the recipient's page and the API, through nginx and straight to each
process, while a webhook receiver answers slowly; one process is SIGKILLed mid-run. Every
acknowledged opt-out must be in the feed of both processes exactly once, in order, and reach the
receiver signed; the killed process's claimed deliveries are sent by the other after the lease.
"""
import csv
import io
import os
import shutil
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from standardwebhooks.webhooks import Webhook

from conftest import PHONE_UA, Server, form_token, free_port, run

SERVER_URL = os.environ.get(
    "STOPLINK_TEST_POSTGRES_URL", "postgres://stoplink:stoplink@127.0.0.1:5432/postgres?sslmode=disable"
)
LEASE_SECONDS = 30


def url_for(database):
    parts = urlsplit(SERVER_URL)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))


def database_name(url):
    return urlsplit(url).path.lstrip("/")


def psql(database, sql):
    if shutil.which("psql") is None:
        raise AssertionError("psql is needed for this test: apt-get install postgresql")
    result = subprocess.run(["psql", url_for(database), "-qAtc", sql], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture
def postgres_url():
    name = "stoplink_t_scale_" + uuid.uuid4().hex
    psql("postgres", f"CREATE DATABASE {name}")
    yield url_for(name)
    psql("postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class Nginx:
    """nginx as the load balancer: round robin over the processes, a dead one taken out."""

    def __init__(self, directory, upstream_ports):
        if shutil.which("nginx") is None:
            raise AssertionError("nginx is needed for this test: apt-get install nginx-light")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        servers = "\n".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=3s;" for port in upstream_ports)
        temp = " ".join(f"{kind}_temp_path {directory}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (directory / "nginx.conf").write_text(f"""
{"user root;" if os.geteuid() == 0 else ""}
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log;
events {{ worker_connections 512; }}
http {{
  access_log {directory}/access.log;
  {temp}
  upstream stoplink {{
{servers}
  }}
  server {{
    listen 127.0.0.1:{self.port};
    location / {{
      proxy_pass http://stoplink;
      proxy_set_header Host $http_host;
      proxy_next_upstream error timeout;
    }}
  }}
}}
""")
        self.process = subprocess.Popen(
            ["nginx", "-p", str(directory), "-c", str(directory / "nginx.conf"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            assert self.process.poll() is None, f"nginx exited: {self.process.stderr.read()}"
            time.sleep(0.1)
        raise AssertionError("nginx did not answer")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=20)


class SlowReceiver:
    """Answers each webhook after a pause, so deliveries are in flight when a process dies."""

    def __init__(self, pause):
        self.received = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with outer.lock:
                    outer.received.append((time.monotonic(), dict(self.headers), body))
                time.sleep(pause)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def ids(self):
        with self.lock:
            return [headers["webhook-id"] for _, headers, _ in self.received]

    def wait_for_phones(self, secret, phones, seconds):
        """Waits until every number in `phones` has arrived; answers every verified payload."""
        verifier = Webhook(secret)
        deadline = time.monotonic() + seconds
        while True:
            with self.lock:
                received = list(self.received)
            payloads = [(at, headers["webhook-id"], verifier.verify(body, headers)) for at, headers, body in received]
            if {p["data"]["phone"] for _, _, p in payloads} >= phones or time.monotonic() > deadline:
                return payloads
            time.sleep(0.2)

    def close(self):
        self.server.shutdown()


def feed(base, auth):
    """The whole feed of one process, as (seq, phone) pairs in the order served."""
    response = requests.get(f"{base}/api/v1/feed.csv", headers=auth, timeout=30)
    assert response.status_code == 200, response.text
    return [(int(row["seq"]), row["phone"]) for row in csv.DictReader(io.StringIO(response.text))]


def opt_out_by_page(base, url):
    """Opens a link through `base` and confirms the number; True when acknowledged (303)."""
    path = urlsplit(url).path
    session = requests.Session()
    session.headers["User-Agent"] = PHONE_UA
    try:
        page = session.get(f"{base}{path}", timeout=15)
        if page.status_code != 200:
            return False
        return session.post(
            f"{base}{path}", data={"token": form_token(page.text), "phone": page_phone(url)}, allow_redirects=False, timeout=15
        ).status_code == 303
    except requests.RequestException:
        return False


PHONES = {}


def page_phone(url):
    return PHONES[url]


def opt_out_by_api(base, auth, phone):
    try:
        response = requests.put(
            f"{base}/api/v1/suppressions/{phone.replace('+', '%2B')}", json={"scope": "marketing"}, headers=auth, timeout=15
        )
    except requests.RequestException:
        return False
    return response.status_code in (200, 201)


def test_two_processes_behind_nginx_lose_nothing_and_deliver_once(postgres_url, tmp_path):
    # Two processes migrating at once migrate once.
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: run("migrate", database=postgres_url, check=False), range(2)))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    assert psql(database_name(postgres_url), "SELECT COUNT(*) FROM stoplink_migrations") == "1"

    company = run("company", "create", "--name", "Acme", "--country", "NL", database=postgres_url).stdout.strip().splitlines()[-1]
    key = run("key", "create", "--company", company, "--name", "crm", database=postgres_url).stdout.strip().splitlines()[-1]
    auth = {"Authorization": f"Bearer {key}"}

    ports = [free_port(), free_port()]
    nginx_directory = tmp_path / "nginx"
    nginx_directory.mkdir()
    flags = ["--allow-insecure-webhooks", "--webhook-lease", str(LEASE_SECONDS), "--limit-form", "off",
             "--limit-api", "off", "--limit-unknown-code", "off"]
    servers = [Server(postgres_url, port=port, extra_args=flags).start() for port in ports]
    nginx = Nginx(nginx_directory, ports)
    receiver = SlowReceiver(pause=0.3)
    try:
        endpoint = requests.post(f"{nginx.base}/api/v1/webhooks", json={"url": receiver.url}, headers=auth, timeout=10)
        assert endpoint.status_code == 201, endpoint.text
        secret = endpoint.json()["secret"]
        assert requests.post(f"{nginx.base}/api/v1/campaigns", json={"ref": "spring", "name": "Spring"}, headers=auth,
                             timeout=10).status_code == 201
        phones = [f"+316{20000000 + index}" for index in range(160)]
        issued = requests.post(f"{nginx.base}/api/v1/campaigns/spring/links", json={"recipients": phones}, headers=auth, timeout=30)
        assert issued.status_code == 200, issued.text
        links = {link["phone"]: link["url"] for link in issued.json()["links"]}
        assert len(links) == len(phones)
        for phone, url in links.items():
            PHONES[url] = phone
        # The same numbers issued again through the other process get the same codes.
        again = requests.post(f"{servers[1].base}/api/v1/campaigns/spring/links", json={"recipients": phones[:20]},
                              headers=auth, timeout=30).json()["links"]
        assert [link["url"] for link in again] == [links[p] for p in phones[:20]]

        bases = [nginx.base, servers[0].base, servers[1].base]

        def opt_out(index, allowed_bases):
            phone = phones[index]
            base = allowed_bases[index % len(allowed_bases)]
            done = opt_out_by_page(base, links[phone]) if index % 2 == 0 else opt_out_by_api(base, auth, phone)
            return phone if done else None

        # Phase 1: both processes up; every opt-out acknowledged and delivered exactly once.
        with ThreadPoolExecutor(8) as pool:
            first = [p for p in pool.map(lambda i: opt_out(i, bases), range(80)) if p]
        assert len(first) == 80
        payloads = receiver.wait_for_phones(secret, set(first), seconds=60)
        assert {p["data"]["phone"] for _, _, p in payloads} == set(first)
        ids = receiver.ids()
        assert len(ids) == len(set(ids)) == 80, "a delivery was attempted twice while both processes ran"

        # Phase 2: process 0 is killed while opt-outs arrive through nginx and process 1.
        kill_at = []

        def killer():
            time.sleep(0.5)
            kill_at.append(time.monotonic())
            servers[0].kill()

        threading.Thread(target=killer).start()
        with ThreadPoolExecutor(8) as pool:
            second = [p for p in pool.map(lambda i: opt_out(i, [nginx.base, servers[1].base]), range(80, 160)) if p]
        acknowledged = set(first) | set(second)

        # Every acknowledged opt-out is delivered, signed, also what the dead process had claimed.
        payloads = receiver.wait_for_phones(secret, acknowledged, seconds=LEASE_SECONDS + 60)
        delivered = {p["data"]["phone"] for _, _, p in payloads}
        assert acknowledged <= delivered
        by_id = {}
        for at, webhook_id, payload in payloads:
            by_id.setdefault(webhook_id, []).append((at, payload))
        for webhook_id, attempts in by_id.items():
            assert all(p == attempts[0][1] for _, p in attempts), "a repeated delivery changed its payload"
            if len(attempts) > 1:
                # Only a delivery that was in flight when the process died is sent again.
                assert attempts[0][0] <= kill_at[0] + 1, f"{webhook_id} was sent twice without a process dying"

        # A restarted process and the survivor serve the same feed: each opt-out once, in order.
        servers[0] = Server(postgres_url, port=ports[0], extra_args=flags).start()
        feeds = [feed(server.base, auth) for server in servers]
        assert feeds[0] == feeds[1]
        events = feeds[0]
        assert [seq for seq, _ in events] == list(range(1, len(events) + 1))
        fed = [phone for _, phone in events]
        assert len(fed) == len(set(fed))
        assert acknowledged <= set(fed)
        # Nothing half-written: whatever is in the feed is suppressed, and nothing else is.
        suppressed = int(psql(database_name(postgres_url), "SELECT COUNT(*) FROM suppressions"))
        assert suppressed == len(fed)
    finally:
        receiver.close()
        nginx.stop()
        for server in servers:
            server.stop()
