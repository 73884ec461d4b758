"""Byte-range sampling: the executor GETs only the ranges sampling planned (head + spread), over HTTP.

Objects are built from fixed-width lines so the test knows which line each planned range covers:
values inside the ranges must be found, a value between ranges must not be (it was never read).
"""
from __future__ import annotations

import gzip

import pytest
from botocore.exceptions import ClientError
from pyspark.sql import functions as F

from jobs.classify import BYTE_RANGES_SAMPLED, classify_object, merge_ranges
from jobs.formats import Limits
from jobs.s3 import request_stats
from jobs.sampling import byte_ranges
from tests.conftest import make_config

SSN = "536-22-8725"
WIDTH = 32                 # every line is exactly this many bytes, newline included
BUCKET = "lakescan-ranges-unit"
HEAD, COUNT, SPAN = 64 * 1024, 3, 16 * 1024


def _line(i: int, secret: bool = False, sep: str = " ") -> str:
    text = f"employee SSN: {SSN}" if secret else f"filler line number {i}"
    return (text.replace(" ", sep) if sep != " " else text).ljust(WIDTH - 1) + "\n"


def _lines_at(offsets: list[int], n_lines: int, **kw) -> bytes:
    secret = {o // WIDTH for o in offsets}
    return "".join(_line(i, i in secret, **kw) for i in range(n_lines)).encode()


@pytest.fixture(scope="module")
def engine():
    from detectors import get_engine, load_pack

    return get_engine(load_pack(selector="RECOMMENDED"), b"test-ranges-key")


@pytest.fixture(scope="module")
def bucket(s3_client):
    s3_client.create_bucket(Bucket=BUCKET)
    return BUCKET


def _put(client, key, data) -> str:
    return client.put_object(Bucket=BUCKET, Key=key, Body=data)["ETag"].strip('"')


def _plan(size):
    return [{"start": s, "length": n} for s, n in byte_ranges(size, HEAD, COUNT, SPAN)]


def test_merge_ranges_sorts_clips_and_joins():
    assert merge_ranges([(100, 50), (0, 10), (140, 20), (5, 10), (990, 100)], 1000) == [
        (0, 14), (100, 159), (990, 999)]
    assert merge_ranges([(2000, 10)], 1000) == []


def test_only_the_planned_ranges_are_read(engine, s3_client, bucket):
    n_lines = 40_000                                   # 1.28 MB
    size = n_lines * WIDTH
    plan = _plan(size)
    mid = plan[2]["start"] + SPAN // 2                 # inside the second spread range
    gap = plan[1]["start"] + SPAN + 100 * WIDTH        # between two ranges: never read
    data = _lines_at([10 * WIDTH, mid, gap], n_lines)
    assert len(data) == size
    etag = _put(s3_client, "logs/big.log", data)

    before = request_stats().get("s3_calls", 0)
    res, _, n_read = classify_object(s3_client, bucket, "logs/big.log", etag, size, engine, Limits(),
                                     ranges=plan)
    calls = request_stats().get("s3_calls", 0) - before

    assert (res.status, res.reason) == ("PARTIAL", BYTE_RANGES_SAMPLED)
    assert n_read == sum(p["length"] for p in plan) < size / 4
    assert calls == len(plan)                          # one ranged GET a range, no whole-object GET
    occ = res.detections["USA_SOCIAL_SECURITY_NUMBER"]
    assert occ.count == 2                              # the head's and the second range's, not the gap's
    assert occ.occurrences[0]["line_start"] == 11      # lines in the head keep their real numbers
    assert "byte ranges" in res.detail and f"of {size} bytes" in res.detail
    assert 0 < res.size_classified <= n_read
    assert SSN not in repr(res)


def test_csv_ranges_keep_the_header_so_column_names_still_count(engine, s3_client, bucket):
    # A bare 9-digit SSN needs its keyword: here only the column name "ssn" from the header (in the head)
    head = b"id,ssn\n"
    rows = [f"{i:08d},{'536228725' if i == 30_000 else '000000000'}\n".encode() for i in range(60_000)]
    data = head + b"".join(rows)
    size = len(data)
    plan = _plan(size)
    row_bytes = len(rows[0])
    target = len(head) + 30_000 * row_bytes
    plan.append({"start": target - 4 * row_bytes, "length": 10 * row_bytes})  # a range around that row
    etag = _put(s3_client, "exports/big.csv", data)

    res, _, _ = classify_object(s3_client, bucket, "exports/big.csv", etag, size, engine, Limits(), ranges=plan)

    assert (res.status, res.reason) == ("PARTIAL", BYTE_RANGES_SAMPLED)
    (occ,) = res.detections["USA_SOCIAL_SECURITY_NUMBER"].occurrences
    assert occ["column_name"] == "ssn"


def test_content_that_is_not_text_is_read_whole(engine, s3_client, bucket):
    text = _lines_at([WIDTH * 5], 20_000)
    data = gzip.compress(text, compresslevel=0)        # a .log that is really gzip: ranges would be garbage
    etag = _put(s3_client, "logs/really-gzip.log", data)

    res, _, n_read = classify_object(s3_client, bucket, "logs/really-gzip.log", etag, len(data), engine,
                                     Limits(), ranges=_plan(len(data)))

    assert res.status == "COMPLETE" and n_read == len(data)
    assert res.detections["USA_SOCIAL_SECURITY_NUMBER"].count == 1


def test_an_object_changed_since_planning_fails_the_ranged_read(engine, s3_client, bucket):
    data = _lines_at([], 10_000)
    etag = _put(s3_client, "logs/changing.log", data)
    _put(s3_client, "logs/changing.log", data + b"one more line\n")

    with pytest.raises(ClientError) as e:
        classify_object(s3_client, bucket, "logs/changing.log", etag, len(data), engine, Limits(),
                        ranges=_plan(len(data)))
    assert e.value.response["Error"]["Code"] in ("PreconditionFailed", "412")


@pytest.mark.spark
@pytest.mark.integration
def test_the_scan_job_reads_planned_ranges(spark, moto_server, s3_client, tmp_path):
    from jobs.cli import _pack_for
    from jobs.scan import run_scan

    lake = "ranges-lake"
    s3_client.create_bucket(Bucket=lake)
    size = 40_000 * WIDTH
    plan = _plan(size)
    big = _lines_at([WIDTH * 3, plan[1]["start"] + SPAN // 2, plan[1]["start"] + SPAN + 50 * WIDTH], 40_000)
    s3_client.put_object(Bucket=lake, Key="logs/big.log", Body=big)
    s3_client.put_object(Bucket=lake, Key="logs/small.log", Body=_lines_at([0], 100))
    cfg = make_config(moto_server.endpoint_url, tmp_path, f'scope.buckets=["{lake}"]', "posture.enabled=false",
                      f"sampling.range_threshold_bytes={size // 2}",
                      f"sampling.range_head_bytes={HEAD}", f"sampling.range_count={COUNT}",
                      f"sampling.range_bytes={SPAN}")

    report = run_scan(spark, cfg, _pack_for(cfg), run_id="ranges-1")
    assert report.status == "SUCCEEDED"  # the quality gate knows BYTE_RANGES_SAMPLED

    rows = {r["key"]: r for r in spark.read.format("delta").load(cfg.output.table("object_results"))
            .where(F.col("run_id") == "ranges-1").collect()}
    assert (rows["logs/big.log"]["status"], rows["logs/big.log"]["reason"]) == ("PARTIAL", BYTE_RANGES_SAMPLED)
    assert rows["logs/big.log"]["bytes_read"] == HEAD + COUNT * SPAN
    assert rows["logs/big.log"]["detection_count"] == 2
    assert (rows["logs/small.log"]["status"], rows["logs/small.log"]["bytes_read"]) == ("COMPLETE", 100 * WIDTH)
