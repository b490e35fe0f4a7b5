import json

from openapi_spec_validator import validate

from conftest import ROOT


def test_the_openapi_document_is_valid_openapi_3_1():
    document = json.loads((ROOT / "Public" / "openapi.json").read_text())

    validate(document)

    assert document["openapi"].startswith("3.1")
