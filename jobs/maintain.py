"""Delta maintenance: OPTIMIZE (compact small files) and VACUUM (drop unreferenced files).

Run after a scan with `maintenance.optimize_after_run` / `maintenance.vacuum_after_run`, or on its own
with `lakescan maintain`. VACUUM keeps `maintenance.vacuum_retain_hours` (at least 168, Delta's
default), so time travel over the last week and concurrent readers stay safe.
"""
from __future__ import annotations

from typing import Any


def maintain_tables(spark, cfg, optimize: bool = True, vacuum: bool = False,
                    names: tuple[str, ...] | None = None) -> dict[str, dict[str, Any]]:
    """OPTIMIZE and/or VACUUM every existing table; returns per-table metrics."""
    from delta.tables import DeltaTable

    from jobs.tables import TABLES

    out: dict[str, dict[str, Any]] = {}
    for name in names or tuple(TABLES):
        path = cfg.output.table(name)
        if not DeltaTable.isDeltaTable(spark, path):
            continue
        table = DeltaTable.forPath(spark, path)
        stats: dict[str, Any] = {}
        if optimize:
            m = table.optimize().executeCompaction().first()["metrics"]
            stats["files_added"], stats["files_removed"] = m["numFilesAdded"], m["numFilesRemoved"]
        if vacuum:
            table.vacuum(float(cfg.maintenance.vacuum_retain_hours))
            stats["vacuumed"] = True
        out[name] = stats
    return out
