"""STOP replies over a real port; the Twilio signature is computed here, independently of Stoplink."""
import base64
import hashlib
import hmac

import requests

from conftest import run


def twilio_signature(token, url, fields):
    message = url + "".join(name + value for name, value in sorted(fields.items()))
    return base64.b64encode(hmac.new(token.encode(), message.encode(), hashlib.sha1).digest()).decode()


def test_a_twilio_stop_opts_out_and_is_confirmed(demo_server, database):
    company = requests.get(
        f"{demo_server.base}/api/v1/company",
        headers={"Authorization": f"Bearer {demo_server.line_starting('Demo API key: ')}"}, timeout=10,
    ).json()["id"]
    added = run("number", "add", "--company", company, "+31 97 010000000", database=database)
    auth = {"Authorization": f"Bearer {demo_server.line_starting('Demo API key: ')}"}
    requests.patch(f"{demo_server.base}/api/v1/company", json={"twilio_auth_token": "tok"}, headers=auth, timeout=10)
    fields = {"MessageSid": "SM1", "From": "+31612345678", "To": "+3197010000000", "Body": "Stop", "AccountSid": "AC1"}
    url = f"{demo_server.base}/inbound/twilio"

    answer = requests.post(url, data=fields, headers={"X-Twilio-Signature": twilio_signature("tok", url, fields)}, timeout=10)
    forged = requests.post(url, data={**fields, "MessageSid": "SM2"}, headers={"X-Twilio-Signature": "AAAA"}, timeout=10)
    state = requests.get(f"{demo_server.base}/api/v1/suppressions/%2B31612345678", headers=auth, timeout=10).json()

    assert added.stdout.strip() == "+3197010000000"
    assert answer.status_code == 200
    assert answer.text.startswith('<?xml version="1.0" encoding="UTF-8"?><Response><Message>Demo Company: je bent afgemeld')
    assert forged.status_code == 403
    assert state["suppressed"] is True
    assert [event["source"] for event in state["history"]] == ["keyword"]
