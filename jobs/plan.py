"""`lakescan plan`: what a scan would do and cost, without reading any object.

    lakescan plan --config conf/local.yaml [--set ...] [--json]

It enumerates (LIST calls, or the S3 Inventory report: no LIST), scopes and samples exactly as
`lakescan scan` would (same code: jobs/enumerate.py, jobs/sampling.py, the coverage table), then
aggregates per bucket: objects and bytes in scope, out of scope by reason, picked by sampling, and
the bytes the reads would cost. Prices (us-east-1, S3 Standard, reference §10):

- LIST $0.005 per 1,000 requests; GET $0.0004 per 1,000 (GetObject, one per byte range, and
  GetObjectTagging when a tag term is used).
- Compute: bytes to read / measured throughput (bytes_read / classify seconds of the latest
  completed runs in scan_runs); without a completed run, an assumed 2 MB/s per core.
- Macie: $1.00/GB for the first 50 TB, $0.50/GB for the next 450 TB, $0.25/GB above, first GB free a
  month, on the *whole* bytes of the objects sampling picks (Macie reads objects whole, and skips
  unreadable storage classes without billing).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

LIST_PRICE_PER_1000 = 0.005
GET_PRICE_PER_1000 = 0.0004
ASSUMED_BYTES_PER_CORE_SECOND = 2_000_000
GB = 1024**3
MACIE_TIERS = ((50 * 1024, 1.00), (450 * 1024, 0.50), (math.inf, 0.25))  # (GB in tier, $/GB)
MACIE_FREE_GB = 1.0


def macie_price(n_bytes: int, free_gb: float = MACIE_FREE_GB) -> float:
    """Macie's object-analysis price for `n_bytes` of uncompressed data in one month (reference §10)."""
    gb = max(0.0, n_bytes / GB - free_gb)
    total = 0.0
    for size, price in MACIE_TIERS:
        take = min(gb, size)
        total += take * price
        gb -= take
        if gb <= 0:
            break
    return total


@dataclass
class BucketPlan:
    bucket: str
    objects_in_scope: int = 0
    bytes_in_scope: int = 0
    objects_excluded: int = 0
    bytes_excluded: int = 0
    excluded_by_reason: dict[str, int] = field(default_factory=dict)
    objects_unreadable: int = 0           # Glacier / Deep Archive / over the size limit: SKIPPED, no GET
    objects_selected: int = 0             # sampling picks (readable)
    bytes_selected: int = 0               # their whole size
    bytes_to_read: int = 0                # what the reads cost (byte ranges for large text)
    objects_range_read: int = 0
    get_requests: int = 0
    objects_carried_forward: int = 0
    not_sampled_by_reason: dict[str, int] = field(default_factory=dict)


@dataclass
class Plan:
    source: str
    buckets: list[BucketPlan]
    bucket_errors: dict[str, str]
    buckets_excluded: dict[str, str]
    list_requests: int
    tag_requests: int
    get_requests: int
    s3_cost: float
    bytes_to_read: int
    throughput_bytes_per_second: float
    throughput_measured: bool
    compute_seconds: float
    macie_bytes: int
    macie_cost: float
    totals: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def measured_throughput(spark, cfg) -> float | None:
    """bytes_read / classify seconds over the latest (up to 5) completed runs; None without one."""
    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    p = cfg.output.table("scan_runs")
    if not DeltaTable.isDeltaTable(spark, p):
        return None
    rows = (spark.read.format("delta").load(p).where(F.col("status") == "SUCCEEDED")
            .orderBy(F.col("finished_at").desc()).limit(5)
            .select(F.col("counters")["bytes_read"].alias("b"), F.col("phase_seconds")["classify"].alias("s"))
            .collect())
    b = sum(r["b"] or 0 for r in rows)
    s = sum(r["s"] or 0 for r in rows)
    return b / s if b and s else None


def make_plan(spark, cfg) -> Plan:
    from pyspark.sql import functions as F

    from jobs import coverage
    from jobs.enumerate import enumerate_scope
    from jobs.s3 import client_kwargs
    from jobs.sampling import select_objects

    s3 = client_kwargs(cfg.s3)
    enum = enumerate_scope(spark, cfg, s3)
    cov = coverage.load(spark, cfg)
    sel = select_objects(cfg, enum.objects, cov, first_run=cov is None)
    readable = ~F.col("exempt")
    picked = F.col("sampled") & readable
    n_ranges = F.when(F.col("read_ranges").isNull(), F.lit(1)).otherwise(F.size("read_ranges"))
    # One pass: per (bucket, why not sampled) sums, folded per bucket on the driver (a few rows).
    per = sel.groupBy("bucket", F.when(~F.col("carry"), F.col("sample_detail")).alias("why")).agg(
        F.count("*").alias("n"), F.sum("size").alias("b"),
        F.sum(F.col("exempt").cast("long")).alias("unreadable"),
        F.sum(picked.cast("long")).alias("sel"),
        F.sum(F.when(picked, F.col("size")).otherwise(0)).alias("sel_b"),
        F.sum(F.when(picked, F.col("read_bytes")).otherwise(0)).alias("rb"),
        F.sum(F.when(picked & F.col("read_ranges").isNotNull(), 1).otherwise(0)).alias("rr"),
        F.sum(F.when(picked & (F.col("size") > 0), n_ranges).otherwise(0)).alias("gets"),
        F.sum(F.col("carry").cast("long")).alias("carry"),
    ).collect()
    plans: dict[str, BucketPlan] = {b: BucketPlan(b) for b, _ in enum.pieces}
    for r in per:
        bp = plans.setdefault(r["bucket"], BucketPlan(r["bucket"]))
        bp.objects_in_scope += int(r["n"])
        bp.bytes_in_scope += int(r["b"] or 0)
        bp.objects_unreadable += int(r["unreadable"] or 0)
        bp.objects_selected += int(r["sel"] or 0)
        bp.bytes_selected += int(r["sel_b"] or 0)
        bp.bytes_to_read += int(r["rb"] or 0)
        bp.objects_range_read += int(r["rr"] or 0)
        bp.get_requests += int(r["gets"] or 0)
        bp.objects_carried_forward += int(r["carry"] or 0)
        if r["why"] is not None:
            n_not = int(r["n"]) - int(r["sel"] or 0)
            if n_not:
                bp.not_sampled_by_reason[r["why"]] = bp.not_sampled_by_reason.get(r["why"], 0) + n_not
    for (bucket, reason), (n, b) in enum.excluded_by_reason().items():
        bp = plans.setdefault(bucket, BucketPlan(bucket))
        bp.excluded_by_reason[reason] = n
        bp.objects_excluded += n
        bp.bytes_excluded += b
    enum.unpersist()

    buckets = sorted(plans.values(), key=lambda p: p.bucket)
    list_requests = enum.driver_list_calls + int(enum.list_calls.value or 0)
    tag_requests = int(enum.tag_calls.value or 0)
    manifest_gets = len(cfg.scope.inventory.manifests) if cfg.scope.source == "inventory" else 0
    get_requests = sum(b.get_requests for b in buckets) + tag_requests + manifest_gets
    s3_cost = list_requests / 1000 * LIST_PRICE_PER_1000 + get_requests / 1000 * GET_PRICE_PER_1000
    bytes_to_read = sum(b.bytes_to_read for b in buckets)
    measured = measured_throughput(spark, cfg)
    cores = spark.sparkContext.defaultParallelism
    tput = measured or ASSUMED_BYTES_PER_CORE_SECOND * cores
    macie_bytes = sum(b.bytes_selected for b in buckets)
    totals = {k: sum(getattr(b, k) for b in buckets) for k in (
        "objects_in_scope", "bytes_in_scope", "objects_excluded", "bytes_excluded", "objects_unreadable",
        "objects_selected", "bytes_selected", "bytes_to_read", "objects_range_read", "objects_carried_forward")}
    return Plan(
        source=cfg.scope.source, buckets=buckets, bucket_errors=dict(enum.bucket_errors),
        buckets_excluded=dict(enum.buckets_excluded), list_requests=list_requests, tag_requests=tag_requests,
        get_requests=get_requests, s3_cost=s3_cost, bytes_to_read=bytes_to_read,
        throughput_bytes_per_second=tput, throughput_measured=measured is not None,
        compute_seconds=bytes_to_read / tput if tput else 0.0, macie_bytes=macie_bytes,
        macie_cost=macie_price(macie_bytes), totals=totals,
    )


def print_plan(plan: Plan, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    mb = lambda n: f"{n / 1e6:,.2f} MB"  # noqa: E731
    t = Table(title=f"lakescan plan (source: {plan.source}; no object is read)")
    for col in ("bucket", "in scope", "bytes", "excluded", "unreadable", "selected", "to read", "GETs",
                "not sampled"):
        t.add_column(col, justify="left" if col in ("bucket", "not sampled") else "right")
    for b in plan.buckets:
        t.add_row(b.bucket, f"{b.objects_in_scope:,}", mb(b.bytes_in_scope),
                  f"{b.objects_excluded:,}" + (" (" + ", ".join(f"{k} {v}" for k, v in
                                                                sorted(b.excluded_by_reason.items())) + ")"
                                                 if b.excluded_by_reason else ""),
                  f"{b.objects_unreadable:,}", f"{b.objects_selected:,}", mb(b.bytes_to_read), f"{b.get_requests:,}",
                  ", ".join(f"{k} {v}" for k, v in sorted(b.not_sampled_by_reason.items())) or "-")
    tt = plan.totals
    t.add_row("[bold]total[/]", f"{tt['objects_in_scope']:,}", mb(tt["bytes_in_scope"]), f"{tt['objects_excluded']:,}",
              f"{tt['objects_unreadable']:,}", f"{tt['objects_selected']:,}", mb(tt["bytes_to_read"]),
              f"{plan.get_requests:,}", "")
    console.print(t)
    s = Table(show_header=False, box=None)
    s.add_row("LIST requests", f"{plan.list_requests:,}")
    s.add_row("GET requests", f"{plan.get_requests:,} (tags {plan.tag_requests:,})")
    s.add_row("S3 request cost", f"${plan.s3_cost:,.4f}")
    s.add_row("compute estimate", f"{plan.compute_seconds:,.1f} s at {plan.throughput_bytes_per_second / 1e6:,.2f} MB/s"
              + (" (measured)" if plan.throughput_measured else " (assumed: no completed run)"))
    s.add_row("Macie price, same objects", f"${plan.macie_cost:,.2f} for {mb(plan.macie_bytes)}")
    console.print(s)
    for b, e in sorted(plan.bucket_errors.items()):
        console.print(f"[yellow]bucket {b}: {e}[/]")
    for b, r in sorted(plan.buckets_excluded.items()):
        console.print(f"bucket {b} out of scope: {r}")
