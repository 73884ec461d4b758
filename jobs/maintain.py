"""Delta maintenance: retention, OPTIMIZE (compact small files) and VACUUM (drop unreferenced files).

Run after a scan with `maintenance.optimize_after_run` / `maintenance.vacuum_after_run`, or on its own
with `lakescan maintain`. VACUUM keeps `maintenance.vacuum_retain_hours` (at least 168, Delta's
default), so time travel over the last week and concurrent readers stay safe. With
`maintenance.retain_runs` N, rows of runs older than the last N (by `scan_runs.started_at`) are
deleted from the per-run tables first, so the tables stop growing with the number of nights.
"""
from __future__ import annotations

from typing import Any

# Tables with rows per run that retention trims; scan_runs (one row a run) is the run history itself.
PER_RUN_TABLES = ("object_results", "findings", "bucket_scores", "bucket_inventory", "policy_findings")


def runs_to_keep(spark, cfg, retain_runs: int) -> list[str] | None:
    """The run ids of the newest `retain_runs` runs in scan_runs (None when there is no scan_runs yet)."""
    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    path = cfg.output.table("scan_runs")
    if not DeltaTable.isDeltaTable(spark, path):
        return None
    rows = (spark.read.format("delta").load(path).select("run_id", "started_at")
            .orderBy(F.col("started_at").desc_nulls_last(), F.col("run_id").desc()).limit(retain_runs).collect())
    return [r["run_id"] for r in rows]


def maintain_tables(spark, cfg, optimize: bool = True, vacuum: bool = False,
                    names: tuple[str, ...] | None = None,
                    retain_runs: int | None = None) -> dict[str, dict[str, Any]]:
    """Retention (`retain_runs`, default from config), then OPTIMIZE and/or VACUUM every existing table;
    returns per-table metrics."""
    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    from jobs.tables import TABLES

    retain_runs = retain_runs if retain_runs is not None else cfg.maintenance.retain_runs
    keep = runs_to_keep(spark, cfg, retain_runs) if retain_runs else None
    out: dict[str, dict[str, Any]] = {}
    for name in names or tuple(TABLES):
        path = cfg.output.table(name)
        if not DeltaTable.isDeltaTable(spark, path):
            continue
        table = DeltaTable.forPath(spark, path)
        stats: dict[str, Any] = {}
        if keep and name in PER_RUN_TABLES:
            table.delete(~F.col("run_id").isin(keep))
            m = table.history(1).select("operation", "operationMetrics").first()
            stats["rows_deleted"] = int((m["operationMetrics"] or {}).get("numDeletedRows", 0) or 0) \
                if m["operation"] == "DELETE" else 0
        if optimize:
            m = table.optimize().executeCompaction().first()["metrics"]
            stats["files_added"], stats["files_removed"] = m["numFilesAdded"], m["numFilesRemoved"]
        if vacuum:
            table.vacuum(float(cfg.maintenance.vacuum_retain_hours))
            stats["vacuumed"] = True
        out[name] = stats
    return out
