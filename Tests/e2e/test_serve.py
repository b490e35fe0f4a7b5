import os
import subprocess

import requests

from conftest import BINARY, PHONE_UA, ROOT, Server, form_token


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


def test_abuse_limits_trusted_proxies_and_metrics_from_flags(database):
    token = "metrics-token-0123456789"
    server = Server(database, extra_args=[
        "--limit-unknown-code", "2/min", "--trusted-proxy", "127.0.0.1", "--metrics-token", token,
    ]).start()
    try:
        misses = [requests.get(f"{server.base}/zzzzzzzzzz", headers={"X-Forwarded-For": "198.51.100.7"}, timeout=10)
                  for _ in range(3)]
        other = requests.get(f"{server.base}/zzzzzzzzzz", headers={"X-Forwarded-For": "198.51.100.8"}, timeout=10)
        metrics = requests.get(f"{server.base}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        anonymous = requests.get(f"{server.base}/metrics", timeout=10)
    finally:
        server.stop()

    assert [r.status_code for r in misses] == [404, 404, 429]
    assert misses[2].headers["Retry-After"] == "30"
    assert other.status_code == 404, "another client behind the same proxy has its own allowance"
    assert metrics.status_code == 200
    assert 'stoplink_rate_limit_rejections_total{limit="unknown_code"} 1' in metrics.text
    assert 'stoplink_http_requests_total{method="GET",route="/{code}",status="429"} 1' in metrics.text
    assert anonymous.status_code == 401


def test_bad_limit_settings_are_reported_together(database):
    environment = dict(os.environ, STOPLINK_LIMIT_API="lots")
    result = subprocess.run(
        [str(BINARY), "serve", "--database", f"sqlite:{database}", "--limit-form", "5/week",
         "--trusted-proxy", "proxy.example", "--metrics-token", "short"],
        capture_output=True, text=True, cwd=ROOT, timeout=60, env=environment,
    )

    assert result.returncode != 0
    assert "--limit-form" in result.stderr and "'5/week'" in result.stderr
    assert "--limit-api" in result.stderr and "'lots'" in result.stderr
    assert "'proxy.example'" in result.stderr
    assert "--metrics-token must be at least 16 characters" in result.stderr
    assert not database.exists(), "nothing is touched before the settings are right"
