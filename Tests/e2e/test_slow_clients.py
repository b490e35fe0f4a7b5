"""Slow and idle clients against the real binary: they are cut off after short, configured
timeouts, the connection cap keeps the server answering, HTTP/1.0 keep-alive works, and the real
attack tools (slowhttptest, ApacheBench) find the service available."""
import csv
import re
import resource
import select
import shutil
import socket
import subprocess
import threading
import time

import pytest
import requests

from conftest import Server

# Short limits so each test ends within seconds; the defaults are documented in the README.
LIMITS = ["--header-timeout", "2", "--body-timeout", "2", "--idle-timeout", "2"]
# The same with a long idle timeout, so that only the header or body timeout can cut a client off
# (Hummingbird's idle timeout also closes a connection that delivers no whole header in time).
SLOW_LIMITS = ["--header-timeout", "2", "--body-timeout", "2", "--idle-timeout", "60"]
# Upper bound on any single wait below, so a server that never closes fails instead of hanging.
PATIENCE = 20


@pytest.fixture
def server(database):
    server = Server(database, demo=True, extra_args=LIMITS).start()
    yield server
    server.stop()


@pytest.fixture
def patient_server(database):
    server = Server(database, demo=True, extra_args=SLOW_LIMITS).start()
    yield server
    server.stop()


def connect(server):
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=PATIENCE)
    return sock


def read_answer(sock):
    """Reads one HTTP answer framed by Content-Length: (status, headers, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, f"the connection closed before a whole answer: {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers["content-length"])
    while len(rest) < length:
        chunk = sock.recv(4096)
        assert chunk, "the connection closed inside the body"
        rest += chunk
    return lines[0], headers, rest[:length]


def closed_by_server(sock):
    """Waits (at most PATIENCE seconds) for the server to close; True when it did."""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def trickle(sock, data):
    """Sends `data` one byte a second, stopping when the server closes; answers how many bytes
    went out and what the server sent back meanwhile."""
    answer = b""
    for sent, byte in enumerate(data):
        try:
            sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            return sent, answer
        readable, _, _ = select.select([sock], [], [], 1.0)
        if readable:
            try:
                chunk = sock.recv(4096)
            except ConnectionResetError:
                return sent + 1, answer
            if not chunk:
                return sent + 1, answer
            answer += chunk
    return len(data), answer


def stop_and_read_log(server):
    server.process.terminate()
    server.process.wait(timeout=60)
    return server.log_text()


def test_an_idle_kept_alive_connection_is_closed(server):
    sock = connect(server)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: stoplink\r\n\r\n")
    status, _, _ = read_answer(sock)

    closed = closed_by_server(sock)

    assert status.split()[1] == "200"
    assert closed, "an idle kept-alive connection was still open after the idle timeout"


def test_a_header_sent_a_byte_a_second_is_cut_off(patient_server):
    # Sent whole in about 45 seconds: well within the idle timeout, so only the header timeout cuts it.
    header = b"GET /healthz HTTP/1.1\r\nHost: s\r\nX-Slow: xxxxx\r\n\r\n"
    sock = connect(patient_server)

    sent, answer = trickle(sock, header)

    assert sent < len(header), "the whole slow header was accepted"
    assert b" 200 " not in answer


def test_a_body_sent_a_byte_a_second_is_cut_off(patient_server):
    link = patient_server.line_starting("Demo link: ")
    path = "/" + link.rsplit("/", 1)[1]
    body = b"token=x&phone=0612345678&reason=other"
    sock = connect(patient_server)
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: stoplink\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n".encode()
    )

    sent, answer = trickle(sock, body)

    assert sent < len(body), "the whole slow body was accepted"
    assert b" 303 " not in answer and b" 200 " not in answer


def test_a_large_upload_at_a_sound_rate_outlasts_the_body_timeout(patient_server):
    key = patient_server.line_starting("Demo API key: ")
    auth = {"Authorization": f"Bearer {key}"}
    api = f"{patient_server.base}/api/v1"
    assert requests.post(f"{api}/campaigns", json={"ref": "upload", "name": "Upload"}, headers=auth, timeout=10).status_code == 201
    chunks = 5

    def csv_body():
        yield b"phone\n"
        for chunk in range(chunks):
            # About 8 KiB a second, for longer than the 2 s body timeout.
            yield b"".join(f"+316{chunk + 2}{i:07d}\n".encode() for i in range(600))
            time.sleep(1)

    answer = requests.post(f"{api}/campaigns/upload/links", data=csv_body(),
                           headers={**auth, "Content-Type": "text/csv"}, timeout=60)

    assert answer.status_code == 200
    assert answer.json()["errors"] == []
    assert len(answer.json()["links"]) == chunks * 600


def test_a_long_import_is_not_taken_for_an_idle_connection(database):
    # While the server writes a batch of 100,000 links it reads no more of the body; that pause is
    # neither the client's slowness nor idleness, however long it lasts.
    server = Server(database, demo=True, extra_args=["--header-timeout", "2", "--body-timeout", "2", "--idle-timeout", "1"]).start()
    try:
        auth = {"Authorization": f"Bearer {server.line_starting('Demo API key: ')}"}
        api = f"{server.base}/api/v1"
        assert requests.post(f"{api}/campaigns", json={"ref": "big", "name": "Big"}, headers=auth, timeout=10).status_code == 201
        body = "phone\n" + "".join(f"+3167{i:07d}\n" for i in range(200_000))

        answer = requests.post(f"{api}/campaigns/big/links", data=body.encode(),
                               headers={**auth, "Content-Type": "text/csv", "Accept": "text/csv"}, timeout=300)
    finally:
        server.stop()

    assert answer.status_code == 200
    assert answer.text.count("\n") == 200_001


def test_the_connection_cap_holds_and_is_logged_once(database):
    server = Server(database, extra_args=LIMITS + ["--max-connections", "20"]).start()
    try:
        hogs = [connect(server) for _ in range(50)]
        # Behind 50 connections that never send, a real request waits its turn and is served.
        answer = requests.get(f"{server.base}/healthz", timeout=PATIENCE)
        hogs_closed = [closed_by_server(sock) for sock in hogs]
    finally:
        log = stop_and_read_log(server)

    assert answer.status_code == 200
    assert all(hogs_closed)
    cap_lines = [line for line in log.splitlines() if "connection limit reached" in line]
    assert len(cap_lines) == 1, log
    assert "warning" in cap_lines[0] and "max_connections=20" in cap_lines[0]


def test_with_256_file_descriptors_the_server_keeps_answering(database):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))  # inherited by the server
    try:
        server = Server(database, extra_args=LIMITS)
        server.start()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    try:
        hogs = [connect(server) for _ in range(400)]
        answer = requests.get(f"{server.base}/healthz", timeout=PATIENCE)
        for sock in hogs:
            sock.close()
    finally:
        log = stop_and_read_log(server)

    assert answer.status_code == 200
    assert re.search(r"connection cap lowered.*max_connections=192|max_connections=192.*connection cap lowered", log), log
    assert "connection limit reached" in log
    assert not re.search(r"^\S+ (error|critical) ", log, re.MULTILINE), log


def test_http10_keep_alive_is_answered_and_kept(server):
    sock = connect(server)

    answers = []
    for _ in range(3):
        sock.sendall(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        answers.append(read_answer(sock))

    for status, headers, body in answers:
        assert status.startswith("HTTP/1.0 200")
        assert headers["connection"].lower() == "keep-alive"
        assert int(headers["content-length"]) == len(body)


def test_plain_http10_is_closed_after_the_answer(server):
    sock = connect(server)
    sock.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")

    status, headers, _ = read_answer(sock)
    closed = closed_by_server(sock)

    assert status.startswith("HTTP/1.0 200")
    assert headers["connection"].lower() == "close"
    assert closed


def require(tool):
    path = shutil.which(tool)
    assert path, f"{tool} is not installed (scripts/test installs it)"
    return path


@pytest.mark.parametrize("mode", ["-H", "-B"])
def test_slowhttptest_finds_the_service_available(database, tmp_path, mode):
    tool = require("slowhttptest")
    server = Server(database, demo=True, extra_args=SLOW_LIMITS).start()
    target = server.line_starting("Demo link: ") if mode == "-B" else f"{server.base}/healthz"
    probes = []
    attack = None
    try:
        attack = subprocess.Popen(
            [tool, mode, "-c", "300", "-r", "30", "-i", "1", "-l", "20", "-p", "5", "-g", "-o", str(tmp_path / "stats"),
             "-u", target],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        # Probe while the attack runs: every request must be answered.
        while attack.poll() is None:
            try:
                probes.append(requests.get(f"{server.base}/healthz", timeout=PATIENCE).status_code)
            except requests.RequestException as error:
                probes.append(repr(error))
            time.sleep(0.5)
        output = attack.stdout.read()
    finally:
        if attack and attack.poll() is None:
            attack.kill()
        log = stop_and_read_log(server)

    rows = list(csv.DictReader(open(tmp_path / "stats.csv")))
    assert rows, output
    # The attack opens 30 connections a second for 10 seconds; it ends early only once the server
    # has closed every one of them.
    assert len(probes) >= 5, (output, rows)
    assert all(status == 200 for status in probes), probes
    # slowhttptest's own probe: a non-zero "Service Available" is an answer within -p seconds.
    assert rows[-1]["Service Available"] != "0", rows
    assert int(rows[-1]["Closed"]) > 0, "the server closed none of the slow connections"
    assert not re.search(r"^\S+ (error|critical) ", log, re.MULTILINE), log


def test_apachebench_keep_alive_completes(server):
    tool = require("ab")

    result = subprocess.run([tool, "-k", "-n", "200", "-c", "4", "-s", "10", f"{server.base}/healthz"],
                            capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    assert re.search(r"^Complete requests:\s+200$", result.stdout, re.MULTILINE), result.stdout
    assert re.search(r"^Failed requests:\s+0$", result.stdout, re.MULTILINE), result.stdout
    assert re.search(r"^Keep-Alive requests:\s+200$", result.stdout, re.MULTILINE), result.stdout
