"""Webhooks over real sockets, verified with the Standard Webhooks reference library."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import requests
from standardwebhooks.webhooks import Webhook

from conftest import PHONE_UA, Server, form_token


class Receiver:
    """A loopback HTTP server that keeps every request it gets."""

    def __init__(self):
        self.requests = []
        received = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count, seconds=20):
        deadline = time.monotonic() + seconds
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.requests

    def close(self):
        self.server.shutdown()


def test_an_opt_out_reaches_the_receiver_signed(database):
    server = Server(database, demo=True, extra_args=["--allow-insecure-webhooks"]).start()
    receiver = Receiver()
    try:
        api = f"{server.base}/api/v1"
        auth = {"Authorization": f"Bearer {server.line_starting('Demo API key: ')}"}
        endpoint = requests.post(f"{api}/webhooks", json={"url": receiver.url, "description": "crm"}, headers=auth, timeout=10).json()
        link = server.line_starting("Demo link: ")
        session = requests.Session()
        session.headers["User-Agent"] = PHONE_UA
        token = form_token(session.get(link, timeout=10).text)
        session.post(link, data={"token": token, "phone": "06 12345678"}, allow_redirects=False, timeout=10)
        requests.delete(f"{api}/suppressions/%2B31612345678", json={"evidence": "called us"}, headers=auth, timeout=10)

        received = receiver.wait_for(2)
    finally:
        receiver.close()
        server.stop()

    assert len(received) == 2
    verifier = Webhook(endpoint["secret"])
    payloads = [verifier.verify(body, headers) for headers, body in received]
    assert [p["type"] for p in payloads] == ["optout.created", "optout.revoked"]
    assert payloads[0]["data"]["phone"] == "+31612345678"
    assert payloads[0]["data"]["source"] == "link"
    assert payloads[1]["data"]["evidence"] == "called us"
    assert received[0][0]["webhook-id"] == payloads[0]["id"]


def test_without_the_development_flag_a_loopback_endpoint_is_refused(demo_server):
    auth = {"Authorization": f"Bearer {demo_server.line_starting('Demo API key: ')}"}

    response = requests.post(f"{demo_server.base}/api/v1/webhooks", json={"url": "http://127.0.0.1:9/hook"}, headers=auth, timeout=10)

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "url"
