"""Turn one object's bytes into detections with Macie-style locations.

Kept for its importers: the readers live in the `jobs.formats` package (see its docstring).
`classify_bytes(data, key, engine, limits)` classifies an object held in memory;
`classify_stream(stream, key, engine, limits, size=, opener=)` reads it front to back in bounded memory.
"""
from __future__ import annotations

from jobs.formats import (
    COMPLETE,
    PARTIAL,
    SKIPPED,
    ExtractError,
    Limits,
    ObjectResult,
    Segment,
    TypeResult,
    classify_bytes,
    classify_stream,
    extension_of,
    looks_binary,
)
from jobs.formats.text import TextDecoder


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Latin-1 from the first invalid byte on."""
    return TextDecoder(data[:4]).decode(data, final=True)


__all__ = [
    "COMPLETE", "PARTIAL", "SKIPPED", "ExtractError", "Limits", "ObjectResult", "Segment", "TypeResult",
    "classify_bytes", "classify_stream", "decode_text", "extension_of", "looks_binary",
]
