"""Soak: the nightly job N times on the demo lake while its contents change between runs.

    python -m bench.soak [--runs 20] [--maintain-every 5] [--buckets acme-partner-share] [--write]

Starts the embedded S3 (moto) on a free port, seeds the demo lake (jobs/seed.py), then for each run:
adds, rewrites and deletes objects (fake values only), runs `run_scan` in one long-lived Spark session
(as a scheduler-driven driver would across nights), and every `--maintain-every` runs compacts and
vacuums every table (jobs/maintain.py OPTIMIZE; VACUUM with zero retention, safe here because
nothing else reads this throwaway warehouse; about 2 minutes for all tables on 2 cores, hence
weekly-style maintenance rather than after every run). Records per run: wall time, driver Python and
JVM RSS, the peak RSS of any classification task (scan_runs counter `max_task_peak_rss_bytes`),
objects in scope, findings, and each table's size and file count. `--write` puts the table in
BENCHMARKS.md (`soak` section) with the first/last-quarter drift of time, memory and table size.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.report import update_section

DEFAULT_BUCKETS = ("acme-partner-share",)  # ~30 objects, growing by 3 a run: 20 runs in ~10 min


def _dir_size(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _jvm_pid() -> int | None:
    import psutil

    for child in psutil.Process().children(recursive=True):
        try:
            if "java" in child.name():
                return child.pid
        except psutil.Error:
            continue
    return None


def mutate(client, run: int, buckets: tuple[str, ...]) -> dict[str, int]:
    """Between runs: new objects, rewritten objects, deleted objects (deterministic per run)."""
    from jobs import seed as seeding

    rng = random.Random(1000 + run)
    changes = {"added": 0, "changed": 0, "deleted": 0}
    for bucket in buckets:
        keys = sorted(o["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
                      for o in page.get("Contents", []))
        for i in range(3):  # new objects
            body, _ = seeding.partner_note(rng, sensitive=i == 0)
            client.put_object(Bucket=bucket, Key=f"soak/run-{run:03d}/note-{i}.txt", Body=body)
            changes["added"] += 1
        for key in rng.sample(keys, min(2, len(keys))):  # rewritten objects
            body, _ = seeding.partner_note(rng, sensitive=rng.random() < 0.5)
            client.put_object(Bucket=bucket, Key=key, Body=body)
            changes["changed"] += 1
        soak_keys = [k for k in keys if k.startswith("soak/")]
        for key in rng.sample(soak_keys, min(2, len(soak_keys))):  # deleted objects
            client.delete_object(Bucket=bucket, Key=key)
            changes["deleted"] += 1
    return changes


def soak(runs: int, scale: int, buckets: tuple[str, ...], workdir: Path, maintain_every: int = 5,
         retain_runs: int | None = 7) -> list[dict]:
    from delta.tables import DeltaTable

    from jobs import seed as seeding
    from jobs.cli import _pack_for
    from jobs.config import ServerSettings, load_config
    from jobs.maintain import maintain_tables
    from jobs.s3 import MotoServer, client_kwargs, free_port, make_client
    from jobs.scan import run_scan
    from jobs.spark import build_spark
    from jobs.tables import TABLES

    repo = Path(__file__).resolve().parents[1]
    server = MotoServer(ServerSettings(port=free_port())).start()
    try:
        import json

        cfg = load_config(repo / "conf" / "local.yaml", (
            f"s3.endpoint_url={server.endpoint_url}", f"output.warehouse={workdir / 'warehouse'}",
            f"detectors.custom_identifiers={repo / 'conf' / 'custom_identifiers.example.yaml'}",
            f"scope.buckets={json.dumps(list(buckets))}",
            'spark.conf={"spark.databricks.delta.retentionDurationCheck.enabled": "false"}'))
        client = make_client(client_kwargs(cfg.s3))
        seeding.seed(client, scale=scale)
        pack = _pack_for(cfg)
        spark = build_spark(cfg, app_name="lakescan-soak")
        jvm = _jvm_pid()
        rows = []
        for run in range(1, runs + 1):
            changes = mutate(client, run, buckets) if run > 1 else {"added": 0, "changed": 0, "deleted": 0}
            t0 = time.monotonic()
            report = run_scan(spark, cfg, pack, run_id=f"20261124T060000Z-soak{run:04d}")
            elapsed = time.monotonic() - t0
            t1 = time.monotonic()
            if maintain_every and run % maintain_every == 0:
                maintain_tables(spark, cfg, optimize=True, vacuum=False, retain_runs=retain_runs)
                for name in TABLES:
                    path = cfg.output.table(name)
                    if DeltaTable.isDeltaTable(spark, path):
                        DeltaTable.forPath(spark, path).vacuum(0.0)
            maint = time.monotonic() - t1
            sizes = {name: _dir_size(Path(cfg.output.table(name))) for name in TABLES
                     if Path(cfg.output.table(name)).exists()}
            row = {
                "run": run, "seconds": elapsed, "maintain_seconds": maint, **changes,
                "objects": report.counters["objects_in_scope"], "findings": report.counters["findings"],
                "driver_rss": _rss(__import__("os").getpid()), "jvm_rss": _rss(jvm) if jvm else 0,
                "task_peak_rss": report.counters.get("max_task_peak_rss_bytes", 0),
                "table_bytes": sum(b for b, _ in sizes.values()), "table_files": sum(n for _, n in sizes.values()),
                "log_bytes": sum(_dir_size(Path(cfg.output.table(name)) / "_delta_log")[0] for name in sizes),
                "status": report.status,
            }
            row["data_bytes"] = row["table_bytes"] - row["log_bytes"]
            rows.append(row)
            print(f"run {run:3d}: {elapsed:6.1f}s (+{maint:4.1f}s maintain) objects {row['objects']:5d} "
                  f"findings {row['findings']:4d} driver {row['driver_rss'] >> 20} MiB jvm {row['jvm_rss'] >> 20} MiB "
                  f"task peak {row['task_peak_rss'] >> 20} MiB tables {row['table_bytes'] >> 10} KiB/"
                  f"{row['table_files']} files {row['status']}", flush=True)
        spark.stop()
        return rows
    finally:
        server.stop()


def _drift(rows: list[dict], key: str) -> str:
    q = max(1, len(rows) // 4)
    first = statistics.mean(r[key] for r in rows[:q])
    last = statistics.mean(r[key] for r in rows[-q:])
    return f"{(last - first) / first * 100:+.0f}%" if first else "n/a"


def markdown(rows: list[dict], args: argparse.Namespace) -> str:
    from bench.report import git_rev

    mib = 1 << 20
    lines = [
        "## Soak (`python -m bench.soak`)",
        "",
        f"- {len(rows)} runs of the nightly job in one Spark session (local[2]) on the demo lake "
        f"(buckets {', '.join(args.buckets)}, scale {args.scale}); between runs 3 objects added, 2 rewritten "
        f"and 2 deleted per bucket; every {args.maintain_every} runs OPTIMIZE + VACUUM (0 h retention) of "
        "every table (the `maintain s` column), after deleting all but the newest "
        f"{args.retain_runs} runs from the per-run tables (`maintenance.retain_runs`; 0 = keep all).",
        "- `data KiB`: the tables' data files; `log KiB`: their `_delta_log`; `files`: both.",
        f"- date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; rev {git_rev()}",
        f"- drift, mean of the last quarter vs the first: run time {_drift(rows, 'seconds')}, "
        f"JVM RSS {_drift(rows, 'jvm_rss')}, driver RSS {_drift(rows, 'driver_rss')}, "
        f"table data bytes (without `_delta_log`) {_drift(rows, 'data_bytes')}, all table bytes "
        f"{_drift(rows, 'table_bytes')}, table files {_drift(rows, 'table_files')}",
        "- right after each maintenance (retention + OPTIMIZE + VACUUM), table data KiB: "
        + ", ".join(f"run {r['run']}: {r['data_bytes'] / 1024:.0f}" for r in rows if r["maintain_seconds"] >= 0.5)
        + ". The data stays flat; the `_delta_log` grows by one JSON commit per table write (plus a "
        "checkpoint every 10) until Delta's log retention (`delta.logRetentionDuration`, 30 days, cut at "
        "day granularity) deletes old entries at a checkpoint, so a nightly job's log levels off after a "
        "month; a soak of runs minutes apart cannot show that.",
        "",
        "| run | s | maintain s | objects | findings | +/~/- | driver MiB | JVM MiB | task peak MiB | "
        "data KiB | log KiB | files |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['run']} | {r['seconds']:.1f} | {r['maintain_seconds']:.1f} | {r['objects']} | {r['findings']} | "
            f"{r['added']}/{r['changed']}/{r['deleted']} | {r['driver_rss'] / mib:.0f} | {r['jvm_rss'] / mib:.0f} | "
            f"{r['task_peak_rss'] / mib:.0f} | {r['data_bytes'] / 1024:.0f} | {r['log_bytes'] / 1024:.0f} | "
            f"{r['table_files']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--maintain-every", type=int, default=5, help="OPTIMIZE + VACUUM every N runs (0: never)")
    ap.add_argument("--retain-runs", type=int, default=7, help="retention at maintenance (0: keep all runs)")
    ap.add_argument("--buckets", type=lambda s: tuple(s.split(",")), default=DEFAULT_BUCKETS)
    ap.add_argument("--write", action="store_true", help="record the results in BENCHMARKS.md")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lakescan-soak-") as tmp:
        rows = soak(args.runs, args.scale, args.buckets, Path(tmp), args.maintain_every, args.retain_runs or None)
    text = markdown(rows, args)
    print(text)
    if args.write:
        update_section("soak", text)
    return 0 if all(r["status"] == "SUCCEEDED" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
