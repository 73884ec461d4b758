"""Sampling decisions: percentage, strata, budgets, byte ranges (in-memory DataFrames, no S3)."""
from __future__ import annotations

import math
from datetime import datetime

import pytest

from jobs.sampling import (
    byte_ranges,
    key_shape,
    sample_hash,
    select_objects,
    should_sample,
)
from tests.conftest import make_config

SCHEMA = ("bucket string, key string, size long, etag string, last_modified timestamp, storage_class string, "
          "version_id string")
T0 = datetime(2026, 11, 1)


@pytest.mark.parametrize("key, shape", [
    ("logs/2026-11-24/host-17/part-0003.json.gz", "logs/{date}/host-{n}/part-{n}.json.gz"),
    ("events/dt=20261124/9f86d081884c7d659a2feaa0c55ad015.parquet", "events/dt={date}/{hex}.parquet"),
    ("u/123e4567-e89b-12d3-a456-426614174000/avatar.png", "u/{uuid}/avatar.png"),
    ("exports/customers.csv", "exports/customers.csv"),
    ("backup/2026/11/24/db.sql", "backup/{date}/db.sql"),
    ("data/file2a.csv", "data/file{n}a.csv"),
])
def test_key_shape_normalises_dates_ids_hashes(key, shape):
    assert key_shape(key) == shape


def test_byte_ranges_head_then_spread_to_the_end():
    r = byte_ranges(10_000, head=1000, count=3, span=500)
    assert r[0] == (0, 1000)
    assert r[-1] == (10_000 - 500, 500)  # the tail
    starts = [s for s, _ in r]
    assert starts == sorted(starts)


def _objects(spark, rows):
    return spark.createDataFrame([(b, k, n, e, T0, c, None) for b, k, n, e, c in rows], SCHEMA)


def _cfg(tmp_path, *overrides):
    return make_config("http://127.0.0.1:1", tmp_path, *overrides)


def _lake(n_buckets=2, per_bucket=200):
    rows = []
    for b in range(n_buckets):
        for i in range(per_bucket):
            rows.append((f"b{b}", f"logs/2026-11-{i % 28 + 1:02d}/app-{i}.log", 100 + i, f"e{i}", "STANDARD"))
    return rows


@pytest.mark.spark
def test_percentage_matches_the_python_decision(spark, tmp_path):
    rows = _lake()
    sel = select_objects(_cfg(tmp_path, "sampling.percentage=30", "sampling.seed=7"), _objects(spark, rows))
    got = {(r["bucket"], r["key"]): r["sampled"] for r in sel.collect()}
    want = {(b, k): should_sample(b, k, e, 7, 30) for b, k, _, e, _ in rows}
    assert got == want
    assert 0.2 < sum(got.values()) / len(got) < 0.4
    one = sel.where("bucket = 'b0'").first()
    assert one["h"] == pytest.approx(sample_hash("b0", one["key"], one["etag"], 7))


@pytest.mark.spark
def test_stratified_picks_representatives_of_every_cluster_first(spark, tmp_path):
    rows = [("b", f"logs/2026-11-{d:02d}/app.log", 10, f"l{d}", "STANDARD") for d in range(1, 29)]
    rows += [("b", f"img/{i}.png", 10, f"p{i}", "STANDARD") for i in range(20)]
    rows += [("b", "exports/customers.csv", 10, "c", "STANDARD")]
    cfg = _cfg(tmp_path, "sampling.mode=stratified", "sampling.percentage=1", "sampling.representatives=2")
    sel = select_objects(cfg, _objects(spark, rows)).where("sampled").collect()
    clusters = {}
    for r in sel:
        clusters.setdefault(key_shape(r["key"]), []).append(r["key"])
    assert set(clusters) == {"logs/{date}/app.log", "img/{n}.png", "exports/customers.csv"}
    assert len(clusters["logs/{date}/app.log"]) >= 2 and len(clusters["img/{n}.png"]) >= 2
    assert len(sel) <= 2 + 2 + 1 + 2  # the representatives, plus whatever 1% picks


@pytest.mark.spark
@pytest.mark.parametrize("overrides, check", [
    (("sampling.run_max_objects=37",), lambda per, tot, b: tot == 37),
    (("sampling.bucket_max_objects=11",), lambda per, tot, b: all(n == 11 for n, _ in per.values())),
    (("sampling.run_max_bytes=5000",), lambda per, tot, b: b <= 5000 and b > 5000 - 400),
    (("sampling.bucket_max_bytes=3000",), lambda per, tot, b: all(2600 < x <= 3000 for _, x in per.values())),
    (("sampling.bucket_max_objects=50", "sampling.run_max_objects=60"),
     lambda per, tot, b: tot == 60 and all(n <= 50 for n, _ in per.values())),
])
def test_budgets_are_never_exceeded_and_filled_in_priority_order(spark, tmp_path, overrides, check):
    sel = select_objects(_cfg(tmp_path, *overrides), _objects(spark, _lake(n_buckets=3)))
    picked = sel.where("sampled").collect()
    per = {}
    for r in picked:
        n, b = per.get(r["bucket"], (0, 0))
        per[r["bucket"]] = (n + 1, b + r["read_bytes"])
    assert check(per, len(picked), sum(r["read_bytes"] for r in picked)), per
    # A prefix of the priority order: every unpicked object ranks after every picked one in its scope.
    not_picked = sel.where("not sampled").collect()
    assert {r["sample_detail"] for r in not_picked} <= {"budget: run", "budget: bucket"}
    if "sampling.run_max_objects=37" in overrides:
        assert max(r["h"] for r in picked) < min(r["h"] for r in not_picked)


@pytest.mark.spark
def test_budgets_exempt_unreadable_objects(spark, tmp_path):
    rows = [("b", f"cold/{i}.csv", 100, f"g{i}", "GLACIER") for i in range(5)]
    rows += [("b", f"hot/{i}.csv", 100, f"h{i}", "STANDARD") for i in range(5)]
    sel = select_objects(_cfg(tmp_path, "sampling.run_max_objects=2"), _objects(spark, rows)).collect()
    assert sum(r["sampled"] for r in sel if r["storage_class"] == "GLACIER") == 5  # -> INVALID_OBJECT_STATE
    assert sum(r["sampled"] for r in sel if r["storage_class"] == "STANDARD") == 2


@pytest.mark.spark
def test_large_text_objects_get_head_and_spread_ranges(spark, tmp_path):
    rows = [("b", "big.log", 50_000_000, "a", "STANDARD"), ("b", "big.parquet", 50_000_000, "b", "STANDARD"),
            ("b", "small.log", 1000, "c", "STANDARD")]
    cfg = _cfg(tmp_path, "sampling.range_threshold_bytes=10000000", "sampling.range_head_bytes=1000000",
               "sampling.range_count=4", "sampling.range_bytes=100000")
    got = {r["key"]: r for r in select_objects(cfg, _objects(spark, rows)).collect()}
    ranges = [(x["start"], x["length"]) for x in got["big.log"]["read_ranges"]]
    assert ranges == byte_ranges(50_000_000, 1_000_000, 4, 100_000)
    assert got["big.log"]["read_bytes"] == 1_400_000
    assert got["big.parquet"]["read_ranges"] is None and got["big.parquet"]["read_bytes"] == 50_000_000
    assert got["small.log"]["read_ranges"] is None


@pytest.mark.spark
def test_rotation_quota_prefers_never_classified(spark, tmp_path):
    rows = [("b", f"k{i:03d}.txt", 10, f"e{i}", "STANDARD") for i in range(40)]
    objs = _objects(spark, rows)
    cfg = _cfg(tmp_path, "sampling.rotate=true", "sampling.percentage=25")
    first = {r["key"] for r in select_objects(cfg, objs).where("sampled").collect()}
    assert len(first) == math.ceil(40 * 0.25)
    cov = spark.createDataFrame(
        [("b", k, f"e{int(k[1:4])}", T0, f"e{int(k[1:4])}", T0, "r1") for k in first],
        "bucket string, key string, last_seen_etag string, last_modified timestamp, last_classified_etag string, "
        "last_classified_at timestamp, last_result_run string")
    second = {r["key"] for r in select_objects(cfg, objs, cov, first_run=False).where("sampled").collect()}
    assert len(second) == 10 and not (first & second)
