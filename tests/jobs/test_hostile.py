"""Hostile input through the real job: each object ends with its reason, the run completes, a
ReDoS-prone custom identifier is cut off by the per-pattern timeout (and counted), and the peak RSS
of every classification task (VmHWM of the Python worker, reset at the start of each task) stays
under `limits.task_memory_bytes`.

Decompression bombs, 11-level nested archives, malformed parquet/pdf/docx/xlsx, binary data with a
text name and zero-byte objects are covered by test_formats_integration.py / test_scan_integration.py;
this file adds what they do not: 10,000-deep JSON, a 200 MB single-line object, a gzip bomb, invalid
UTF-8, keys with unicode, spaces, tabs, carriage returns and newlines, and a ReDoS custom identifier.
"""
from __future__ import annotations

import json
import os
import time
import zlib

import pytest
import yaml
from chispa import assert_df_equality
from pyspark.sql import functions as F

from jobs.scan import run_scan
from tests.conftest import make_config

pytestmark = [pytest.mark.spark, pytest.mark.integration]

BUCKET = "hostile-lake"
RUN_ID = "20261124T040000Z-hostile1"
SSN = "536-22-8725"
BIG = 200 * 1024 * 1024
REDOS_CDI = {"name": "REDOS_PRONE", "regex": "(?:a|aa)+c", "keywords": [], "severityLevels": []}


def _gzip_bomb(n: int) -> bytes:
    """n bytes of repeated log text, gzip-compressed about 1000:1 (the guard trips at 200:1)."""
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    line = b"GET /index.html 200 OK\n"
    chunk = line * (1024 * 1024 // len(line))
    return b"".join(c.compress(chunk) for _ in range(n // len(chunk))) + c.flush()


def _single_line(n: int) -> bytes:
    filler = b"lorem ipsum dolor sit amet, consectetur adipiscing elit; "
    mid = (n - 200) // len(filler)
    return b"employee SSN " + SSN.encode() + b" " + filler * mid + b" employee SSN " + SSN.encode()


# key -> (body factory, status, reason)
OBJECTS = {
    "json/nested-10000.json": (lambda: ("[" * 10_000 + "]" * 10_000).encode(),
                               "SKIPPED", "JSON_NESTING_LEVEL_OVER_LIMIT"),
    "json/nested-10000-object.json": (lambda: ('{"a":' * 10_000 + "1" + "}" * 10_000).encode(),
                                      "SKIPPED", "JSON_NESTING_LEVEL_OVER_LIMIT"),
    "big/single-line-200mb.txt": (lambda: _single_line(BIG), "COMPLETE", None),
    "bomb/zeros-512mb.txt.gz": (lambda: _gzip_bomb(512 * 1024 * 1024),
                                "SKIPPED", "ARCHIVE_TOTAL_BYTES_EXTRACTED_OVER_LIMIT"),
    "text/invalid-utf8.txt": (lambda: b"caf\xe9 \xff\xfe broken bytes\nemployee SSN " + SSN.encode() + b"\n",
                              "COMPLETE", None),
    "redos/aaaa.txt": (lambda: ("a" * 60 + " ") * 400, "COMPLETE", None),
    "keys/spaces and ünïcode ✓ 名前.txt": (lambda: f"employee SSN {SSN}\n".encode(), "COMPLETE", None),
    "keys/carriage\rreturn.txt": (lambda: f"employee SSN {SSN}\n".encode(), "COMPLETE", None),
    "keys/tab\tand trailing space .txt": (lambda: f"employee SSN {SSN}\n".encode(), "COMPLETE", None),
    "keys/new\nline/and\r\nboth.txt": (lambda: f"employee SSN {SSN}\n".encode(), "COMPLETE", None),
    "keys/zero-byte.csv": (lambda: b"", "COMPLETE", None),
}


@pytest.fixture(scope="module")
def hostile_run(spark, s3_client, moto_server, tmp_path_factory):
    from jobs.cli import _pack_for

    s3_client.create_bucket(Bucket=BUCKET)
    for key, (body, _, _) in OBJECTS.items():
        data = body()
        s3_client.put_object(Bucket=BUCKET, Key=key, Body=data.encode() if isinstance(data, str) else data)
    tmp = tmp_path_factory.mktemp("hostile")
    cdi = tmp / "redos.yaml"
    cdi.write_text(yaml.safe_dump({"custom_data_identifiers": [REDOS_CDI]}))
    cfg = make_config(moto_server.endpoint_url, tmp / "wh", f"scope.buckets={json.dumps([BUCKET])}",
                      f"detectors.custom_identifiers={cdi}", "detectors.selector=RECOMMENDED",
                      "posture.enabled=false", "quality.gate=false", "limits.objects_per_partition=1",
                      f"limits.max_object_bytes={BIG + 1024}")
    t0 = time.monotonic()
    report = run_scan(spark, cfg, _pack_for(cfg), run_id=RUN_ID)
    return report, cfg, time.monotonic() - t0


def test_every_hostile_object_ends_with_its_reason(spark, hostile_run):
    report, cfg, _ = hostile_run
    got = (spark.read.format("delta").load(cfg.output.table("object_results"))
           .where(F.col("run_id") == RUN_ID).select("key", "status", "reason"))
    want = spark.createDataFrame([(k, s, r) for k, (_, s, r) in OBJECTS.items()],
                                 "key string, status string, reason string")
    assert_df_equality(got, want, ignore_row_order=True, ignore_nullable=True)
    assert report.status == "SUCCEEDED"


def test_big_line_and_odd_keys_are_classified(spark, hostile_run):
    _, cfg, _ = hostile_run
    rows = {r["key"]: r for r in spark.read.format("delta").load(cfg.output.table("object_results"))
            .where(F.col("run_id") == RUN_ID).collect()}
    big = rows["big/single-line-200mb.txt"]
    assert big["bytes_read"] == big["size"] > BIG - 1024 and big["detection_count"] == 2
    for key in OBJECTS:
        if key.startswith("keys/") and not key.endswith(".csv"):
            assert rows[key]["detection_count"] == 1, key
    assert "invalid UTF-8 at byte 3" in (rows["text/invalid-utf8.txt"]["detail"] or "")
    assert rows["text/invalid-utf8.txt"]["detection_count"] == 1


def test_redos_custom_identifier_times_out_and_is_counted(hostile_run):
    report, _, _ = hostile_run
    assert report.counters["regex_timeouts"] >= 1


def test_peak_task_memory_stays_under_the_configured_bound(hostile_run):
    report, cfg, elapsed = hostile_run
    peak = report.counters["max_task_peak_rss_bytes"]
    assert 0 < peak < cfg.limits.task_memory_bytes, (peak, cfg.limits.task_memory_bytes)
    _record(report, cfg, elapsed)


def _record(report, cfg, elapsed: float) -> None:
    from bench.report import update_section

    c = report.counters
    mib = 1024 * 1024
    body = "\n".join([
        "## Faults and hostile input (tests/jobs/test_hostile.py, test_faults*.py)",
        "",
        f"Hostile lake: {len(OBJECTS)} objects (10,000-deep JSON arrays/objects, a {BIG // mib} MiB single-line "
        "text, a 512 MiB gzip bomb of text, invalid UTF-8, unicode/space/tab/CR/newline keys, a zero-byte object, "
        "a ReDoS-prone custom identifier `(?:a|aa)+c`), one object per task, local[2].",
        "",
        "| measure | value |",
        "|---|---|",
        f"| run time (whole job) | {elapsed:.1f} s |",
        f"| peak RSS of any classification task (Python worker VmHWM, reset per task) | "
        f"{c['max_task_peak_rss_bytes'] / mib:.0f} MiB |",
        f"| configured bound `limits.task_memory_bytes` | {cfg.limits.task_memory_bytes / mib:.0f} MiB |",
        f"| regex timeouts counted | {c['regex_timeouts']} |",
        f"| bytes read from S3 | {c['bytes_read'] / mib:.0f} MiB |",
    ])
    if os.environ.get("LAKESCAN_WRITE_BENCH"):  # `make bench` records it; plain test runs leave the tree clean
        update_section("faults", body)
