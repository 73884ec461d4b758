"""Text-like formats, streamed: plain text (and xml, html, yaml, logs...), csv/tsv, json, jsonl.

Bytes come in chunks of `Limits.stream_chunk_bytes`; memory stays bounded whatever the size.

Plain text is classified in overlapping windows. A window owns the detections that *start* in
`[own_lo, own_hi)`; `own_hi` is `stream_overlap_chars - stream_context_chars` before the window's
end, and the next window starts `stream_context_chars` before `own_hi`. So a match shorter than the
overlap is seen whole by exactly one owner (found once, never twice), a keyword up to
`stream_context_chars` before it is still in view, and line/column are counted across windows.

CSV/TSV and JSON Lines need no overlap: values never span records. They are classified per batch of
records (one text per column or JSON path per batch, `Limits.batch_bytes` of input per batch).
"""
from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from typing import Any

from jobs.formats.core import (
    JSON_NESTING_LEVEL_OVER_LIMIT,
    UNABLE_TO_PARSE_FILE,
    UNSUPPORTED_FILE_TYPE_EXCEPTION,
    Collector,
    ExtractError,
    Limits,
    Segment,
    line_range,
)
from jobs.formats.sniff import bom_encoding, looks_binary

# ---- decoding -----------------------------------------------------------------------------------


class TextDecoder:
    """UTF-8 (BOM or not), UTF-16 with a BOM; invalid UTF-8 falls back to Latin-1 from that byte on."""

    def __init__(self, head: bytes) -> None:
        self.encoding = bom_encoding(head) or "utf-8"
        self.fallback_at: int | None = None  # byte offset where Latin-1 took over
        self._pending = b""
        self._consumed = 0
        self._bom = self.encoding == "utf-8-sig"
        if self.encoding == "utf-16":
            import codecs

            self._utf16 = codecs.getincrementaldecoder("utf-16")(errors="replace")

    @property
    def charset(self) -> str:
        if self.encoding == "utf-16":
            return "utf-16"
        return "iso-8859-1" if self.fallback_at == 0 else "utf-8"

    def decode(self, data: bytes, final: bool = False) -> str:
        if self.encoding == "utf-16":
            return self._utf16.decode(data, final)
        if self._bom:
            data = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
            self._bom = False
            self._consumed += 3
        if self.fallback_at is not None:
            self._consumed += len(data)
            return data.decode("latin-1")
        data = self._pending + data
        self._pending = b""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            if not final and e.reason == "unexpected end of data" and e.start >= len(data) - 3:
                self._pending = data[e.start:]
                text = data[: e.start].decode("utf-8")
            else:
                self.fallback_at = self._consumed + e.start
                text = data[: e.start].decode("utf-8") + data[e.start:].decode("latin-1")
        self._consumed += len(data) - len(self._pending)
        return text


def text_chunks(stream, head: bytes, limits: Limits, col: Collector) -> Iterator[str]:
    """Decoded text of `stream` in chunks; raises UNSUPPORTED for binary content."""
    if looks_binary(head):
        raise ExtractError(UNSUPPORTED_FILE_TYPE_EXCEPTION, "binary content")
    dec = TextDecoder(head)
    size = limits.stream_chunk_bytes
    while True:
        data = stream.read(size)
        if not data:
            tail = dec.decode(b"", final=True)
            if tail:
                yield tail
            break
        yield dec.decode(data)
    if dec.fallback_at is not None:
        col.notes.append(f"invalid UTF-8 at byte {dec.fallback_at}: decoded as Latin-1 from there")


class Lines:
    """Lines (without their newline) from text chunks; `consumed` counts the characters handed out.

    A line longer than `max_line` comes in pieces, so memory stays bounded on a file with no newline.
    """

    def __init__(self, chunks: Iterator[str], max_line: int) -> None:
        self.chunks, self.max_line, self.consumed = chunks, max_line, 0

    def __iter__(self) -> Iterator[str]:
        rest = ""
        for chunk in self.chunks:
            rest += chunk
            i = rest.rfind("\n")
            if i != -1:
                self.consumed += i + 1
                yield from rest[:i].split("\n")
                rest = rest[i + 1:]
            while len(rest) > self.max_line:
                self.consumed += self.max_line
                yield rest[: self.max_line]
                rest = rest[self.max_line:]
        if rest:
            self.consumed += len(rest)
            yield rest


# ---- plain text in overlapping windows ----------------------------------------------------------

_TAG = re.compile(r"<!--|-->|<[!?/]?[A-Za-z][^<>]*>")
_ATTR_VALUE = re.compile(r"=\s*(\"[^\"]*\"|'[^']*')")


def mask_markup(text: str) -> str:
    """HTML: blank tags out (same length, newlines kept) but keep attribute values and comments."""
    def blank(m: re.Match) -> str:
        tag = m.group(0)
        keep = [(a.start(1) + 1, a.end(1) - 1) for a in _ATTR_VALUE.finditer(tag)]
        out = [c if c == "\n" else " " for c in tag]
        for s, e in keep:
            out[s:e] = tag[s:e]
        return "".join(out)

    return _TAG.sub(blank, text)


def scan_text(chunks: Iterator[str], col: Collector, limits: Limits, file_path: str | None = None,
              html: bool = False, locate=line_range) -> None:
    """Classify a text stream in overlapping windows; occurrences are line ranges of the whole text."""
    overlap = max(limits.stream_overlap_chars, 2 * limits.stream_context_chars + 1)
    context = limits.stream_context_chars
    tail = overlap - context           # a window does not own detections starting in its last `tail` chars
    target = max(limits.stream_chunk_bytes, 2 * overlap)
    buf = ""
    own_lo = 0                         # offset in buf of the first owned char
    line0, col0 = 1, 0                 # line of buf[0], 0-based column of buf[0]
    detect = col.engine.detect
    pending = iter(chunks)
    eof = False
    while not eof:
        while len(buf) < target:
            nxt = next(pending, None)
            if nxt is None:
                eof = True
                break
            buf += nxt
        if not buf:
            break
        own_hi = len(buf) if eof else len(buf) - tail
        if own_hi <= own_lo:
            if eof:
                break
            continue
        text = mask_markup(buf) if html else buf
        for det in detect(text):
            if own_lo <= det.start < own_hi:
                line = line0 + det.line - 1
                column = det.column + (col0 if det.line == 1 else 0)
                col.record(det, locate(line, column), file_path)
        if eof:
            break
        cut = own_hi - context
        nl = buf.count("\n", 0, cut)
        if nl:
            line0 += nl
            col0 = cut - (buf.rfind("\n", 0, cut) + 1)
        else:
            col0 += cut
        buf = buf[cut:]
        own_lo = context


# ---- records: JSON paths --------------------------------------------------------------------------

def _scalar(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return None
    return str(value)


Leaves = dict[str, list[tuple[int, str, str]]]


def flatten(value: Any, path: str, out: Leaves, record: int, max_depth: int, depth: int = 0,
            group: str | None = None) -> None:
    """Leaves of one record by JSON path (`$.a.b[0]`); deeper than `max_depth` is Macie's limit.

    Leaves are grouped by the path without array indices (`$.a.b[*]`), so the values of one field
    across an array are one text for the engine; each keeps its exact path for its location.
    """
    if depth > max_depth:
        raise ExtractError(JSON_NESTING_LEVEL_OVER_LIMIT, f"nesting deeper than {max_depth}")
    group = path if group is None else group
    if isinstance(value, dict):
        for k, v in value.items():
            flatten(v, f"{path}.{k}", out, record, max_depth, depth + 1, f"{group}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            flatten(v, f"{path}[{i}]", out, record, max_depth, depth + 1, f"{group}[*]")
    else:
        s = _scalar(value)
        if s:
            out.setdefault(group, []).append((record, path, s))


def macie_json_path(path: str) -> str:
    """Element names over 240 chars are cut from the start; whole paths are capped at 250 chars."""
    if len(path) <= 250 and all(len(p) <= 240 for p in path.split(".")):
        return path
    parts = [p if len(p) <= 240 else p[-240:] for p in path.split(".")]
    joined = ".".join(parts)
    return joined[-250:]


def record_segments(leaves: Leaves) -> Iterator[Segment]:
    for group, items in leaves.items():
        text = _join_values([v for _, _, v in items]) or ""
        elements = tuple(p for p in group.replace("[*]", "").split(".") if p and p != "$")

        def locate(line: int, column: int, _items=items) -> dict[str, Any]:
            record, path, _ = _items[line - 1]
            return {"kind": "record", "record_index": record, "json_path": macie_json_path(path)}

        yield Segment(text, elements, locate)


def scan_jsonl(chunks: Iterator[str], col: Collector, limits: Limits, file_path: str | None = None) -> None:
    """JSON Lines: record index = line index (0-based); lines that are not JSON are read as text."""
    leaves: Leaves = {}
    batch = 0
    good = bad = 0
    bad_lines: list[tuple[int, str]] = []
    lines = Lines(chunks, limits.max_text_bytes)
    for idx, line in enumerate(lines):
        if not line or line.isspace():
            continue
        try:
            rec = json.loads(line)
        except RecursionError:
            raise ExtractError(JSON_NESTING_LEVEL_OVER_LIMIT, f"record {idx} nests too deep to parse") from None
        except ValueError:
            bad += 1
            bad_lines.append((idx, line.rstrip("\r")))
        else:
            good += 1
            flatten(rec, "$", leaves, idx, limits.json_max_depth)
        if lines.consumed - batch >= limits.batch_bytes:
            _flush_jsonl(col, leaves, bad_lines, file_path)
            leaves, bad_lines, batch = {}, [], lines.consumed
    if bad and not good:
        raise ExtractError(UNABLE_TO_PARSE_FILE, f"{bad} lines, none is JSON")
    _flush_jsonl(col, leaves, bad_lines, file_path)
    if bad:
        col.notes.append(f"{bad} lines are not JSON: read as text")


def _flush_jsonl(col: Collector, leaves, bad_lines, file_path) -> None:
    col.add(record_segments(leaves), file_path)
    for idx, text in bad_lines:
        col.add([Segment(text, (), lambda line, column, _i=idx: line_range(_i + 1, column))], file_path)


def scan_json(stream, head: bytes, col: Collector, limits: Limits, file_path: str | None = None) -> None:
    """One JSON document (record index 0), parsed whole up to `max_text_bytes`; larger: read as text."""
    from jobs.formats.sniff import ChainStream, read_limited

    data, complete = read_limited(stream, limits.max_text_bytes)
    if not complete:
        col.notes.append(f"JSON document over {limits.max_text_bytes} bytes: read as text (line ranges)")
        scan_text(text_chunks(ChainStream(data, stream), head, limits, col), col, limits, file_path)
        return
    if looks_binary(data[:8192]):
        raise ExtractError(UNSUPPORTED_FILE_TYPE_EXCEPTION, "binary content")
    dec = TextDecoder(data[:4])
    text = dec.decode(data, final=True)
    del data
    _check_depth(text, limits.json_max_depth)
    try:
        doc = json.loads(text)
    except RecursionError:
        raise ExtractError(JSON_NESTING_LEVEL_OVER_LIMIT, "nesting too deep to parse") from None
    except ValueError:
        scan_jsonl(iter([text]), col, limits, file_path)  # maybe JSON Lines with a .json name
        return
    leaves: Leaves = {}
    flatten(doc, "$", leaves, 0, limits.json_max_depth)
    col.add(record_segments(leaves), file_path)


_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _check_depth(text: str, max_depth: int) -> None:
    """Bracket depth outside strings, before parsing (json.loads would recurse, or stop at ~1000)."""
    if text.count("[") + text.count("{") <= max_depth:
        return
    depth = 0
    for m in _BRACKETS.finditer(text):
        c = m.group(0)
        if c in "[{":
            depth += 1
            if depth > max_depth:
                raise ExtractError(JSON_NESTING_LEVEL_OVER_LIMIT, f"nesting deeper than {max_depth}")
        elif c in "]}":
            depth -= 1


# ---- CSV / TSV ----------------------------------------------------------------------------------

def scan_csv(chunks: Iterator[str], col: Collector, limits: Limits, delimiter: str = ",",
             file_path: str | None = None) -> None:
    """Header row: the column names are keywords for every value in their column (Macie §1.5).

    Occurrences are cells: `row` counts records from the header (row 1), `column` is 1-based.
    """
    csv.field_size_limit(max(131072, limits.stream_chunk_bytes))
    lines = Lines(chunks, limits.stream_chunk_bytes)
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as e:
        raise ExtractError(UNABLE_TO_PARSE_FILE, f"csv header: {e}") from None
    names = [h.strip() or f"column_{i + 1}" for i, h in enumerate(header)]
    col.add(_header_segments(header, delimiter), file_path)
    row_no = 1
    rows: list[list[str]] = []
    batch = lines.consumed
    try:
        for row in reader:
            row_no += 1
            rows.append(row)
            if lines.consumed - batch >= limits.batch_bytes:
                col.add(_column_segments(rows, row_no - len(rows) + 1, names), file_path)
                rows, batch = [], lines.consumed
    except csv.Error as e:
        if row_no <= 2 and not rows:
            raise ExtractError(UNABLE_TO_PARSE_FILE, f"csv row {row_no + 1}: {e}") from None
        col.notes.append(f"csv parse error at row {row_no + 1}: rest not read")
        col.problem(UNABLE_TO_PARSE_FILE, f"csv row {row_no + 1}: {e}")
    col.add(_column_segments(rows, row_no - len(rows) + 1, names), file_path)


def _header_segments(header: list[str], delimiter: str) -> Iterator[Segment]:
    text = delimiter.join(h.replace("\n", " ") for h in header)
    starts, pos = [], 1
    for h in header:
        starts.append(pos)
        pos += len(h) + len(delimiter)

    def locate(line: int, column: int) -> dict[str, Any]:
        i = max(0, sum(1 for s in starts if s <= column) - 1)
        return {"kind": "cell", "row": 1, "column": i + 1, "column_name": None}

    yield Segment(text, (), locate)


def _join_values(values) -> str | None:
    """One line per value (newlines inside a value become spaces); None when every value is empty."""
    text = "\n".join(values)
    if text.count("\n") != len(values) - 1 or "\r" in text:
        text = "\n".join(v.replace("\n", " ").replace("\r", " ") for v in values)
    return text if text.strip("\n") else None


def _column_segments(rows: list[list[str]], first_row: int, names: list[str]) -> Iterator[Segment]:
    if not rows:
        return
    width, ragged = max(map(len, rows)), min(map(len, rows)) != max(map(len, rows))
    for i in range(width):
        values = [(r[i] if i < len(r) else "") for r in rows] if ragged else [r[i] for r in rows]
        text = _join_values(values)
        if text is None:
            continue
        name = names[i] if i < len(names) else f"column_{i + 1}"

        def locate(line: int, column: int, _i=i, _name=name) -> dict[str, Any]:
            return {"kind": "cell", "row": first_row + line - 1, "column": _i + 1, "column_name": _name}

        yield Segment(text, (name,) if i < len(names) else (), locate)
