"""The nightly scan job: enumerate -> sample -> classify on executors -> Delta tables.

    lakescan scan --config conf/local.yaml [--run-id ID] [--set section.key=value ...]

On a cluster: `spark-submit --py-files lakescan.zip jobs/main.py scan --config ...` (docs/deploy.md).

Driver: resolves the buckets in scope, broadcasts the frozen rule pack, writes the tables.
Executors: list the (bucket, prefix) pieces in parallel, then read each sampled object with boto3
(one client per partition) and classify it. Every object in scope yields exactly one
`object_results` row: COMPLETE, PARTIAL, or SKIPPED with a reason - never a silent drop.
"""
from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from jobs import extract
from jobs.config import RunConfig
from jobs.s3 import client_kwargs, make_client

UNREADABLE_CLASSES = {"GLACIER", "DEEP_ARCHIVE", "EXPRESS_ONEZONE", "OUTPOSTS"}
NOT_SAMPLED = "NOT_SAMPLED"  # lakescan's own reason: in scope, not picked by sampling this run

S3_ERROR_REASONS = {
    "NoSuchKey": "SOURCE_OBJECT_NO_LONGER_AVAILABLE",
    "404": "SOURCE_OBJECT_NO_LONGER_AVAILABLE",
    "NoSuchBucket": "NO_SUCH_BUCKET_AVAILABLE",
    "PreconditionFailed": "OBJECT_VERSION_MISMATCH",
    "412": "OBJECT_VERSION_MISMATCH",
    "AccessDenied": "PERMISSION_DENIED",
    "403": "PERMISSION_DENIED",
    "InvalidObjectState": "INVALID_OBJECT_STATE",
    "InvalidRequest": "INVALID_ENCRYPTION",  # e.g. SSE-C object read without its key
    "KMS.DisabledException": "INVALID_KMS_KEY",
    "KMS.KMSInvalidStateException": "INVALID_KMS_KEY",
}


def should_sample(bucket: str, key: str, etag: str, seed: int, percentage: float) -> bool:
    """Deterministic in (bucket, key, etag, seed): retries and reruns pick the same objects."""
    if percentage >= 100:
        return True
    h = hashlib.sha256(f"{seed}\x00{bucket}\x00{key}\x00{etag}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64 * 100 < percentage


@dataclass(frozen=True)
class ExecutorContext:
    """Everything executors need, broadcast once: small and picklable."""

    s3: dict[str, Any]
    pack: Any
    hash_key: bytes
    limits: extract.Limits
    max_object_bytes: int
    sampling_percentage: float
    sampling_seed: int
    run_id: str
    run_date: date
    account_id: str


# ---- executor side ---------------------------------------------------------------------------

def list_partition(pieces: Iterator[tuple[str, str]], s3: dict[str, Any]) -> Iterator[tuple]:
    """(bucket, prefix) -> (bucket, key, size, etag, last_modified, storage_class, error)."""
    client = None
    for bucket, prefix in pieces:
        if client is None:
            client = make_client(s3)
        try:
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                for o in page.get("Contents", []):
                    if o["Key"].endswith("/") and o["Size"] == 0:
                        continue  # folder marker, not an object
                    yield (bucket, o["Key"], int(o["Size"]), o.get("ETag", "").strip('"'),
                           o.get("LastModified"), o.get("StorageClass", "STANDARD"), None)
        except Exception as e:  # noqa: BLE001 - becomes a recorded bucket error
            yield (bucket, None, 0, None, None, None, _error_code(e))


def _error_code(e: Exception) -> str:
    resp = getattr(e, "response", None)
    if isinstance(resp, dict):
        return str(resp.get("Error", {}).get("Code", type(e).__name__))
    return type(e).__name__


def _read_object(client, bucket: str, key: str, etag: str, limit: int) -> tuple[bytes, str | None]:
    resp = client.get_object(Bucket=bucket, Key=key, IfMatch=f'"{etag}"' if etag else "*")
    body = resp["Body"]
    try:
        data = body.read(limit + 1)
    finally:
        body.close()
    return data, resp.get("VersionId")


def classify_partition(rows: Iterator[Any], ctx_bc: Any) -> Iterator[tuple]:
    """One output row per input object, whatever happens to it."""
    from detectors import get_engine
    from detectors.severity import classify_counts

    ctx: ExecutorContext = ctx_bc.value
    engine = None
    client = None
    for r in rows:
        bucket, key, size, etag = r["bucket"], r["key"], r["size"], r["etag"]
        base = dict(bucket=bucket, key=key, etag=etag, size=size, last_modified=r["last_modified"],
                    storage_class=r["storage_class"], extension=extract.extension_of(key),
                    version_id=None, sampled=False, bytes_read=0, mime_type=None)
        sampled = should_sample(bucket, key, etag or "", ctx.sampling_seed, ctx.sampling_percentage)
        base["sampled"] = sampled
        if not sampled:
            yield _row(ctx, base, extract.ObjectResult(status=extract.SKIPPED, reason=NOT_SAMPLED))
            continue
        if (r["storage_class"] or "STANDARD") in UNREADABLE_CLASSES:
            yield _row(ctx, base, extract.ObjectResult(
                status=extract.SKIPPED, reason="INVALID_OBJECT_STATE",
                detail=f"storage class {r['storage_class']} cannot be read directly"))
            continue
        if size > ctx.max_object_bytes:
            yield _row(ctx, base, extract.ObjectResult(
                status=extract.SKIPPED, reason="FILE_EXCEEDS_SIZE_LIMIT",
                detail=f"{size} bytes > limit {ctx.max_object_bytes}"))
            continue
        if size == 0:
            yield _row(ctx, base, extract.ObjectResult(status=extract.COMPLETE, mime_type="application/x-empty"))
            continue
        if client is None:
            client = make_client(ctx.s3)
        try:
            data, version = _read_object(client, bucket, key, etag, ctx.max_object_bytes)
        except Exception as e:  # noqa: BLE001 - every S3 failure becomes a reason code
            code = _error_code(e)
            yield _row(ctx, base, extract.ObjectResult(
                status=extract.SKIPPED, reason=S3_ERROR_REASONS.get(code, "UNABLE_TO_PARSE_FILE"),
                detail=f"S3 GetObject failed: {code}"))
            continue
        base["version_id"] = version
        base["bytes_read"] = len(data)
        if engine is None:
            engine = get_engine(ctx.pack, ctx.hash_key)
        try:
            result = extract.classify_bytes(data, key, engine, ctx.limits)
        except Exception as e:  # noqa: BLE001 - a reader bug must not fail the whole job
            result = extract.ObjectResult(status=extract.SKIPPED, reason="UNABLE_TO_PARSE_FILE",
                                          detail=f"reader error: {type(e).__name__}")
        counts = {t: tr.count for t, tr in result.detections.items()}
        classified = classify_counts(counts, ctx.pack) if counts else None
        yield _row(ctx, base, result, classified)


def _row(ctx: ExecutorContext, base: dict, res: extract.ObjectResult,
         classified: tuple[str, str] | None = None) -> tuple:
    detections = [
        {"type": t, "category": tr.category, "count": tr.count, "occurrences": tr.occurrences}
        for t, tr in sorted(res.detections.items())
    ]
    return (
        ctx.run_id, ctx.run_date, ctx.account_id, base["bucket"], base["key"], base["etag"],
        base["version_id"], base["size"], base["last_modified"], base["storage_class"],
        base["extension"], base["sampled"], res.status, res.reason, res.detail, res.mime_type or base["mime_type"],
        base["bytes_read"], res.size_classified, res.detection_count, classified is not None,
        classified[0] if classified else None, classified[1] if classified else None,
        detections, datetime.now(UTC), ctx.pack.digest,
    )


# ---- driver side -----------------------------------------------------------------------------

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


def new_run_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def resolve_buckets(cfg: RunConfig, s3: dict[str, Any]) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """(bucket, prefix) pieces in scope, and bucket-level errors (bucket -> error code)."""
    client = make_client(s3)
    errors: dict[str, str] = {}
    if cfg.scope.buckets:
        scopes = [(b.bucket, b.prefixes) for b in cfg.scope.buckets]
    else:
        scopes = [(b["Name"], ("",)) for b in client.list_buckets().get("Buckets", [])]
    pieces = []
    for bucket, prefixes in scopes:
        if bucket in cfg.scope.exclude_buckets:
            continue
        try:
            client.head_bucket(Bucket=bucket)
        except Exception as e:  # noqa: BLE001
            errors[bucket] = _error_code(e)
            continue
        pieces.extend((bucket, p) for p in prefixes)
    return pieces, errors


def _run_date_for(spark, cfg: RunConfig, run_id: str) -> date:
    """A rerun keeps the run date of its first attempt, so MERGE keys stay stable."""
    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    path = cfg.output.table("scan_runs")
    if DeltaTable.isDeltaTable(spark, path):
        rows = spark.read.format("delta").load(path).where(F.col("run_id") == run_id).select("run_date").collect()
        if rows:
            return rows[0]["run_date"]
    return datetime.now(UTC).date()


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
    run_date = _run_date_for(spark, cfg, run_id)
    paths = {name: cfg.output.table(name) for name in tables.TABLES}
    s3 = client_kwargs(cfg.s3)
    say = progress or (lambda msg: None)

    say("enumerating buckets")
    pieces, bucket_errors = resolve_buckets(cfg, s3)
    sc = spark.sparkContext
    listing_schema = "bucket string, key string, size long, etag string, last_modified timestamp, " \
                     "storage_class string, error string"
    listed = spark.createDataFrame(
        sc.parallelize(pieces, max(1, min(len(pieces), 64)) if pieces else 1)
        .mapPartitions(lambda it: list_partition(it, s3)),
        listing_schema,
    ).persist(StorageLevel.MEMORY_AND_DISK)
    for r in listed.where(F.col("key").isNull()).select("bucket", "error").distinct().collect():
        bucket_errors[r["bucket"]] = r["error"]
    objects = listed.where(F.col("key").isNotNull()).drop("error").dropDuplicates(["bucket", "key"])
    n_objects = objects.count()
    phases["enumerate"] = time.monotonic() - t0
    say(f"{n_objects} objects in scope in {len(pieces)} bucket prefixes")

    ctx = ExecutorContext(
        s3=s3, pack=pack, hash_key=cfg.hash_key(),
        limits=extract.Limits(max_text_bytes=cfg.limits.max_text_bytes,
                              max_locations_per_type=cfg.limits.max_locations_per_type),
        max_object_bytes=cfg.limits.max_object_bytes,
        sampling_percentage=cfg.sampling.percentage, sampling_seed=cfg.sampling.seed,
        run_id=run_id, run_date=run_date, account_id=cfg.run.account_id,
    )
    ctx_bc = sc.broadcast(ctx)
    n_parts = max(1, min(4096, -(-n_objects // cfg.limits.objects_per_partition)))
    t1 = time.monotonic()
    results = spark.createDataFrame(
        objects.repartition(n_parts, "bucket", "key").rdd.mapPartitions(lambda it: classify_partition(it, ctx_bc)),
        tables.OBJECT_RESULTS,
    ).persist(StorageLevel.MEMORY_AND_DISK)
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
        .withColumn("finding_id", F.sha2(F.concat_ws("\x00", "run_id", "bucket", "key"), 256))
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
            run_id=run_id, run_date=run_date, account_id=cfg.run.account_id, bucket=b,
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
    }
    elapsed = time.monotonic() - t0
    phases["total"] = elapsed
    run_row = Row(
        run_id=run_id, run_date=run_date, run_name=cfg.run.name, status="SUCCEEDED",
        message="; ".join(f"bucket {b}: {e}" for b, e in sorted(bucket_errors.items())) or None,
        started_at=started, finished_at=datetime.now(UTC), elapsed_seconds=elapsed,
        config_digest=cfg.digest(), rule_pack_digest=pack.digest, selector=cfg.detectors.selector,
        spark_version=spark.version, lakescan_version=_version(), counters=counters,
        skipped_by_reason=skipped, findings_by_type=by_type, findings_by_severity=by_sev,
        phase_seconds=phases,
    )
    tables.merge_into(spark, spark.createDataFrame([run_row], tables.SCAN_RUNS), "scan_runs", paths["scan_runs"])
    results.unpersist()
    listed.unpersist()
    ctx_bc.destroy()
    return RunReport(
        run_id=run_id, run_date=run_date, status="SUCCEEDED", elapsed=elapsed, tables=paths,
        counters=counters, skipped_by_reason=skipped, findings_by_type=by_type,
        findings_by_severity=by_sev, buckets=[r.asDict() for r in score_rows],
        bucket_errors=bucket_errors, phase_seconds=phases,
    )


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("lakescan")
    except Exception:  # noqa: BLE001
        return "unknown"
