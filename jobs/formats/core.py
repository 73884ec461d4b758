"""Shared pieces of the format readers: limits, results, segments, reason codes.

A reader turns (part of) an object into *segments*: a text to classify, its structural context
(`field_path`: column name, JSON path elements) and a `locate(line, column)` function mapping a
position in that text back to a Macie occurrence (`lineRange`, `cell`, `record`, `page`). The
`Collector` runs the engine over segments and keeps counts, the first `max_locations_per_type`
occurrences per type, and the object's status (COMPLETE, PARTIAL, SKIPPED + Macie reason code).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

COMPLETE, PARTIAL, SKIPPED = "COMPLETE", "PARTIAL", "SKIPPED"

# Macie's reason codes (shared/MACIE_REFERENCE.md §5)
ARCHIVE_CONTAINS_UNPROCESSED_FILES = "ARCHIVE_CONTAINS_UNPROCESSED_FILES"
ARCHIVE_EXCEEDS_SIZE_LIMIT = "ARCHIVE_EXCEEDS_SIZE_LIMIT"
ARCHIVE_NESTING_LEVEL_OVER_LIMIT = "ARCHIVE_NESTING_LEVEL_OVER_LIMIT"
ARCHIVE_TOTAL_BYTES_EXTRACTED_OVER_LIMIT = "ARCHIVE_TOTAL_BYTES_EXTRACTED_OVER_LIMIT"
ARCHIVE_TOTAL_DOCUMENTS_PROCESSED_OVER_LIMIT = "ARCHIVE_TOTAL_DOCUMENTS_PROCESSED_OVER_LIMIT"
FILE_EXCEEDS_SIZE_LIMIT = "FILE_EXCEEDS_SIZE_LIMIT"
JSON_NESTING_LEVEL_OVER_LIMIT = "JSON_NESTING_LEVEL_OVER_LIMIT"
OOXML_UNCOMPRESSED_RATIO_EXCEEDS_LIMIT = "OOXML_UNCOMPRESSED_RATIO_EXCEEDS_LIMIT"
OOXML_UNCOMPRESSED_SIZE_EXCEEDS_LIMIT = "OOXML_UNCOMPRESSED_SIZE_EXCEEDS_LIMIT"
MALFORMED_FILE = "MALFORMED_FILE"
MALFORMED_OR_FILE_SIZE_EXCEEDS_LIMIT = "MALFORMED_OR_FILE_SIZE_EXCEEDS_LIMIT"
UNABLE_TO_PARSE_FILE = "UNABLE_TO_PARSE_FILE"
UNSUPPORTED_FILE_TYPE_EXCEPTION = "UNSUPPORTED_FILE_TYPE_EXCEPTION"

GiB = 1024 ** 3
MiB = 1024 ** 2

# Macie's "max file size analyzed" per format (§5); ORC follows Parquet, zstd/bz2 follow gzip.
MACIE_SIZE_LIMITS: dict[str, int] = {
    "avro": 8 * GiB, "parquet": 8 * GiB, "orc": 8 * GiB,
    "gzip": 8 * GiB, "bz2": 8 * GiB, "zstd": 8 * GiB, "zip": 8 * GiB, "tar": 20 * GiB,
    "pdf": 1024 * MiB, "docx": 512 * MiB, "xlsx": 512 * MiB,
    "eml": 20 * GiB, "text": 20 * GiB,
}


class ExtractError(Exception):
    """A reader could not turn (part of) the object into text; `reason` is Macie's reason code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Limits:
    """Reader limits; defaults are Macie's (§5). Built from `LimitSettings` by the scan job."""

    max_text_bytes: int = 64 * MiB            # largest JSON document parsed as one tree (larger: read as text)
    max_in_memory_bytes: int = 256 * MiB      # largest object of a format that must be loaded whole
    max_locations_per_type: int = 1000
    json_max_depth: int = 256
    size_limits: tuple[tuple[str, int], ...] = tuple(MACIE_SIZE_LIMITS.items())
    archive_max_depth: int = 10
    archive_max_files: int = 1_000_000
    archive_max_total_bytes: int = 10 * GiB
    archive_max_file_bytes: int = 3 * GiB
    max_compression_ratio: float = 200.0      # bomb guard: decompressed / compressed
    compression_ratio_min_bytes: int = 1 * MiB  # the ratio is checked once this much came out
    ooxml_max_ratio: float = 100.0            # Apache POI's ZipSecureFile default (min inflate ratio 0.01)
    ooxml_max_uncompressed_bytes: int = 1 * GiB
    stream_chunk_bytes: int = 4 * MiB         # bytes read per step when streaming
    stream_overlap_chars: int = 64 * 1024     # carried into the next window (>= longest match + keyword distance)
    stream_context_chars: int = 2048          # of the overlap, the part that is context only (keyword look-back)
    batch_bytes: int = 4 * MiB                # structured formats: records classified per batch (approx. bytes)
    ranged_read_min_bytes: int = 32 * MiB     # random-access formats this large use ranged reads, not memory

    def size_limit(self, fmt: str) -> int:
        return dict(self.size_limits).get(fmt, dict(self.size_limits).get("text", 20 * GiB))


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


def _occurrence_template() -> dict[str, Any]:
    return {"kind": None, "line_start": None, "line_end": None, "start_column": None, "row": None,
            "column": None, "column_name": None, "cell_reference": None, "record_index": None,
            "json_path": None, "page_number": None, "file_path": None}


def line_range(line: int, column: int) -> dict[str, Any]:
    return {"kind": "lineRange", "line_start": line, "line_end": line, "start_column": column}


class Collector:
    """Accumulates detections of one object (and its embedded files) and its status."""

    def __init__(self, engine, limits: Limits) -> None:
        self.engine = engine
        self.limits = limits
        self.detections: dict[str, TypeResult] = {}
        self.problems: list[tuple[str, str]] = []   # (reason, detail) of parts not (fully) processed
        self.processed_parts = 0                    # files (or embedded files) actually classified
        self.size_classified = 0
        self.mime_type: str | None = None
        self.notes: list[str] = []
        # archive budget, shared by every nesting level of one object
        self.files_extracted = 0
        self.bytes_extracted = 0
        self.archive_stop = False                   # a whole-object archive limit was hit: stop extracting

    def add(self, segments: Iterable[Segment], file_path: str | None = None) -> None:
        detect = self.engine.detect
        for seg in segments:
            if not seg.text:
                continue
            for det in detect(seg.text, field_path=seg.field_path):
                self.record(det, seg.locate(det.line, det.column), file_path)

    def record(self, det, occ: dict[str, Any], file_path: str | None) -> None:
        tr = self.detections.get(det.type)
        if tr is None:
            tr = self.detections[det.type] = TypeResult(category=det.category)
        tr.count += 1
        if len(tr.occurrences) < self.limits.max_locations_per_type:
            full = _occurrence_template()
            full.update(occ)
            full["file_path"] = file_path
            full["masked"] = det.masked
            full["value_hash"] = det.value_hash
            tr.occurrences.append(full)

    def problem(self, reason: str, detail: str) -> None:
        self.problems.append((reason, detail))

    def result(self) -> ObjectResult:
        detail = "; ".join(self.notes) or None
        if not self.problems:
            return ObjectResult(status=COMPLETE, detail=detail, mime_type=self.mime_type,
                                size_classified=self.size_classified, detections=self.detections)
        reason, first = self.problems[0]
        extra = f" (+{len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        detail = "; ".join(x for x in (first + extra, detail) if x)
        status = PARTIAL if (self.processed_parts or self.detections) else SKIPPED
        return ObjectResult(status=status, reason=reason, detail=detail[:1000], mime_type=self.mime_type,
                            size_classified=self.size_classified if status == PARTIAL else 0,
                            detections=self.detections if status == PARTIAL else {})
