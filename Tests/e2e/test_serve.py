import requests

from conftest import PHONE_UA, Server, form_token


def test_demo_prints_a_link_that_opens_the_page(demo_server):
    link = demo_server.line_starting("Demo link: ")

    page = requests.get(link, headers={"User-Agent": PHONE_UA}, timeout=10)

    assert link.startswith(demo_server.base + "/")
    assert page.status_code == 200
    assert "Demo Company" in page.text
    assert "•••••••78" in page.text


def test_scanners_fetching_the_link_opt_nobody_out(demo_server):
    link = demo_server.line_starting("Demo link: ")

    for agent in ["facebookexternalhit/1.1", "WhatsApp/2.23", "Mozilla/5.0 (compatible; Barracuda Sentinel)", "curl/8.5"]:
        assert requests.get(link, headers={"User-Agent": agent}, timeout=10).status_code == 200
    assert requests.head(link, timeout=10).status_code == 200
    page = requests.get(link, headers={"User-Agent": PHONE_UA}, timeout=10)

    assert 'name="phone"' in page.text, "the form is still offered: nobody was opted out"


def test_an_acknowledged_opt_out_survives_a_crash(database):
    server = Server(database, demo=True).start()
    link = server.line_starting("Demo link: ")
    session = requests.Session()
    session.headers["User-Agent"] = PHONE_UA
    token = form_token(session.get(link, timeout=10).text)

    answer = session.post(link, data={"token": token, "phone": "06 1234 5678", "reason": "too_many"},
                          allow_redirects=False, timeout=10)
    server.kill()
    restarted = Server(database, demo=True).start()
    try:
        again = session.get(restarted.line_starting("Demo link: "), timeout=10)
    finally:
        restarted.stop()

    assert answer.status_code == 303
    assert restarted.line_starting("Demo link: ") == link.replace(str(server.port), str(restarted.port))
    assert "You are already opted out" in again.text


def test_readyz_and_robots(demo_server):
    ready = requests.get(f"{demo_server.base}/readyz", timeout=10)
    robots = requests.get(f"{demo_server.base}/robots.txt", timeout=10)

    assert ready.status_code == 200
    assert "Disallow: /" in robots.text
