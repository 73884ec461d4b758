"""Kills: the driver SIGKILLed mid-run then rerun with the same run id, and a Spark worker (with its
executor) killed mid-run on a standalone cluster. Either way every object ends with exactly one
row, no finding is lost or duplicated, and scan_runs holds one SUCCEEDED row for the run.

The job reads through jobs/faultproxy.py (no faults), whose `before_get` hook tells the test that
classification has started and holds that one read for a moment, so the kill lands mid-run.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from pyspark.sql import functions as F

from jobs import seed as seeding
from jobs.faultproxy import FaultProxy
from tests.conftest import REPO, make_config

pytestmark = [pytest.mark.spark, pytest.mark.integration]

LAKE = "kill-lake"
N_OBJECTS = 60


def _seed(client) -> seeding.SeedManifest:
    rng = random.Random(5)
    m = seeding.SeedManifest()
    client.create_bucket(Bucket=LAKE)
    for i in range(N_OBJECTS):
        if i % 3 == 0:
            body, values = seeding.customer_export(rng, 4)
            key = f"exports/{i:03d}.csv"
        else:
            body, values = seeding.partner_note(rng, sensitive=i % 3 == 1 and i % 2 == 0)
            key = f"memos/{i:03d}.txt"
        client.put_object(Bucket=LAKE, Key=key, Body=body)
        m.add(LAKE, key, values)
    return m


@pytest.fixture(scope="module")
def lake(s3_client):
    return _seed(s3_client)


@pytest.fixture(scope="module")
def proxy(moto_server):
    with FaultProxy(moto_server.endpoint_url) as p:
        yield p


def _config_file(cfg, path: Path) -> Path:
    path.write_text(yaml.safe_dump(cfg.model_dump(mode="json")))
    return path


def _hold_first_read(proxy: FaultProxy, key: str, seconds: float = 3.0) -> threading.Event:
    started = threading.Event()

    def hook() -> None:
        started.set()
        time.sleep(seconds)

    proxy.before_get(LAKE, key, hook)
    return started


def _check_complete(spark, cfg, lake, run_id) -> None:
    res = spark.read.format("delta").load(cfg.output.table("object_results")).where(F.col("run_id") == run_id)
    keys = [r["key"] for r in res.select("key").collect()]
    assert sorted(keys) == sorted(lake.objects[LAKE])  # exactly one row each
    assert res.where(F.col("status") != "COMPLETE").count() == 0
    fnd = spark.read.format("delta").load(cfg.output.table("findings")).where(F.col("run_id") == run_id)
    fkeys = [r["key"] for r in fnd.select("key").collect()]
    assert sorted(fkeys) == sorted(lake.sensitive_objects[LAKE])
    runs = spark.read.format("delta").load(cfg.output.table("scan_runs")).where(F.col("run_id") == run_id)
    rows = runs.collect()
    assert len(rows) == 1 and rows[0]["status"] == "SUCCEEDED"
    assert rows[0]["counters"]["objects_in_scope"] == N_OBJECTS


def test_driver_killed_mid_run_then_rerun_completes_without_duplicates(spark, lake, proxy, tmp_path):
    run_id = "20261124T030000Z-killdrv1"
    cfg = make_config(proxy.endpoint_url, tmp_path / "wh", f"scope.buckets={json.dumps([LAKE])}",
                      "posture.enabled=false", "spark.master=local[1]")
    cfg_file = _config_file(cfg, tmp_path / "kill.yaml")
    cmd = [sys.executable, "-m", "jobs.main", "scan", "--config", str(cfg_file), "--run-id", run_id]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    log = tmp_path / "driver.log"

    def start() -> subprocess.Popen:
        return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
                                start_new_session=True)

    # 1. killed while executors classify
    started = _hold_first_read(proxy, sorted(lake.objects[LAKE])[0])
    proc = start()
    try:
        deadline = time.monotonic() + 300
        while not started.wait(0.2) and proc.poll() is None and time.monotonic() < deadline:
            pass
        assert started.is_set(), log.read_text()[-3000:]
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    # 2. rerun, killed right after the first table commit (object_results written, the rest not)
    first_commit = Path(cfg.output.table("object_results")) / "_delta_log" / f"{0:020d}.json"
    proc = start()
    try:
        deadline = time.monotonic() + 300
        while not first_commit.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert first_commit.exists(), log.read_text()[-3000:]
    assert not (Path(cfg.output.table("scan_runs")) / "_delta_log").exists()  # killed before the run row
    # 3. rerun to completion: MERGE on (run_id, bucket, key) leaves one row per object
    proc = start()
    assert proc.wait(600) == 0, log.read_text()[-3000:]
    _check_complete(spark, cfg, lake, run_id)


@pytest.mark.cluster
def test_worker_killed_mid_run_on_standalone_cluster(spark, lake, proxy, tmp_path):
    from jobs.packaging import package
    from jobs.standalone import StandaloneCluster

    run_id = "20261124T030000Z-killwrk1"
    dist = tmp_path / "dist"
    package(dist)
    cfg = make_config(proxy.endpoint_url, tmp_path / "wh", f"scope.buckets={json.dumps([LAKE])}",
                      "posture.enabled=false", "spark.mode=cluster", "limits.objects_per_partition=4")
    cfg_file = _config_file(cfg, tmp_path / "cluster.yaml")
    with StandaloneCluster(tmp_path / "cluster", workers=2) as cluster:
        started = _hold_first_read(proxy, sorted(lake.objects[LAKE])[-1], seconds=5.0)
        cmd = cluster.submit_command(dist / "lakescan-pyfiles.zip", dist / "lakescan_main.py",
                                     ["scan", "--config", str(cfg_file), "--run-id", run_id],
                                     {"spark.task.maxFailures": "4"})
        out = tmp_path / "submit.log"
        proc = subprocess.Popen(cmd, env=cluster._env(), stdout=out.open("wb"), stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 300
            while not started.wait(0.2) and proc.poll() is None and time.monotonic() < deadline:
                pass
            assert started.is_set(), out.read_text()[-3000:]
            victim = cluster.procs[1]  # worker-0: its JVM, executor and Python workers (one process group)
            os.killpg(victim.pid, signal.SIGKILL)
            victim.wait()
            assert proc.wait(600) == 0, out.read_text()[-4000:]
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    log = out.read_text()
    master = (tmp_path / "cluster" / "master.log").read_text()
    assert "objects in scope" in log
    assert "Removing worker" in master or "lost" in master.lower(), master[-2000:]
    _check_complete(spark, cfg, lake, run_id)


def test_rerun_after_midnight_keeps_the_run_date_of_the_killed_attempt(spark, lake, moto_server, tmp_path):
    # An attempt killed after committing object_results but before its scan_runs row (step 2 above), on the
    # day before: the rerun must MERGE onto those rows (the key holds the run_date partition), not add a
    # second row per object under today's date
    from datetime import UTC, datetime, timedelta

    from jobs import tables
    from jobs.cli import _pack_for
    from jobs.scan import _run_date_for, run_scan

    run_id = "20261124T235900Z-midnight"
    cfg = make_config(moto_server.endpoint_url, tmp_path / "wh", f"scope.buckets={json.dumps([LAKE])}",
                      "posture.enabled=false")
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    rows = []
    for key in lake.objects[LAKE]:
        row = {f.name: None for f in tables.OBJECT_RESULTS.fields}
        row.update(run_id=run_id, run_date=yesterday, account_id=cfg.run.account_id, bucket=LAKE, key=key,
                   status="COMPLETE", size=1, scanned_at=datetime.now(UTC))
        rows.append(row)
    tables.merge_into(spark, spark.createDataFrame(rows, tables.OBJECT_RESULTS), "object_results",
                      cfg.output.table("object_results"))
    assert _run_date_for(spark, cfg, run_id) == yesterday
    # a run without rows yet takes the date it started on (the date a generated run id names)
    started = datetime(2026, 11, 25, 0, 1, tzinfo=UTC)
    assert _run_date_for(spark, cfg, "20261125T000100Z-another", started) == started.date()

    report = run_scan(spark, cfg, _pack_for(cfg), run_id=run_id)
    assert report.status == "SUCCEEDED", report
    _check_complete(spark, cfg, lake, run_id)
    res = spark.read.format("delta").load(cfg.output.table("object_results")).where(F.col("run_id") == run_id)
    assert {r["run_date"] for r in res.select("run_date").collect()} == {yesterday}
    assert res.where(F.col("size") == 1).count() == 0  # every placeholder row was replaced by the real result
    run_rows = (spark.read.format("delta").load(cfg.output.table("scan_runs"))
                .where(F.col("run_id") == run_id).collect())
    assert [r["run_date"] for r in run_rows] == [yesterday]
