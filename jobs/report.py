"""`lakescan report`: one self-contained HTML page for a run (no script, no external resource).

Sections: bucket sensitivity map, findings by type and severity, coverage per bucket, objects
skipped by reason, policy findings. Only aggregates, bucket names and finding types: no object key,
no value, no excerpt.
"""
from __future__ import annotations

from collections import defaultdict
from html import escape
from typing import Any

SEVERITY_COLORS = {"High": "#c0392b", "Medium": "#e67e22", "Low": "#f1c40f"}
CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}
.meta{color:#666;font-size:13px}.grid{display:flex;flex-wrap:wrap;gap:10px}
.tile{width:200px;padding:10px;border-radius:6px;color:#fff}.tile b{font-size:26px;display:block}
.tile span{font-size:12px;word-break:break-all}table{border-collapse:collapse;font-size:13px;background:#fff}
td,th{border:1px solid #ddd;padding:4px 8px;text-align:left}th{background:#f0f0f0}
.bar{height:14px;display:inline-block;vertical-align:middle}.num{text-align:right}
.status-FAILED{color:#c0392b;font-weight:bold}.status-SUCCEEDED{color:#27ae60;font-weight:bold}
"""


def score_color(score: int) -> str:
    """Red for Sensitive (darker = higher), green for Not sensitive, grey for 50, black for -1."""
    if score < 0:
        return "#34495e"
    if score == 50:
        return "#95a5a6"
    if score > 50:
        return f"hsl(0,70%,{60 - (score - 51) * 25 // 48}%)"
    return f"hsl(140,45%,{35 + (49 - score) * 10 // 48}%)"


def _table(headers: list[str], rows: list[list[Any]], numeric: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(
        f"<td class='num'>{escape(str(v))}</td>" if i in numeric else f"<td>{v}</td>"
        for i, v in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body or '<tr><td colspan=99>none</td></tr>'}</table>"


def _bar(value: float, total: float, color: str, width: int = 220) -> str:
    w = 0 if not total else max(1, round(width * value / total)) if value else 0
    return f"<span class='bar' style='width:{w}px;background:{color}'></span>"


def render(data: dict[str, Any]) -> str:
    """The page from plain data (unit-testable without Spark)."""
    run = data["run"]
    tiles = "".join(
        f"<div class='tile' style='background:{score_color(b['sensitivity_score'])}' "
        f"data-bucket='{escape(b['bucket'])}'>"
        f"<b>{b['sensitivity_score']}</b>{escape(b['label'])}<br><span>{escape(b['bucket'])}</span></div>"
        for b in sorted(data["buckets"], key=lambda b: -b["sensitivity_score"]))
    by_type = data["findings_by_type"]
    max_n = max((r["findings"] for r in by_type), default=0)
    find_rows = [[escape(r["finding_type"]), escape(r["severity"]), r["findings"],
                  _bar(r["findings"], max_n, SEVERITY_COLORS.get(r["severity"], "#888"))] for r in by_type]
    cov_rows = [[escape(b["bucket"]), b["objects_in_scope"], b["objects_classified"],
                 f"{(100 * b['objects_classified'] / b['objects_in_scope']) if b['objects_in_scope'] else 100:.0f}%",
                 _bar(b["objects_classified"], b["objects_in_scope"] or 1, "#2980b9")]
                for b in sorted(data["buckets"], key=lambda b: b["bucket"])]
    skipped = data["skipped"]
    max_s = max((r["objects"] for r in skipped), default=0)
    skip_rows = [[escape(r["reason"] or ""), r["objects"], _bar(r["objects"], max_s, "#7f8c8d")] for r in skipped]
    pol_rows = [[escape(p["bucket"]), escape(p["finding_type"]),
                 f"<span style='color:{SEVERITY_COLORS.get(p['severity'], '#888')}'>{escape(p['severity'])}</span>",
                 escape(p["trigger"]), escape(p["description"] or "")] for p in data["policy_findings"]]
    status = escape(run.get("status") or "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>lakescan report {escape(run['run_id'])}</title>
<style>{CSS}</style></head><body>
<h1>lakescan: sensitive data report</h1>
<div class="meta">run <b>{escape(run['run_id'])}</b> · {escape(str(run.get('run_date')))} ·
status <span class="status-{status}">{status}</span> · {run.get('objects_in_scope', 0)} objects in scope ·
{run.get('findings', 0)} findings{(' · ' + escape(run['message'])) if run.get('message') else ''}</div>
<h2 id="map">Bucket sensitivity</h2><div class="grid">{tiles or 'no buckets'}</div>
<h2 id="findings">Findings by type and severity</h2>
{_table(["finding type", "severity", "findings", ""], find_rows, {2})}
<h2 id="coverage">Coverage</h2>
{_table(["bucket", "in scope", "classified", "%", ""], cov_rows, {1, 2})}
<h2 id="skipped">Skipped by reason</h2>
{_table(["reason", "objects", ""], skip_rows, {1})}
<h2 id="policy">Policy findings</h2>
{_table(["bucket", "finding type", "severity", "trigger", "description"], pol_rows)}
</body></html>
"""


def collect(spark, cfg, run_id: str | None = None) -> dict[str, Any]:
    """The report's data for one run (default: the latest run) from the Delta tables."""
    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    def load(name):
        path = cfg.output.table(name)
        return spark.read.format("delta").load(path) if DeltaTable.isDeltaTable(spark, path) else None

    runs = load("scan_runs")
    if runs is None:
        raise ValueError(f"no scan_runs table under {cfg.output.warehouse}: run a scan first")
    if run_id is None:
        latest = runs.orderBy(F.col("started_at").desc()).select("run_id").first()
        if latest is None:
            raise ValueError("scan_runs is empty: run a scan first")
        run_id = latest["run_id"]
    row = runs.where(F.col("run_id") == run_id).first()
    if row is None:
        raise ValueError(f"no run {run_id!r} in scan_runs")
    counters = row["counters"] or {}

    def of(name):
        df = load(name)
        return [] if df is None else [r.asDict(recursive=True) for r in df.where(F.col("run_id") == run_id).collect()]

    by_type: dict[tuple[str, str], int] = defaultdict(int)
    findings = load("findings")
    if findings is not None:
        for r in (findings.where(F.col("run_id") == run_id).groupBy("finding_type", "severity").count().collect()):
            by_type[(r["finding_type"], r["severity"])] += r["count"]
    results = load("object_results")
    skipped = [] if results is None else [
        {"reason": r["reason"], "objects": r["count"]} for r in
        results.where((F.col("run_id") == run_id) & (F.col("status") == "SKIPPED"))
        .groupBy("reason").count().orderBy(F.col("count").desc(), "reason").collect()]
    return {
        "run": {"run_id": run_id, "run_date": row["run_date"], "status": row["status"], "message": row["message"],
                "objects_in_scope": counters.get("objects_in_scope", 0), "findings": counters.get("findings", 0)},
        "buckets": of("bucket_scores"),
        "findings_by_type": [{"finding_type": t, "severity": s, "findings": n}
                             for (t, s), n in sorted(by_type.items(), key=lambda kv: (-kv[1], kv[0]))],
        "skipped": skipped,
        "policy_findings": sorted(of("policy_findings"), key=lambda p: (-p["severity_score"], p["bucket"])),
    }


def write_report(spark, cfg, path: str, run_id: str | None = None) -> str:
    from pathlib import Path

    html = render(collect(spark, cfg, run_id))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(html)
    return path
