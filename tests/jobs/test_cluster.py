"""The packaged job, spark-submitted to a real standalone cluster (a master and two workers on
127.0.0.1), against the moto S3: its tables must equal those of a local-mode run."""
from __future__ import annotations

import json

import pytest
import yaml
from chispa import assert_df_equality

from jobs import seed as seeding
from jobs.packaging import package
from jobs.scan import run_scan
from jobs.standalone import StandaloneCluster
from tests.conftest import make_config

pytestmark = [pytest.mark.spark, pytest.mark.integration, pytest.mark.cluster]

RUN_ID = "20261124T010000Z-cluster1"
VOLATILE = {"scanned_at", "created_at", "computed_at"}


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    d = tmp_path_factory.mktemp("dist")
    package(d)
    return d


def _write_config(cfg, path):
    data = cfg.model_dump(mode="json")
    path.write_text(yaml.safe_dump(data))
    return path


def _table(spark, cfg, name):
    df = spark.read.format("delta").load(cfg.output.table(name))
    return df.select(sorted(c for c in df.columns if c not in VOLATILE))


def test_standalone_cluster_run_equals_local_mode(spark, s3_client, moto_server, tmp_path, dist):
    seeding.seed(s3_client)
    # two of the demo lake's four buckets (about a third of its objects: CSV, gzip, Parquet, text, one object
    # without findings): every format the executors read, at a third of the suite's longest test time
    buckets = json.dumps([seeding.CUSTOMER_BUCKET, seeding.PARTNER_BUCKET])
    cluster_cfg = make_config(moto_server.endpoint_url, tmp_path / "cluster-wh", f"scope.buckets={buckets}",
                              "spark.mode=cluster")
    local_cfg = make_config(moto_server.endpoint_url, tmp_path / "local-wh", f"scope.buckets={buckets}")
    cfg_file = _write_config(cluster_cfg, tmp_path / "cluster.yaml")

    with StandaloneCluster(tmp_path / "cluster", workers=2) as cluster:
        proc = cluster.submit(dist / "lakescan-pyfiles.zip", dist / "lakescan_main.py",
                              ["scan", "--config", str(cfg_file), "--run-id", RUN_ID])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "objects in scope" in proc.stdout

    from jobs.cli import _pack_for

    run_scan(spark, local_cfg, _pack_for(local_cfg), run_id=RUN_ID)
    for name in ("object_results", "findings", "bucket_scores"):
        assert_df_equality(_table(spark, cluster_cfg, name), _table(spark, local_cfg, name),
                           ignore_row_order=True, ignore_nullable=True)
    runs = spark.read.format("delta").load(cluster_cfg.output.table("scan_runs")).first()
    assert runs["status"] == "SUCCEEDED" and runs["spark_version"] == spark.version
