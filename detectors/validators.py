"""Named pure validators: value text -> bool (True = the value is structurally valid).

Rules refer to these by name (``validators: [luhn]``); ``VALIDATORS`` is the registry. Every function
takes the matched text as found (it strips its own separators), never raises on odd input, and
imports nothing beyond the standard library.
"""
from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Callable

__all__ = ["VALIDATORS"]

# lower-case (Dutch, German) surname particles between a given name and a surname: Ludwig van Beethoven,
# Maika van de Noort, Willemine ten Pas, Ursula von der Leyen (NAME's particle pattern, the name candidate
# class). Not the Romance ones (de, del, da, dos): those name places as often as people (Mora de Rubielos,
# Costa del Sol).
PARTICLES = ("van", "von", "ten", "ter")
SECOND_PARTICLES = ("de", "der", "den")
# before a given name, these make it part of a place or street name (St Georges, San Michele, Via del Campo)
PLACE_PREFIXES = frozenset({
    "st", "ste", "saint", "san", "santa", "santo", "são", "sao", "fort", "port", "mount", "mt", "lake", "cape",
    "el", "la", "le", "del", "de", "di", "da", "do", "dos", "das", "du", "des", "van", "von", "der", "den", "ten",
    "ter", "rue", "via", "rua", "av", "avenida", "calle", "u", "ul", "plaza", "piazza", "praça", "camino", "lady",
    "king", "queen", "prince", "princess"})

_SEP = re.compile(r"[\s\-./]")


def remembered(memo: dict[int, bool], value: str, judge: Callable[[str], bool], limit: int = 4096) -> bool:
    """``judge(value)`` for a pure ``judge``, remembered in ``memo`` by the value's hash (SipHash with this
    process's random seed), so that the memo keeps no scanned value alive; emptied when it holds ``limit``
    verdicts. Two of 4096 values share a 64-bit hash with a probability of about 1e-12."""
    key = hash(value)
    ok = memo.get(key)
    if ok is None:
        if len(memo) >= limit:
            memo.clear()
        ok = memo[key] = judge(value)
    return ok


def _digits(value: str, seps: str = " -") -> str:
    """Strip the given separator characters; return "" if anything other than digits remains."""
    s = value.strip()
    for ch in seps:
        s = s.replace(ch, "")
    return s if s.isdigit() and s.isascii() else ""


def _alnum(value: str) -> str:
    return _SEP.sub("", value.strip()).upper()


_LUHN_DOUBLED = bytes.maketrans(b"0123456789", bytes((0, 2, 4, 6, 8, 1, 3, 5, 7, 9)))  # 2d, less 9 when > 9


def _luhn_ok(digits: str) -> bool:
    if digits.isascii() and digits.isdigit():
        # from the right: the 1st, 3rd, ... digits as they are, the 2nd, 4th, ... doubled (C-level sums)
        b = digits.encode("ascii")[::-1]
        odd = b[0::2]
        return (sum(odd) - 48 * len(odd) + sum(b[1::2].translate(_LUHN_DOUBLED))) % 10 == 0
    return _luhn_reference(digits)


def _luhn_reference(digits: str) -> bool:
    """Luhn, digit by digit (any other character counts as its code point less 48)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def shannon_entropy(s: str) -> float:
    """Shannon entropy in bits per character."""
    if not s:
        return 0.0
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values())


# --------------------------------------------------------------------------- payment cards

def luhn(value: str) -> bool:
    """Luhn mod-10 over the digits after stripping spaces and dashes (12-19 digits, not all equal)."""
    return _luhn_digits(_digits(value))


def _luhn_digits(d: str) -> bool:
    """``luhn`` of a string of digits."""
    return 12 <= len(d) <= 19 and _luhn_ok(d) and len(set(d)) > 1


# --------------------------------------------------------------------------- US SSN

_SSN_SAMPLES = frozenset({
    "078051120",  # Woolworth wallet card
    "219099999",  # Social Security Board pamphlet
    "123456789",
    "111111111",
    "987654320", "987654321", "987654322", "987654323", "987654324",
    "987654325", "987654326", "987654327", "987654328", "987654329",  # advertising range
    "457555462",  # LifeLock CEO
})
_SSN_RE = re.compile(r"^(\d{3})([ \-.]?)(\d{2})([ \-.]?)(\d{4})$")


def ssn(value: str) -> bool:
    """US SSN: area not 000/666/9xx, group not 00, serial not 0000, consistent delimiters, no samples."""
    m = _SSN_RE.match(value.strip())
    if not m:
        return False
    area, d1, group, d2, serial = m.groups()
    if d1 != d2:
        return False
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    digits = area + group + serial
    return not (digits in _SSN_SAMPLES or len(set(digits)) == 1)


# --------------------------------------------------------------------------- secrets

_B64ISH = re.compile(r"^[A-Za-z0-9/+=]{40}$")


def aws_secret_key(value: str) -> bool:
    """AWS secret access key: exactly 40 base64-ish chars, mixed classes, entropy >= 4.0 bits/char."""
    s = value.strip().strip("'\"")
    if not _B64ISH.match(s):
        return False
    if s == "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY":  # AWS documentation example
        return False
    if "EXAMPLE" in s.upper() or "XXXX" in s.upper():
        return False
    classes = sum(bool(re.search(p, s)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]"))
    if classes < 2:
        return False
    return shannon_entropy(s) >= 4.0


def high_entropy(value: str) -> bool:
    """Generic secret value: >= 16 chars (>= 12 with 3 character classes), entropy >= 3.5 bits/char
    (3.0 for hex), not a placeholder/word."""
    s = value.strip().strip("'\"")
    if len(s) < 12:
        return False
    low = s.lower()
    for bad in ("example", "xxxx", "changeme", "placeholder", "your_", "dummy", "sample", "redacted",
                "<", "${", "{{", "****", "0000000", "1234567", "abcdef"):
        if bad in low:
            return False
    classes = sum(bool(re.search(p, s)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^A-Za-z0-9]"))
    if classes < 2 or (len(s) < 16 and classes < 3):
        return False
    if not re.search(r"\d", s) and re.fullmatch(r"[A-Za-z_.$-]+", s):  # identifiers: self.auth_backend
        return False
    if re.fullmatch(r"[0-9a-f]+|[0-9A-F]+", s):  # hex digests/keys: at most 4 bits per char
        return shannon_entropy(s) >= 3.0
    return shannon_entropy(s) >= min(3.5, math.log2(len(s)) - 0.6)  # short strings cannot reach 3.5


_EMAIL_RE = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
_EMAIL_RESERVED_DOMAINS = ("example.com", "example.org", "example.net", "example.edu", "test", "invalid",
                           "localhost", "example", "domain.com")


def email(value: str) -> bool:
    """E-mail sanity: RFC-ish syntax, local part <= 64, total <= 254, not a reserved example domain."""
    s = value.strip()
    if len(s) > 254 or not _EMAIL_RE.match(s):
        return False
    local, _, domain = s.rpartition("@")
    if len(local) > 64:
        return False
    domain = domain.lower()
    for r in _EMAIL_RESERVED_DOMAINS:
        if domain == r or domain.endswith("." + r):
            return False
    tld = domain.rsplit(".", 1)[-1]
    # file names mistaken for e-mails: foo@2x.png
    return tld not in ("png", "jpg", "jpeg", "gif", "svg", "webp", "js", "css")


# --------------------------------------------------------------------------- payment cards (brand-aware)

# Issuer test / documentation numbers that are never reported (Stripe, Adyen, Braintree, PayPal docs…).
_TEST_PANS = frozenset({
    "4111111111111111", "4012888888881881", "4222222222222", "4242424242424242", "4000056655665556",
    "4000000000000002", "4000000000009995", "4000000000000077", "4000002500003155", "4000000000003220",
    "4005519200000004", "4009348888881881", "4012000033330026", "4012000077777777", "4217651111111119",
    "4500600000000061", "4988438843884305", "4166676667666746", "4646464646464644", "4003830171874018",
    "4444333322221111", "4917610000000000", "4462030000000000", "4917300800000000", "4484070000000000",
    "4035501000000008", "4151500000000008", "4571000000000001", "4199350000000002", "4001590000000001",
    "5555555555554444", "5105105105105100", "5200828282828210", "5454545454545454", "5431111111111111",
    "5500000000000004", "5555341244441115", "5577000055770004", "5136333333333335", "5585558555855583",
    "2223003122003222", "2223000048400011", "2222400070000005", "2222410740360010",
    "378282246310005", "371449635398431", "378734493671000", "370000000000002", "340000000000009",
    "343434343434343", "6011111111111117", "6011000990139424", "6011000400000000",
    "6011601160116611", "6445644564456445", "6011000000000004", "30569309025904", "38520000023237",
    "36227206271667", "36700102000000", "36148900647913", "3530111333300000", "3566002020360505",
    "3566111111111113", "3569990010095841", "6200000000000005", "6205500000000000004",
    "6759649826438453", "6799990100000000019", "5019717010103742", "6304000000000000", "6331101999990016",
})

_CARD_BRANDS = (
    # (prefix regex, allowed lengths)
    (re.compile(r"^4"), (13, 16, 19)),                                    # Visa / Electron
    (re.compile(r"^(5[1-5]|2(2[2-9][1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720))"), (16,)),  # Mastercard
    (re.compile(r"^3[47]"), (15,)),                                       # Amex
    (re.compile(r"^(6011|64[4-9]|65)"), (16, 17, 18, 19)),                # Discover
    (re.compile(r"^(30[0-5]|3095|36|3[89])"), (14, 15, 16, 17, 18, 19)),  # Diners
    (re.compile(r"^35"), (16, 17, 18, 19)),                               # JCB (3528-3589 issued; 35xx tolerated)
    (re.compile(r"^(2131|1800)"), (15,)),                                 # JCB (legacy 15-digit)
    (re.compile(r"^62"), (16, 17, 18, 19)),                               # UnionPay
    (re.compile(r"^5019|^4571"), (16,)),                                  # Dankort
    (re.compile(r"^(50|5[6-9]|6\d)"), (12, 13, 14, 15, 16, 17, 18, 19)),  # Maestro
)


_CARD_GROUPS = re.compile(r"\d{4}(?:[ \-]\d{6}[ \-]\d{4,5}|(?:[ \-]\d{4})*[ \-]\d{1,4})")


def card_number(value: str) -> bool:
    """Payment card: Luhn + a known brand prefix/length, not an issuer test number, and printed as cards are:
    one run of digits, or groups of four with a last group of one to four (``4539 1043 3218 1967``,
    ``6212 3456 7890 1234 567``) or the 4-6-5 / 4-6-4 of Amex and Diners (``3714 496353 98431``). A digit
    run with other groups is not a card (``404 232405 1349``: status, bytes and milliseconds in an access
    log)."""
    d = _digits(value)
    if not _luhn_digits(d) or d in _TEST_PANS:
        return False
    if len(d) != len(value) and _CARD_GROUPS.fullmatch(value.strip()) is None:
        return False
    if len(set(d[1:])) == 1:  # 4000000000000002-style fillers
        return False
    n = len(d)
    return any(n in lengths and p.match(d) for p, lengths in _CARD_BRANDS)


def not_gtin13(value: str) -> bool:
    """Not a GS1 GTIN-13 (EAN-13) product code: 13 digits whose last one is the GS1 check digit (weights 1
    and 3 from the left) are a barcode. About 1 in 10 real EAN-13 codes with a 4 or 5x prefix (Germany,
    the UK, ...) also pass Luhn and a card brand's prefix; a card without a keyword nearby is not
    reported for them. Only Visa and Maestro have 13-digit numbers (``_CARD_BRANDS``), both rare today."""
    d = _digits(value)
    if len(d) != 13:
        return True
    total = sum((3 if i % 2 else 1) * (ord(c) - 48) for i, c in enumerate(d[:12]))
    return (10 - total % 10) % 10 != ord(d[12]) - 48


def card_expiration(value: str) -> bool:
    """MM/YY, MM/YYYY, MM-YY, 'Feb 2026', YYYY-MM: month 01-12 and a plausible year."""
    s = value.strip().lower()
    months = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    m = re.search(r"\b([a-z]{3})[a-z]*\.?\s*[-/ ]?\s*'?(\d{2}|\d{4})\b", s)
    if m and m.group(1) in months:
        y = int(m.group(2))
        return y < 100 or 1990 <= y <= 2099
    nums = re.findall(r"\d+", s)
    if len(nums) != 2:
        return False
    a, b = nums
    if len(a) == 4:
        a, b = b, a
    if len(a) > 2 or len(b) not in (2, 4):
        return False
    if not 1 <= int(a) <= 12:
        return False
    return len(b) == 2 or 1990 <= int(b) <= 2099


def card_security_code(value: str) -> bool:
    """CVV/CVC: 3 or 4 digits, not 000/0000."""
    d = _digits(value)
    return len(d) in (3, 4) and d.strip("0") != ""


_TRACK1 = re.compile(r"%?B(\d{12,19})\^[^^]{2,26}\^(\d{4})\d*")
_TRACK2 = re.compile(r";?(\d{12,19})=(\d{4})\d*")


def magnetic_stripe(value: str) -> bool:
    """ISO 7813 track 1 or 2: the PAN inside passes Luhn and the YYMM expiry has a month 01-12."""
    s = value.strip()
    m = _TRACK1.search(s) or _TRACK2.search(s)
    if not m:
        return False
    pan, yymm = m.groups()
    return luhn(pan) and pan not in _TEST_PANS and 1 <= int(yymm[2:]) <= 12


# --------------------------------------------------------------------------- IBAN / BBAN

# ISO 13616 registry: country -> (total length, BBAN structure in registry notation)
IBAN_FORMATS: dict[str, tuple[int, str]] = {
    "AD": (24, "4n4n12c"), "AE": (23, "3n16n"), "AL": (28, "8n16c"), "AT": (20, "5n11n"),
    "AZ": (28, "4a20c"), "BA": (20, "3n3n8n2n"), "BE": (16, "3n7n2n"), "BG": (22, "4a4n2n8c"),
    "BH": (22, "4a14c"), "BR": (29, "8n5n10n1a1c"), "BY": (28, "4c4n16c"), "CH": (21, "5n12c"),
    "CR": (22, "4n14n"), "CY": (28, "3n5n16c"), "CZ": (24, "4n6n10n"), "DE": (22, "8n10n"),
    "DK": (18, "4n9n1n"), "DO": (28, "4c20n"), "EE": (20, "2n2n11n1n"), "EG": (29, "4n4n17n"),
    "ES": (24, "4n4n1n1n10n"), "FI": (18, "3n11n"), "FO": (18, "4n9n1n"), "FR": (27, "5n5n11c2n"),
    "GB": (22, "4a6n8n"), "GE": (22, "2a16n"), "GI": (23, "4a15c"), "GL": (18, "4n9n1n"),
    "GR": (27, "3n4n16c"), "GT": (28, "4c20c"), "HR": (21, "7n10n"), "HU": (28, "3n4n1n15n1n"),
    "IE": (22, "4a6n8n"), "IL": (23, "3n3n13n"), "IQ": (23, "4a3n12n"), "IS": (26, "4n2n6n10n"),
    "IT": (27, "1a5n5n12c"), "JO": (30, "4a4n18c"), "KW": (30, "4a22c"), "KZ": (20, "3n13c"),
    "LB": (28, "4n20c"), "LC": (32, "4a24c"), "LI": (21, "5n12c"), "LT": (20, "5n11n"),
    "LU": (20, "3n13c"), "LV": (21, "4a13c"), "LY": (25, "3n3n15n"), "MC": (27, "5n5n11c2n"),
    "MD": (24, "2c18c"), "ME": (22, "3n13n2n"), "MK": (19, "3n10c2n"), "MR": (27, "5n5n11n2n"),
    "MT": (31, "4a5n18c"), "MU": (30, "4a2n2n12n3n3a"), "NL": (18, "4a10n"), "NO": (15, "4n6n1n"),
    "PK": (24, "4a16c"), "PL": (28, "8n16n"), "PS": (29, "4a21c"), "PT": (25, "4n4n11n2n"),
    "QA": (29, "4a21c"), "RO": (24, "4a16c"), "RS": (22, "3n13n2n"), "SA": (24, "2n18c"),
    "SC": (31, "4a2n2n16n3a"), "SE": (24, "3n16n1n"), "SI": (19, "5n8n2n"), "SK": (24, "4n6n10n"),
    "SM": (27, "1a5n5n12c"), "SN": (28, "2c22n"), "ST": (25, "8n11n2n"), "SV": (28, "4a20n"),
    "TL": (23, "3n14n2n"), "TN": (24, "2n3n13n2n"), "TR": (26, "5n1n16c"), "UA": (29, "6n19c"),
    "VA": (22, "3n15n"), "VG": (24, "4c16n"), "XK": (20, "4n10n2n"),
}
_SPEC_CLASS = {"n": "[0-9]", "a": "[A-Z]", "c": "[A-Z0-9]"}


def _spec_regex(spec: str) -> re.Pattern[str]:
    return re.compile("^" + "".join(f"{_SPEC_CLASS[t]}{{{n}}}" for n, t in re.findall(r"(\d+)([nac])", spec)) + "$")


_BBAN_RE = {cc: _spec_regex(spec) for cc, (_, spec) in IBAN_FORMATS.items()}

# Registry / documentation example IBANs, never reported.
_IBAN_EXAMPLES = frozenset({
    "DE89370400440532013000", "GB82WEST12345698765432", "GB33BUKB20201555555555",
    "FR1420041010050500013M02606", "FR7630006000011234567890189", "ES9121000418450200051332",
    "IT60X0542811101000000123456", "NL91ABNA0417164300", "CH9300762011623852957", "BE68539007547034",
    "AT611904300234573201", "PL61109010140000071219812874", "DE75512108001245126199",
    "NL02ABNA0123456789", "GB94BARC10201530093459",
})


def _mod97(s: str) -> int:
    r = 0
    for ch in s:
        v = ord(ch) - 48 if ch.isdigit() else ord(ch) - 55
        r = (r * (100 if v > 9 else 10) + v) % 97
    return r


def iban(value: str) -> bool:
    """IBAN: known country, exact length, BBAN structure per ISO 13616 registry, mod-97 == 1."""
    s = _alnum(value)
    s = s.removeprefix("IBAN")
    if len(s) < 15 or not s.isascii() or not s.isalnum():
        return False
    cc = s[:2]
    fmt = IBAN_FORMATS.get(cc)
    if fmt is None or len(s) != fmt[0] or not s[2:4].isdigit():
        return False
    if not _BBAN_RE[cc].match(s[4:]):
        return False
    if s in _IBAN_EXAMPLES or len(set(s[4:])) == 1:
        return False
    return _mod97(s[4:] + s[:4]) == 1


def iban_any_case(value: str) -> bool:
    """An IBAN written in any case (``gb42nawi04454264788619``): ``iban`` of its upper-case form."""
    return iban(value.upper())


def _rib_key_ok(s: str) -> bool:
    # French RIB: letters map A-I->1-9, J-R->1-9, S-Z->2-9
    t = "".join(ch if ch.isdigit() else str(ord(ch) - (64 if ch <= "I" else 73 if ch <= "R" else 81)) for ch in s)
    bank, branch, account, key = int(t[:5]), int(t[5:10]), int(t[10:21]), int(t[21:23])
    return (89 * bank + 15 * branch + 3 * account + key) % 97 == 0


def _es_dc(digits: str) -> int:
    w = (1, 2, 4, 8, 5, 10, 9, 7, 3, 6)
    r = 11 - sum(int(c) * w[i] for i, c in enumerate(digits.rjust(10, "0"))) % 11
    return {11: 0, 10: 1}.get(r, r)


def bban_fr(value: str) -> bool:
    """French RIB (23): 5n bank, 5n branch, 11c account, 2n RIB key (mod 97)."""
    s = _alnum(value)
    return bool(_BBAN_RE["FR"].match(s)) and len(set(s)) > 1 and _rib_key_ok(s)


def bban_de(value: str) -> bool:
    """German BBAN (18 digits): 8-digit Bankleitzahl (first digit 1-8) + 10-digit account."""
    s = _alnum(value)
    return bool(_BBAN_RE["DE"].match(s)) and s[0] in "12345678" and s[8:].strip("0") != ""


def bban_it(value: str) -> bool:
    """Italian BBAN (23): CIN letter, 5n ABI, 5n CAB, 12c account, with the CIN check letter."""
    s = _alnum(value)
    if not _BBAN_RE["IT"].match(s):
        return False
    odd = (1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23)
    total = 0
    for i, ch in enumerate(s[1:]):
        v = int(ch) if ch.isdigit() else ord(ch) - 65
        total += odd[v] if i % 2 == 0 else v
    return chr(65 + total % 26) == s[0]


def bban_es(value: str) -> bool:
    """Spanish CCC (20 digits): entity, office, 2 control digits, account."""
    s = _alnum(value)
    if not _BBAN_RE["ES"].match(s) or s[10:].strip("0") == "":
        return False
    return _es_dc("00" + s[:8]) == int(s[8]) and _es_dc(s[10:]) == int(s[9])


def bban_uk(value: str) -> bool:
    """UK BBAN: 4-letter bank code + 6-digit sort code + 8-digit account, or sort code + account."""
    s = _alnum(value)
    if re.match(r"^[A-Z]{4}\d{14}$", s):
        s = s[4:]
    if not re.match(r"^\d{14}$", s):
        return False
    return s[6:].strip("0") != "" and s[:6] != "000000" and len(set(s)) > 2


def _iban_or(value: str, cc: str, bban_check: Callable[[str], bool]) -> bool:
    s = _alnum(value).removeprefix("IBAN")
    if s[:2] == cc and s[2:4].isdigit() and len(s) == IBAN_FORMATS[cc][0]:
        return iban(s)
    return bban_check(value)


def bank_fr(value: str) -> bool:
    """France: an FR IBAN, or a RIB/BBAN with its key."""
    return _iban_or(value, "FR", bban_fr)


def bank_de(value: str) -> bool:
    """Germany: a DE IBAN, or a BLZ + account BBAN."""
    return _iban_or(value, "DE", bban_de)


def bank_it(value: str) -> bool:
    """Italy: an IT IBAN, or a BBAN with its CIN."""
    return _iban_or(value, "IT", bban_it)


def bank_es(value: str) -> bool:
    """Spain: an ES IBAN, or a CCC with both control digits."""
    return _iban_or(value, "ES", bban_es)


def bank_uk(value: str) -> bool:
    """UK: a GB IBAN, or bank code/sort code + account number."""
    return _iban_or(value, "GB", bban_uk)


def bank_account_us(value: str) -> bool:
    """US/CA bank account: 9-17 digits, not all one digit, not an ascending run."""
    d = _digits(value, "")
    if not 9 <= len(d) <= 17 or len(set(d)) == 1:
        return False
    return d not in "0123456789012345678" and d not in "9876543210987654321"


def aba_routing(value: str) -> bool:
    """ABA routing number: 9 digits, valid Fed prefix, 3-7-1 checksum."""
    d = _digits(value)
    if len(d) != 9:
        return False
    p = int(d[:2])
    if not (p <= 12 or 21 <= p <= 32 or 61 <= p <= 72 or p == 80):
        return False
    if d == "123456780" or len(set(d)) == 1:
        return False
    w = (3, 7, 1) * 3
    return sum(int(c) * w[i] for i, c in enumerate(d)) % 10 == 0


# --------------------------------------------------------------------------- check-digit helpers

_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 2, 3, 4, 0, 6, 7, 8, 9, 5), (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7), (4, 0, 1, 2, 3, 9, 5, 6, 7, 8), (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2), (7, 6, 5, 9, 8, 2, 1, 0, 4, 3), (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 5, 7, 6, 2, 8, 3, 0, 9, 4), (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7), (9, 4, 5, 3, 1, 2, 6, 8, 7, 0), (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5), (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)


def _verhoeff_ok(d: str) -> bool:
    c = 0
    for i, ch in enumerate(reversed(d)):
        c = _VERHOEFF_D[c][_VERHOEFF_P[i % 8][int(ch)]]
    return c == 0


def _iso7064_mod11_10_ok(d: str) -> bool:
    p = 10
    for ch in d[:-1]:
        s = (int(ch) + p) % 10 or 10
        p = (2 * s) % 11
    return (11 - p) % 10 == int(d[-1])


def _weighted(d: str, weights: tuple[int, ...]) -> int:
    return sum(int(c) * w for c, w in zip(d, weights))


def _icao_check(s: str) -> int:
    w = (7, 3, 1)
    total = 0
    for i, ch in enumerate(s):
        v = 0 if ch == "<" else int(ch) if ch.isdigit() else ord(ch) - 55
        total += v * w[i % 3]
    return total % 10


# --------------------------------------------------------------------------- North America

def sin_ca(value: str) -> bool:
    """Canadian SIN: 9 digits, first digit 1-7 or 9, Luhn; not the 046 454 286 specimen."""
    d = _digits(value)
    if len(d) != 9 or d[0] in "08" or d == "046454286" or len(set(d)) == 1:
        return False
    return _luhn_ok(d)


def itin(value: str) -> bool:
    """US ITIN: 9xx-[50-65|70-88|90-92|94-99]-xxxx."""
    m = _SSN_RE.match(value.strip())
    if not m or m.group(2) != m.group(4) or m.group(1)[0] != "9":
        return False
    g = int(m.group(3))
    return (50 <= g <= 65 or 70 <= g <= 88 or 90 <= g <= 92 or 94 <= g <= 99) and m.group(5) != "0000"


def npi(value: str) -> bool:
    """US NPI: 10 digits starting 1 or 2, Luhn over the 80840 prefix + number."""
    d = _digits(value)
    if len(d) != 10 or d[0] not in "12" or d == "1234567893":
        return False
    return _luhn_ok("80840" + d)


def dea(value: str) -> bool:
    """DEA registration: 2 letters + 7 digits; (d1+d3+d5) + 2*(d2+d4+d6) ends in d7."""
    s = _alnum(value)
    if not re.match(r"^[ABCDEFGHJKLMPRSTUX][A-Z9]\d{7}$", s):
        return False
    d = [int(c) for c in s[2:]]
    return (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10 == d[6] and s[2:] != "1234563"


_MBI_RE = re.compile(
    r"^[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d[AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d"
    r"[AC-HJKMNP-RT-Y]{2}\d{2}$"
)


def mbi(value: str) -> bool:
    """Medicare Beneficiary Identifier (CMS format): 11 chars, no S L O I B Z letters."""
    s = _alnum(value)
    return bool(_MBI_RE.match(s)) and s != "1EG4TE5MK73"  # CMS specimen


def hicn(value: str) -> bool:
    """Medicare HICN: 9-digit SSN-like number + 1-2 char BIC suffix (or RRB 1-3 letter prefix)."""
    s = _alnum(value)
    m = re.match(r"^(\d{9})([A-Z]\d?|[A-Z]{2})$", s) or re.match(r"^[A-Z]{1,3}(\d{6}|\d{9})$", s)
    if not m:
        return False
    d = re.sub(r"\D", "", s)
    if len(d) == 9:
        return d[:3] not in ("000", "666") and d[3:5] != "00" and d[5:] != "0000"
    return d.strip("0") != ""


def ndc(value: str) -> bool:
    """National Drug Code: 4-4-2, 5-3-2, 5-4-1 (10 digits) or 5-4-2 (11 digits) segments."""
    s = value.strip()
    parts = re.split(r"[-\s]", s)
    if len(parts) == 3:
        shape = tuple(len(p) for p in parts)
        if shape not in ((4, 4, 2), (5, 3, 2), (5, 4, 1), (5, 4, 2)):
            return False
        if not all(p.isdigit() for p in parts):
            return False
    elif not (s.isdigit() and len(s) in (10, 11)):
        return False
    d = re.sub(r"\D", "", s)
    return d.strip("0") != "" and len(set(d)) > 2


def hcpcs(value: str) -> bool:
    """HCPCS Level II (A0000-V9999, no I/O/U-like letters only) or CPT (5 digits, or 4 digits + F/T/U)."""
    s = value.strip().upper()
    return bool(re.match(r"^([A-CEGHJ-MP-V]\d{4}|\d{5}|\d{4}[FTUM])$", s)) and s not in ("00000", "99999")


def _gtin_ok(d: str) -> bool:
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(d[:-1])))
    return (10 - total % 10) % 10 == int(d[-1])


def udi(value: str) -> bool:
    """Medical device UDI: GS1 (01)+GTIN-14 with its check digit, HIBCC (+…), or ISBT 128 (=/…)."""
    s = value.strip()
    m = re.search(r"\(?01\)?\s?(\d{14})", s)
    if m:
        return _gtin_ok(m.group(1)) and m.group(1).strip("0") != ""
    if re.match(r"^\+[A-Z]\d{3}[A-Z0-9]{1,18}\d[A-Z0-9$+%/.\- ]$", s):
        return True
    return bool(re.match(r"^=/?[A-Z0-9]{5,}", s))


_CA_HEALTH = re.compile(r"^(\d{10})([A-Z]{0,2})$")


def canada_health(value: str) -> bool:
    """Canadian provincial health numbers: Ontario (10 digits + version, Luhn), BC PHN (9 + mod 11),
    Quebec RAMQ (4 letters + 8 digits), Alberta/Manitoba/Saskatchewan (9 digits), Nova Scotia (10)."""
    s = _alnum(value)
    if re.match(r"^[A-Z]{4}\d{8}$", s):  # Quebec: NAME-like letters, YYMMDD (+50 for women) + seq
        mm = int(s[6:8])
        return 1 <= (mm - 50 if mm > 50 else mm) <= 12
    m = _CA_HEALTH.match(s)
    if m:
        d = m.group(1)
        if len(set(d)) == 1:
            return False
        if d[0] == "9":  # BC PHN
            w = (2, 4, 8, 5, 10, 9, 7, 3)
            r = 11 - _weighted(d[1:9], w) % 11
            if r < 10 and r == int(d[9]):
                return True
        return _luhn_ok(d)  # Ontario
    d = _digits(value)
    return len(d) == 9 and len(set(d)) > 1 and d.strip("0") != ""


def vin(value: str) -> bool:
    """VIN (ISO 3779): 17 chars, no I/O/Q, check digit (position 9) for North-American / Chinese WMIs."""
    s = _alnum(value)
    if not re.match(r"^[A-HJ-NPR-Z0-9]{17}$", s) or len(set(s)) < 5:
        return False
    if s[9] in "UZ0":  # model-year position never uses these
        return False
    if not re.search(r"\d{3,}$", s[-6:]) and not s[-4:].isdigit():
        return False
    vals = {**{str(i): i for i in range(10)},
            **dict(zip("ABCDEFGH", range(1, 9))), **dict(zip("JKLMN", range(1, 6))), "P": 7, "R": 9,
            **dict(zip("STUVWXYZ", range(2, 10)))}
    w = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
    r = sum(vals[c] * w[i] for i, c in enumerate(s)) % 11
    check = "X" if r == 10 else str(r)
    if s[0] in "12345L":  # North America and China require the check digit
        return s[8] == check
    return True


# --------------------------------------------------------------------------- Europe

_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def spain_dni(value: str) -> bool:
    """Spanish DNI: 8 digits + control letter (mod 23)."""
    s = _alnum(value)
    if not re.match(r"^\d{8}[A-Z]$", s) or s[:8] in ("00000000", "99999999", "12345678"):
        return False
    return _DNI_LETTERS[int(s[:8]) % 23] == s[8]


def spain_nie(value: str) -> bool:
    """Spanish NIE: X/Y/Z + 7 digits + control letter."""
    s = _alnum(value)
    if not re.match(r"^[XYZ]\d{7}[A-Z]$", s) or s[1:8].strip("0") == "":
        return False
    n = int(str("XYZ".index(s[0])) + s[1:8])
    return _DNI_LETTERS[n % 23] == s[8] and s not in ("X1234567L", "Y1234567X", "Z1234567R")


def spain_cif(value: str) -> bool:
    """Spanish CIF (legal entity NIF): letter + 7 digits + control digit/letter."""
    s = _alnum(value)
    if not re.match(r"^[ABCDEFGHJNPQRSUVW]\d{7}[0-9A-J]$", s) or s[1:8].strip("0") == "":
        return False
    digits = s[1:8]
    even = sum(int(digits[i]) for i in (1, 3, 5))
    odd = sum(sum(divmod(int(digits[i]) * 2, 10)) for i in (0, 2, 4, 6))
    c = (10 - (even + odd) % 10) % 10
    letter = "JABCDEFGHI"[c]
    if s[0] in "KPQRSNW":
        return s[8] == letter
    if s[0] in "ABEH":
        return s[8] == str(c)
    return s[8] in (str(c), letter)


def spain_nif(value: str) -> bool:
    """Spanish NIF: DNI, NIE, K/L/M personal NIF, or CIF."""
    s = _alnum(value)
    if re.match(r"^[KLM]\d{7}[A-Z]$", s):
        return _DNI_LETTERS[int(s[1:8]) % 23] == s[8]
    return spain_dni(s) or spain_nie(s) or spain_cif(s)


def spain_ssn(value: str) -> bool:
    """Spanish social security number (NAF): 2-digit province + 8 digits + 2 control digits (mod 97)."""
    d = _digits(value, " -/")
    if len(d) != 12 or not (1 <= int(d[:2]) <= 53 or int(d[:2]) == 66):
        return False
    if d[2:10].strip("0") == "":
        return False
    prov, num = int(d[:2]), int(d[2:10])
    body = num + prov * 10_000_000 if num < 10_000_000 else prov * 100_000_000 + num
    return body % 97 == int(d[10:])


_CF_ODD = {**dict(zip("0123456789", (1, 0, 5, 7, 9, 13, 15, 17, 19, 21))),
           **dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                      (1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23)))}
_CF_RE = re.compile(r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$")


def codice_fiscale(value: str) -> bool:
    """Italian Codice Fiscale (16 chars incl. omocodia substitutions) with its check character."""
    s = _alnum(value)
    if not _CF_RE.match(s) or s == "RSSMRA85T10A562S":  # Agenzia delle Entrate specimen
        return False
    total = 0
    for i, ch in enumerate(s[:15]):
        if i % 2 == 0:
            total += _CF_ODD[ch]
        else:
            total += int(ch) if ch.isdigit() else ord(ch) - 65
    return chr(65 + total % 26) == s[15]


def italy_vat(value: str) -> bool:
    """Italian Partita IVA: 11 digits, Luhn-like check."""
    d = _digits(value)
    return len(d) == 11 and d.strip("0") != "" and _luhn_ok(d)


def insee(value: str) -> bool:
    """French NIR / INSEE: 13 characters (Corsica 2A/2B) + 2-digit key = 97 - n mod 97."""
    s = _alnum(value)
    if not re.match(r"^[1-478]\d{2}(0[1-9]|1[0-2]|[2-4]\d|[5-9]\d)(\d{2}|2A|2B)\d{6}\d{2}$", s):
        return False
    body, key = s[:13], int(s[13:])
    n = int(body.replace("2A", "19").replace("2B", "18"))
    if "2A" in body[5:7]:
        n = int(body[:5] + "19" + body[7:]) - 1_000_000
    elif "2B" in body[5:7]:
        n = int(body[:5] + "18" + body[7:]) - 2_000_000
    if body[7:10] == "000" or body[10:13] == "000":
        return False
    return 97 - n % 97 == key


def france_tin(value: str) -> bool:
    """French numéro fiscal (SPI): 13 digits, first 0-3, last 3 = first 10 mod 511."""
    d = _digits(value)
    return len(d) == 13 and d[0] in "0123" and d.strip("0") != "" and int(d[:10]) % 511 == int(d[10:])


def ehic(value: str) -> bool:
    """EHIC card identification number (ISO/IEC 7812): 16-20 digits, issuer prefix 80 + country, Luhn."""
    d = _digits(value)
    return 16 <= len(d) <= 20 and d.startswith("80") and len(set(d[5:])) > 2 and _luhn_ok(d)


def finland_ehic(value: str) -> bool:
    """Finnish EHIC card number: 20 digits, 80246 (healthcare + Finland) prefix, Luhn."""
    d = _digits(value)
    return len(d) == 20 and d.startswith("80246") and ehic(d)


def france_ehic(value: str) -> bool:
    """French health insurance number: the NIR (15) or a 20-digit EHIC card number."""
    return insee(value) or ehic(value)


def steuer_id(value: str) -> bool:
    """German Steuer-IdNr: 11 digits, first not 0, one digit repeated 2-3x (not 3 adjacent), ISO 7064 mod 11,10."""
    d = _digits(value, " -/")
    if len(d) != 11 or d[0] == "0":
        return False
    counts = Counter(d[:10])
    repeated = [k for k, v in counts.items() if v > 1]
    if len(repeated) != 1 or counts[repeated[0]] > 3:
        return False
    if counts[repeated[0]] == 3 and repeated[0] * 3 in d[:10]:
        return False
    if d in ("12345678903", "86095742719"):  # BZSt documentation examples
        return False
    return _iso7064_mod11_10_ok(d)


def germany_id_card(value: str) -> bool:
    """German Personalausweis document number (9 chars from CFGHJKLMNPRTVWXYZ0-9, optional ICAO check digit)."""
    s = _alnum(value)
    if not re.match(r"^[CFGHJKLMNPRTVWXYZ][CFGHJKLMNPRTVWXYZ0-9]{8}\d?$", s):
        return False
    if len(s) == 10:
        return _icao_check(s[:9]) == int(s[9])
    return len(set(s)) > 3


def uk_nino(value: str) -> bool:
    """UK National Insurance number: prefix rules (no D F I Q U V; 2nd not O; no BG GB KN NK NT TN ZZ)."""
    s = _alnum(value)
    if not re.match(r"^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]?$", s):
        return False
    return s[:2] not in ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ") and s[2:8] not in ("123456", "000000")


def nhs(value: str) -> bool:
    """UK NHS number: 10 digits, mod-11 check digit (weights 10..2)."""
    d = _digits(value)
    if len(d) != 10 or len(set(d)) == 1:
        return False
    r = 11 - _weighted(d, (10, 9, 8, 7, 6, 5, 4, 3, 2)) % 11
    if r == 11:
        r = 0
    return r != 10 and r == int(d[9]) and d not in ("9434765919", "4010232137")


def uk_utr(value: str) -> bool:
    """UK Unique Taxpayer Reference: 10 digits (optional trailing K), not all one digit."""
    s = _alnum(value).rstrip("K")
    return s.isdigit() and len(s) == 10 and len(set(s)) > 2


def uk_driving_licence(value: str) -> bool:
    """UK (DVLA) driving licence: 5 surname chars, decade, month(+50 female), day, year, initials, digit, 2 chk."""
    s = _alnum(value)
    m = re.match(r"^([A-Z9]{5})(\d)([0156]\d)([0-3]\d)(\d)([A-Z9]{2})(\d)([A-Z0-9]{2})(\d{2})?$", s)
    if not m:
        return False
    mm = int(m.group(3))
    mm = mm - 50 if mm > 50 else mm
    return 1 <= mm <= 12 and 1 <= int(m.group(4)) <= 31 and not m.group(1).startswith("9")


def uk_electoral_roll(value: str) -> bool:
    """UK electoral roll number: 2-3 letter polling district + 1-4 digit elector number."""
    s = _alnum(value)
    if re.match(r"^[A-Z]{2,3}\d{1,4}(/\d{1,2})?$", value.strip().upper()):
        return True
    return bool(re.match(r"^[A-Z]{2,3}\d{1,4}$", s))


def uk_passport(value: str) -> bool:
    """UK passport: 9 digits, or 2 letters + 7 digits (newer), not all one digit."""
    s = _alnum(value)
    return bool(re.match(r"^(\d{9}|[A-Z]{2}\d{7})$", s)) and len(set(s)) > 2 and s != "123456789"


def icao_passport(value: str) -> bool:
    """Any passport number with an optional trailing ICAO 9303 (7-3-1) check digit; rejects fillers."""
    s = _alnum(value).replace("<", "")
    if not 6 <= len(s) <= 10 or len(set(s)) < 3:
        return False
    return s not in ("123456789", "A12345678", "X12345678", "AB1234567")


def nordic_pin(value: str) -> bool:
    """Swedish personnummer / Danish CPR / Finnish HETU / Norwegian fødselsnummer sanity (date + checks)."""
    s = value.strip().upper()
    m = re.match(r"^(\d{2})(\d{2})(\d{2})([-+A])(\d{3})([0-9A-Y])$", s)
    if m:  # Finland HETU
        dd, mm = int(m.group(1)), int(m.group(2))
        n = int(m.group(1) + m.group(2) + m.group(3) + m.group(5))
        return 1 <= dd <= 31 and 1 <= mm <= 12 and "0123456789ABCDEFHJKLMNPRSTUVWXY"[n % 31] == m.group(6)
    return False


@functools.lru_cache(maxsize=16)
def _load_data(name: str) -> frozenset[str]:
    from importlib import resources

    text = (resources.files("detectors") / "data" / name).read_text(encoding="utf-8")
    return frozenset(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))


@functools.lru_cache(maxsize=1)
def _name_lexicons() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """First names, last names, stop words (package data in detectors/data/, loaded once per process).

    Only package data: results never depend on what else is installed."""
    return _load_data("first_names.txt"), _load_data("last_names.txt"), _load_data("name_stopwords.txt")


@functools.lru_cache(maxsize=1)
def _name_english_words() -> frozenset[str]:
    return _load_data("name_english_words.txt")


def person_name(value: str) -> bool:
    """Full person name: 2-3 capitalised words, no stop word, the first a known first name; with three words
    the middle and last must be known names (or the middle is an initial: ``Faina D. Yefremova``), with two any
    surname-shaped word (lexicons: detectors/data/). Verdicts are ``remembered``: the lone-name pass and the
    NAME rule judge the same full names of a text."""
    return remembered(_PERSON_NAME_MEMO, value, _person_name)


_PERSON_NAME_MEMO: dict[int, bool] = {}


def _person_name(value: str) -> bool:
    tokens = value.split()
    if 3 <= len(tokens) <= 4 and tokens[1] in PARTICLES and all(t in SECOND_PARTICLES for t in tokens[2:-1]):
        # given name + surname particles + surname (Ludwig van Beethoven, Maika van de Noort): as the two-word
        # name without its particles; or, the particles being the name's evidence, a lone name before any
        # surname that is no stop or place word (Willemine ten Pas)
        f, s = tokens[0], tokens[-1].lower()
        return _person_name(f"{f} {tokens[-1]}") or (
            lone_name(f) and tokens[-1][:1].isupper() and s.isalpha() and len(s) >= 2
            and s not in _name_lexicons()[2] and s not in _load_data("single_name_exclusions.txt"))
    if len(tokens) == 3 and len(tokens[1].rstrip(".")) == 1 and tokens[1][:1].isupper():
        # First M. Last / First M Last: a known first name (or an unknown one before a known surname), an
        # initial, a surname-shaped last word; or two unknown words around the initial (Szabina J Gelencsér,
        # Csanád P Gere): the initial is the name's evidence, so neither may be a common word or a place
        first, last, stop = _name_lexicons()
        f, s = tokens[0].lower(), tokens[2].lower()
        return (tokens[0][:1].isupper() and tokens[2][:1].isupper() and f.isalpha() and s.isalpha()
                and f not in stop and s not in stop
                and ((f in first and (len(s) >= 3 or s in last)) or _unknown_first_known_last(f, s)
                     or _unknown_words_around_initial(f, s)))
    if not 2 <= len(tokens) <= 3 or any(not t[:1].isupper() or len(t) < 2 for t in tokens):
        return False
    first, last, stop = _name_lexicons()
    low = [t.lower() for t in tokens]
    if any(t in stop for t in low) or not all(t.isalpha() for t in low):
        return False
    if low[0] not in first:
        # an unknown given name (there are far more than any lexicon holds: Bonifacy Kaczmarek) before a
        # known surname; neither may be an ordinary English word or a place (Credit Karma, Costa Rica)
        return len(low) == 2 and _unknown_first_known_last(low[0], low[1])
    if len(low) == 3:  # middle name known, last name known
        return (low[1] in first or low[1] in last) and (low[2] in last or low[2] in first)
    return len(low[1]) >= 3 or low[1] in last  # two words: any surname-shaped second word


# endings that mark a surname in many languages (Slavic, Baltic, Caucasian, Greek, Turkish, Nordic patronymics)
_SURNAME_ENDINGS = ("ov", "ova", "ev", "eva", "yev", "yeva", "iev", "ieva", "ovich", "evich", "ovych", "vich",
                   "sky", "skaya", "ska", "ski", "skiy", "ský", "ská", "cka", "cki", "ová", "ić", "vić", "ič",
                   "enko", "chuk", "czuk", "shvili", "dze", "poulos", "opoulou", "akis", "oglu", "oğlu",
                   "dóttir", "dottir", "sson", "ssen", "idis", "iadis", "escu", "eanu", "yan")


def _surname_shaped(w: str) -> bool:
    """A lower-case word of 5+ letters with a typical surname ending (``dratchev``, ``szczepańska``,
    ``šušulić``, ``ásgeirsdóttir``) that is no English word or place word."""
    return (len(w) >= 5 and w.isalpha() and w.endswith(_SURNAME_ENDINGS) and w not in _english_words()
            and w not in _load_data("single_name_exclusions.txt") and w not in _name_lexicons()[2])


def _unknown_first_known_last(f: str, s: str) -> bool:
    """``f`` (not in the first-name lexicon) and ``s`` look like given name + surname: ``s`` is a known or
    surname-shaped surname, neither is a common English word, a stop word or a place word, ``f`` has 3+
    letters."""
    _, last, stop = _name_lexicons()
    if len(f) < 3 or f in stop or s in stop or not (s in last or _surname_shaped(s)):
        return False
    return _neither_common_nor_place(f, s)


def _neither_common_nor_place(*words: str) -> bool:
    """None of ``words`` (lower-case) is a common English word or a word that alone is mostly a place."""
    english, places = _english_words(), _load_data("single_name_exclusions.txt")
    return not any(w in english or w in places for w in words)


def _unknown_words_around_initial(f: str, s: str) -> bool:
    """Given name and surname around a middle initial, neither in the lexicons: 3+ letters each, neither a
    common English word, a place word, a place prefix (f) or a street type."""
    if len(f) < 3 or len(s) < 3:
        return False
    return (_neither_common_nor_place(f, s)
            and f not in PLACE_PREFIXES and f not in _STREET_TYPES and s not in _STREET_TYPES)


@functools.lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    return _load_data("english_words.txt")


@functools.lru_cache(maxsize=1)
def _lone_names() -> frozenset[str]:
    """Names that are reported on their own (``Catherine is very reliable``, ``says Bergqvist``): the
    first-name lexicon less stop words, names that are also common English words ('will', 'rose') and words
    that alone are mostly a place, a product or a nationality (``single_name_exclusions.txt``: 'Paris',
    'Tesla', 'English'), names of three letters or more; plus surnames of 4+ letters that are no English word at all."""
    first, last, stop = _name_lexicons()
    bad = stop | _name_english_words() | _load_data("single_name_exclusions.txt")
    given = (n for n in first if n not in bad and len(n) >= 3)
    # surnames alone ("says Bergqvist"): 4+ letters and not even a rare English word
    english = _english_words()
    family = (n for n in last if len(n) >= 4 and n.isalpha() and n not in bad and n not in english)
    return frozenset(given) | frozenset(family)


@functools.lru_cache(maxsize=1)
def _given_names() -> frozenset[str]:
    """Known given names, lower-case, also those that are words (``victor``, ``sherry``), less stop words and
    words that alone are mostly a place: what a cue, a list or a transcript may make a name."""
    first, _, stop = _name_lexicons()
    return first - stop - _load_data("single_name_exclusions.txt")


@functools.lru_cache(maxsize=1)
def _lower_given_names() -> frozenset[str]:
    """Given names that may start a name in all lower-case text: no English word, no stop word."""
    first, _, stop = _name_lexicons()
    english = _english_words()
    return frozenset(n for n in first if n not in english and n not in stop and len(n) >= 4)


@functools.lru_cache(maxsize=1)
def _lone_names_capitalised() -> frozenset[str]:
    """``_lone_names`` as written at the start of a sentence or in a list: ``Catherine``, ``Željko``."""
    return frozenset(n.capitalize() for n in _lone_names())


def lone_name(value: str) -> bool:
    """One capitalised word that is a known given name or surname and, alone, hardly anything else (see
    ``_lone_names``), or an unknown word that is neither an English word nor a stop or place word (a name
    the candidate pass took from a list of names: ``Kónya, Becker and Vasquez``); a single lower-case word
    is judged as if capitalised (an item of a lower-case list of names: ``leonti, terrence and pamela``); in
    all lower-case text, a known given name, an optional initial and a known or surname-shaped surname, none
    an English word."""
    if " " in value:  # all lower-case text: given name [initial] surname
        words = value.replace(".", "").split()
        if not value.islower() or len(words) not in (2, 3) or (len(words) == 3 and len(words[1]) != 1):
            return False
        first, last, stop = _name_lexicons()
        f, s = words[0], words[-1]
        english = _english_words()
        return (f in first and f not in english and f not in stop and s not in english and s not in stop
                and (s in last or _surname_shaped(s)))
    if value.islower() and value.isalpha():  # an item of a lower-case list of names (candidates._lower_lists)
        value = value.capitalize()
    if not (len(value) >= 2 and value[0].isupper() and value[1:].islower() and value.isalpha()):
        return False
    low = value.lower()
    if low in _lone_names():
        return True
    return (low not in _english_words() and low not in _name_lexicons()[2]
            and low not in _load_data("single_name_exclusions.txt") and low not in _name_english_words())


def name_word(value: str) -> bool:
    """The SINGLE_NAME verdict: a ``lone_name``, or one word (capitalised, or all lower-case) that the name
    lexicons hold as a given name or surname although it is also a common word or a place (``Sherry``,
    ``White``, ``Jackson``), and no stop word. Only the candidate pass (``candidates._lone_name_spans``) offers
    such words, and only where its context vouches for them: an item of a list of names found already
    (``Hleb, Sheila, Donna, Sherry and Donald``), the speaker of a transcript whose other speakers are names,
    the one addressed at the end of a clause (``Don't go to town, Mark!``)."""
    if lone_name(value):
        return True
    if not value.isalpha() or not (value.islower() or (value[0].isupper() and value[1:].islower())):
        return False
    low = value.lower()
    first, last, stop = _name_lexicons()
    return len(low) >= 3 and (low in first or low in last) and low not in stop


def kin_name(value: str) -> bool:
    """A name beside a kinship word (the KIN_NAME record): capitalised, as ``cued_name`` (``Asya``, ``Brosca
    Erdôs``); one lower-case word only as a known given name or surname that is no English word
    (``name_in_context``: ``roberto``, not ``docker``)."""
    if value.islower():
        return " " not in value and name_in_context(value)
    return cued_name(value)


def contact_name(value: str) -> bool:
    """The two or three words of a line that heads a contact block (the CONTACT_NAME record): each a name word
    (``name_word``: a lone name, or a known given name or surname) that is no stop or place word, the first a
    lone name or a known given name (``Gyala Antall``, ``Csenger Gábor``; not ``Overture Technologies``)."""
    words = value.split()
    if not 2 <= len(words) <= 3:
        return False
    _, _, stop = _name_lexicons()
    places = _load_data("single_name_exclusions.txt")
    if not all(name_word(w) and w.lower() not in stop and w.lower() not in places for w in words):
        return False
    return lone_name(words[0]) or words[0].lower() in _given_names()


def cued_name(value: str) -> bool:
    """One to three words that a cue marks as a person's name (a verb whose subject is a person, a greeting,
    a role: ``Järvilehto began``, ``Producer Liviana Palerma explained``): each a ``lone_name`` (a known given
    name or surname that is hardly anything else, or a word no dictionary holds and no stop or place word),
    or alone a known given name even if it is also a word (``Hi Victor``), or a double name whose parts are
    lone names (``Hauta-aho``);
    in two- or three-word names the last may also be a known surname (``Brad Key``) and a middle one an
    initial (``Faina D. Yefremova``)."""
    words = value.split()
    if not 1 <= len(words) <= 3:
        return False
    _, last, stop = _name_lexicons()
    if len(words) == 1 and "-" in value.strip("-"):  # a double name: each part a lone name (says Hauta-aho)
        return value[:1].isupper() and all(lone_name(p.capitalize()) for p in value.split("-"))
    if len(words) == 1:  # the cue vouches for a known given name that is also a word (Hi Victor, Walker began)
        return lone_name(value) or (value[:1].isupper() and value.lower() in _given_names())
    if len(words) == 2 and value.islower():  # a lower-case subject (eva kleist lives at): as lone_name
        return lone_name(value)
    if any(not w[:1].isupper() for w in words):
        return False
    *head, tail = words
    return (all(lone_name(w) or (i > 0 and len(w.rstrip(".")) == 1) for i, w in enumerate(head))
            and (lone_name(tail) or (tail.lower() in last and tail.lower() not in stop)))


def name_in_context(value: str) -> bool:
    """A name introduced by context (\"my name is\", \"Mr.\", \"Name:\"): 1-4 capitalised words or
    initials, none a stop word; in all lower-case text a known given name or surname and no English word, or
    two words that no dictionary holds around an initial (``hyuuma t. maida``)."""
    tokens = value.replace(".", ". ").split()
    if not 1 <= len(tokens) <= 4 or len(tokens[0].rstrip(".")) < 2:
        return False
    first, last, stop = _name_lexicons()
    if any(t.rstrip(".").lower() in stop for t in tokens):
        return False
    if tokens[0][:1].isupper():
        return True
    if not value.islower():
        return False
    # lower-case text: a known given name or surname first, no common English word anywhere
    english = _english_words()
    words = [t.rstrip(".") for t in tokens]
    if len(words) == 3 and len(words[1]) == 1 and _unknown_words_around_initial(words[0], words[2]):
        return True  # two unknown words around an initial: hyuuma t. maida
    return ((words[0] in first or words[0] in last) and words[0] not in english
            and all(len(w) == 1 or w not in english for w in words[1:]))


def plausible_date(value: str) -> bool:
    """A calendar date (many formats) with a year 1900-2099 and a real month/day."""
    s = value.strip().lower()
    months = {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep",
                                              "oct", "nov", "dec"))}
    nums = [int(x) for x in re.findall(r"\d+", s)]
    mon = None
    for word in re.findall(r"[a-zé]+", s):
        if word[:3] in months:
            mon = months[word[:3]]
    year = next((n for n in nums if n >= 1000), None)
    if year is None and len(nums) == 3:
        year = 1900 + nums[2] if nums[2] >= 30 else 2000 + nums[2]
        nums = nums[:2] + [year]
    if year is None or not 1900 <= year <= 2099:
        return False
    rest = [n for n in nums if n != year]
    if mon is not None:
        days = rest
        return len(days) <= 1 and (not days or 1 <= days[0] <= 31)
    if len(rest) != 2:
        return False
    a, b = rest
    return (1 <= a <= 12 and 1 <= b <= 31) or (1 <= b <= 12 and 1 <= a <= 31)


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME_PART = re.compile(r"[ T,]+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?$", re.IGNORECASE)


def calendar_date(value: str) -> bool:
    """A date in running text: a weekday name, a year 1900-2099 on its own, or a calendar date
    (``plausible_date``: real month/day) optionally followed by a time of day (``2000-04-16 11:34:35``)."""
    s = value.strip()
    low = s.lower()
    if low in _WEEKDAYS:
        return True
    if len(s) == 4 and s.isdigit():
        return 1900 <= int(s) <= 2099
    s = _TIME_PART.sub("", s)
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", s)
    if m:  # ISO: year-month-day only (plausible_date would also accept year-day-month)
        y, mo, d = (int(x) for x in m.groups())
        return 1900 <= y <= 2099 and 1 <= mo <= 12 and 1 <= d <= _month_days(y, mo)
    return plausible_date(s)


def _month_days(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


# --------------------------------------------------------------------------- Latin America

def cpf(value: str) -> bool:
    """Brazil CPF: 11 digits, two mod-11 check digits, not all one digit."""
    d = _digits(value, " -./")
    if len(d) != 11 or len(set(d)) == 1 or d in ("12345678909", "11144477735"):
        return False
    for n in (9, 10):
        r = sum(int(d[i]) * (n + 1 - i) for i in range(n)) * 10 % 11 % 10
        if r != int(d[n]):
            return False
    return True


def cnpj(value: str) -> bool:
    """Brazil CNPJ (numeric or 2026 alphanumeric): 12 chars + two mod-11 check digits."""
    s = _alnum(value)
    if len(s) != 14 or not s[12:].isdigit() or not re.match(r"^[A-Z0-9]{12}$", s[:12]) or len(set(s)) == 1:
        return False
    if s in ("11222333000181", "00000000000191"):
        return False
    vals = [ord(c) - 48 for c in s]
    for n, w in ((12, (5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)), (13, (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2))):
        r = sum(v * x for v, x in zip(vals, w)) % 11
        if (0 if r < 2 else 11 - r) != vals[n]:
            return False
    return True


def brazil_rg(value: str) -> bool:
    """Brazil RG: 7-9 digits plus an optional digit/X verifier; São Paulo's mod-11 verifier is checked."""
    s = _alnum(value)
    if not re.match(r"^\d{7,9}[0-9X]?$", s) or len(set(s)) < 3:
        return False
    if len(s) == 9 and s[:8].isdigit():  # SP: weights 2..9, DV = sum mod 11 (10 -> X)
        r = sum(int(c) * w for c, w in zip(s[:8], range(2, 10))) % 11
        return ("X" if r == 10 else str(r)) == s[8]
    return True


def brazil_cep(value: str) -> bool:
    """Brazil CEP: 5+3 digits, not all zero or one digit."""
    d = _digits(value, " -.")
    return len(d) == 8 and len(set(d)) > 1 and d[:5] != "00000"


def chile_rut(value: str) -> bool:
    """Chile RUT/RUN: body 1,000,000-99,999,999 + DV (mod 11, weights 2..7, K for 10)."""
    s = _alnum(value).replace(",", "")
    m = re.match(r"^(\d{7,8})([0-9K])$", s)
    if not m:
        return False
    body, dv = m.groups()
    if len(set(body)) == 1:
        return False
    total = sum(int(c) * (2 + i % 6) for i, c in enumerate(reversed(body)))
    r = 11 - total % 11
    return {11: "0", 10: "K"}.get(r, str(r)) == dv


def cuit(value: str) -> bool:
    """Argentina CUIT/CUIL: 11 digits, type prefix 20/23/24/25/26/27/30/33/34, mod-11 check digit."""
    d = _digits(value, " -./")
    if len(d) != 11 or d[:2] not in ("20", "23", "24", "25", "26", "27", "30", "33", "34"):
        return False
    if d[2:10].strip("0") == "" or d[2:10] in ("99999999", "12345678"):
        return False
    r = 11 - _weighted(d, (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)) % 11
    r = {11: 0, 10: 9}.get(r, r)
    return r == int(d[10])


def cuit_individual(value: str) -> bool:
    d = _digits(value, " -./")
    return cuit(value) and d[:2] in ("20", "23", "24", "25", "26", "27")


def cuit_organization(value: str) -> bool:
    d = _digits(value, " -./")
    return cuit(value) and d[:2] in ("30", "33", "34")


def argentina_dni(value: str) -> bool:
    """Argentina DNI: 7-8 digits (dotted or not), not all zero / 99999999 / one digit."""
    d = _digits(value, " .-")
    return 7 <= len(d) <= 8 and len(set(d)) > 1 and d not in ("12345678", "99999999")


def sube(value: str) -> bool:
    """Argentina SUBE transit card: 16 digits starting 6061, Luhn."""
    d = _digits(value)
    return len(d) == 16 and d.startswith("6061") and _luhn_ok(d)


def colombia_nit(value: str) -> bool:
    """Colombia NIT: 8-15 digits with a DIAN mod-11 verification digit (weights 3,7,13,…)."""
    d = _digits(value, " .-")
    if not 6 <= len(d) <= 16 or len(set(d)) == 1:
        return False
    body, dv = d[:-1], int(d[-1])
    w = (3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71)
    r = sum(int(c) * w[i] for i, c in enumerate(reversed(body))) % 11
    return (r if r < 2 else 11 - r) == dv


def colombia_cc(value: str) -> bool:
    """Colombia cédula de ciudadanía: 6-10 digits (dots allowed), not all one digit."""
    d = _digits(value, " .")
    return 6 <= len(d) <= 10 and len(set(d)) > 2 and d[0] != "0"


_CURP_RE = re.compile(
    r"^[A-Z][AEIOUX][A-Z]{2}\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])[HMX]"
    r"(AS|BC|BS|CC|CS|CH|CL|CM|DF|DG|GT|GR|HG|JC|MC|MN|MS|NT|NL|OC|PL|QT|QR|SP|SL|SR|TC|TS|TL|VZ|YN|ZS|NE)"
    r"[B-DF-HJ-NP-TV-Z]{3}[A-Z0-9]\d$"
)
_CURP_ALPHA = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ"


def curp(value: str) -> bool:
    """Mexico CURP: 18-char structure (date, sex, state) + mod-10 check digit."""
    s = _alnum(value)
    if not _CURP_RE.match(s):
        return False
    total = sum(_CURP_ALPHA.index(c) * (18 - i) for i, c in enumerate(s[:17]))
    return (10 - total % 10) % 10 == int(s[17])


_RFC_ALPHA = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ"


def rfc(value: str) -> bool:
    """Mexico RFC: 3-4 letters + YYMMDD + 3-char homoclave whose last char is the mod-11 check."""
    s = _alnum(value).replace("Ñ", "&")
    m = re.match(r"^([A-Z&]{3,4})(\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])([A-Z0-9]{2})([0-9A])$", s)
    if not m or s in ("XAXX010101000", "XEXX010101000"):
        return False
    padded = s.rjust(13, " ")
    total = sum(_RFC_ALPHA.index(c) * (13 - i) for i, c in enumerate(padded[:12]))
    r = 11 - total % 11
    check = "0" if r == 11 else "A" if r == 10 else str(r)
    return check == s[-1]


def rfc_individual(value: str) -> bool:
    return len(_alnum(value)) == 13 and rfc(value)


def rfc_organization(value: str) -> bool:
    return len(_alnum(value)) == 12 and rfc(value)


# --------------------------------------------------------------------------- Asia-Pacific

def aadhaar(value: str) -> bool:
    """India Aadhaar: 12 digits, first 2-9, Verhoeff check digit, not a palindrome/specimen."""
    d = _digits(value)
    if len(d) != 12 or d[0] in "01" or d == d[::-1] or d in ("234123412346", "999941057058"):
        return False
    return _verhoeff_ok(d)


def india_pan(value: str) -> bool:
    """India PAN: AAAAA9999A, 4th char is the holder type (P C H F A T B L J G)."""
    s = _alnum(value)
    return bool(re.match(r"^[A-Z]{3}[PCHFATBLJG][A-Z]\d{4}[A-Z]$", s)) and s[5:9] != "0000" and s != "ABCPE1234F"


def tfn(value: str) -> bool:
    """Australia TFN: 8 or 9 digits, weighted mod-11 check; rejects the ATO sample 123 456 782."""
    d = _digits(value)
    if d in ("123456782", "876543210") or len(set(d)) == 1:
        return False
    if len(d) == 9:
        return _weighted(d, (1, 4, 3, 7, 5, 8, 6, 9, 10)) % 11 == 0
    if len(d) == 8:
        return _weighted(d, (10, 7, 8, 4, 6, 3, 5, 1)) % 11 == 0
    return False


def abn(value: str) -> bool:
    """Australia ABN: 11 digits, subtract 1 from the first, weighted mod 89."""
    d = _digits(value)
    if len(d) != 11 or d[0] == "0":
        return False
    v = [int(c) for c in d]
    v[0] -= 1
    return sum(a * b for a, b in zip(v, (10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19))) % 89 == 0


def medicare_au(value: str) -> bool:
    """Australia Medicare card: 10-11 digits, first 2-6, weighted mod-10 check in position 9."""
    d = _digits(value, " -/")
    if len(d) not in (10, 11) or d[0] not in "23456":
        return False
    return _weighted(d[:8], (1, 3, 7, 9, 1, 3, 7, 9)) % 10 == int(d[8])


# --------------------------------------------------------------------------- contact, network, misc.

def nanp_phone(value: str) -> bool:
    """North-American number: NPA and NXX start 2-9, NPA not N11/37X/96X-ish, not 555-01xx fiction."""
    d = re.sub(r"\D", "", value)
    if len(d) == 11 and d[0] == "1":
        d = d[1:]
    if len(d) != 10 or d[0] in "01" or d[3] in "01":
        return False
    if d[1:3] == "11":  # N11 service codes are not area codes
        return False
    if d[3:6] == "555" and 100 <= int(d[6:]) <= 199:  # reserved for fiction
        return False
    return not (len(set(d)) <= 2 or d in ("1234567890", "2345678901"))


def e164_phone(value: str) -> bool:
    """International phone: 8-15 digits in total, not all one digit, not an ascending run."""
    d = re.sub(r"\D", "", value)
    d = d.removeprefix("00")
    return 8 <= len(d) <= 15 and len(set(d)) > 2 and "123456789" not in d


def _national(value: str, cc: str) -> str:
    """Digits of a phone number in national significant form for country code ``cc`` ("" if foreign)."""
    raw = value.strip()
    d = re.sub(r"\D", "", raw)
    if raw.startswith("+") or d.startswith("00" + cc):
        if not raw.startswith("+"):
            d = d[2:]
        if not d.startswith(cc):
            return ""
        d = d[len(cc):]
        return d if cc == "39" else d.removeprefix("0")  # "+44 (0)20 …"; Italy keeps its leading 0
    if cc in ("39", "34", "55"):
        return d
    return d[1:] if d.startswith("0") else ""  # national form needs the trunk prefix 0


def _phone_sane(n: str) -> bool:
    return len(set(n)) > 2 and "23456789" not in n and "0000000" not in n


_UK_FICTION = ("1632960", "2079460", "7700900", "8081570", "9098790", "3069990", "1134960", "1144960",
               "1154960", "1164960", "1174960", "1184960", "1214960", "1314960", "1414960", "1514960",
               "1614960", "1914960", "2890180")


def phone_uk(value: str) -> bool:
    """UK number: 10 national digits after 0/+44 (9 for a few), valid leading digit, not an Ofcom drama number."""
    n = _national(value, "44")
    if not n or len(n) not in (9, 10) or n[0] not in "1235789" or not _phone_sane(n):
        return False
    return not n.startswith(_UK_FICTION)


def phone_fr(value: str) -> bool:
    """French number: 9 national digits after 0/+33, leading digit 1-9 (not 0 8 service shortcuts)."""
    n = _national(value, "33")
    return bool(n) and len(n) == 9 and n[0] in "1234567890"[:-1] and _phone_sane(n)


def phone_de(value: str) -> bool:
    """German number: 6-13 national digits after 0/+49, leading digit 1-9."""
    n = _national(value, "49")
    return bool(n) and 6 <= len(n) <= 13 and n[0] != "0" and _phone_sane(n)


def phone_it(value: str) -> bool:
    """Italian number: +39 kept-zero landlines (0x, 6-11 digits) or mobiles (3xx, 9-10 digits)."""
    n = _national(value, "39")
    if not n or not _phone_sane(n):
        return False
    if n[0] == "0":
        return 6 <= len(n) <= 11
    return n[0] == "3" and len(n) in (9, 10)


def phone_es(value: str) -> bool:
    """Spanish number: 9 national digits starting 6, 7, 8 or 9."""
    n = _national(value, "34")
    return bool(n) and len(n) == 9 and n[0] in "6789" and _phone_sane(n)


def phone_br(value: str) -> bool:
    """Brazilian number: 2-digit area code 11-99 + 8 digits (landline) or 9 digits starting 9 (mobile)."""
    n = _national(value, "55")
    if not n or not _phone_sane(n) or len(n) not in (10, 11) or n[0] == "0" or n[1] == "0":
        return False
    return len(n) == 10 or n[2] == "9"


def id_sanity(value: str) -> bool:
    """Generic identifier sanity: >= 5 letters/digits, not one repeated character, not a counting run."""
    s = _alnum(value)
    if len(s) < 5 or len(set(s)) < 3:
        return False
    digits = re.sub(r"\D", "", s)
    return not (len(digits) >= 6 and (digits in "01234567890123456789" or digits in "98765432109876543210"))


def colombia_nit_individual(value: str) -> bool:
    """Colombian NIT of a person (cédula-based, body not starting 8/9 with 9 digits)."""
    d = _digits(value, " .-")
    return colombia_nit(value) and not (len(d) == 10 and d[0] in "89")


def colombia_nit_organization(value: str) -> bool:
    """Colombian NIT of an organisation: 9-digit body starting 8 or 9 + verification digit."""
    d = _digits(value, " .-")
    return colombia_nit(value) and len(d) == 10 and d[0] in "89"


def phone_generic(value: str) -> bool:
    """Any phone number next to a phone keyword: 7-15 digits, not a date/time, not one repeated digit or a run."""
    s = value.strip()
    if re.match(r"(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}(?!\d)|\d{1,2}[-/.]\d{1,2}[-/.](?:19|20)\d{2}(?!\d)", s):
        return False
    d = re.sub(r"\D", "", s)
    if d.startswith("00"):
        d = d[2:]
    return 7 <= len(d) <= 15 and len(set(d)) > 2 and "1234567" not in d and "0000000" not in d


def latitude_longitude(value: str) -> bool:
    """Decimal-degree pair: |lat| <= 90, |lon| <= 180, at least 3 decimals on each, not 0,0."""
    m = re.match(r"^\s*\(?\s*([-+]?\d{1,3}\.\d{3,})\s*[,;/ ]\s*([-+]?\d{1,3}\.\d{3,})\s*\)?\s*$", value)
    if not m:
        return False
    lat, lon = float(m.group(1)), float(m.group(2))
    return -90 <= lat <= 90 and -180 <= lon <= 180 and not (lat == 0 and lon == 0)


def ipv4(value: str) -> bool:
    """Public-looking IPv4 address: 4 octets 0-255 without leading zeros, not 0.0.0.0/255.x, not a version."""
    parts = value.strip().split(".")
    if len(parts) != 4:
        return False
    for p in parts:
        if not (p.isdigit() and len(p) <= 3) or (len(p) > 1 and p[0] == "0"):
            return False
    nums = [int(p) for p in parts]
    if any(n > 255 for n in nums) or nums[0] in (0, 255) or nums[0] == 127:
        return False
    return nums != [1, 2, 3, 4]


def ipv6(value: str) -> bool:
    """IPv6 address (stdlib ipaddress), at least 3 groups, not loopback/unspecified."""
    import ipaddress

    s = value.strip().strip("[]")
    if s.count(":") < 2:
        return False
    addr = s.split("%")[0]
    groups = sum(1 for g in addr.split(":") if g) + (1 if "." in addr else 0)  # embedded IPv4 = 2 groups
    if groups < 3 or not any(ch.isdigit() for ch in addr):
        return False  # "be::", "2::3" (slices, C++ scopes)
    try:
        ip = ipaddress.IPv6Address(addr)
    except ValueError:
        return False
    return not (ip.is_loopback or ip.is_unspecified)


def ip_address(value: str) -> bool:
    return ipv4(value) or ipv6(value)


def jwt(value: str) -> bool:
    """JWS compact form: base64url header that decodes to JSON with an "alg" member."""
    import base64
    import json

    parts = value.strip().split(".")
    if len(parts) not in (3, 5) or len(parts[0]) < 10:
        return False
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(header, dict) and ("alg" in header or "typ" in header or "enc" in header)


def basic_auth(value: str) -> bool:
    """Authorization: Basic <base64(user:password)> with a colon in the decoded text."""
    import base64
    import binascii

    m = re.search(r"basic\s+([A-Za-z0-9+/=]{4,})", value, re.IGNORECASE)
    if not m:
        return False
    try:
        raw = base64.b64decode(m.group(1) + "=" * (-len(m.group(1)) % 4), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return False
    user, sep, pw = raw.partition(":")
    return bool(sep) and bool(pw) and (user, pw) not in (("user", "pass"), ("username", "password"),
                                                          ("Aladdin", "open sesame"), ("admin", "admin"))


_PLACEHOLDER_WORDS = ("example", "changeme", "change_me", "placeholder", "your_", "yourpass", "<", "${", "{{",
                      "xxxx", "****", "dummy", "redacted", "password123", "secret123", "sample", "%s", "null",
                      "none", "todo", "fixme", "getenv", "os.environ", "process.env", "env[", "input(",
                      "123456")


def password_value(value: str) -> bool:
    """A literal password in an assignment: 6-128 printable chars, not a placeholder or reference."""
    s = value.strip().strip("'\"`")
    if not 6 <= len(s) <= 128 or " " in s.strip():
        return False
    low = s.lower()
    if any(w in low for w in _PLACEHOLDER_WORDS):
        return False
    if low in ("password", "passwd", "secret", "true", "false", "required", "optional", "string"):
        return False
    if re.fullmatch(r"[a-z]{4,10}", s):  # a plain lowercase word ("pass 'columns'") is prose, not a password
        return False
    if re.match(r"^[a-z_][a-z0-9_.]*\(?\)?$", s) and "_" in s:  # identifier like self.password_field
        return False
    if re.match(r"^\$[A-Za-z_{(]", s) or re.match(r"^%[A-Za-z_(]", s):
        return False
    return len(set(s)) >= 4


def url_credentials(value: str) -> bool:
    """scheme://user:password@host with a non-placeholder password."""
    m = re.search(r"://([^:/@\s]+):([^@/\s]+)@", value)
    if not m:
        return False
    _user, pw = m.groups()
    low = pw.lower()
    if low in ("password", "pass", "passwd", "secret", "pwd", "x-oauth-basic") or low.startswith(("$", "%", "<", "{")):
        return False
    return not any(w in low for w in ("example", "xxxx", "****", "changeme", "${", "{{", "<"))


def http_cookie(value: str) -> bool:
    """Cookie / Set-Cookie header with at least one name=value pair."""
    return bool(re.search(r"(?i)\b(set-)?cookie\s*:\s*[^=\s;:]+=[^;\s]+", value))


def private_key_block(value: str) -> bool:
    """PEM-style private-key block with some base64 body (not an empty or ellipsised template)."""
    body = re.sub(r"-----[A-Z0-9 ]+-----", "", value)
    body = re.sub(r"^[A-Za-z-]+:.*$", "", body, flags=re.MULTILINE)
    b = re.sub(r"\s", "", body)
    return len(b) >= 40 and "..." not in body and len(set(b)) > 10


def not_placeholder(value: str) -> bool:
    """Token-like value that is not an obvious placeholder (xxxx, EXAMPLE, repeated chars)."""
    s = value.strip()
    low = s.lower()
    if any(w in low for w in ("example", "xxxxxx", "******", "placeholder", "<your", "dummy", "00000000")):
        return False
    tail = re.sub(r"^[a-z]+[-_]", "", s, flags=re.IGNORECASE)
    return len(set(tail)) > 6


def stripe_live(value: str) -> bool:
    """Stripe secret/restricted/publishable key; doc test keys are rejected."""
    s = value.strip()
    return s not in ("sk_test_4eC39HqLyjWDarjtT1zdp7dc", "pk_test_TYooMQauvdEDq54NiTphI7jx") and not_placeholder(s)


def token_sanity(value: str) -> bool:
    """Vendor token with a fixed prefix: reject only obvious placeholders (xxxx, EXAMPLE, <your-…>)."""
    low = value.strip().lower()
    if any(w in low for w in ("example", "xxxxxx", "******", "placeholder", "<", "your-", "your_", "${", "{{",
                              "dummy", "redacted")):
        return False
    tail = re.sub(r"^[a-z0-9]{2,12}[-_.]", "", low)
    return len(set(tail)) > 3


_ADDRESS_FALSE_STARTS = frozenset({"during", "string", "spring", "bring", "ring", "morning", "evening", "tie", "gate",
                                   "after", "before", "since", "until", "from", "in", "on", "at", "by", "every"})


def street_address(value: str) -> bool:
    """Address sanity: at least one digit, not just '<common word> <number>' (e.g. 'During 1971')."""
    if not any(ch.isdigit() for ch in value):
        return False
    words = re.findall(r"[^\W\d_]+", value)
    return not (len(words) == 1 and words[0].lower() in _ADDRESS_FALSE_STARTS)


_STREET_TYPES = frozenset({"street", "st", "road", "rd", "avenue", "ave", "drive", "dr", "lane", "ln", "court", "ct",
                           "place", "pl", "boulevard", "blvd", "way", "terrace", "ter", "circle", "cir", "highway",
                           "hwy", "parkway", "pkwy", "square", "sq", "trail", "trl", "ne", "nw", "se", "sw", "n",
                           "s", "e", "w"})
_UNIT_WORDS = frozenset({"apt", "apartment", "suite", "ste", "unit", "flat", "no", "nr", "box", "po", "p", "o",
                         "floor", "fl"})
_NOT_STREET_WORDS = frozenset({"address", "addresses", "ip", "ipv4", "ipv6", "mac", "email", "e", "mail", "port",
                               "version", "v", "release", "build", "step", "item", "items", "line", "lines", "row",
                               "rows", "column", "page", "pages", "chapter", "section", "room", "level", "id",
                               "number", "at", "in", "on", "is", "to", "of", "and", "or", "the", "a", "an", "my",
                               "his", "her", "their", "our", "your", "lives", "live", "located", "new", "old",
                               "windows", "android", "ios", "python", "java", "server", "host", "node"})


def street_line(value: str) -> bool:
    """A street line found after an address cue (``his address: 450 Præstevænget 15``, ``lives at 5049
    Harjukuja 54``): it ends in a house number (checked by the pattern) and its street name has a word that
    is neither a stop word nor a word like 'address', 'version', 'room' (``IP address 10``, ``Windows 10``)."""
    if not any(ch.isdigit() for ch in value):
        return False
    _, _, stop = _name_lexicons()
    words = [w.lower() for w in re.findall(r"[^\W\d_]+", value)]
    name = [w for w in words if w not in _UNIT_WORDS]
    if not name or any(w in _NOT_STREET_WORDS for w in name):
        return False
    if len(name) == 1 and name[0] in _load_data("single_name_exclusions.txt"):
        return False  # a country or city and a postcode: Cyprus 36903
    if len(name) >= 2 and name[-1] in _STREET_TYPES and value[:1].isdigit():
        return True  # 123 Main St
    return any(len(w) >= 3 and w not in stop for w in name)


def private_key_any(value: str) -> bool:
    """A private key in PEM/SSH2 form, a base64-wrapped PEM private key, or a JWK with a private "d"."""
    import base64
    import binascii

    s = value.strip()
    if s.startswith("LS0tLS1CRUdJTi"):
        try:
            raw = base64.b64decode(s[: len(s) - len(s) % 4] or s, validate=False)
        except (binascii.Error, ValueError):
            return False
        head = raw[:120].decode("latin-1")
        return "PRIVATE KEY" in head
    if s.startswith('"kty"'):
        m = re.search(r'"d"\s*:\s*"([A-Za-z0-9_-]+)"', s)
        return bool(m) and len(set(m.group(1))) > 8
    return private_key_block(s)


def url_password(value: str) -> bool:
    """The password part of scheme://user:password@host: not a placeholder, reference or format spec."""
    s = value.strip()
    low = s.lower()
    if low in ("password", "pass", "passwd", "secret", "pwd", "x-oauth-basic", "pw", "token", "xxx", "***", "foo",
               "bar", "baz", "qux", "test", "pass123", "secret123"):
        return False
    if low.startswith(("$", "%", "<", "{", "[")) or ("{" in low and "}" in low):
        return False
    return not any(w in low for w in ("example", "xxxx", "****", "changeme", "placeholder", "your_", "your-"))


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _bech32_ok(s: str) -> bool:
    s = s.lower()
    hrp, _, data = s.rpartition("1")
    if hrp not in ("bc", "tb") or len(data) < 6 or any(c not in _BECH32 for c in data):
        return False
    values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + [_BECH32.index(c) for c in data]
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk in (1, 0x2BC830A3)  # bech32 / bech32m


def btc_address(value: str) -> bool:
    """Bitcoin address: Base58Check (P2PKH 1…, P2SH 3…) with its double-SHA256 checksum, or bech32/bech32m."""
    import hashlib

    s = value.strip()
    if s[:3].lower() in ("bc1", "tb1"):
        return 14 <= len(s) <= 74 and _bech32_ok(s)
    if not 25 <= len(s) <= 35 or s[0] not in "13" or any(c not in _B58 for c in s):
        return False
    n = 0
    for c in s:
        n = n * 58 + _B58.index(c)
    raw = n.to_bytes(25, "big") if n.bit_length() <= 200 else b""
    if len(raw) != 25:
        return False
    return hashlib.sha256(hashlib.sha256(raw[:21]).digest()).digest()[:4] == raw[21:]


def eth_address(value: str) -> bool:
    """Ethereum address: 0x + 40 hex digits, not a zero/burn/placeholder address."""
    s = value.strip()
    if not re.match(r"^0x[0-9a-fA-F]{40}$", s):
        return False
    body = s[2:].lower()
    return len(set(body)) > 6 and body not in ("000000000000000000000000000000000000dead",)


def aws_access_key_id(value: str) -> bool:
    """AWS access key id: AKIA/ASIA/… + 16 base32 chars; the doc example AKIAIOSFODNN7EXAMPLE is rejected."""
    s = value.strip()
    if not re.match(r"^(AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16}$", s):
        return False
    return "EXAMPLE" not in s and len(set(s[4:])) > 5


VALIDATORS: dict[str, Callable[[str], bool]] = {
    name: fn
    for name, fn in sorted(globals().items())
    if callable(fn) and not name.startswith("_") and getattr(fn, "__module__", None) == __name__
    and name not in ("shannon_entropy", "remembered")
}
