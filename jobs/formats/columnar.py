"""Big-data formats: Parquet and ORC (pyarrow), Avro (fastavro). Records in batches.

Occurrences are `records` (record index 0-based, JSON path of the leaf, e.g. `$.customer.ssn`); the
path elements are keywords for the values under them (Macie §1.5). Parquet and ORC need a seekable
source (bytes in memory, or ranged S3 reads); Avro is read front to back from any stream.
"""
from __future__ import annotations

from jobs.formats.core import UNABLE_TO_PARSE_FILE, Collector, ExtractError, Limits
from jobs.formats.text import Leaves, flatten, record_segments


class _Batcher:
    def __init__(self, col: Collector, limits: Limits, file_path: str | None) -> None:
        self.col, self.limits, self.file_path = col, limits, file_path
        self.leaves: Leaves = {}
        self.size = 0

    def add(self, record, index: int) -> None:
        before = sum(len(v) for v in self.leaves.values())
        flatten(record, "$", self.leaves, index, self.limits.json_max_depth)
        self.size += 64 * (sum(len(v) for v in self.leaves.values()) - before + 1)
        if self.size >= self.limits.batch_bytes:
            self.flush()

    def add_columns(self, rows: list[dict], first: int) -> None:
        for i, rec in enumerate(rows):
            flatten(rec, "$", self.leaves, first + i, self.limits.json_max_depth)
        self.flush()

    def flush(self) -> None:
        if self.leaves:
            self.col.add(record_segments(self.leaves), self.file_path)
        self.leaves, self.size = {}, 0


def scan_parquet(source, col: Collector, limits: Limits, file_path: str | None = None) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    batcher = _Batcher(col, limits, file_path)
    try:
        pf = pq.ParquetFile(source)
        n_cols = max(1, pf.metadata.num_columns)
        rows = max(64, min(65536, limits.batch_bytes // (64 * n_cols)))
        first = 0
        for batch in pf.iter_batches(batch_size=rows):
            recs = batch.to_pylist()
            batcher.add_columns(recs, first)
            first += len(recs)
    except ExtractError:
        raise
    except (pa.ArrowException, OSError, ValueError, TypeError) as e:
        raise ExtractError(UNABLE_TO_PARSE_FILE, f"parquet: {type(e).__name__}") from None


def scan_orc(source, col: Collector, limits: Limits, file_path: str | None = None) -> None:
    import pyarrow as pa
    import pyarrow.orc as orc

    batcher = _Batcher(col, limits, file_path)
    try:
        of = orc.ORCFile(source)
        first = 0
        for i in range(of.nstripes):
            stripe = of.read_stripe(i)
            for off in range(0, stripe.num_rows, 8192):
                recs = stripe.slice(off, 8192).to_pylist()
                batcher.add_columns(recs, first)
                first += len(recs)
    except ExtractError:
        raise
    except (pa.ArrowException, OSError, ValueError, TypeError, IndexError) as e:
        raise ExtractError(UNABLE_TO_PARSE_FILE, f"orc: {type(e).__name__}") from None


def scan_avro(stream, col: Collector, limits: Limits, file_path: str | None = None) -> None:
    import fastavro

    batcher = _Batcher(col, limits, file_path)
    try:
        for i, rec in enumerate(fastavro.reader(stream)):
            batcher.add(rec, i)
    except ExtractError:
        raise
    except (ValueError, EOFError, OSError, TypeError, KeyError, IndexError, StopIteration) as e:
        raise ExtractError(UNABLE_TO_PARSE_FILE, f"avro: {type(e).__name__}") from None
    batcher.flush()
