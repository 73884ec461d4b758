"""Retention: `maintenance.retain_runs` keeps the newest N runs in the per-run tables, every run in scan_runs."""
from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from jobs.scan import run_scan
from tests.conftest import make_config

pytestmark = [pytest.mark.spark, pytest.mark.integration]

BUCKET = "retention-lake"


def _runs(spark, cfg, table):
    return sorted({r["run_id"] for r in spark.read.format("delta").load(cfg.output.table(table))
                   .select("run_id").distinct().collect()})


def test_retention_keeps_the_newest_runs_and_every_run_row(spark, moto_server, s3_client, tmp_path):
    from jobs.cli import _pack_for
    from jobs.maintain import PER_RUN_TABLES, maintain_tables

    s3_client.create_bucket(Bucket=BUCKET)
    for i in range(4):
        body = f"employee {i} SSN: 536-22-8725\n" if i % 2 == 0 else f"hello {i}\n"
        s3_client.put_object(Bucket=BUCKET, Key=f"notes/{i}.txt", Body=body.encode())
    cfg = make_config(moto_server.endpoint_url, tmp_path, f'scope.buckets=["{BUCKET}"]', "quality.gate=false")
    pack = _pack_for(cfg)
    run_ids = [f"20261124T0{h}0000Z-retain0{h}" for h in (1, 2, 3)]
    for run_id in run_ids:
        run_scan(spark, cfg, pack, run_id=run_id)
    latest = spark.read.format("delta").load(cfg.output.table("object_results")).where(
        F.col("run_id") == run_ids[-1]).count()
    assert all(_runs(spark, cfg, t) == run_ids for t in ("object_results", "findings", "bucket_scores"))
    before = {t: _runs(spark, cfg, t) for t in PER_RUN_TABLES}

    stats = maintain_tables(spark, cfg, optimize=True, vacuum=False, retain_runs=2)

    for table in PER_RUN_TABLES:
        assert _runs(spark, cfg, table) == [r for r in before[table] if r in run_ids[1:]], table
    assert stats["object_results"]["rows_deleted"] == 4 and stats["findings"]["rows_deleted"] == 2
    assert "rows_deleted" not in stats["scan_runs"]
    assert _runs(spark, cfg, "scan_runs") == run_ids
    assert spark.read.format("delta").load(cfg.output.table("object_results")).where(
        F.col("run_id") == run_ids[-1]).count() == latest

    again = maintain_tables(spark, cfg, optimize=False, vacuum=False, retain_runs=2)
    assert again["object_results"]["rows_deleted"] == 0
