"""Object formats through the real job: moto S3 over HTTP, Spark executors, Delta tables.

Every object is built in the test (no binary fixtures). Each ends with its exact status and Macie
reason, and the detections of the readable ones carry their exact Macie locations.
"""
from __future__ import annotations

import gzip
import json

import pytest
import zstandard
from pyspark.sql import functions as F

from jobs.scan import run_scan
from tests.conftest import make_config
from tests.jobs import formatgen as gen

pytestmark = [pytest.mark.spark, pytest.mark.integration]

BUCKET = "lakescan-formats-itest"
RUN_ID = "20261124T000000Z-formats01"
SSN, SSN2 = "536-22-8725", "536-22-8726"
LINE = f"employee SSN: {SSN}"
AVRO_SCHEMA = {"type": "record", "name": "r", "fields": [{"name": "customer", "type": {
    "type": "record", "name": "c", "fields": [{"name": "ssn", "type": "string"}]}}]}
ROWS = [{"customer": {"ssn": "none"}}, {"customer": {"ssn": SSN}}]
CELL = {"kind": "cell", "row": 2, "column": 2, "column_name": "ssn"}
RECORD = {"kind": "record", "record_index": 1, "json_path": "$.customer.ssn"}


def _objects() -> dict[str, tuple[bytes, str, str | None, dict | None]]:
    """key -> (body, status, reason, first SSN location (None: no detection expected))."""
    csv = f"name,ssn\nx,{SSN}\n".encode()
    gz = gzip.compress(("name,ssn\n" + f"x,{SSN}\n" * 3000).encode())
    return {
        "text/notes.txt": (f"hello\n{LINE}\n".encode(), "COMPLETE", None,
                           {"kind": "lineRange", "line_start": 2, "start_column": 15}),
        "text/page.html": (f"<p>\n<i>employee SSN:</i> {SSN}</p>".encode(), "COMPLETE", None,
                           {"kind": "lineRange", "line_start": 2, "start_column": 22}),
        "text/people.xml": (f"<people>\n <ssn>{SSN}</ssn>\n</people>".encode(), "COMPLETE", None,
                            {"kind": "lineRange", "line_start": 2, "start_column": 7}),
        "tables/people.csv": (csv, "COMPLETE", None, CELL),
        "tables/people.tsv": (csv.replace(b",", b"\t"), "COMPLETE", None, CELL),
        "records/events.jsonl": ("\n".join(json.dumps(r) for r in ROWS).encode(), "COMPLETE", None, RECORD),
        "records/dump.json": (json.dumps({"rows": ROWS}).encode(), "COMPLETE", None,
                              {"kind": "record", "record_index": 0, "json_path": "$.rows[1].customer.ssn"}),
        "lake/c.parquet": (gen.parquet(ROWS), "COMPLETE", None, RECORD),
        "lake/c.orc": (gen.orc(ROWS), "COMPLETE", None, RECORD),
        "lake/c.avro": (gen.avro(ROWS, AVRO_SCHEMA), "COMPLETE", None, RECORD),
        "docs/letter.pdf": (gen.pdf([["Dear HR"], ["records:", LINE]]), "COMPLETE", None,
                            {"kind": "page", "page_number": 2, "line_start": 2, "start_column": 15}),
        "docs/memo.docx": (gen.docx(["Memo", LINE]), "COMPLETE", None,
                           {"kind": "lineRange", "line_start": 2, "start_column": 15}),
        "docs/hr.xlsx": (gen.xlsx({"Summary": [["-"]], "Sheet2": [["name", "id", "ssn"], ["a", 1, "-"], ["b", 2, "-"],
                                                                   ["c", 3, "-"], ["d", 4, "536228725"]]}),
                         "COMPLETE", None, {"kind": "cell", "row": 5, "column": 3, "column_name": "ssn",
                                            "cell_reference": "Sheet2!C5"}),
        "mail/hire.eml": (gen.eml("Hello,\nsee attached\n", {"people.csv": csv}), "COMPLETE", None,
                          {**CELL, "file_path": "people.csv"}),
        "packed/people.csv.gz": (gzip.compress(csv), "COMPLETE", None, CELL),
        "packed/people.csv.zst": (zstandard.ZstdCompressor().compress(csv), "COMPLETE", None, CELL),
        "packed/bundle.tar": (gen.tar_of({"hr/people.csv": csv}), "COMPLETE", None,
                              {**CELL, "file_path": "hr/people.csv"}),
        "packed/bundle.zip": (gen.zip_of({"a/b/people.csv": csv, "logo.png": b"\x89PNG\r\n\x1a\n" + bytes(40)}),
                              "PARTIAL", "ARCHIVE_CONTAINS_UNPROCESSED_FILES", {**CELL, "file_path": "a/b/people.csv"}),
        "packed/nested10.zip": (gen.nested_zips(10, "s.txt", LINE.encode()), "COMPLETE", None,
                                {"kind": "lineRange", "line_start": 1, "start_column": 15,
                                 "file_path": "/".join(f"level{i}.zip" for i in range(2, 11)) + "/s.txt"}),
        # every limit and reason
        "bad/bomb.zip": (gen.zip_of({"zeros.txt": bytes(30 * 1024 * 1024)}), "SKIPPED",
                         "ARCHIVE_TOTAL_BYTES_EXTRACTED_OVER_LIMIT", None),
        "bad/nested11.zip": (gen.nested_zips(11, "s.txt", LINE.encode()), "SKIPPED",
                             "ARCHIVE_NESTING_LEVEL_OVER_LIMIT", None),
        "bad/deep.json": (("[" * 300 + "]" * 300).encode(), "SKIPPED", "JSON_NESTING_LEVEL_OVER_LIMIT", None),
        "bad/truncated.csv.gz": (gz[: len(gz) // 2], "SKIPPED", "MALFORMED_FILE", None),
        "bad/corrupt.parquet": (b"PAR1" + bytes(300) + b"PAR1", "SKIPPED", "UNABLE_TO_PARSE_FILE", None),
        "bad/corrupt.pdf": (b"%PDF-1.4\n" + bytes(300), "SKIPPED", "MALFORMED_FILE", None),
        "bad/corrupt.docx": (gen.docx([LINE])[:200], "SKIPPED", "MALFORMED_OR_FILE_SIZE_EXCEEDS_LIMIT", None),
        "bad/ratio.docx": (gen.docx([LINE, "z" * (2 * 1024 * 1024)]), "SKIPPED",
                           "OOXML_UNCOMPRESSED_RATIO_EXCEEDS_LIMIT", None),
        "bad/binary.txt": (bytes(range(256)) * 8, "SKIPPED", "UNSUPPORTED_FILE_TYPE_EXCEPTION", None),
        "bad/photo.jpg": (b"\xff\xd8\xff\xe0" + bytes(100), "SKIPPED", "UNSUPPORTED_FILE_TYPE_EXCEPTION", None),
        "bad/big.pdf": (gen.pdf([[LINE]] * 3), "SKIPPED", "FILE_EXCEEDS_SIZE_LIMIT", None),
        "enc/latin1.txt": (f"Café\n{LINE}\n".encode("latin-1"), "COMPLETE", None,
                           {"kind": "lineRange", "line_start": 2, "start_column": 15}),
        "enc/utf16.txt": (f"x\n{LINE}\n".encode("utf-16"), "COMPLETE", None,
                          {"kind": "lineRange", "line_start": 2, "start_column": 15}),
    }


@pytest.fixture(scope="module")
def objects(s3_client):
    objs = _objects()
    s3_client.create_bucket(Bucket=BUCKET)
    for key, (body, *_rest) in objs.items():
        s3_client.put_object(Bucket=BUCKET, Key=key, Body=body)
    return objs


@pytest.fixture(scope="module")
def results(spark, moto_server, objects, tmp_path_factory):
    from jobs.cli import _pack_for

    cfg = make_config(moto_server.endpoint_url, tmp_path_factory.mktemp("formats-warehouse"),
                      f"scope.buckets={json.dumps([BUCKET])}", "limits.format_max_bytes.pdf=1000",
                      "limits.objects_per_partition=4")
    run_scan(spark, cfg, _pack_for(cfg), run_id=RUN_ID)
    rows = (spark.read.format("delta").load(cfg.output.table("object_results"))
            .where((F.col("run_id") == RUN_ID) & (F.col("bucket") == BUCKET)).collect())
    findings = (spark.read.format("delta").load(cfg.output.table("findings"))
                .where(F.col("run_id") == RUN_ID).select("key").collect())
    return {r["key"]: r for r in rows}, {r["key"] for r in findings}


def test_one_row_per_object_with_its_status_and_reason(objects, results):
    rows, _ = results
    assert set(rows) == set(objects)
    got = {k: (r["status"], r["reason"]) for k, r in rows.items()}
    want = {k: (status, reason) for k, (_, status, reason, _) in objects.items()}
    assert got == want


def test_detections_have_exact_macie_locations(objects, results):
    rows, findings = results
    for key, (_, _, _, where) in objects.items():
        dets = {d["type"]: d for d in rows[key]["detections"] or []}
        if where is None:
            assert rows[key]["detection_count"] == 0, key
            continue
        ssn = dets.get("USA_SOCIAL_SECURITY_NUMBER")
        assert ssn is not None, (key, list(dets))
        first = ssn["occurrences"][0].asDict()
        assert {k: first[k] for k in where} == where, (key, first)
        assert first["masked"] and SSN not in first["masked"] and first["value_hash"]
        assert key in findings, key


def test_skipped_objects_say_why_and_mime_types_come_from_content(results):
    rows, _ = results
    assert "bomb" in rows["bad/bomb.zip"]["detail"]
    assert rows["lake/c.parquet"]["mime_type"] == "application/vnd.apache.parquet"
    assert rows["docs/hr.xlsx"]["mime_type"].endswith("spreadsheetml.sheet")
    assert "Latin-1" in rows["enc/latin1.txt"]["detail"]
    assert rows["packed/nested10.zip"]["size_classified"] == rows["packed/nested10.zip"]["size"]
