"""A realistic sample data lake for the demo and the integration tests. Every value is fake.

Four buckets with different postures and contents:

| bucket | posture | contents |
|---|---|---|
| acme-customer-exports | no default encryption | daily CSV customer exports (names, emails, SSNs,
  card numbers), gzip copies, a Parquet snapshot |
| acme-app-logs | versioned | JSON Lines application logs by date, a few leaking AWS keys and tokens, gzip archives |
| acme-analytics | public via bucket policy | clean analytics: page views, sessions, metrics JSON, Parquet |
| acme-partner-share | shared with account 999988887777 | partner notes and settlement CSVs, some with SSNs and cards |

`seed(client)` returns a `SeedManifest` that lists every object written and every sensitive value
planted, so tests can check detections and that no raw value ever reaches a table.
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import random
import string
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

CUSTOMER_BUCKET = "acme-customer-exports"
LOGS_BUCKET = "acme-app-logs"
ANALYTICS_BUCKET = "acme-analytics"
PARTNER_BUCKET = "acme-partner-share"
BUCKETS = (CUSTOMER_BUCKET, LOGS_BUCKET, ANALYTICS_BUCKET, PARTNER_BUCKET)
CLEAN_BUCKETS = (ANALYTICS_BUCKET,)
EXTERNAL_ACCOUNT = "999988887777"

FIRST = ["Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "Mateo", "Isabella", "Lucas",
         "Mia", "Levi", "Amelia", "Ezra", "Harper", "Asher", "Evelyn", "James", "Aria", "Leo",
         "Priya", "Kenji", "Fatima", "Diego", "Chloe", "Hannah", "Omar", "Grace", "Yusuf", "Nora"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
        "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
        "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
        "Clark", "Ramirez", "Lewis", "Robinson"]
CITIES = [("Springfield", "IL", "62704"), ("Portland", "OR", "97205"), ("Austin", "TX", "78701"),
          ("Madison", "WI", "53703"), ("Denver", "CO", "80202"), ("Raleigh", "NC", "27601")]
STREETS = ["Maple Ave", "Oak St", "Pine Rd", "Cedar Ln", "Elm St", "Lakeview Dr", "Hillcrest Blvd"]
PAGES = ["/", "/pricing", "/docs", "/blog/launch", "/signup", "/login", "/features", "/about"]
COUNTRIES = ["US", "DE", "FR", "GB", "IN", "BR", "JP", "CA", "AU", "ES"]
SERVICES = ["billing", "checkout", "auth", "search", "notifications", "inventory"]
LOG_MESSAGES = [
    "request completed", "cache miss for product listing", "retrying upstream call",
    "user session refreshed", "rendered template", "queued notification", "health check ok",
    "slow query detected", "payment intent created", "inventory sync finished",
]
CARD_PREFIXES = ["4", "51", "52", "53", "54", "55", "37", "6011"]
CARD_LENGTH = {"4": 16, "51": 16, "52": 16, "53": 16, "54": 16, "55": 16, "37": 15, "6011": 16}
B32 = string.ascii_uppercase + "234567"
B64 = string.ascii_letters + string.digits + "+/"


@dataclass
class SeedManifest:
    """What was written: object keys per bucket, and the sensitive values planted per bucket."""

    objects: dict[str, list[str]] = field(default_factory=dict)
    sensitive_values: dict[str, set[str]] = field(default_factory=dict)
    sensitive_objects: dict[str, set[str]] = field(default_factory=dict)

    def add(self, bucket: str, key: str, values: set[str] | None = None) -> None:
        self.objects.setdefault(bucket, []).append(key)
        if values:
            self.sensitive_values.setdefault(bucket, set()).update(values)
            self.sensitive_objects.setdefault(bucket, set()).add(key)

    def all_values(self) -> set[str]:
        return set().union(*self.sensitive_values.values()) if self.sensitive_values else set()

    @property
    def object_count(self) -> int:
        return sum(len(v) for v in self.objects.values())


# ---- fake value generators -------------------------------------------------------------------

def _luhn_complete(prefix_and_body: str) -> str:
    """`prefix_and_body` followed by its Luhn check digit (seeder and bench corpora share it)."""
    digits = [int(d) for d in prefix_and_body]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return prefix_and_body + str((10 - total % 10) % 10)


def fake_card(rng: random.Random) -> str:
    prefix = rng.choice(CARD_PREFIXES)
    length = CARD_LENGTH[prefix]
    body = "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    return _luhn_complete(prefix + body)


def format_card(number: str, rng: random.Random) -> str:
    style = rng.choice(["plain", "dash", "space"])
    if style == "plain" or len(number) != 16:
        return number
    sep = "-" if style == "dash" else " "
    return sep.join(number[i:i + 4] for i in range(0, 16, 4))


def fake_ssn(rng: random.Random) -> str:
    while True:
        area = rng.randint(1, 899)
        if area in (666,) or area == 0:
            continue
        group, serial = rng.randint(1, 99), rng.randint(1, 9999)
        ssn = f"{area:03d}-{group:02d}-{serial:04d}"
        if ssn not in ("078-05-1120", "219-09-9999", "123-45-6789"):
            return ssn


def fake_access_key_id(rng: random.Random) -> str:
    return "AKIA" + "".join(rng.choice(B32) for _ in range(16))


def fake_secret_key(rng: random.Random) -> str:
    return "".join(rng.choice(B64) for _ in range(40))


def fake_github_token(rng: random.Random) -> str:
    return "ghp_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(36))


def fake_person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST), rng.choice(LAST)


def fake_email(first: str, last: str, rng: random.Random) -> str:
    domain = rng.choice(["example.com", "example.org", "mail.example.net"])
    return f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}@{domain}"


# ---- object builders -------------------------------------------------------------------------

def _csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode()


def customer_export(rng: random.Random, n: int) -> tuple[bytes, set[str]]:
    header = ["customer_id", "first_name", "last_name", "email", "ssn", "credit_card", "city", "signup_date"]
    rows, values = [], set()
    for i in range(n):
        first, last = fake_person(rng)
        email, ssn, card = fake_email(first, last, rng), fake_ssn(rng), fake_card(rng)
        city = rng.choice(CITIES)[0]
        rows.append([str(100000 + i), first, last, email, ssn, format_card(card, rng), city,
                     (date(2024, 1, 1) + timedelta(days=rng.randint(0, 900))).isoformat()])
        values.update({email, ssn, card})
    return _csv_bytes(header, rows), values


def app_log(rng: random.Random, day: date, n: int, leak: bool) -> tuple[bytes, set[str]]:
    lines, values = [], set()
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    leak_at = rng.randrange(n) if leak else -1
    for i in range(n):
        ts = (start + timedelta(seconds=i * 37)).isoformat().replace("+00:00", "Z")
        rec = {"ts": ts, "level": rng.choice(["INFO", "INFO", "INFO", "WARN", "DEBUG"]),
               "service": rng.choice(SERVICES), "request_id": f"{rng.getrandbits(64):016x}",
               "latency_ms": rng.randint(2, 900), "msg": rng.choice(LOG_MESSAGES)}
        if i == leak_at:
            kind = rng.choice(["aws", "aws", "github"])
            if kind == "aws":
                key_id, secret = fake_access_key_id(rng), fake_secret_key(rng)
                rec["level"] = "ERROR"
                rec["msg"] = (f"boto init failed with aws_access_key_id={key_id} "
                              f"aws_secret_access_key={secret}")
                values.update({key_id, secret})
            else:
                token = fake_github_token(rng)
                rec["msg"] = f"cloning with token {token}"
                values.add(token)
        lines.append(json.dumps(rec))
    return ("\n".join(lines) + "\n").encode(), values


def analytics_csv(rng: random.Random, day: date, n: int) -> bytes:
    header = ["date", "page", "country", "views", "unique_visitors", "avg_seconds", "bounce_rate"]
    rows = []
    for _ in range(n):
        views = rng.randint(10, 5000)
        rows.append([day.isoformat(), rng.choice(PAGES), rng.choice(COUNTRIES), str(views),
                     str(rng.randint(5, views)), f"{rng.uniform(5, 300):.1f}", f"{rng.random():.3f}"])
    return _csv_bytes(header, rows)


def analytics_metrics(rng: random.Random, day: date) -> bytes:
    return json.dumps({"date": day.isoformat(), "sessions": rng.randint(1000, 90000),
                       "conversion_rate": round(rng.random() / 10, 4),
                       "top_pages": rng.sample(PAGES, 3),
                       "by_country": {c: rng.randint(10, 5000) for c in rng.sample(COUNTRIES, 4)}},
                      indent=2).encode()


def parquet_bytes(columns: dict[str, list]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table(columns), buf)
    return buf.getvalue()


def partner_note(rng: random.Random, sensitive: bool) -> tuple[bytes, set[str]]:
    first, last = fake_person(rng)
    # Only the sensitive memos name a person: a full name is PII (Macie's NAME identifier).
    subject = f"{first} {last}" if sensitive else f"partner account {rng.randint(1000, 9999)}"
    lines = [f"Partner settlement memo for {subject}",
             "Reviewed the quarterly reconciliation and flagged two disputed transactions.",
             "Next review scheduled after month-end close."]
    values = set()
    if sensitive:
        ssn, card = fake_ssn(rng), fake_card(rng)
        lines.insert(1, f"Customer SSN: {ssn}")
        lines.insert(2, f"Refund to credit card {card} approved.")
        values.update({ssn, card})
    return ("\n".join(lines) + "\n").encode(), values


# ---- bucket setup ----------------------------------------------------------------------------

def _policy(statements: list[dict]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _create_buckets(client) -> None:
    for b in BUCKETS:
        client.create_bucket(Bucket=b)
    for b in (LOGS_BUCKET, ANALYTICS_BUCKET, PARTNER_BUCKET):
        client.put_bucket_encryption(Bucket=b, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    client.delete_bucket_encryption(Bucket=CUSTOMER_BUCKET)
    client.put_bucket_versioning(Bucket=LOGS_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    client.put_bucket_policy(Bucket=ANALYTICS_BUCKET, Policy=_policy([{
        "Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{ANALYTICS_BUCKET}/*"}]))
    client.put_bucket_policy(Bucket=PARTNER_BUCKET, Policy=_policy([{
        "Sid": "PartnerRead", "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{EXTERNAL_ACCOUNT}:root"},
        "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": [f"arn:aws:s3:::{PARTNER_BUCKET}", f"arn:aws:s3:::{PARTNER_BUCKET}/*"]}]))
    client.put_bucket_tagging(Bucket=CUSTOMER_BUCKET, Tagging={"TagSet": [
        {"Key": "team", "Value": "crm"}, {"Key": "data-class", "Value": "restricted"}]})


def seed(client, seed: int = 7, scale: int = 1) -> SeedManifest:
    """Create the four buckets and a few hundred objects (times `scale`). Returns what was written."""
    rng = random.Random(seed)
    m = SeedManifest()
    _create_buckets(client)

    def put(bucket: str, key: str, body: bytes, values: set[str] | None = None, **extra) -> None:
        client.put_object(Bucket=bucket, Key=key, Body=body, **extra)
        m.add(bucket, key, values)

    days = [date(2026, 10, 1) + timedelta(days=i) for i in range(30 * scale)]
    # Customer exports: one CSV a day, every 5th day also gzip; a Parquet snapshot.
    for d in days:
        for region in ("us", "eu"):
            prefix = f"exports/{region}/{d:%Y/%m/%d}/"
            body, values = customer_export(rng, rng.randint(20, 60))
            put(CUSTOMER_BUCKET, prefix + "customers.csv", body, values, ContentType="text/csv")
            if d.day % 5 == 0:
                put(CUSTOMER_BUCKET, prefix + "customers.csv.gz", gzip.compress(body, mtime=0), values)
    cards = [fake_card(rng) for _ in range(25)]
    names = [" ".join(fake_person(rng)) for _ in range(25)]
    put(CUSTOMER_BUCKET, "snapshots/2026-10-31/customers.parquet",
        parquet_bytes({"name": names, "credit_card_number": cards,
                       "tier": [rng.choice(["gold", "silver"]) for _ in cards]}),
        set(cards))
    put(CUSTOMER_BUCKET, "README.md", b"# Customer exports\nDaily CRM exports land here.\n")

    # Application logs: 3 services x days, JSON Lines; about one in six leaks a credential.
    for d in days:
        for svc in SERVICES[:3]:
            body, values = app_log(rng, d, rng.randint(40, 120), leak=rng.random() < 0.17)
            key = f"logs/{svc}/{d:%Y/%m/%d}/events.jsonl"
            if d.day % 10 == 0:
                put(LOGS_BUCKET, key + ".gz", gzip.compress(body, mtime=0), values)
            else:
                put(LOGS_BUCKET, key, body, values)
    # A versioned overwrite: the latest version is what gets scanned.
    body, values = app_log(rng, days[0], 50, leak=False)
    put(LOGS_BUCKET, "logs/latest.jsonl", body)
    client.put_object(Bucket=LOGS_BUCKET, Key="logs/latest.jsonl", Body=body)

    # Analytics: clean.
    for d in days:
        put(ANALYTICS_BUCKET, f"pageviews/dt={d:%Y-%m-%d}/part-000.csv", analytics_csv(rng, d, 80))
        put(ANALYTICS_BUCKET, f"pageviews/dt={d:%Y-%m-%d}/part-001.csv", analytics_csv(rng, d, 80))
        put(ANALYTICS_BUCKET, f"metrics/{d:%Y/%m/%d}/daily.json", analytics_metrics(rng, d))
    put(ANALYTICS_BUCKET, "rollups/2026-10.parquet", parquet_bytes({
        "page": PAGES, "views": [rng.randint(1000, 90000) for _ in PAGES]}))
    put(ANALYTICS_BUCKET, "rollups/2026-10.csv.gz", gzip.compress(analytics_csv(rng, days[-1], 50), mtime=0))

    # Partner share: memos, a third of them sensitive, and settlement CSVs.
    for i in range(24 * scale):
        body, values = partner_note(rng, sensitive=i % 3 == 0)
        put(PARTNER_BUCKET, f"memos/2026/memo-{i:03d}.txt", body, values)
    for i in range(6 * scale):
        body, values = customer_export(rng, 10)
        put(PARTNER_BUCKET, f"settlements/batch-{i:02d}.csv", body, values)
    return m
