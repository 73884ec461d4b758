"""The `lakescan` command line.

    lakescan scan --config conf/local.yaml          run the nightly job
    lakescan plan --config conf/local.yaml          dry run: scope, sampling and costs, reads no object
    lakescan s3 serve --config conf/local.yaml      start the embedded S3 (moto) on 127.0.0.1
    lakescan demo seed --config conf/local.yaml     fill it with the sample data lake
    lakescan demo run --config conf/local.yaml      serve + seed + scan + summary + stop
    lakescan detect ...                             classify text without Spark
    lakescan config check FILE                      validate a run configuration
    lakescan jars fetch                             fetch the Delta/S3A jars into the cache

Heavy imports (pyspark) happen inside the commands that need them, so `detect` starts no JVM.
"""
from __future__ import annotations

import signal
import sys
import time

import click

from jobs.cli_common import CONFIG_OPTION, SET_OPTION, _load  # noqa: E402,F401
from jobs.config import JobConfigError, RunConfig


def _pack_for(cfg: RunConfig):
    from detectors import load_pack

    d = cfg.detectors
    allow_lists = [{"name": p, "text_file": p} for p in d.allow_lists]
    allow_lists += [{"name": f"regex-{i}", "regex": r} for i, r in enumerate(d.allow_regexes)]
    try:
        return load_pack(selector=d.selector, ids=d.ids, custom_identifiers=d.custom_identifiers or (),
                         allow_lists=allow_lists)
    except (ValueError, OSError) as e:
        raise click.ClickException(f"detectors: {e}") from None


@click.group()
def cli() -> None:
    """lakescan: find sensitive data in S3 data lakes with Apache Spark."""


@cli.command()
@CONFIG_OPTION
@SET_OPTION
@click.option("--run-id", default=None, help="Reuse a run id (a rerun replaces that run's rows).")
def scan(config_path: str | None, overrides: tuple[str, ...], run_id: str | None) -> None:
    """Run the scan job and print the summary."""
    cfg = _load(config_path, overrides)
    _scan_and_report(cfg, run_id)


def _scan_and_report(cfg: RunConfig, run_id: str | None) -> None:
    from rich.console import Console

    from jobs.jars import MissingJarsError
    from jobs.scan import run_scan
    from jobs.spark import build_spark
    from jobs.summary import print_summary

    console = Console(width=None if sys.stdout.isatty() else 120)
    try:
        cfg.hash_key()
    except JobConfigError as e:
        raise click.ClickException(str(e)) from None
    pack = _pack_for(cfg)
    try:
        with console.status("starting Spark") as status:
            spark = build_spark(cfg, app_name=f"lakescan-{cfg.run.name}")
            report = run_scan(spark, cfg, pack, run_id=run_id,
                              progress=lambda m: status.update(f"[bold]{m}[/]"))
    except MissingJarsError as e:
        raise click.ClickException(str(e)) from None
    print_summary(report, console)


@cli.command()
@CONFIG_OPTION
@SET_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def plan(config_path: str | None, overrides: tuple[str, ...], as_json: bool) -> None:
    """Dry run: scope, sampling, request counts and costs (reads no object)."""
    import json

    from rich.console import Console

    from jobs.jars import MissingJarsError
    from jobs.plan import make_plan, print_plan
    from jobs.spark import build_spark

    cfg = _load(config_path, overrides)
    console = Console(width=None if sys.stdout.isatty() else 140)
    try:
        spark = build_spark(cfg, app_name=f"lakescan-plan-{cfg.run.name}")
        result = make_plan(spark, cfg)
    except MissingJarsError as e:
        raise click.ClickException(str(e)) from None
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        print_plan(result, console)


@cli.group()
def s3() -> None:
    """The embedded S3 server (moto) for laptops and tests."""


@s3.command("serve")
@CONFIG_OPTION
@SET_OPTION
def s3_serve(config_path: str | None, overrides: tuple[str, ...]) -> None:
    """Serve S3 on 127.0.0.1 until interrupted."""
    from jobs.s3 import MotoServer, S3ServerError

    cfg = _load(config_path, overrides)
    # A process started in the background by a non-interactive shell (`lakescan s3 serve &`) inherits
    # SIGINT as ignored, and Python then never raises KeyboardInterrupt: take Ctrl-C (and SIGTERM) back.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    server = MotoServer(cfg.server)
    try:  # Ctrl-C at any point, even while the server is still starting, stops it
        try:
            server.start()
        except S3ServerError as e:
            raise click.ClickException(str(e)) from None
        click.echo(f"S3 endpoint {server.endpoint_url} (Ctrl-C to stop)")
        while server.proc and server.proc.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


@cli.group()
def demo() -> None:
    """The sample data lake."""


def _seed(cfg: RunConfig, scale: int) -> None:
    from jobs import seed as seeding
    from jobs.s3 import client_kwargs, make_client

    client = make_client(client_kwargs(cfg.s3))
    m = seeding.seed(client, scale=scale)
    click.echo(f"seeded {m.object_count} objects in {len(m.objects)} buckets at {cfg.s3.endpoint_url}")


@demo.command("seed")
@CONFIG_OPTION
@SET_OPTION
@click.option("--scale", default=1, show_default=True, help="Multiply the number of objects.")
def demo_seed(config_path: str | None, overrides: tuple[str, ...], scale: int) -> None:
    """Fill a running S3 endpoint with the sample data lake."""
    _seed(_load(config_path, overrides), scale)


@demo.command("run")
@CONFIG_OPTION
@SET_OPTION
@click.option("--scale", default=1, show_default=True)
def demo_run(config_path: str | None, overrides: tuple[str, ...], scale: int) -> None:
    """Start the embedded S3, seed it, scan it, print the summary, stop the server."""
    from jobs.s3 import S3ServerError, running_server

    cfg = _load(config_path, overrides)
    try:
        with running_server(cfg.server) as server:
            cfg = _load(config_path, (*overrides, f"s3.endpoint_url={server.endpoint_url}"))
            click.echo(f"embedded S3 on {server.endpoint_url}")
            _seed(cfg, scale)
            _scan_and_report(cfg, None)
    except S3ServerError as e:
        raise click.ClickException(str(e)) from None


@cli.group("config")
def config_group() -> None:
    """Run configuration."""


@config_group.command("check")
@click.argument("path", type=click.Path(dir_okay=False))
@SET_OPTION
@click.option("--assume-roles", is_flag=True,
              help="Also assume each accounts[].role_arn with STS (needs credentials and network).")
def config_check(path: str, overrides: tuple[str, ...], assume_roles: bool) -> None:
    """Validate a configuration file without running anything."""
    cfg = _load(path, overrides)
    _pack_for(cfg)
    for a in cfg.accounts:
        where = ", ".join(b.bucket for b in a.buckets) or "every bucket the role can list"
        click.echo(f"account {a.account_id}: {a.role_arn or 'the job credentials'}; {where}")
    if assume_roles and cfg.accounts:
        from jobs.s3 import account_credentials

        errors = account_credentials(cfg).errors
        for account, err in sorted(errors.items()):
            click.echo(f"account {account}: {err}", err=True)
        if errors:
            raise click.ClickException(f"{len(errors)} of {len(cfg.accounts)} roles could not be assumed")
    click.echo(f"{path}: OK (digest {cfg.digest()[:12]})")


@cli.group()
def jars() -> None:
    """The Delta/S3A jar cache."""


@jars.command("fetch")
@click.option("--force", is_flag=True)
def jars_fetch(force: bool) -> None:
    """Fetch the jars once into the cache (what `make setup` does)."""
    from jobs.jars import main as jars_main

    sys.exit(jars_main(["fetch", *(["--force"] if force else [])]))


try:  # the detector CLI lives beside the engine
    from jobs.detect_cmd import detect

    cli.add_command(detect)
except ImportError:  # pragma: no cover - only while the engine is being built
    pass

# athena ddl|register, maintain, quality check, export, report (the analyst tables: docs/tables.md)
from jobs.analyst_cmd import COMMANDS as _ANALYST_COMMANDS  # noqa: E402

for _command in _ANALYST_COMMANDS:
    cli.add_command(_command)


def main() -> None:
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning, module="pyspark")
    cli(prog_name="lakescan")


if __name__ == "__main__":
    main()
