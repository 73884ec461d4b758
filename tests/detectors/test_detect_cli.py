"""`lakescan detect`: JSON Lines round trip, tables, --list, flags; no JVM on that path."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from jobs.detect_cmd import detect

REPO = Path(__file__).resolve().parents[2]
SSN = "536-22-8351"


def _jsonl(lines: list[dict], *args: str):
    inp = "".join(json.dumps(x) + "\n" for x in lines)
    return CliRunner().invoke(detect, ["--jsonl", *args], input=inp)


def test_jsonl_round_trip_offsets_index_the_text():
    lines = [
        {"id": "a", "text": f"SSN: {SSN} and visa 4539 1043 3218 1967"},
        {"id": 2, "text": "nothing here"},
        {"id": "c", "text": SSN, "field_path": ["customers", "ssn"]},
    ]
    res = _jsonl(lines)
    assert res.exit_code == 0, res.output
    out = [json.loads(x) for x in res.output.splitlines()]
    assert [o["id"] for o in out] == ["a", 2, "c"]
    first = out[0]["detections"]
    assert [d["type"] for d in first] == ["USA_SOCIAL_SECURITY_NUMBER", "CREDIT_CARD_NUMBER"]
    assert set(first[0]) == {"type", "start", "end", "confidence"}
    assert lines[0]["text"][first[0]["start"]:first[0]["end"]] == SSN
    assert out[1]["detections"] == []
    assert out[2]["detections"][0]["type"] == "USA_SOCIAL_SECURITY_NUMBER"


def test_jsonl_selector_include_exclude_and_allow_flags(tmp_path):
    line = [{"id": 1, "text": f"ssn {SSN} mail jane.doe@lakescan-test.io"}]

    def types(*args):
        res = _jsonl(line, *args)
        assert res.exit_code == 0, res.output
        return [d["type"] for d in json.loads(res.output)["detections"]]

    assert types() == ["USA_SOCIAL_SECURITY_NUMBER"]
    assert types("--selector", "ALL") == ["USA_SOCIAL_SECURITY_NUMBER", "EMAIL_ADDRESS"]
    assert types("--include", "EMAIL_ADDRESS") == ["EMAIL_ADDRESS"]
    assert types("--exclude", "EMAIL_ADDRESS") == ["USA_SOCIAL_SECURITY_NUMBER"]
    assert types("--selector", "ALL", "--allow-regex", r"\d{3}-\d{2}-\d{4}") == ["EMAIL_ADDRESS"]
    allow = tmp_path / "allow.txt"
    allow.write_text("JANE.DOE@lakescan-test.io\n", encoding="utf-8")
    assert types("--selector", "ALL", "--allow-list", str(allow)) == ["USA_SOCIAL_SECURITY_NUMBER"]


def test_jsonl_custom_identifiers():
    res = _jsonl([{"id": 1, "text": "employee id EMP-123456"}], "--selector", "NONE",
                 "--custom-identifiers", str(REPO / "conf/custom_identifiers.example.yaml"))
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["detections"] == [
        {"type": "EMPLOYEE_ID", "start": 12, "end": 22, "confidence": 1.0}]


def test_jsonl_bad_input_and_bad_flags():
    res = CliRunner().invoke(detect, ["--jsonl"], input='{"id": 1, "text": "x"}\nnot json\n')
    assert res.exit_code == 1 and "stdin line 2" in res.output
    res = _jsonl([{"id": 1, "text": "x"}], "--include", "NOPE")
    assert res.exit_code == 1 and "unknown managed identifier id(s): NOPE" in res.output
    res = CliRunner().invoke(detect, [])
    assert res.exit_code == 2


def test_list_shows_every_identifier():
    from detectors import load_rules

    res = CliRunner().invoke(detect, ["--list"])
    assert res.exit_code == 0
    for r in load_rules():
        assert r.id in res.output
    assert "required (30)" in res.output and "card_number" in res.output


def test_files_table_is_masked(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text(f"hello\nssn {SSN}\n", encoding="utf-8")
    res = CliRunner().invoke(detect, [str(f)])
    assert res.exit_code == 0, res.output
    assert "USA_SOCIAL_SECURITY_NUMBER" in res.output and "***-**-8351" in res.output
    assert SSN not in res.output and "1 detection(s) in 1 file(s)" in res.output


def test_files_profile_lists_rule_costs(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text(f"ssn {SSN}\n", encoding="utf-8")
    res = CliRunner().invoke(detect, [str(f), "--profile"])
    assert res.exit_code == 0, res.output
    assert "Cost per rule" in res.output and "USA_SOCIAL_SECURITY_NUMBER" in res.output


def test_detect_starts_no_jvm():
    code = (
        "import sys, json\n"
        "from click.testing import CliRunner\n"
        "from jobs.cli import cli\n"
        "r = CliRunner().invoke(cli, ['detect', '--jsonl', '--selector', 'ALL'], "
        "input=json.dumps({'id': 1, 'text': 'ssn 536-22-8351'}) + '\\n')\n"
        "assert r.exit_code == 0, r.output\n"
        "print(r.output.strip())\n"
        "print(sorted(m for m in ('pyspark', 'py4j', 'boto3') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=False, cwd=REPO, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    result, modules = out.stdout.strip().splitlines()
    assert json.loads(result)["detections"][0]["type"] == "USA_SOCIAL_SECURITY_NUMBER"
    assert modules == "[]"


def test_config_takes_detectors_section():
    res = _jsonl([{"id": 1, "text": "mail jane.doe@lakescan-test.io, employee id EMP-123456"}],
                 "--config", str(REPO / "conf/local.yaml"))
    assert res.exit_code == 0, res.output
    types = [d["type"] for d in json.loads(res.output)["detections"]]
    assert "EMAIL_ADDRESS" in types  # conf/local.yaml selects ALL
    assert "EMPLOYEE_ID" in types    # and conf/custom_identifiers.example.yaml


def test_identifier_table_in_docs_is_generated_from_the_rules():
    from jobs.detect_cmd import identifiers_markdown

    doc = Path(__file__).resolve().parents[2] / "docs" / "identifiers.md"
    regenerate = "regenerate: lakescan detect --list --markdown > docs/identifiers.md"
    assert doc.read_text() == identifiers_markdown(), regenerate
    macie_rows = [line for line in doc.read_text().splitlines() if line.endswith("| yes |")]
    assert len(macie_rows) >= 166
