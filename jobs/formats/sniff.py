"""What an object really is: magic bytes first, then the extension; and streams with a peek.

`sniff(head, name)` returns `(kind, note)`: kind is a reader name (`text`, `csv`, `zip`, ...) or
`unsupported`; note says why, e.g. when the content and the extension disagree (content wins for
every format with a magic number; a text extension never makes binary content readable).
"""
from __future__ import annotations

import io

TEXT_KINDS = {"text", "csv", "tsv", "json", "jsonl", "xml", "html"}

EXT_KIND = {
    "csv": "csv", "tsv": "tsv", "tab": "tsv", "json": "json", "jsonl": "jsonl", "ndjson": "jsonl",
    "xml": "xml", "html": "html", "htm": "html", "xhtml": "html", "eml": "eml",
    "parquet": "parquet", "orc": "orc", "avro": "avro", "pdf": "pdf", "docx": "docx", "xlsx": "xlsx",
    "zip": "zip", "tar": "tar", "gz": "gzip", "gzip": "gzip", "tgz": "gzip", "bz2": "bz2", "tbz2": "bz2",
    "zst": "zstd", "zstd": "zstd",
}
TEXT_EXTENSIONS = {"txt", "log", "md", "markdown", "rst", "yaml", "yml", "ini", "cfg", "conf", "properties",
                   "env", "sql", "py", "js", "ts", "java", "go", "rb", "sh", "toml", "tf", "pem", "key", "text",
                   "out", "err", "trace", "csv", "tsv", "json", "jsonl", "ndjson", "xml", "html", "htm", "tex",
                   "php", "c", "h", "cpp", "cs", "kt", "scala", "r", "ps1", "bat", "dat", ""}
MEDIA_EXTENSIONS = {"png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "webp", "ico", "svg", "heic", "mp3",
                    "wav", "flac", "ogg", "aac", "m4a", "mp4", "mov", "avi", "mkv", "webm", "wmv"}
OTHER_UNSUPPORTED = {"exe", "dll", "so", "bin", "class", "jar", "woff", "woff2", "ttf", "otf", "7z", "rar",
                     "xz", "lz4", "doc", "xls", "ppt", "pptx", "odt", "ods", "iso", "dmg", "pyc", "sqlite", "db"}

# (offset, magic, kind or "unsupported:<what>")
MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"PK\x03\x04", "zip"), (0, b"PK\x05\x06", "zip"),
    (0, b"\x1f\x8b", "gzip"), (4, b"1AY&SY", "bz2"), (0, b"\x28\xb5\x2f\xfd", "zstd"),
    (0, b"PAR1", "parquet"), (0, b"ORC", "orc"), (0, b"Obj\x01", "avro"), (0, b"%PDF-", "pdf"),
    (257, b"ustar", "tar"),
    (0, b"\x89PNG\r\n\x1a\n", "unsupported:image"), (0, b"\xff\xd8\xff", "unsupported:image"),
    (0, b"GIF87a", "unsupported:image"), (0, b"GIF89a", "unsupported:image"),
    (0, b"II*\x00", "unsupported:image"), (0, b"MM\x00*", "unsupported:image"),
    (0, b"\x00\x00\x01\x00", "unsupported:image"),
    (0, b"ID3\x03", "unsupported:audio"), (0, b"ID3\x04", "unsupported:audio"),
    (0, b"fLaC", "unsupported:audio"), (0, b"OggS", "unsupported:audio"),
    (0, b"\x1a\x45\xdf\xa3", "unsupported:video"), (4, b"ftyp", "unsupported:video"),
    (0, b"\x7fELF", "unsupported:executable"),
    (0, b"\xca\xfe\xba\xbe", "unsupported:executable"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "unsupported:legacy Office (OLE2) document"),
    (0, b"7z\xbc\xaf\x27\x1c", "unsupported:7z archive"), (0, b"Rar!\x1a\x07", "unsupported:rar archive"),
    (0, b"\xfd7zXZ\x00", "unsupported:xz stream"), (0, b"SQLite format 3\x00", "unsupported:sqlite database"),
)
RIFF = {b"WEBP": "unsupported:image", b"WAVE": "unsupported:audio", b"AVI ": "unsupported:video"}

BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def extension_of(key: str) -> str:
    name = key.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def inner_name(name: str, kind: str) -> str:
    """The name of what a compressed file holds: a.csv.gz -> a.csv, a.tgz -> a.tar."""
    ext = extension_of(name)
    if ext in ("tgz", "tbz2"):
        return name[: -len(ext)] + "tar"
    if EXT_KIND.get(ext) == kind:
        return name[: -len(ext) - 1]
    return name


def bom_encoding(head: bytes) -> str | None:
    for bom, enc in BOMS:
        if head.startswith(bom):
            return enc
    return None


def looks_binary(head: bytes) -> bool:
    """NUL bytes (without a UTF-16 BOM) or many control characters: not text."""
    if not head or bom_encoding(head):
        return False
    if b"\x00" in head:
        return True
    ctrl = sum(1 for b in head[:4096] if b < 9 or 13 < b < 32 or b == 127)
    return ctrl > len(head[:4096]) * 0.10


def sniff(head: bytes, name: str) -> tuple[str, str | None]:
    ext = extension_of(name)
    by_ext = EXT_KIND.get(ext)
    for off, magic, kind in MAGIC:
        if head[off:off + len(magic)] == magic:
            if len(magic) <= 3 and by_ext != kind and not looks_binary(head):
                continue  # a short magic at the start of plain text ("ORC id: ...") is not a format
            if kind == "zip" and by_ext in ("docx", "xlsx"):
                return by_ext, None  # the zip reader tells OOXML from plain zip by its members anyway
            if ext and by_ext != kind and (by_ext or ext in TEXT_EXTENSIONS) and not kind.startswith("unsupported"):
                return kind, f"content is {kind}, extension .{ext}"
            return kind, None
    if head[:4] == b"RIFF" and head[8:12] in RIFF:
        return RIFF[head[8:12]], None
    if ext in MEDIA_EXTENSIONS:
        return "unsupported:media file", None
    if by_ext in ("parquet", "orc", "avro", "pdf", "zip", "tar", "gzip", "bz2", "zstd", "docx", "xlsx"):
        return by_ext, None  # no magic: the reader reports the file as malformed
    if looks_binary(head):
        return "unsupported:binary content", (f"binary content, extension .{ext}" if ext else None)
    if ext in OTHER_UNSUPPORTED:
        return f"unsupported:.{ext} files", None
    if by_ext:
        return by_ext, None
    stripped = head.lstrip()[:64].lower()
    if stripped.startswith((b"<!doctype html", b"<html")):
        return "html", None
    return "text", None


class PeekStream(io.RawIOBase):
    """A read-only stream over another one, with `peek(n)` that does not consume."""

    def __init__(self, raw) -> None:
        self.raw = raw
        self._buf = b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def peek(self, n: int) -> bytes:
        while len(self._buf) < n:
            more = self.raw.read(n - len(self._buf))
            if not more:
                break
            self._buf += more
        return self._buf[:n]

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            out = self._buf + self.raw.read()
            self._buf = b""
            return out
        if self._buf:
            out, self._buf = self._buf[:n], self._buf[n:]
            if len(out) < n:
                out += self.raw.read(n - len(out)) or b""
            return out
        return self.raw.read(n) or b""

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)


def read_limited(stream, limit: int) -> tuple[bytes, bool]:
    """(data, complete): all of `stream` if it is at most `limit` bytes, else the first limit + 1 bytes."""
    chunks, total = [], 0
    while total <= limit:
        part = stream.read(min(8 * 1024 * 1024, limit + 1 - total))
        if not part:
            return b"".join(chunks), True
        chunks.append(part)
        total += len(part)
    return b"".join(chunks), False


class ChainStream(io.RawIOBase):
    """`prefix` bytes, then the rest of `stream`."""

    def __init__(self, prefix: bytes, stream) -> None:
        self.prefix = memoryview(prefix)
        self.stream = stream

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if len(self.prefix):
            if n is None or n < 0:
                out = bytes(self.prefix) + self.stream.read()
                self.prefix = memoryview(b"")
                return out
            out = bytes(self.prefix[:n])
            self.prefix = self.prefix[n:]
            return out
        return self.stream.read(n) or b""

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)
