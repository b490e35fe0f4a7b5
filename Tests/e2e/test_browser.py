"""The page in a real browser (Debian's chromium and chromium-driver) on a phone-sized screen."""
import os
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from conftest import PHONE_UA, ROOT, navigate

ARTIFACTS = Path(os.environ.get("STOPLINK_ARTIFACTS", ROOT / ".build" / "e2e-artifacts"))


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]:
        options.add_argument(argument)
    options.add_experimental_option(
        "mobileEmulation",
        {"deviceMetrics": {"width": 360, "height": 740, "pixelRatio": 2.0}, "userAgent": PHONE_UA},
    )
    driver = webdriver.Chrome(options=options, service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")))
    yield driver
    driver.quit()


def test_a_person_opts_out_on_a_phone(browser, demo_server):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.get(demo_server.line_starting("Demo link: ") + "?lang=en")
    browser.save_screenshot(str(ARTIFACTS / "form.png"))

    width = browser.execute_script("return document.documentElement.scrollWidth")
    viewport = browser.execute_script("return window.innerWidth")
    phone = browser.find_element(By.ID, "phone")
    assert phone.get_attribute("type") == "tel"
    assert width <= viewport, "the page scrolls sideways at 360 px"
    assert viewport <= browser.execute_script("return screen.width"), "the page is wider than the phone's screen"

    phone.send_keys("06 12 34 56 78")
    browser.find_element(By.CSS_SELECTOR, "label[for=r-never_signed_up]").click()
    browser.find_element(By.ID, "reason_text").send_keys("Please stop.")
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert "/done" in browser.current_url
    browser.save_screenshot(str(ARTIFACTS / "done.png"))

    assert browser.find_element(By.TAG_NAME, "h1").text == "You are opted out"
    assert "Demo Company" in browser.find_element(By.TAG_NAME, "main").text


def test_a_wrong_number_is_explained_in_the_browser(browser, demo_server):
    browser.get(demo_server.line_starting("Demo link: ") + "?lang=de")

    browser.find_element(By.ID, "phone").send_keys("06 99999999")
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    alert = browser.find_element(By.CSS_SELECTOR, "[role=alert]")

    assert "nicht die Nummer" in alert.text
    assert browser.find_element(By.ID, "phone").get_attribute("aria-invalid") == "true"
