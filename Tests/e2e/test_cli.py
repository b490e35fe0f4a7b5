import csv
import io
import re
import sqlite3

from conftest import run


def test_company_create_prints_the_id_last(database):
    result = run("company", "create", "--name", "Acme", "--country", "NL", database=database)

    last = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"co_[0-9a-z]{12}", last)


def test_company_create_refuses_an_unknown_country(database):
    result = run("company", "create", "--name", "Acme", "--country", "XX", database=database, check=False)

    assert result.returncode != 0
    assert "--country" in result.stderr


def test_links_issue_writes_csv_and_reports_unreadable_lines(database, tmp_path):
    company = run("company", "create", "--name", "Acme", "--country", "NL", database=database).stdout.split()[-1]
    numbers = tmp_path / "numbers.csv"
    numbers.write_bytes(
        "\ufeffname,phone\r\n"
        "Ann,06-12345678\r\n"
        "Bob,not a number\r\n"
        '"Cox, C.",+49 151 23456789\r\n'
        "Dee,0612345678\r\n"
        "Eve,\r\n".encode()
    )

    first = run("links", "issue", "--company", company, "--campaign", "spring", str(numbers), database=database)
    again = run("links", "issue", "--company", company, "--campaign", "spring", str(numbers), database=database)

    rows = list(csv.reader(io.StringIO(first.stdout)))
    assert rows[0] == ["phone", "code", "url"]
    assert [row[0] for row in rows[1:]] == ["+31612345678", "+4915123456789", "+31612345678"]
    assert rows[1][1] == rows[3][1], "the same number in one campaign gets the same code"
    assert rows[1][1] != rows[2][1]
    for phone, code, url in rows[1:]:
        assert re.fullmatch(r"[0-9a-hjkmnp-tv-z]{10}", code)
        assert url == f"http://127.0.0.1:8080/{code}"
    assert "line 3: not a number" in first.stderr
    assert "line 6" in first.stderr
    assert "line 2:" not in first.stderr
    assert again.stdout == first.stdout, "issuing again returns the same codes"


def test_links_issue_reads_a_headerless_file_and_an_open_quote_fails(database, tmp_path):
    company = run("company", "create", "--name", "Acme", "--country", "US", database=database).stdout.split()[-1]
    plain = tmp_path / "plain.csv"
    plain.write_text("(415) 555-0134\n+1 416 555 0199\n")
    broken = tmp_path / "broken.csv"
    broken.write_text('phone\n"4155550134\n')

    result = run("links", "issue", "--company", company, "--campaign", "c", str(plain), database=database)
    failed = run("links", "issue", "--company", company, "--campaign", "c", str(broken), database=database, check=False)

    assert [row[0] for row in csv.reader(io.StringIO(result.stdout))][1:] == ["+14155550134", "+14165550199"]
    assert failed.returncode != 0
    assert "never closed" in failed.stderr


def test_links_issue_for_an_unknown_company_fails(database, tmp_path):
    numbers = tmp_path / "n.csv"
    numbers.write_text("phone\n+31612345678\n")

    result = run("links", "issue", "--company", "co_nope", "--campaign", "c", str(numbers), database=database, check=False)

    assert result.returncode != 0
    assert "no company" in result.stderr


def test_migrate_creates_the_schema(database):
    result = run("migrate", database=database)

    with sqlite3.connect(database) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        migrations = [row[0] for row in db.execute("SELECT identifier FROM grdb_migrations ORDER BY identifier")]
    assert result.returncode == 0
    assert {"companies", "campaigns", "links", "consent_events", "suppressions", "api_keys",
            "webhook_endpoints", "webhook_deliveries", "inbound_messages", "settings"} <= tables
    assert migrations[0] == "001-recipient-flow"
    assert "007-known-values" in migrations
    assert "database is up to date" in result.stdout


def test_commands_refuse_a_database_from_a_newer_stoplink(database):
    run("migrate", database=database)
    with sqlite3.connect(database) as db:
        db.execute("INSERT INTO grdb_migrations (identifier) VALUES ('999-from-the-future')")

    served = run("serve", "--port", "1", database=database, check=False)
    migrated = run("migrate", database=database, check=False)

    for result in (served, migrated):
        assert result.returncode != 0
        assert "schema is newer than this stoplink" in result.stderr
        assert "999-from-the-future" in result.stderr


def test_key_create_prints_the_key_last_and_revoke_disables_it(database):
    company = run("company", "create", "--name", "Acme", "--country", "NL", database=database).stdout.split()[-1]

    created = run("key", "create", "--company", company, "--name", "ci", database=database)
    key = created.stdout.strip().splitlines()[-1]
    revoked = run("key", "revoke", key[:11], database=database)
    unknown = run("key", "revoke", "sk_00000000", database=database, check=False)

    assert re.fullmatch(r"sk_[0-9a-z]{32}", key)
    assert key not in created.stderr
    assert key[:11] in revoked.stdout
    assert unknown.returncode != 0
