"""Object formats (no JVM): real files built in the test, exact Macie locations, limits and reasons."""
from __future__ import annotations

import bz2
import gzip
import io
import json
import random
import zipfile

import pytest

from jobs.formats import Limits, classify_bytes, classify_stream
from tests.jobs import formatgen as gen

SSN, SSN2 = "536-22-8725", "536-22-8726"
LINE = f"employee SSN: {SSN}"
KEEP = ("kind", "line_start", "start_column", "row", "column", "column_name", "cell_reference",
        "record_index", "json_path", "page_number", "file_path")


@pytest.fixture(scope="module")
def engine():
    from detectors import get_engine, load_pack

    return get_engine(load_pack(selector="ALL"), b"test-formats-key")


def locs(result, type_="USA_SOCIAL_SECURITY_NUMBER"):
    tr = result.detections.get(type_)
    return [{k: o[k] for k in KEEP if o.get(k) is not None} for o in (tr.occurrences if tr else [])]


def _zstd(data: bytes) -> bytes:
    import zstandard

    return zstandard.ZstdCompressor().compress(data)


def run(engine, name, data, **limits):
    return classify_bytes(data, name, engine, Limits(**limits))


# ---- text-like -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["notes.txt", "app.log", "README.md", "conf.yaml", "noext", "a.properties"])
def test_text_types_give_line_and_column(engine, name):
    res = run(engine, name, f"first line\n  {LINE}\n".encode())
    assert (res.status, res.reason) == ("COMPLETE", None)
    assert locs(res) == [{"kind": "lineRange", "line_start": 2, "start_column": 17}]


def test_xml_is_read_as_text_with_line_ranges(engine):
    xml = f'<?xml version="1.0"?>\n<people>\n  <person><ssn>{SSN}</ssn></person>\n</people>\n'
    res = run(engine, "people.xml", xml.encode())
    assert res.mime_type == "application/xml"
    assert locs(res) == [{"kind": "lineRange", "line_start": 3, "start_column": 16}]


def test_html_tags_are_blanked_but_positions_kept(engine):
    html = f"<html><body>\n<p class='hr'>employee SSN:</p> <b>{SSN}</b>\n</body></html>"
    res = run(engine, "page.html", html.encode())
    assert locs(res) == [{"kind": "lineRange", "line_start": 2, "start_column": 36}]


def test_csv_cells_with_column_names_and_tsv(engine):
    data = f"name,email,ssn\nalice,a@example.com,{SSN}\nbob,b@example.com,nope\ncarol,c@example.com,{SSN2}\n"
    res = run(engine, "people.csv", data.encode())
    assert locs(res) == [{"kind": "cell", "row": 2, "column": 3, "column_name": "ssn"},
                         {"kind": "cell", "row": 4, "column": 3, "column_name": "ssn"}]
    res = run(engine, "people.tsv", data.replace(",", "\t").encode())
    assert [o["row"] for o in locs(res)] == [2, 4]
    assert res.mime_type == "text/tab-separated-values"


def test_csv_header_name_is_the_keyword(engine):
    # a bare 9-digit number is only an SSN with a keyword: the column name supplies it
    res = run(engine, "ids.csv", b"id,ssn\n1,536228725\n")
    assert locs(res) == [{"kind": "cell", "row": 2, "column": 2, "column_name": "ssn"}]
    assert locs(run(engine, "ids.csv", b"id,value\n1,536228725\n")) == []


def test_json_and_jsonl_records_and_paths(engine):
    doc = {"customers": [{"name": "a"}, {"name": "b", "ids": {"ssn": SSN}}]}
    res = run(engine, "dump.json", json.dumps(doc, indent=2).encode())
    assert locs(res) == [{"kind": "record", "record_index": 0, "json_path": "$.customers[1].ids.ssn"}]
    lines = [{"user": {"ssn": "none"}}, {"user": {"ssn": SSN}}, {}, {"user": {"ssn": SSN2}}]
    res = run(engine, "events.jsonl", "\n".join(json.dumps(x) for x in lines).encode())
    assert locs(res) == [{"kind": "record", "record_index": 1, "json_path": "$.user.ssn"},
                         {"kind": "record", "record_index": 3, "json_path": "$.user.ssn"}]


def test_jsonl_lines_that_are_not_json_are_read_as_text(engine):
    res = run(engine, "mixed.jsonl", f'{{"a": 1}}\n{LINE}\n'.encode())
    assert res.status == "COMPLETE"
    assert locs(res) == [{"kind": "lineRange", "line_start": 2, "start_column": 15}]


# ---- encodings and content sniffing ---------------------------------------------------------------

def test_utf16_with_bom_and_utf8_bom(engine):
    for data in (f"x\n{LINE}\n".encode("utf-16"), b"\xef\xbb\xbf" + f"x\n{LINE}\n".encode()):
        res = run(engine, "u.txt", data)
        assert locs(res) == [{"kind": "lineRange", "line_start": 2, "start_column": 15}]


def test_invalid_utf8_falls_back_to_latin1(engine):
    res = run(engine, "latin.txt", f"Café: {LINE}\n".encode("latin-1"))
    assert res.status == "COMPLETE" and "Latin-1" in res.detail
    assert locs(res) == [{"kind": "lineRange", "line_start": 1, "start_column": 21}]


def test_binary_with_txt_name_is_unsupported(engine):
    res = run(engine, "notes/binary.txt", bytes(range(256)) * 4)
    assert (res.status, res.reason) == ("SKIPPED", "UNSUPPORTED_FILE_TYPE_EXCEPTION")


@pytest.mark.parametrize("name,data", [
    ("logo.png", b"\x89PNG\r\n\x1a\n" + bytes(64)), ("photo.jpg", b"\xff\xd8\xff\xe0" + bytes(64)),
    ("song.mp3", b"ID3\x03" + bytes(64)), ("clip.mp4", b"\x00\x00\x00\x18ftypmp42" + bytes(64)),
    ("renamed.txt", b"GIF89a" + bytes(64)), ("legacy.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64)),
])
def test_images_audio_video_and_unsupported_types_are_skipped(engine, name, data):
    res = run(engine, name, data)
    assert (res.status, res.reason) == ("SKIPPED", "UNSUPPORTED_FILE_TYPE_EXCEPTION")


def test_content_wins_over_extension(engine):
    res = run(engine, "report.txt", gen.zip_of({"inner/people.csv": f"ssn\n{SSN}\n".encode()}))
    assert res.status == "COMPLETE" and "content is zip" in res.detail
    assert locs(res) == [{"kind": "cell", "row": 2, "column": 1, "column_name": "ssn",
                          "file_path": "inner/people.csv"}]
    res = run(engine, "data.csv", gzip.compress(f"ssn\n{SSN}\n".encode()))
    assert locs(res) == [{"kind": "cell", "row": 2, "column": 1, "column_name": "ssn"}]


# ---- streaming: overlapping windows ----------------------------------------------------------------

def test_stream_windows_find_every_match_once_with_exact_lines(engine):
    rng = random.Random(7)
    lines, expected = [], []
    for i in range(4000):
        if rng.random() < 0.05:
            pad = "x" * rng.randrange(0, 300)
            lines.append(f"{pad} ssn {SSN}")
            expected.append((i + 1, len(pad) + 6))
        else:
            lines.append("lorem ipsum dolor sit amet " * rng.randrange(0, 5))
    data = "\n".join(lines).encode()
    small = Limits(stream_chunk_bytes=4096, stream_overlap_chars=1024, stream_context_chars=256)
    res = classify_stream(io.BytesIO(data), "big.log", engine, small)
    got = sorted((o["line_start"], o["start_column"]) for o in locs(res))
    assert got == expected and res.detections["USA_SOCIAL_SECURITY_NUMBER"].count == len(expected)
    # a match exactly across every chunk border of a single huge line, also found once
    one_line = ("ab " * 1365 + f"ssn {SSN} ").encode() * 20
    res = classify_stream(io.BytesIO(one_line), "one.log", engine, small)
    assert res.detections["USA_SOCIAL_SECURITY_NUMBER"].count == 20
    assert {o["line_start"] for o in locs(res)} == {1}


def test_non_seekable_stream_reads_text_in_chunks(engine):
    class Trickle(io.RawIOBase):
        def __init__(self, data):
            self.data, self.pos, self.max_read = data, 0, 0

        def readable(self):
            return True

        def read(self, n=-1):
            self.max_read = max(self.max_read, n)
            out = self.data[self.pos:self.pos + n]
            self.pos += len(out)
            return out

    src = Trickle(("filler line\n" * 50_000 + f"{LINE}\n").encode())
    res = classify_stream(src, "s.txt", engine, Limits(stream_chunk_bytes=65536), size=len(src.data))
    assert locs(res) == [{"kind": "lineRange", "line_start": 50_001, "start_column": 15}]
    assert src.max_read <= 65536


def test_streamed_text_memory_stays_bounded_whatever_the_size(engine):
    """48 MB through the streaming reader: the Python heap peak stays a small multiple of the chunk
    (bench/formats_bench.py measures the 2 GB case, and the process RSS, against limits.task_memory_bytes)."""
    import tracemalloc

    from bench.formats_bench import GeneratedText

    src = GeneratedText(48_000_000)
    limits = Limits()
    tracemalloc.start()
    try:
        res = classify_stream(src, "big.log", engine, limits, size=src.size)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert res.status == "COMPLETE"
    assert res.detections["USA_SOCIAL_SECURITY_NUMBER"].count == src.expected_count()
    assert peak < 12 * limits.stream_chunk_bytes, f"heap peak {peak / 2**20:.1f} MiB"


# ---- big-data formats ---------------------------------------------------------------------------------

def test_parquet_orc_avro_records_and_paths(engine):
    rows = [{"customer": {"name": "a", "ssn": "none"}}, {"customer": {"name": "b", "ssn": SSN}}]
    want = [{"kind": "record", "record_index": 1, "json_path": "$.customer.ssn"}]
    assert locs(run(engine, "c.parquet", gen.parquet(rows))) == want
    assert locs(run(engine, "c.orc", gen.orc(rows))) == want
    schema = {"type": "record", "name": "r", "fields": [{"name": "customer", "type": {
        "type": "record", "name": "c", "fields": [{"name": "name", "type": "string"},
                                                  {"name": "ssn", "type": "string"}]}}]}
    assert locs(run(engine, "c.avro", gen.avro(rows, schema))) == want


# ---- documents --------------------------------------------------------------------------------------

def test_pdf_page_numbers(engine):
    res = run(engine, "letter.pdf", gen.pdf([["Dear HR,"], ["Your records:", LINE]]))
    assert res.mime_type == "application/pdf"
    assert locs(res) == [{"kind": "page", "page_number": 2, "line_start": 2, "start_column": 15}]


def test_docx_paragraph_lines(engine):
    res = run(engine, "memo.docx", gen.docx(["Memo", "To payroll", LINE]))
    assert locs(res) == [{"kind": "lineRange", "line_start": 3, "start_column": 15}]


def test_xlsx_sheet_cell_reference_and_header_keyword(engine):
    book = gen.xlsx({"Summary": [["nothing here"]],
                     "Sheet2": [["name", "dept", "ssn"], ["a", "x", "n/a"], ["b", "x", "n/a"], ["c", "x", "n/a"],
                                ["d", "x", "536228725"]]})
    res = run(engine, "hr.xlsx", book)
    assert locs(res) == [{"kind": "cell", "row": 5, "column": 3, "column_name": "ssn",
                          "cell_reference": "Sheet2!C5"}]


def test_eml_headers_body_and_attachments(engine):
    mail = gen.eml(f"Hello,\n{LINE}\n", {"people.csv": f"name,ssn\nbob,{SSN2}\n".encode(),
                                         "scan.png": b"\x89PNG\r\n\x1a\n" + bytes(32)})
    res = run(engine, "msg.eml", mail)
    body_line = mail.decode().replace("\r\n", "\n").split("\n\n", 1)[0].count("\n") + 1 + 2
    assert locs(res)[0]["kind"] == "lineRange" and locs(res)[0]["start_column"] == 15
    assert locs(res)[0]["line_start"] >= body_line - 1
    assert locs(res)[1] == {"kind": "cell", "row": 2, "column": 2, "column_name": "ssn", "file_path": "people.csv"}
    assert (res.status, res.reason) == ("PARTIAL", "ARCHIVE_CONTAINS_UNPROCESSED_FILES")


# ---- compression and archives -------------------------------------------------------------------------

@pytest.mark.parametrize("name,pack", [
    ("p.csv.gz", gzip.compress), ("p.csv.bz2", bz2.compress),
    ("p.csv.zst", _zstd), ("two-frames.csv.zst", lambda d: _zstd(d[:5]) + _zstd(d[5:])),
])
def test_compressed_streams(engine, name, pack):
    res = run(engine, name, pack(f"name,ssn\nx,{SSN}\n".encode()))
    assert res.status == "COMPLETE"
    assert locs(res) == [{"kind": "cell", "row": 2, "column": 2, "column_name": "ssn"}]


def test_zip_and_tar_members_carry_their_path(engine):
    members = {"hr/2026/people.csv": f"name,ssn\nx,{SSN}\n".encode(), "docs/readme.txt": f"hi\n{LINE}\n".encode()}
    for name, data in (("a.zip", gen.zip_of(members)), ("a.tar", gen.tar_of(members)),
                       ("a.tar.gz", gzip.compress(gen.tar_of(members))), ("a.tgz", gzip.compress(gen.tar_of(members)))):
        res = run(engine, name, data)
        assert res.status == "COMPLETE", name
        assert locs(res) == [
            {"kind": "cell", "row": 2, "column": 2, "column_name": "ssn", "file_path": "hr/2026/people.csv"},
            {"kind": "lineRange", "line_start": 2, "start_column": 15, "file_path": "docs/readme.txt"}], name


def test_ten_nested_archives_are_read_eleven_are_not(engine):
    res = run(engine, "n10.zip", gen.nested_zips(10, "s.txt", LINE.encode()))
    assert res.status == "COMPLETE"
    assert locs(res)[0]["file_path"] == "/".join(f"level{i}.zip" for i in range(2, 11)) + "/s.txt"
    res = run(engine, "n11.zip", gen.nested_zips(11, "s.txt", LINE.encode()))
    assert (res.status, res.reason) == ("SKIPPED", "ARCHIVE_NESTING_LEVEL_OVER_LIMIT")
    with_sibling = gen.zip_of({"top.txt": LINE.encode(), "deep.zip": gen.nested_zips(10, "s.txt", LINE.encode())})
    res = run(engine, "mixed.zip", with_sibling)
    assert (res.status, res.reason) == ("PARTIAL", "ARCHIVE_NESTING_LEVEL_OVER_LIMIT")
    assert locs(res) == [{"kind": "lineRange", "line_start": 1, "start_column": 15, "file_path": "top.txt"}]


def test_zip_bomb_and_gzip_bomb_are_not_extracted(engine):
    bomb = gen.zip_of({"zeros.txt": bytes(20 * 1024 * 1024)})
    res = run(engine, "bomb.zip", bomb)
    assert (res.status, res.reason) == ("SKIPPED", "ARCHIVE_TOTAL_BYTES_EXTRACTED_OVER_LIMIT")
    assert "bomb" in res.detail
    for name, pack in (("bomb.txt.gz", gzip.compress), ("bomb.txt.bz2", bz2.compress), ("bomb.txt.zst", _zstd)):
        res = run(engine, name, pack(b"a" * (20 * 1024 * 1024)))
        assert (res.status, res.reason) == ("SKIPPED", "ARCHIVE_TOTAL_BYTES_EXTRACTED_OVER_LIMIT"), name


def test_archive_file_count_and_total_bytes_limits(engine):
    many = gen.zip_of({f"f{i}.txt": b"x" for i in range(5)})
    assert run(engine, "many.zip", many, archive_max_files=3).reason == "ARCHIVE_TOTAL_DOCUMENTS_PROCESSED_OVER_LIMIT"
    tar = gen.tar_of({f"f{i}.txt": f"{LINE}\n".encode() + b"y" * 1000 for i in range(5)})
    res = run(engine, "many.tar", tar, archive_max_files=3)
    assert (res.status, res.reason) == ("PARTIAL", "ARCHIVE_TOTAL_DOCUMENTS_PROCESSED_OVER_LIMIT")
    assert res.detections["USA_SOCIAL_SECURITY_NUMBER"].count == 3
    res = run(engine, "big.zip", gen.zip_of({"a.txt": b"a" * 5000}), archive_max_total_bytes=4000)
    assert (res.status, res.reason) == ("SKIPPED", "ARCHIVE_TOTAL_BYTES_EXTRACTED_OVER_LIMIT")
    res = run(engine, "big.tar", tar, archive_max_file_bytes=500)
    assert (res.status, res.reason) == ("SKIPPED", "ARCHIVE_EXCEEDS_SIZE_LIMIT")


# ---- limits and reasons -------------------------------------------------------------------------------

def test_deep_json_is_skipped(engine):
    for name, data in (("deep.json", "[" * 300 + "]" * 300), ("deeper.json", "[" * 100_000 + "]" * 100_000),
                       ("deep.jsonl", '{"a": 1}\n' + "[" * 300 + "]" * 300)):
        res = run(engine, name, data.encode())
        assert (res.status, res.reason) == ("SKIPPED", "JSON_NESTING_LEVEL_OVER_LIMIT"), name
    assert run(engine, "ok.json", ("[" * 256 + "]" * 256).encode()).status == "COMPLETE"


def test_truncated_and_corrupt_files(engine):
    csv = ("name,ssn\n" + "".join(f"x{i},{SSN}\n" for i in range(5000))).encode()
    half = lambda b: b[: len(b) // 2]  # noqa: E731
    cases = {
        "truncated.csv.gz": (half(gzip.compress(csv)), "MALFORMED_FILE"),
        "corrupt.bz2": (b"BZh91AY&SY" + bytes(100), "MALFORMED_FILE"),
        "truncated.csv.bz2": (half(bz2.compress(csv)), "MALFORMED_FILE"),
        "truncated.csv.zst": (half(_zstd(csv)), "MALFORMED_FILE"),
        "corrupt.parquet": (b"PAR1" + bytes(200) + b"PAR1", "UNABLE_TO_PARSE_FILE"),
        "corrupt.orc": (b"ORC" + bytes(100), "UNABLE_TO_PARSE_FILE"),
        "corrupt.avro": (b"Obj\x01" + bytes(50), "UNABLE_TO_PARSE_FILE"),
        "corrupt.pdf": (b"%PDF-1.4\n" + bytes(300), "MALFORMED_FILE"),
        "corrupt.docx": (gen.docx([LINE])[:200], "MALFORMED_OR_FILE_SIZE_EXCEEDS_LIMIT"),
        "corrupt.xlsx": (b"not a zip at all", "MALFORMED_OR_FILE_SIZE_EXCEEDS_LIMIT"),
        "corrupt.zip": (b"PK\x03\x04" + bytes(100), "MALFORMED_FILE"),
        "notjson.json": (b"{this is not json", "UNABLE_TO_PARSE_FILE"),
    }
    for name, (data, reason) in cases.items():
        res = run(engine, name, data)
        assert (res.status, res.reason) == ("SKIPPED", reason), (name, res.reason, res.detail)


def test_ooxml_ratio_and_size_limits(engine):
    big = gen.docx([LINE, "z" * (2 * 1024 * 1024)])
    res = run(engine, "ratio.docx", big)
    assert (res.status, res.reason) == ("SKIPPED", "OOXML_UNCOMPRESSED_RATIO_EXCEEDS_LIMIT")
    res = run(engine, "size.docx", gen.docx([LINE]), ooxml_max_uncompressed_bytes=100)
    assert (res.status, res.reason) == ("SKIPPED", "OOXML_UNCOMPRESSED_SIZE_EXCEEDS_LIMIT")


def test_per_format_size_limits(engine):
    limits = (("pdf", 10), ("text", 10_000))
    assert run(engine, "a.pdf", gen.pdf([[LINE]]), size_limits=limits).reason == "FILE_EXCEEDS_SIZE_LIMIT"
    assert run(engine, "a.txt", LINE.encode(), size_limits=limits).status == "COMPLETE"
    assert run(engine, "a.zip", gen.zip_of({"a.txt": b"x"}), size_limits=(("zip", 10),)).reason == \
        "ARCHIVE_EXCEEDS_SIZE_LIMIT"


def test_locations_capped_at_1000_per_type_but_counted(engine):
    res = run(engine, "many.csv", ("ssn\n" + f"{SSN}\n" * 1500).encode())
    tr = res.detections["USA_SOCIAL_SECURITY_NUMBER"]
    assert tr.count == 1500 and len(tr.occurrences) == 1000


def test_no_raw_value_in_results(engine):
    res = run(engine, "a.zip", gen.zip_of({"a.txt": LINE.encode()}))
    assert SSN not in repr(res) and SSN.replace("-", "") not in repr(res)


def test_zip_members_are_streamed_not_seeked(engine):
    data = gen.zip_of({"a.txt": LINE.encode()}, zipfile.ZIP_STORED)
    assert locs(run(engine, "stored.zip", data)) == [
        {"kind": "lineRange", "line_start": 1, "start_column": 15, "file_path": "a.txt"}]


# ---- the executor's reading path against S3 (moto over HTTP, no JVM) ------------------------------------

S3_BUCKET = "lakescan-formats-unit"


@pytest.fixture(scope="module")
def bucket(s3_client):
    s3_client.create_bucket(Bucket=S3_BUCKET)
    return S3_BUCKET


def _put(s3_client, key, data):
    resp = s3_client.put_object(Bucket=S3_BUCKET, Key=key, Body=data)
    return resp["ETag"].strip('"')


def test_classify_object_streams_text_from_s3_in_chunks(engine, s3_client, bucket):
    from jobs.classify import classify_object

    data = ("filler line of a log\n" * 20_000 + f"{LINE}\n").encode()
    etag = _put(s3_client, "logs/app.log", data)
    res, _, n_read = classify_object(s3_client, bucket, "logs/app.log", etag, len(data), engine,
                                     Limits(stream_chunk_bytes=64 * 1024))
    assert locs(res) == [{"kind": "lineRange", "line_start": 20_001, "start_column": 15}]
    assert n_read == len(data) and res.size_classified == len(data)


@pytest.mark.parametrize("key,build", [
    ("t/c.parquet", lambda: gen.parquet([{"ssn": "none"}, {"ssn": SSN}] * 50)),
    ("t/c.zip", lambda: gen.zip_of({"a/b.csv": f"ssn\n{SSN}\n".encode()})),
    ("t/c.xlsx", lambda: gen.xlsx({"S": [["ssn"], ["536228725"]]})),
    ("t/c.pdf", lambda: gen.pdf([[LINE]])),
])
def test_random_access_formats_use_ranged_reads(engine, s3_client, bucket, key, build):
    from jobs.classify import classify_object

    data = build()
    etag = _put(s3_client, key, data)
    res, _, n_read = classify_object(s3_client, bucket, key, etag, len(data), engine,
                                     Limits(ranged_read_min_bytes=1))
    assert res.status == "COMPLETE" and res.detection_count >= 1, (res.reason, res.detail)
    assert n_read > 0


def test_decompressed_bytes_limit_reports_what_came_out(engine):
    data = gzip.compress((f"{LINE}\n" + "filler text line\n" * 400).encode() * 50)
    res = run(engine, "big.log.gz", data, archive_max_total_bytes=30_000, max_compression_ratio=10_000)
    assert (res.status, res.reason) == ("PARTIAL", "ARCHIVE_TOTAL_BYTES_EXTRACTED_OVER_LIMIT")
    assert 1 <= res.detections["USA_SOCIAL_SECURITY_NUMBER"].count < 50
