"""Schemathesis hooks for Stoplink's conformance run.

A real client sends a fresh Idempotency-Key with every new request and reuses one only to retry
the same request. Schemathesis draws the key from the document's example, so two different bodies
would share one key and Stoplink would rightly refuse the second (422 idempotency_key_reused).
This hook gives every generated request its own key, as a client would.
"""

import uuid

import schemathesis


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    if case.headers and any(name.lower() == "idempotency-key" for name in case.headers):
        for name in list(case.headers):
            if name.lower() == "idempotency-key":
                case.headers[name] = f"conformance-{uuid.uuid4()}"
