"""SIGTERM under load: every acknowledged opt-out is stored, no answer is a server error, page
views queued in memory are written, and the process exits 0 within its shutdown bound."""
import queue
import re
import signal
import socket
import threading

import requests

from conftest import PHONE_UA, Server, form_token

SHUTDOWN_BOUND = 10
FORM_WORKERS = 3
API_WORKERS = 1


def national(phone):
    """+31612345678 as a Dutch visitor types it: 0612345678."""
    return "0" + phone[3:]


class Load:
    """Opt-outs at full speed from several threads, through the page form and the API."""

    def __init__(self, server, key, links):
        self.server = server
        self.auth = {"Authorization": f"Bearer {key}"}
        self.links = queue.Queue()
        for link in links:
            self.links.put(link)
        self.lock = threading.Lock()
        self.acknowledged = []
        self.pages_served = 0
        self.server_errors = []
        self.refused = []
        self.enough = threading.Event()
        self.threads = [threading.Thread(target=self.forms) for _ in range(FORM_WORKERS)]
        self.threads += [threading.Thread(target=self.api) for _ in range(API_WORKERS)]

    def start(self):
        for thread in self.threads:
            thread.start()

    def join(self):
        for thread in self.threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in self.threads)

    def note(self, phone, response, acknowledged):
        with self.lock:
            if phone is not None and not acknowledged and response.request.method == "POST":
                self.refused.append((phone, response.status_code))
            if response.status_code >= 500:
                self.server_errors.append((response.request.method, response.url, response.status_code))
            elif acknowledged:
                self.acknowledged.append(phone)
                if len(self.acknowledged) >= 100:
                    self.enough.set()

    def next_link(self):
        try:
            return self.links.get_nowait()
        except queue.Empty:
            return None

    def forms(self):
        session = requests.Session()
        session.headers["User-Agent"] = PHONE_UA
        while (item := self.next_link()) is not None:
            phone, url = item
            try:
                page = session.get(url, timeout=30)
                self.note(phone, page, False)
                if page.status_code != 200:
                    continue
                with self.lock:
                    self.pages_served += 1
                answer = session.post(url, data={"token": form_token(page.text), "phone": national(phone), "reason": "too_many"},
                                      allow_redirects=False, timeout=30)
                self.note(phone, answer, answer.status_code == 303)
            except requests.RequestException:
                return  # the server has stopped accepting

    def api(self):
        session = requests.Session()
        while (item := self.next_link()) is not None:
            phone, _ = item
            try:
                answer = session.put(f"{self.server.base}/api/v1/suppressions/{phone}", json={"scope": "marketing"},
                                     headers=self.auth, timeout=30)
                self.note(phone, answer, 200 <= answer.status_code < 300)
            except requests.RequestException:
                return


def test_sigterm_under_load_loses_no_acknowledged_opt_out(database):
    # Every request comes from one address: the per-address form limit would turn most posts into 429s.
    server = Server(database, demo=True, extra_args=["--shutdown-timeout", str(SHUTDOWN_BOUND), "--limit-form", "off"]).start()
    api = f"{server.base}/api/v1"
    key = server.line_starting("Demo API key: ")
    auth = {"Authorization": f"Bearer {key}"}
    assert requests.post(f"{api}/campaigns", json={"ref": "load", "name": "Load"}, headers=auth, timeout=10).status_code == 201
    phones = [f"+3161{i:07d}" for i in range(2000)]
    issued = requests.post(f"{api}/campaigns/load/links", json={"recipients": phones}, headers=auth, timeout=120)
    assert issued.status_code == 200
    load = Load(server, key, [(link["phone"], link["url"]) for link in issued.json()["links"]])

    load.start()
    assert load.enough.wait(timeout=120), "the load never got going"
    server.process.send_signal(signal.SIGTERM)
    exit_code = server.process.wait(timeout=SHUTDOWN_BOUND + 5)
    load.join()
    log = server.log_text()
    restarted = Server(database, demo=True).start()
    try:
        check = requests.post(f"{restarted.base}/api/v1/check", json={"phones": load.acknowledged, "purpose": "marketing"},
                              headers=auth, timeout=60)
        stats = requests.get(f"{restarted.base}/api/v1/campaigns/load/stats", headers=auth, timeout=10)
    finally:
        restarted.stop()

    assert exit_code == 0, log
    assert load.server_errors == []
    assert load.refused == []
    assert not re.search(r"^\S+ (error|critical) ", log, re.MULTILINE), log
    assert load.links.qsize() > 0, "every opt-out was done before the signal: the test proved nothing"
    assert check.status_code == 200
    not_stored = [r["phone"] for r in check.json()["results"] if r["allowed"]]
    assert not_stored == [], f"{len(not_stored)} of {len(load.acknowledged)} acknowledged opt-outs were lost"
    assert stats.json()["human_visits"] >= load.pages_served, "page views queued at the signal were not written"


def test_a_request_still_running_at_the_bound_is_cancelled_and_the_process_exits(database):
    bound = 2
    server = Server(database, demo=True, extra_args=["--shutdown-timeout", str(bound), "--body-timeout", "60"]).start()
    code = server.line_starting("Demo link: ").rsplit("/", 1)[1]
    # A form post whose body never comes: the request stays in flight past the shutdown bound.
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    sock.sendall(f"POST /{code} HTTP/1.1\r\nHost: stoplink\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                 "Content-Length: 100\r\n\r\ntoken=".encode())
    assert requests.get(f"{server.base}/healthz", timeout=10).status_code == 200  # the post has been read

    server.process.send_signal(signal.SIGTERM)
    exit_code = server.process.wait(timeout=bound + 10)
    answer = sock.recv(4096)
    log = server.log_text()

    assert exit_code == 0, log
    assert b" 200 " not in answer and b" 303 " not in answer, answer
    assert "request cancelled by shutdown" in log
    assert not re.search(r"^\S+ (error|critical) ", log, re.MULTILINE), log
