"""The served OpenAPI document against the running service: schemathesis with every check on.

The run's settings, and why some operations may answer 422 to data their schema allows, are in
Tests/schemathesis/schemathesis.toml; Tests/schemathesis/hooks.py gives each request its own
Idempotency-Key, as a client would.
"""
import os
import subprocess
import sys
from pathlib import Path

import requests

from conftest import ROOT, Server, free_port

CONFIG = ROOT / "Tests" / "schemathesis"


def test_the_api_answers_as_its_document_says(database, monkeypatch):
    # Warnings and errors only: thousands of requests must not fill the log pipe nobody reads yet.
    monkeypatch.setenv("LOG_LEVEL", "warning")
    server = Server(database, demo=True, extra_args=["--allow-insecure-webhooks"]).start()
    try:
        key = server.line_starting("Demo API key: ")
        auth = {"Authorization": f"Bearer {key}"}
        # An endpoint that exists, on a port where nobody listens: deliveries fail and are kept.
        endpoint = requests.post(
            f"{server.base}/api/v1/webhooks", json={"url": f"http://127.0.0.1:{free_port()}/hook"}, headers=auth, timeout=10
        )
        assert endpoint.status_code == 201, endpoint.text
        schemathesis = Path(sys.executable).with_name("schemathesis")
        assert schemathesis.exists(), f"{schemathesis} is missing: pip install -r Tests/e2e/requirements.txt"
        environment = dict(
            os.environ, STOPLINK_URL=server.base, STOPLINK_KEY=key, STOPLINK_WEBHOOK=endpoint.json()["id"], NO_COLOR="1"
        )
        result = subprocess.run(
            [str(schemathesis), "--config-file", "schemathesis.toml", "run", f"{server.base}/api/v1/openapi.json",
             "--seed", os.environ.get("CONFORMANCE_SEED", "20261201")],
            cwd=CONFIG, env=environment, capture_output=True, text=True, timeout=900,
        )
        assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
        assert "passed" in result.stdout
        # Whatever was thrown at it, the server logged no error of its own.
        server.stop()
        errors = [line for line in server.log_text().splitlines() if " error " in line]
        assert errors == [], "\n".join(errors[:20])
    finally:
        server.stop()
