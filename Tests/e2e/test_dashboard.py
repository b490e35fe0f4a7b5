"""The dashboard end to end: the demo login printed by `serve --demo`, a real browser at a laptop's
and a phone's size, and the axe-core accessibility engine on the login page and the overview."""
import os
import re

import pytest
import requests
from axe_selenium_python import Axe
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from conftest import Server, navigate  # noqa: F401 (used by the other dashboard tests)
from test_browser import ARTIFACTS

SIZES = {"laptop": (1280, 800), "phone": (360, 740)}


def demo_login(server):
    email, password = server.line_starting("Demo login: ").split(" ", 1)
    return email, password


def csrf(html):
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def test_the_demo_login_is_printed_once_and_logs_in(database):
    server = Server(database, demo=True).start()
    try:
        email, password = demo_login(server)
        session = requests.Session()
        token = csrf(session.get(f"{server.base}/dashboard/login", timeout=10).text)
        answer = session.post(f"{server.base}/dashboard/login", data={"csrf": token, "email": email, "password": password},
                              allow_redirects=False, timeout=30)
        overview = session.get(f"{server.base}/dashboard", allow_redirects=False, timeout=10)
    finally:
        server.stop()
    restarted = Server(database, demo=True).start()
    restarted.stop()

    assert email == "owner@demo.example"
    assert answer.status_code == 303
    assert "HttpOnly" in answer.headers["Set-Cookie"] and "SameSite=Lax" in answer.headers["Set-Cookie"]
    assert overview.status_code == 200 and "Overview" in overview.text
    again = restarted.line_starting("Demo login: ")
    assert password not in again and "shown once" in again


@pytest.fixture(params=sorted(SIZES))
def sized_browser(request):
    width, height = SIZES[request.param]
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]:
        options.add_argument(argument)
    options.add_experimental_option(
        "mobileEmulation", {"deviceMetrics": {"width": width, "height": height, "pixelRatio": 1.0}}
    )
    # STOPLINK_CHROMEDRIVER_LOG=DIR keeps chromedriver's verbose log of each test there, to see
    # which navigation or DevTools call a rare browser failure came from.
    log = os.environ.get("STOPLINK_CHROMEDRIVER_LOG")
    service = Service(
        os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"), service_args=["--verbose"] if log else [],
        log_output=os.path.join(log, f"{request.node.name}.log") if log else None,
    )
    driver = webdriver.Chrome(options=options, service=service)
    yield request.param, driver
    driver.quit()


def serious_violations(driver):
    axe = Axe(driver)
    axe.inject()
    results = axe.run()
    return [(v["id"], v["impact"], v["help"]) for v in results["violations"] if v["impact"] in ("serious", "critical")]


def assert_no_sideways_scroll(driver, page):
    """Under phone emulation Chromium widens the layout viewport to fit content that sticks out,
    so the page is also checked against the emulated screen, not only against its own window."""
    width = driver.execute_script("return document.documentElement.scrollWidth")
    viewport = driver.execute_script("return window.innerWidth")
    screen = driver.execute_script("return screen.width")
    assert width <= viewport, f"the {page} page scrolls sideways: {width} px in {viewport} px"
    assert viewport <= screen, f"the {page} page is wider than the screen: {viewport} px on {screen} px"


def test_log_in_with_the_demo_login_and_see_the_overview(sized_browser, demo_server):
    size, browser = sized_browser
    folder = ARTIFACTS / "dashboard"
    folder.mkdir(parents=True, exist_ok=True)
    email, password = demo_login(demo_server)

    browser.get(f"{demo_server.base}/dashboard")
    WebDriverWait(browser, 15).until(expected_conditions.url_contains("/dashboard/login"))
    browser.save_screenshot(str(folder / f"login-{size}.png"))
    assert_no_sideways_scroll(browser, "login")
    assert serious_violations(browser) == []

    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(password)
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "main button[type=submit]"))
    WebDriverWait(browser, 30).until(expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Overview"))
    browser.save_screenshot(str(folder / f"overview-{size}.png"))

    main = browser.find_element(By.TAG_NAME, "main").text
    assert "Opt-outs by source" in main
    assert "Demo campaign" in main
    assert_no_sideways_scroll(browser, "overview")
    assert serious_violations(browser) == []

    navigate(browser, browser.find_element(By.CSS_SELECTOR, "form.logout button"))
    WebDriverWait(browser, 15).until(expected_conditions.url_contains("/dashboard/login"))
    browser.get(f"{demo_server.base}/dashboard")
    assert "/dashboard/login" in browser.current_url, "after logout the overview needs a login again"
