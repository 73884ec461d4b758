"""Deployment artifacts: EMR/Glue definitions are valid and map onto lakescan's configuration (no JVM)."""
from __future__ import annotations

import json
import shlex

import pytest

from jobs.config import load_config
from jobs.glue_entry import cli_args, parse_glue_args
from tests.conftest import REPO


def test_emr_config_is_valid_cluster_mode():
    cfg = load_config(REPO / "conf" / "emr" / "lakescan.yaml")
    assert cfg.spark.mode == "cluster" and cfg.run.mode == "production"
    assert cfg.s3.endpoint_url is None and cfg.detectors.hash_key_secret


@pytest.mark.parametrize("name", ["emr/configurations.json", "emr/step.json", "glue/job.json", "glue/trigger.json",
                                  "iam/scanner-policy.json", "iam/catalog-policy.json", "iam/exports-policy.json"])
def test_deploy_json_parses(name):
    assert json.loads((REPO / "conf" / name).read_text())


def test_emr_step_submits_the_packaged_job():
    args = json.loads((REPO / "conf" / "emr" / "step.json").read_text())[0]["Args"]
    assert args[0] == "spark-submit" and "--py-files" in args
    assert args[args.index("--py-files") + 1].endswith("lakescan-pyfiles.zip")
    assert args[-4].endswith("lakescan_main.py") and args[-3:] == ["scan", "--config", "lakescan.yaml"]


def test_scanner_policy_is_read_only_on_scanned_buckets():
    stmts = json.loads((REPO / "conf" / "iam" / "scanner-policy.json").read_text())["Statement"]
    read = next(s for s in stmts if s["Sid"] == "ReadScannedBucketsOnly")
    assert not [a for a in read["Action"] if a.startswith(("s3:Put", "s3:Delete"))]
    writes = [s for s in stmts if any(a.startswith(("s3:Put", "s3:Delete")) for a in s["Action"])]
    assert all(r.startswith("arn:aws:s3:::acme-lakescan-results/") for s in writes for r in [s["Resource"]])


def test_glue_parameters_map_to_overrides(tmp_path):
    job = json.loads((REPO / "conf" / "glue" / "job.json").read_text())["DefaultArguments"]
    glue_argv = ["--JOB_NAME", "lakescan-nightly", "--lakescan_config", str(REPO / "conf" / "local.yaml"),
                 "--lakescan_set", job["--lakescan_set"], "--lakescan_run_id=R1"]
    args = cli_args(parse_glue_args(glue_argv))
    sets = [args[i + 1] for i, a in enumerate(args) if a == "--set"]
    assert sets[0] == "spark.mode=cluster" and args[-2:] == ["--run-id", "R1"]
    cfg = load_config(args[args.index("--config") + 1], sets)
    assert cfg.spark.mode == "cluster" and cfg.sampling.percentage == 10 and cfg.detectors.selector == "RECOMMENDED"


def test_glue_without_config_is_a_clear_error():
    with pytest.raises(SystemExit, match="--lakescan_config"):
        parse_glue_args(shlex.split("--JOB_NAME x"))
