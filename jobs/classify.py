"""Executor side: read each object with boto3 (one client per partition) and classify it.

Every input object yields exactly one output row, whatever happens to it: COMPLETE, PARTIAL,
or SKIPPED with a Macie reason code.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from jobs import extract
from jobs.enumerate import _error_code
from jobs.s3 import make_client
from jobs.sampling import should_sample

UNREADABLE_CLASSES = {"GLACIER", "DEEP_ARCHIVE", "EXPRESS_ONEZONE", "OUTPOSTS"}
NOT_SAMPLED = "NOT_SAMPLED"  # lakescan's own reason: in scope, not picked by sampling this run

S3_ERROR_REASONS = {
    "NoSuchKey": "SOURCE_OBJECT_NO_LONGER_AVAILABLE",
    "404": "SOURCE_OBJECT_NO_LONGER_AVAILABLE",
    "NoSuchBucket": "NO_SUCH_BUCKET_AVAILABLE",
    "PreconditionFailed": "OBJECT_VERSION_MISMATCH",
    "412": "OBJECT_VERSION_MISMATCH",
    "AccessDenied": "PERMISSION_DENIED",
    "403": "PERMISSION_DENIED",
    "InvalidObjectState": "INVALID_OBJECT_STATE",
    "InvalidRequest": "INVALID_ENCRYPTION",  # e.g. SSE-C object read without its key
    "KMS.DisabledException": "INVALID_KMS_KEY",
    "KMS.KMSInvalidStateException": "INVALID_KMS_KEY",
}


@dataclass(frozen=True)
class ExecutorContext:
    """Everything executors need, broadcast once: small and picklable."""

    s3: dict[str, Any]
    pack: Any
    hash_key: bytes
    limits: extract.Limits
    max_object_bytes: int
    sampling_percentage: float
    sampling_seed: int
    run_id: str
    run_date: date
    account_id: str


def _read_object(client, bucket: str, key: str, etag: str, limit: int) -> tuple[bytes, str | None]:
    resp = client.get_object(Bucket=bucket, Key=key, IfMatch=f'"{etag}"' if etag else "*")
    body = resp["Body"]
    try:
        data = body.read(limit + 1)
    finally:
        body.close()
    return data, resp.get("VersionId")


def classify_partition(rows: Iterator[Any], ctx_bc: Any) -> Iterator[tuple]:
    """One output row per input object, whatever happens to it."""
    from detectors import get_engine
    from detectors.severity import classify_counts

    ctx: ExecutorContext = ctx_bc.value
    engine = None
    client = None
    for r in rows:
        bucket, key, size, etag = r["bucket"], r["key"], r["size"], r["etag"]
        base = dict(bucket=bucket, key=key, etag=etag, size=size, last_modified=r["last_modified"],
                    storage_class=r["storage_class"], extension=extract.extension_of(key),
                    version_id=None, sampled=False, bytes_read=0, mime_type=None)
        sampled = should_sample(bucket, key, etag or "", ctx.sampling_seed, ctx.sampling_percentage)
        base["sampled"] = sampled
        if not sampled:
            yield _row(ctx, base, extract.ObjectResult(status=extract.SKIPPED, reason=NOT_SAMPLED))
            continue
        if (r["storage_class"] or "STANDARD") in UNREADABLE_CLASSES:
            yield _row(ctx, base, extract.ObjectResult(
                status=extract.SKIPPED, reason="INVALID_OBJECT_STATE",
                detail=f"storage class {r['storage_class']} cannot be read directly"))
            continue
        if size > ctx.max_object_bytes:
            yield _row(ctx, base, extract.ObjectResult(
                status=extract.SKIPPED, reason="FILE_EXCEEDS_SIZE_LIMIT",
                detail=f"{size} bytes > limit {ctx.max_object_bytes}"))
            continue
        if size == 0:
            yield _row(ctx, base, extract.ObjectResult(status=extract.COMPLETE, mime_type="application/x-empty"))
            continue
        if client is None:
            client = make_client(ctx.s3)
        try:
            data, version = _read_object(client, bucket, key, etag, ctx.max_object_bytes)
        except Exception as e:  # noqa: BLE001 - every S3 failure becomes a reason code
            code = _error_code(e)
            yield _row(ctx, base, extract.ObjectResult(
                status=extract.SKIPPED, reason=S3_ERROR_REASONS.get(code, "UNABLE_TO_PARSE_FILE"),
                detail=f"S3 GetObject failed: {code}"))
            continue
        base["version_id"] = version
        base["bytes_read"] = len(data)
        if engine is None:
            engine = get_engine(ctx.pack, ctx.hash_key)
        try:
            result = extract.classify_bytes(data, key, engine, ctx.limits)
        except Exception as e:  # noqa: BLE001 - a reader bug must not fail the whole job
            result = extract.ObjectResult(status=extract.SKIPPED, reason="UNABLE_TO_PARSE_FILE",
                                          detail=f"reader error: {type(e).__name__}")
        counts = {t: tr.count for t, tr in result.detections.items()}
        classified = classify_counts(counts, ctx.pack) if counts else None
        yield _row(ctx, base, result, classified)


def _row(ctx: ExecutorContext, base: dict, res: extract.ObjectResult,
         classified: tuple[str, str] | None = None) -> tuple:
    detections = [
        {"type": t, "category": tr.category, "count": tr.count, "occurrences": tr.occurrences}
        for t, tr in sorted(res.detections.items())
    ]
    return (
        ctx.run_id, ctx.run_date, ctx.account_id, base["bucket"], base["key"], base["etag"],
        base["version_id"], base["size"], base["last_modified"], base["storage_class"],
        base["extension"], base["sampled"], res.status, res.reason, res.detail, res.mime_type or base["mime_type"],
        base["bytes_read"], res.size_classified, res.detection_count, classified is not None,
        classified[0] if classified else None, classified[1] if classified else None,
        detections, datetime.now(UTC), ctx.pack.digest,
    )
