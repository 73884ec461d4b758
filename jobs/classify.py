"""Executor side: read each object with boto3 (one client per partition) and classify it.

Every input object yields exactly one output row, whatever happens to it: COMPLETE, PARTIAL,
or SKIPPED with a Macie reason code.

Objects are never loaded whole by default: `classify_object` hands the GetObject streaming body to
`jobs.formats.classify_stream`, which reads it in `limits.stream_chunk_bytes` steps (text in
overlapping windows), and gives formats that need random access ranged GETs (`S3RangeFile`).
"""
from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from jobs import extract
from jobs.enumerate import _error_code
from jobs.s3 import Clients, request_stats
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
# A body that breaks while being read (connection reset, truncated, read timeout) is read again from
# the start, at most this many more times; the first reads' partial text is discarded.
TRANSIENT_REREADS = 3


class TransientReadError(RuntimeError):
    """The GetObject body broke while being read (the readers may have swallowed the error)."""


class CounterParam:
    """Spark AccumulatorParam for {name: int} counters; names starting with `max_` keep the maximum."""

    def zero(self, value: dict) -> dict:
        return {}

    def addInPlace(self, a: dict, b: dict) -> dict:  # noqa: N802 - Spark's name
        for k, v in b.items():
            a[k] = max(a.get(k, 0), v) if k.startswith("max_") else a.get(k, 0) + v
        return a


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
    accounts: Any = None  # jobs.s3.AccountCredentials (multi-account): each bucket read with its account's role

    def account_of(self, bucket: str) -> str:
        return self.accounts.account_of(bucket) if self.accounts is not None else self.account_id


class S3Body(io.RawIOBase):
    """The streaming body of one GetObject, read in chunks (never whole); counts the bytes read."""

    def __init__(self, body) -> None:
        self.body = body
        self.count = 0
        self.failed: Exception | None = None  # a transport error seen while reading (ranged GETs too)

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        try:
            data = self.body.read(None if n is None or n < 0 else n) or b""
        except Exception as e:
            self.failed = self.failed or e
            raise
        self.count += len(data)
        return data

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.body.close()
        super().close()


def ranged_get(client, bucket: str, key: str, etag: str, start: int, end: int) -> tuple[bytes, str | None]:
    """Bytes start..end (inclusive) of the listed version (If-Match its ETag) and the version id."""
    resp = client.get_object(Bucket=bucket, Key=key, Range=f"bytes={start}-{end}",
                             IfMatch=f'"{etag}"' if etag else "*")
    return resp["Body"].read(), resp.get("VersionId")


class S3RangeFile(io.RawIOBase):
    """A seekable view of one object version by ranged GETs (for zip, docx, xlsx, pdf, parquet, orc)."""

    def __init__(self, client, bucket: str, key: str, etag: str, size: int, counter: S3Body) -> None:
        self.client, self.bucket, self.key, self.etag, self.size = client, bucket, key, etag, size
        self.counter = counter
        self.pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self.pos, 2: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def readinto(self, b) -> int:
        if self.pos >= self.size or not len(b):
            return 0
        end = min(self.size, self.pos + len(b)) - 1
        try:
            data, _ = ranged_get(self.client, self.bucket, self.key, self.etag, self.pos, end)
        except Exception as e:
            self.counter.failed = self.counter.failed or e
            raise
        b[: len(data)] = data
        self.pos += len(data)
        self.counter.count += len(data)
        return len(data)


class RangedLines(io.RawIOBase):
    """Whole lines from byte ranges of one object version (head + spread), one ranged GET each.

    Sampling (jobs/sampling.py) plans `read_ranges` for large text-like objects. The head range
    starts the text (so a CSV keeps its header); every later range drops its first, partial line
    and its last, partial line (a range with no newline at all is kept whole: one long line), and
    every piece ends with a newline so pieces never run into each other. UTF-8 never has 0x0A inside
    a multi-byte character, so cutting at newlines keeps characters whole. Pieces are fetched one at
    a time: memory holds one range. Same counters as `S3Body` (`count`, `failed`).
    """

    def __init__(self, client, bucket: str, key: str, etag: str, size: int, ranges: list[tuple[int, int]]) -> None:
        self.client, self.bucket, self.key, self.etag, self.size = client, bucket, key, etag, size
        self.ranges = merge_ranges(ranges, size)
        self.count = 0
        self.failed: Exception | None = None
        self.version: str | None = None
        self.text_bytes = 0          # bytes handed to the readers (after trimming partial lines)
        self._next = 0
        self._buf = b""

    def readable(self) -> bool:
        return True

    def _fetch(self) -> bool:
        if self._next >= len(self.ranges):
            return False
        start, end = self.ranges[self._next]  # inclusive end
        self._next += 1
        try:
            data, version = ranged_get(self.client, self.bucket, self.key, self.etag, start, end)
        except Exception as e:
            self.failed = self.failed or e
            raise
        self.version = self.version or version
        self.count += len(data)
        if end + 1 < self.size:             # the range stops inside the object: drop the partial last line
            cut = data.rfind(b"\n")
            data = data[: cut + 1] if cut != -1 else data
        if start > 0:                       # and, after the head, the partial first line
            cut = data.find(b"\n")
            data = data[cut + 1:] if cut != -1 and cut + 1 < len(data) else data
        if data and not data.endswith(b"\n"):
            data += b"\n"
        self.text_bytes += len(data)
        self._buf += data
        return True

    def peek_head(self, n: int) -> bytes:
        while len(self._buf) < n and self._fetch():
            pass
        return self._buf[:n]

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            while self._fetch():
                pass
            out, self._buf = self._buf, b""
            return out
        while not self._buf and self._fetch():
            pass
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)


def merge_ranges(ranges: list[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    """(start, length) pairs to sorted, non-overlapping, inclusive (start, end) within the object."""
    out: list[tuple[int, int]] = []
    for start, length in sorted((int(s), int(n)) for s, n in ranges):
        end = min(size, start + length) - 1
        if start >= size or end < start:
            continue
        if out and start <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


# Formats whose readers make sense of whole lines picked from the middle of the object; anything
# else text-like (JSON documents, XML, HTML, logs) is classified as plain text when range-sampled.
RANGE_READERS = frozenset({"csv", "tsv", "jsonl"})
RANGE_TEXTUAL = RANGE_READERS | {"json", "xml", "html", "text"}
BYTE_RANGES_SAMPLED = "BYTE_RANGES_SAMPLED"  # lakescan's own reason: PARTIAL, only the planned ranges were read


def classify_ranges(client, bucket: str, key: str, etag: str, size: int, ranges, engine,
                    limits: extract.Limits) -> tuple[extract.ObjectResult, str | None, int] | None:
    """Classify only the planned byte ranges of a large text-like object: (result, version, bytes read).

    None when the head shows the content is not text (a `.log` that is really gzip, say): the caller
    then reads the object whole. A COMPLETE result becomes PARTIAL with reason `BYTE_RANGES_SAMPLED`
    and a detail naming the ranges; line/row locations after the head count within the sampled text.
    """
    from jobs.formats.sniff import sniff

    body = RangedLines(client, bucket, key, etag, size, [(r["start"], r["length"]) for r in ranges])
    kind, _ = sniff(body.peek_head(4096), key)  # a failed GET raises here
    if kind not in RANGE_TEXTUAL:
        return None
    name = key if kind in RANGE_READERS else key + ".txt"
    result = extract.classify_stream(body, name, engine, limits, size=None, opener=None)
    if body.failed is not None:
        raise body.failed if _s3_error(body.failed) else TransientReadError(type(body.failed).__name__)
    spans = ", ".join(f"{s}-{e}" for s, e in body.ranges[:8]) + (" ..." if len(body.ranges) > 8 else "")
    note = f"read {body.count} of {size} bytes in {len(body.ranges)} byte ranges (bytes {spans})"
    if result.status == extract.COMPLETE:
        result = dataclasses.replace(result, status=extract.PARTIAL, reason=BYTE_RANGES_SAMPLED,
                                     detail="; ".join(x for x in (note, result.detail) if x)[:1000],
                                     size_classified=body.text_bytes)
    return result, body.version, body.count


def _open_object(client, bucket: str, key: str, etag: str) -> tuple[S3Body, str | None]:
    resp = client.get_object(Bucket=bucket, Key=key, IfMatch=f'"{etag}"' if etag else "*")
    return S3Body(resp["Body"]), resp.get("VersionId")


def classify_object(client, bucket: str, key: str, etag: str, size: int, engine,
                    limits: extract.Limits, ranges=None) -> tuple[extract.ObjectResult, str | None, int]:
    """Stream one object through the readers: (result, version id, bytes read from S3).

    `ranges` (planned by sampling for large text-like objects): read only those byte ranges.

    Text-like formats, compressed streams, tar and Avro are read from the body in
    `limits.stream_chunk_bytes` steps; formats that need random access use ranged GETs when the
    object is large. S3 errors (before or while reading) raise for the caller to map.
    """
    if ranges:
        ranged = classify_ranges(client, bucket, key, etag, size, ranges, engine, limits)
        if ranged is not None:
            return ranged
    body, version = _open_object(client, bucket, key, etag)
    opener = lambda: io.BufferedReader(  # noqa: E731
        S3RangeFile(client, bucket, key, etag, size, body), buffer_size=1024 * 1024)
    try:
        result = extract.classify_stream(body, key, engine, limits, size=size, opener=opener)
    finally:
        body.close()
    if body.failed is not None:  # whatever the reader made of it, the object was not read whole
        raise body.failed if _s3_error(body.failed) else TransientReadError(type(body.failed).__name__)
    return result, version, body.count


def _s3_error(e: Exception) -> bool:
    from botocore.exceptions import BotoCoreError, ClientError

    return isinstance(e, (ClientError, BotoCoreError))


def _transient(e: Exception) -> bool:
    """A broken connection or body, worth reading the object again (S3 answers are not)."""
    from botocore.exceptions import (
        ClientError,
        ConnectionError,
        HTTPClientError,
        IncompleteReadError,
        ResponseStreamingError,
    )

    if isinstance(e, ClientError):
        return False
    if isinstance(e, (TransientReadError, ConnectionError, HTTPClientError, ResponseStreamingError,
                      IncompleteReadError)):
        return True
    try:
        from urllib3.exceptions import HTTPError as Urllib3Error
    except ImportError:  # pragma: no cover
        return False
    return isinstance(e, Urllib3Error)


def classify_partition(rows: Iterator[Any], ctx_bc: Any, stats: Any = None) -> Iterator[tuple]:
    """One output row per input object, whatever happens to it.

    `stats` (optional accumulator with `CounterParam`) receives this partition's S3 calls, HTTP
    attempts and retries, re-reads of broken bodies, and the Python worker's peak RSS.
    """
    from detectors import get_engine
    from detectors.severity import classify_counts

    ctx: ExecutorContext = ctx_bc.value
    s3_before = request_stats()
    local: dict[str, int] = {}
    _reset_peak_rss()
    try:
        yield from _classify_rows(rows, ctx, local, get_engine, classify_counts)
    finally:
        if stats is not None:
            import resource

            after = request_stats()
            calls = after.get("s3_calls", 0) - s3_before.get("s3_calls", 0)
            reqs = after.get("s3_requests", 0) - s3_before.get("s3_requests", 0)
            local.update(s3_get_calls=calls, s3_get_requests=reqs, s3_get_retries=max(0, reqs - calls),
                         max_task_peak_rss_bytes=_peak_rss() or
                         resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
            stats.add(local)


def _reset_peak_rss() -> None:
    """Linux: reset this process's peak RSS (VmHWM), so the peak read at the end is this task's."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def _peak_rss() -> int:
    """VmHWM of this Python worker in bytes (0 where /proc is not available)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _classify_rows(rows: Iterator[Any], ctx: ExecutorContext, local: dict[str, int], get_engine,
                   classify_counts) -> Iterator[tuple]:
    holder: dict[str, Any] = {}  # the engine, once built, and its regex timeouts before this partition
    try:
        yield from _classify_each(rows, ctx, local, get_engine, classify_counts, holder)
    finally:
        engine = holder.get("engine")
        if engine is not None:
            local["regex_timeouts"] = engine.counters.get("regex_timeouts", 0) - holder["timeouts0"]


def _classify_each(rows: Iterator[Any], ctx: ExecutorContext, local: dict[str, int], get_engine,
                   classify_counts, holder: dict) -> Iterator[tuple]:
    engine = None
    client = None
    for r in rows:
        bucket, key, size, etag = r["bucket"], r["key"], r["size"], r["etag"]
        base = dict(bucket=bucket, key=key, etag=etag, size=size, last_modified=r["last_modified"],
                    storage_class=r["storage_class"], extension=extract.extension_of(key),
                    version_id=None, sampled=False, bytes_read=0, mime_type=None)
        fields = getattr(r, "__fields__", ())
        if "sampled" in fields:  # decided by jobs/sampling.py:select_objects (budgets, strata, rotation)
            sampled = bool(r["sampled"])
        else:
            sampled = should_sample(bucket, key, etag or "", ctx.sampling_seed, ctx.sampling_percentage)
        base["sampled"] = sampled
        if not sampled:
            yield _row(ctx, base, extract.ObjectResult(
                status=extract.SKIPPED, reason=NOT_SAMPLED,
                detail=r["sample_detail"] if "sample_detail" in fields else None))
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
            client = Clients(ctx.accounts if ctx.accounts is not None else ctx.s3)
        if engine is None:
            engine = get_engine(ctx.pack, ctx.hash_key, settle=True)
            holder.update(engine=engine, timeouts0=engine.counters.get("regex_timeouts", 0))
        try:
            for attempt in range(TRANSIENT_REREADS + 1):
                try:
                    result, version, n_read = classify_object(
                        client.for_bucket(bucket), bucket, key, etag, size, engine, ctx.limits,
                        ranges=r["read_ranges"] if "read_ranges" in fields else None)
                    break
                except Exception as e:  # noqa: BLE001
                    if attempt == TRANSIENT_REREADS or not _transient(e):
                        raise
                    local["objects_reread"] = local.get("objects_reread", 0) + 1
            base["version_id"] = version
            base["bytes_read"] = n_read
        except Exception as e:  # noqa: BLE001 - every S3 failure and reader bug becomes a reason code
            from botocore.exceptions import BotoCoreError, ClientError

            if _transient(e):  # still broken after TRANSIENT_REREADS more reads (and botocore's retries)
                local["objects_read_failed"] = local.get("objects_read_failed", 0) + 1
                name = str(e) if isinstance(e, TransientReadError) else type(e).__name__
                result = extract.ObjectResult(status=extract.SKIPPED, reason="UNABLE_TO_PARSE_FILE",
                                              detail=f"S3 read broke {TRANSIENT_REREADS + 1} times: {name}")
            elif isinstance(e, (ClientError, BotoCoreError)):
                code = _error_code(e)
                result = extract.ObjectResult(
                    status=extract.SKIPPED, reason=S3_ERROR_REASONS.get(code, "UNABLE_TO_PARSE_FILE"),
                    detail=f"S3 GetObject failed: {code}")
            else:
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
        ctx.run_id, ctx.run_date, ctx.account_of(base["bucket"]), base["bucket"], base["key"], base["etag"],
        base["version_id"], base["size"], base["last_modified"], base["storage_class"],
        base["extension"], base["sampled"], res.status, res.reason, res.detail, res.mime_type or base["mime_type"],
        base["bytes_read"], res.size_classified, res.detection_count, classified is not None,
        classified[0] if classified else None, classified[1] if classified else None,
        detections, datetime.now(UTC), ctx.pack.digest,
    )
