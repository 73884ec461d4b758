"""The `coverage` Delta table: one row per object ever in scope, what lakescan knows about it.

| column | meaning |
|---|---|
| bucket, key | the merge key |
| account_id | the bucket's AWS account (multi-account: the account whose role read it) |
| etag, version_id, size, last_modified, storage_class | as last seen |
| first_seen_at, last_seen_at, last_seen_run, last_seen_etag | enumeration history |
| last_classified_at, last_classified_etag, last_result_run, last_status | the last run that attempted it |
| times_classified | runs that attempted it |

"Classified" (covered) means a run *attempted* the object in its current version (etag): COMPLETE,
PARTIAL, or SKIPPED for a reason of its own (unsupported class or format, size...) - everything but
NOT_SAMPLED. Rotation prefers objects whose `last_classified_etag` differs from their etag.

Incremental runs (Macie initialRun semantics): an object whose etag and last-modified equal the
last seen ones is unchanged; if it has a result (`last_result_run`), that result is *carried
forward*: copied into this run's object_results (same status, reason, detections, finding) with
`sampled=false`, `bytes_read=0`, its original `scanned_at`, and `detail` = "incremental: unchanged,
result carried from run <id>". So every in-scope object still has exactly one row per run, bucket
scores stay complete, and nothing is read. The table is updated only when a run completes.
"""
from __future__ import annotations

from datetime import UTC, datetime

from pyspark.sql import types as T

COVERAGE = T.StructType([
    T.StructField("bucket", T.StringType(), False),
    T.StructField("key", T.StringType(), False),
    T.StructField("account_id", T.StringType()),
    T.StructField("etag", T.StringType()),
    T.StructField("version_id", T.StringType()),
    T.StructField("size", T.LongType()),
    T.StructField("last_modified", T.TimestampType()),
    T.StructField("storage_class", T.StringType()),
    T.StructField("first_seen_at", T.TimestampType()),
    T.StructField("last_seen_at", T.TimestampType()),
    T.StructField("last_seen_run", T.StringType()),
    T.StructField("last_seen_etag", T.StringType()),
    T.StructField("last_classified_at", T.TimestampType()),
    T.StructField("last_classified_etag", T.StringType()),
    T.StructField("last_result_run", T.StringType()),
    T.StructField("last_status", T.StringType()),
    T.StructField("times_classified", T.LongType()),
])
CARRIED_PREFIX = "incremental: unchanged, result carried from run "
NOT_SAMPLED = "NOT_SAMPLED"


def path_of(cfg) -> str:
    return cfg.output.table("coverage")


def load(spark, cfg):
    """The coverage table, or None before the first completed run."""
    from delta.tables import DeltaTable

    p = path_of(cfg)
    if not DeltaTable.isDeltaTable(spark, p):
        return None
    return spark.read.format("delta").load(p)


def carry_forward(spark, cfg, carried, run_id: str, run_date):
    """Rows of this run for unchanged objects: their last result, re-keyed to this run."""
    from pyspark.sql import functions as F

    from jobs.tables import OBJECT_RESULTS

    prior = spark.read.format("delta").load(cfg.output.table("object_results")).alias("p")
    c = carried.select("bucket", "key", F.regexp_extract("sample_detail", r"from run (.+)$", 1).alias("_run"))
    rows = prior.join(c, (F.col("p.bucket") == c["bucket"]) & (F.col("p.key") == c["key"])
                      & (F.col("p.run_id") == c["_run"]), "inner").select("p.*")
    cols = []
    for f in OBJECT_RESULTS.fields:
        if f.name == "run_id":
            cols.append(F.lit(run_id).alias("run_id"))
        elif f.name == "run_date":
            cols.append(F.lit(run_date).cast("date").alias("run_date"))
        elif f.name == "sampled":
            cols.append(F.lit(False).alias("sampled"))
        elif f.name == "bytes_read":
            cols.append(F.lit(0).cast("long").alias("bytes_read"))
        elif f.name == "detail":
            cols.append(F.concat(F.lit(CARRIED_PREFIX), F.col("run_id")).alias("detail"))
        else:
            cols.append(F.col(f.name))
    return rows.select(cols)


def update(spark, cfg, results, run_id: str, now: datetime | None = None) -> None:
    """MERGE this run's object_results rows into coverage (one commit)."""
    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    now = now or datetime.now(UTC)
    attempted = F.col("sampled") & (F.coalesce(F.col("reason"), F.lit("")) != NOT_SAMPLED)
    src = results.select(
        "bucket", "key", "account_id", "etag", "version_id", "size", "last_modified", "storage_class",
        F.lit(now).alias("first_seen_at"), F.lit(now).alias("last_seen_at"), F.lit(run_id).alias("last_seen_run"),
        F.col("etag").alias("last_seen_etag"),
        F.when(attempted, F.lit(now)).alias("last_classified_at"),
        F.when(attempted, F.col("etag")).alias("last_classified_etag"),
        F.when(attempted, F.lit(run_id)).alias("last_result_run"),
        F.when(attempted, F.col("status")).alias("last_status"),
        F.when(attempted, F.lit(1)).otherwise(F.lit(0)).cast("long").alias("times_classified"),
    )
    p = path_of(cfg)
    if not DeltaTable.isDeltaTable(spark, p):
        src.select([f.name for f in COVERAGE.fields]).write.format("delta").mode("errorifexists").save(p)
        return
    from jobs.tables import add_missing_columns

    add_missing_columns(spark, p, COVERAGE)  # tables written before account_id existed
    keep = lambda c: F.coalesce(F.col(f"s.{c}"), F.col(f"t.{c}"))  # noqa: E731 - attempted, else as before
    (DeltaTable.forPath(spark, p).alias("t")
     .merge(src.alias("s"), "t.bucket = s.bucket AND t.key = s.key")
     .whenMatchedUpdate(set={
         "account_id": "s.account_id",
         "etag": "s.etag", "version_id": "s.version_id", "size": "s.size", "last_modified": "s.last_modified",
         "storage_class": "s.storage_class", "last_seen_at": "s.last_seen_at", "last_seen_run": "s.last_seen_run",
         "last_seen_etag": "s.last_seen_etag",
         "last_classified_at": keep("last_classified_at"), "last_classified_etag": keep("last_classified_etag"),
         "last_result_run": keep("last_result_run"), "last_status": keep("last_status"),
         "times_classified": F.col("t.times_classified") + F.col("s.times_classified"),
     })
     .whenNotMatchedInsertAll()
     .execute())


def report(spark, cfg, results, now: datetime | None = None) -> list[dict]:
    """Per bucket, over this run's in-scope objects: % objects and bytes ever classified (current
    version), and the age in days of the oldest unclassified object (by last-modified)."""
    from pyspark.sql import functions as F

    cov = load(spark, cfg)
    if cov is None:
        return []
    now = now or datetime.now(UTC)
    j = (results.select("bucket", "key", "etag", "size", "last_modified").alias("r")
         .join(cov.select("bucket", "key", "last_classified_etag").alias("c"), ["bucket", "key"], "left"))
    covered = F.coalesce(F.col("last_classified_etag") == F.col("etag"), F.lit(False))
    rows = j.groupBy("bucket").agg(
        F.count("*").alias("objects"), F.sum(F.col("size")).alias("bytes"),
        F.sum(covered.cast("long")).alias("objects_covered"),
        F.sum(F.when(covered, F.col("size")).otherwise(0)).alias("bytes_covered"),
        F.min(F.when(~covered, F.col("last_modified"))).alias("oldest_unclassified"),
    ).collect()
    out = []
    for r in sorted(rows, key=lambda r: r["bucket"]):
        oldest = r["oldest_unclassified"]
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        out.append({
            "bucket": r["bucket"], "objects": int(r["objects"]), "bytes": int(r["bytes"] or 0),
            "objects_covered": int(r["objects_covered"] or 0), "bytes_covered": int(r["bytes_covered"] or 0),
            "pct_objects": 100.0 * (r["objects_covered"] or 0) / r["objects"] if r["objects"] else 100.0,
            "pct_bytes": 100.0 * (r["bytes_covered"] or 0) / r["bytes"] if r["bytes"] else 100.0,
            "oldest_unclassified_days": None if oldest is None else (now - oldest).total_seconds() / 86400,
        })
    return out
