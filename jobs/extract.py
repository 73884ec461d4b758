"""Turn one object's bytes into detections with Macie-style locations.

Executors call `classify_bytes(data, key, engine, limits)`. A reader per format yields *segments*:
a text to classify, its structural context (`field_path`: column name, JSON path elements) and a
function mapping a line of that text back to a Macie occurrence (`lineRanges`, `cells`, `records`).
Columns and JSON paths are classified as one text per column/path (values joined by newlines), so
the engine is called once per column, not once per cell.

Errors are not exceptions to the caller: they become Macie status/reason codes.
"""
from __future__ import annotations

import bz2
import csv
import io
import json
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

COMPLETE, PARTIAL, SKIPPED = "COMPLETE", "PARTIAL", "SKIPPED"

TEXT_EXTENSIONS = {"txt", "log", "md", "yaml", "yml", "ini", "cfg", "conf", "properties", "env", "sql",
                   "xml", "html", "htm", "py", "js", "ts", "java", "go", "rb", "sh", "toml", "tf", "pem",
                   "key", "text", ""}
UNSUPPORTED_EXTENSIONS = {"png", "jpg", "jpeg", "gif", "bmp", "tiff", "webp", "ico", "svg", "mp3",
                          "wav", "flac", "ogg", "mp4", "mov", "avi", "mkv", "webm", "exe", "dll",
                          "so", "bin", "class", "jar", "woff", "woff2", "ttf"}
COMPRESSED = {"gz": "gzip", "gzip": "gzip", "bz2": "bz2"}


class ExtractError(Exception):
    """A reader could not turn the object into text; `reason` is Macie's reason code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass
class Segment:
    text: str
    field_path: tuple[str, ...]
    locate: Callable[[int, int], dict[str, Any]]


@dataclass
class TypeResult:
    category: str
    count: int = 0
    occurrences: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ObjectResult:
    status: str
    reason: str | None = None
    detail: str | None = None
    mime_type: str | None = None
    size_classified: int = 0
    detections: dict[str, TypeResult] = field(default_factory=dict)

    @property
    def detection_count(self) -> int:
        return sum(t.count for t in self.detections.values())


def extension_of(key: str) -> str:
    name = key.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _inner_key(key: str) -> str:
    return key.rsplit(".", 1)[0]


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Latin-1 (every byte decodes)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    return b"\x00" in head


def _decompress(data: bytes, kind: str, limit: int) -> bytes:
    try:
        if kind == "gzip":
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out = d.decompress(data, limit + 1)
            if len(out) > limit:
                raise ExtractError("FILE_EXCEEDS_SIZE_LIMIT", f"decompressed size exceeds {limit} bytes")
            if not d.eof:
                raise ExtractError("MALFORMED_FILE", "truncated gzip stream")
            return out
        if kind == "bz2":
            d2 = bz2.BZ2Decompressor()
            out = d2.decompress(data, max_length=limit + 1)
            if len(out) > limit:
                raise ExtractError("FILE_EXCEEDS_SIZE_LIMIT", f"decompressed size exceeds {limit} bytes")
            return out
    except (OSError, EOFError, zlib.error, ValueError) as e:
        raise ExtractError("MALFORMED_FILE", f"cannot decompress {kind}: {type(e).__name__}") from None
    raise ExtractError("UNSUPPORTED_FILE_TYPE_EXCEPTION", f"compression {kind}")


# ---- readers ---------------------------------------------------------------------------------

def _line_starts(text: str) -> list[int]:
    starts = [0]
    find = text.find
    i = find("\n")
    while i != -1:
        starts.append(i + 1)
        i = find("\n", i + 1)
    return starts


def read_text(text: str) -> Iterator[Segment]:
    def locate(line: int, column: int) -> dict[str, Any]:
        return {"kind": "lineRange", "line_start": line, "line_end": line, "start_column": column}

    yield Segment(text, (), locate)


def read_csv(text: str, delimiter: str = ",") -> Iterator[Segment]:
    """Header row: column names act as keywords for every value in the column (Macie §1.5)."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as e:
        raise ExtractError("UNABLE_TO_PARSE_FILE", f"csv header: {e}") from None
    names = [h.strip() or f"column_{i + 1}" for i, h in enumerate(header)]
    cols: dict[int, list[str]] = {i: [] for i in range(len(names))}
    extra: list[str] = []
    try:
        for row in reader:
            for i in range(len(names)):
                cols[i].append(row[i] if i < len(row) else "")
            if len(row) > len(names):
                extra.append(delimiter.join(row[len(names):]))
    except csv.Error as e:
        raise ExtractError("UNABLE_TO_PARSE_FILE", f"csv row: {e}") from None

    for i, name in enumerate(names):
        values = cols[i]
        if not any(values):
            continue

        def locate(line: int, column: int, _i=i, _name=name) -> dict[str, Any]:
            # line 1 of the column text is data row 1, which is file row 2 (after the header)
            return {"kind": "cell", "row": line + 1, "column": _i + 1, "column_name": _name}

        text_col = "\n".join(v.replace("\n", " ").replace("\r", " ") for v in values)
        yield Segment(text_col, (name,), locate)
    # Header names themselves can hold data (rare); classify them as plain text of row 1.
    yield Segment(delimiter.join(header), (), lambda line, col: {"kind": "cell", "row": 1, "column": None,
                                                                  "column_name": None})


def _flatten(value: Any, path: str, out: dict[str, list[tuple[int, str]]], record: int, depth: int,
             max_depth: int) -> None:
    if depth > max_depth:
        raise ExtractError("JSON_NESTING_LEVEL_OVER_LIMIT", f"nesting deeper than {max_depth}")
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(v, f"{path}.{k}", out, record, depth + 1, max_depth)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _flatten(v, f"{path}[{i}]", out, record, depth + 1, max_depth)
    elif value is not None and not isinstance(value, bool):
        out.setdefault(path, []).append((record, str(value)))


def _record_segments(leaves: dict[str, list[tuple[int, str]]]) -> Iterator[Segment]:
    for path, items in leaves.items():
        text = "\n".join(v.replace("\n", " ").replace("\r", " ") for _, v in items)
        records = [r for r, _ in items]
        elements = tuple(p for p in path.replace("[", ".[").split(".") if p and p != "$" and not p.startswith("["))

        def locate(line: int, column: int, _records=records, _path=path) -> dict[str, Any]:
            return {"kind": "record", "record_index": _records[line - 1], "json_path": _path}

        yield Segment(text, elements, locate)


def read_jsonl(text: str, max_depth: int) -> Iterator[Segment]:
    leaves: dict[str, list[tuple[int, str]]] = {}
    bad_lines = 0
    for idx, line in enumerate(text.split("\n")):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except (ValueError, RecursionError):
            bad_lines += 1
            continue
        _flatten(rec, "$", leaves, idx, 0, max_depth)
    if bad_lines and not leaves:
        raise ExtractError("UNABLE_TO_PARSE_FILE", f"{bad_lines} lines are not JSON")
    yield from _record_segments(leaves)


def read_json(text: str, max_depth: int) -> Iterator[Segment]:
    try:
        doc = json.loads(text)
    except RecursionError:
        raise ExtractError("JSON_NESTING_LEVEL_OVER_LIMIT", "nesting too deep to parse") from None
    except ValueError:
        # Not one JSON document: maybe JSON Lines with a .json name.
        yield from read_jsonl(text, max_depth)
        return
    leaves: dict[str, list[tuple[int, str]]] = {}
    _flatten(doc, "$", leaves, 0, 0, max_depth)
    yield from _record_segments(leaves)


def read_parquet(data: bytes) -> Iterator[Segment]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowException, OSError, ValueError) as e:
        raise ExtractError("UNABLE_TO_PARSE_FILE", f"parquet: {type(e).__name__}") from None
    leaves: dict[str, list[tuple[int, str]]] = {}
    for name in table.column_names:
        col = table.column(name).to_pylist()
        for i, v in enumerate(col):
            _flatten(v, f"$.{name}", leaves, i, 0, 256)
    yield from _record_segments(leaves)


# ---- the entry point -------------------------------------------------------------------------

@dataclass(frozen=True)
class Limits:
    max_text_bytes: int = 64 * 1024 * 1024
    max_locations_per_type: int = 1000
    json_max_depth: int = 256


def segments_for(data: bytes, key: str, limits: Limits) -> tuple[str, Iterable[Segment]]:
    """Pick the reader from the extension and the content; returns (mime type, segments)."""
    ext = extension_of(key)
    if ext in COMPRESSED:
        inner = _decompress(data, COMPRESSED[ext], limits.max_text_bytes)
        mime, segs = segments_for(inner, _inner_key(key), limits)
        return mime, segs
    if data[:2] == b"\x1f\x8b":
        return segments_for(_decompress(data, "gzip", limits.max_text_bytes), key, limits)
    if ext == "parquet" or data[:4] == b"PAR1":
        return "application/vnd.apache.parquet", read_parquet(data)
    if ext in UNSUPPORTED_EXTENSIONS:
        raise ExtractError("UNSUPPORTED_FILE_TYPE_EXCEPTION", f"unsupported file type .{ext}")
    if looks_binary(data):
        raise ExtractError("UNSUPPORTED_FILE_TYPE_EXCEPTION", "binary content")
    if len(data) > limits.max_text_bytes:
        raise ExtractError("FILE_EXCEEDS_SIZE_LIMIT", f"text larger than {limits.max_text_bytes} bytes")
    text = decode_text(data)
    if ext == "csv":
        return "text/csv", read_csv(text)
    if ext == "tsv":
        return "text/tab-separated-values", read_csv(text, "\t")
    if ext in ("jsonl", "ndjson"):
        return "application/jsonl", read_jsonl(text, limits.json_max_depth)
    if ext == "json":
        return "application/json", read_json(text, limits.json_max_depth)
    return "text/plain", read_text(text)


def classify_bytes(data: bytes, key: str, engine, limits: Limits = Limits()) -> ObjectResult:
    """Classify one object's bytes; never raises for bad content (it becomes a reason code)."""
    try:
        mime, segments = segments_for(data, key, limits)
        result = ObjectResult(status=COMPLETE, mime_type=mime, size_classified=len(data))
        for seg in segments:
            for det in engine.detect(seg.text, field_path=seg.field_path):
                tr = result.detections.get(det.type)
                if tr is None:
                    tr = result.detections[det.type] = TypeResult(category=det.category)
                tr.count += 1
                if len(tr.occurrences) < limits.max_locations_per_type:
                    occ = seg.locate(det.line, det.column)
                    occ["masked"] = det.masked
                    occ["value_hash"] = det.value_hash
                    tr.occurrences.append(occ)
        return result
    except ExtractError as e:
        return ObjectResult(status=SKIPPED, reason=e.reason, detail=e.detail)
    except RecursionError:
        return ObjectResult(status=SKIPPED, reason="JSON_NESTING_LEVEL_OVER_LIMIT", detail="nesting too deep")
    except MemoryError:
        return ObjectResult(status=SKIPPED, reason="FILE_EXCEEDS_SIZE_LIMIT", detail="out of memory")
