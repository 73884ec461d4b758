"""The readable end-of-run summary."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table

from jobs.scan import RunReport


def _mb(n: int) -> str:
    return f"{n / 1e6:,.2f} MB"


def print_summary(report: RunReport, console: Console | None = None) -> None:
    console = console or Console()
    c = report.counters
    console.rule(f"[bold]lakescan run {report.run_id}[/] ({report.status})")
    overview = Table(show_header=False, box=None)
    overview.add_row("objects in scope", f"{c['objects_in_scope']:,}")
    overview.add_row("sampled", f"{c['objects_sampled']:,}")
    overview.add_row("classified", f"{c['objects_classified']:,}")
    overview.add_row("skipped", f"{c['objects_skipped']:,}")
    overview.add_row("objects with findings", f"{c['findings']:,}")
    overview.add_row("bytes in scope / read", f"{_mb(c['bytes_in_scope'])} / {_mb(c['bytes_read'])}")
    overview.add_row("elapsed", f"{report.elapsed:.1f} s  (" + ", ".join(
        f"{k} {v:.1f}s" for k, v in report.phase_seconds.items() if k != "total") + ")")
    console.print(overview)

    if report.skipped_by_reason:
        t = Table(title="Skipped by reason")
        t.add_column("reason")
        t.add_column("objects", justify="right")
        for reason, n in sorted(report.skipped_by_reason.items(), key=lambda kv: -kv[1]):
            t.add_row(reason or "-", f"{n:,}")
        console.print(t)

    if report.findings_by_type:
        t = Table(title="Detections in findings, by type")
        t.add_column("type")
        t.add_column("detections", justify="right")
        for typ, n in sorted(report.findings_by_type.items(), key=lambda kv: -kv[1]):
            t.add_row(typ, f"{n:,}")
        console.print(t)
        console.print("Findings by severity: " + ", ".join(
            f"{s} {n}" for s, n in sorted(report.findings_by_severity.items())))
    else:
        console.print("No sensitive data found.")

    t = Table(title="Buckets by sensitivity score")
    for col in ("bucket", "score", "label", "objects", "classified", "sensitive", "types"):
        t.add_column(col, justify="right" if col in ("score", "objects", "classified", "sensitive") else "left")
    for b in sorted(report.buckets, key=lambda r: -r["sensitivity_score"]):
        t.add_row(b["bucket"], str(b["sensitivity_score"]), b["label"], f"{b['objects_in_scope']:,}",
                  f"{b['objects_classified']:,}", f"{b['objects_sensitive']:,}",
                  ", ".join(b["detection_types"]) or "-")
    console.print(t)
    if getattr(report, "coverage", None):  # jobs/coverage.py:report
        t = Table(title="Coverage: objects ever classified in their current version")
        for col in ("bucket", "objects", "% objects", "% bytes", "oldest unclassified"):
            t.add_column(col, justify="left" if col == "bucket" else "right")
        for cv in report.coverage:
            age = cv["oldest_unclassified_days"]
            t.add_row(cv["bucket"], f"{cv['objects_covered']:,}/{cv['objects']:,}", f"{cv['pct_objects']:.1f}%",
                      f"{cv['pct_bytes']:.1f}%", "-" if age is None else f"{age:,.1f} days")
        console.print(t)
    for account, err in sorted(getattr(report, "account_errors", {}).items()):  # multi-account
        console.print(f"[yellow]account {account} could not be scanned: {err}[/]")
    for bucket, err in sorted(report.bucket_errors.items()):
        console.print(f"[yellow]bucket {bucket} could not be scanned: {err}[/]")

    t = Table(title="Delta tables", show_header=False)
    for name, path in report.tables.items():
        t.add_row(name, path)
    console.print(t)
