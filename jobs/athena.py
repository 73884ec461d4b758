"""Register the Delta tables in the Glue Data Catalog for Athena's native Delta Lake support.

    lakescan athena ddl --config conf/prod.yaml [--database lakescan] [--location s3://bucket/warehouse]
    lakescan athena register --config conf/prod.yaml [--database lakescan]

Athena reads a Delta table's schema and partitions from its `_delta_log`; the catalog entry only
needs the location and `table_type = DELTA`. `register` also stores the columns (from the single
schema definition in jobs/tables.py) so the Glue console and `SHOW COLUMNS` list them, and is
idempotent: an existing table is updated, never dropped.
"""
from __future__ import annotations

from typing import Any

from pyspark.sql import types as T

from jobs.tables import TABLES

DESCRIPTIONS = {
    "object_results": "lakescan: one row per object in scope per run (COMPLETE / PARTIAL / SKIPPED + reason)",
    "findings": "lakescan: one sensitive-data finding per object with sensitive data per run",
    "bucket_scores": "lakescan: bucket sensitivity score (-1..100) and statistics per run",
    "scan_runs": "lakescan: one row per run (status, digests, counters)",
    "bucket_inventory": "lakescan: Macie bucket metadata (public access, encryption, sharing) per bucket per run",
    "policy_findings": "lakescan: Macie policy findings raised by posture changes",
}


def hive_type(dt: T.DataType) -> str:
    """A Spark type as a Glue/Hive column type."""
    if isinstance(dt, T.StructType):
        return "struct<" + ",".join(f"{f.name}:{hive_type(f.dataType)}" for f in dt.fields) + ">"
    if isinstance(dt, T.ArrayType):
        return f"array<{hive_type(dt.elementType)}>"
    if isinstance(dt, T.MapType):
        return f"map<{hive_type(dt.keyType)},{hive_type(dt.valueType)}>"
    return {"long": "bigint", "integer": "int"}.get(dt.typeName(), dt.simpleString())


def table_location(cfg, name: str, location: str | None = None) -> str:
    """s3:// location of a table (Athena and Glue do not know s3a://)."""
    base = (location.rstrip("/") + "/" + name) if location else cfg.output.table(name)
    return "s3://" + base.split("://", 1)[1] if base.startswith(("s3a://", "s3n://")) else base


def ddl(cfg, database: str = "lakescan", location: str | None = None) -> str:
    """Athena DDL: the database and one CREATE EXTERNAL TABLE ... table_type DELTA per table."""
    out = [f"CREATE DATABASE IF NOT EXISTS `{database}`;", ""]
    for name in TABLES:
        out += [
            f"-- {DESCRIPTIONS.get(name, name)}",
            f"CREATE EXTERNAL TABLE IF NOT EXISTS `{database}`.`{name}`",
            f"LOCATION '{table_location(cfg, name, location)}'",
            "TBLPROPERTIES ('table_type' = 'DELTA');",
            "",
        ]
    return "\n".join(out)


def table_input(cfg, name: str, location: str | None = None) -> dict[str, Any]:
    schema, key, partitions = TABLES[name]
    return {
        "Name": name,
        "Description": DESCRIPTIONS.get(name, name),
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"table_type": "DELTA", "EXTERNAL": "TRUE", "classification": "delta",
                       "lakescan.merge_key": ",".join(key), "lakescan.partitioned_by": ",".join(partitions)},
        "StorageDescriptor": {
            "Location": table_location(cfg, name, location),
            "Columns": [{"Name": f.name, "Type": hive_type(f.dataType)} for f in schema.fields],
            "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
        },
    }


def register(glue, cfg, database: str = "lakescan", location: str | None = None) -> dict[str, str]:
    """Create (or update) the database and every table through the Glue API. Returns name -> action."""
    try:
        glue.create_database(DatabaseInput={"Name": database, "Description": "lakescan Delta tables"})
    except glue.exceptions.AlreadyExistsException:
        pass
    actions = {}
    for name in TABLES:
        ti = table_input(cfg, name, location)
        try:
            glue.create_table(DatabaseName=database, TableInput=ti)
            actions[name] = "created"
        except glue.exceptions.AlreadyExistsException:
            glue.update_table(DatabaseName=database, TableInput=ti)
            actions[name] = "updated"
    return actions


# ---- the analyst SQL (conf/queries/*.sql), runnable in Spark SQL too ----------------------------

def queries_dir():
    from pathlib import Path

    return Path(__file__).resolve().parents[1] / "conf" / "queries"


def load_queries(directory=None) -> dict[str, str]:
    """name -> SQL text of every conf/queries/*.sql (without a trailing semicolon)."""
    d = directory or queries_dir()
    return {p.stem: p.read_text().strip().rstrip(";") for p in sorted(d.glob("*.sql"))}


def register_views(spark, cfg) -> list[str]:
    """Temporary views named like the tables, so the Athena SQL runs unchanged in Spark SQL."""
    from delta.tables import DeltaTable

    names = []
    for name in TABLES:
        path = cfg.output.table(name)
        if DeltaTable.isDeltaTable(spark, path):
            spark.read.format("delta").load(path).createOrReplaceTempView(name)
            names.append(name)
    return names
