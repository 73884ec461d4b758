"""Options and config loading shared by the `lakescan` command modules (no heavy imports)."""
from __future__ import annotations

import click

from jobs.config import JobConfigError, RunConfig, load_config

CONFIG_OPTION = click.option("--config", "config_path", type=click.Path(dir_okay=False),
                             default=None, help="Run configuration YAML (conf/local.yaml).")
SET_OPTION = click.option("--set", "overrides", multiple=True, metavar="SECTION.KEY=VALUE",
                          help="Override a config value; repeatable.")


def _load(config_path: str | None, overrides: tuple[str, ...]) -> RunConfig:
    try:
        return load_config(config_path, overrides)
    except JobConfigError as e:
        raise click.ClickException(str(e)) from None
