"""The optional ahocorasick-rs literal pass must give exactly the pyahocorasick engine's results."""
from __future__ import annotations

import random

import pytest

import detectors.engine as engine_mod
from detectors import get_engine, load_pack, load_rules
from detectors.candidates import CANDIDATES

pytest.importorskip("ahocorasick_rs")

KEY = b"k"


def _texts() -> list[str]:
    rng = random.Random(1234)
    texts = []
    words = ["ssn", "xssn", "ssn_", "card", "cardinal", "pan", "panel", "company", "visa", "credit card",
             "credit_card", "aws_secret_access_key", "-----BEGIN RSA PRIVATE KEY-----", "AKIA", "@", "://",
             "536-22-8351", "4539 1043 3218 1967", "4539104332181967", "AKIAGDZVGPMM4I3LR5PE",
             "jane.doe@lakescan-test.io", "u7WICPhDeOZIiBOB+Y6sHrFH2ZUCr+lgotu2iXW7", "10.1.2.3", "DE89 3704",
             "password", "token", "session", "passport", "Jane Doe", "é", "\n", ":", "=", "\"", " ", " ", " "]
    for _ in range(300):
        texts.append("".join(rng.choice(words) + rng.choice(["", " ", "=", ": ", "_", "-", "\t"])
                             for _ in range(rng.randint(1, 40))))
    for rule in load_rules():
        for s in (*rule.samples.positive, *rule.samples.negative):
            if not s.field_path:
                texts.append(s.text)
    return texts


@pytest.mark.parametrize("selector", ["RECOMMENDED", "ALL"])
def test_rs_backend_identical_to_pyahocorasick(selector, monkeypatch):
    monkeypatch.setattr(engine_mod, "_RS_MIN_LEN", 0)  # exercise the Rust pass on short texts too
    pack = load_pack(selector=selector, custom_identifiers="conf/custom_identifiers.example.yaml")
    ref = get_engine(pack, KEY, backend="pyahocorasick")
    fast = get_engine(pack, KEY, backend="ahocorasick_rs")
    assert ref.backend == "pyahocorasick" and fast.backend == "ahocorasick_rs"
    texts = _texts()
    texts.append("\n".join(texts[:200]))  # one long text
    for text in texts:
        assert fast._hits(text, None) == ref._hits(text, None), text
        assert fast.detect(text) == ref.detect(text), text
        assert fast.triggers(text) == ref.triggers(text), text


def test_unknown_backend_rejected():
    with pytest.raises(ValueError, match="backend must be one of"):
        get_engine(load_pack(), KEY, backend="hyperscan")


def test_at_hit_pattern_tried_only_at_hits(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text(
        "- id: TOKEN_ASSIGN\n  name: t\n  category: CREDENTIALS\n  macie: false\n  severity: credentials\n"
        "  keywords: {terms: [token], boundary: both}\n  max_length: 40\n"
        "  patterns: [{name: a, regex: '(?i)token\\s*=\\s*(?P<value>[a-z0-9]{8,40})', at_hit: true}]\n"
        "  samples: {positive: ['token = abcdef123456'], negative: ['tokens = abcdef123456']}\n",
        encoding="utf-8")
    eng = get_engine(load_pack("ALL", rule_files=[p]), KEY)
    text = "x token = abcdef123456 y TOKEN=zzzzzzzz9 tokens = qqqqqqqqqq"
    assert [text[d.start:d.end] for d in eng.detect(text)] == ["abcdef123456", "zzzzzzzz9"]


def test_ipv4_candidate_class():
    text = "ip 10.60.157.92, 192.168.0.1. v 1.2.3.4.5 ts 2026-11-24T12:00:00.123Z"
    spans = CANDIDATES["ipv4"].spans(text, text.encode("ascii", "replace"))
    assert [text[s:e] for s, e in spans] == ["10.60.157.92", "192.168.0.1"]
