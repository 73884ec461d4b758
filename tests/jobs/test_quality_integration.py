"""The data-quality gate: passes a healthy run, fails runs whose tables are corrupted (data kept)."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pyspark.sql import functions as F

from jobs import tables
from jobs.quality import record_failure, validate_run
from jobs.scan import _run_date_for, run_scan
from tests.conftest import make_config
from tests.jobs.demo_run import DEMO_RUN_ID, demo_run

pytestmark = [pytest.mark.spark, pytest.mark.integration]

GATE = "lakescan-gate-check"


@pytest.fixture(scope="module")
def demo(spark, moto_server, s3_client, tmp_path_factory):
    return demo_run(spark, moto_server, s3_client, tmp_path_factory)


@pytest.fixture(scope="module")
def gate_cfg(moto_server, s3_client, tmp_path_factory):
    s3_client.create_bucket(Bucket=GATE)
    s3_client.put_object(Bucket=GATE, Key="a.txt", Body=b"employee SSN: 536-22-8725\n")
    s3_client.put_object(Bucket=GATE, Key="b.txt", Body=b"nothing to see\n")
    return make_config(moto_server.endpoint_url, tmp_path_factory.mktemp("gate-warehouse"),
                       f"scope.buckets={json.dumps([GATE])}")


def _run_row(spark, cfg, run_id):
    return (spark.read.format("delta").load(cfg.output.table("scan_runs"))
            .where(F.col("run_id") == run_id).first())


def test_gate_passes_the_demo_run(spark, demo):
    assert demo.report.status == "SUCCEEDED"
    assert _run_row(spark, demo.cfg, DEMO_RUN_ID)["status"] == "SUCCEEDED"
    result = validate_run(spark, demo.cfg, DEMO_RUN_ID)
    assert result.passed, result.failures
    assert result.checks >= 50


def test_gate_fails_a_run_whose_object_results_hold_a_foreign_row(spark, demo, gate_cfg):
    run_id = "20261124T040000Z-gatebad1"
    # Corrupt the table before the run: a row for an object that is not in scope, with a bad status.
    ghost = {f.name: None for f in tables.OBJECT_RESULTS.fields}
    ghost.update(run_id=run_id, run_date=_run_date_for(spark, gate_cfg, run_id), bucket=GATE, key="ghost.txt",
                 status="DONE", size=1, scanned_at=datetime.now(UTC))
    tables.merge_into(spark, spark.createDataFrame([ghost], tables.OBJECT_RESULTS), "object_results",
                      gate_cfg.output.table("object_results"))
    report = run_scan(spark, gate_cfg, demo.pack, run_id=run_id)
    assert report.status == "FAILED"
    row = _run_row(spark, gate_cfg, run_id)
    assert row["status"] == "FAILED"
    assert "quality gate failed" in row["message"]
    assert "object_results: expect_table_row_count_to_equal" in row["message"]
    assert "object_results: expect_column_values_to_be_in_set {column: status" in row["message"]
    # nothing deleted: the run's rows and the corrupt one are all still there
    keys = {r["key"] for r in spark.read.format("delta").load(gate_cfg.output.table("object_results"))
            .where(F.col("run_id") == run_id).collect()}
    assert keys == {"a.txt", "b.txt", "ghost.txt"}


def test_quality_check_marks_an_existing_run_failed_when_a_table_is_corrupted(spark, demo, gate_cfg):
    run_id = "20261124T050000Z-gateok01"
    assert run_scan(spark, gate_cfg, demo.pack, run_id=run_id).status == "SUCCEEDED"
    path = gate_cfg.output.table("bucket_scores")
    spark.sql(f"UPDATE delta.`{path}` SET sensitivity_score = 150 WHERE run_id = '{run_id}'")
    result = validate_run(spark, gate_cfg, run_id)
    assert not result.passed
    assert any("bucket_scores: expect_column_values_to_be_between {column: sensitivity_score" in f
               for f in result.failures), result.failures
    record_failure(spark, gate_cfg, result)
    row = _run_row(spark, gate_cfg, run_id)
    assert row["status"] == "FAILED" and "sensitivity_score" in row["message"]
    assert spark.read.format("delta").load(path).where(F.col("run_id") == run_id).count() == 1


def test_maintenance_optimizes_and_vacuums_without_changing_data(spark, demo, gate_cfg):
    from delta.tables import DeltaTable

    from jobs.maintain import maintain_tables

    if not DeltaTable.isDeltaTable(spark, gate_cfg.output.table("policy_findings")):  # run alone
        run_scan(spark, gate_cfg, demo.pack, run_id="20261124T060000Z-maint001")
    names = ("object_results", "policy_findings")  # the largest and the newest table; every table in prod
    before = {n: spark.read.format("delta").load(gate_cfg.output.table(n)).count() for n in names}
    stats = maintain_tables(spark, gate_cfg, optimize=True, vacuum=True, names=names)
    assert set(stats) == set(names)
    assert all("files_added" in s and s["vacuumed"] for s in stats.values())
    after = {n: spark.read.format("delta").load(gate_cfg.output.table(n)).count() for n in names}
    assert after == before


def test_quality_check_command_on_a_healthy_run(spark, demo):
    from click.testing import CliRunner

    from jobs.cli import cli
    from tests.conftest import REPO

    result = CliRunner().invoke(cli, ["quality", "check", "--config", str(REPO / "conf" / "local.yaml"),
                                      "--set", f"output.warehouse={demo.cfg.output.warehouse}",
                                      "--run-id", DEMO_RUN_ID])
    assert result.exit_code == 0, result.output
    assert "checks passed" in result.output
