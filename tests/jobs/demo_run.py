"""One real demo run (the four seeded buckets) shared by the posture, quality, queries, notebook and
report tests, so the suite pays for it once per session (not a test module)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from jobs import seed as seeding
from jobs.config import RunConfig
from tests.conftest import make_config

DEMO_RUN_ID = "20261124T060000Z-demo0001"
_CACHE: dict[str, DemoRun] = {}


@dataclass
class DemoRun:
    manifest: seeding.SeedManifest
    cfg: RunConfig
    report: object
    pack: object


def demo_run(spark, moto_server, s3_client, tmp_path_factory) -> DemoRun:
    key = moto_server.endpoint_url
    if key not in _CACHE:
        from jobs.cli import _pack_for
        from jobs.scan import run_scan

        manifest = seeding.seed(s3_client)
        warehouse: Path = tmp_path_factory.mktemp("demo-warehouse")
        cfg = make_config(moto_server.endpoint_url, warehouse, f"scope.buckets={json.dumps(list(seeding.BUCKETS))}")
        pack = _pack_for(cfg)
        report = run_scan(spark, cfg, pack, run_id=DEMO_RUN_ID)
        _CACHE[key] = DemoRun(manifest, cfg, report, pack)
    return _CACHE[key]
