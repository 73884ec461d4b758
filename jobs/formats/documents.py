"""Documents: PDF (pypdf), DOCX (zip + XML, stdlib), XLSX (openpyxl read-only), EML (stdlib email).

- PDF: one text per page; occurrences are `pages` (page number, and the line/column in the page text).
- DOCX: paragraphs of the body, then headers, footers, footnotes, endnotes and comments, one line
  per paragraph; occurrences are line ranges of that text.
- XLSX: per sheet, one text per column; the header row (row 1) names the column and is a keyword
  for its values; occurrences are cells with Excel's reference (`Sheet2!C5`).
- EML: headers and the text/html body parts as text (line ranges); attachments are embedded files
  classified by the dispatcher (their name in `file_path`).
OOXML (docx/xlsx) is checked before parsing: total uncompressed size and per-part compression ratio.
"""
from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any
from xml.etree.ElementTree import ParseError, iterparse

from jobs.formats.core import (
    MALFORMED_FILE,
    MALFORMED_OR_FILE_SIZE_EXCEEDS_LIMIT,
    OOXML_UNCOMPRESSED_RATIO_EXCEEDS_LIMIT,
    OOXML_UNCOMPRESSED_SIZE_EXCEEDS_LIMIT,
    UNSUPPORTED_FILE_TYPE_EXCEPTION,
    Collector,
    ExtractError,
    Limits,
    Segment,
    line_range,
)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


# ---- PDF --------------------------------------------------------------------------------------------

def scan_pdf(source, col: Collector, limits: Limits, file_path: str | None = None) -> None:
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(source, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractError(UNSUPPORTED_FILE_TYPE_EXCEPTION, "encrypted PDF")
        n = len(reader.pages)
    except ExtractError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError, IndexError,
            RecursionError, AssertionError, ZeroDivisionError) as e:
        raise ExtractError(MALFORMED_FILE, f"pdf: {type(e).__name__}") from None
    if n == 0:
        raise ExtractError(MALFORMED_FILE, "pdf: no pages")
    failed = 0
    for i in range(n):
        try:
            text = reader.pages[i].extract_text() or ""
        except Exception:  # noqa: BLE001 - one bad page must not lose the others
            failed += 1
            continue

        def locate(line: int, column: int, _p=i + 1) -> dict[str, Any]:
            return {"kind": "page", "page_number": _p, "line_start": line, "line_end": line,
                    "start_column": column}

        col.add([Segment(text, (), locate)], file_path)
    if failed == n:
        raise ExtractError(MALFORMED_FILE, f"pdf: no page could be read ({n} pages)")
    if failed:
        col.problem(MALFORMED_FILE, f"pdf: {failed} of {n} pages could not be read")


# ---- OOXML ------------------------------------------------------------------------------------------

def open_ooxml(source, limits: Limits, kind: str) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(source)
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise ExtractError(MALFORMED_OR_FILE_SIZE_EXCEEDS_LIMIT, f"{kind}: not a valid OOXML package "
                           f"({type(e).__name__})") from None
    total = sum(i.file_size for i in infos)
    if total > limits.ooxml_max_uncompressed_bytes:
        raise ExtractError(OOXML_UNCOMPRESSED_SIZE_EXCEEDS_LIMIT,
                           f"{kind}: {total} bytes uncompressed > {limits.ooxml_max_uncompressed_bytes}")
    for i in infos:
        if i.file_size >= limits.compression_ratio_min_bytes and \
                i.file_size > limits.ooxml_max_ratio * max(1, i.compress_size):
            raise ExtractError(OOXML_UNCOMPRESSED_RATIO_EXCEEDS_LIMIT,
                               f"{kind}: part {i.filename} expands {i.file_size / max(1, i.compress_size):.0f}x "
                               f"> {limits.ooxml_max_ratio:.0f}x")
    return zf


def _docx_paragraphs(zf: zipfile.ZipFile, part: str) -> Iterator[str]:
    with zf.open(part) as f:
        buf: list[str] = []
        depth = 0
        for event, el in iterparse(f, events=("start", "end")):
            tag = el.tag
            if event == "start":
                if tag == f"{W}p":
                    depth += 1
                continue
            if tag == f"{W}t" and el.text:
                buf.append(el.text)
            elif tag in (f"{W}tab",):
                buf.append("\t")
            elif tag in (f"{W}br", f"{W}cr"):
                buf.append(" ")
            elif tag == f"{W}p":
                depth -= 1
                if depth == 0:
                    yield "".join(buf).replace("\n", " ")
                    buf = []
                el.clear()


_DOCX_PARTS = re.compile(r"word/(header\d*|footer\d*|footnotes|endnotes|comments)\.xml$")


def scan_docx(source, col: Collector, limits: Limits, file_path: str | None = None) -> None:
    zf = open_ooxml(source, limits, "docx")
    names = zf.namelist()
    if "word/document.xml" not in names:
        raise ExtractError(MALFORMED_OR_FILE_SIZE_EXCEEDS_LIMIT, "docx: no word/document.xml")
    parts = ["word/document.xml", *sorted(n for n in names if _DOCX_PARTS.match(n))]
    lines: list[str] = []
    try:
        for part in parts:
            lines.extend(_docx_paragraphs(zf, part))
    except (ParseError, zipfile.BadZipFile, OSError, EOFError, KeyError) as e:
        raise ExtractError(MALFORMED_OR_FILE_SIZE_EXCEEDS_LIMIT, f"docx: {type(e).__name__}") from None
    col.add([Segment("\n".join(lines), (), line_range)], file_path)


def scan_xlsx(source, col: Collector, limits: Limits, file_path: str | None = None) -> None:
    import openpyxl
    from openpyxl.utils import get_column_letter

    zf = open_ooxml(source, limits, "xlsx")
    zf.close()
    if hasattr(source, "seek"):
        source.seek(0)
    try:
        wb = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 - openpyxl raises many kinds for a broken package
        raise ExtractError(MALFORMED_OR_FILE_SIZE_EXCEEDS_LIMIT, f"xlsx: {type(e).__name__}") from None
    try:
        for ws in wb.worksheets:
            sheet = ws.title
            header: list[str] = []
            rows: list[tuple] = []
            first = 2
            size = 0
            for r, values in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
                if r == 1:
                    header.extend("" if v is None else str(v).strip() for v in values)
                    col.add(_sheet_segments(sheet, [], [values], 1, get_column_letter), file_path)
                    continue
                rows.append(values)
                size += sum(len(str(v)) for v in values if v is not None) + len(values)
                if size >= limits.batch_bytes:
                    col.add(_sheet_segments(sheet, header, rows, first, get_column_letter), file_path)
                    first += len(rows)
                    rows, size = [], 0
            col.add(_sheet_segments(sheet, header, rows, first, get_column_letter), file_path)
    except ExtractError:
        raise
    except Exception as e:  # noqa: BLE001
        raise ExtractError(MALFORMED_OR_FILE_SIZE_EXCEEDS_LIMIT, f"xlsx: {type(e).__name__}") from None
    finally:
        wb.close()


def _sheet_segments(sheet: str, header: list[str], rows: list[tuple], first_row: int,
                    letter) -> Iterator[Segment]:
    if not rows:
        return
    width = max(len(r) for r in rows)
    for i in range(width):
        values = ["" if i >= len(r) or r[i] is None else str(r[i]) for r in rows]
        if not any(values):
            continue
        name = header[i] if i < len(header) and header[i] else None

        def locate(line: int, column: int, _i=i, _name=name) -> dict[str, Any]:
            row = first_row + line - 1
            return {"kind": "cell", "row": row, "column": _i + 1, "column_name": _name,
                    "cell_reference": f"{sheet}!{letter(_i + 1)}{row}"}

        text = "\n".join(v.replace("\n", " ").replace("\r", " ") for v in values)
        yield Segment(text, (name,) if name else (), locate)


# ---- EML --------------------------------------------------------------------------------------------

def parse_eml(data: bytes):
    """(text of headers and body parts, [(attachment name, bytes)])."""
    import email
    from email import policy

    from jobs.formats.text import TextDecoder, mask_markup

    try:
        msg = email.message_from_bytes(data, policy=policy.default)
    except Exception as e:  # noqa: BLE001
        raise ExtractError(MALFORMED_FILE, f"eml: {type(e).__name__}") from None
    if not msg.keys():
        raise ExtractError(MALFORMED_FILE, "eml: no headers")
    lines = [f"{k}: {str(v)}".replace("\n", " ").replace("\r", "") for k, v in msg.items()]
    attachments: list[tuple[str, bytes]] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        disposition = part.get_content_disposition()
        payload = part.get_payload(decode=True) or b""
        ctype = part.get_content_type()
        if filename or disposition == "attachment" or not ctype.startswith("text/"):
            attachments.append((filename or f"attachment-{len(attachments) + 1}", payload))
            continue
        charset = part.get_content_charset()
        try:
            text = payload.decode(charset or "utf-8")
        except (LookupError, UnicodeDecodeError):
            text = TextDecoder(payload[:4]).decode(payload, final=True)
        if ctype == "text/html":
            text = mask_markup(text)
        lines.append("")
        lines.extend(text.replace("\r\n", "\n").split("\n"))
    return "\n".join(lines), attachments


def scan_eml_text(text: str, col: Collector, file_path: str | None = None) -> None:
    col.add([Segment(text, (), line_range)], file_path)


def as_seekable(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)
