"""S3 Inventory reports (CSV, ORC, Parquet) written in S3's own layout, read by Spark through s3a://."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from jobs.config import JobConfigError
from jobs.enumerate import enumerate_scope
from jobs.inventory import InventoryError, put_report, read_manifest
from jobs.s3 import client_kwargs
from tests.conftest import make_config

pytestmark = [pytest.mark.spark, pytest.mark.integration]

DEST = "inventory-dest"


def _rows(source: str) -> list[dict]:
    d = lambda day: datetime(2026, 10, day, 12, 0, tzinfo=UTC)  # noqa: E731
    rows = [
        {"bucket": source, "key": "logs/2026-10-01/app.log", "size": 100, "last_modified": d(1), "etag": "e1",
         "storage_class": "STANDARD"},
        {"bucket": source, "key": "data/customers.csv", "size": 2000, "last_modified": d(5), "etag": "e2",
         "storage_class": "STANDARD_IA"},
        {"bucket": source, "key": "weird key/ünïcode+plus.txt", "size": 7, "last_modified": d(9), "etag": "e3",
         "storage_class": "STANDARD"},
        {"bucket": source, "key": "archive/old.csv", "size": 50, "last_modified": d(2), "etag": "e4",
         "storage_class": "GLACIER"},
        # not the latest version, and a delete marker: not objects to scan
        {"bucket": source, "key": "data/customers.csv", "size": 1900, "last_modified": d(3), "etag": "e0",
         "storage_class": "STANDARD", "version_id": "v0", "is_latest": False},
        {"bucket": source, "key": "gone.txt", "size": 0, "last_modified": d(4), "etag": "", "storage_class": "STANDARD",
         "version_id": "v9", "is_delete_marker": True},
    ]
    return rows


EXPECTED = {"logs/2026-10-01/app.log": (100, "e1", "STANDARD"), "data/customers.csv": (2000, "e2", "STANDARD_IA"),
            "weird key/ünïcode+plus.txt": (7, "e3", "STANDARD"), "archive/old.csv": (50, "e4", "GLACIER")}


@pytest.fixture(scope="module")
def reports(s3_client):
    s3_client.create_bucket(Bucket=DEST)
    urls = {}
    for fmt in ("CSV", "ORC", "Parquet"):
        source = f"inv-src-{fmt.lower()}"
        urls[fmt] = put_report(s3_client, DEST, "inventories", source, "daily", _rows(source), fmt, n_files=2)
    # an older report of the CSV config, which the folder URL must not pick
    put_report(s3_client, DEST, "inventories", "inv-src-csv", "daily", _rows("inv-src-csv")[:1], "CSV",
               n_files=1, stamp="2026-11-01T00-00Z")
    # an uncompressed CSV report
    urls["CSV plain"] = put_report(s3_client, DEST, "plain", "inv-src-plain", "daily", _rows("inv-src-plain"),
                                   "CSV", n_files=1, gz=False)
    return urls


def _cfg(moto_server, tmp_path, manifests, *overrides):
    return make_config(moto_server.endpoint_url, tmp_path, "scope.source=inventory",
                       f"scope.inventory.manifests={json.dumps(manifests)}", *overrides)


@pytest.mark.parametrize("fmt", ["CSV", "ORC", "Parquet", "CSV plain"])
def test_each_format_enumerates_the_latest_objects(spark, moto_server, tmp_path, reports, fmt):
    cfg = _cfg(moto_server, tmp_path, [reports[fmt]])
    e = enumerate_scope(spark, cfg, client_kwargs(cfg.s3))
    got = {r["key"]: (r["size"], r["etag"], r["storage_class"]) for r in e.objects.collect()}
    assert got == EXPECTED
    lm = {r["key"]: r["last_modified"] for r in e.objects.collect()}
    assert lm["data/customers.csv"].replace(tzinfo=None) == datetime(2026, 10, 5, 12, 0)
    assert e.pieces == [(f"inv-src-{fmt.split()[0].lower()}" if fmt != "CSV plain" else "inv-src-plain", "")]
    e.unpersist()


def test_folder_url_picks_the_latest_dated_manifest(s3_client, reports):
    info = read_manifest(s3_client, f"s3://{DEST}/inventories/inv-src-csv/daily/")
    assert info["manifest"].endswith("2026-11-24T00-00Z/manifest.json")
    assert info["format"] == "CSV" and len(info["files"]) == 2


def test_missing_manifest_is_a_clear_error(s3_client, reports):
    with pytest.raises(InventoryError, match="no dated inventory folder"):
        read_manifest(s3_client, f"s3://{DEST}/nothing-here/")


def test_scoping_applies_to_inventory_rows(spark, moto_server, tmp_path, reports):
    terms = [{"key": "OBJECT_LAST_MODIFIED_DATE", "comparator": "GTE", "values": ["2026-10-05T00:00:00Z"]}]
    cfg = _cfg(moto_server, tmp_path, [reports["Parquet"], reports["ORC"]], f"scope.includes={json.dumps(terms)}",
               'scope.exclude_buckets=["inv-src-orc"]')
    e = enumerate_scope(spark, cfg, client_kwargs(cfg.s3))
    got = {(r["bucket"], r["key"]) for r in e.objects.collect()}
    assert got == {("inv-src-parquet", "data/customers.csv"), ("inv-src-parquet", "weird key/ünïcode+plus.txt")}
    excluded = e.excluded_by_reason()
    assert excluded[("inv-src-parquet", "include:OBJECT_LAST_MODIFIED_DATE")] == (2, 150)
    e.unpersist()


def test_inventory_source_needs_manifests(moto_server, tmp_path):
    with pytest.raises(JobConfigError, match="needs scope.inventory.manifests"):
        make_config(moto_server.endpoint_url, tmp_path, "scope.source=inventory")
