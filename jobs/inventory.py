"""S3 Inventory reports as an enumeration source: billions of objects without a LIST call.

S3 writes, in the destination bucket (docs: storage-inventory-location):

    <prefix>/<source-bucket>/<config-id>/YYYY-MM-DDTHH-MMZ/manifest.json
    <prefix>/<source-bucket>/<config-id>/data/<uuid>.csv.gz | .orc | .parquet

`manifest.json` names the format (`fileFormat`: CSV, ORC, Parquet), the columns (`fileSchema`:
"Bucket, Key, Size, ..." for CSV, an ORC struct or a Parquet message otherwise) and the data
`files`. The driver reads only the manifest (a small JSON); Spark reads the data files through
s3a:// on the executors. CSV has no header and URL-encoded keys; ORC/Parquet use snake_case
columns. Rows that are not the latest version, and delete markers, are dropped.
"""
from __future__ import annotations

import json
import re
from typing import Any

from jobs.config import RunConfig
from jobs.s3 import make_client

CSV_NAMES = {  # CSV fileSchema field -> our column
    "Bucket": "bucket", "Key": "key", "VersionId": "version_id", "IsLatest": "is_latest",
    "IsDeleteMarker": "is_delete_marker", "Size": "size", "LastModifiedDate": "last_modified",
    "ETag": "etag", "StorageClass": "storage_class",
}
COLUMNAR_NAMES = {  # ORC / Parquet column -> our column
    "bucket": "bucket", "key": "key", "version_id": "version_id", "is_latest": "is_latest",
    "is_delete_marker": "is_delete_marker", "size": "size", "last_modified_date": "last_modified",
    "e_tag": "etag", "storage_class": "storage_class",
}
STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}-\d{2}Z/$")


class InventoryError(ValueError):
    """An inventory manifest is missing or malformed; the message names it."""


def _split_s3(url: str) -> tuple[str, str]:
    m = re.match(r"^(?:s3a?|file)://([^/]*)/?(.*)$", url)
    if not m:
        raise InventoryError(f"{url}: not an s3:// URL")
    return m.group(1), m.group(2)


def resolve_manifest(client, url: str) -> tuple[str, str]:
    """(bucket, key) of the manifest: the URL itself, or the latest dated manifest under a report folder."""
    bucket, key = _split_s3(url)
    if key.endswith("manifest.json"):
        return bucket, key
    prefix = key.rstrip("/") + "/" if key else ""
    stamps = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        stamps.extend(cp["Prefix"] for cp in page.get("CommonPrefixes", []) if STAMP.search(cp["Prefix"]))
    if not stamps:
        raise InventoryError(f"{url}: no dated inventory folder (YYYY-MM-DDTHH-MMZ/) with a manifest.json")
    return bucket, max(stamps) + "manifest.json"


def _read_local_manifest(url: str) -> dict[str, Any]:
    """file:///dest-root/<key of the manifest>: a report copied to a local disk (benchmarks, air-gapped
    checks); the data files are read from the same root."""
    from pathlib import Path

    path = Path(url[len("file://"):])
    if path.is_dir():
        stamps = sorted(d for d in path.iterdir() if STAMP.search(d.name + "/") and (d / "manifest.json").exists())
        if not stamps:
            raise InventoryError(f"{url}: no dated inventory folder with a manifest.json")
        path = stamps[-1] / "manifest.json"
    m = json.loads(path.read_text())
    first = m["files"][0]["key"] if m.get("files") else ""
    report_dir = first.split("/data/")[0] if "/data/" in first else ""
    text = str(path)
    root = text[: text.rfind(report_dir)] if report_dir and report_dir in text else str(path.parent)
    return {"manifest": str(path), "format": m["fileFormat"].upper(), "schema": m["fileSchema"],
            "files": [f["key"] for f in m["files"]], "destination": None, "root": root.rstrip("/"),
            "source_bucket": m.get("sourceBucket"), "creation": m.get("creationTimestamp")}


def read_manifest(client, url: str) -> dict[str, Any]:
    if url.startswith("file://"):
        return _read_local_manifest(url)
    bucket, key = resolve_manifest(client, url)
    try:
        body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except Exception as e:  # noqa: BLE001
        raise InventoryError(f"s3://{bucket}/{key}: cannot read the manifest ({type(e).__name__})") from None
    try:
        m = json.loads(body)
        fmt = m["fileFormat"].upper()
        files = [f["key"] for f in m["files"]]
        schema = m["fileSchema"]
    except (ValueError, KeyError, TypeError) as e:
        raise InventoryError(f"s3://{bucket}/{key}: not an S3 Inventory manifest ({e})") from None
    if fmt not in ("CSV", "ORC", "PARQUET"):
        raise InventoryError(f"s3://{bucket}/{key}: unsupported fileFormat {m['fileFormat']!r}")
    dest = m.get("destinationBucket", bucket).split(":::")[-1]
    return {"manifest": f"s3://{bucket}/{key}", "format": fmt, "schema": schema, "files": files,
            "destination": dest, "source_bucket": m.get("sourceBucket"),
            "creation": m.get("creationTimestamp")}


def csv_columns(file_schema: str) -> list[str]:
    return [c.strip() for c in file_schema.split(",") if c.strip()]


def _frame(spark, info: dict[str, Any]):
    from pyspark.sql import functions as F

    if info.get("root"):
        paths = [f"file://{info['root']}/{k}" for k in info["files"]]
    else:
        paths = [f"s3a://{info['destination']}/{k}" for k in info["files"]]
    if info["format"] == "CSV":
        cols = csv_columns(info["schema"])
        ddl = ", ".join(f"`{c}` string" for c in cols)
        df = spark.read.schema(ddl).option("header", "false").option("mode", "PERMISSIVE").csv(paths)
        df = df.select([F.col(f"`{c}`").alias(CSV_NAMES[c]) for c in cols if c in CSV_NAMES])
        df = (df.withColumn("key", F.url_decode("key"))
              .withColumn("size", F.col("size").cast("long"))
              .withColumn("last_modified", F.to_timestamp("last_modified"))
              .withColumns({c: F.lower(F.col(c)) == "true" for c in ("is_latest", "is_delete_marker")
                            if c in df.columns}))
    else:
        df = spark.read.format("orc" if info["format"] == "ORC" else "parquet").load(paths)
        df = df.select([F.col(c).alias(COLUMNAR_NAMES[c]) for c in df.columns if c in COLUMNAR_NAMES])
        df = df.withColumn("size", F.col("size").cast("long")).withColumn(
            "last_modified", F.col("last_modified").cast("timestamp"))
    for c in ("version_id", "etag", "storage_class"):
        if c not in df.columns:
            df = df.withColumn(c, F.lit(None).cast("string"))
    if "is_latest" in df.columns:
        df = df.where(F.coalesce(F.col("is_latest"), F.lit(True)))
    if "is_delete_marker" in df.columns:
        df = df.where(~F.coalesce(F.col("is_delete_marker"), F.lit(False)))
    return df.select(
        "bucket", "key", F.coalesce(F.col("size"), F.lit(0)).alias("size"), F.col("etag").alias("etag"),
        "last_modified", F.coalesce(F.col("storage_class"), F.lit("STANDARD")).alias("storage_class"),
        "version_id")


def read_inventory(spark, cfg: RunConfig, s3: dict[str, Any], scopes: list[tuple[str, str]],
                   excluded: dict[str, str], accounts: bool = False):
    """(objects DataFrame, manifest infos). Bucket scope (list, criteria, prefixes) is applied here.

    `s3`: the credentials that read the manifests (Spark reads the report files through s3a).
    `accounts` (multi-account): `scopes` are the accounts' resolved buckets (criteria already applied),
    and only their rows are kept."""
    from functools import reduce

    from pyspark.sql import functions as F

    from jobs.enumerate import bucket_in_criteria

    client = make_client(s3)
    infos = [read_manifest(client, url) for url in cfg.scope.inventory.manifests]

    def tags_of(name: str) -> dict[str, str]:
        try:
            return {t["Key"]: t["Value"] for t in client.get_bucket_tagging(Bucket=name).get("TagSet", [])}
        except Exception:  # noqa: BLE001 - no tag set, or another account's bucket
            return {}

    if not accounts:  # with accounts:, resolve_accounts applied the criteria
        for src in {i["source_bucket"] for i in infos if i["source_bucket"]} - set(excluded):
            reason = "exclude_buckets" if src in cfg.scope.exclude_buckets else bucket_in_criteria(cfg, src, tags_of)
            if reason:
                excluded[src] = reason
    frames = [_frame(spark, i) for i in infos]
    df = reduce(lambda a, b: a.unionByName(b), frames)
    if cfg.scope.buckets or accounts:
        cond = F.lit(False)
        for bucket, prefix in scopes:
            c = F.col("bucket") == bucket
            cond = cond | (c & F.col("key").startswith(prefix) if prefix else c)
        df = df.where(cond)
    elif excluded:
        df = df.where(~F.col("bucket").isin(list(excluded)))
    return df, infos


# --------------------------------------------------------------------------- writing reports (tests, bench, demo)

CSV_FILE_SCHEMA = "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass"
ORC_FILE_SCHEMA = ("struct<bucket:string,key:string,version_id:string,is_latest:boolean,is_delete_marker:boolean,"
                   "size:bigint,last_modified_date:timestamp,e_tag:string,storage_class:string>")
PARQUET_FILE_SCHEMA = (
    "message s3.inventory { required binary bucket (UTF8); required binary key (UTF8); "
    "optional binary version_id (UTF8); optional boolean is_latest; optional boolean is_delete_marker; "
    "optional int64 size; optional int64 last_modified_date (TIMESTAMP_MILLIS); optional binary e_tag (UTF8); "
    "optional binary storage_class (UTF8);}")
FILE_SCHEMAS = {"CSV": CSV_FILE_SCHEMA, "ORC": ORC_FILE_SCHEMA, "Parquet": PARQUET_FILE_SCHEMA}


def _csv_bytes(rows: list[dict[str, Any]], gz: bool) -> bytes:
    import gzip
    from urllib.parse import quote_plus

    def q(v: Any) -> str:
        return '"' + ("" if v is None else str(v)).replace('"', '""') + '"'

    lines = []
    for r in rows:
        lm = r["last_modified"].strftime("%Y-%m-%dT%H:%M:%S.000Z")
        lines.append(",".join(q(x) for x in (
            r["bucket"], quote_plus(r["key"], safe="/"), r.get("version_id"),
            str(r.get("is_latest", True)).lower(), str(r.get("is_delete_marker", False)).lower(),
            r["size"], lm, r["etag"], r["storage_class"])))
    data = ("\n".join(lines) + "\n").encode()
    return gzip.compress(data) if gz else data


def _arrow_table(rows: list[dict[str, Any]]):
    import pyarrow as pa

    return pa.table({
        "bucket": pa.array([r["bucket"] for r in rows], pa.string()),
        "key": pa.array([r["key"] for r in rows], pa.string()),
        "version_id": pa.array([r.get("version_id") for r in rows], pa.string()),
        "is_latest": pa.array([r.get("is_latest", True) for r in rows], pa.bool_()),
        "is_delete_marker": pa.array([r.get("is_delete_marker", False) for r in rows], pa.bool_()),
        "size": pa.array([r["size"] for r in rows], pa.int64()),
        "last_modified_date": pa.array([r["last_modified"] for r in rows], pa.timestamp("ms", tz="UTC")),
        "e_tag": pa.array([r["etag"] for r in rows], pa.string()),
        "storage_class": pa.array([r["storage_class"] for r in rows], pa.string()),
    })


def report_file(rows: list[dict[str, Any]], fmt: str, gz: bool = True) -> bytes:
    """One inventory data file in S3's format: CSV (no header, URL-encoded keys, gzip), ORC or Parquet."""
    import io

    if fmt == "CSV":
        return _csv_bytes(rows, gz)
    buf = io.BytesIO()
    table = _arrow_table(rows)
    if fmt == "ORC":
        import pyarrow as pa
        from pyarrow import orc

        # S3 writes ORC `last_modified_date` as a plain ORC timestamp (UTC wall time); a tz-aware arrow column
        # would become ORC's "timestamp with local time zone", which Spark 3.5 cannot read
        i = table.schema.get_field_index("last_modified_date")
        table = table.set_column(i, "last_modified_date", table.column(i).cast(pa.timestamp("ms")))
        orc.write_table(table, buf)
    else:
        import pyarrow.parquet as pq

        pq.write_table(table, buf, coerce_timestamps="ms", allow_truncated_timestamps=True)
    return buf.getvalue()


def manifest_json(source_bucket: str, dest_bucket: str, fmt: str, files: list[tuple[str, int, str]],
                  created_ms: int) -> dict[str, Any]:
    return {
        "sourceBucket": source_bucket,
        "destinationBucket": f"arn:aws:s3:::{dest_bucket}",
        "version": "2016-11-30",
        "creationTimestamp": str(created_ms),
        "fileFormat": fmt,
        "fileSchema": FILE_SCHEMAS[fmt],
        "files": [{"key": k, "size": n, "MD5checksum": md5} for k, n, md5 in files],
    }


def put_report(client, dest_bucket: str, prefix: str, source_bucket: str, config_id: str,
               rows: list[dict[str, Any]], fmt: str, n_files: int = 2, stamp: str = "2026-11-24T00-00Z",
               gz: bool = True) -> str:
    """Write an inventory report into S3 in S3's own layout; returns the manifest's s3:// URL."""
    import hashlib
    import uuid

    base = f"{prefix.rstrip('/') + '/' if prefix else ''}{source_bucket}/{config_id}"
    ext = {"CSV": "csv.gz" if gz else "csv", "ORC": "orc", "Parquet": "parquet"}[fmt]
    files = []
    for i in range(n_files):
        chunk = rows[i::n_files]
        data = report_file(chunk, fmt, gz)
        key = f"{base}/data/{uuid.uuid5(uuid.NAMESPACE_URL, f'{base}/{stamp}/{i}')}.{ext}"
        client.put_object(Bucket=dest_bucket, Key=key, Body=data)
        files.append((key, len(data), hashlib.md5(data).hexdigest()))
    man = json.dumps(manifest_json(source_bucket, dest_bucket, fmt, files, 1_763_942_400_000)).encode()
    client.put_object(Bucket=dest_bucket, Key=f"{base}/{stamp}/manifest.json", Body=man)
    client.put_object(Bucket=dest_bucket, Key=f"{base}/{stamp}/manifest.checksum",
                      Body=hashlib.md5(man).hexdigest().encode())
    return f"s3://{dest_bucket}/{base}/{stamp}/manifest.json"
