"""Baseline detectors measured beside lakescan by ``bench.detect_bench``.

Each factory returns ``(name, version, scan)`` where ``scan(text) -> int`` runs the tool over one chunk of
text and returns its number of findings. Factories raise ``BaselineUnavailable`` when a tool is missing.

* ``presidio``: presidio-analyzer's ``AnalyzerEngine`` with its predefined *pattern* recognizers for
  English and a ``NoOpNlpEngine`` (no spaCy model is loaded or downloaded). tldextract, which the e-mail
  recognizer calls, is pointed at its bundled suffix list so it never fetches one over the network.
* ``detect-secrets``: Yelp's detect-secrets with its default plugins and filters, scanning the chunk line
  by line as ``scan_file`` does (without the file read).
* ``plain-re``: a handful of straightforward ``re`` patterns for the same types, ``re.finditer`` each over
  the chunk (card candidates checked with Luhn).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bench.report import version

Scan = Callable[[str], int]


class BaselineUnavailable(Exception):
    pass


def presidio() -> tuple[str, str, Scan]:
    try:
        import tldextract
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NoOpNlpEngine
    except ImportError as exc:
        raise BaselineUnavailable(f"presidio-analyzer not installed ({exc}); pip install -e '.[bench]'") from exc
    # offline public-suffix list: the bundled snapshot, no HTTP fetch, no cache writes
    tldextract.extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    nlp = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "no_op"}])
    registry = RecognizerRegistry()
    registry.load_predefined_recognizers(nlp_engine=nlp, languages=["en"])
    engine = AnalyzerEngine(nlp_engine=nlp, registry=registry, supported_languages=["en"])
    names = sorted(type(r).__name__ for r in registry.recognizers)

    def scan(text: str) -> int:
        return len(engine.analyze(text=text, language="en"))

    return (
        "presidio-analyzer (patterns, no NLP)",
        f"{version('presidio-analyzer')} ({len(names)} recognizers)",
        scan,
    )


def detect_secrets() -> tuple[str, str, Scan]:
    try:
        from detect_secrets.core import scan as ds_scan
        from detect_secrets.settings import default_settings
    except ImportError as exc:
        raise BaselineUnavailable(f"detect-secrets not installed ({exc}); pip install -e '.[bench]'") from exc
    process = getattr(ds_scan, "_process_line_based_plugins", None)

    def scan(text: str) -> int:
        with default_settings():
            if process is not None:
                lines = list(enumerate(text.splitlines(), 1))
                return sum(1 for _ in process(lines, filename="bench.txt"))
            return sum(1 for line in text.splitlines() for _ in ds_scan.scan_line(line))

    with default_settings():
        from detect_secrets.core.plugins.util import (
            get_mapping_from_secret_type_to_class,
        )

        n_plugins = len(get_mapping_from_secret_type_to_class())
    return "detect-secrets", f"{version('detect-secrets')} ({n_plugins} plugins)", scan


PLAIN_RE_PATTERNS: dict[str, str] = {
    "email": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
    "credit_card": r"\b(?:\d[ -]?){12,18}\d\b",
    "us_ssn": r"\b\d{3}-\d{2}-\d{4}\b",
    "phone": r"(?:\+\d{1,3}[ .-]?)?\(?\b\d{3}\)?[ .-]?\d{3}[ .-]?\d{4}\b",
    "ipv4": r"\b(?:\d{1,3}\.){3}\d{1,3}\b",
    "iban": r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b",
    "aws_access_key": r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b",
    "aws_secret_key": r"(?i)aws_secret_access_key\s*[:=]\s*[A-Za-z0-9/+]{40}",
    "github_token": r"\bgh[pousr]_[A-Za-z0-9]{36}\b",
    "slack_token": r"\bxox[abprs]-[A-Za-z0-9-]{10,}",
    "stripe_key": r"\b[rs]k_live_[A-Za-z0-9]{24,}",
    "google_api_key": r"\bAIza[0-9A-Za-z_-]{35}",
    "jwt": r"\beyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*",
    "private_key": r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----",
    "password": r"(?i)\b(?:password|passwd|pwd|secret)\s*[:=]\s*\S+",
    "url_credentials": r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@",
}


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def plain_re() -> tuple[str, str, Scan]:
    compiled = [(k, re.compile(p)) for k, p in PLAIN_RE_PATTERNS.items()]

    def scan(text: str) -> int:
        n = 0
        for kind, rx in compiled:
            if kind == "credit_card":
                for m in rx.finditer(text):
                    digits = m.group().replace(" ", "").replace("-", "")
                    if 13 <= len(digits) <= 19 and _luhn(digits):
                        n += 1
            else:
                for _ in rx.finditer(text):
                    n += 1
        return n

    return "plain re", f"(stdlib, {len(compiled)} patterns)", scan


BASELINES: dict[str, Callable[[], tuple[str, str, Scan]]] = {
    "presidio": presidio,
    "detect-secrets": detect_secrets,
    "plain-re": plain_re,
}
