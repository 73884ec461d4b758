"""Athena DDL and Glue registration (moto's Glue on the moto server)."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from jobs.athena import ddl, hive_type, register, table_input
from jobs.cli import cli
from jobs.config import load_config
from jobs.s3 import client_kwargs, make_client
from jobs.tables import BUCKET_INVENTORY, TABLES
from tests.conftest import REPO

EXCLUDE = 'scope.exclude_buckets=["lake-tables"]'
S3_CFG = load_config(REPO / "conf" / "local.yaml", ("output.warehouse=s3a://lake-tables/lakescan", EXCLUDE))


def test_ddl_registers_every_table_as_delta_at_its_s3_location():
    text = ddl(S3_CFG, "sec")
    assert text.startswith("CREATE DATABASE IF NOT EXISTS `sec`;")
    for name in TABLES:
        assert (f"CREATE EXTERNAL TABLE IF NOT EXISTS `sec`.`{name}`\n"
                f"LOCATION 's3://lake-tables/lakescan/{name}'\nTBLPROPERTIES ('table_type' = 'DELTA');") in text
    assert "s3a://" not in text


def test_ddl_location_override():
    assert "LOCATION 's3://other/wh/findings'" in ddl(S3_CFG, location="s3://other/wh/")


def test_hive_types_of_nested_columns():
    cols = {c["Name"]: c["Type"] for c in table_input(S3_CFG, "bucket_inventory")["StorageDescriptor"]["Columns"]}
    assert cols["object_count"] == "bigint"
    assert cols["tags"] == "array<struct<key:string,value:string>>"
    assert cols["run_date"] == "date"
    assert len(cols) == len(BUCKET_INVENTORY.fields)
    assert hive_type(TABLES["scan_runs"][0]["counters"].dataType) == "map<string,bigint>"


def test_athena_ddl_command_prints_the_ddl():
    result = CliRunner().invoke(cli, ["athena", "ddl", "--config", str(REPO / "conf" / "local.yaml"),
                                      "--set", "output.warehouse=s3://lake-tables/x", "--set", EXCLUDE])
    assert result.exit_code == 0, result.output
    assert result.output.count("TBLPROPERTIES ('table_type' = 'DELTA')") == len(TABLES)


@pytest.mark.integration
def test_register_creates_then_updates_tables_in_glue(moto_server):
    cfg = load_config(REPO / "conf" / "local.yaml", (f"s3.endpoint_url={moto_server.endpoint_url}",
                                                     "output.warehouse=s3://lake-tables/lakescan",
                                                     EXCLUDE))
    glue = make_client(client_kwargs(cfg.s3), "glue")
    assert register(glue, cfg, "lakescan_itest") == dict.fromkeys(TABLES, "created")
    assert register(glue, cfg, "lakescan_itest") == dict.fromkeys(TABLES, "updated")
    got = {t["Name"]: t for t in glue.get_tables(DatabaseName="lakescan_itest")["TableList"]}
    assert set(got) == set(TABLES)
    t = got["policy_findings"]
    assert t["Parameters"]["table_type"] == "DELTA"
    assert t["StorageDescriptor"]["Location"] == "s3://lake-tables/lakescan/policy_findings"
    assert t["Parameters"]["lakescan.merge_key"] == "run_id,account_id,bucket,finding_type"


@pytest.mark.integration
def test_athena_register_command(moto_server):
    result = CliRunner().invoke(cli, ["athena", "register", "--config", str(REPO / "conf" / "local.yaml"),
                                      "--set", f"s3.endpoint_url={moto_server.endpoint_url}",
                                      "--set", "output.warehouse=s3://lake-tables/cli",
                                      "--set", EXCLUDE, "--database", "lakescan_cli"])
    assert result.exit_code == 0, result.output
    assert "lakescan_cli.bucket_inventory: created" in result.output
