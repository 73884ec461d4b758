"""A fault-injecting HTTP proxy on 127.0.0.1 in front of the embedded S3 (moto), for tests and soaks.

    with FaultProxy(moto.endpoint_url, rate=0.2, seed=7) as proxy:
        cfg = make_config(proxy.endpoint_url, ...)      # the job talks to the proxy
        proxy.deny_bucket("locked")                      # 403 AccessDenied on every request to it
        proxy.deny_object("b", "k")                      # 403 on GET/HEAD of one object
        proxy.before_get("b", "k", lambda: ...)          # runs once, before the first GetObject of b/k

Faults, decided per request from a hash of (seed, method, path, Range, n-th time this request is
seen), so a run is reproducible whatever the thread interleaving and a retried request gets a fresh
draw: `slowdown` answers 503 SlowDown (S3's throttling error), `reset` accepts the request and
closes the connection with a TCP RST before answering, `truncate` (off by default) sends the
headers and half of a GetObject body, then resets. Every request and outcome is counted
(`proxy.counts`, `proxy.attempts`). Path-style addressing only (what `jobs.s3.make_client` uses).

STS (multi-account): moto lets anyone assume any role, so `proxy.deny_assume_role(arn)` answers an
AssumeRole of that role with 403 AccessDenied, the way STS refuses a role whose trust policy (or
external id) does not match. `proxy.signers` counts (bucket, access key id) of every S3 request,
so a test can tell which credentials touched which bucket.

SSE-C: moto stores an object PUT with a customer key but serves it to anyone. The proxy remembers
such PUTs (or `proxy.sse_c_object(b, k)`) and answers a GET/HEAD without the key the way S3 does:
400 InvalidRequest ("The object was stored using a form of Server Side Encryption...").
"""
from __future__ import annotations

import contextlib
import hashlib
import http.client
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"}
KINDS = ("slowdown", "reset", "truncate")


def _error_xml(code: str, message: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
            f"<RequestId>faultproxy</RequestId></Error>").encode()


class FaultProxy:
    def __init__(self, upstream: str, rate: float = 0.0, seed: int = 0,
                 kinds: tuple[str, ...] = ("slowdown", "reset"), host: str = "127.0.0.1", port: int = 0,
                 methods: tuple[str, ...] = ("GET", "HEAD", "PUT", "POST", "DELETE")) -> None:
        unknown = set(kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)} (known: {', '.join(KINDS)})")
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate {rate} must be within 0..1")
        u = urlsplit(upstream)
        self.upstream_host, self.upstream_port = u.hostname or "127.0.0.1", u.port or 80
        self.rate, self.seed, self.kinds, self.methods = rate, seed, tuple(kinds), tuple(methods)
        self.host, self.port = host, port
        self.counts: Counter[str] = Counter()
        self.attempts: Counter[tuple[str, str]] = Counter()   # (method, path) -> requests seen
        self.denied_buckets: set[str] = set()
        self.denied_objects: set[tuple[str, str]] = set()
        self.hooks: dict[tuple[str, str], Callable[[], None]] = {}
        self.sse_c: set[tuple[str, str]] = set()
        self.denied_roles: set[str] = set()
        self.signers: Counter[tuple[str, str]] = Counter()   # (bucket, access key id) -> S3 requests
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    # ------------------------------------------------------------------ configuration
    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def deny_bucket(self, bucket: str) -> None:
        self.denied_buckets.add(bucket)

    def deny_object(self, bucket: str, key: str) -> None:
        self.denied_objects.add((bucket, key))

    def deny_assume_role(self, role_arn: str) -> None:
        self.denied_roles.add(role_arn)

    def sse_c_object(self, bucket: str, key: str) -> None:
        self.sse_c.add((bucket, key))

    def before_get(self, bucket: str, key: str, fn: Callable[[], None]) -> None:
        """Run `fn` once, just before the first GetObject of bucket/key is forwarded (after listing)."""
        self.hooks[(bucket, key)] = fn

    def set_faults(self, rate: float, kinds: tuple[str, ...] | None = None) -> None:
        self.rate = rate
        if kinds is not None:
            self.kinds = tuple(kinds)

    def reset_counts(self) -> None:
        with self.lock:
            self.counts.clear()
            self.attempts.clear()

    # ------------------------------------------------------------------ decisions
    def decide(self, method: str, path: str, rng: str) -> str | None:
        """The fault for this request, or None: deterministic in (seed, request, occurrence)."""
        with self.lock:
            n = self.attempts[(method, path + rng)]
            self.attempts[(method, path + rng)] += 1
            self.counts["requests"] += 1
        if self.rate <= 0 or method not in self.methods or not self.kinds:
            return None
        h = hashlib.sha256(f"{self.seed}|{method}|{path}|{rng}|{n}".encode()).digest()
        draw = int.from_bytes(h[:8], "big") / 2 ** 64
        if draw >= self.rate:
            return None
        kinds = [k for k in self.kinds if k != "truncate" or method == "GET"] or ["slowdown"]
        return kinds[h[8] % len(kinds)]

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> FaultProxy:
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self.server = ThreadingHTTPServer((self.host, self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="faultproxy", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _split(path: str) -> tuple[str, str | None, str]:
    """(bucket, key or None, query) of a path-style S3 request."""
    u = urlsplit(path)
    parts = u.path.lstrip("/").split("/", 1)
    bucket = unquote(parts[0])
    key = unquote(parts[1]) if len(parts) > 1 and parts[1] else None
    return bucket, key, u.query


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    owner: FaultProxy

    def log_message(self, *args) -> None:  # quiet: tests read proxy.counts instead
        pass

    def _reset(self) -> None:
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with contextlib.suppress(OSError):
            self.connection.close()
        self.close_connection = True

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", "0" if self.command == "HEAD" else str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self) -> None:
        p = self.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        bucket, key, query = _split(self.path)
        auth = self.headers.get("Authorization", "")
        if bucket and "Credential=" in auth:
            with p.lock:
                p.signers[(bucket, auth.split("Credential=", 1)[1].split("/", 1)[0])] += 1
        if not bucket and self.command == "POST" and p.denied_roles:
            form = parse_qs(body.decode("utf-8", "replace"))
            arn = (form.get("RoleArn") or [""])[0]
            if form.get("Action") == ["AssumeRole"] and arn in p.denied_roles:
                with p.lock:
                    p.counts["assume_role_denied"] += 1
                self._answer(403, (
                    '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
                    f"<Code>AccessDenied</Code><Message>not authorized to perform: sts:AssumeRole on resource: "
                    f"{arn}</Message></Error><RequestId>faultproxy</RequestId></ErrorResponse>").encode())
                return
        is_get_object = self.command == "GET" and key is not None and "uploads" not in query
        fault = p.decide(self.command, self.path, self.headers.get("Range", ""))
        if fault == "reset":
            with p.lock:
                p.counts["reset"] += 1
            self._reset()
            return
        if fault == "slowdown":
            with p.lock:
                p.counts["slowdown"] += 1
            self._answer(503, _error_xml("SlowDown", "Please reduce your request rate."))
            return
        if bucket in p.denied_buckets or (key is not None and (bucket, key) in p.denied_objects):
            with p.lock:
                p.counts["denied"] += 1
            self._answer(403, _error_xml("AccessDenied", "Access Denied"))
            return
        sse_c_hdr = "x-amz-server-side-encryption-customer-algorithm"
        if key is not None and self.command == "PUT" and self.headers.get(sse_c_hdr):
            with p.lock:
                p.sse_c.add((bucket, key))
        if (key is not None and self.command in ("GET", "HEAD") and (bucket, key) in p.sse_c
                and not self.headers.get(sse_c_hdr)):
            with p.lock:
                p.counts["sse_c_refused"] += 1
            self._answer(400, _error_xml("InvalidRequest", "The object was stored using a form of Server Side "
                                         "Encryption. The correct parameters must be provided to retrieve the object."))
            return
        if is_get_object:
            with p.lock:
                hook = p.hooks.pop((bucket, key), None)
            if hook is not None:
                hook()
                with p.lock:
                    p.counts["hooks"] += 1
        self._forward(body, truncate=fault == "truncate" and is_get_object)

    def _forward(self, body: bytes, truncate: bool) -> None:
        p = self.owner
        conn = http.client.HTTPConnection(p.upstream_host, p.upstream_port, timeout=120)
        try:
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for k, v in self.headers.items():
                if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                    conn.putheader(k, v)
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            resp = conn.getresponse()
            data = b"" if self.command == "HEAD" else resp.read()
            self.send_response(resp.status, resp.reason)
            for k, v in resp.getheaders():
                if k.lower() not in HOP_BY_HOP and k.lower() not in ("content-length", "server", "date"):
                    self.send_header(k, v)
            if self.command == "HEAD":
                self.send_header("Content-Length", resp.getheader("Content-Length", "0"))
            else:
                self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if truncate and len(data) > 1:
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                with p.lock:
                    p.counts["truncate"] += 1
                self._reset()
                return
            if data:
                self.wfile.write(data)
            with p.lock:
                p.counts["forwarded"] += 1
        finally:
            conn.close()

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _handle
