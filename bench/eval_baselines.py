"""Reference tools under the same scorer as lakescan (``python -m bench.eval --baselines``).

Adapters with the engine's ``detect(text, field_path=())`` shape, returning objects whose ``type`` is
already a canonical type (``bench.canonical.to_canonical`` passes canonical names through):

* ``presidio``: presidio-analyzer's predefined pattern recognizers, no NLP model (so no PERSON or LOCATION:
  this is not Presidio with spaCy, whose published figures are higher for names).
* ``detect-secrets``: default plugins and filters, line by line; a finding's span is its secret value in
  the line (or the whole line when the value cannot be located).
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.baselines import BaselineUnavailable


@dataclass(frozen=True)
class RefDetection:
    type: str
    category: str
    start: int
    end: int


PRESIDIO_TYPES = {
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "CREDIT_CARD": "CREDIT_CARD",
    "IBAN_CODE": "IBAN",
    "IP_ADDRESS": "IP_ADDRESS",
    "US_SSN": "US_SSN",
    "US_DRIVER_LICENSE": "US_DRIVER_LICENSE",
    "US_PASSPORT": "US_PASSPORT",
    "DATE_TIME": "DATE",
    "URL": "URL",
    "PERSON": "PERSON_NAME",
    "US_BANK_NUMBER": "BANK_ACCOUNT",
    "US_ITIN": "TAX_ID",
    "CRYPTO": "CRYPTO_WALLET",
    "MEDICAL_LICENSE": "MEDICAL",
    "UK_NHS": "MEDICAL",
}

DETECT_SECRETS_TYPES = {
    "AWS Access Key": "AWS_ACCESS_KEY",
    "Private Key": "PRIVATE_KEY",
    "JSON Web Token": "JWT",
    "Slack Token": "SLACK_TOKEN",
    "Stripe Access Key": "STRIPE_KEY",
    "GitHub Token": "GITHUB_TOKEN",
    "Basic Auth Credentials": "URL_WITH_CREDENTIALS",
}


class PresidioRef:
    name = "presidio-analyzer (patterns, no NLP)"

    def __init__(self) -> None:
        from bench.baselines import presidio

        presidio()  # fails early with BaselineUnavailable; also makes tldextract offline
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NoOpNlpEngine

        nlp = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "no_op"}])
        registry = RecognizerRegistry()
        registry.load_predefined_recognizers(nlp_engine=nlp, languages=["en"])
        self._engine = AnalyzerEngine(nlp_engine=nlp, registry=registry, supported_languages=["en"])

    def detect(self, text: str, field_path=()) -> list[RefDetection]:
        out = []
        for r in self._engine.analyze(text=text, language="en"):
            canon = PRESIDIO_TYPES.get(r.entity_type)
            if canon:
                out.append(RefDetection(canon, "", r.start, r.end))
        return out


class DetectSecretsRef:
    name = "detect-secrets"

    def __init__(self) -> None:
        try:
            from detect_secrets.core import scan as ds_scan
            from detect_secrets.settings import default_settings
        except ImportError as exc:
            raise BaselineUnavailable(f"detect-secrets not installed ({exc})") from exc
        self._scan = ds_scan
        self._settings = default_settings

    def detect(self, text: str, field_path=()) -> list[RefDetection]:
        lines = text.split("\n")
        starts, pos = [], 0
        for line in lines:
            starts.append(pos)
            pos += len(line) + 1
        out = []
        with self._settings():
            for s in self._scan._process_line_based_plugins(list(enumerate(lines, 1)), filename="eval.txt"):
                i = s.line_number - 1
                line = lines[i]
                value = s.secret_value or ""
                col = line.find(value) if value else -1
                a, b = (
                    (starts[i] + col, starts[i] + col + len(value)) if col >= 0 else (starts[i], starts[i] + len(line))
                )
                out.append(RefDetection(DETECT_SECRETS_TYPES.get(s.type, "GENERIC_SECRET"), "", a, b))
        return out


REFERENCE_TOOLS = {"presidio": PresidioRef, "detect-secrets": DetectSecretsRef}
