"""Retention: each company's periods through the API and the CLI, and `stoplink purge` on a real file."""
import base64
import hashlib
import hmac
import json
import sqlite3
import time
from datetime import datetime, timedelta, timezone

import requests

from conftest import Server, run

SMS_NUMBER = "+3197010000000"


def signed_stop(base, secret, message_id, phone, received_at):
    body = json.dumps({"id": message_id, "from": phone, "to": SMS_NUMBER, "text": "STOP",
                       "received_at": received_at}).encode()
    timestamp = int(time.time())
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signature = base64.b64encode(hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()).decode()
    return requests.post(f"{base}/inbound/generic", data=body, timeout=10, headers={
        "Content-Type": "application/json", "webhook-id": message_id, "webhook-timestamp": str(timestamp),
        "webhook-signature": f"v1,{signature}",
    })


def rfc3339(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_purge_clears_old_inbound_texts_and_keeps_the_opt_outs(database):
    company = run("company", "create", "--name", "Acme", "--country", "NL", "--retain-inbound-days", "30",
                  database=database).stdout.split()[-1]
    key = run("key", "create", "--company", company, database=database).stdout.split()[-1]
    run("number", "add", "--company", company, SMS_NUMBER, database=database)
    server = Server(database).start()
    try:
        auth = {"Authorization": f"Bearer {key}"}
        secret = requests.post(f"{server.base}/api/v1/inbound/secret", headers=auth, timeout=10).json()["secret"]
        now = datetime.now(timezone.utc)
        old = signed_stop(server.base, secret, "m-old", "+31612345601", rfc3339(now - timedelta(days=100)))
        new = signed_stop(server.base, secret, "m-new", "+31612345602", rfc3339(now - timedelta(days=1)))

        purged = run("purge", database=database)
        again = run("purge", database=database)
        state = requests.get(f"{server.base}/api/v1/suppressions/%2B31612345601", headers=auth, timeout=10).json()
        settings = requests.get(f"{server.base}/api/v1/company", headers=auth, timeout=10).json()
    finally:
        server.stop()
    with sqlite3.connect(database) as db:
        texts = dict(db.execute("SELECT message_id, text FROM inbound_messages"))
        ledger = db.execute("SELECT phone, action, scope, source, raw_text FROM consent_events ORDER BY seq").fetchall()

    assert old.json()["action"] == "opt_out" and new.json()["action"] == "opt_out"
    assert purged.stdout.strip() == "purged 0 visits, 0 free-text reasons, 2 raw inbound texts"
    assert again.stdout.strip() == "purged 0 visits, 0 free-text reasons, 0 raw inbound texts"
    assert texts == {"m-old": "", "m-new": "STOP"}
    assert ledger == [("+31612345601", "opt_out", "marketing", "keyword", None),
                      ("+31612345602", "opt_out", "marketing", "keyword", "STOP")]
    assert state["suppressed"] is True
    assert [(e["action"], e["source"]) for e in state["history"]] == [("opt_out", "keyword")]
    assert state["history"][0]["occurred_at"].startswith(rfc3339(now - timedelta(days=100))[:10])
    assert (settings["retain_visits_days"], settings["retain_reasons_days"], settings["retain_inbound_days"]) == (90, 365, 30)


def test_retention_periods_are_checked_in_the_api_and_the_cli(demo_server, database):
    api = f"{demo_server.base}/api/v1/company"
    auth = {"Authorization": f"Bearer {demo_server.line_starting('Demo API key: ')}"}

    refused = requests.patch(api, json={"retain_visits_days": 0, "retain_reasons_days": 4000}, headers=auth, timeout=10)
    changed = requests.patch(api, json={"retain_reasons_days": 30}, headers=auth, timeout=10)
    cli = run("company", "create", "--name", "Acme", "--country", "NL", "--retain-visits-days", "0",
              database=database, check=False)

    assert refused.status_code == 422
    assert [d["field"] for d in refused.json()["error"]["details"]] == ["retain_visits_days", "retain_reasons_days"]
    assert changed.status_code == 200
    assert (changed.json()["retain_visits_days"], changed.json()["retain_reasons_days"]) == (90, 30)
    assert cli.returncode != 0 and "--retain-visits-days must be 1–3650 days" in cli.stderr


def test_the_demo_key_is_shown_once_and_never_stored(database):
    first = Server(database, demo=True).start()
    key = first.line_starting("Demo API key: ")
    first.stop()
    again = Server(database, demo=True).start()
    try:
        line = again.line_starting("Demo API key: ")
        still_valid = requests.get(f"{again.base}/api/v1/company", headers={"Authorization": f"Bearer {key}"}, timeout=10)
    finally:
        again.stop()
    with sqlite3.connect(database) as db:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        stored = [row for table in tables for row in db.execute(f'SELECT * FROM "{table}"')
                  if any(isinstance(value, (str, bytes)) and key in (value if isinstance(value, str) else value.decode(errors="replace"))
                         for value in row)]

    assert key.startswith("sk_")
    assert line.startswith("shown once, at the first start")
    assert still_valid.status_code == 200
    assert stored == []
