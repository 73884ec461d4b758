"""Whole runs against moto + Delta: rotation to 100% coverage, Macie initialRun incremental runs,
budgets and byte-range fields, as the scan job writes them."""
from __future__ import annotations

import math

import pytest
from pyspark.sql import functions as F

from jobs.scan import run_scan
from tests.conftest import make_config

pytestmark = [pytest.mark.spark, pytest.mark.integration]

SSN = "536-22-8725"


def _cfg(moto_server, warehouse, bucket, *overrides):
    return make_config(moto_server.endpoint_url, warehouse, f'scope.buckets=["{bucket}"]', "posture.enabled=false",
                       "quality.gate=false", *overrides)


def _run(spark, cfg, run_id):
    from jobs.cli import _pack_for

    return run_scan(spark, cfg, _pack_for(cfg), run_id=run_id)


def _results(spark, cfg, run_id):
    return {r["key"]: r for r in spark.read.format("delta").load(cfg.output.table("object_results"))
            .where(F.col("run_id") == run_id).collect()}


def _seed(client, bucket, n):
    client.create_bucket(Bucket=bucket)
    for i in range(n):
        body = f"employee {i} SSN: {SSN}\n" if i % 3 == 0 else f"hello {i}\n"
        client.put_object(Bucket=bucket, Key=f"docs/note-{i:02d}.txt", Body=body.encode())


def test_rotation_reaches_full_coverage_after_the_predicted_runs(spark, moto_server, s3_client, tmp_path):
    bucket, n, pct = "rot-lake", 12, 25
    _seed(s3_client, bucket, n)
    cfg = _cfg(moto_server, tmp_path, bucket, "sampling.rotate=true", f"sampling.percentage={pct}")
    predicted = math.ceil(100 / pct)  # ceil(n * pct%) new objects a run -> ceil(100 / pct) runs
    seen: set[str] = set()
    for k in range(1, predicted + 1):
        report = _run(spark, cfg, f"rot-{k}")
        res = _results(spark, cfg, f"rot-{k}")
        picked = {key for key, r in res.items() if r["sampled"]}
        assert len(picked) == math.ceil(n * pct / 100)
        assert not picked & seen, "rotation re-read an object before the whole scope was seen"
        seen |= picked
        cov = {c["bucket"]: c for c in report.coverage}[bucket]
        assert cov["objects_covered"] == min(n, k * math.ceil(n * pct / 100))
        if k < predicted:
            assert cov["pct_objects"] < 100 and cov["oldest_unclassified_days"] is not None
        assert {r["reason"] for key, r in res.items() if not r["sampled"]} == {"NOT_SAMPLED"}
        assert {r["detail"] for key, r in res.items() if not r["sampled"]} <= {"sampling: rotation quota"}
    assert cov["pct_objects"] == 100.0 and cov["pct_bytes"] == 100.0 and cov["oldest_unclassified_days"] is None
    assert seen == {f"docs/note-{i:02d}.txt" for i in range(n)}


def test_incremental_run_reads_only_new_and_changed_objects(spark, moto_server, s3_client, tmp_path):
    bucket = "inc-lake"
    _seed(s3_client, bucket, 6)
    cfg = _cfg(moto_server, tmp_path, bucket, "sampling.incremental=true")
    first = _run(spark, cfg, "inc-1")
    assert first.counters["objects_sampled"] == 6 and first.counters["objects_carried_forward"] == 0
    s3_client.put_object(Bucket=bucket, Key="docs/note-01.txt", Body=f"changed: SSN {SSN}\n".encode())
    s3_client.put_object(Bucket=bucket, Key="docs/new.txt", Body=b"brand new\n")
    second = _run(spark, cfg, "inc-2")
    res1, res2 = _results(spark, cfg, "inc-1"), _results(spark, cfg, "inc-2")
    assert {k for k, r in res2.items() if r["sampled"]} == {"docs/note-01.txt", "docs/new.txt"}
    assert second.counters["objects_in_scope"] == 7 and second.counters["objects_carried_forward"] == 5
    assert second.counters["bytes_read"] == sum(r["bytes_read"] for r in res2.values() if r["sampled"])
    for key in set(res2) - {"docs/note-01.txt", "docs/new.txt"}:  # unchanged: the last result, carried
        r1, r2 = res1[key], res2[key]
        assert (r2["status"], r2["sensitive"], r2["finding_type"], r2["detection_count"]) == \
               (r1["status"], r1["sensitive"], r1["finding_type"], r1["detection_count"])
        assert r2["detail"] == "incremental: unchanged, result carried from run inc-1" and r2["bytes_read"] == 0
    assert res2["docs/note-01.txt"]["sensitive"] and not res1["docs/note-01.txt"]["sensitive"]
    findings2 = {r["key"] for r in spark.read.format("delta").load(cfg.output.table("findings"))
                 .where(F.col("run_id") == "inc-2").collect()}
    assert findings2 == {"docs/note-00.txt", "docs/note-03.txt", "docs/note-01.txt"}  # carried ones included


def test_initial_run_false_analyses_only_objects_created_afterwards(spark, moto_server, s3_client, tmp_path):
    bucket = "inc-noinit"
    _seed(s3_client, bucket, 4)
    cfg = _cfg(moto_server, tmp_path, bucket, "sampling.incremental=true", "sampling.initial_run=false")
    first = _run(spark, cfg, "noinit-1")
    assert first.counters["objects_sampled"] == 0
    assert {r["detail"] for r in _results(spark, cfg, "noinit-1").values()} == {
        "incremental: existing object, initial_run=false"}
    s3_client.put_object(Bucket=bucket, Key="docs/after.txt", Body=f"SSN {SSN}\n".encode())
    _run(spark, cfg, "noinit-2")
    res = _results(spark, cfg, "noinit-2")
    assert {k for k, r in res.items() if r["sampled"]} == {"docs/after.txt"}
    assert {r["detail"] for k, r in res.items() if not r["sampled"]} == {"incremental: unchanged since the last run"}


def test_budgets_and_scope_counters_in_a_run(spark, moto_server, s3_client, tmp_path):
    bucket = "budget-lake"
    _seed(s3_client, bucket, 9)
    s3_client.put_object(Bucket=bucket, Key="docs/skip.png", Body=b"\x89PNG")
    cfg = _cfg(moto_server, tmp_path, bucket, "sampling.bucket_max_objects=4",
               'scope.excludes=[{key: OBJECT_EXTENSION, comparator: EQ, values: [png]}]')
    report = _run(spark, cfg, "budget-1")
    res = _results(spark, cfg, "budget-1")
    assert len(res) == 9 and "docs/skip.png" not in res  # excluded: out of scope, counted
    assert report.counters["objects_excluded"] == 1
    assert report.counters["excluded_exclude:OBJECT_EXTENSION"] == 1
    assert sum(r["sampled"] for r in res.values()) == 4
    assert {r["detail"] for r in res.values() if not r["sampled"]} == {"budget: bucket"}
    assert report.counters["not_sampled_budget: bucket"] == 5
