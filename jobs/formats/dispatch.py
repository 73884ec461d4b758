"""The entry point: pick the reader from content and name, run it, end with a Macie status.

`classify_stream(stream, key, engine, limits, size=, opener=)` reads a binary stream front to back
(text-like formats, compressed streams, tar and Avro never hold the whole object); formats that need
random access (zip, docx, xlsx, pdf, parquet, orc) use `opener()` (ranged reads) when given and
the object is large, otherwise they are read into memory up to `Limits.max_in_memory_bytes`.

Archives (zip, tar; gzip/bz2/zstd are compression layers, not archive levels) are walked member by
member. Each member is classified like an object, with its path in `file_path`; an archive inside
an archive is one level deeper, up to `Limits.archive_max_depth`. A member that cannot be read makes
the archive PARTIAL (or SKIPPED when nothing could be read) with an ARCHIVE_* reason.
"""
from __future__ import annotations

import bz2
import io
import tarfile
import zipfile
import zlib

from jobs.formats import columnar, documents, text
from jobs.formats.core import (
    ARCHIVE_CONTAINS_UNPROCESSED_FILES,
    ARCHIVE_EXCEEDS_SIZE_LIMIT,
    ARCHIVE_NESTING_LEVEL_OVER_LIMIT,
    ARCHIVE_TOTAL_BYTES_EXTRACTED_OVER_LIMIT,
    ARCHIVE_TOTAL_DOCUMENTS_PROCESSED_OVER_LIMIT,
    FILE_EXCEEDS_SIZE_LIMIT,
    MALFORMED_FILE,
    SKIPPED,
    UNSUPPORTED_FILE_TYPE_EXCEPTION,
    Collector,
    ExtractError,
    Limits,
    ObjectResult,
)
from jobs.formats.sniff import PeekStream, inner_name, read_limited, sniff

MIME = {
    "text": "text/plain", "xml": "application/xml", "html": "text/html", "csv": "text/csv",
    "tsv": "text/tab-separated-values", "json": "application/json", "jsonl": "application/jsonl",
    "eml": "message/rfc822", "parquet": "application/vnd.apache.parquet", "orc": "application/vnd.apache.orc",
    "avro": "application/avro", "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip", "tar": "application/x-tar", "gzip": "application/gzip",
    "bz2": "application/x-bzip2", "zstd": "application/zstd",
}
SIZE_GROUP = {"csv": "text", "tsv": "text", "json": "text", "jsonl": "text", "xml": "text", "html": "text"}
RANDOM_ACCESS = {"zip", "docx", "xlsx", "pdf", "parquet", "orc"}


# ---- streams with guards ----------------------------------------------------------------------------

class CountingStream(io.RawIOBase):
    def __init__(self, raw) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n) or b""
        self.count += len(data)
        return data

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)


class DecompressStream(io.RawIOBase):
    """gzip (multi-member), bz2 (multi-stream) or zstd, decompressed on demand, with a bomb guard."""

    def __init__(self, raw, kind: str, limits: Limits, col: Collector) -> None:
        self.raw, self.kind, self.limits, self.col = raw, kind, limits, col
        self.n_in = self.n_out = 0
        self._buf = b""
        self._eof = False
        self._out = b""  # zstd: decompressed, not yet returned
        self._dec = self._new()

    def _new(self):
        if self.kind == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        if self.kind == "bz2":
            return bz2.BZ2Decompressor()
        import zstandard

        return zstandard.ZstdDecompressor().decompressobj()

    def readable(self) -> bool:
        return True

    def _guard(self) -> None:
        lim = self.limits
        if self.n_out >= lim.compression_ratio_min_bytes and self.n_out > lim.max_compression_ratio * max(1, self.n_in):
            raise ExtractError(ARCHIVE_TOTAL_BYTES_EXTRACTED_OVER_LIMIT,
                               f"{self.kind}: compression ratio over {lim.max_compression_ratio:.0f}:1 "
                               "(decompression bomb guard)")

    def read(self, n: int = -1) -> bytes:
        if self._eof:
            return b""
        if n is None or n < 0:
            n = 1 << 62
        try:
            if self.kind == "zstd":
                out = self._read_zstd(min(n, 4 * 1024 * 1024))
            else:
                out = self._read_zlib(min(n, 4 * 1024 * 1024))
        except ExtractError:
            raise
        except Exception as e:  # noqa: BLE001 - zlib.error, OSError, EOFError, zstd.ZstdError
            raise ExtractError(MALFORMED_FILE, f"cannot decompress {self.kind}: {type(e).__name__}: "
                               f"{str(e)[:80]}") from None
        cap = self.limits.archive_max_total_bytes
        if self.n_out + len(out) > cap:  # the limit hit part-way: what came out so far is reported
            out = out[: cap - self.n_out]
            self._eof = True
            self.col.problem(ARCHIVE_TOTAL_BYTES_EXTRACTED_OVER_LIMIT,
                             f"{self.kind}: stopped after {cap} bytes decompressed")
        self.n_out += len(out)
        self._guard()
        return out

    def _read_zlib(self, n: int) -> bytes:
        while True:
            if self._dec.eof:
                rest = self._dec.unused_data
                if not rest:
                    rest = self.raw.read(64 * 1024)
                    self.n_in += len(rest)
                if not rest.strip(b"\x00"):
                    return b""
                self._dec = self._new()
                self._buf = rest
            if self.kind == "gzip":
                data = self._buf or self._more()
                self._buf = b""
                if not data and not self._dec.unconsumed_tail:
                    raise ExtractError(MALFORMED_FILE, "truncated gzip stream")
                out = self._dec.decompress(self._dec.unconsumed_tail + data, n)
            else:
                if self._dec.needs_input:
                    data = self._buf or self._more()
                    self._buf = b""
                    if not data:
                        raise ExtractError(MALFORMED_FILE, "truncated bz2 stream")
                else:
                    data = b""
                out = self._dec.decompress(data, max_length=n)
            if out:
                return out

    def _read_zstd(self, n: int) -> bytes:
        """zstd has no output cap per call: feed small inputs while the ratio is unknown or high."""
        produced = self.n_out + len(self._out)
        while not self._out:
            if self._dec.eof:
                rest = self._dec.unused_data or self._more(1024)
                if not rest.strip(b"\x00"):
                    return b""
                self._dec = self._new()
                self._buf = rest
            ratio = produced / self.n_in if self.n_in else 1000.0
            data = self._buf or self._more(int(min(64 * 1024, max(512, 1024 * 1024 / max(1.0, ratio)))))
            self._buf = b""
            if not data:
                raise ExtractError(MALFORMED_FILE, "truncated zstd stream")
            self._out = self._dec.decompress(data)
            produced += len(self._out)
            lim = self.limits
            if produced >= lim.compression_ratio_min_bytes and produced > lim.max_compression_ratio * self.n_in:
                self.n_out = produced
                self._guard()
        out, self._out = self._out[:n], self._out[n:]
        return out

    def _more(self, size: int = 64 * 1024) -> bytes:
        data = self.raw.read(size) or b""
        self.n_in += len(data)
        return data

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)


class MemberStream(io.RawIOBase):
    """An archive member's bytes, counted against the per-file and whole-archive limits."""

    def __init__(self, raw, col: Collector, path: str, compressed: int | None) -> None:
        self.raw, self.col, self.path, self.compressed = raw, col, path, compressed
        self.n = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n) or b""
        self.n += len(data)
        self.col.bytes_extracted += len(data)
        lim = self.col.limits
        if self.n > lim.archive_max_file_bytes:
            raise ExtractError(ARCHIVE_EXCEEDS_SIZE_LIMIT, f"{self.path}: over {lim.archive_max_file_bytes} bytes")
        if self.col.bytes_extracted > lim.archive_max_total_bytes:
            self.col.archive_stop = True
            raise ExtractError(ARCHIVE_TOTAL_BYTES_EXTRACTED_OVER_LIMIT,
                               f"more than {lim.archive_max_total_bytes} bytes extracted")
        if self.compressed is not None and self.n >= lim.compression_ratio_min_bytes \
                and self.n > lim.max_compression_ratio * max(1, self.compressed):
            raise ExtractError(ARCHIVE_TOTAL_BYTES_EXTRACTED_OVER_LIMIT,
                               f"{self.path}: compression ratio over {lim.max_compression_ratio:.0f}:1 "
                               "(decompression bomb guard)")
        return data

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)


# ---- dispatch ----------------------------------------------------------------------------------------

def _random_access(stream, col: Collector, size: int | None, opener, kind: str):
    """A seekable source for formats that need one: the stream itself, ranged reads, or memory."""
    if isinstance(stream, io.BytesIO) or getattr(stream, "random_access", False):
        return stream
    if opener is not None and (size or 0) >= col.limits.ranged_read_min_bytes:
        return opener()
    data, complete = read_limited(stream, col.limits.max_in_memory_bytes)
    if not complete:
        raise ExtractError(FILE_EXCEEDS_SIZE_LIMIT,
                           f"{kind} over {col.limits.max_in_memory_bytes} bytes cannot be read without ranged reads")
    return io.BytesIO(data)


def _process(stream, name: str, col: Collector, depth: int, file_path: str | None,
             size: int | None = None, opener=None) -> None:
    limits = col.limits
    stream = stream if isinstance(stream, (PeekStream, io.BytesIO)) else PeekStream(stream)
    if isinstance(stream, io.BytesIO):
        pos = stream.tell()
        head = stream.read(8192)
        stream.seek(pos)
    else:
        head = stream.peek(8192)
    kind, note = sniff(head, name)
    if note:
        col.notes.append(f"{file_path or name}: {note}" if file_path else note)
    if depth == 0 and file_path is None:
        col.mime_type = MIME.get(kind)
    if kind.startswith("unsupported:"):
        raise ExtractError(UNSUPPORTED_FILE_TYPE_EXCEPTION, f"unsupported file type: {kind.split(':', 1)[1]}")
    cap = limits.size_limit(SIZE_GROUP.get(kind, kind))
    if size is not None and size > cap:
        reason = ARCHIVE_EXCEEDS_SIZE_LIMIT if kind in ("zip", "tar") else FILE_EXCEEDS_SIZE_LIMIT
        raise ExtractError(reason, f"{kind} of {size} bytes over the {cap} byte limit")

    if kind in ("gzip", "bz2", "zstd"):
        inner = DecompressStream(stream, kind, limits, col)
        _process(inner, inner_name(name, kind), col, depth, file_path, None, None)
        return
    if kind in ("text", "xml", "html"):
        text.scan_text(text.text_chunks(stream, head, limits, col), col, limits, file_path, html=kind == "html")
    elif kind in ("csv", "tsv"):
        text.scan_csv(text.text_chunks(stream, head, limits, col), col, limits,
                      "\t" if kind == "tsv" else ",", file_path)
    elif kind == "jsonl":
        text.scan_jsonl(text.text_chunks(stream, head, limits, col), col, limits, file_path)
    elif kind == "json":
        text.scan_json(stream, head, col, limits, file_path)
    elif kind == "avro":
        columnar.scan_avro(stream, col, limits, file_path)
    elif kind == "tar":
        _scan_tar(stream, col, depth, file_path)
        return
    elif kind == "eml":
        data, complete = read_limited(stream, limits.max_in_memory_bytes)
        if not complete:
            raise ExtractError(FILE_EXCEEDS_SIZE_LIMIT, f"eml over {limits.max_in_memory_bytes} bytes")
        body, attachments = documents.parse_eml(data)
        del data
        documents.scan_eml_text(body, col, file_path)
        col.processed_parts += 1
        for fname, payload in attachments:
            _member(col, fname, lambda p=payload: io.BytesIO(p), len(payload), None, depth, file_path)
        return
    elif kind in RANDOM_ACCESS:
        source = _random_access(stream, col, size, opener, kind)
        if kind == "zip":
            _scan_zip(source, col, depth, file_path)
            return
        {"pdf": documents.scan_pdf, "docx": documents.scan_docx, "xlsx": documents.scan_xlsx,
         "parquet": columnar.scan_parquet, "orc": columnar.scan_orc}[kind](source, col, limits, file_path)
    else:
        raise ExtractError(UNSUPPORTED_FILE_TYPE_EXCEPTION, f"no reader for {kind}")
    col.processed_parts += 1


def _join(parent: str | None, name: str) -> str:
    return f"{parent}/{name}" if parent else name


def _member(col: Collector, name: str, open_fn, size: int | None, compressed: int | None, depth: int,
            parent: str | None) -> None:
    """Classify one archive member (or e-mail attachment) at `depth + 1`; failures become problems."""
    limits = col.limits
    path = _join(parent, name)
    col.files_extracted += 1
    if col.files_extracted > limits.archive_max_files:
        col.archive_stop = True
        col.problem(ARCHIVE_TOTAL_DOCUMENTS_PROCESSED_OVER_LIMIT, f"more than {limits.archive_max_files} files")
        return
    if size is not None and size > limits.archive_max_file_bytes:
        col.problem(ARCHIVE_EXCEEDS_SIZE_LIMIT, f"{path}: {size} bytes over {limits.archive_max_file_bytes}")
        return
    if compressed and size is not None and size >= limits.compression_ratio_min_bytes \
            and size > limits.max_compression_ratio * compressed:
        col.problem(ARCHIVE_TOTAL_BYTES_EXTRACTED_OVER_LIMIT,
                    f"{path}: declared ratio {size / compressed:.0f}:1 over {limits.max_compression_ratio:.0f}:1 "
                    "(decompression bomb guard, not extracted)")
        return
    try:
        raw = open_fn()
        try:
            _process(MemberStream(raw, col, path, compressed), name, col, depth + 1, path, size)
        finally:
            raw.close()
    except ExtractError as e:
        reason = e.reason if e.reason.startswith("ARCHIVE_") else ARCHIVE_CONTAINS_UNPROCESSED_FILES
        col.problem(reason, f"{path}: {e.reason}: {e.detail}" if reason != e.reason else e.detail)
    except RecursionError:
        col.problem(ARCHIVE_CONTAINS_UNPROCESSED_FILES, f"{path}: nesting too deep to parse")


def _enter_archive(col: Collector, depth: int, file_path: str | None, kind: str) -> None:
    if depth + 1 > col.limits.archive_max_depth:
        raise ExtractError(ARCHIVE_NESTING_LEVEL_OVER_LIMIT,
                           f"{file_path or kind}: archive nested deeper than {col.limits.archive_max_depth} levels")


def _scan_zip(source, col: Collector, depth: int, file_path: str | None) -> None:
    limits = col.limits
    _enter_archive(col, depth, file_path, "zip")
    try:
        zf = zipfile.ZipFile(source)
        infos = [i for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as e:
        raise ExtractError(MALFORMED_FILE, f"zip: {type(e).__name__}") from None
    if len(infos) > limits.archive_max_files:
        raise ExtractError(ARCHIVE_TOTAL_DOCUMENTS_PROCESSED_OVER_LIMIT,
                           f"zip lists {len(infos)} files > {limits.archive_max_files}")
    declared = sum(i.file_size for i in infos)
    if declared > limits.archive_max_total_bytes:
        raise ExtractError(ARCHIVE_TOTAL_BYTES_EXTRACTED_OVER_LIMIT,
                           f"zip declares {declared} bytes > {limits.archive_max_total_bytes} (nothing extracted)")
    with zf:
        for info in infos:
            if col.archive_stop:
                break
            path = _join(file_path, info.filename)
            if info.flag_bits & 0x1:
                col.problem(ARCHIVE_CONTAINS_UNPROCESSED_FILES, f"{path}: encrypted")
                continue
            _member(col, info.filename, lambda i=info: zf.open(i), info.file_size, info.compress_size,
                    depth, file_path)


def _scan_tar(stream, col: Collector, depth: int, file_path: str | None) -> None:
    _enter_archive(col, depth, file_path, "tar")
    done_before = col.processed_parts + len(col.problems)
    try:
        tf = tarfile.open(fileobj=stream, mode="r|")  # noqa: SIM115 - closed in the finally below
    except (tarfile.TarError, OSError, EOFError) as e:
        raise ExtractError(MALFORMED_FILE, f"tar: {type(e).__name__}") from None
    try:
        for m in tf:
            if col.archive_stop:
                break
            if not m.isreg():
                continue
            _member(col, m.name, lambda m=m: tf.extractfile(m), m.size, None, depth, file_path)
    except (tarfile.TarError, OSError, EOFError) as e:
        if col.processed_parts + len(col.problems) == done_before:
            raise ExtractError(MALFORMED_FILE, f"tar: {type(e).__name__}") from None
        col.problem(MALFORMED_FILE, f"{file_path or 'tar'}: truncated or corrupt after some members "
                    f"({type(e).__name__})")
    finally:
        tf.close()


DEFAULT_LIMITS = Limits()


def classify_stream(stream, key: str, engine, limits: Limits = DEFAULT_LIMITS, size: int | None = None,
                    opener=None) -> ObjectResult:
    """Classify one object read from `stream`; never raises for bad content (it becomes a reason code)."""
    col = Collector(engine, limits)
    counted = CountingStream(stream)
    try:
        if isinstance(stream, io.BytesIO):
            size = size if size is not None else stream.getbuffer().nbytes
            _process(stream, key, col, 0, None, size, opener)
            col.size_classified = size
        else:
            _process(counted, key, col, 0, None, size, opener)
            col.size_classified = counted.count if opener is None or size is None else max(counted.count, size)
    except ExtractError as e:
        return ObjectResult(status=SKIPPED, reason=e.reason, detail=e.detail[:1000], mime_type=col.mime_type)
    except RecursionError:
        return ObjectResult(status=SKIPPED, reason="JSON_NESTING_LEVEL_OVER_LIMIT", detail="nesting too deep",
                            mime_type=col.mime_type)
    except MemoryError:
        return ObjectResult(status=SKIPPED, reason=FILE_EXCEEDS_SIZE_LIMIT, detail="out of memory",
                            mime_type=col.mime_type)
    return col.result()


def classify_bytes(data: bytes, key: str, engine, limits: Limits = DEFAULT_LIMITS) -> ObjectResult:
    """Classify an object held in memory (same readers as `classify_stream`)."""
    return classify_stream(io.BytesIO(data), key, engine, limits, size=len(data))
