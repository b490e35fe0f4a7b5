"""The company's settings pages in a real browser at a laptop's and a phone's size: add a reason,
relabel it, retire it and see it leave the recipient page while its opt-out keeps it; preview a
page text without saving it; no sideways scroll and no serious axe violation on any settings page."""
import re

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from conftest import run
from test_browser import ARTIFACTS
from test_dashboard import assert_no_sideways_scroll, demo_login, navigate, serious_violations, sized_browser  # noqa: F401

PHONE = "+31687654321"
PAGES = ["settings", "settings/company", "settings/reasons", "settings/texts", "settings/rules"]


def log_in(browser, server, login=None):
    email, password = login or demo_login(server)
    browser.get(f"{server.base}/dashboard/login")
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(password)
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "main button[type=submit]"))
    WebDriverWait(browser, 30).until(expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Overview"))


def api(server):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {server.line_starting('Demo API key: ')}"
    return session


def recipient_link(server):
    """A fresh link of the demo campaign, for a number nobody has opted out."""
    answer = api(server).post(f"{server.base}/api/v1/campaigns/demo/links", json={"recipients": [PHONE]}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["links"][0]["url"]


def offered_reasons(url, lang="en"):
    html = requests.get(url, params={"lang": lang}, headers={"User-Agent": "Mozilla/5.0 (iPhone)"}, timeout=10).text
    return dict(re.findall(r'name="reason" value="([^"]+)"><label for="r-[^"]+">([^<]+)</label>', html))


def check_page(browser, folder, name, size):
    browser.save_screenshot(str(folder / f"{name}-{size}.png"))
    assert_no_sideways_scroll(browser, name)
    assert serious_violations(browser) == [], name


def submit(browser, selector):
    """Clicks the button and returns once the answer's page has replaced this one (see `navigate`)."""
    button = browser.find_element(By.CSS_SELECTOR, selector)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    navigate(browser, button)


def test_settings_pages_reasons_and_a_text_preview(sized_browser, demo_server):
    size, browser = sized_browser
    folder = ARTIFACTS / "dashboard"
    folder.mkdir(parents=True, exist_ok=True)
    url = recipient_link(demo_server)
    log_in(browser, demo_server)

    for path in PAGES:
        browser.get(f"{demo_server.base}/dashboard/{path}")
        WebDriverWait(browser, 15).until(expected_conditions.presence_of_element_located((By.TAG_NAME, "h1")))
        check_page(browser, folder, path.replace("/", "-"), size)

    # Add a reason: the recipient page offers it at once.
    browser.get(f"{demo_server.base}/dashboard/settings/reasons")
    browser.find_element(By.ID, "key").send_keys("too_pricey")
    browser.find_element(By.ID, "add-label-en").send_keys("Too pricey")
    submit(browser, "form[aria-labelledby=add-heading] button[type=submit]")
    WebDriverWait(browser, 15).until(expected_conditions.presence_of_element_located((By.ID, "reason-too_pricey")))
    assert offered_reasons(url).get("too_pricey") == "Too pricey"

    # Relabel it in German.
    item = browser.find_element(By.ID, "reason-too_pricey")
    item.find_element(By.TAG_NAME, "summary").click()
    german = item.find_element(By.ID, "label-too_pricey-de")
    german.clear()
    german.send_keys("Zu teuer")
    submit(browser, "#reason-too_pricey details button[type=submit]")
    assert offered_reasons(url, "de").get("too_pricey") == "Zu teuer"
    check_page(browser, folder, "settings-reasons-added", size)

    # A recipient gives it, then it is retired.
    page = requests.get(url, headers={"User-Agent": "Mozilla/5.0 (iPhone)"}, timeout=10)
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    opted = requests.post(url, data={"token": token, "phone": PHONE, "reason": "too_pricey"},
                          headers={"User-Agent": "Mozilla/5.0 (iPhone)"}, allow_redirects=False, timeout=30)
    assert opted.status_code == 303
    submit(browser, "#reason-too_pricey button[value=retire]")
    assert "Retired" in browser.find_element(By.ID, "reason-too_pricey").text
    assert "Opt-outs giving it: 1" in browser.find_element(By.ID, "reason-too_pricey").text
    check_page(browser, folder, "settings-reasons-retired", size)

    fresh = api(demo_server).post(f"{demo_server.base}/api/v1/campaigns/demo/links",
                                  json={"recipients": ["+31611112222"]}, timeout=30).json()["links"][0]["url"]
    assert "too_pricey" not in offered_reasons(fresh)
    assert offered_reasons(fresh), "the other reasons are still offered"
    history = api(demo_server).get(f"{demo_server.base}/api/v1/suppressions/{PHONE}", timeout=10).json()["history"]
    assert history[-1]["reason"] == "too_pricey"
    stats = api(demo_server).get(f"{demo_server.base}/api/v1/campaigns/demo/stats", timeout=10).json()
    assert {"key": "too_pricey", "count": 1} in stats["reasons"]
    company = api(demo_server).get(f"{demo_server.base}/api/v1/company", timeout=10).json()
    assert {"key": "too_pricey", "label": {"en": "Too pricey", "de": "Zu teuer"}, "retired": True} in company["reasons"]

    # Preview a page text: shown in the frame, not saved.
    browser.get(f"{demo_server.base}/dashboard/settings/texts?lang=en")
    field = browser.find_element(By.ID, "page_text")
    field.clear()
    field.send_keys("We will stop our offers to you today.")
    submit(browser, "button[value=preview]")
    assert "Preview of your draft" in browser.find_element(By.ID, "preview-heading").text
    check_page(browser, folder, "settings-texts-preview", size)
    browser.switch_to.frame(browser.find_element(By.CSS_SELECTOR, "iframe.page-preview"))
    framed = browser.find_element(By.TAG_NAME, "body").text
    padding = browser.execute_script("return getComputedStyle(document.body).paddingTop")
    browser.switch_to.default_content()
    assert "We will stop our offers to you today." in framed
    assert padding == "16px", "the recipient page's stylesheet applies inside the preview"
    assert api(demo_server).get(f"{demo_server.base}/api/v1/company", timeout=10).json()["page_text"].get("en") is None


def test_a_marketer_reads_the_settings_without_forms(sized_browser, demo_server, database):
    size, browser = sized_browser
    folder = ARTIFACTS / "dashboard"
    folder.mkdir(parents=True, exist_ok=True)
    company = api(demo_server).get(f"{demo_server.base}/api/v1/company", timeout=10).json()["id"]
    password = "correct horse battery"
    run("user", "add", "--company", company, "--email", "mia@demo.example", "--role", "marketer", "--password-stdin",
        "--bcrypt-cost", "4", database=database, input_text=password + "\n")
    log_in(browser, demo_server, ("mia@demo.example", password))

    browser.get(f"{demo_server.base}/dashboard/settings")
    links = {a.get_attribute("href").split("/dashboard/")[1] for a in browser.find_elements(By.CSS_SELECTOR, ".sections a")}
    assert links == {"settings/company", "settings/reasons", "settings/texts", "settings/rules"}
    for path in PAGES[1:]:
        browser.get(f"{demo_server.base}/dashboard/{path}")
        WebDriverWait(browser, 15).until(expected_conditions.presence_of_element_located((By.TAG_NAME, "h1")))
        assert browser.find_elements(By.CSS_SELECTOR, "main form[method=post]") == [], path
        check_page(browser, folder, "marketer-" + path.replace("/", "-"), size)
