"""A non-ASCII identity ``hash`` from outside (HTTP and ``visitor:update``): it simply does not
verify; it never answers 500 or ``internal``."""

from __future__ import annotations

import hashlib
import hmac

import pytest
import requests

pytestmark = pytest.mark.e2e

EMAIL = "vip@example.com"
ODD_HASHES = ["é", "ü" * 64, "\u0660" * 64, "\U0001f600", "\ud800"]


@pytest.mark.parametrize("odd", ODD_HASHES)
def test_a_non_ascii_hash_does_not_verify(server, odd):
    answer = requests.post(
        server.url + "/api/widget/visitors", json={"email": EMAIL, "hash": odd}, timeout=10
    )
    assert answer.status_code in (201, 400), answer.text
    if answer.status_code == 201:
        assert answer.json()["verified"] is False
    visitor = server.visitor()
    ack = visitor.call("visitor:update", {"email": EMAIL, "hash": odd})
    assert ack["ok"] or ack["error"]["code"] == "invalid_payload", ack
    if ack["ok"]:
        assert ack["visitor"]["verified"] is False
    good = hmac.new(b"identity-secret", EMAIL.encode(), hashlib.sha256).hexdigest()
    assert visitor.ok("visitor:update", {"email": EMAIL, "hash": good})["visitor"]["verified"]
    visitor.close()
