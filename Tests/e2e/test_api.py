"""The README's API walkthrough, over a real port: a campaign, links from a CSV, a check, stats."""
import csv
import io

import requests

from conftest import PHONE_UA, form_token


def test_the_readme_walkthrough(demo_server):
    api = f"{demo_server.base}/api/v1"
    key = demo_server.line_starting("Demo API key: ")
    auth = {"Authorization": f"Bearer {key}"}

    campaign = requests.post(f"{api}/campaigns", json={"ref": "spring-sale", "name": "Spring sale"}, headers=auth, timeout=10)
    issued = requests.post(
        f"{api}/campaigns/spring-sale/links",
        data="phone\n+31 6 11111111\n0622222222\nnot a number\n".encode(),
        headers={**auth, "Content-Type": "text/csv", "Accept": "text/csv"}, timeout=10,
    )
    rows = list(csv.DictReader(io.StringIO(issued.text)))
    link = rows[0]["url"]
    session = requests.Session()
    session.headers["User-Agent"] = PHONE_UA
    token = form_token(session.get(link, timeout=10).text)
    opted = session.post(link, data={"token": token, "phone": "06 11111111", "reason": "too_many"}, allow_redirects=False, timeout=10)
    check = requests.post(f"{api}/check", json={"phones": ["+31611111111", "+31622222222"], "purpose": "marketing"}, headers=auth, timeout=10)
    stats = requests.get(f"{api}/campaigns/spring-sale/stats", headers=auth, timeout=10)

    assert campaign.status_code == 201
    assert issued.status_code == 200
    assert [row["phone"] for row in rows] == ["+31611111111", "+31622222222", "not a number"]
    assert rows[2]["error"] and not rows[2]["code"]
    assert opted.status_code == 303
    assert [r["allowed"] for r in check.json()["results"]] == [False, True]
    assert check.json()["results"][0]["campaign"] == "spring-sale"
    body = stats.json()
    assert body["links"] == 2 and body["opt_outs"] == 1 and body["opt_out_rate"] == 0.5
    assert body["reasons"] == [{"key": "too_many", "count": 1}]


def test_api_without_a_key_is_refused(demo_server):
    response = requests.get(f"{demo_server.base}/api/v1/company", timeout=10)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
