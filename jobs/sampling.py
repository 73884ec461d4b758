"""Which objects a run classifies. Deterministic, so retries and reruns pick the same objects."""
from __future__ import annotations

import hashlib


def should_sample(bucket: str, key: str, etag: str, seed: int, percentage: float) -> bool:
    """Deterministic in (bucket, key, etag, seed): retries and reruns pick the same objects."""
    if percentage >= 100:
        return True
    h = hashlib.sha256(f"{seed}\x00{bucket}\x00{key}\x00{etag}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64 * 100 < percentage
