"""The real nightly job against a moto S3 server over HTTP, written to real Delta tables."""
from __future__ import annotations

import gzip
import json
import random
from datetime import date

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from jobs import seed as seeding
from jobs.scan import NOT_SAMPLED, run_scan
from jobs.tables import TABLES
from tests.conftest import make_config

pytestmark = [pytest.mark.spark, pytest.mark.integration]

EDGE = "lakescan-edge-cases"
RUN_ID = "20261124T000000Z-itest001"
SIZE_LIMIT = 100_000

# key -> (status, reason) every edge-case object must end with
EDGE_EXPECTED = {
    "images/logo.png": ("SKIPPED", "UNSUPPORTED_FILE_TYPE_EXCEPTION"),
    "archive/2019/customers.csv": ("SKIPPED", "INVALID_OBJECT_STATE"),
    "empty.txt": ("COMPLETE", None),
    "notes/binary.txt": ("SKIPPED", "UNSUPPORTED_FILE_TYPE_EXCEPTION"),
    "broken/truncated.csv.gz": ("SKIPPED", "MALFORMED_FILE"),
    "deep/nested.json": ("SKIPPED", "JSON_NESTING_LEVEL_OVER_LIMIT"),
    "big/huge.log": ("SKIPPED", "FILE_EXCEEDS_SIZE_LIMIT"),
    "weird key with spaces/ünïcode ssn.txt": ("COMPLETE", None),
}


def _seed_edge_cases(client) -> str:
    """Objects that must each end with a specific status and reason. Returns the planted SSN."""
    client.create_bucket(Bucket=EDGE)
    put = lambda key, body, **kw: client.put_object(Bucket=EDGE, Key=key, Body=body, **kw)  # noqa: E731
    put("images/logo.png", b"\x89PNG\r\n\x1a\n" + bytes(200))
    put("archive/2019/customers.csv", b"ssn\n536-22-8725\n", StorageClass="GLACIER")
    put("empty.txt", b"")
    put("notes/binary.txt", bytes(range(256)) * 4)
    gz = gzip.compress(seeding.analytics_csv(random.Random(1), date(2026, 1, 1), 200))
    put("broken/truncated.csv.gz", gz[: len(gz) // 2])
    put("deep/nested.json", ("[" * 300 + "]" * 300).encode())
    put("big/huge.log", b"x" * (SIZE_LIMIT + 1))
    ssn = "536-22-8725"
    put("weird key with spaces/ünïcode ssn.txt", f"employee SSN: {ssn}\n".encode())
    return ssn


@pytest.fixture(scope="module")
def lake(s3_client):
    manifest = seeding.seed(s3_client)
    planted_ssn = _seed_edge_cases(s3_client)
    manifest.add(EDGE, "weird key with spaces/ünïcode ssn.txt", {planted_ssn})
    return manifest


@pytest.fixture(scope="module")
def scan_config(moto_server, tmp_path_factory):
    buckets = json.dumps([*seeding.BUCKETS, EDGE])
    return make_config(moto_server.endpoint_url, tmp_path_factory.mktemp("itest-warehouse"),
                       f"scope.buckets={buckets}", f"limits.max_object_bytes={SIZE_LIMIT}")


@pytest.fixture(scope="module")
def first_run(spark, lake, scan_config):
    from jobs.cli import _pack_for

    pack = _pack_for(scan_config)
    report = run_scan(spark, scan_config, pack, run_id=RUN_ID)
    return report, pack


def _load(spark, cfg, name):
    return spark.read.format("delta").load(cfg.output.table(name))


def test_every_object_in_scope_has_exactly_one_result_row(spark, lake, scan_config, first_run):
    results = _load(spark, scan_config, "object_results").where(F.col("run_id") == RUN_ID)
    expected = spark.createDataFrame(
        [(b, k) for b, keys in lake.objects.items() for k in keys] + [(EDGE, k) for k in EDGE_EXPECTED
                                                                      if k not in lake.objects.get(EDGE, [])],
        "bucket string, key string",
    )
    assert_df_equality(results.select("bucket", "key"), expected, ignore_row_order=True,
                       ignore_nullable=True)
    report, _ = first_run
    assert report.counters["objects_in_scope"] == expected.count()


def test_edge_cases_end_with_their_reason(spark, scan_config, first_run):
    actual = (_load(spark, scan_config, "object_results")
              .where((F.col("run_id") == RUN_ID) & (F.col("bucket") == EDGE))
              .select("key", "status", "reason"))
    expected = spark.createDataFrame([(k, s, r) for k, (s, r) in EDGE_EXPECTED.items()],
                                     "key string, status string, reason string")
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_findings_in_sensitive_buckets_and_none_in_the_clean_one(spark, lake, scan_config, first_run):
    findings = _load(spark, scan_config, "findings").where(F.col("run_id") == RUN_ID)
    expected = spark.createDataFrame(
        [(b, k) for b, keys in lake.sensitive_objects.items() for k in keys], "bucket string, key string")
    assert_df_equality(findings.select("bucket", "key"), expected, ignore_row_order=True,
                       ignore_nullable=True)
    assert findings.where(F.col("bucket").isin(*seeding.CLEAN_BUCKETS)).count() == 0
    # Every finding holds at most 15 locations per type, and the object result keeps the full count.
    over = findings.select(F.explode("detections").alias("d")).where(F.size("d.occurrences") > 15)
    assert over.count() == 0


def test_detection_types_and_locations(spark, scan_config, first_run):
    res = _load(spark, scan_config, "object_results").where(F.col("run_id") == RUN_ID)
    occ = (res.select("bucket", "key", F.explode("detections").alias("d"))
           .select("bucket", "key", "d.type", F.explode("d.occurrences").alias("o")))
    # A CSV SSN column: cells with the column name, rows counted from the header as row 1.
    csv_ssn = occ.where((F.col("bucket") == seeding.CUSTOMER_BUCKET) & F.col("key").endswith("customers.csv")
                        & (F.col("type") == "USA_SOCIAL_SECURITY_NUMBER"))
    assert csv_ssn.count() > 0
    assert csv_ssn.where((F.col("o.kind") != "cell") | (F.col("o.column_name") != "ssn")
                         | (F.col("o.column") != 5) | (F.col("o.row") < 2)).count() == 0
    # JSON Lines logs: record index and JSON path of the leaked key.
    aws = occ.where((F.col("bucket") == seeding.LOGS_BUCKET) & F.col("type").startswith("AWS_"))
    assert aws.count() > 0
    assert aws.where((F.col("o.kind") != "record") | (F.col("o.json_path") != "$.msg")).count() == 0
    # Plain text: line and column.
    txt = occ.where(F.col("key") == "weird key with spaces/ünïcode ssn.txt").collect()
    assert [(r["type"], r["o"]["line_start"], r["o"]["start_column"]) for r in txt] == [
        ("USA_SOCIAL_SECURITY_NUMBER", 1, 15)]


def test_bucket_scores_separate_sensitive_from_clean(spark, scan_config, first_run):
    scores = {r["bucket"]: (r["sensitivity_score"], r["label"]) for r in
              _load(spark, scan_config, "bucket_scores").where(F.col("run_id") == RUN_ID).collect()}
    assert set(scores) == {*seeding.BUCKETS, EDGE}
    for b in (seeding.CUSTOMER_BUCKET, seeding.LOGS_BUCKET, seeding.PARTNER_BUCKET):
        assert 51 <= scores[b][0] <= 99 and scores[b][1] == "Sensitive", b
    assert 1 <= scores[seeding.ANALYTICS_BUCKET][0] <= 49
    assert scores[seeding.ANALYTICS_BUCKET][1] == "Not sensitive"


def test_no_raw_sensitive_value_in_any_table(spark, lake, scan_config, first_run):
    values = lake.all_values()
    digits_only = {"".join(c for c in v if c.isdigit()) for v in values}
    needles = sorted(v for v in values | {d for d in digits_only if len(d) >= 9} if len(v) >= 9)
    assert len(needles) > 100
    for name in TABLES:
        df = _load(spark, scan_config, name)
        blob = "\n".join(r[0] for r in df.select(F.to_json(F.struct(*df.columns))).collect())
        leaked = [v for v in needles if v in blob]
        assert not leaked, f"{name} contains {len(leaked)} raw sensitive values"


def test_rerun_with_same_run_id_is_idempotent(spark, scan_config, first_run):
    _, pack = first_run
    before = {n: _load(spark, scan_config, n).count() for n in TABLES}
    versions = {n: _history(spark, scan_config, n) for n in TABLES}
    run_scan(spark, scan_config, pack, run_id=RUN_ID)
    after = {n: _load(spark, scan_config, n).count() for n in TABLES}
    assert after == before
    for n in TABLES:  # exactly one commit per table per run
        assert _history(spark, scan_config, n) == versions[n] + 1, n


def _history(spark, cfg, name) -> int:
    return spark.sql(f"DESCRIBE HISTORY delta.`{cfg.output.table(name)}`").count()


def test_scan_runs_records_the_run(spark, scan_config, first_run):
    report, pack = first_run
    row = _load(spark, scan_config, "scan_runs").where(F.col("run_id") == RUN_ID).first()
    assert row["status"] == "SUCCEEDED"
    assert row["config_digest"] == scan_config.digest()
    assert row["rule_pack_digest"] == pack.digest
    assert row["counters"]["objects_in_scope"] == report.counters["objects_in_scope"]
    assert row["skipped_by_reason"]["INVALID_OBJECT_STATE"] == 1


def test_sampling_is_deterministic_and_records_unsampled_objects(spark, lake, scan_config, first_run):
    _, pack = first_run
    cfg = scan_config.model_copy(update={"sampling": scan_config.sampling.model_copy(
        update={"percentage": 30.0, "seed": 11})})
    r1 = run_scan(spark, cfg, pack, run_id="20261124T000000Z-sample01")
    r2 = run_scan(spark, cfg, pack, run_id="20261124T000000Z-sample02")
    res = _load(spark, cfg, "object_results")
    picked = lambda rid: {(r["bucket"], r["key"]) for r in  # noqa: E731
                          res.where((F.col("run_id") == rid) & F.col("sampled")).collect()}
    assert picked(r1.run_id) == picked(r2.run_id)
    total = r1.counters["objects_in_scope"]
    assert 0.15 * total < len(picked(r1.run_id)) < 0.45 * total
    assert r1.skipped_by_reason[NOT_SAMPLED] == total - r1.counters["objects_sampled"]
