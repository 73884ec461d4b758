"""Enumeration: the objects in scope, as a DataFrame, listed by executors in parallel.

The driver resolves buckets (and checks it can reach them); executors list the (bucket, prefix)
pieces with ListObjectsV2 paginators. Bucket-level errors are recorded, never dropped.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jobs.config import RunConfig
from jobs.s3 import make_client

LISTING_SCHEMA = ("bucket string, key string, size long, etag string, last_modified timestamp, "
                  "storage_class string, error string")


def _error_code(e: Exception) -> str:
    resp = getattr(e, "response", None)
    if isinstance(resp, dict):
        return str(resp.get("Error", {}).get("Code", type(e).__name__))
    return type(e).__name__


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


def enumerate_objects(spark, cfg: RunConfig, s3: dict[str, Any]):
    """Returns (objects DataFrame persisted, (bucket, prefix) pieces, bucket errors)."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    pieces, bucket_errors = resolve_buckets(cfg, s3)
    sc = spark.sparkContext
    listed = spark.createDataFrame(
        sc.parallelize(pieces, max(1, min(len(pieces), 64)) if pieces else 1)
        .mapPartitions(lambda it: list_partition(it, s3)),
        LISTING_SCHEMA,
    ).persist(StorageLevel.MEMORY_AND_DISK)
    for r in listed.where(F.col("key").isNull()).select("bucket", "error").distinct().collect():
        bucket_errors[r["bucket"]] = r["error"]
    objects = listed.where(F.col("key").isNotNull()).drop("error").dropDuplicates(["bucket", "key"])
    return objects, listed, pieces, bucket_errors
