"""The webhook signature: ``sha256=`` and the hex HMAC-SHA256, keyed by the
webhook's secret, of ``"<timestamp>.<body>"``. Receivers check it with
:func:`verify_signature` (docs/webhooks.md has a standalone copy)."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_PREFIX = "sha256="
DEFAULT_TOLERANCE_SECONDS = 300.0


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Callcenter-Signature`` value for ``body`` sent at ``timestamp`` (Unix seconds, as sent)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    now: float,
    tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """Whether ``signature`` is ``body``'s at ``timestamp`` under ``secret``, and
    ``timestamp`` is within ``tolerance_seconds`` of ``now`` (Unix seconds), so a
    captured request cannot be replayed later."""
    if not (timestamp.isascii() and timestamp.isdigit()) or abs(now - int(timestamp)) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)
