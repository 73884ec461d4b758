"""Loader errors name the file, the rule and the field (exact messages, gitleaks TestTranslate style)."""
from __future__ import annotations

import dataclasses
import pickle
import textwrap

import pytest

from detectors import RuleConfigError, get_engine, load_pack, load_rules

GOOD = """\
- id: TEST_RULE
  name: Test rule
  category: PERSONAL_INFORMATION
  macie: false
  severity: personal
  keywords: {terms: [widget]}
  patterns: [{name: p, regex: 'W-\\d{4}'}]
  samples: {positive: ['widget W-1234'], negative: ['W-1234']}
"""


def _write(tmp_path, body: str, name: str = "rules.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(body), encoding="utf-8")
    return p


def _error(tmp_path, body: str) -> str:
    p = _write(tmp_path, body)
    with pytest.raises(RuleConfigError) as exc:
        load_rules([p])
    return str(exc.value).replace(str(p), "FILE")


def test_good_rule_loads_and_detects(tmp_path):
    p = _write(tmp_path, GOOD)
    (rule,) = load_rules([p])
    assert rule.id == "TEST_RULE" and rule.keywords.distance == 30 and rule.priority == 50
    pack = load_pack("ALL", rule_files=[p])
    dets = get_engine(pack, b"k").detect("widget W-1234")
    assert [(d.type, d.start, d.end) for d in dets] == [("TEST_RULE", 7, 13)]


@pytest.mark.parametrize("old, new, message", [
    ("  macie: false\n", "  macie: false\n  colour: red\n", "FILE: TEST_RULE: colour: unknown key"),
    ("severity: personal", "severity: huge",
     ("FILE: TEST_RULE: severity: Input should be 'credentials', 'bank_or_card', 'cc_expiration', 'cvv', "
     "'phi', 'udi', 'national_id', 'org_tax_id', 'passport', 'transport_card', 'personal', 'gps', 'vin' or "
     "'context'")),
    ("{terms: [widget]}", "{terms: [widget], distance: 301}",
     "FILE: TEST_RULE: keywords.distance: Input should be less than or equal to 300"),
    ("{terms: [widget]}", "{terms: [widget], proximity: 3}", "FILE: TEST_RULE: keywords.proximity: unknown key"),
    ("regex: 'W-\\d{4}'", "regex: 'W-(\\d{4}'",
     "FILE: TEST_RULE: patterns[0].regex: regex does not compile: missing ) at position 8"),
    ("patterns: [{name: p, regex: 'W-\\d{4}'}]", "patterns: [{name: p, regex: 'W', flags: [global]}]",
     ("FILE: TEST_RULE: patterns[0].flags[0]: Input should be 'ignorecase', 'multiline', 'dotall', 'verbose' "
     "or 'ascii'")),
    ("  macie: false\n", "  macie: false\n  validators: [mod11]\n",
     "FILE: TEST_RULE: validators: unknown validator 'mod11' (known: "),
    ("negative: ['W-1234']", "negative: []",
     "FILE: TEST_RULE: samples.negative: Tuple should have at least 1 item after validation, not 0"),
    ("  samples: {positive: ['widget W-1234'], negative: ['W-1234']}\n", "",
     "FILE: TEST_RULE: samples: Field required"),
    ("  macie: false\n", "  macie: false\n  recommended: true\n",
     "FILE: TEST_RULE: recommended: only Macie managed identifiers (macie: true) can be RECOMMENDED"),
    ("{terms: [widget]}", "{terms: [widget], required: false}",
     "FILE: TEST_RULE: keywords: rule needs required keywords, anchors or a candidate class "
     "(otherwise it can never fire)"),
    ("id: TEST_RULE", "id: test-rule", "FILE: test-rule: id: String should match pattern"),
    ("  macie: false\n", "  macie: false\n  candidate: hex\n",
     "FILE: TEST_RULE: candidate: Input should be 'digits', 'card_digits', 'iban', 'ipv4', 'ipv6_full', 'name', "
     "'name_line' or 'lone_name'"),
    ("regex: 'W-\\d{4}'}", "regex: 'W-\\d{4}', at_hit: true, at_words: true}",
     "FILE: TEST_RULE: patterns[0].at_words: a pattern is either at_hit or at_words, not both"),
    ("regex: 'W-\\d{4}'}", "regex: 'W-\\d{4}', at_words: true}",
     "FILE: TEST_RULE: patterns: at_words patterns need a candidate class and no anchors"),
])
def test_loader_error_names_file_rule_and_field(tmp_path, old, new, message):
    assert old in GOOD
    msg = _error(tmp_path, GOOD.replace(old, new))
    assert msg.startswith(message), msg


def test_loader_error_record_without_id(tmp_path):
    msg = _error(tmp_path, GOOD.replace("- id: TEST_RULE\n  name", "- name"))
    assert msg == "FILE: record #1: id: Field required"


def test_loader_duplicate_id_across_files(tmp_path):
    a = _write(tmp_path, GOOD, "a.yaml")
    b = _write(tmp_path, GOOD, "b.yaml")
    with pytest.raises(RuleConfigError) as exc:
        load_rules([a, b])
    assert str(exc.value) == f"{b}: TEST_RULE: id: duplicate id (also in {a})"


def test_loader_invalid_yaml_and_not_a_list(tmp_path):
    assert _error(tmp_path, "- id: [unclosed\n").startswith("FILE: invalid YAML:")
    assert _error(tmp_path, "id: X\n") == "FILE: expected a list of rule records, got dict"


def test_builtin_rule_file_names_are_repo_relative():
    bad = {"id": "X", "macie": True}
    with pytest.raises(RuleConfigError, match=r"^custom_identifiers: "):
        load_pack(custom_identifiers=[bad])


def test_selector_errors():
    with pytest.raises(RuleConfigError, match=r"^selector: 'SOME' is not one of"):
        load_pack(selector="SOME")
    with pytest.raises(RuleConfigError, match=r"^ids: unknown managed identifier id\(s\): NOPE$"):
        load_pack(selector="INCLUDE", ids=["NOPE"])
    with pytest.raises(RuleConfigError, match=r"^ids: selector INCLUDE needs at least one"):
        load_pack(selector="INCLUDE")


def test_pack_is_frozen_picklable_and_digest_stable():
    pack = load_pack()
    clone = pickle.loads(pickle.dumps(pack))
    assert clone == pack and clone.digest == pack.digest and len(pack.digest) == 64
    assert load_pack().digest == pack.digest
    assert load_pack("ALL").digest != pack.digest
    with pytest.raises(dataclasses.FrozenInstanceError):
        pack.selector = "ALL"  # type: ignore[misc]
    assert len(pickle.dumps(pack)) < 200_000


def test_get_engine_is_cached_per_digest_and_key():
    pack = load_pack()
    assert get_engine(pack, b"a") is get_engine(pickle.loads(pickle.dumps(pack)), b"a")
    assert get_engine(pack, b"a") is not get_engine(pack, b"b")
