"""How a receiver knows a delivery came from this Leadbook.

Each delivery carries `X-Leadbook-Timestamp` (Unix seconds) and `X-Leadbook-Signature:
sha256=<hex>`, the HMAC-SHA256 of `<timestamp>.<raw body>` keyed with the webhook's secret.
Signing the timestamp too lets receivers refuse old deliveries replayed later.
"""

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Leadbook-Signature"
TIMESTAMP_HEADER = "X-Leadbook-Timestamp"
DEFAULT_TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, received: str,
           tolerance: int = DEFAULT_TOLERANCE_SECONDS, now: float | None = None) -> bool:
    """What a Python receiver does (docs/api.md shows it standalone)."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - sent_at) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, sent_at, body), received)
