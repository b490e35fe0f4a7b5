"""The recipient's pages under the axe-core accessibility engine, in every language the page speaks,
at a phone's size: the form, the form with a wrong number, the done page, and an unknown code."""
import json

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from conftest import ROOT
from test_browser import ARTIFACTS
from test_dashboard import assert_no_sideways_scroll, navigate, serious_violations, sized_browser  # noqa: F401 (a fixture)

LANGUAGES = sorted(path.stem for path in (ROOT / "Templates" / "locales").glob("*.json"))


def check(browser, name):
    folder = ARTIFACTS / "recipient"
    folder.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(folder / f"{name}.png"))
    assert_no_sideways_scroll(browser, name)
    assert serious_violations(browser) == [], f"the {name} page has serious accessibility violations"


def test_every_language_is_checked():
    assert len(LANGUAGES) >= 6, LANGUAGES
    for language in LANGUAGES:
        json.loads((ROOT / "Templates" / "locales" / f"{language}.json").read_text())


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_form_and_a_wrong_number_pass_axe(sized_browser, demo_server, language):
    size, browser = sized_browser
    link = demo_server.line_starting("Demo link: ")
    browser.get(f"{link}?lang={language}")
    WebDriverWait(browser, 15).until(expected_conditions.presence_of_element_located((By.ID, "phone")))
    check(browser, f"form-{language}-{size}")

    browser.find_element(By.ID, "phone").send_keys("06 99999999")
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    WebDriverWait(browser, 15).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "[role=alert]")))
    check(browser, f"wrong-number-{language}-{size}")


def test_the_done_page_and_an_unknown_code_pass_axe(sized_browser, demo_server):
    size, browser = sized_browser
    browser.get(f"{demo_server.base}/zzzzzzzz")
    WebDriverWait(browser, 15).until(expected_conditions.presence_of_element_located((By.TAG_NAME, "h1")))
    check(browser, f"unknown-code-{size}")

    browser.get(demo_server.line_starting("Demo link: ") + "?lang=en")
    browser.find_element(By.ID, "phone").send_keys("06 12 34 56 78")
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    WebDriverWait(browser, 15).until(expected_conditions.url_contains("/done"))
    check(browser, f"done-{size}")
