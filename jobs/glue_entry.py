"""AWS Glue 5 entry point (conf/glue/job.json `ScriptLocation`).

Glue passes job parameters as `--name value` pairs. lakescan reads:
  --lakescan_config  s3://.../lakescan.yaml (or a local path)          required
  --lakescan_set     "section.key=value;section.key=value" overrides     optional
  --lakescan_run_id  reuse a run id (a rerun replaces that run's rows)   optional
The run is always in cluster mode: Glue's own Spark, Delta (`--datalake-formats delta`) and S3.
"""
from __future__ import annotations

import sys


def parse_glue_args(argv: list[str]) -> dict[str, str | None]:
    """The lakescan parameters among Glue's arguments (Glue adds its own, which are ignored)."""
    wanted = {"--lakescan_config": "config", "--lakescan_set": "set", "--lakescan_run_id": "run_id"}
    out: dict[str, str | None] = {"config": None, "set": None, "run_id": None}
    it = iter(argv)
    for arg in it:
        name, eq, value = arg.partition("=")
        if name in wanted:
            out[wanted[name]] = value if eq else next(it, None)
    if not out["config"]:
        raise SystemExit("lakescan: the Glue job needs --lakescan_config s3://bucket/key.yaml")
    return out


def cli_args(glue: dict[str, str | None]) -> list[str]:
    args = ["scan", "--config", glue["config"] or "", "--set", "spark.mode=cluster"]
    for item in filter(None, (glue["set"] or "").split(";")):
        args += ["--set", item.strip()]
    if glue["run_id"]:
        args += ["--run-id", glue["run_id"]]
    return args


def main(argv: list[str] | None = None) -> None:
    from jobs.cli import cli

    cli(cli_args(parse_glue_args(sys.argv[1:] if argv is None else argv)), prog_name="lakescan")


if __name__ == "__main__":
    main()
