"""Engine behaviour: selectors, Macie keyword proximity, field paths, overlap priority, masking and
hashing, offsets, candidate blocks, and the pure-Python boundary of detectors/."""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
from pathlib import Path

import pytest
import yaml

from detectors import get_engine, load_pack, load_rules
from detectors.engine import field_tokens, keyword_variants

KEY = b"unit-test-key"
SSN = "536-22-8351"


def _engine(selector="ALL", ids=(), **kw):
    return get_engine(load_pack(selector=selector, ids=ids, **kw), KEY)


def _of(dets, type_):
    return [(d.start, d.end) for d in dets if d.type == type_]


# --------------------------------------------------------------------------- selectors

def test_selector_recommended_is_macie_recommended_set():
    pack = load_pack()
    assert pack.selector == "RECOMMENDED" and pack.rules
    assert all(r.recommended and r.macie for r in pack.rules)
    ids = {r.id for r in pack.rules}
    assert {"CREDIT_CARD_NUMBER", "USA_SOCIAL_SECURITY_NUMBER", "AWS_CREDENTIALS"} <= ids
    assert not ids & {"CREDIT_CARD_NUMBER_(NO_KEYWORD)", "EMAIL_ADDRESS", "AWS_ACCESS_KEY_ID"}


def test_selector_all_include_exclude_none():
    everything = {r.id for r in load_rules()}
    assert {r.id for r in load_pack("ALL").rules} == everything
    assert [r.id for r in load_pack("INCLUDE", ["EMAIL_ADDRESS"]).rules] == ["EMAIL_ADDRESS"]
    assert {r.id for r in load_pack("EXCLUDE", ["EMAIL_ADDRESS"]).rules} == everything - {"EMAIL_ADDRESS"}
    assert load_pack("NONE").rules == ()
    assert load_pack("none").selector == "NONE"
    assert _engine("NONE").detect(f"ssn {SSN}") == []


def test_recommended_does_not_report_beyond_macie_types():
    dets = _engine("RECOMMENDED").detect("mail jane.doe@lakescan-test.io key AKIAGDZVGPMM4I3LR5PE")
    assert dets == []


# --------------------------------------------------------------------------- keyword proximity

@pytest.mark.parametrize("gap, found", [(0, True), (30, True), (31, False)])
def test_keyword_within_30_chars_before(gap, found):
    text = "ssn" + " " * gap + SSN
    assert bool(_of(_engine("INCLUDE", ["USA_SOCIAL_SECURITY_NUMBER"]).detect(text),
                    "USA_SOCIAL_SECURITY_NUMBER")) is found


@pytest.mark.parametrize("gap, found", [(1, True), (30, True), (31, False)])
def test_keyword_within_30_chars_after(gap, found):
    text = SSN + " " * gap + "ssn"
    assert bool(_of(_engine("INCLUDE", ["USA_SOCIAL_SECURITY_NUMBER"]).detect(text),
                    "USA_SOCIAL_SECURITY_NUMBER")) is found


@pytest.mark.parametrize("text", [
    "credit card 4539 1043 3218 1967", "CREDIT_CARD: 4539104332181967", "Credit-Card 4539104332181967",
    "creditcard=4539104332181967", "VISA 4539104332181967",
])
def test_keyword_variants_and_case(text):
    assert _of(_engine("INCLUDE", ["CREDIT_CARD_NUMBER"]).detect(text), "CREDIT_CARD_NUMBER")


def test_keyword_variants_helper():
    assert keyword_variants("Credit Card") == ("credit card", "credit_card", "credit-card", "creditcard")
    assert keyword_variants("ssn") == ("ssn",)


def test_keyword_left_boundary():
    eng = _engine("INCLUDE", ["USA_SOCIAL_SECURITY_NUMBER"])
    assert _of(eng.detect(f"my_ssn={SSN}"), "USA_SOCIAL_SECURITY_NUMBER")
    assert not _of(eng.detect(f"xssn {SSN}"), "USA_SOCIAL_SECURITY_NUMBER")


@pytest.mark.parametrize("element, tokens", [
    ("customerSSN", ("customer", "ssn")), ("credit_card_number", ("credit", "card", "number")),
    ("Customer-SSN", ("customer", "ssn")), ("creditCardNumber", ("credit", "card", "number")),
    ("HTTPServer2", ("http", "server", "2")),
])
def test_field_tokens(element, tokens):
    assert field_tokens(element) == tokens


@pytest.mark.parametrize("path, found", [
    (("people", "ssn"), True), (("customerSSN",), True), (("hr", "social_security_number"), True),
    (("$", "records", "SocialSecurity"), True), (("orders", "id"), False), (("lessons",), False),
])
def test_field_path_element_satisfies_keyword(path, found):
    eng = _engine("INCLUDE", ["USA_SOCIAL_SECURITY_NUMBER"])
    assert bool(eng.detect(SSN, field_path=path)) is found


def test_field_path_may_hold_array_indices():
    eng = _engine("INCLUDE", ["USA_SOCIAL_SECURITY_NUMBER"])
    assert eng.detect(SSN, field_path=("people", 3, "ssn"))


def test_optional_keyword_changes_confidence_only():
    eng = _engine("INCLUDE", ["AWS_ACCESS_KEY_ID"])
    (with_kw,) = eng.detect("aws_access_key_id: AKIAGDZVGPMM4I3LR5PE")
    (without,) = eng.detect("value AKIAGDZVGPMM4I3LR5PE")
    assert with_kw.confidence == 0.95 and without.confidence == 0.85


# --------------------------------------------------------------------------- overlap & limits

def test_overlap_keyword_variant_wins_by_priority():
    eng = _engine("ALL")
    assert [d.type for d in eng.detect("visa 4539 1043 3218 1967")] == ["CREDIT_CARD_NUMBER"]
    assert [d.type for d in eng.detect("ref 4539 1043 3218 1967")] == ["CREDIT_CARD_NUMBER_(NO_KEYWORD)"]


RULES = """\
- id: {id}
  name: {id}
  category: PERSONAL_INFORMATION
  macie: false
  severity: personal
  priority: {priority}
  anchors: [tok]
  {extra}
  patterns: [{{name: p, regex: 'TOK-\\d+'}}]
  samples: {{positive: ['TOK-1'], negative: ['x']}}
"""


def test_overlap_resolved_by_explicit_priority_not_names(tmp_path):
    def rules(pa, pb):
        p = tmp_path / f"r{pa}{pb}.yaml"
        p.write_text(RULES.format(id="AAA_GENERIC", priority=pa, extra="") +
                     RULES.format(id="ZZZ_SPECIFIC", priority=pb, extra=""), encoding="utf-8")
        return [p]
    assert [d.type for d in _engine(rule_files=rules(10, 90)).detect("TOK-123")] == ["ZZZ_SPECIFIC"]
    assert [d.type for d in _engine(rule_files=rules(90, 10)).detect("TOK-123")] == ["AAA_GENERIC"]


def test_max_detections_per_text(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text(RULES.format(id="TOKEN", priority=50, extra="max_detections: 2"), encoding="utf-8")
    dets = _engine(rule_files=[p]).detect("TOK-1 TOK-2 TOK-3 TOK-4")
    assert [d.start for d in dets] == [0, 6]


def _value_rule(tmp_path, regex: str, at_hit: bool = True) -> Path:
    rule = {"id": "QUOTED", "name": "quoted", "category": "CREDENTIALS", "macie": False, "severity": "credentials",
            "keywords": {"terms": ["tok"], "distance": 10},
            "patterns": [{"name": "p", "regex": regex, "at_hit": at_hit}],
            "samples": {"positive": ['tok="abcd"'], "negative": ["x"]}}
    p = tmp_path / "r.yaml"
    p.write_text(yaml.safe_dump([rule]), encoding="utf-8")
    return p


@pytest.mark.parametrize("at_hit", [True, False])
def test_value_is_the_first_numbered_value_group_that_took_part(tmp_path, at_hit):
    # re allows a group name once: alternatives name value, value_2, ... and the one that matched is the value
    regex = r"""tok=(?:"(?P<value>\w+)"|'(?P<value_2>\w+)'|(?P<value_3>\w+)!)"""
    eng = _engine(rule_files=[_value_rule(tmp_path, regex, at_hit)])
    text = "tok=\"abcd\" tok='efgh' tok=ijkl! tok=mnop"
    assert [text[d.start:d.end] for d in eng.detect(text)] == ["abcd", "efgh", "ijkl"]


def test_numbered_value_groups_need_a_value_group(tmp_path):
    with pytest.raises(Exception, match="value_2 need a group named value"):
        load_rules([_value_rule(tmp_path, r"tok=(?P<value_2>\w+)")])


def test_rule_allow_values_published_test_numbers_suppressed():
    eng = _engine("ALL")
    assert eng.detect("card 4111 1111 1111 1111, 4111-1111-1111-1111, 4012888888881881") == []
    assert eng.detect("aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY") == []
    assert eng.detect("AKIAIOSFODNN7EXAMPLE") == []


# --------------------------------------------------------------------------- output

def test_detection_masks_and_hashes_never_leak_raw_value():
    (d,) = _engine("INCLUDE", ["USA_SOCIAL_SECURITY_NUMBER"]).detect(f"SSN: {SSN}")
    assert d.masked == "***-**-8351"
    assert hmac.compare_digest(d.value_hash, hmac.new(KEY, b"536228351", hashlib.sha256).hexdigest())
    for field in dataclasses.fields(d):
        assert "536-22" not in str(getattr(d, field.name))
        assert "53622" not in str(getattr(d, field.name))
    assert "536-22" not in repr(d)
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.start = 0  # type: ignore[misc]


def test_secret_mask_reveals_nothing_and_hash_depends_on_key():
    secret = "u7WICPhDeOZIiBOB+Y6sHrFH2ZUCr+lgotu2iXW7"
    text = f"aws_secret_access_key = {secret}"
    (a,) = get_engine(load_pack(), b"key-a").detect(text)
    (b,) = get_engine(load_pack(), b"key-b").detect(text)
    assert set(a.masked) <= {"*", "+", "/"} and a.value_hash != b.value_hash
    assert secret not in repr(a)


def test_normalised_value_hash_ignores_separators():
    eng = _engine("INCLUDE", ["USA_SOCIAL_SECURITY_NUMBER"])
    (a,) = eng.detect(f"ssn {SSN}")
    (b,) = eng.detect("ssn 536 22 8351")
    (c,) = eng.detect("ssn 536228351")
    assert a.value_hash == b.value_hash == c.value_hash


def test_line_and_column_are_one_based():
    text = "first line\nsecond\n  ssn " + SSN + "\nssn " + SSN
    dets = _engine("INCLUDE", ["USA_SOCIAL_SECURITY_NUMBER"]).detect(text)
    assert [(d.line, d.column) for d in dets] == [(3, 7), (4, 5)]
    assert [text[d.start:d.end] for d in dets] == [SSN, SSN]


def test_offsets_survive_case_folding_that_changes_length():
    text = "İİ ß ssn: " + SSN           # 'İ'.lower() is two code points
    (d,) = _engine("INCLUDE", ["USA_SOCIAL_SECURITY_NUMBER"]).detect(text)
    assert (d.start, d.end) == (text.index(SSN), text.index(SSN) + len(SSN))


def test_fast_path_and_empty_text():
    eng = _engine("RECOMMENDED")
    assert eng.detect("") == []
    assert eng.detect("nothing sensitive in this line at all\n" * 1000) == []


def test_candidate_across_block_boundary_and_far_keywords():
    eng = _engine("ALL")
    for pos in (65_530, 65_536 - 8, 65_536 + 100):
        text = "x" * pos + " 4539104332181967 " + "y" * 70_000
        assert _of(eng.detect(text), "CREDIT_CARD_NUMBER_(NO_KEYWORD)") == [(pos + 1, pos + 17)]
    far = "ssn" + " " * 1000 + SSN
    assert _of(_engine("INCLUDE", ["USA_SOCIAL_SECURITY_NUMBER"]).detect(far), "USA_SOCIAL_SECURITY_NUMBER") == []


def test_many_detections_in_large_text():
    line = f"2026-11-24 INFO user ssn {SSN} card visa 4539 1043 3218 1967 ok\n"
    dets = _engine("RECOMMENDED").detect(line * 500)
    assert len(_of(dets, "USA_SOCIAL_SECURITY_NUMBER")) == 500
    assert len(_of(dets, "CREDIT_CARD_NUMBER")) == 500
    assert dets[-1].line == 500


def test_detectors_package_imports_no_pyspark_or_boto3():
    root = Path(__file__).resolve().parents[2] / "detectors"
    bad = re.compile(r"^\s*(import|from)\s+(pyspark|boto3|botocore)\b", re.MULTILINE)
    offenders = [p.name for p in root.rglob("*.py") if bad.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_docs_rules_md_documents_every_schema_field():
    from detectors.schema import Keywords, Rule

    doc = (Path(__file__).resolve().parents[2] / "docs" / "rules.md").read_text(encoding="utf-8")
    for name in [*Rule.model_fields, *Keywords.model_fields]:
        assert f"`{name}`" in doc, name


def test_validator_verdicts_are_remembered_per_value_and_bounded(monkeypatch):
    import detectors.engine as engine_module

    eng = _engine("INCLUDE", ids=["NAME"])
    cr = eng.rules[0]
    calls = []
    cr.validators = tuple((lambda v, f=f: calls.append(v) or f(v)) for f in cr.validators)
    line = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) met Joakim Westgard\n'
    dets = eng.detect(line * 40)
    assert [d.start for d in dets] == [i * len(line) + line.index("Joakim") for i in range(40)]
    assert sorted(set(calls)) == sorted(calls)  # each distinct value judged once, not on each of the 40 lines
    assert "Joakim Westgard" in calls
    monkeypatch.setattr(engine_module, "_VALID_MEMO_MAX", 3)
    eng.detect("".join(f"met Joakim Westgard{c}x and Anna Berg{c}y\n" for c in "abcdefgh"))
    assert 0 < len(cr.valid_memo) <= 3


def test_validator_memo_keeps_no_scanned_value():
    eng = _engine("INCLUDE", ids=["NAME"])
    text = "met Joakim Westgard and Anna Berg"
    assert [text[d.start:d.end] for d in eng.detect(text)] == ["Joakim Westgard", "Anna Berg"]
    memo = eng.rules[0].valid_memo
    assert memo and all(isinstance(k, int) for k in memo)  # hashes, not the names
    assert memo[hash("Joakim Westgard")] is True


def test_no_scanned_text_stays_in_the_passes_caches_after_detect():
    from detectors import candidates

    eng = _engine("ALL")
    text = "Maika van de Noort met Joakim Westgard at 10.1.2.3; Catherine said hi " * 3
    assert eng.detect(text)
    assert candidates._LAST_VIEW == (b"", b"") and candidates._LAST_NAME_SPANS == ("", [])
    assert eng._plain_memo == (None, False)
    assert eng.detect(text) == eng.detect(text)  # and the next calls fill them again as they need
