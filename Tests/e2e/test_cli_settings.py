"""A newcomer's mistakes on the command line get messages, never a crash."""
import os
import subprocess

from conftest import BINARY, ROOT, run

# A Swift trap ends the process by a signal (negative return code) or, through a shell, 132/133/134.
CRASHES = {-4, -5, -6, -11, 132, 133, 134, 139}


def company(database):
    return run("company", "create", "--name", "Acme", "--country", "NL", database=database).stdout.split()[-1]


def assert_refused(result, *phrases):
    assert result.returncode not in CRASHES, f"crashed: {result.stderr}"
    assert result.returncode != 0
    for phrase in phrases:
        assert phrase in result.stderr, result.stderr


def test_links_issue_refuses_a_code_length_out_of_range(database, tmp_path):
    owner = company(database)
    numbers = tmp_path / "numbers.csv"
    numbers.write_text("+31612345678\n")

    result = run("links", "issue", "--company", owner, "--campaign", "spring", "--code-length", "20", str(numbers),
                 database=database, check=False)

    assert_refused(result, "--code-length must be 8–16, not 20")
    assert result.stdout == ""


def test_links_issue_refuses_a_code_length_from_the_environment(database, tmp_path):
    owner = company(database)
    numbers = tmp_path / "numbers.csv"
    numbers.write_text("+31612345678\n")

    result = subprocess.run(
        [str(BINARY), "links", "issue", "--company", owner, "--campaign", "spring", str(numbers),
         "--database", f"sqlite:{database}"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
        env={**os.environ, "STOPLINK_CODE_LENGTH": "20", "STOPLINK_PUBLIC_URL": "stp.example/"},
    )

    assert_refused(result, "--code-length must be 8–16, not 20", "--public-url must be an http(s) URL")


def test_company_create_lists_every_problem_at_once(database):
    result = run("company", "create", "--name", " ", "--country", "XX", "--language", "tlh",
                 database=database, check=False)

    assert_refused(result, "--name must be 1–200 characters", "--country must be an ISO 3166 alpha-2 code",
                   "--language must be one of")


def test_number_add_refuses_what_is_neither_a_number_nor_a_short_code(database):
    owner = company(database)

    result = run("number", "add", "--company", owner, "12", database=database, check=False)

    assert_refused(result, "short code")
