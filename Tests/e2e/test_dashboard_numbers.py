"""A number's story, the list and the review queue in a real browser at a laptop's and a phone's size:
search a number in a national format and opt it back in with evidence, apply a STOP reply that
arrived through a signed Twilio request, import a CSV file through the browser's own upload, and
download the list with the session cookie. Every page is checked for sideways scrolling and by
axe-core, and photographed."""
import csv
import io
import re

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from conftest import run
from test_browser import ARTIFACTS
from test_dashboard import assert_no_sideways_scroll, csrf, demo_login, navigate, serious_violations, sized_browser  # noqa: F401
from test_inbound import twilio_signature

SMS_NUMBER = "+3197010000000"
REPLIER = "+31687654321"


def log_in(browser, server):
    email, password = demo_login(server)
    browser.get(f"{server.base}/dashboard/login")
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(password)
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "main button[type=submit]"))
    WebDriverWait(browser, 30).until(expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Overview"))
    return email


def queue_unclear_reply(server, database):
    """An unclear STOP reply through the signed Twilio webhook, as a gateway would send it."""
    auth = {"Authorization": f"Bearer {server.line_starting('Demo API key: ')}"}
    company = requests.get(f"{server.base}/api/v1/company", headers=auth, timeout=10).json()["id"]
    run("number", "add", "--company", company, SMS_NUMBER, database=database)
    patched = requests.patch(f"{server.base}/api/v1/company", json={"twilio_auth_token": "tok"}, headers=auth, timeout=10)
    assert patched.status_code == 200
    fields = {"MessageSid": "SMreview1", "From": REPLIER, "To": SMS_NUMBER, "Body": "Stop texting me please", "AccountSid": "AC1"}
    url = f"{server.base}/inbound/twilio"
    answer = requests.post(url, data=fields, headers={"X-Twilio-Signature": twilio_signature("tok", url, fields)}, timeout=10)
    assert answer.status_code == 200
    return auth


def check_page(browser, folder, name, size):
    browser.save_screenshot(str(folder / f"{name}-{size}.png"))
    assert_no_sideways_scroll(browser, name)
    assert serious_violations(browser) == [], f"the {name} page has serious accessibility violations"


def test_a_number_its_list_and_the_review_queue(sized_browser, demo_server, database, tmp_path):
    size, browser = sized_browser
    folder = ARTIFACTS / "dashboard"
    folder.mkdir(parents=True, exist_ok=True)
    auth = queue_unclear_reply(demo_server, database)
    # The demo number opted out through the API, so there is something to opt back in.
    put = requests.put(f"{demo_server.base}/api/v1/suppressions/%2B31612345678", json={"scope": "marketing"}, headers=auth, timeout=10)
    assert put.status_code in (200, 201)
    email = log_in(browser, demo_server)

    # Search: text that is not a number is answered next to the field.
    browser.get(f"{demo_server.base}/dashboard/numbers")
    browser.find_element(By.ID, "q").send_keys("not a number")
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "form.search button"))
    WebDriverWait(browser, 15).until(expected_conditions.presence_of_element_located((By.ID, "q-error")))
    assert browser.find_element(By.ID, "q").get_attribute("aria-invalid") == "true"
    check_page(browser, folder, "numbers-search-error", size)

    # A national number finds the demo number.
    field = browser.find_element(By.ID, "q")
    field.clear()
    field.send_keys("06 1234 5678")
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "form.search button"))
    WebDriverWait(browser, 15).until(expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "h1"), "+31612345678"))
    assert browser.current_url.endswith("/dashboard/numbers/%2B31612345678")
    check_page(browser, folder, "number", size)

    # Opt it back in with the evidence written down; it shows in the history with who did it.
    evidence = "Asked at the shop counter on 3 May to get offers again, form 1182"
    browser.find_element(By.ID, "evidence").send_keys(evidence)
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "form[action$='/opt-in'] button"))
    WebDriverWait(browser, 15).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".notice")))
    history = browser.find_element(By.CSS_SELECTOR, "table.history").text
    assert evidence in history and email in history and "Opt-in" in history
    assert "Stopped" not in browser.find_element(By.CSS_SELECTOR, ".state").text
    check_page(browser, folder, "number-opted-in", size)
    state = requests.get(f"{demo_server.base}/api/v1/suppressions/%2B31612345678", headers=auth, timeout=10).json()
    assert state["suppressed"] is False
    assert state["history"][-1]["source"] == "dashboard" and state["history"][-1]["evidence"] == evidence

    # The review queue: apply the reply that came through Twilio.
    browser.get(f"{demo_server.base}/dashboard/review")
    item = next(li for li in browser.find_elements(By.CSS_SELECTOR, "ol.queue > li") if "Stop texting me please" in li.text)
    assert "Deadline" in item.text
    check_page(browser, folder, "review", size)
    navigate(browser, item.find_element(By.CSS_SELECTOR, "form[action$='/apply'] button"))
    WebDriverWait(browser, 15).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".notice")))
    assert "Stop texting me please" not in browser.find_element(By.TAG_NAME, "main").text
    browser.get(f"{demo_server.base}/dashboard/numbers/{REPLIER}")
    history = browser.find_element(By.CSS_SELECTOR, "table.history").text
    assert "STOP reply" in history and "Stop texting me please" in history and email in history

    # Import a file through the browser's own multipart upload: good lines in, a bad line reported.
    upload = tmp_path / "opt-outs.csv"
    upload.write_text("phone,reason\n06 11111111,moved\nnot a number,\n+31622222222,\n")
    browser.get(f"{demo_server.base}/dashboard/list")
    check_page(browser, folder, "list", size)
    browser.find_element(By.ID, "file").send_keys(str(upload))
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "form[action='/dashboard/list/import'] button"))
    WebDriverWait(browser, 15).until(expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Import result"))
    result = browser.find_element(By.TAG_NAME, "main").text
    assert re.search(r"2\s+added", result) and re.search(r"1\s+not read", result)
    check_page(browser, folder, "import", size)

    # The list downloads as CSV with the session cookie (and not without it).
    cookie = browser.get_cookie("stoplink_session")["value"]
    download = requests.get(f"{demo_server.base}/dashboard/list.csv", cookies={"stoplink_session": cookie}, timeout=10)
    anonymous = requests.get(f"{demo_server.base}/dashboard/list.csv", allow_redirects=False, timeout=10)
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment; filename=")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert {row["phone"] for row in rows} >= {REPLIER, "+31611111111", "+31622222222"}
    assert "+31612345678" not in {row["phone"] for row in rows}
    assert anonymous.status_code == 303


def test_an_oversized_upload_is_answered_413_on_a_real_socket(demo_server):
    """The server answers before the client has sent everything: declared too long, or sent in chunks
    without a length, the client still gets the 413 page, and nothing is imported."""
    email, password = demo_login(demo_server)
    session = requests.Session()
    token = csrf(session.get(f"{demo_server.base}/dashboard/login", timeout=10).text)
    session.post(f"{demo_server.base}/dashboard/login", data={"csrf": token, "email": email, "password": password}, timeout=30)
    token = csrf(session.get(f"{demo_server.base}/dashboard/list", timeout=10).text)
    big = b"+31698765432\n" * 200_000

    declared = session.post(f"{demo_server.base}/dashboard/list/import", data={"csrf": token},
                            files={"file": ("big.csv", big, "text/csv")}, timeout=30)

    def chunks():
        yield (b'--b\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n' + token.encode()
               + b'\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n')
        for _ in range(200):
            yield b"+31698765432\n" * 1_000
        yield b"\r\n--b--\r\n"

    chunked = session.post(f"{demo_server.base}/dashboard/list/import", data=chunks(),
                           headers={"Content-Type": "multipart/form-data; boundary=b"}, timeout=30)
    listed = session.get(f"{demo_server.base}/dashboard/list.csv", timeout=10)

    assert declared.status_code == 413 and "The file is too large" in declared.text
    assert chunked.status_code == 413 and "The file is too large" in chunked.text
    assert "+31698765432" not in listed.text
