"""Every analyst query in conf/queries/*.sql runs in Spark SQL on the tables of a real demo run."""
from __future__ import annotations

import pytest

from jobs import seed as seeding
from jobs.athena import load_queries, register_views
from tests.jobs.demo_run import demo_run

pytestmark = [pytest.mark.spark, pytest.mark.integration]

QUERIES = load_queries()


def test_the_five_analyst_queries_are_shipped():
    assert set(QUERIES) >= {"top_sensitive_buckets", "public_buckets_with_sensitive_data",
                            "findings_by_type_over_time", "coverage_gaps", "skipped_by_reason"}


@pytest.fixture(scope="module")
def views(spark, moto_server, s3_client, tmp_path_factory):
    demo = demo_run(spark, moto_server, s3_client, tmp_path_factory)
    assert set(register_views(spark, demo.cfg)) >= {"object_results", "findings", "bucket_scores", "scan_runs",
                                                     "bucket_inventory", "policy_findings"}
    return demo


def _run(spark, name):
    return [r.asDict() for r in spark.sql(QUERIES[name]).collect()]


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_query_runs_in_spark_sql(spark, views, name):
    spark.sql(QUERIES[name]).collect()


def test_top_sensitive_buckets_puts_sensitive_buckets_first(spark, views):
    rows = _run(spark, "top_sensitive_buckets")
    assert [r["bucket"] for r in rows][-1] == seeding.ANALYTICS_BUCKET
    assert {r["label"] for r in rows[:3]} == {"Sensitive"}
    assert [r["sensitivity_score"] for r in rows] == sorted((r["sensitivity_score"] for r in rows), reverse=True)


def test_public_buckets_with_sensitive_data_finds_the_partner_share_only(spark, views):
    rows = _run(spark, "public_buckets_with_sensitive_data")
    # acme-analytics is public but clean; acme-partner-share is shared externally and sensitive
    assert [(r["bucket"], r["exposure"]) for r in rows] == [(seeding.PARTNER_BUCKET, "SHARED_EXTERNALLY")]


def test_findings_by_type_over_time_counts_both_categories(spark, views):
    rows = _run(spark, "findings_by_type_over_time")
    assert {r["category"] for r in rows} == {"CLASSIFICATION", "POLICY"}
    n_findings = spark.sql("SELECT COUNT(*) n FROM findings").first()["n"]
    assert sum(r["findings"] for r in rows if r["category"] == "CLASSIFICATION") == n_findings


def test_coverage_gaps_has_every_bucket_fully_covered(spark, views):
    rows = _run(spark, "coverage_gaps")
    assert {r["bucket"] for r in rows} == set(seeding.BUCKETS)
    assert all(r["objects_not_classified"] == 0 and float(r["pct_classified"]) == 100.0 for r in rows)


def test_skipped_by_reason_matches_object_results(spark, views):
    rows = _run(spark, "skipped_by_reason")
    n = spark.sql("SELECT COUNT(*) n FROM object_results WHERE status = 'SKIPPED'").first()["n"]
    assert sum(r["objects"] for r in rows) == n
