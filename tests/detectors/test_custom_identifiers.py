"""Custom data identifiers, case by case against Macie's documented semantics (shared reference §2)."""
from __future__ import annotations

from collections import Counter

import pytest

from detectors import RuleConfigError, get_engine, load_custom_identifiers, load_pack
from detectors.macie_regex import check_macie_regex

KEY = b"k"


def _engine(timeout: float = 1.0, **cdi):
    spec = {"name": "EMP", "regex": r"EMP-\d{6}", **cdi}
    return get_engine(load_pack(selector="NONE", custom_identifiers=[spec], regex_timeout=timeout), KEY)


def _spans(engine, text, field_path=()):
    return [(d.type, d.start, d.end) for d in engine.detect(text, field_path)]


def test_distance_is_counted_from_keyword_end_to_match_end():
    text = "employee id: EMP-123456"          # keyword ends at 11, match ends at 23 -> distance 12
    assert _spans(_engine(keywords=["employee id"], maximumMatchDistance=12), text) == [("EMP", 13, 23)]
    assert _spans(_engine(keywords=["employee id"], maximumMatchDistance=11), text) == []


def test_default_maximum_match_distance_is_50():
    eng = _engine(keywords=["employee id"])
    assert _spans(eng, "employee id" + " " * 40 + "EMP-123456")          # distance 50
    assert not _spans(eng, "employee id" + " " * 41 + "EMP-123456")      # distance 51


def test_keyword_must_precede_the_match():
    eng = _engine(keywords=["employee id"])
    assert _spans(eng, "EMP-123456 is my employee id") == []
    assert _spans(eng, "EMP-111111, employee id EMP-123456") == [("EMP", 24, 34)]


def test_keywords_case_insensitive_and_any_of_several():
    eng = _engine(keywords=["employee id", "staff no"])
    assert _spans(eng, "EMPLOYEE ID EMP-123456") == [("EMP", 12, 22)]
    assert _spans(eng, "Staff No: EMP-123456") == [("EMP", 10, 20)]


def test_each_match_measured_from_its_nearest_preceding_keyword():
    eng = _engine(keywords=["employee id"], maximumMatchDistance=20)
    text = "employee id EMP-111111" + " " * 30 + "EMP-222222 employee id EMP-333333"
    assert [s for _, s, _ in _spans(eng, text)] == [12, 75]


def test_keyword_in_field_name_satisfies_requirement():
    eng = _engine(keywords=["employee id"])
    assert _spans(eng, "EMP-123456", ("hr", "Employee ID")) == [("EMP", 0, 10)]
    assert _spans(eng, "EMP-123456", ("hr", "manager")) == []


def test_without_keywords_matches_anywhere():
    assert _spans(_engine(), "x EMP-123456 y EMP-654321") == [("EMP", 2, 12), ("EMP", 15, 25)]


def test_ignore_words_are_case_sensitive_substrings_of_the_match():
    eng = _engine(regex=r"(?i)emp-[a-z0-9]{6}", ignoreWords=["TEST"])
    assert _spans(eng, "EMP-TEST12") == []
    assert _spans(eng, "emp-test12") == [("EMP", 0, 10)]
    eng = _engine(ignoreWords=["0000"])
    assert _spans(eng, "EMP-000012 EMP-120012") == [("EMP", 11, 21)]


def test_custom_detection_shape():
    (d,) = _engine().detect("id EMP-123456")
    assert d.category == "CUSTOM_IDENTIFIER" and d.masked == "***-**3456" and "123456" not in d.masked


def test_custom_identifiers_from_example_yaml():
    cdis = load_custom_identifiers("conf/custom_identifiers.example.yaml")
    assert [c.name for c in cdis] == ["EMPLOYEE_ID", "PROJECT_CODENAME"]
    assert cdis[0].maximumMatchDistance == 20
    eng = get_engine(load_pack(selector="NONE", custom_identifiers="conf/custom_identifiers.example.yaml"), KEY)
    assert [d.type for d in eng.detect("employee id EMP-123456; Project Bluefin; project sturgeon")] == [
        "EMPLOYEE_ID", "PROJECT_CODENAME", "PROJECT_CODENAME"]
    assert [d.type for d in eng.detect("Project Sturgeon")] == []


@pytest.mark.parametrize("pattern, message", [
    (r"(\d{3})-\d{2}", "capturing group at position 0 is not supported; use a non-capturing group (?:...)"),
    (r"(?:a)\1", "backreference \\1 at position 5 is not supported"),
    (r"(?P<x>a)", "named capturing group at position 0 is not supported; use (?:...)"),
    (r"(?P=x)", "backreference (?P=...) at position 0 is not supported"),
    (r"a(?=b)", "lookahead/lookbehind at position 1 is not supported"),
    (r"a(?!b)", "lookahead/lookbehind at position 1 is not supported"),
    (r"(?<=a)b", "lookahead/lookbehind at position 0 is not supported"),
    (r"(?<!a)b", "lookahead/lookbehind at position 0 is not supported"),
    (r"(?(1)a|b)", "conditional pattern at position 0 is not supported"),
    (r"a(?R)?b", "recursive pattern at position 1 is not supported"),
    (r"/emp-\d+/i", "global flags (/.../i) are not supported; use an inline (?i) instead"),
    (r"(?m)^EMP", "inline flag(s) m at position 0 are not supported; only (?i)"),
    (r"\d{100,1000}", ("bounded repetition {100,1000} at position 2 is too large (max 100); "
                      "use an open upper bound such as {100,}")),
    (r"a*b*a*", "repeated wildcards (like a*b*a*) ending at position 5 are not supported"),
    ("a" * 513, "regex is 513 characters; Macie allows at most 512"),
    (r"EMP-(?:\d{6}", "regex does not compile: missing ) at position 12"),
])
def test_macie_rejects_unsupported_regex_constructs(pattern, message):
    with pytest.raises(ValueError) as exc:
        check_macie_regex(pattern)
    assert str(exc.value) == message


@pytest.mark.parametrize("pattern", [
    r"(?i)emp-\d{6}", r"(?:ab|cd)+\d{100,}", r"[(]\d+[)]", r"\(\d+\)", r"[a-z]*\d*", r"^EMP$", r"a*b\d*c*",
])
def test_macie_accepts_supported_regexes(pattern):
    check_macie_regex(pattern)


def test_rejection_message_names_identifier_and_field():
    with pytest.raises(RuleConfigError) as exc:
        load_pack(selector="NONE", custom_identifiers=[{"name": "BAD", "regex": r"(\d+)"}])
    assert str(exc.value) == ("custom_identifiers: BAD: regex: capturing group at position 0 is not supported; "
                              "use a non-capturing group (?:...)")


@pytest.mark.parametrize("extra, message", [
    ({"keywords": ["ab"]}, "custom_identifiers: EMP: keywords: keyword 'ab' must be 3-90 characters"),
    ({"keywords": [f"kw{i:03d}" for i in range(51)]},
     "custom_identifiers: EMP: keywords: Tuple should have at most 50 items after validation, not 51"),
    ({"ignoreWords": ["abc"]}, "custom_identifiers: EMP: ignoreWords: ignore word 'abc' must be 4-90 characters"),
    ({"ignoreWords": [f"word{i}" for i in range(11)]},
     "custom_identifiers: EMP: ignoreWords: Tuple should have at most 10 items after validation, not 11"),
    ({"maximumMatchDistance": 0},
     "custom_identifiers: EMP: maximumMatchDistance: Input should be greater than or equal to 1"),
    ({"maximumMatchDistance": 301},
     "custom_identifiers: EMP: maximumMatchDistance: Input should be less than or equal to 300"),
    ({"severityLevels": [{"occurrencesThreshold": 50, "severity": "LOW"},
                         {"occurrencesThreshold": 10, "severity": "HIGH"}]},
     ("custom_identifiers: EMP: severityLevels: occurrencesThreshold must ascend from LOW to MEDIUM to HIGH "
     "(e.g. 1/50/100)")),
    ({"caseSensitive": True}, "custom_identifiers: EMP: caseSensitive: unknown key"),
])
def test_custom_identifier_limits(extra, message):
    with pytest.raises(RuleConfigError) as exc:
        load_pack(selector="NONE", custom_identifiers=[{"name": "EMP", "regex": r"EMP-\d{6}", **extra}])
    assert str(exc.value) == message


def test_redos_pattern_times_out_counted_not_crashing():
    eng = _engine(timeout=0.1, name="SLOW", regex=r"(?:a|aa)+b")
    stats: Counter = Counter()
    assert eng.detect("a" * 60, stats=stats) == []
    assert stats["regex_timeouts"] == 1
    assert eng.counters["regex_timeouts"] >= 1


def test_timeout_in_one_identifier_does_not_stop_others():
    pack = load_pack(selector="INCLUDE", ids=["USA_SOCIAL_SECURITY_NUMBER"], regex_timeout=0.1,
                     custom_identifiers=[{"name": "SLOW", "regex": r"(?:a|aa)+b"}])
    stats: Counter = Counter()
    dets = get_engine(pack, KEY).detect("ssn 536-22-8351 " + "a" * 60, stats=stats)
    assert [d.type for d in dets] == ["USA_SOCIAL_SECURITY_NUMBER"]
    assert stats["regex_timeouts"] == 1
