"""Deterministic synthetic corpora for the detector throughput bench.

* ``low``: realistic data-lake text where sensitive values are rare (about one per 50 KB): application and
  access logs (timestamps, IPs, UUIDs, request ids, latencies), CSV exports (orders, inventory, metrics),
  JSON Lines events, and English prose. The noise is what a lake holds: lots of digits, hex ids and
  high-entropy strings that a detector must reject cheaply.
* ``high``: the same formats where nearly every line carries a sensitive value (email, card, SSN, phone,
  IBAN, provider tokens, passwords, JWTs, private keys, names and addresses).

Everything is generated from ``random.Random(seed)``: same seed and version, same bytes. All values are
fake (random digits with valid check digits, random token bodies, example domains). Files are cached in
``.lakescan/bench/`` (gitignored) together with a small JSON of what was planted.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable
from pathlib import Path

from bench.report import REPO_ROOT
from jobs.seed import _luhn_complete as with_luhn_digit

GEN_VERSION = 1
CACHE_DIR = REPO_ROOT / ".lakescan" / "bench"

_ALNUM = string.ascii_letters + string.digits
_UPPER_DIGITS = string.ascii_uppercase + string.digits
_B64 = string.ascii_letters + string.digits + "+/"
_HEX = "0123456789abcdef"


def _words(text: str) -> list[str]:
    return text.split()


FIRST = _words(
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan "
    "Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa Anthony Betty Mark Margaret Paul "
    "Sandra Steven Ashley Andrew Emily Kenneth Donna Joshua Michelle Kevin Carol Brian Amanda Maria Lucas "
    "Sofia Hannah Noah Emma Oliver Mia Liam Chloe Ethan Ava Mateo Lena Jonas Ingrid Pierre Camille Giulia "
    "Marco Ana Diego Yuki Hiro Priya Arjun Fatima Omar Chen Wei"
)
LAST = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
    "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams "
    "Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Schmidt Muller Schneider Fischer Weber "
    "Rossi Russo Bianchi Dubois Moreau Laurent Kowalski Nowak Jensen Hansen Larsen Tanaka Suzuki Sato "
    "Patel Sharma Kumar Singh Khan Ali Wang Zhang"
)
STREETS = _words(
    "Main Oak Pine Maple Cedar Elm Washington Lake Hill Park Sunset Highland Church Mill River Spring "
    "Ridge Meadow Forest Walnut Chestnut Willow Jefferson Lincoln Madison Franklin"
)
STREET_TYPES = _words("Street St. Avenue Ave. Road Rd. Boulevard Blvd. Lane Drive Dr. Court Way Place")
CITIES = [
    ("Springfield", "IL", "62704"),
    ("Portland", "OR", "97205"),
    ("Austin", "TX", "78701"),
    ("Denver", "CO", "80202"),
    ("Columbus", "OH", "43215"),
    ("Raleigh", "NC", "27601"),
    ("Madison", "WI", "53703"),
    ("Boise", "ID", "83702"),
    ("Tucson", "AZ", "85701"),
    ("Albany", "NY", "12207"),
    ("Richmond", "VA", "23219"),
    ("Salem", "MA", "01970"),
]
SERVICES = _words(
    "orders-api billing-worker auth-gateway catalog-svc search-indexer notifier cart-api inventory-sync "
    "payments-api reporting-job ingest-pipeline user-profile"
)
LEVELS = ["INFO"] * 14 + ["DEBUG"] * 6 + ["WARN"] * 3 + ["ERROR"]
PATHS = [
    "/api/v2/orders",
    "/api/v2/orders/{id}",
    "/api/v1/products/{id}",
    "/api/v1/search",
    "/health",
    "/api/v2/cart/{id}/items",
    "/static/js/app.{hex}.js",
    "/api/v1/users/{id}/preferences",
    "/metrics",
    "/api/v2/inventory/{id}",
    "/login",
    "/api/v1/reports/{id}/export",
]
METHODS = ["GET"] * 8 + ["POST"] * 3 + ["PUT", "DELETE"]
STATUS = [200] * 20 + [201, 204, 301, 304, 400, 401, 403, 404, 404, 500, 502, 503]
UAS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "curl/8.5.0",
    "python-requests/2.31.0",
    "Go-http-client/1.1",
    "okhttp/4.12.0",
    "kube-probe/1.29",
]
MESSAGES = [
    "request completed",
    "cache miss for key {k}",
    "retrying upstream call attempt={n}",
    "flushed {n} records to sink",
    "connection pool stats active={n} idle={m}",
    "scheduled job finished in {ms}ms",
    "received message offset={big} partition={n}",
    "user session refreshed",
    "rate limit window reset",
    "slow query detected duration={ms}ms rows={n}",
    "GC pause {ms}ms heap_used={big}",
    "checkpoint committed version={n}",
    "webhook delivered status={s}",
]
EVENTS = _words(
    "page_view add_to_cart checkout_started search click impression purchase login logout video_play scroll_depth"
)
COUNTRIES = _words("US DE FR GB ES IT NL SE PL JP BR IN CA AU")
WORDS = _words(
    "the of and to in is was for that on as with by at from this have are be it an or which one had not "
    "but all were when we there can been has more if will would who about into than them could time these "
    "two may first then do any like my now over such our man me even most made after also did many before "
    "must through back years where much your way well down should because each just those people how too "
    "little state good very make world still own see men work long get here between both life being under "
    "never day same another know while last might us great old year off come since against go came right "
    "used take three team project data report customer quarterly revenue growth market product release "
    "service support update system network storage pipeline analysis review meeting schedule budget "
    "forecast strategy policy process quality delivery"
)
PROPER = _words(
    "Monday Tuesday Wednesday Thursday Friday January March April September October London Berlin Paris "
    "Chicago Seattle Toronto Amazon Spark Delta Python Europe Atlantic"
)


# ----------------------------------------------------------------------------------------- values
def luhn_complete(rng: random.Random, prefix: str, length: int) -> str:
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    return with_luhn_digit(body)


def card(rng: random.Random) -> str:
    prefix, length = rng.choice(
        [
            ("4", 16),
            ("51", 16),
            ("55", 16),
            ("2221", 16),
            ("34", 15),
            ("37", 15),
            ("6011", 16),
            ("35", 16),
        ]
    )
    num = luhn_complete(rng, prefix, length)
    style = rng.random()
    if style < 0.4 and length == 16:
        return " ".join(num[i : i + 4] for i in range(0, 16, 4))
    if style < 0.55 and length == 16:
        return "-".join(num[i : i + 4] for i in range(0, 16, 4))
    return num


def ssn(rng: random.Random) -> str:
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def phone(rng: random.Random) -> str:
    a, b, c = rng.randint(201, 989), rng.randint(200, 999), rng.randint(0, 9999)
    return rng.choice(
        [
            f"({a}) {b}-{c:04d}",
            f"+1 {a} {b} {c:04d}",
            f"{a}-{b}-{c:04d}",
            f"+1-{a}-{b}-{c:04d}",
        ]
    )


def iban(rng: random.Random) -> str:
    country, bban = rng.choice(
        [
            ("DE", "".join(rng.choice(string.digits) for _ in range(18))),
            (
                "GB",
                "".join(rng.choice(string.ascii_uppercase) for _ in range(4))
                + "".join(rng.choice(string.digits) for _ in range(14)),
            ),
            ("FR", "".join(rng.choice(string.digits) for _ in range(23))),
            (
                "NL",
                "".join(rng.choice(string.ascii_uppercase) for _ in range(4))
                + "".join(rng.choice(string.digits) for _ in range(10)),
            ),
        ]
    )
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    check = 98 - int(numeric) % 97
    value = f"{country}{check:02d}{bban}"
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4)) if rng.random() < 0.5 else value


def email(rng: random.Random) -> str:
    f, last = rng.choice(FIRST).lower(), rng.choice(LAST).lower()
    user = rng.choice([f"{f}.{last}", f"{f[0]}{last}", f"{f}{rng.randint(1, 99)}", f"{f}_{last}"])
    return f"{user}@{rng.choice(['example.com', 'example.org', 'example.net', 'mail.example.com', 'corp.example'])}"


def name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def address(rng: random.Random) -> str:
    city, st, zip_ = rng.choice(CITIES)
    return f"{rng.randint(1, 9899)} {rng.choice(STREETS)} {rng.choice(STREET_TYPES)}, {city}, {st} {zip_}"


def _rand(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def aws_pair(rng: random.Random) -> tuple[str, str]:
    return "AKIA" + _rand(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16), _rand(rng, _B64, 40)


def github_token(rng: random.Random) -> str:
    return "gh" + rng.choice("pousr") + "_" + _rand(rng, _ALNUM, 36)


def slack_token(rng: random.Random) -> str:
    return f"xox{rng.choice('bp')}-{rng.randint(10**10, 10**12)}-{rng.randint(10**10, 10**12)}-{_rand(rng, _ALNUM, 24)}"


def stripe_key(rng: random.Random) -> str:
    return rng.choice(["sk", "rk"]) + "_live_" + _rand(rng, _ALNUM, 24)


def google_key(rng: random.Random) -> str:
    return "AIza" + _rand(rng, _ALNUM + "_-", 35)


def jwt(rng: random.Random) -> str:
    def b64(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")

    head = b64({"alg": "HS256", "typ": "JWT"})
    body = b64(
        {
            "sub": str(rng.randint(10**5, 10**9)),
            "name": name(rng),
            "iat": rng.randint(1_600_000_000, 1_800_000_000),
        }
    )
    return f"{head}.{body}.{_rand(rng, _ALNUM + '_-', 43)}"


def private_key(rng: random.Random) -> str:
    kind = rng.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"])
    body = "\n".join(_rand(rng, _B64, 64) for _ in range(rng.randint(4, 10)))
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----"


def password(rng: random.Random) -> str:
    return _rand(rng, _ALNUM + "!#%&*", rng.randint(10, 20))


def url_with_creds(rng: random.Random) -> str:
    scheme = rng.choice(["postgresql", "mysql", "mongodb", "redis", "amqp", "https"])
    user, secret, host = rng.choice(FIRST).lower(), password(rng), f"db{rng.randint(1, 9)}.internal.example"
    return f"{scheme}://{user}:{secret}@{host}:{rng.randint(1024, 65000)}/app"


# One "sensitive line" generator per kind: (kind, fn(rng) -> text). Each returns a full line (or lines).
def _sensitive_lines() -> list[tuple[str, Callable[[random.Random], str]]]:
    def ts(rng):
        return _timestamp(rng)

    return [
        (
            "email",
            lambda r: f"{ts(r)} INFO  [user-profile] profile updated user_id={r.randint(1, 10**7)} email={email(r)}",
        ),
        (
            "email",
            lambda r: json.dumps(
                {
                    "ts": ts(r),
                    "event": "signup",
                    "user_id": r.randint(1, 10**7),
                    "email": email(r),
                    "country": r.choice(COUNTRIES),
                }
            ),
        ),
        (
            "card",
            lambda r: (
                f"{ts(r)} WARN  [payments-api] charge declined card number {card(r)} "
                f"amount={r.randint(100, 99999) / 100:.2f} EUR"
            ),
        ),
        (
            "card",
            lambda r: json.dumps(
                {
                    "order": r.randint(10**6, 10**8),
                    "payment": {
                        "credit_card": card(r),
                        "exp": f"{r.randint(1, 12):02d}/{r.randint(26, 31)}",
                    },
                }
            ),
        ),
        (
            "ssn",
            lambda r: f"{r.randint(10**5, 10**6)},{name(r)},SSN {ssn(r)},{r.choice(COUNTRIES)},active",
        ),
        (
            "ssn",
            lambda r: f"The applicant's social security number is {ssn(r)} and the form was received on {_date(r)}.",
        ),
        (
            "phone",
            lambda r: f"Please call {name(r)} at {phone(r)} to confirm the delivery window.",
        ),
        (
            "iban",
            lambda r: (
                f"{ts(r)} INFO  [billing-worker] payout scheduled iban={iban(r)} ref={_rand(r, _UPPER_DIGITS, 10)}"
            ),
        ),
        (
            "aws",
            lambda r: "aws_access_key_id = {}\naws_secret_access_key = {}".format(*aws_pair(r)),
        ),
        ("github", lambda r: f"export GITHUB_TOKEN={github_token(r)}"),
        (
            "slack",
            lambda r: json.dumps({"channel": "#alerts", "slack_token": slack_token(r)}),
        ),
        ("stripe", lambda r: f"STRIPE_SECRET_KEY={stripe_key(r)}"),
        ("google", lambda r: f'  "google_api_key": "{google_key(r)}",'),
        (
            "jwt",
            lambda r: f"{ts(r)} DEBUG [auth-gateway] Authorization: Bearer {jwt(r)}",
        ),
        ("private_key", lambda r: private_key(r)),
        ("password", lambda r: f'db.password = "{password(r)}"'),
        ("url_creds", lambda r: f"DATABASE_URL={url_with_creds(r)}"),
        (
            "name_address",
            lambda r: f"Ship to: {name(r)}, {address(r)}. Contact: {email(r)}",
        ),
    ]


SENSITIVE = _sensitive_lines()


# ----------------------------------------------------------------------------------------- noise
def _timestamp(rng: random.Random) -> str:
    return (
        f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:"
        f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.{rng.randint(0, 999):03d}Z"
    )


def _date(rng: random.Random) -> str:
    return f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:]}"


def _ip(rng: random.Random) -> str:
    return rng.choice(
        [
            f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            f"172.{rng.randint(16, 31)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        ]
    )


def _path(rng: random.Random) -> str:
    return rng.choice(PATHS).replace("{id}", str(rng.randint(1, 10**6))).replace("{hex}", f"{rng.getrandbits(32):08x}")


def log_line(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.45:  # access log
        return (
            f'{_ip(rng)} - - [{_timestamp(rng)}] "{rng.choice(METHODS)} {_path(rng)} HTTP/1.1" '
            f'{rng.choice(STATUS)} {rng.randint(120, 250000)} {rng.randint(1, 2500)}ms "{rng.choice(UAS)}" '
            f"req_id={f'{rng.getrandbits(64):016x}'}"
        )
    msg = rng.choice(MESSAGES).format(
        k=f"sku:{rng.randint(1, 99999)}",
        n=rng.randint(1, 500),
        m=rng.randint(1, 50),
        ms=rng.randint(1, 9000),
        big=rng.randint(10**6, 10**10),
        s=rng.choice(STATUS),
    )
    line = (
        f"{_timestamp(rng)} {rng.choice(LEVELS):<5} [{rng.choice(SERVICES)}] trace={_uuid(rng)} "
        f"span={f'{rng.getrandbits(64):016x}'} {msg}"
    )
    if kind > 0.97:  # a short stack trace
        line += "".join(
            f"\n\tat com.example.{rng.choice(SERVICES).replace('-', '')}.Handler.handle(Handler.java:"
            f"{rng.randint(10, 900)})"
            for _ in range(rng.randint(2, 6))
        )
    return line


CSV_SCHEMAS = [
    (
        "order_id,customer_id,sku,qty,unit_price,currency,created_at,country,status,warehouse",
        lambda r: (
            f"{r.randint(10**6, 10**8)},{r.randint(1, 10**7)},SKU-{r.randint(1000, 99999)},{r.randint(1, 12)},"
            f"{r.randint(99, 99999) / 100:.2f},{r.choice(['EUR', 'USD', 'GBP'])},{_timestamp(r)},"
            f"{r.choice(COUNTRIES)},{r.choice(['shipped', 'pending', 'cancelled', 'delivered'])},"
            f"WH{r.randint(1, 40):02d}"
        ),
    ),
    (
        "date,host,cpu_pct,mem_mb,disk_read_kb,disk_write_kb,net_in_kb,net_out_kb",
        lambda r: (
            f"{_date(r)},ip-{_ip(r).replace('.', '-')},{r.random() * 100:.1f},{r.randint(200, 64000)},"
            f"{r.randint(0, 10**6)},{r.randint(0, 10**6)},{r.randint(0, 10**7)},{r.randint(0, 10**7)}"
        ),
    ),
    (
        "sku,title,category,price,stock,ean,updated_at",
        lambda r: (
            f"SKU-{r.randint(1000, 99999)},{r.choice(WORDS).title()} {r.choice(WORDS)} {r.choice(WORDS)},"
            f"{r.choice(['garden', 'kitchen', 'toys', 'books', 'tools'])},{r.randint(99, 50000) / 100:.2f},"
            f"{r.randint(0, 5000)},{r.randint(10**12, 10**13 - 1)},{_timestamp(r)}"
        ),
    ),
]


def json_line(rng: random.Random) -> str:
    return json.dumps(
        {
            "ts": _timestamp(rng),
            "event": rng.choice(EVENTS),
            "session_id": _uuid(rng),
            "user_id": rng.randint(1, 10**7),
            "path": _path(rng),
            "duration_ms": rng.randint(1, 60000),
            "ab_bucket": rng.choice("ABC"),
            "geo": {"country": rng.choice(COUNTRIES), "region": rng.randint(1, 99)},
            "device": {
                "os": rng.choice(["ios", "android", "windows", "macos", "linux"]),
                "app_version": f"{rng.randint(1, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 99)}",
            },
        },
        separators=(",", ":"),
    )


def prose_line(rng: random.Random) -> str:
    sentences = []
    for _ in range(rng.randint(2, 6)):
        words = [rng.choice(WORDS) for _ in range(rng.randint(8, 22))]
        if rng.random() < 0.4:
            words.insert(rng.randrange(len(words)), rng.choice(PROPER))
        if rng.random() < 0.2:
            words.insert(rng.randrange(len(words)), str(rng.randint(2, 2026)))
        s = " ".join(words)
        sentences.append(s[0].upper() + s[1:] + rng.choice([".", ".", ".", "?", "!"]))
    return " ".join(sentences)


# ----------------------------------------------------------------------------------------- assembly
# share of each format's blocks in the corpus (percent; CSV blocks pick one of CSV_SCHEMAS)
BLOCK_WEIGHTS = {"log": 40, "csv": 20, "json": 25, "prose": 15}


def _blocks(rng: random.Random):
    """Yield (header_line_or_None, line_generator) for the next block of one format."""
    kind = rng.choices(list(BLOCK_WEIGHTS), weights=list(BLOCK_WEIGHTS.values()))[0]
    if kind == "log":
        return None, log_line
    if kind == "json":
        return None, json_line
    if kind == "prose":
        return None, prose_line
    header, row = rng.choice(CSV_SCHEMAS)
    return header, row


def generate(path: Path, density: str, size_mb: float, seed: int) -> dict:
    """Write a corpus of about ``size_mb`` MiB to ``path``; return what was planted."""
    rng = random.Random(f"{seed}-{density}")
    target = int(size_mb * 1024 * 1024)
    planted: dict[str, int] = {}
    every = 50_000 if density == "low" else 0  # bytes between sensitive values (low), 0 = high density
    written = 0
    since = 0
    next_gap = rng.expovariate(1 / every) if every else 0
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="\n") as fh:
        buf: list[str] = []
        while written < target:
            header, gen = _blocks(rng)
            lines = [header] if header else []
            for _ in range(rng.randint(50, 400)):
                if every:
                    line = gen(rng)
                    since += len(line) + 1
                    if since >= next_gap:
                        kind, sens = rng.choice(SENSITIVE)
                        lines.append(sens(rng))
                        planted[kind] = planted.get(kind, 0) + 1
                        since, next_gap = 0, rng.expovariate(1 / every)
                else:
                    # high density: about 4 of 5 lines carry a value
                    if rng.random() < 0.8:
                        kind, sens = rng.choice(SENSITIVE)
                        line = sens(rng)
                        planted[kind] = planted.get(kind, 0) + 1
                    else:
                        line = gen(rng)
                lines.append(line)
            chunk = "\n".join(lines) + "\n\n"
            buf.append(chunk)
            written += len(chunk.encode("utf-8"))
            if len(buf) > 200:
                fh.write("".join(buf))
                buf.clear()
        fh.write("".join(buf))
    tmp.replace(path)
    meta = {
        "density": density,
        "seed": seed,
        "version": GEN_VERSION,
        "bytes": path.stat().st_size,
        "planted": dict(sorted(planted.items())),
        "planted_total": sum(planted.values()),
    }
    path.with_suffix(".json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return meta


def get_corpus(density: str, size_mb: float, seed: int = 1, cache_dir: Path = CACHE_DIR) -> tuple[str, dict]:
    """Return (text, meta) of the cached corpus, generating it on first use."""
    if density not in ("low", "high"):
        raise ValueError("density must be 'low' or 'high'")
    path = cache_dir / f"{density}-v{GEN_VERSION}-s{seed}-{size_mb:g}mb.txt"
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    else:
        meta = generate(path, density, size_mb, seed)
    meta["path"] = str(path)
    return path.read_text(encoding="utf-8"), meta


def chunks(text: str, chunk_bytes: int) -> list[str]:
    """Split at line ends into pieces of about ``chunk_bytes`` characters (ASCII-dominant text)."""
    out, i, n = [], 0, len(text)
    while i < n:
        j = min(n, i + chunk_bytes)
        if j < n:
            k = text.find("\n", j)
            j = n if k < 0 else k + 1
        out.append(text[i:j])
        i = j
    return out


def subsample(text: str, size_mb: float, pieces: int = 32) -> str:
    """About ``size_mb`` MiB taken as ``pieces`` evenly spaced, line-aligned slices of ``text``."""
    want = int(size_mb * 1024 * 1024)
    if want >= len(text):
        return text
    piece = want // pieces
    stride = len(text) // pieces
    out = []
    for p in range(pieces):
        a = text.find("\n", p * stride)
        a = 0 if p == 0 else (a + 1 if a >= 0 else len(text))
        b = text.find("\n", a + piece)
        b = len(text) if b < 0 else b + 1
        out.append(text[a:b])
    return "".join(out)
