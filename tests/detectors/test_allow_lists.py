"""Allow lists (shared reference §3): text lists match a complete value exactly, case-insensitively;
regex lists must match the whole value; both suppress managed AND custom identifier matches."""
from __future__ import annotations

import pytest

from detectors import RuleConfigError, get_engine, load_pack

KEY = b"k"
TEXT = "SSN: 536-22-8351, mail Jane.Doe@Lakescan-Test.io"


def _types(allow_lists, text=TEXT, **kw):
    pack = load_pack(selector="ALL", allow_lists=allow_lists, **kw)
    return [d.type for d in get_engine(pack, KEY).detect(text)]


def test_no_allow_list_baseline():
    assert _types([]) == ["USA_SOCIAL_SECURITY_NUMBER", "EMAIL_ADDRESS"]


def test_text_list_exact_complete_case_insensitive():
    assert _types([{"name": "t", "text": ["jane.doe@lakescan-test.io"]}]) == ["USA_SOCIAL_SECURITY_NUMBER"]
    assert _types([{"name": "t", "text": ["536-22-8351"]}]) == ["EMAIL_ADDRESS"]


def test_text_list_partial_entry_does_not_suppress():
    assert _types([{"name": "t", "text": ["536-22", "Jane.Doe", "536-22-8351 x"]}]) == [
        "USA_SOCIAL_SECURITY_NUMBER", "EMAIL_ADDRESS"]


def test_regex_list_must_match_whole_value():
    # regexes are case-sensitive unless they say (?i)
    assert _types([{"name": "r", "regex": r"[a-z.]+@lakescan-test\.io"}]) == [
        "USA_SOCIAL_SECURITY_NUMBER", "EMAIL_ADDRESS"]
    assert _types([{"name": "r", "regex": r"(?i)[a-z.]+@lakescan-test\.io"}]) == ["USA_SOCIAL_SECURITY_NUMBER"]
    assert _types([{"name": "r", "regex": r"\d{3}-\d{2}"}]) == ["USA_SOCIAL_SECURITY_NUMBER", "EMAIL_ADDRESS"]


def test_text_file_list_and_yaml_file_of_lists():
    assert _types([{"name": "f", "text_file": "conf/allow_list.example.txt"}],
                  "ssn 123-45-6780 card 4539 1043 3218 1967") == []
    pack = load_pack(selector="ALL", allow_lists="conf/allow_lists.example.yaml")
    assert [a.name for a in pack.allow_lists] == ["known-test-people", "team-files", "qa-mailboxes"]
    eng = get_engine(pack, KEY)
    dets = eng.detect("qa+build7@lakescan-test.io ops@lakescan-test.io, ssn 123-45-6780, Jane Doe")
    assert [(d.type, d.start) for d in dets] == [("EMAIL_ADDRESS", 27)]


def test_allow_list_suppresses_custom_identifier_matches():
    cdi = [{"name": "EMP", "regex": r"EMP-\d{6}"}]
    assert _types([{"name": "t", "text": ["emp-123456"]}], "EMP-123456 EMP-654321", custom_identifiers=cdi) == ["EMP"]
    assert _types([{"name": "r", "regex": r"EMP-\d+"}], "EMP-123456 EMP-654321", custom_identifiers=cdi) == []


def test_allow_list_errors():
    with pytest.raises(RuleConfigError) as exc:
        load_pack(allow_lists=[{"name": "x"}])
    assert str(exc.value) == "allow_lists: x: text: an allow list has exactly one of 'text', 'text_file' or 'regex'"
    with pytest.raises(RuleConfigError) as exc:
        load_pack(allow_lists=[{"name": "x", "regex": "a" * 513}])
    assert str(exc.value) == "allow_lists: x: regex: String should have at most 512 characters"
    with pytest.raises(RuleConfigError, match=r"^allow_lists: x: regex: regex does not compile"):
        load_pack(allow_lists=[{"name": "x", "regex": "("}])
