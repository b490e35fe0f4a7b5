"""`stoplink backup FILE` copies a served database consistently while opt-outs keep arriving."""
import sqlite3
import threading

import requests

from conftest import run


def test_backup_while_serving_holds_every_opt_out_acknowledged_before_it(demo_server, database, tmp_path):
    key = demo_server.line_starting("Demo API key: ")
    api = f"{demo_server.base}/api/v1"
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    session = requests.Session()

    def opt_out(index):
        answer = session.put(f"{api}/suppressions/%2B3161{index:07d}", headers=headers, json={}, timeout=10)
        assert answer.status_code in (200, 201), answer.text
    before = 50
    for index in range(before):
        opt_out(index)

    stop = threading.Event()
    during = []

    def keep_writing():
        index = before
        while not stop.is_set():
            opt_out(index)
            during.append(index)
            index += 1
    writer = threading.Thread(target=keep_writing)
    writer.start()
    copy = tmp_path / "copy.sqlite"
    try:
        result = run("backup", str(copy), database=database)
    finally:
        stop.set()
        writer.join(timeout=30)
    again = run("backup", str(copy), database=database, check=False)

    assert result.stdout.strip().splitlines()[-1] == str(copy)
    with sqlite3.connect(copy) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {row[0] for row in db.execute("SELECT phone FROM consent_events WHERE source = 'api'")}
        seqs = [row[0] for row in db.execute("SELECT seq FROM consent_events ORDER BY seq")]
    assert {f"+3161{index:07d}" for index in range(before)} <= stored
    assert seqs == list(range(1, len(seqs) + 1)), "a snapshot has no gap in the ledger"
    assert again.returncode != 0 and "already exists" in again.stderr
