"""`lakescan plan`: scope, sampling, requests and costs without reading objects."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from jobs.plan import GB, GET_PRICE_PER_1000, LIST_PRICE_PER_1000, macie_price, make_plan
from tests.conftest import REPO, make_config

BUCKET = "plan-lake"


@pytest.mark.parametrize("gb, price", [
    (0.5, 0.0), (1, 0.0), (11, 10.0),
    (1 + 50 * 1024, 50 * 1024 * 1.0),
    (1 + 50 * 1024 + 10, 50 * 1024 + 10 * 0.5),
    (1 + 500 * 1024 + 4, 50 * 1024 + 450 * 1024 * 0.5 + 4 * 0.25),
])
def test_macie_price_tiers(gb, price):
    assert macie_price(int(gb * GB)) == pytest.approx(price)


@pytest.fixture(scope="module")
def plan_lake(s3_client):
    s3_client.create_bucket(Bucket=BUCKET)
    for i in range(20):
        s3_client.put_object(Bucket=BUCKET, Key=f"logs/2026-11-{i + 1:02d}/app.log", Body=b"x" * 1000)
    for i in range(5):
        s3_client.put_object(Bucket=BUCKET, Key=f"img/{i}.png", Body=b"p" * 100)
    s3_client.put_object(Bucket=BUCKET, Key="cold/old.csv", Body=b"c" * 10, StorageClass="GLACIER")
    s3_client.put_object(Bucket=BUCKET, Key="big/huge.log", Body=b"l" * 300_000)


def _cfg(moto_server, tmp_path, *overrides):
    return make_config(moto_server.endpoint_url, tmp_path, f'scope.buckets=["{BUCKET}"]', *overrides)


@pytest.mark.spark
@pytest.mark.integration
def test_plan_counts_scope_sampling_requests_and_costs(spark, moto_server, tmp_path, plan_lake):
    cfg = _cfg(moto_server, tmp_path, 'scope.excludes=[{key: OBJECT_EXTENSION, comparator: EQ, values: [png]}]',
               "sampling.mode=stratified", "sampling.percentage=1", "sampling.representatives=2",
               "sampling.range_threshold_bytes=100000", "sampling.range_head_bytes=10000", "sampling.range_count=3",
               "sampling.range_bytes=5000")
    p = make_plan(spark, cfg)
    (b,) = p.buckets
    assert (b.objects_in_scope, b.bytes_in_scope) == (22, 20 * 1000 + 10 + 300_000)
    assert b.excluded_by_reason == {"exclude:OBJECT_EXTENSION": 5} and b.bytes_excluded == 500
    assert b.objects_unreadable == 1  # Glacier: SKIPPED by the scan, no GET, no budget
    # stratified: 2 of the 20 daily logs, plus the big log (its own cluster), whatever 1% adds
    assert b.objects_selected >= 3
    assert b.objects_range_read == 1 and b.get_requests == b.objects_selected - 1 + 4
    assert b.bytes_to_read == b.bytes_selected - 300_000 + 10_000 + 3 * 5000
    assert p.list_requests >= 1 and p.tag_requests == 0
    assert p.s3_cost == pytest.approx(p.list_requests / 1000 * LIST_PRICE_PER_1000
                                      + p.get_requests / 1000 * GET_PRICE_PER_1000)
    assert p.macie_bytes == b.bytes_selected and p.macie_cost == 0.0  # under the free GB
    assert p.compute_seconds > 0 and not p.throughput_measured
    assert set(b.not_sampled_by_reason) == {"sampling: percentage"}
    assert 22 - 1 - b.objects_selected <= b.not_sampled_by_reason["sampling: percentage"] <= 22 - b.objects_selected


@pytest.mark.spark
@pytest.mark.integration
def test_plan_cli_prints_json(spark, moto_server, tmp_path, plan_lake):
    from jobs.cli import cli

    res = CliRunner().invoke(cli, ["plan", "--config", str(REPO / "conf" / "local.yaml"), "--json",
                                   "--set", f"s3.endpoint_url={moto_server.endpoint_url}",
                                   "--set", f"output.warehouse={tmp_path}",
                                   "--set", f'scope.buckets=["{BUCKET}"]', "--set", "sampling.run_max_objects=5"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout[res.stdout.index("{"):])
    assert data["totals"]["objects_selected"] == 5 and data["totals"]["objects_in_scope"] == 27
    assert data["buckets"][0]["not_sampled_by_reason"] == {"budget: run": 27 - 5 - 1}
