"""`stoplink user add|remove|reset-password` against a real database file."""
import re
import sqlite3

import bcrypt

from conftest import run


def company(database):
    return run("company", "create", "--name", "Acme", "--country", "NL", database=database).stdout.split()[-1]


def stored_hash(database, email):
    with sqlite3.connect(database) as db:
        row = db.execute("SELECT password_hash FROM users WHERE email = ?", (email,)).fetchone()
    return row[0] if row else None


def test_add_generates_a_password_shown_once_and_stores_only_its_bcrypt_hash(database):
    company_id = company(database)

    result = run("user", "add", "--company", company_id, "--email", "Ann@Acme.example", "--role", "owner", database=database)

    password = result.stdout.strip().splitlines()[-1]
    assert len(password) >= 12
    hashed = stored_hash(database, "ann@acme.example")
    assert hashed is not None and password not in hashed
    assert re.match(r"\$2[aby]\$12\$", hashed), "production cost is 12"
    assert bcrypt.checkpw(password.encode(), hashed.encode())


def test_add_reads_the_password_from_standard_input_and_prints_none(database):
    company_id = company(database)

    result = run("user", "add", "--company", company_id, "--email", "bob@acme.example", "--role", "marketer",
                 "--password-stdin", "--bcrypt-cost", "4", database=database, input_text="correct horse battery\n")

    assert "correct horse battery" not in result.stdout + result.stderr
    assert bcrypt.checkpw(b"correct horse battery", stored_hash(database, "bob@acme.example").encode())
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT role FROM users").fetchall() == [("marketer",)]


def test_add_refuses_a_short_password_a_taken_email_an_unknown_company_and_a_bad_role(database):
    company_id = company(database)
    run("user", "add", "--company", company_id, "--email", "ann@acme.example", "--role", "owner", "--bcrypt-cost", "4",
        database=database)

    short = run("user", "add", "--company", company_id, "--email", "cy@acme.example", "--role", "owner",
                "--password-stdin", database=database, input_text="short\n", check=False)
    taken = run("user", "add", "--company", company_id, "--email", "ANN@acme.example", "--role", "marketer",
                "--bcrypt-cost", "4", database=database, check=False)
    unknown = run("user", "add", "--company", "co_000000000000", "--email", "dee@acme.example", "--role", "owner",
                  "--bcrypt-cost", "4", database=database, check=False)
    role = run("user", "add", "--company", company_id, "--email", "eve@acme.example", "--role", "admin",
               database=database, check=False)
    email = run("user", "add", "--company", company_id, "--email", "not an email", "--role", "owner",
                database=database, check=False)

    assert short.returncode != 0 and "at least 12" in short.stderr
    assert taken.returncode != 0 and "already exists" in taken.stderr
    assert unknown.returncode != 0 and "no company" in unknown.stderr
    assert role.returncode != 0 and "--role" in role.stderr
    assert email.returncode != 0 and "--email" in email.stderr
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT email FROM users").fetchall() == [("ann@acme.example",)]


def test_reset_password_replaces_the_hash_and_remove_deletes_the_user(database):
    company_id = company(database)
    other_id = company(database)
    run("user", "add", "--company", company_id, "--email", "ann@acme.example", "--role", "owner", "--bcrypt-cost", "4",
        database=database)
    before = stored_hash(database, "ann@acme.example")

    wrong_company = run("user", "reset-password", "--company", other_id, "--email", "ann@acme.example",
                        database=database, check=False)
    untouched = stored_hash(database, "ann@acme.example")
    reset = run("user", "reset-password", "--company", company_id, "--email", "ANN@acme.example", "--bcrypt-cost", "4",
                database=database)

    assert wrong_company.returncode != 0 and untouched == before
    password = reset.stdout.strip().splitlines()[-1]
    after = stored_hash(database, "ann@acme.example")
    assert after != before and bcrypt.checkpw(password.encode(), after.encode())

    wrong_remove = run("user", "remove", "--company", other_id, "--email", "ann@acme.example", database=database, check=False)
    removed = run("user", "remove", "--company", company_id, "--email", "ann@acme.example", database=database)
    again = run("user", "remove", "--company", company_id, "--email", "ann@acme.example", database=database, check=False)

    assert wrong_remove.returncode != 0
    assert "removed ann@acme.example" in removed.stdout
    assert again.returncode != 0
    assert stored_hash(database, "ann@acme.example") is None
