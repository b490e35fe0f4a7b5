"""End-to-end tests: the built `stoplink` binary, a real port, a real SQLite file, a real browser."""
import os
import re
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("STOPLINK_BIN", ROOT / ".build" / "debug" / "stoplink"))
PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)


def database_url(database):
    """A SQLite file path as `sqlite:PATH`; a postgres:// URL as it is."""
    text = str(database)
    return text if text.startswith(("postgres://", "postgresql://")) else f"sqlite:{text}"


def run(*args, database, input_text=None, check=True):
    """Runs a stoplink command against `database` (a SQLite path or a postgres:// URL) and returns the finished process."""
    if not BINARY.exists():
        raise RuntimeError(f"{BINARY} does not exist: build it first (swift build)")
    result = subprocess.run(
        [str(BINARY), *args, "--database", database_url(database)],
        input=input_text, capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"stoplink {' '.join(args)} failed: {result.stderr}")
    return result


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`stoplink serve` as a child process on a free loopback port."""

    def __init__(self, database, demo=False, extra_args=(), port=None):
        self.database = database
        self.extra_args = list(extra_args)
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.demo = demo
        self.process = None
        self.lines = []

    def start(self):
        args = [str(BINARY), "serve", "--port", str(self.port), "--database", database_url(self.database),
                "--public-url", self.base]
        if self.demo:
            args.append("--demo")
        args += self.extra_args
        # The log goes to a file: an unread pipe would fill and stop a server that logs much.
        self.log = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, text=True, cwd=ROOT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise AssertionError(f"stoplink serve exited: {self.log_text()}")
            self.lines.append(line.rstrip("\n"))
            if line.startswith("Stoplink is listening") and not self.demo:
                break
            if line.startswith("Demo API key: "):
                break
        assert requests.get(f"{self.base}/healthz", timeout=10).status_code == 200
        return self

    def log_text(self):
        """Everything the server wrote to standard error so far."""
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def line_starting(self, prefix):
        return next(line[len(prefix):] for line in self.lines if line.startswith(prefix))

    def kill(self):
        """Ends the process at once, as a crash or power cut would (no graceful shutdown)."""
        self.process.kill()
        self.process.wait(timeout=30)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def database(tmp_path):
    return tmp_path / "stoplink.sqlite"


@pytest.fixture
def demo_server(database):
    server = Server(database, demo=True).start()
    yield server
    server.stop()


def form_token(html):
    match = re.search(r'name="token" value="([^"]+)"', html)
    assert match, "the page has no form token"
    return match.group(1)


def navigate(browser, element):
    """Clicks `element` (a link or a submit button) and returns once the next page's document has
    replaced this one. A wait that starts before the navigation commits can otherwise find an
    element of the old page and read it while the new document replaces it, which chromedriver
    reports as "Node with given id does not belong to the document"."""
    browser.execute_script("window.stoplinkLeaving = true")
    element.click()
    WebDriverWait(browser, 30).until(
        lambda driver: driver.execute_script("return window.stoplinkLeaving !== true && document.readyState === 'complete'")
    )
