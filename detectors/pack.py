"""YAML -> validated records -> a frozen, picklable ``RulePack`` (what the driver broadcasts).

``load_rules()`` reads every ``detectors/rules/*.yaml``; ``load_pack()`` applies Macie's managed
identifier selector, adds custom data identifiers and allow lists, and fingerprints the result.
Every error is a ``RuleConfigError`` whose message starts ``<file>: <record>: <field>: ``.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from detectors.schema import AllowList, CustomIdentifier, Rule, RuleConfigError

__all__ = [
    "RULES_DIR",
    "SELECTORS",
    "RulePack",
    "load_allow_list_file",
    "load_custom_identifiers",
    "load_pack",
    "load_rules",
]

RULES_DIR = Path(__file__).resolve().parent / "rules"
SELECTORS = ("RECOMMENDED", "ALL", "INCLUDE", "EXCLUDE", "NONE")
DEFAULT_REGEX_TIMEOUT = 1.0  # seconds per pattern call


@dataclass(frozen=True)
class RulePack:
    """The selected rules plus custom identifiers and allow lists. Frozen, picklable, small.

    ``digest`` is the sha256 (hex) of the canonical JSON of everything that affects detection.
    """

    rules: tuple[Rule, ...]
    custom: tuple[CustomIdentifier, ...] = ()
    allow_lists: tuple[AllowList, ...] = ()
    selector: str = "RECOMMENDED"
    ids: tuple[str, ...] = ()
    regex_timeout: float = DEFAULT_REGEX_TIMEOUT
    digest: str = field(default="", compare=False)

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.rules) + tuple(c.name for c in self.custom)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(RULES_DIR.parent.parent))
    except ValueError:
        return str(path)


def _loc(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(record)"


def _format(source: str, record: str, exc: ValidationError) -> RuleConfigError:
    lines = []
    errors = exc.errors(include_url=False)
    locs = [tuple(err["loc"]) for err in errors]
    for err in errors:
        raw = tuple(err["loc"])
        if err["type"] == "too_short" and any(len(o) > len(raw) and o[:len(raw)] == raw for o in locs):
            continue  # "at least 1 item" caused by an invalid item reported on its own
        loc = tuple(p for p in raw if not (isinstance(p, str) and p.startswith(("function-", "tagged-"))))
        msg = err["msg"]
        msg = msg.removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        if msg.startswith("@"):  # model-level check naming its field: "@field@message"
            field_name, _, msg = msg[1:].partition("@")
            loc = (*loc, *field_name.split("."))
        lines.append(f"{source}: {record}: {_loc(loc)}: {msg}")
    return RuleConfigError("\n".join(lines))


def _read_yaml(path: Path, source: str) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RuleConfigError(f"{source}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise RuleConfigError(f"{source}: invalid YAML: {exc}") from None


def _parse_rules(data: Any, source: str) -> list[Rule]:
    if data is None:
        return []
    if not isinstance(data, list):
        raise RuleConfigError(f"{source}: expected a list of rule records, got {type(data).__name__}")
    rules = []
    for i, rec in enumerate(data):
        if not isinstance(rec, Mapping):
            raise RuleConfigError(f"{source}: record #{i + 1}: expected a mapping, got {type(rec).__name__}")
        rid = rec.get("id") if isinstance(rec.get("id"), str) else f"record #{i + 1}"
        try:
            rules.append(Rule.model_validate(dict(rec)))
        except ValidationError as exc:
            raise _format(source, rid, exc) from None
    return rules


def _builtin_rule_files() -> list[Any]:
    """The shipped rule files, wherever the package lives (a directory, a wheel, a --py-files zip)."""
    root = resources.files("detectors") / "rules"
    found = sorted((p for p in root.iterdir() if p.name.endswith(".yaml")), key=lambda p: p.name)
    if not found:
        raise RuleConfigError(f"no rule files in {root}: the detectors package is installed without its rules")
    return found


def load_rules(paths: Iterable[str | Path] | None = None) -> tuple[Rule, ...]:
    """Every rule of the given YAML files (default: all ``detectors/rules/*.yaml``), ids unique."""
    if paths is None:
        builtin = _builtin_rule_files()
        if not all(isinstance(p, Path) for p in builtin):  # inside a zip: read through importlib
            return _load_archived_rules(tuple(p.name for p in builtin))
        files = builtin
    else:
        files = [Path(p) for p in paths]
    key = tuple(str(p.resolve()) for p in files)
    stamps = tuple(p.stat().st_mtime_ns if p.exists() else 0 for p in files)
    return _load_rules_cached(key, stamps)


@lru_cache(maxsize=2)
def _load_archived_rules(names: tuple[str, ...]) -> tuple[Rule, ...]:
    root = resources.files("detectors") / "rules"
    sources = []
    for name in names:
        source = f"detectors/rules/{name}"
        try:
            sources.append((source, yaml.safe_load((root / name).read_text(encoding="utf-8"))))
        except yaml.YAMLError as exc:
            raise RuleConfigError(f"{source}: invalid YAML: {exc}") from None
    return _collect(sources)


@lru_cache(maxsize=8)
def _load_rules_cached(files: tuple[str, ...], _stamps: tuple[int, ...]) -> tuple[Rule, ...]:
    return _collect([(_display(Path(f)), _read_yaml(Path(f), _display(Path(f)))) for f in files])


def _collect(sources: list[tuple[str, Any]]) -> tuple[Rule, ...]:
    seen: dict[str, str] = {}
    out: list[Rule] = []
    for source, data in sources:
        for rule in _parse_rules(data, source):
            if rule.id in seen:
                raise RuleConfigError(f"{source}: {rule.id}: id: duplicate id (also in {seen[rule.id]})")
            seen[rule.id] = source
            out.append(rule)
    return tuple(out)


def load_custom_identifiers(spec: Any) -> tuple[CustomIdentifier, ...]:
    """Custom data identifiers from a YAML path, or from a list of dicts (Macie's API shape).

    A YAML file holds either a list or ``{custom_data_identifiers: [...]}``.
    """
    source = "custom_identifiers"
    if isinstance(spec, (str, Path)):
        path = Path(spec)
        source = str(path)
        spec = _read_yaml(path, source)
        if isinstance(spec, Mapping):
            unknown = set(spec) - {"custom_data_identifiers"}
            if unknown:
                raise RuleConfigError(f"{source}: unknown top-level key(s): {', '.join(sorted(unknown))}")
            spec = spec.get("custom_data_identifiers") or []
    if spec is None:
        return ()
    if isinstance(spec, (CustomIdentifier, Mapping)):
        spec = [spec]
    out: list[CustomIdentifier] = []
    for i, rec in enumerate(spec):
        if isinstance(rec, CustomIdentifier):
            out.append(rec)
            continue
        if not isinstance(rec, Mapping):
            raise RuleConfigError(f"{source}: record #{i + 1}: expected a mapping")
        name = rec.get("name") if isinstance(rec.get("name"), str) else f"record #{i + 1}"
        try:
            out.append(CustomIdentifier.model_validate(dict(rec)))
        except ValidationError as exc:
            raise _format(source, name, exc) from None
    names = [c.name for c in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise RuleConfigError(f"{source}: {dup[0]}: name: duplicate custom identifier name")
    return tuple(out)


def load_allow_list_file(path: str | Path, name: str | None = None) -> AllowList:
    """A Macie predefined-text allow list: one entry per line (blank lines and surrounding spaces ignored)."""
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise RuleConfigError(f"{p}: cannot read: {exc.strerror}") from None
    entries = tuple(line.strip() for line in lines if line.strip())
    return _allow_list({"name": name or p.name, "text": entries}, str(p))


def _allow_list(spec: Any, source: str) -> AllowList:
    if isinstance(spec, AllowList):
        return spec
    if not isinstance(spec, Mapping):
        raise RuleConfigError(f"{source}: expected {{name, text}} or {{name, regex}}, got {type(spec).__name__}")
    name = spec.get("name") if isinstance(spec.get("name"), str) else "allow list"
    if "text_file" in spec:  # a Macie predefined-text list kept in a local file
        rest = set(spec) - {"name", "text_file"}
        if rest:
            raise RuleConfigError(f"{source}: {name}: {min(rest)}: unknown key (text_file lists take only name)")
        return load_allow_list_file(spec["text_file"], name=spec.get("name"))
    try:
        return AllowList.model_validate(dict(spec))
    except ValidationError as exc:
        raise _format(source, name, exc) from None


def _select(rules: tuple[Rule, ...], selector: str, ids: Sequence[str]) -> tuple[Rule, ...]:
    selector = selector.upper()
    if selector not in SELECTORS:
        raise RuleConfigError(f"selector: {selector!r} is not one of {', '.join(SELECTORS)}")
    known = {r.id for r in rules}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise RuleConfigError(f"ids: unknown managed identifier id(s): {', '.join(unknown)}")
    if selector in ("INCLUDE", "EXCLUDE") and not ids:
        raise RuleConfigError(f"ids: selector {selector} needs at least one managed identifier id")
    if selector == "RECOMMENDED":
        return tuple(r for r in rules if r.recommended)
    if selector == "ALL":
        return rules
    if selector == "INCLUDE":
        wanted = set(ids)
        return tuple(r for r in rules if r.id in wanted)
    if selector == "EXCLUDE":
        unwanted = set(ids)
        return tuple(r for r in rules if r.id not in unwanted)
    return ()


def load_pack(
    selector: str = "RECOMMENDED",
    ids: Sequence[str] = (),
    custom_identifiers: Any = (),
    allow_lists: Sequence[Any] | str | Path = (),
    *,
    rule_files: Iterable[str | Path] | None = None,
    regex_timeout: float = DEFAULT_REGEX_TIMEOUT,
) -> RulePack:
    """Build the frozen ``RulePack`` the driver broadcasts (see docs/architecture.md)."""
    rules = _select(load_rules(rule_files), selector, tuple(ids))
    custom = load_custom_identifiers(custom_identifiers) if custom_identifiers else ()
    clash = {c.name for c in custom} & {r.id for r in rules}
    if clash:
        raise RuleConfigError(f"custom_identifiers: {min(clash)}: name: clashes with a managed identifier id")
    source = "allow_lists"
    if isinstance(allow_lists, (str, Path)):  # a YAML file holding a list of allow lists
        source = str(allow_lists)
        allow_lists = _read_yaml(Path(allow_lists), source) or []
        if not isinstance(allow_lists, list):
            raise RuleConfigError(f"{source}: expected a list of allow lists")
    lists = tuple(_allow_list(a, source) for a in allow_lists)
    if regex_timeout <= 0:
        raise RuleConfigError("regex_timeout: must be > 0 seconds")
    canon = json.dumps(
        {
            "rules": [r.model_dump(mode="json") for r in rules],
            "custom": [c.model_dump(mode="json") for c in custom],
            "allow_lists": [a.model_dump(mode="json") for a in lists],
            "regex_timeout": regex_timeout,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    digest = hashlib.sha256(canon.encode("utf-8")).hexdigest()
    return RulePack(
        rules=rules,
        custom=custom,
        allow_lists=lists,
        selector=selector.upper(),
        ids=tuple(ids),
        regex_timeout=regex_timeout,
        digest=digest,
    )
