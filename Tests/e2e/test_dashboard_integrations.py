"""The owners' settings pages in a real browser at a laptop's and a phone's size: an API key shown
once, a webhook endpoint that gets a signed test event from a local receiver, a new user, and
the numbers and email pages; no sideways scroll and no serious axe violation on any of them."""
import re

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait
from standardwebhooks.webhooks import Webhook

from conftest import Server
from test_browser import ARTIFACTS
from test_dashboard import SIZES, assert_no_sideways_scroll, csrf, demo_login, navigate, serious_violations, sized_browser  # noqa: F401
from test_webhooks import Receiver


@pytest.fixture
def server(database):
    """The demo, with webhooks to loopback allowed so a local receiver can take them."""
    started = Server(database, demo=True, extra_args=["--allow-insecure-webhooks"]).start()
    yield started
    started.stop()


@pytest.fixture
def receiver():
    started = Receiver()
    yield started
    started.close()


def check_page(browser, size, name):
    """Screenshot, then the checks every page must pass."""
    folder = ARTIFACTS / "dashboard"
    folder.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(folder / f"settings-{name}-{size}.png"))
    assert_no_sideways_scroll(browser, name)
    # A phone's browser widens its layout to fit content that sticks out (an absolutely placed
    # element escapes a scroll region), so the width itself must still be the screen's.
    width = SIZES[size][0]
    assert browser.execute_script("return window.innerWidth") == width, f"the {name} page is wider than the screen"
    assert browser.execute_script("return document.documentElement.scrollWidth") <= width
    assert serious_violations(browser) == [], f"the {name} page"


def heading(browser, text):
    WebDriverWait(browser, 30).until(expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "h1"), text))


def submit(browser, form_selector):
    navigate(browser, browser.find_element(By.CSS_SELECTOR, f"{form_selector} button[type=submit]"))
def shown_once(browser):
    return browser.find_element(By.ID, "secret").get_attribute("value")


def log_in(browser, server):
    email, password = demo_login(server)
    browser.get(f"{server.base}/dashboard/login")
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(password)
    submit(browser, "main form")
    heading(browser, "Overview")


def test_keys_webhooks_and_users_in_a_browser(sized_browser, server, receiver):  # noqa: F811
    size, browser = sized_browser
    log_in(browser, server)

    # An API key: shown once, works, and is never on a page again.
    browser.get(f"{server.base}/dashboard/settings/keys")
    heading(browser, "API keys")
    check_page(browser, size, "keys")
    browser.find_element(By.ID, "name").send_keys("CRM sync")
    submit(browser, "form.panel")
    heading(browser, "API key created")
    key = shown_once(browser)
    assert re.fullmatch(r"sk_[0-9a-z]{32}", key)
    check_page(browser, size, "key-created")
    company = requests.get(f"{server.base}/api/v1/company", headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert company.status_code == 200
    browser.get(f"{server.base}/dashboard/settings/keys")
    assert key not in browser.page_source
    assert key[:11] + "…" in browser.page_source

    # A webhook endpoint with a local receiver: its secret once, then a signed test event in the log.
    browser.get(f"{server.base}/dashboard/settings/webhooks")
    heading(browser, "Webhooks")
    check_page(browser, size, "webhooks")
    browser.find_element(By.ID, "url").send_keys(receiver.url)
    browser.find_element(By.ID, "description").send_keys("Local receiver")
    submit(browser, "form.panel")
    heading(browser, "Endpoint added")
    secret = shown_once(browser)
    assert secret.startswith("whsec_")
    check_page(browser, size, "webhook-secret")
    navigate(browser, browser.find_element(By.LINK_TEXT, "The endpoint and its log"))
    heading(browser, "Webhook endpoint")
    navigate(browser, browser.find_element(By.XPATH, "//button[normalize-space()='Send a test event']"))
    WebDriverWait(browser, 30).until(expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "main"), "A test event was sent"))
    log = browser.find_element(By.CSS_SELECTOR, "table").text
    assert "Test event" in log and "Delivered" in log and "answered 204" in log
    assert secret not in browser.page_source
    check_page(browser, size, "webhook-log")
    tests = [(headers, body) for headers, body in receiver.requests if headers["webhook-id"].startswith("msg_test_")]
    assert len(tests) == 1
    headers, body = tests[0]
    payload = Webhook(secret).verify(body, headers)
    assert payload["type"] == "webhook.test"
    assert headers["webhook-id"] in log

    # A user with a generated password, shown once, that logs in.
    browser.get(f"{server.base}/dashboard/settings/users")
    heading(browser, "Users")
    check_page(browser, size, "users")
    email = f"new-{size}@demo.example"
    browser.find_element(By.ID, "email").send_keys(email)
    submit(browser, "form.panel")
    heading(browser, "User added")
    password = shown_once(browser)
    check_page(browser, size, "user-added")
    session = requests.Session()
    token = csrf(session.get(f"{server.base}/dashboard/login", timeout=10).text)
    answer = session.post(f"{server.base}/dashboard/login", data={"csrf": token, "email": email, "password": password},
                          allow_redirects=False, timeout=30)
    assert answer.status_code == 303
    browser.get(f"{server.base}/dashboard/settings/users")
    assert email in browser.page_source and password not in browser.page_source

    # The two other pages at this size.
    for path, title in [("numbers", "SMS numbers"), ("email", "Email")]:
        browser.get(f"{server.base}/dashboard/settings/{path}")
        heading(browser, title)
        check_page(browser, size, path)
