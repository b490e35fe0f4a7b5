"""The dashboard's campaigns end to end, on the data `serve --demo` creates: a real browser at a
laptop's and a phone's size logs in, sees the overview's chart, opens the campaign list and a
campaign with its charts, searches the free-text reasons and downloads the CSV files with the
browser's own session; axe-core finds no serious or critical violation on any of these pages."""
import base64
import csv
import io
import os
import shutil
from pathlib import Path

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from test_browser import ARTIFACTS
from test_dashboard import assert_no_sideways_scroll, demo_login, navigate, serious_violations, sized_browser  # noqa: F401 (a fixture)

DOCS = Path(__file__).resolve().parents[2] / "docs"


def log_in(browser, server):
    email, password = demo_login(server)
    browser.get(f"{server.base}/dashboard/login")
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(password)
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "main button[type=submit]"))
    WebDriverWait(browser, 30).until(expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Overview"))


def full_page_screenshot(browser, path):
    """The whole page, not only what the window shows (Chromium's DevTools protocol)."""
    width = browser.execute_script("return document.documentElement.scrollWidth")
    height = browser.execute_script("return document.documentElement.scrollHeight")
    shot = browser.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True, "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
    })
    path.write_bytes(base64.b64decode(shot["data"]))


def check_page(browser, folder, name, size):
    browser.save_screenshot(str(folder / f"{name}-{size}.png"))
    full_page_screenshot(browser, folder / f"{name}-{size}-full.png")
    assert_no_sideways_scroll(browser, name)
    assert serious_violations(browser) == [], name


def chart_titles(browser):
    return [title.get_attribute("textContent") for title in browser.find_elements(By.CSS_SELECTOR, "main svg > title")]


def test_overview_campaigns_a_campaign_and_its_downloads(sized_browser, demo_server):  # noqa: F811
    size, browser = sized_browser
    folder = ARTIFACTS / "dashboard"
    folder.mkdir(parents=True, exist_ok=True)
    log_in(browser, demo_server)

    # The overview: the 30-day chart with its table, and the review item waiting.
    assert "Opt-outs per day, last 30 days (UTC)" in chart_titles(browser)
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "Replies waiting for review (1)" in main
    assert browser.find_element(By.CSS_SELECTOR, "a[href='/dashboard/review']")
    check_page(browser, folder, "overview-chart", size)
    if size == "laptop" and os.environ.get("STOPLINK_UPDATE_DOCS") == "1":
        DOCS.mkdir(exist_ok=True)
        shutil.copyfile(folder / f"overview-chart-{size}-full.png", DOCS / "dashboard.png")

    # The list, from the menu: every demo campaign, newest first, sortable.
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "nav a[href='/dashboard/campaigns']"))
    WebDriverWait(browser, 15).until(expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Campaigns"))
    names = [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "tbody th a")]
    assert names[:4] == ["Demo campaign", "Loyalty club launch", "Newsletter, week 47", "Autumn offers"], names
    check_page(browser, folder, "campaigns", size)
    navigate(browser, browser.find_element(By.LINK_TEXT, "Opt-outs"))
    WebDriverWait(browser, 15).until(expected_conditions.url_contains("sort=opt_outs"))
    names = [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "tbody th a")]
    assert names[0] == "Autumn offers" and names[-1] == "Demo campaign", names

    # A campaign: its four charts, each an SVG with a title and a table beside it.
    navigate(browser, browser.find_element(By.LINK_TEXT, "Autumn offers"))
    WebDriverWait(browser, 15).until(expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Autumn offers"))
    assert chart_titles(browser) == ["Opt-outs by reason", "Opt-outs per day (UTC)", "Time from send to opt-out", "Visits to the links"]
    assert len(browser.find_elements(By.CSS_SELECTOR, ".chart table")) == 4
    check_page(browser, folder, "campaign", size)

    # Searching the free-text reasons keeps the visitor on the campaign.
    search = browser.find_element(By.ID, "q")
    search.send_keys("messages")
    search.submit()
    WebDriverWait(browser, 15).until(expected_conditions.url_contains("q=messages"))
    texts = [item.text for item in browser.find_elements(By.CSS_SELECTOR, ".texts .text")]
    assert texts and all("messages" in text.lower() for text in texts), texts
    check_page(browser, folder, "campaign-search", size)

    # The downloads, fetched with the browser's own session cookie.
    session = requests.Session()
    for cookie in browser.get_cookies():
        session.cookies.set(cookie["name"], cookie["value"])
    reasons_link = browser.find_element(By.PARTIAL_LINK_TEXT, "every reason").get_attribute("href")
    stats_link = browser.find_element(By.PARTIAL_LINK_TEXT, "the figures").get_attribute("href")
    reasons = session.get(reasons_link, timeout=10)
    stats = session.get(stats_link, timeout=10)
    outsider = requests.get(reasons_link, allow_redirects=False, timeout=10)

    assert reasons.status_code == 200
    assert reasons.headers["Content-Disposition"] == 'attachment; filename="autumn-offers-reasons.csv"'
    rows = list(csv.DictReader(io.StringIO(reasons.text)))
    assert rows and set(rows[0]) == {"occurred_at", "reason", "reason_label", "reason_text"}
    assert any(row["reason_label"] == "I get too many messages" for row in rows)
    assert [row["occurred_at"] for row in rows] == sorted((row["occurred_at"] for row in rows), reverse=True)
    assert stats.status_code == 200
    figures = list(csv.DictReader(io.StringIO(stats.text)))
    assert len(figures) == 1 and figures[0]["ref"] == "autumn-offers" and int(figures[0]["opt_outs"]) >= len(rows)
    assert outsider.status_code == 303 and outsider.headers["Location"] == "/dashboard/login"
