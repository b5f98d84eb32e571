"""The signature receivers check, and the standalone check docs/webhooks.md gives them."""

import re
from pathlib import Path

import pytest

from webhooks.signing import sign, verify_signature

BODY = b'{"event":"lead.created","data":{"lead_id":1}}'
NOW = 1_795_000_000
DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def test_the_signature_is_the_hmac_of_timestamp_dot_body():
    # echo -n '1795000000.{"event":"lead.created","data":{"lead_id":1}}' | openssl dgst -sha256 -hmac secret
    expected = "d653c51aa62698d6bd648cba8c2880037ebd9fbe22ad16224e16475d42c12388"
    assert sign("secret", str(NOW), BODY) == "sha256=" + expected


def test_a_genuine_request_verifies():
    assert verify_signature("secret", str(NOW), BODY, sign("secret", str(NOW), BODY), now=NOW + 10)


@pytest.mark.parametrize(
    "secret, timestamp, body, now",
    [
        ("other", str(NOW), BODY, NOW),  # the wrong secret
        ("secret", str(NOW), BODY + b" ", NOW),  # a changed body
        ("secret", str(NOW + 1), BODY, NOW),  # a changed timestamp
        ("secret", str(NOW), BODY, NOW + 301),  # too old: a replayed capture
        ("secret", str(NOW), BODY, NOW - 301),  # from the future
    ],
)
def test_anything_else_does_not(secret, timestamp, body, now):
    assert not verify_signature(secret, timestamp, body, sign("secret", str(NOW), BODY), now=now)


@pytest.mark.parametrize("timestamp", ["", "abc", "-5", "１２", "²"])
def test_a_malformed_timestamp_does_not_verify(timestamp):
    assert not verify_signature("secret", timestamp, BODY, sign("secret", timestamp, BODY), now=NOW)


def test_the_documented_receiver_check_agrees():
    """The Python snippet in docs/webhooks.md runs and accepts exactly what we sign."""
    snippet = re.search(r"```python\n(.*?)```", DOCS.read_text(), re.S).group(1)
    namespace: dict = {}
    exec(snippet, namespace)
    verify = namespace["verify_webhook"]
    headers = {"X-Callcenter-Timestamp": str(NOW), "X-Callcenter-Signature": sign("secret", str(NOW), BODY)}
    assert verify("secret", headers, BODY, now=NOW + 1)
    assert not verify("secret", headers, BODY + b"x", now=NOW + 1)
    assert not verify("other", headers, BODY, now=NOW + 1)
    assert not verify("secret", headers, BODY, now=NOW + 3600)
