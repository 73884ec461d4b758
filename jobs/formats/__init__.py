"""Object formats: every format Macie reads (and ORC, zstd), with Macie's locations, limits and reasons.

    from jobs.formats import Limits, classify_bytes, classify_stream
    result = classify_stream(body, key, engine, Limits(), size=size, opener=ranged_reader_factory)

Modules: `core` (limits, results, reason codes), `sniff` (magic bytes, extension, peekable streams),
`text` (text/xml/html/csv/tsv/json/jsonl, streamed in overlapping windows), `columnar` (parquet,
orc, avro), `documents` (pdf, docx, xlsx, eml), `dispatch` (the entry point, archives, compression).
"""
from jobs.formats.core import (
    COMPLETE,
    MACIE_SIZE_LIMITS,
    PARTIAL,
    SKIPPED,
    ExtractError,
    Limits,
    ObjectResult,
    Segment,
    TypeResult,
)
from jobs.formats.dispatch import classify_bytes, classify_stream
from jobs.formats.sniff import extension_of, looks_binary, sniff
from jobs.formats.text import TextDecoder

__all__ = [
    "COMPLETE", "MACIE_SIZE_LIMITS", "PARTIAL", "SKIPPED", "ExtractError", "Limits", "ObjectResult", "Segment",
    "TextDecoder", "TypeResult", "classify_bytes", "classify_stream", "extension_of", "looks_binary", "sniff",
]
