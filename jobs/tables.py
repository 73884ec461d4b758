"""Delta table schemas (the single definition) and idempotent writes.

Every table carries `run_id` and is partitioned by `run_date`. Writes are MERGEs on the table's
key, so rerunning the same run id replaces that run's rows instead of duplicating them. A write
to a table that does not exist yet creates it in the same single commit.
"""
from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

OCCURRENCE = T.StructType([
    T.StructField("kind", T.StringType()),            # lineRange | cell | record | page
    T.StructField("line_start", T.LongType()),
    T.StructField("line_end", T.LongType()),
    T.StructField("start_column", T.LongType()),
    T.StructField("row", T.LongType()),
    T.StructField("column", T.LongType()),
    T.StructField("column_name", T.StringType()),
    T.StructField("cell_reference", T.StringType()),
    T.StructField("record_index", T.LongType()),
    T.StructField("json_path", T.StringType()),
    T.StructField("page_number", T.LongType()),
    T.StructField("file_path", T.StringType()),       # embedded file inside an archive
    T.StructField("masked", T.StringType()),          # masked excerpt, never the raw value
    T.StructField("value_hash", T.StringType()),      # HMAC-SHA256 of the normalised value
])

DETECTION = T.StructType([
    T.StructField("type", T.StringType()),
    T.StructField("category", T.StringType()),
    T.StructField("count", T.LongType()),
    T.StructField("occurrences", T.ArrayType(OCCURRENCE)),
])

OBJECT_RESULTS = T.StructType([
    T.StructField("run_id", T.StringType(), False),
    T.StructField("run_date", T.DateType(), False),
    T.StructField("account_id", T.StringType()),
    T.StructField("bucket", T.StringType(), False),
    T.StructField("key", T.StringType(), False),
    T.StructField("etag", T.StringType()),
    T.StructField("version_id", T.StringType()),
    T.StructField("size", T.LongType()),
    T.StructField("last_modified", T.TimestampType()),
    T.StructField("storage_class", T.StringType()),
    T.StructField("extension", T.StringType()),
    T.StructField("sampled", T.BooleanType()),
    T.StructField("status", T.StringType(), False),     # COMPLETE | PARTIAL | SKIPPED
    T.StructField("reason", T.StringType()),            # Macie reason code (or NOT_SAMPLED)
    T.StructField("detail", T.StringType()),            # safe error text, never content
    T.StructField("mime_type", T.StringType()),
    T.StructField("bytes_read", T.LongType()),
    T.StructField("size_classified", T.LongType()),
    T.StructField("detection_count", T.LongType()),
    T.StructField("sensitive", T.BooleanType()),
    T.StructField("finding_type", T.StringType()),
    T.StructField("severity", T.StringType()),
    T.StructField("detections", T.ArrayType(DETECTION)),  # up to 1,000 occurrences per type
    T.StructField("scanned_at", T.TimestampType()),
    T.StructField("rule_pack_digest", T.StringType()),
])

FINDINGS = T.StructType([
    T.StructField("finding_id", T.StringType(), False),
    T.StructField("run_id", T.StringType(), False),
    T.StructField("run_date", T.DateType(), False),
    T.StructField("account_id", T.StringType()),
    T.StructField("bucket", T.StringType(), False),
    T.StructField("key", T.StringType(), False),
    T.StructField("etag", T.StringType()),
    T.StructField("version_id", T.StringType()),
    T.StructField("category", T.StringType()),          # CLASSIFICATION
    T.StructField("finding_type", T.StringType(), False),  # SensitiveData:S3Object/...
    T.StructField("severity", T.StringType(), False),   # Low | Medium | High
    T.StructField("severity_score", T.IntegerType()),   # 1..3
    T.StructField("total_count", T.LongType()),
    T.StructField("detections", T.ArrayType(DETECTION)),  # up to 15 occurrences per type
    T.StructField("created_at", T.TimestampType()),
    T.StructField("rule_pack_digest", T.StringType()),
])

BUCKET_SCORES = T.StructType([
    T.StructField("run_id", T.StringType(), False),
    T.StructField("run_date", T.DateType(), False),
    T.StructField("account_id", T.StringType()),
    T.StructField("bucket", T.StringType(), False),
    T.StructField("sensitivity_score", T.IntegerType(), False),
    T.StructField("label", T.StringType(), False),
    T.StructField("objects_in_scope", T.LongType()),
    T.StructField("objects_sampled", T.LongType()),
    T.StructField("objects_classified", T.LongType()),
    T.StructField("objects_sensitive", T.LongType()),
    T.StructField("objects_skipped", T.LongType()),
    T.StructField("objects_errored", T.LongType()),
    T.StructField("bytes_in_scope", T.LongType()),
    T.StructField("bytes_classified", T.LongType()),
    T.StructField("detections_total", T.LongType()),
    T.StructField("detection_types", T.ArrayType(T.StringType())),
    T.StructField("computed_at", T.TimestampType()),
])

SCAN_RUNS = T.StructType([
    T.StructField("run_id", T.StringType(), False),
    T.StructField("run_date", T.DateType(), False),
    T.StructField("run_name", T.StringType()),
    T.StructField("status", T.StringType(), False),     # SUCCEEDED | FAILED
    T.StructField("message", T.StringType()),
    T.StructField("started_at", T.TimestampType()),
    T.StructField("finished_at", T.TimestampType()),
    T.StructField("elapsed_seconds", T.DoubleType()),
    T.StructField("config_digest", T.StringType()),
    T.StructField("rule_pack_digest", T.StringType()),
    T.StructField("selector", T.StringType()),
    T.StructField("spark_version", T.StringType()),
    T.StructField("lakescan_version", T.StringType()),
    T.StructField("counters", T.MapType(T.StringType(), T.LongType())),
    T.StructField("skipped_by_reason", T.MapType(T.StringType(), T.LongType())),
    T.StructField("findings_by_type", T.MapType(T.StringType(), T.LongType())),
    T.StructField("findings_by_severity", T.MapType(T.StringType(), T.LongType())),
    T.StructField("phase_seconds", T.MapType(T.StringType(), T.DoubleType())),
])


BLOCK_PUBLIC_ACCESS = T.StructType([
    T.StructField("block_public_acls", T.BooleanType()),
    T.StructField("ignore_public_acls", T.BooleanType()),
    T.StructField("block_public_policy", T.BooleanType()),
    T.StructField("restrict_public_buckets", T.BooleanType()),
])

PUBLIC_PERMISSION = T.StructType([
    T.StructField("allows_public_read_access", T.BooleanType()),
    T.StructField("allows_public_write_access", T.BooleanType()),
])

OBJECT_LEVEL_STATISTICS = T.StructType([  # Macie's ObjectLevelStatistics
    T.StructField("file_type", T.LongType()),
    T.StructField("storage_class", T.LongType()),
    T.StructField("total", T.LongType()),
])

BUCKET_INVENTORY = T.StructType([  # Macie's BucketMetadata (reference section 9), jobs/posture.py
    T.StructField("run_id", T.StringType(), False),
    T.StructField("run_date", T.DateType(), False),
    T.StructField("account_id", T.StringType()),
    T.StructField("bucket", T.StringType(), False),
    T.StructField("bucket_arn", T.StringType()),
    T.StructField("region", T.StringType()),
    T.StructField("bucket_created_at", T.TimestampType()),
    T.StructField("error_code", T.StringType()),            # ACCESS_DENIED (or the S3 error code)
    T.StructField("error_message", T.StringType()),
    T.StructField("effective_permission", T.StringType(), False),  # PUBLIC | NOT_PUBLIC | UNKNOWN
    T.StructField("account_block_public_access", BLOCK_PUBLIC_ACCESS),
    T.StructField("bucket_block_public_access", BLOCK_PUBLIC_ACCESS),
    T.StructField("acl_permission", PUBLIC_PERMISSION),
    T.StructField("policy_permission", PUBLIC_PERMISSION),
    T.StructField("has_bucket_policy", T.BooleanType()),
    T.StructField("policy_sha256", T.StringType()),
    T.StructField("encryption_type", T.StringType(), False),  # NONE | AES256 | aws:kms | aws:kms:dsse | UNKNOWN
    T.StructField("kms_master_key_id", T.StringType()),
    T.StructField("allows_unencrypted_object_uploads", T.StringType(), False),  # TRUE | FALSE | UNKNOWN
    T.StructField("shared_access", T.StringType(), False),  # EXTERNAL | INTERNAL | NOT_SHARED | UNKNOWN
    T.StructField("shared_with_accounts", T.ArrayType(T.StringType())),
    T.StructField("shared_with_cloudfront", T.BooleanType()),
    T.StructField("replicated", T.BooleanType()),
    T.StructField("replicated_externally", T.BooleanType()),
    T.StructField("replication_accounts", T.ArrayType(T.StringType())),
    T.StructField("versioning", T.BooleanType()),
    T.StructField("tags", T.ArrayType(T.StructType([
        T.StructField("key", T.StringType()), T.StructField("value", T.StringType())]))),
    T.StructField("object_count", T.LongType()),
    T.StructField("size_in_bytes", T.LongType()),
    T.StructField("size_in_bytes_compressed", T.LongType()),
    T.StructField("classifiable_object_count", T.LongType()),
    T.StructField("classifiable_size_in_bytes", T.LongType()),
    T.StructField("unclassifiable_object_count", OBJECT_LEVEL_STATISTICS),
    T.StructField("unclassifiable_object_size_in_bytes", OBJECT_LEVEL_STATISTICS),
    T.StructField("captured_at", T.TimestampType()),
])

POLICY_FINDINGS = T.StructType([  # Macie's six Policy:IAMUser/* types (reference section 6)
    T.StructField("finding_id", T.StringType(), False),     # stable per (account, bucket, type), as in Macie
    T.StructField("run_id", T.StringType(), False),
    T.StructField("run_date", T.DateType(), False),
    T.StructField("account_id", T.StringType()),
    T.StructField("bucket", T.StringType(), False),
    T.StructField("bucket_arn", T.StringType()),
    T.StructField("category", T.StringType()),              # POLICY
    T.StructField("finding_type", T.StringType(), False),
    T.StructField("severity", T.StringType(), False),       # fixed per type
    T.StructField("severity_score", T.IntegerType()),
    T.StructField("title", T.StringType()),
    T.StructField("description", T.StringType()),
    T.StructField("trigger", T.StringType(), False),        # INITIAL_STATE | CHANGED
    T.StructField("previous_run_id", T.StringType()),
    T.StructField("count", T.LongType()),                   # how often this finding has been raised
    T.StructField("created_at", T.TimestampType()),
    T.StructField("updated_at", T.TimestampType()),
])


TABLES: dict[str, tuple[T.StructType, tuple[str, ...], tuple[str, ...]]] = {
    # name: (schema, merge key, partition columns)
    # Bucket names are global, but keys name the account too (multi-account): (account_id, bucket).
    "object_results": (OBJECT_RESULTS, ("run_id", "account_id", "bucket", "key"), ("run_date", "bucket")),
    "findings": (FINDINGS, ("run_id", "account_id", "bucket", "key"), ("run_date", "bucket")),
    "bucket_scores": (BUCKET_SCORES, ("run_id", "account_id", "bucket"), ("run_date",)),
    "scan_runs": (SCAN_RUNS, ("run_id",), ("run_date",)),
    "bucket_inventory": (BUCKET_INVENTORY, ("run_id", "account_id", "bucket"), ("run_date",)),
    "policy_findings": (POLICY_FINDINGS, ("run_id", "account_id", "bucket", "finding_type"), ("run_date",)),
}


def _is_delta(spark: SparkSession, path: str) -> bool:
    from delta.tables import DeltaTable

    return DeltaTable.isDeltaTable(spark, path)


def add_missing_columns(spark: SparkSession, path: str, schema: T.StructType) -> list[str]:
    """Add the nullable columns of `schema` an existing Delta table lacks (a table written by an
    older lakescan, e.g. coverage before `account_id`); returns the columns added."""
    have = {f.name for f in spark.read.format("delta").load(path).schema.fields}
    missing = [f for f in schema.fields if f.name not in have and f.nullable]
    if missing:
        cols = ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in missing)
        spark.sql(f"ALTER TABLE delta.`{path}` ADD COLUMNS ({cols})")
    return [f.name for f in missing]


def merge_into(spark: SparkSession, df: DataFrame, name: str, path: str) -> None:
    """One commit: create the table with this data, or MERGE it on the table's key."""
    from delta.tables import DeltaTable

    schema, key, partitions = TABLES[name]
    df = df.select([f.name for f in schema.fields])
    if not _is_delta(spark, path):
        df.write.format("delta").partitionBy(*partitions).mode("errorifexists").save(path)
        return
    # The run_date partition column joins the condition so MERGE prunes other partitions.
    cond = " AND ".join(f"t.`{c}` = s.`{c}`" for c in (*partitions, *key))
    (
        DeltaTable.forPath(spark, path).alias("t")
        .merge(df.alias("s"), cond)
        .whenMatchedUpdateAll()
        .whenNotMatchedInsertAll()
        .execute()
    )
