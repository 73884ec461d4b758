"""The one SparkSession factory.

Local mode (laptop, tests, demo): Delta's SQL extension and catalog, the cached Delta/S3A jars,
and S3A pointed at the configured endpoint (moto locally, AWS in production).
Cluster mode (EMR, Glue, any spark-submit): only the application name; the cluster's own
Delta and S3 setup is used as it is.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from jobs import jars

LOG4J_CONF = Path(__file__).parent / "resources" / "log4j2.properties"

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from jobs.config import RunConfig


def s3a_conf(cfg: RunConfig) -> dict[str, str]:
    """Hadoop S3A settings so that Spark itself reaches the same S3 endpoint as boto3."""
    s3 = cfg.s3
    conf = {"spark.hadoop.fs.s3a.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem"}
    if s3.endpoint_url:
        conf["spark.hadoop.fs.s3a.endpoint"] = s3.endpoint_url
        conf["spark.hadoop.fs.s3a.path.style.access"] = "true"
        conf["spark.hadoop.fs.s3a.connection.ssl.enabled"] = str(s3.endpoint_url.startswith("https")).lower()
    if s3.region:
        conf["spark.hadoop.fs.s3a.endpoint.region"] = s3.region
    if s3.access_key_id and s3.secret_access_key:
        conf["spark.hadoop.fs.s3a.aws.credentials.provider"] = (
            "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider"
        )
        conf["spark.hadoop.fs.s3a.access.key"] = s3.access_key_id
        conf["spark.hadoop.fs.s3a.secret.key"] = s3.secret_access_key
    return conf


def local_conf(cfg: RunConfig) -> dict[str, str]:
    """Everything a local-mode session needs; cluster mode uses none of it."""
    conf = {
        "spark.master": cfg.spark.master,
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.jars": ",".join(jars.local_jars()),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.databricks.delta.snapshotPartitions": "2",
        "spark.sql.shuffle.partitions": str(cfg.spark.shuffle_partitions),
        "spark.default.parallelism": str(cfg.spark.shuffle_partitions),
        "spark.sql.session.timeZone": "UTC",
        "spark.driver.memory": cfg.spark.driver_memory,
        "spark.python.worker.reuse": "true",
        # Executors run the same interpreter as the driver (the project's venv).
        "spark.pyspark.python": sys.executable,
        "spark.pyspark.driver.python": sys.executable,
        "spark.databricks.delta.schema.autoMerge.enabled": "false",
        "spark.sql.warehouse.dir": str(cfg.output.warehouse_path() / "_spark_warehouse"),
        "spark.driver.extraJavaOptions": " ".join([
            "-Dderby.system.home=" + str(cfg.output.warehouse_path() / "_derby"),
            "-Dlog4j2.configurationFile=" + str(LOG4J_CONF),
        ]),
        # Local mode binds to loopback only.
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
    }
    conf.update(s3a_conf(cfg))
    return conf


def build_spark(cfg: RunConfig, app_name: str = "lakescan") -> SparkSession:
    """Return the session for this run: local mode with Delta, or the cluster's own session."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name)
    if cfg.spark.mode == "local":
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        for key, value in {**local_conf(cfg), **cfg.spark.conf}.items():
            builder = builder.config(key, value)
    else:
        for key, value in cfg.spark.conf.items():
            builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(cfg.spark.log_level)
    return spark


def resolve_packages(packages: tuple[str, ...], excludes: tuple[str, ...], ivy_dir) -> None:
    """Let Spark's Ivy resolve Maven coordinates into `ivy_dir/jars` (used by `make setup` only)."""
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[1]")
        .appName("lakescan-fetch-jars")
        .config("spark.jars.packages", ",".join(packages))
        .config("spark.jars.excludes", ",".join(excludes))
        .config("spark.jars.ivy", str(ivy_dir))
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    spark.stop()


class StageProgress:
    """Reports `done/total tasks` of the running Spark stages while a long action runs."""

    def __init__(self, spark, report, interval: float = 0.5) -> None:
        import threading

        self._tracker = spark.sparkContext.statusTracker()
        self._report = report
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.label = ""

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            done = total = 0
            for sid in self._tracker.getActiveStageIds():
                info = self._tracker.getStageInfo(sid)
                if info:
                    done += info.numCompletedTasks
                    total += info.numTasks
            if total:
                self._report(f"{self.label}: {done}/{total} tasks")

    def __enter__(self) -> StageProgress:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
