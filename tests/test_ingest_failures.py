"""Ingest on bad input: every failure gives one clear line, a quarantined record where a
record was damaged, and never a traceback.  Also the encoding golden cases and the
property that any bytes at all yield exactly one ``FileOutcome``.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_helpers import run

import cleaner.ingest as ingest_mod
from cleaner.config import IngestConfig
from cleaner.ingest import ingest
from cleaner.records import FileOutcome

CASES = Path(__file__).parent / "cases" / "ingest_encodings.json"
STORY = "The harbour lights were switched on again after the storm passed.\n"


def jsonl(*objs: object) -> str:
    return "".join(json.dumps(o) + "\n" for o in objs)


# --- encodings (golden cases) --------------------------------------------------------

_ENC = json.loads(CASES.read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", _ENC["cases"], ids=lambda c: c["write_as"])
def test_encoding_cases(tmp_path: Path, case: dict[str, str]) -> None:
    (tmp_path / "a.txt").write_bytes(case["text"].encode(case["write_as"]))
    (rec,) = run(tmp_path).records
    assert rec.text == case.get("expected", case["text"]), case["why"]
    assert rec.encoding == case["encoding"], case["why"]


@pytest.mark.parametrize("ext", ["txt", "jsonl", "csv"])
def test_mixed_file_keeps_utf8_lines(tmp_path: Path, ext: str) -> None:
    neg = _ENC["negative"]
    good, bad = neg["lines_utf8"][0], neg["line_cp1252"]
    if ext == "txt":
        data = good.encode() + bad.encode("cp1252")
    elif ext == "jsonl":
        data = (
            json.dumps({"body": good}, ensure_ascii=False).encode()
            + b"\n"
            + b'{"body": "'
            + bad.strip().encode("cp1252")
            + b'"}\n'
        )
    else:
        data = b"body\n" + good.strip().encode() + b"\n" + bad.strip().encode("cp1252") + b"\n"
    (tmp_path / f"a.{ext}").write_bytes(data)
    res = run(tmp_path)
    texts = "".join(r.text for r in res.records)
    assert good.strip() in texts and bad.strip() in texts, neg["why"]
    if ext == "txt":
        assert res.records[0].encoding == neg["encoding"]
    else:
        assert [r.encoding for r in res.records] == ["utf-8", "cp1252"]


def test_utf16_jsonl_and_csv(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_bytes(jsonl({"body": "Zürich news."}).encode("utf-16"))
    (tmp_path / "b.csv").write_bytes("body,title\nKöln news.,T\n".encode("utf-16"))
    texts = [(r.text, r.encoding) for r in run(tmp_path).records]
    assert texts == [("Zürich news.", "utf-16"), ("Köln news.", "utf-16")]


@pytest.mark.xfail(strict=True, reason="known weakness: Central European cp1250 is read as cp1252")
def test_cp1250_is_detected(tmp_path: Path) -> None:
    text = "Rada města schválila rozpočet, řekl starosta Dvořák.\n"
    (tmp_path / "a.txt").write_bytes(text.encode("cp1250"))
    assert run(tmp_path).records[0].text == text


# --- failures ------------------------------------------------------------------------


def test_binary_files_are_skipped_with_reason(tmp_path: Path) -> None:
    (tmp_path / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01\x02garbage\x00" * 50)
    res = run(tmp_path)
    assert not res.records
    photo, blob = res.outcome("photo.txt"), res.outcome("blob.bin")
    assert photo.status == "skipped" and photo.problems == ("skipped: PNG image in a .txt file",)
    assert blob.status == "skipped" and "binary content" in blob.problems[0]
    assert photo.file_hash is not None  # still listed with its hash for the manifest


def test_empty_and_blank_files_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "blank.txt").write_text("  \n\n")
    (tmp_path / "empty.txt.gz").write_bytes(gzip.compress(b""))
    res = run(tmp_path)
    assert res.outcome("empty.jsonl").problems == ("empty file",)
    assert res.outcome("blank.txt").problems == ("no text (the file holds only whitespace)",)
    assert res.outcome("empty.txt.gz").problems == ("empty after decompression",)
    assert all(o.status == "skipped" for o in res.outcomes)


def test_truncated_gzip_keeps_what_came_before(tmp_path: Path) -> None:
    rows = jsonl(*({"body": f"Story {i} " + "words " * 30} for i in range(200))).encode()
    (tmp_path / "cut.jsonl.gz").write_bytes(gzip.compress(rows)[:-40])
    res = run(tmp_path)
    out = res.outcome("cut.jsonl.gz")
    assert out.status == "partial" and 100 < out.records < 200
    assert any("truncated" in p for p in out.problems)
    good = [r for r in res.records if r.defect is None]
    assert [r.record_index for r in good] == list(range(1, len(good) + 1))


def test_truncated_gzip_text_is_quarantined(tmp_path: Path) -> None:
    (tmp_path / "cut.txt.gz").write_bytes(gzip.compress((STORY * 200).encode())[:-10])
    res = run(tmp_path)
    (rec,) = res.records
    assert rec.defect and "truncated" in rec.defect
    assert res.outcome("cut.txt.gz").status == "partial"


def test_corrupt_gzip_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "bad.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00garbage-not-deflate" * 3)
    out = run(tmp_path).outcome("bad.jsonl.gz")
    assert out.status == "skipped" and out.problems[0].startswith("corrupt .gz data")


def test_named_gz_but_plain(tmp_path: Path) -> None:
    (tmp_path / "a.txt.gz").write_text(STORY)
    res = run(tmp_path)
    assert res.records[0].text == STORY and res.records[0].fmt == "txt"
    assert res.outcome("a.txt.gz").problems == ("named .gz but not compressed; read as plain",)


def test_malformed_json_line_is_quarantined_with_raw_text(tmp_path: Path) -> None:
    bad = '{"body": "Cut off mid-wri'
    (tmp_path / "a.jsonl").write_text(jsonl({"body": "A."}) + bad + "\n" + jsonl({"body": "C."}))
    res = run(tmp_path)
    a, b, c = res.records
    assert (a.defect, c.defect, c.record_index) == (None, None, 3)
    assert b.text == bad and b.record_index == 2
    assert b.defect is not None and b.defect.startswith("line 2: invalid JSON")
    out = res.outcome("a.jsonl")
    assert out.status == "partial" and out.records == 3
    assert out.problems == (f"1 damaged record(s) quarantined (first: {b.defect})",)


def test_record_without_text_field_is_quarantined(tmp_path: Path) -> None:
    line = json.dumps({"headline": "No body here", "url": "https://x.example/2"})
    (tmp_path / "a.jsonl").write_text(line + "\n" + json.dumps([1, 2]) + "\n")
    no_text, not_obj = run(tmp_path).records
    assert no_text.text == line and no_text.given.title == "No body here"
    assert (
        no_text.defect == "line 1: no text field (looked for text, body, content, article, story)"
    )
    assert not_obj.defect == "line 2: an array, not a JSON object"


def test_malformed_json_array_keeps_earlier_elements(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(
        '[{"body": "A."}, {"body": "B."}, {"body": oops}, {"body": "D."}]'
    )
    res = run(tmp_path)
    assert [r.text for r in res.records[:2]] == ["A.", "B."]
    broken = res.records[2]
    assert broken.defect and broken.defect.startswith("element 3: invalid JSON")
    assert broken.text.startswith('{"body": oops}')
    assert res.outcome("a.json").status == "partial"


def test_unclosed_json_array(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('[{"body": "A."}, {"body": "B."')
    res = run(tmp_path)
    assert res.records[0].text == "A." and res.records[-1].defect
    assert res.outcome("a.json").status == "partial"


def test_csv_broken_quote_is_quarantined_and_reading_resumes(tmp_path: Path) -> None:
    content = (
        "title,body\n"
        'One,"First body."\n'
        'Two,"Opened quote never closed, swallowing lines\n'
        "Three,Third body.\n"
        'Four,"Fourth body."\n'
        "Five,Fifth body.\n"
    )
    (tmp_path / "a.csv").write_text(content)
    res = run(tmp_path)
    texts = [r.text for r in res.records if r.defect is None]
    damaged = [r for r in res.records if r.defect]
    assert texts[0] == "First body." and texts[-1] == "Fifth body."
    assert len(damaged) == 1 and damaged[0].record_index == 3
    assert "Opened quote never closed" in damaged[0].text
    assert res.outcome("a.csv").status == "partial"


def test_csv_quote_open_until_end_of_file(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text('title,body\nOne,"Never closed\nTwo,Lost\n')
    res = run(tmp_path)
    (rec,) = res.records
    assert rec.defect and "unbalanced quote" in rec.defect
    assert rec.text == 'One,"Never closed\nTwo,Lost\n'


def test_csv_header_only(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("title,body\n")
    out = run(tmp_path).outcome("a.csv")
    assert (out.status, out.problems) == ("skipped", ("no records found",))


def test_oversized_records_are_quarantined_as_previews(tmp_path: Path) -> None:
    cfg = IngestConfig(max_record_bytes=200)
    long = "word " * 100
    (tmp_path / "a.jsonl").write_text(jsonl({"body": long}, {"body": "Short."}))
    (tmp_path / "b.txt").write_text(long)
    (tmp_path / "c.csv").write_text(f'body\n"{long}"\nShort.\n')
    res = run(tmp_path, cfg)
    big, small = res.of("a.jsonl")
    assert big.defect == "line 1: longer than max_record_bytes" and small.text == "Short."
    (txt,) = res.of("b.txt")
    assert txt.defect and len(txt.text) == 200
    csv_big, csv_small = res.of("c.csv")
    assert csv_big.defect and csv_small.text == "Short."


def test_unreadable_file_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.txt").write_text(STORY)
    (tmp_path / "locked.txt").write_text(STORY)
    real = ingest_mod.open_regular

    def guarded(path: Path):  # type: ignore[no-untyped-def]
        if path.name == "locked.txt":
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(ingest_mod, "open_regular", guarded)
    res = run(tmp_path)
    out = res.outcome("locked.txt")
    assert (out.status, out.problems) == ("skipped", ("permission denied (cannot read the file)",))
    assert res.outcome("a.txt").status == "ok"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads anything")
def test_unreadable_permissions_for_real(tmp_path: Path) -> None:
    (tmp_path / "locked.txt").write_text(STORY)
    (tmp_path / "locked.txt").chmod(0)
    assert run(tmp_path).outcome("locked.txt").status == "skipped"


def test_file_vanishing_between_listing_and_reading(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(STORY)
    (tmp_path / "b.txt").write_text(STORY)
    seen = []
    for item in ingest(tmp_path, IngestConfig()):
        seen.append(item)
        if isinstance(item, FileOutcome) and item.path == "a.txt":
            (tmp_path / "b.txt").unlink()
    gone = seen[-1]
    assert isinstance(gone, FileOutcome) and gone.path == "b.txt"
    assert (gone.status, gone.problems) == ("skipped", ("file vanished before it could be read",))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_and_broken_link_are_skipped_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "link.txt").symlink_to(tmp_path / "missing.txt")
    res = run(tmp_path)
    assert res.outcome("pipe.txt").problems == ("not a regular file: pipe.txt",)
    assert res.outcome("link.txt").problems == ("broken symbolic link",)


def test_corrupt_parquet_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "a.parquet").write_bytes(b"PAR1" + b"not really parquet" * 10 + b"PAR1")
    out = run(tmp_path).outcome("a.parquet")
    assert out.status == "skipped" and out.problems[0].startswith("Parquet: ")


def test_every_file_gets_exactly_one_outcome(tmp_path: Path) -> None:
    files = {
        "ok.txt": STORY.encode(),
        "empty.txt": b"",
        "bin.dat": b"\x00" * 64,
        "bad.jsonl": b'{"body": "A."}\n{nope\n',
        "cut.txt.gz": gzip.compress(STORY.encode() * 50)[:-8],
        "sub/deeper/page.html": b"<html><body><p>" + STORY.encode() * 5 + b"</p></body></html>",
        "sub/rows.csv": b'body\n"unclosed\n',
        "sub/list.json": b'[{"body": "x"}',
        "sub/weird.xyz": "Ünïcode — text".encode("cp1252"),
    }
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    res = run(tmp_path)
    assert [o.path for o in res.outcomes] == sorted(files)


EXTS = ["txt", "jsonl", "json", "csv", "parquet", "html", "bin", "txt.gz", "jsonl.gz", "csv.gz"]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.one_of(st.binary(max_size=600), st.text(max_size=300).map(str.encode)),
    ext=st.sampled_from(EXTS),
    gz=st.booleans(),
)
def test_any_bytes_never_raise_and_give_one_outcome(
    tmp_path: Path, data: bytes, ext: str, gz: bool
) -> None:
    folder = tmp_path / "prop"
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    if gz and ext.endswith(".gz"):
        data = gzip.compress(data)[: max(1, len(data) // 2)]  # often truncated too
    (folder / f"f.{ext}").write_bytes(data)
    res = run(folder, IngestConfig(max_record_bytes=256))
    (out,) = res.outcomes
    assert out.records == len(res.records)
    assert (out.status == "ok") == (not out.problems)
