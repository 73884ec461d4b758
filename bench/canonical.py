"""Map lakescan detection types (rule ids) to the canonical types of the labelled eval corpora.

The canonical types and their classes are defined by ``shared/eval/README.md``. The mapping is driven
by rule id patterns and, as a last resort, by the detection's category, so that new rules land in the
right bucket without editing this file: e.g. every ``*_PASSPORT_NUMBER`` is a PASSPORT, every
``<COUNTRY>_BANK_ACCOUNT_NUMBER`` (Macie's IBAN identifiers) is an IBAN, and any credential type that no
specific pattern claims is a GENERIC_SECRET. Types with no canonical counterpart (card expiry dates,
VINs, GPS coordinates, custom identifiers, ...) map to ``None`` and are left out of the score.
"""

from __future__ import annotations

import re
from functools import lru_cache

PII = "PII"
FINANCIAL = "FINANCIAL"
SECRET = "SECRET"

CLASSES: dict[str, frozenset[str]] = {
    PII: frozenset(
        {
            "EMAIL",
            "PHONE",
            "PERSON_NAME",
            "ADDRESS",
            "DATE",
            "DATE_OF_BIRTH",
            "US_SSN",
            "US_PASSPORT",
            "PASSPORT",
            "US_DRIVER_LICENSE",
            "DRIVER_LICENSE",
            "NATIONAL_ID",
            "TAX_ID",
            "IP_ADDRESS",
            "MEDICAL",
            "URL",
        }
    ),
    FINANCIAL: frozenset({"CREDIT_CARD", "IBAN", "BANK_ACCOUNT", "ROUTING_NUMBER", "CRYPTO_WALLET"}),
    SECRET: frozenset(
        {
            "AWS_ACCESS_KEY",
            "AWS_SECRET_KEY",
            "PRIVATE_KEY",
            "GITHUB_TOKEN",
            "SLACK_TOKEN",
            "STRIPE_KEY",
            "GOOGLE_API_KEY",
            "JWT",
            "GENERIC_SECRET",
            "URL_WITH_CREDENTIALS",
        }
    ),
}
CANONICAL_TYPES: frozenset[str] = frozenset().union(*CLASSES.values())
CLASS_OF: dict[str, str] = {t: c for c, ts in CLASSES.items() for t in ts}

# Macie's IBAN identifiers are <COUNTRY>_BANK_ACCOUNT_NUMBER for these 52 countries (reference §1.2).
IBAN_COUNTRIES = frozenset(
    [
        "ALBANIA",
        "ANDORRA",
        "BOSNIA_AND_HERZEGOVINA",
        "BRAZIL",
        "BULGARIA",
        "COSTA_RICA",
        "CROATIA",
        "CYPRUS",
        "CZECH_REPUBLIC",
        "DENMARK",
        "DOMINICAN_REPUBLIC",
        "EGYPT",
        "ESTONIA",
        "FAROE_ISLANDS",
        "FINLAND",
        "FRANCE",
        "GEORGIA",
        "GERMANY",
        "GREECE",
        "GREENLAND",
        "HUNGARY",
        "ICELAND",
        "IRELAND",
        "ITALY",
        "JORDAN",
        "KOSOVO",
        "LIECHTENSTEIN",
        "LITHUANIA",
        "MALTA",
        "MAURITANIA",
        "MAURITIUS",
        "MONACO",
        "MONTENEGRO",
        "NETHERLANDS",
        "NORTH_MACEDONIA",
        "POLAND",
        "PORTUGAL",
        "SAN_MARINO",
        "SENEGAL",
        "SERBIA",
        "SLOVAKIA",
        "SLOVENIA",
        "SPAIN",
        "SWEDEN",
        "SWITZERLAND",
        "TIMOR_LESTE",
        "TUNISIA",
        "TURKIYE",
        "UK",
        "UKRAINE",
        "UNITED_ARAB_EMIRATES",
        "VIRGIN_ISLANDS",
    ]
)

# Exact ids first (Macie ids whose name does not say what they are), then ordered patterns.
EXACT: dict[str, str | None] = {
    "USA_SOCIAL_SECURITY_NUMBER": "US_SSN",
    "NAME": "PERSON_NAME",
    "ADDRESS": "ADDRESS",
    "DATE_OF_BIRTH": "DATE_OF_BIRTH",
    "DRIVERS_LICENSE": "US_DRIVER_LICENSE",  # Macie's US driver's licence id
    "USA_DRIVERS_LICENSE": "US_DRIVER_LICENSE",
    "USA_PASSPORT_NUMBER": "US_PASSPORT",
    "PHONE_NUMBER": "PHONE",
    "BANK_ACCOUNT_NUMBER": "BANK_ACCOUNT",  # Macie's US/CA bank account id
    "AWS_CREDENTIALS": "AWS_SECRET_KEY",  # Macie's id matches the secret access key
    "GCP_API_KEY": "GOOGLE_API_KEY",
    "JSON_WEB_TOKEN": "JWT",
    "PKCS": "PRIVATE_KEY",
    "HTTP_BASIC_AUTH_HEADER": "GENERIC_SECRET",
    "STRIPE_CREDENTIALS": "STRIPE_KEY",
    "UK_NATIONAL_INSURANCE_NUMBER": "NATIONAL_ID",
    "CANADA_SOCIAL_INSURANCE_NUMBER": "NATIONAL_ID",
    "SPAIN_SOCIAL_SECURITY_NUMBER": "NATIONAL_ID",
    "CANADA_NATIONAL_IDENTIFICATION_NUMBER": "NATIONAL_ID",
    "ITALY_NATIONAL_IDENTIFICATION_NUMBER": "NATIONAL_ID",
    # no canonical counterpart
    "CREDIT_CARD_EXPIRATION": None,
    "CREDIT_CARD_SECURITY_CODE": None,
    "CREDIT_CARD_MAGNETIC_STRIPE": None,
    "LATITUDE_LONGITUDE": None,
    "HTTP_COOKIE": None,
    "VEHICLE_IDENTIFICATION_NUMBER": None,
    "UK_ELECTORAL_ROLL_NUMBER": None,
    "ARGENTINA_TARJETA_SUBE": None,
    "BRAZIL_CEP_CODE": None,
}

# Ordered (pattern over the rule id, canonical type or None); the first match wins.
PATTERNS: tuple[tuple[re.Pattern[str], str | None], ...] = tuple(
    (re.compile(p), t)
    for p, t in (
        # credentials / secrets
        (r"^AWS_(ACCESS_KEY|ACCESS_KEY_ID|KEY_ID)\b|^AWS_ACCESS", "AWS_ACCESS_KEY"),
        (r"^AWS_(SECRET|SECRET_ACCESS_KEY|SECRET_KEY)", "AWS_SECRET_KEY"),
        # age's AGE-SECRET-KEY-1… is an X25519 private key
        (r"PRIVATE_KEY|^PEM_|_PEM$|^PKCS|^AGE_SECRET_KEY", "PRIVATE_KEY"),
        (r"^GITHUB", "GITHUB_TOKEN"),
        (r"^SLACK", "SLACK_TOKEN"),
        (r"^STRIPE", "STRIPE_KEY"),
        (r"^(GOOGLE|GCP)_(API_)?KEY|^GOOGLE_API|^GCP_API", "GOOGLE_API_KEY"),
        (r"^(JWT|JSON_WEB_TOKEN)", "JWT"),
        (
            r"URL.*(CRED|PASSWORD|AUTH)|(CRED|PASSWORD|AUTH).*URL|^URI_WITH|DSN_WITH",
            "URL_WITH_CREDENTIALS",
        ),
        # financial
        (r"^CREDIT_CARD_NUMBER|^CARD_NUMBER|^PAYMENT_CARD", "CREDIT_CARD"),
        (r"IBAN", "IBAN"),
        (r"BBAN|_BANK_ACCOUNT_NUMBER_(DOMESTIC|BBAN)$|SORT_CODE", "BANK_ACCOUNT"),
        (r"ROUTING|(^|_)ABA(_|$)", "ROUTING_NUMBER"),
        (r"BITCOIN|ETHEREUM|CRYPTO|WALLET", "CRYPTO_WALLET"),
        # personal
        (r"EMAIL", "EMAIL"),
        (r"^IP(V4|V6)?_ADDRESS|^IPV4|^IPV6", "IP_ADDRESS"),
        (r"^URI$", "URL"),
        (r"MAC_ADDRESS", None),
        (r"_PASSPORT(_NUMBER)?$|^PASSPORT", "PASSPORT"),
        (r"DRIVERS?_LICEN[CS]E|DRIVING_LICEN[CS]E", "DRIVER_LICENSE"),
        (r"PHONE", "PHONE"),
        (r"^(PERSON_?NAME|FULL_NAME|SINGLE_NAME(?:_CUED)?|CONTACT_NAME|KIN_NAME)$", "PERSON_NAME"),
        (r"ADDRESS$|POSTAL_ADDRESS|MAILING_ADDRESS|STREET_ADDRESS", "ADDRESS"),
        (
            r"TAX_(IDENTIFICATION|FILE|ID)|_CPF_|_CNPJ_|_NIT_|_RFC_|_NIE_|_NIF_|PERMANENT_ACCOUNT_NUMBER|_TIN$",
            "TAX_ID",
        ),
        (
            (
                r"NATIONAL_ID|_DNI_|_RG_NUMBER|_CURP_|AADHAAR|CITIZENSHIP|_RUT_|SOCIAL_INSURANCE|NATIONAL_INSURANCE|"
                r"SOCIAL_SECURITY|PERSONAL_IDENTITY|IDENTITY_CARD"
            ),
            "NATIONAL_ID",
        ),
        (
            r"HEALTH|MEDICARE|MEDICAL|NHS_NUMBER|DRUG|PROVIDER_IDENTIFIER|HCPCS|PROCEDURE_CODE|DEA_",
            "MEDICAL",
        ),
        (r"^DATE$|^DATE_TIME$", "DATE"),
        # generic credentials (after the specific ones)
        (r"PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|CREDENTIAL|AUTH", "GENERIC_SECRET"),
    )
)


def _iban_country(rule_id: str) -> bool:
    return rule_id.endswith("_BANK_ACCOUNT_NUMBER") and rule_id[: -len("_BANK_ACCOUNT_NUMBER")] in IBAN_COUNTRIES


@lru_cache(maxsize=4096)
def to_canonical(rule_id: str, category: str = "") -> str | None:
    """Canonical type for a lakescan detection type, or ``None`` if it has no counterpart.

    ``category`` is the detection's category (``CREDENTIALS``, ``FINANCIAL_INFORMATION``,
    ``PERSONAL_INFORMATION``, ``CUSTOM_IDENTIFIER``); it decides the fallback: an unclaimed credential
    type is a GENERIC_SECRET, anything else unclaimed is left out, and custom identifiers are always
    left out (they are the user's, not ours).
    """
    cat = (category or "").upper()
    if cat.startswith("CUSTOM"):
        return None
    rid = (rule_id or "").upper()
    if rid in CANONICAL_TYPES:
        return rid  # already canonical (e.g. IP_ADDRESS, IBAN, JWT)
    if rid in EXACT:
        return EXACT[rid]
    if _iban_country(rid):
        return "IBAN"
    is_credential = cat.startswith("CREDENTIAL")
    for pattern, canonical in PATTERNS:
        # a known category restricts the candidates: credentials map only to SECRET types and
        # personal / financial identifiers never do (ALIBABA_ACCESS_KEY_ID is no routing number)
        if cat and canonical is not None and (CLASS_OF[canonical] == SECRET) != is_credential:
            continue
        if pattern.search(rid):
            return canonical
    if is_credential:
        return "GENERIC_SECRET"
    return None


def canonical_class(canonical_type: str) -> str | None:
    return CLASS_OF.get(canonical_type)
