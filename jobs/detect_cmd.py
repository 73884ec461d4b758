"""`lakescan detect`: run the detector core on local text, without Spark (no JVM is started).

    lakescan detect --jsonl < in.jsonl > out.jsonl
        in:  {"id": ..., "text": ..., "field_path": [...]}   (field_path optional)
        out: {"id": ..., "detections": [{"type", "start", "end", "confidence"}]}
             start/end are Python str offsets into text
    lakescan detect FILE...                 a readable table (masked values, never raw ones)
    lakescan detect --list                  every managed identifier and how it matches

Rule selection as for a job: --selector (RECOMMENDED default), --include/--exclude ID (repeatable),
--custom-identifiers FILE, --allow-list FILE (text list), --allow-regex REGEX, or --config FILE to take
the `detectors:` section of a run configuration (flags given explicitly win).
"""
from __future__ import annotations

import json
import os
import sys

import click

__all__ = ["detect"]

_SELECTORS = ("RECOMMENDED", "ALL", "INCLUDE", "EXCLUDE", "NONE")
_CLI_KEY = b"lakescan-detect-cli"


def _build_pack(selector, include, exclude, custom_identifiers, allow_list_files, allow_regexes, config_path):
    from detectors import RuleConfigError, load_pack

    ids: tuple[str, ...] = ()
    if config_path:
        from jobs.config import JobConfigError, load_config

        try:
            d = load_config(config_path, ()).detectors
        except JobConfigError as e:
            raise click.ClickException(str(e)) from None
        selector = selector or d.selector
        ids = tuple(d.ids)
        custom_identifiers = custom_identifiers or d.custom_identifiers
        allow_list_files = allow_list_files or tuple(d.allow_lists)
        allow_regexes = allow_regexes or tuple(d.allow_regexes)
    if include and exclude:
        raise click.UsageError("use either --include or --exclude, not both")
    if include:
        if selector not in (None, "INCLUDE"):
            raise click.UsageError("--include implies --selector INCLUDE")
        selector, ids = "INCLUDE", include
    elif exclude:
        if selector not in (None, "EXCLUDE"):
            raise click.UsageError("--exclude implies --selector EXCLUDE")
        selector, ids = "EXCLUDE", exclude
    selector = selector or "RECOMMENDED"
    allow_lists = [{"name": p, "text_file": p} for p in allow_list_files]
    allow_lists += [{"name": f"regex-{i + 1}", "regex": r} for i, r in enumerate(allow_regexes)]
    try:
        return load_pack(selector=selector, ids=ids, custom_identifiers=custom_identifiers or (),
                         allow_lists=allow_lists)
    except RuleConfigError as e:
        raise click.ClickException(str(e)) from None


def _hash_key() -> bytes:
    key = os.environ.get("LAKESCAN_HASH_KEY")
    return key.encode() if key else _CLI_KEY


def _list_rules() -> None:
    from rich.console import Console
    from rich.table import Table

    from detectors import load_rules

    table = Table(title="Managed data identifiers", show_lines=False)
    for col in ("id", "category", "keyword", "validators", "RECOMMENDED", "Macie"):
        table.add_column(col)
    for r in load_rules():
        if r.keywords is None:
            kw = "none"
        else:
            kw = ("required" if r.keywords.required else "optional") + f" ({r.keywords.distance})"
            if r.keywords.fields_only:
                kw += " fields only"
        table.add_row(r.id, r.category, kw, ", ".join(r.validators) or "-", "yes" if r.recommended else "",
                      "yes" if r.macie else "beyond")
    Console(width=None if sys.stdout.isatty() else 160).print(table)


def _run_jsonl(engine) -> None:
    out = sys.stdout
    for n, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            text = rec["text"]
            if not isinstance(text, str):
                raise TypeError("text must be a string")
            field_path = tuple(rec.get("field_path") or ())
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise click.ClickException(f"stdin line {n}: expected {{\"id\", \"text\"}} JSON: {e}") from None
        dets = engine.detect(text, field_path)
        out.write(json.dumps({
            "id": rec.get("id"),
            "detections": [{"type": d.type, "start": d.start, "end": d.end, "confidence": d.confidence}
                           for d in dets],
        }, ensure_ascii=False) + "\n")
    out.flush()


def _run_files(engine, files, profile: bool = False) -> None:
    from collections import Counter

    from rich.console import Console
    from rich.table import Table

    stats: Counter | None = Counter() if profile else None

    table = Table(title=f"Detections (selector {engine.pack.selector})")
    for col in ("file", "line", "col", "type", "category", "confidence", "masked value"):
        table.add_column(col, no_wrap=col != "file")
    total = 0
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        for d in engine.detect(text, stats=stats):
            total += 1
            table.add_row(path, str(d.line), str(d.column), d.type, d.category, f"{d.confidence:.2f}", d.masked)
    console = Console(width=None if sys.stdout.isatty() else 160)
    console.print(table)
    console.print(f"{total} detection(s) in {len(files)} file(s)")
    if stats is not None:
        prof = Table(title="Cost per rule (slowest first)")
        for col in ("rule", "prefilter hits", "seconds"):
            prof.add_column(col)
        costly = sorted(((v, k.split(":", 1)[1]) for k, v in stats.items() if k.startswith("seconds:")), reverse=True)
        for secs, rid in costly[:20]:
            prof.add_row(rid, str(stats[f"hits:{rid}"]), f"{secs:.3f}")
        console.print(prof)
    if engine.counters.get("regex_timeouts"):
        console.print(f"[yellow]{engine.counters['regex_timeouts']} regex timeout(s)[/yellow]")


@click.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("--jsonl", is_flag=True, help='Read {"id","text"} JSON lines on stdin, write one result line each.')
@click.option("--list", "list_rules", is_flag=True, help="List every managed identifier and exit.")
@click.option("--selector", type=click.Choice(_SELECTORS, case_sensitive=False), default=None,
              help="Managed identifier selector (default RECOMMENDED).")
@click.option("--include", multiple=True, metavar="ID", help="Only these managed identifiers (repeatable).")
@click.option("--exclude", multiple=True, metavar="ID", help="All managed identifiers except these (repeatable).")
@click.option("--custom-identifiers", type=click.Path(exists=True, dir_okay=False), default=None,
              help="YAML of custom data identifiers (conf/custom_identifiers.example.yaml).")
@click.option("--allow-list", "allow_list_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Text allow list, one entry per line (exact, case-insensitive); repeatable.")
@click.option("--allow-regex", "allow_regexes", multiple=True, metavar="REGEX",
              help="Regex allow list (must match the whole value); repeatable.")
@click.option("--profile", is_flag=True, help="With FILEs: also print the time spent per rule.")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Take the detectors section of a run configuration.")
def detect(files, jsonl, list_rules, selector, include, exclude, custom_identifiers, allow_list_files,
           allow_regexes, profile, config_path) -> None:
    """Find sensitive data in text: JSON lines on stdin (--jsonl) or FILEs (table)."""
    if list_rules:
        _list_rules()
        return
    if jsonl and files:
        raise click.UsageError("--jsonl reads stdin; do not pass FILEs")
    if not jsonl and not files:
        raise click.UsageError("give FILEs, --jsonl (stdin) or --list")
    from detectors import get_engine

    pack = _build_pack(selector.upper() if selector else None, tuple(include), tuple(exclude),
                       custom_identifiers, tuple(allow_list_files), tuple(allow_regexes), config_path)
    engine = get_engine(pack, _hash_key())
    if jsonl:
        _run_jsonl(engine)
    else:
        _run_files(engine, files, profile)
