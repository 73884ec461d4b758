"""The nightly scan job: enumerate -> sample -> classify on executors -> Delta tables.

    lakescan scan --config conf/local.yaml [--run-id ID] [--set section.key=value ...]

On a cluster: `spark-submit --py-files lakescan.zip jobs/main.py scan --config ...` (docs/deploy.md).

Driver: resolves the buckets in scope, broadcasts the frozen rule pack, writes the tables.
Executors: list the (bucket, prefix) pieces in parallel, then read each sampled object with boto3
(one client per partition) and classify it. Every object in scope yields exactly one
`object_results` row: COMPLETE, PARTIAL, or SKIPPED with a reason - never a silent drop.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from jobs.classify import NOT_SAMPLED, CounterParam, ExecutorContext, classify_partition
from jobs.config import RunConfig
from jobs.enumerate import enumerate_scope
from jobs.s3 import account_credentials, client_kwargs


@dataclass
class RunReport:
    run_id: str
    run_date: date
    status: str
    elapsed: float
    tables: dict[str, str]
    counters: dict[str, int] = field(default_factory=dict)
    skipped_by_reason: dict[str, int] = field(default_factory=dict)
    findings_by_type: dict[str, int] = field(default_factory=dict)
    findings_by_severity: dict[str, int] = field(default_factory=dict)
    buckets: list[dict[str, Any]] = field(default_factory=list)
    bucket_errors: dict[str, str] = field(default_factory=dict)
    phase_seconds: dict[str, float] = field(default_factory=dict)
    message: str = ""
    coverage: list[dict[str, Any]] = field(default_factory=list)  # per bucket (jobs/coverage.py:report)
    account_errors: dict[str, str] = field(default_factory=dict)  # account -> why it was not scanned


def new_run_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


#: where a run's date is found: its row in scan_runs (committed last), else its rows in object_results (committed
#: first: an attempt that committed any table committed this one)
_RUN_DATE_TABLES = ("scan_runs", "object_results")


def _run_date_for(spark, cfg: RunConfig, run_id: str, started: datetime | None = None) -> date:
    """A rerun keeps the run date of its first attempt, so MERGE keys (which hold the run_date partition) stay
    stable: the date of the run's row in scan_runs or, for an attempt killed after committing some tables but
    before its run row, of its rows in object_results, the first table it commits (a nightly run killed at
    23:59 and rerun at 00:01 would otherwise write its objects a second time under the next day). Else the
    UTC date of ``started`` (this attempt's start, which also names a generated run id; now when not given)."""
    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    for name in _RUN_DATE_TABLES:
        path = cfg.output.table(name)
        if DeltaTable.isDeltaTable(spark, path):
            # (run_id is among the first columns of every table: Delta's file statistics skip other runs' files)
            rows = (spark.read.format("delta").load(path).where(F.col("run_id") == run_id)
                    .select("run_date").limit(1).collect())
            if rows:
                return rows[0]["run_date"]
    return (started or datetime.now(UTC)).astimezone(UTC).date()


def run_scan(spark, cfg: RunConfig, pack, run_id: str | None = None, progress=None) -> RunReport:
    from pyspark import StorageLevel
    from pyspark.sql import Row
    from pyspark.sql import functions as F

    from jobs import tables
    from jobs.scoring import BucketStats, sensitivity_score
    from jobs.spark import StageProgress

    started = datetime.now(UTC)
    t0 = time.monotonic()
    phases: dict[str, float] = {}
    run_id = run_id or new_run_id(started)
    run_date = _run_date_for(spark, cfg, run_id, started)
    paths = {name: cfg.output.table(name) for name in tables.TABLES}
    s3 = client_kwargs(cfg.s3)
    say = progress or (lambda msg: None)

    say("enumerating buckets")
    from jobs import coverage
    from jobs.sampling import prepare_run

    creds = account_credentials(cfg, s3)  # multi-account: the driver assumes each account's role
    enum = enumerate_scope(spark, cfg, creds)
    pieces, bucket_errors = enum.pieces, enum.bucket_errors
    selection = prepare_run(spark, cfg, enum, run_id, run_date)  # sampling, budgets, incremental
    objects = selection.to_classify
    n_carried = selection.counters["objects_carried_forward"]
    n_objects = objects.count() + n_carried
    phases["enumerate"] = time.monotonic() - t0
    say(f"{n_objects} objects in scope in {len(pieces)} bucket prefixes")

    ctx = ExecutorContext(
        s3=s3, pack=pack, hash_key=cfg.hash_key(),
        limits=cfg.limits.reader_limits(),
        max_object_bytes=cfg.limits.max_object_bytes,
        sampling_percentage=cfg.sampling.percentage, sampling_seed=cfg.sampling.seed,
        run_id=run_id, run_date=run_date, account_id=cfg.run.account_id,
        accounts=creds if creds.multi else None,
    )
    ctx_bc = spark.sparkContext.broadcast(ctx)
    # S3 calls/attempts/retries, body re-reads, worker peak RSS (summed over task attempts: a retried
    # task counts twice); jobs/classify.py:classify_partition
    exec_stats = spark.sparkContext.accumulator({}, CounterParam())
    n_parts = max(1, min(4096, -(-n_objects // cfg.limits.objects_per_partition)))
    t1 = time.monotonic()
    results = spark.createDataFrame(
        objects.repartition(n_parts, "bucket", "key").rdd.mapPartitions(
            lambda it: classify_partition(it, ctx_bc, exec_stats)),
        tables.OBJECT_RESULTS,
    )
    if selection.carried is not None:  # incremental: unchanged objects keep their last result
        results = results.unionByName(selection.carried)
    results = results.persist(StorageLevel.MEMORY_AND_DISK)
    say("classifying objects")
    with StageProgress(spark, say) as prog:
        prog.label = f"classifying {n_objects} objects"
        n_results = results.count()
    phases["classify"] = time.monotonic() - t1
    if n_results != n_objects:  # the invariant the whole product rests on
        raise RuntimeError(f"{n_objects} objects in scope but {n_results} result rows")

    t2 = time.monotonic()
    n_occ = cfg.limits.max_finding_locations
    findings = (
        results.where(F.col("sensitive"))
        .withColumn("finding_id", F.sha2(F.concat_ws("\x00", "run_id", "account_id", "bucket", "key"), 256))
        .withColumn("category", F.lit("CLASSIFICATION"))
        .withColumn("severity_score", F.when(F.col("severity") == "High", 3)
                    .when(F.col("severity") == "Medium", 2).otherwise(1).cast("int"))
        .withColumn("total_count", F.col("detection_count"))
        .withColumn("detections", F.transform(
            "detections", lambda d: d.withField("occurrences", F.slice(d["occurrences"], 1, n_occ))))
        .withColumn("created_at", F.col("scanned_at"))
    )

    per_bucket = {
        r["bucket"]: r.asDict()
        for r in results.groupBy("bucket").agg(
            F.count("*").alias("objects_in_scope"),
            F.sum(F.col("sampled").cast("long")).alias("objects_sampled"),
            F.sum(F.when(F.col("status") != "SKIPPED", 1).otherwise(0)).alias("objects_classified"),
            F.sum(F.col("sensitive").cast("long")).alias("objects_sensitive"),
            F.sum(F.when((F.col("status") == "SKIPPED") & (F.col("reason") != NOT_SAMPLED), 1)
                  .otherwise(0)).alias("objects_errored"),
            F.sum(F.when(F.col("status") == "SKIPPED", 1).otherwise(0)).alias("objects_skipped"),
            F.sum("size").alias("bytes_in_scope"),
            F.sum("size_classified").alias("bytes_classified"),
            F.sum("detection_count").alias("detections_total"),
            F.array_sort(F.array_distinct(F.flatten(F.collect_list(
                F.transform("detections", lambda d: d["type"]))))).alias("detection_types"),
        ).collect()
    }
    scope_buckets = sorted({b for b, _ in pieces} | set(bucket_errors))
    now = datetime.now(UTC)
    score_rows = []
    for b in scope_buckets:
        agg = per_bucket.get(b, {})
        stats = BucketStats(
            objects_in_scope=agg.get("objects_in_scope") or 0,
            objects_classified=agg.get("objects_classified") or 0,
            objects_sensitive=agg.get("objects_sensitive") or 0,
            objects_errored=agg.get("objects_errored") or 0,
            detection_types=len(agg.get("detection_types") or []),
            detections=agg.get("detections_total") or 0,
        )
        score, label = (50, "Not yet analyzed") if b in bucket_errors else sensitivity_score(stats)
        score_rows.append(Row(
            run_id=run_id, run_date=run_date, account_id=creds.account_of(b), bucket=b,
            sensitivity_score=score, label=label, objects_in_scope=stats.objects_in_scope,
            objects_sampled=agg.get("objects_sampled") or 0, objects_classified=stats.objects_classified,
            objects_sensitive=stats.objects_sensitive, objects_skipped=agg.get("objects_skipped") or 0,
            objects_errored=stats.objects_errored, bytes_in_scope=agg.get("bytes_in_scope") or 0,
            bytes_classified=agg.get("bytes_classified") or 0, detections_total=stats.detections,
            detection_types=list(agg.get("detection_types") or []), computed_at=now,
        ))
    scores = spark.createDataFrame(score_rows, tables.BUCKET_SCORES)

    say("writing Delta tables")
    tables.merge_into(spark, results, "object_results", paths["object_results"])
    tables.merge_into(spark, findings, "findings", paths["findings"])
    tables.merge_into(spark, scores, "bucket_scores", paths["bucket_scores"])
    phases["write"] = time.monotonic() - t2
    if cfg.posture.enabled:  # bucket_inventory + policy_findings (jobs/posture.py)
        from jobs import posture

        t3 = time.monotonic()
        say("bucket posture")
        posture.write_posture(spark, cfg, run_id, run_date, results, scope_buckets, bucket_errors, creds)
        phases["posture"] = time.monotonic() - t3

    status_counts = {r["status"]: r["count"] for r in results.groupBy("status").count().collect()}
    skipped = {r["reason"]: r["count"] for r in
               results.where(F.col("status") == "SKIPPED").groupBy("reason").count().collect()}
    by_type = {r["type"]: r["n"] for r in results.where(F.col("sensitive"))
               .select(F.explode("detections").alias("d"))
               .groupBy(F.col("d.type").alias("type")).agg(F.sum("d.count").alias("n")).collect()}
    by_sev = {r["severity"]: r["count"] for r in
              results.where(F.col("sensitive")).groupBy("severity").count().collect()}
    totals = results.agg(F.sum("bytes_read").alias("br"), F.sum(F.col("sampled").cast("long")).alias("s"),
                         F.sum("size").alias("bs"), F.sum(F.col("sensitive").cast("long")).alias("f")).first()
    counters = {
        "objects_in_scope": n_objects,
        "objects_sampled": int(totals["s"] or 0),
        "objects_classified": status_counts.get("COMPLETE", 0) + status_counts.get("PARTIAL", 0),
        "objects_partial": status_counts.get("PARTIAL", 0),
        "objects_skipped": status_counts.get("SKIPPED", 0),
        "bytes_in_scope": int(totals["bs"] or 0),
        "bytes_read": int(totals["br"] or 0),
        "findings": int(totals["f"] or 0),
        "buckets_in_scope": len(scope_buckets),
        "buckets_with_errors": len(bucket_errors),
        "accounts_in_scope": len(cfg.account_ids()),
        "accounts_unavailable": len(creds.errors),  # role not assumed or buckets not listable
        **selection.counters,
        **{k: int(v) for k, v in sorted(exec_stats.value.items())},
    }
    elapsed = time.monotonic() - t0
    phases["total"] = elapsed
    run_row = Row(
        run_id=run_id, run_date=run_date, run_name=cfg.run.name, status="SUCCEEDED",
        message="; ".join([*(f"account {a}: {e}" for a, e in sorted(creds.errors.items())),
                           *(f"bucket {b}: {e}" for b, e in sorted(bucket_errors.items()))]) or None,
        started_at=started, finished_at=datetime.now(UTC), elapsed_seconds=elapsed,
        config_digest=cfg.digest(), rule_pack_digest=pack.digest, selector=cfg.detectors.selector,
        spark_version=spark.version, lakescan_version=_version(), counters=counters,
        skipped_by_reason=skipped, findings_by_type=by_type, findings_by_severity=by_sev,
        phase_seconds=phases,
    )
    run_df, gate = spark.createDataFrame([run_row], tables.SCAN_RUNS), None
    if cfg.quality.gate:  # great-expectations over every table of this run (jobs/quality.py)
        from jobs import quality

        say("data-quality gate")
        run_df, gate = quality.gate_run_row(spark, cfg, run_id, run_df)
    tables.merge_into(spark, run_df, "scan_runs", paths["scan_runs"])
    status = "FAILED" if gate is not None and not gate.passed else "SUCCEEDED"
    m = cfg.maintenance
    if m.optimize_after_run or m.vacuum_after_run or m.retain_runs:
        from jobs.maintain import maintain_tables

        maintain_tables(spark, cfg, optimize=cfg.maintenance.optimize_after_run,
                        vacuum=cfg.maintenance.vacuum_after_run)
    ex = cfg.exports
    if ex.macie_json_dir or ex.security_hub or ex.eventbridge:  # off by default (jobs/exports.py)
        from jobs.exports import export_run

        export_run(spark, cfg, run_id, ex.macie_json_dir, ex.security_hub, ex.eventbridge)
    cov_report: list[dict[str, Any]] = []
    if status == "SUCCEEDED":  # coverage only advances with completed runs
        coverage.update(spark, cfg, results, run_id)
        cov_report = coverage.report(spark, cfg, results)
    results.unpersist()
    selection.unpersist()
    enum.unpersist()
    ctx_bc.destroy()
    return RunReport(
        run_id=run_id, run_date=run_date, status=status, elapsed=elapsed, tables=paths,
        message=gate.message() if status == "FAILED" else "",
        counters=counters, skipped_by_reason=skipped, findings_by_type=by_type,
        findings_by_severity=by_sev, buckets=[r.asDict() for r in score_rows],
        bucket_errors=bucket_errors, phase_seconds=phases, coverage=cov_report,
        account_errors=dict(creds.errors),
    )


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("lakescan")
    except Exception:  # noqa: BLE001
        return "unknown"
