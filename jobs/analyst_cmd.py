"""Commands for the tables analysts use (registered in jobs/cli.py).

    lakescan athena ddl --config C [--database lakescan] [--location s3://bucket/warehouse]
    lakescan athena register --config C [--database lakescan] [--location ...]
    lakescan maintain --config C [--vacuum] [--no-optimize] [--table NAME ...]
    lakescan quality check --config C --run-id ID
    lakescan export --config C --run-id ID [--macie-json DIR] [--security-hub] [--eventbridge]
    lakescan report --config C [--run-id ID] [--out report.html]
"""
from __future__ import annotations

import click

from jobs.cli_common import CONFIG_OPTION, SET_OPTION, _load


def _spark(cfg):
    from jobs.jars import MissingJarsError
    from jobs.spark import build_spark

    try:
        return build_spark(cfg, app_name="lakescan-analyst")
    except MissingJarsError as e:
        raise click.ClickException(str(e)) from None


DB_OPTION = click.option("--database", default="lakescan", show_default=True, help="Glue database.")
LOCATION_OPTION = click.option("--location", default=None, metavar="S3_URI",
                               help="Warehouse location as Athena sees it (default: output.warehouse).")


@click.group()
def athena() -> None:
    """Register the tables in the Glue Data Catalog for Athena (native Delta Lake)."""


@athena.command("ddl")
@CONFIG_OPTION
@SET_OPTION
@DB_OPTION
@LOCATION_OPTION
def athena_ddl(config_path, overrides, database, location) -> None:
    """Print the Athena DDL that registers every table."""
    from jobs.athena import ddl

    click.echo(ddl(_load(config_path, overrides), database, location))


@athena.command("register")
@CONFIG_OPTION
@SET_OPTION
@DB_OPTION
@LOCATION_OPTION
def athena_register(config_path, overrides, database, location) -> None:
    """Create (or update) the database and every table through the Glue API."""
    from jobs.athena import register
    from jobs.s3 import client_kwargs, make_client

    cfg = _load(config_path, overrides)
    glue = make_client(client_kwargs(cfg.s3), "glue")
    for name, action in register(glue, cfg, database, location).items():
        click.echo(f"{database}.{name}: {action}")


@click.command()
@CONFIG_OPTION
@SET_OPTION
@click.option("--optimize/--no-optimize", default=True, show_default=True, help="OPTIMIZE (compaction).")
@click.option("--vacuum", is_flag=True, help="VACUUM, keeping maintenance.vacuum_retain_hours.")
@click.option("--table", "names", multiple=True, help="Only these tables (repeatable).")
@click.option("--retain-runs", type=click.IntRange(min=2), default=None,
              help="Delete rows of all but the newest N runs from the per-run tables first "
                   "(default: maintenance.retain_runs; unset keeps all history).")
def maintain(config_path, overrides, optimize, vacuum, names, retain_runs) -> None:
    """Retention, OPTIMIZE and VACUUM of the Delta tables."""
    from jobs.maintain import maintain_tables

    cfg = _load(config_path, overrides)
    for name, stats in maintain_tables(_spark(cfg), cfg, optimize, vacuum, tuple(names) or None,
                                       retain_runs=retain_runs).items():
        click.echo(f"{name}: {stats}")


@click.group()
def quality() -> None:
    """The data-quality gate."""


@quality.command("check")
@CONFIG_OPTION
@SET_OPTION
@click.option("--run-id", required=True)
def quality_check(config_path, overrides, run_id) -> None:
    """Validate a run's tables; a failure marks the run FAILED in scan_runs (exit code 1)."""
    from jobs.quality import record_failure, validate_run

    cfg = _load(config_path, overrides)
    spark = _spark(cfg)
    result = validate_run(spark, cfg, run_id)
    if result.passed:
        click.echo(f"run {run_id}: {result.checks} checks passed")
        return
    record_failure(spark, cfg, result)
    raise click.ClickException(result.message(limit=50))


@click.command("export")
@CONFIG_OPTION
@SET_OPTION
@click.option("--run-id", required=True)
@click.option("--macie-json", "macie_dir", default=None, type=click.Path(file_okay=False),
              help="Write Macie finding JSON Lines here.")
@click.option("--security-hub", is_flag=True, help="BatchImportFindings (ASFF).")
@click.option("--eventbridge", is_flag=True, help="PutEvents to exports.event_bus_name.")
def export(config_path, overrides, run_id, macie_dir, security_hub, eventbridge) -> None:
    """Export a run's findings (Macie JSON, Security Hub, EventBridge)."""
    from jobs.exports import export_run

    cfg = _load(config_path, overrides)
    click.echo(export_run(_spark(cfg), cfg, run_id, macie_dir, security_hub, eventbridge))


@click.command()
@CONFIG_OPTION
@SET_OPTION
@click.option("--run-id", default=None, help="Default: the latest run.")
@click.option("--out", "out_path", default="lakescan-report.html", show_default=True, type=click.Path(dir_okay=False))
def report(config_path, overrides, run_id, out_path) -> None:
    """Write one self-contained HTML report of a run."""
    from jobs.report import write_report

    cfg = _load(config_path, overrides)
    try:
        click.echo(write_report(_spark(cfg), cfg, out_path, run_id))
    except ValueError as e:
        raise click.ClickException(str(e)) from None


COMMANDS = (athena, maintain, quality, export, report)
