"""Every rule proves itself: ONE test parametrised over every record of every detectors/rules/*.yaml.

For each positive sample the rule (selected alone) reports a detection of its id AND its prefilter
fires (a keyword / keyword variant / anchor in the compiled automaton, a field-path keyword, or its
candidate class); each negative sample yields no detection of that id.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from detectors import get_engine, load_pack, load_rules
from detectors.pack import RULES_DIR

KEY = b"test-key"


def _records() -> list:
    params = []
    for path in sorted(Path(RULES_DIR).glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        except yaml.YAMLError:
            params.append(pytest.param(path.name, None, id=f"{path.name}:<invalid YAML>"))
            continue
        for i, rec in enumerate(data if isinstance(data, list) else []):
            rid = rec.get("id") if isinstance(rec, dict) else None
            params.append(pytest.param(path.name, rid, id=f"{path.name}:{rid or i}"))
    return params


def test_all_rule_files_load_with_unique_ids():
    rules = load_rules()
    assert rules, "no rules found"
    assert len({r.id for r in rules}) == len(rules)


@pytest.mark.parametrize("filename, rule_id", _records())
def test_rule_samples(filename: str, rule_id: str | None):
    assert rule_id is not None, f"{filename}: record without id or invalid YAML"
    rule = {r.id: r for r in load_rules()}[rule_id]
    engine = get_engine(load_pack(selector="INCLUDE", ids=[rule_id]), KEY)
    for sample in rule.samples.positive:
        dets = engine.detect(sample.text, sample.field_path)
        assert any(d.type == rule_id for d in dets), (
            f"{filename}: {rule_id}: positive sample not found: {sample.text!r} field_path={sample.field_path}")
        fired = engine.triggers(sample.text, sample.field_path).get(rule_id)
        assert fired, f"{filename}: {rule_id}: no keyword/anchor/candidate fires for {sample.text!r}"
    for sample in rule.samples.negative:
        dets = engine.detect(sample.text, sample.field_path)
        hits = [(d.start, d.end, d.masked) for d in dets if d.type == rule_id]
        assert not hits, f"{filename}: {rule_id}: negative sample found: {sample.text!r} -> {hits}"
