"""Multi-account configuration (`accounts:`): validation errors, overrides, `config check`, and the
role credentials executors use (no JVM)."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from jobs.config import JobConfigError, load_config
from jobs.glue_entry import cli_args, parse_glue_args
from tests.conftest import REPO

LOCAL = REPO / "conf" / "local.yaml"
ROLE_A = "arn:aws:iam::111111111111:role/lakescan-scan-reader"
ROLE_B = "arn:aws:iam::222222222222:role/lakescan-scan-reader"

GOOD = f"""
run: {{mode: demo}}
accounts:
  - account_id: "111111111111"
    role_arn: {ROLE_A}
    external_id: lakescan-7f3a
    buckets: [hr-exports, {{bucket: raw, prefixes: [landing/]}}]
  - account_id: "222222222222"
    role_arn: {ROLE_B}
    session_name: lakescan-nightly
    exclude_buckets: [logs]
    bucket_criteria:
      includes: [{{key: TAG, tag_values: [{{key: scan, value: "yes"}}]}}]
  - account_id: "333333333333"      # the job's own account: no role, the job's credentials
"""


def _accounts(*entries: dict, extra: tuple[str, ...] = ()):
    return load_config(LOCAL, [f"accounts={json.dumps(list(entries))}", *extra])


def test_a_full_accounts_section_is_valid(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text(GOOD)
    cfg = load_config(p)
    a, b, own = cfg.accounts
    assert (a.account_id, a.external_id, a.session_name, a.duration_seconds) == \
        ("111111111111", "lakescan-7f3a", "lakescan", 3600)
    assert [(x.bucket, x.prefixes) for x in a.buckets] == [("hr-exports", ("",)), ("raw", ("landing/",))]
    assert b.buckets == () and b.bucket_criteria.includes[0].key == "TAG"
    assert own.role_arn is None
    assert cfg.account_ids() == ("111111111111", "222222222222", "333333333333")


def test_without_accounts_the_run_has_one_account():
    cfg = load_config(LOCAL)
    assert cfg.accounts == () and cfg.account_ids() == ("123456789012",)


@pytest.mark.parametrize(("entry", "message"), [
    ({"account_id": "11111111111", "role_arn": ROLE_A}, r"accounts\.0\.account_id: .*not an AWS account id"),
    ({"account_id": 111111111111, "role_arn": ROLE_A}, r"accounts\.0\.account_id: .*quoted string"),
    ({"account_id": "111111111111", "role_arn": ROLE_B}, r"role of account 222222222222, not of 111111111111"),
    ({"account_id": "111111111111", "role_arn": "arn:aws:iam::111111111111:user/bob"}, "is not an IAM role ARN"),
    ({"account_id": "111111111111", "role_arn": "lakescan-scan-reader"}, "is not an IAM role ARN"),
    ({"account_id": "111111111111", "external_id": "abc123"}, "external_id needs a role_arn"),
    ({"account_id": "111111111111", "role_arn": ROLE_A, "external_id": "x"}, r"accounts\.0\.external_id"),
    ({"account_id": "111111111111", "role_arn": ROLE_A, "session_name": "has space"}, r"accounts\.0\.session_name"),
    ({"account_id": "111111111111", "role_arn": ROLE_A, "duration_seconds": 60}, r"accounts\.0\.duration_seconds"),
    ({"account_id": "111111111111", "role_arn": ROLE_A, "bucket": "x"}, r"accounts\.0\.bucket: unknown key"),
    ({"account_id": "111111111111", "role_arn": ROLE_A,
      "bucket_criteria": {"includes": [{"key": "OBJECT_KEY", "comparator": "STARTS_WITH", "values": ["a"]}]}},
     "bucket criteria accept S3_BUCKET_NAME and TAG"),
])
def test_an_invalid_account_entry_is_named(entry, message):
    with pytest.raises(JobConfigError, match=message):
        _accounts(entry)


def test_duplicate_accounts_are_refused():
    with pytest.raises(JobConfigError, match=r"accounts\[1\]: account 111111111111 is already accounts\[0\]"):
        _accounts({"account_id": "111111111111", "role_arn": ROLE_A},
                  {"account_id": "111111111111", "role_arn": ROLE_A})


def test_a_bucket_belongs_to_one_account():
    with pytest.raises(JobConfigError, match="bucket 'shared' is also listed for account 111111111111"):
        _accounts({"account_id": "111111111111", "role_arn": ROLE_A, "buckets": ["shared"]},
                  {"account_id": "222222222222", "role_arn": ROLE_B, "buckets": ["shared"]})


def test_only_one_account_without_a_role():
    with pytest.raises(JobConfigError, match="only one account .* job's own credentials"):
        _accounts({"account_id": "111111111111"}, {"account_id": "222222222222"})


def test_scope_buckets_must_move_under_the_accounts():
    with pytest.raises(JobConfigError, match=r"accounts\[\]\.buckets, not in scope\.buckets"):
        _accounts({"account_id": "111111111111", "role_arn": ROLE_A}, extra=('scope.buckets=["a"]',))


def test_inventory_source_combines_with_accounts():
    cfg = _accounts({"account_id": "111111111111", "role_arn": ROLE_A, "buckets": ["a"]},
                    extra=("scope.source=inventory", 'scope.inventory.manifests=["s3://inv/m.json"]'))
    assert cfg.scope.source == "inventory" and cfg.account_ids() == ("111111111111",)


def test_output_inside_a_scanned_account_bucket_is_refused():
    with pytest.raises(JobConfigError, match="may be inside scanned bucket 'results'"):
        _accounts({"account_id": "111111111111", "role_arn": ROLE_A, "buckets": ["results"]},
                  extra=("output.warehouse=s3://results/warehouse",))
    with pytest.raises(JobConfigError, match="add it to scope.exclude_buckets"):  # an account scanned whole
        _accounts({"account_id": "111111111111", "role_arn": ROLE_A},
                  extra=("output.warehouse=s3://results/warehouse",))
    cfg = _accounts({"account_id": "111111111111", "role_arn": ROLE_A},
                    extra=("output.warehouse=s3://results/warehouse", 'scope.exclude_buckets=["results"]'))
    assert cfg.output.warehouse == "s3://results/warehouse"


def test_overrides_index_into_the_accounts_list():
    cfg = _accounts({"account_id": "111111111111", "role_arn": ROLE_A},
                    extra=("accounts.0.external_id=from-cli", 'accounts.0.buckets=["a", "b"]'))
    assert cfg.accounts[0].external_id == "from-cli"
    assert [b.bucket for b in cfg.accounts[0].buckets] == ["a", "b"]
    with pytest.raises(JobConfigError, match=r"'3' is not an index of the list accounts \(1 entries\)"):
        _accounts({"account_id": "111111111111", "role_arn": ROLE_A}, extra=("accounts.3.external_id=x",))


def test_glue_passes_accounts_through_lakescan_set():
    accounts = f'accounts=[{{account_id: "111111111111", role_arn: "{ROLE_A}"}}]'
    args = cli_args(parse_glue_args(["--lakescan_config", "s3://cfg/c.yaml",
                                     "--lakescan_set", f"{accounts};accounts.0.external_id=glue-ext"]))
    overrides = [args[i + 1] for i, a in enumerate(args) if a == "--set"]
    cfg = load_config(LOCAL, overrides[1:])
    assert cfg.accounts[0].role_arn == ROLE_A and cfg.accounts[0].external_id == "glue-ext"


def test_config_check_validates_and_lists_the_accounts(tmp_path):
    from jobs.cli import cli

    p = tmp_path / "c.yaml"
    p.write_text(LOCAL.read_text() + GOOD.replace("run: {mode: demo}\n", ""))
    ok = CliRunner().invoke(cli, ["config", "check", str(p)])
    assert ok.exit_code == 0, ok.output
    assert f"account 111111111111: {ROLE_A}; hr-exports, raw" in ok.output
    assert "account 333333333333: the job credentials; every bucket the role can list" in ok.output
    p.write_text(LOCAL.read_text() + GOOD.replace(ROLE_A, ROLE_B).replace("run: {mode: demo}\n", ""))
    bad = CliRunner().invoke(cli, ["config", "check", str(p)])
    assert bad.exit_code != 0 and "role of account 222222222222, not of 111111111111" in bad.output


@pytest.mark.integration
def test_config_check_can_assume_the_roles(moto_server, tmp_path):
    from jobs.cli import cli

    p = tmp_path / "c.yaml"
    p.write_text(LOCAL.read_text() + GOOD.replace("run: {mode: demo}\n", ""))
    res = CliRunner().invoke(cli, ["config", "check", str(p), "--assume-roles",
                                   "--set", f"s3.endpoint_url={moto_server.endpoint_url}"])
    assert res.exit_code == 0, res.output


@pytest.mark.integration
def test_executor_credentials_refresh_when_the_drivers_have_expired(moto_server):
    """A task that starts after the driver's temporary credentials expired assumes the role itself."""
    from jobs.s3 import account_credentials, make_client
    from tests.conftest import make_config

    cfg = make_config(moto_server.endpoint_url, REPO / ".lakescan" / "unused",
                      f'accounts=[{{account_id: "111111111111", role_arn: "{ROLE_A}", session_name: expiry-test}}]')
    creds = account_credentials(cfg)
    assert creds.errors == {} and creds.multi
    kw = creds.kwargs["111111111111"]
    seed = kw["_assume_role"]["seed"]
    assert datetime.fromisoformat(seed["expiry_time"]) > datetime.now(UTC)
    stale = {**kw, "_assume_role": {**kw["_assume_role"], "seed": {**seed, "expiry_time": "2020-01-01T00:00:00+00:00"}}}
    sts = make_client(stale, "sts")
    ident = sts.get_caller_identity()
    assert ident["Account"] == "111111111111"
    assert ident["Arn"].endswith(":assumed-role/lakescan-scan-reader/expiry-test")
    assert sts._request_signer._credentials.access_key != seed["access_key"]  # refreshed, not the seed


def test_member_role_trusts_the_job_role_with_an_external_id_and_only_reads():
    iam = REPO / "conf" / "iam"
    role = json.loads((iam / "member-account-reader-role.json").read_text())
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Action"] == "sts:AssumeRole" and trust["Principal"]["AWS"].endswith(":role/lakescan-glue")
    assert "sts:ExternalId" in trust["Condition"]["StringEquals"]
    assert role["AttachPolicy"] == "conf/iam/member-account-reader-policy.json"
    actions = [a for s in json.loads((iam / role["AttachPolicy"].split("/")[-1]).read_text())["Statement"]
               for a in s["Action"]]
    assert actions and all(a.split(":")[1].startswith(("Get", "List", "Decrypt")) for a in actions)
    job = json.loads((iam / "scanner-policy.json").read_text())["Statement"]
    assume = next(s for s in job if s["Sid"] == "AssumeScanRolesInOtherAccounts")
    assert assume["Action"] == ["sts:AssumeRole"]
    assert all(r.endswith(":role/lakescan-scan-reader") and "*" not in r for r in assume["Resource"])


def test_sts_endpoint_defaults_to_the_s3_endpoint_and_refuses_plain_http_in_production():
    from jobs.s3 import sts_client_kwargs

    cfg = load_config(LOCAL)
    assert sts_client_kwargs(cfg.s3)["endpoint_url"] == cfg.s3.endpoint_url
    cfg = load_config(LOCAL, ["s3.sts_endpoint_url=https://sts.eu-west-1.amazonaws.com"])
    assert sts_client_kwargs(cfg.s3)["endpoint_url"] == "https://sts.eu-west-1.amazonaws.com"
    with pytest.raises(JobConfigError, match="s3.sts_endpoint_url 'http://sts.example.com'"):
        load_config(LOCAL, ["run.mode=production", "s3.endpoint_url=https://s3.example.com",
                            "s3.sts_endpoint_url=http://sts.example.com"])
