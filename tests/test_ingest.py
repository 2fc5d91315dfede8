"""Ingest: one fixture per format and per failure, each written by the test into tmp_path.

The texts are invented.  Every test checks the outcome line as well as the records:
bad input must never stop a run and must never be silent.
"""

from __future__ import annotations

import bz2
import gzip
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xxhash
from ingest_helpers import run

import cleaner.ingest as ingest_mod
from cleaner.config import FieldMap, IngestConfig
from cleaner.errors import InputError
from cleaner.ingest import ingest

STORY = (
    "The river ferry resumed service on Monday after a week of repairs.\n\n"
    "Passengers queued from dawn, and the operator added two extra crossings.\n"
)


def jsonl(*objs: object) -> str:
    return "".join(json.dumps(o) + "\n" for o in objs)


# --- formats -----------------------------------------------------------------------


def test_txt_is_one_record_with_hash_and_encoding(tmp_path: Path) -> None:
    data = STORY.encode()
    (tmp_path / "a.txt").write_bytes(data)
    res = run(tmp_path)
    (rec,) = res.records
    assert (rec.path, rec.record_index, rec.fmt, rec.encoding) == ("a.txt", 0, "txt", "utf-8")
    assert rec.text == STORY and rec.defect is None
    assert rec.file_hash == xxhash.xxh3_128_hexdigest(data)
    out = res.outcome("a.txt")
    assert (out.status, out.records, out.size, out.problems) == ("ok", 1, len(data), ())
    assert out.file_hash == rec.file_hash


def test_paths_are_relative_posix_and_sorted(tmp_path: Path) -> None:
    (tmp_path / "b" / "c").mkdir(parents=True)
    for name in ("b/c/z.txt", "a.txt", "b/a.txt", "b.txt"):
        (tmp_path / name).write_text(STORY)
    res = run(tmp_path)
    assert [o.path for o in res.outcomes] == ["a.txt", "b.txt", "b/a.txt", "b/c/z.txt"]


def test_jsonl_maps_fields_and_numbers_lines(tmp_path: Path) -> None:
    rows = [
        {
            "headline": "Ferry back",
            "body": STORY,
            "link": "https://x.example/1",
            "published_at": "2024-05-02",
            "site": "River Post",
            "author": "A. Writer",
            "lang": "en",
        },
        {"text": "Second story text.", "title": "Two"},
    ]
    (tmp_path / "feed.jsonl").write_text(jsonl(rows[0]) + "\n" + jsonl(rows[1]))
    res = run(tmp_path)
    first, second = res.records
    assert first.record_index == 1 and second.record_index == 3  # blank line 2 skipped
    assert first.text == STORY
    g = first.given
    assert (g.title, g.url, g.published, g.source, g.byline, g.language) == (
        "Ferry back",
        "https://x.example/1",
        "2024-05-02",
        "River Post",
        "A. Writer",
        "en",
    )
    assert second.given.title == "Two" and second.given.url is None
    assert res.outcome("feed.jsonl").status == "ok"


def test_ndjson_gz(tmp_path: Path) -> None:
    (tmp_path / "feed.ndjson.gz").write_bytes(gzip.compress(jsonl({"content": STORY}).encode()))
    res = run(tmp_path)
    (rec,) = res.records
    assert rec.fmt == "jsonl.gz" and rec.text == STORY
    assert res.outcome("feed.ndjson.gz").status == "ok"


def test_json_array_and_single_object(tmp_path: Path) -> None:
    (tmp_path / "list.json").write_text(json.dumps([{"body": "One."}, {"body": "Two."}], indent=2))
    (tmp_path / "one.json").write_text(json.dumps({"article": "Only.", "headline": "H"}))
    res = run(tmp_path)
    assert [(r.record_index, r.text) for r in res.of("list.json")] == [(1, "One."), (2, "Two.")]
    (one,) = res.of("one.json")
    assert (one.record_index, one.text, one.given.title) == (0, "Only.", "H")


def test_json_array_streams_across_tiny_chunks(tmp_path: Path, monkeypatch) -> None:
    import cleaner.ingest.jsonfmt as jf

    monkeypatch.setattr(jf, "CHUNK", 7)  # every element straddles many reads
    items = [{"body": f'Story number {i} with a "quote" and é.', "n": 10**i} for i in range(6)]
    (tmp_path / "list.json").write_text(json.dumps(items))
    res = run(tmp_path)
    assert [r.text for r in res.records] == [i["body"] for i in items]
    assert res.outcome("list.json").status == "ok"


def test_field_map_is_configurable_with_dotted_paths(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(jsonl({"payload": {"words": "Body."}, "meta": {"hed": "T"}}))
    cfg = IngestConfig(fields=FieldMap(text=("payload.words",), title=("meta.hed",)))
    (rec,) = run(tmp_path, cfg).records
    assert (rec.text, rec.given.title) == ("Body.", "T")


def test_paragraph_list_is_joined_by_blank_lines(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(jsonl({"body": ["First para.", "Second para."]}))
    (rec,) = run(tmp_path).records
    assert rec.text == "First para.\n\nSecond para."


def test_csv_with_multiline_quoted_body_bom_and_semicolons(tmp_path: Path) -> None:
    content = (
        "\ufeffTitle;Body;Date\n"
        'Ferry back;"Line one; with a semicolon.\n\nLine two ""quoted""."; 2024-05-02\n'
        "\n"
        "Short;Plain body.;2024-05-03\n"
    )
    (tmp_path / "export.csv").write_text(content, encoding="utf-8")
    res = run(tmp_path)
    first, second = res.records
    assert first.text == 'Line one; with a semicolon.\n\nLine two "quoted".'
    assert (first.record_index, first.given.title, first.given.published) == (
        2,
        "Ferry back",
        "2024-05-02",
    )
    assert (second.record_index, second.text) == (6, "Plain body.")
    assert res.outcome("export.csv").status == "ok"


def _parquet_bytes(tmp_path: Path) -> bytes:
    import datetime as dt

    table = pa.table(
        {
            "title": ["One", "Two"],
            "body": [STORY, "Second body."],
            "published": [dt.date(2024, 5, 1), None],
            "unrelated": [1, 2],
        }
    )
    path = tmp_path / "tmp.parquet.bin"
    pq.write_table(table, path)
    data = path.read_bytes()
    path.unlink()
    return data


def test_parquet_and_parquet_gz(tmp_path: Path) -> None:
    data = _parquet_bytes(tmp_path)
    (tmp_path / "rows.parquet").write_bytes(data)
    (tmp_path / "rows.parquet.gz").write_bytes(gzip.compress(data))
    res = run(tmp_path)
    for name, fmt in (("rows.parquet", "parquet"), ("rows.parquet.gz", "parquet.gz")):
        first, second = res.of(name)
        assert (first.record_index, first.text, first.given.published) == (1, STORY, "2024-05-01")
        assert (second.given.title, second.given.published, second.fmt) == ("Two", None, fmt)
        assert res.outcome(name).status == "ok"


HTML = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Ferry back | River Post</title>
<meta property="og:site_name" content="River Post"><meta name="author" content="Alex Writer">
<meta property="article:published_time" content="2024-05-02T08:00:00Z">
<link rel="canonical" href="https://river.example/ferry"></head>
<body><nav><a href="/">Home</a> | <a href="/news">News</a> | Subscribe now</nav>
<article><h1>Ferry back</h1>
<p>The river ferry resumed service on Monday after a week of repairs to its engine room.</p>
<p>Passengers queued from dawn, and the operator added two extra crossings for the evening.</p>
<p>The town council said the repairs cost less than expected and came in ahead of schedule.</p>
</article><footer>Copyright River Post. All rights reserved.</footer></body></html>"""


def test_html_through_trafilatura(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(HTML)
    (rec,) = run(tmp_path).records
    g = rec.given
    assert (g.title, g.source, g.byline, g.url, g.language) == (
        "Ferry back",
        "River Post",
        "Alex Writer",
        "https://river.example/ferry",
        "en",
    )
    assert g.published == "2024-05-02"
    assert "resumed service on Monday" in rec.text
    assert "\n\nPassengers queued" in rec.text  # paragraph breaks kept as blank lines
    assert "Subscribe" not in rec.text and "Copyright" not in rec.text
    assert rec.fmt == "html" and rec.defect is None


def test_html_declared_legacy_charset(tmp_path: Path) -> None:
    page = HTML.replace('charset="utf-8"', 'charset="windows-1252"').replace("Monday", "Mondé")
    (tmp_path / "page.htm").write_bytes(page.replace("“", "").encode("cp1252"))
    (rec,) = run(tmp_path).records
    assert "Mondé" in rec.text and rec.encoding == "cp1252"


def test_html_without_article_is_quarantined(tmp_path: Path) -> None:
    page = "<html><head><title>T</title></head><body><script>x()</script></body></html>"
    (tmp_path / "empty.html").write_text(page)
    res = run(tmp_path)
    (rec,) = res.records
    assert rec.defect == "HTML page: no article text found"
    assert res.outcome("empty.html").status == "partial"


def test_unknown_extensions_are_sniffed(tmp_path: Path) -> None:
    (tmp_path / "notes.log").write_text(STORY)
    (tmp_path / "dump.dat").write_text(jsonl({"body": "From JSON Lines."}))
    (tmp_path / "page.xhtml").write_text(HTML)
    (tmp_path / "noext").write_bytes(gzip.compress(STORY.encode()))
    res = run(tmp_path)
    assert res.of("notes.log")[0].fmt == "txt"
    assert res.of("dump.dat")[0].text == "From JSON Lines."
    assert res.of("page.xhtml")[0].fmt == "html"
    assert (res.of("noext")[0].fmt, res.of("noext")[0].text) == ("txt.gz", STORY)


def test_bz2_and_xz(tmp_path: Path) -> None:
    import lzma

    (tmp_path / "a.txt.bz2").write_bytes(bz2.compress(STORY.encode()))
    (tmp_path / "b.jsonl.xz").write_bytes(lzma.compress(jsonl({"body": STORY}).encode()))
    res = run(tmp_path)
    assert [r.text for r in res.records] == [STORY, STORY]


def test_concatenated_gzip_members_are_all_read(tmp_path: Path) -> None:
    data = gzip.compress(jsonl({"body": "A."}).encode()) + gzip.compress(
        jsonl({"body": "B."}).encode()
    )
    (tmp_path / "a.jsonl.gz").write_bytes(data)
    assert [r.text for r in run(tmp_path).records] == ["A.", "B."]


def test_excluded_files_are_not_inputs(tmp_path: Path) -> None:
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.txt").write_text(STORY)
    (tmp_path / ".part.txt").write_text(STORY)
    (tmp_path / "a.txt~").write_text(STORY)
    (tmp_path / "a.txt").write_text(STORY)
    assert [o.path for o in run(tmp_path).outcomes] == ["a.txt"]


def test_missing_raw_folder_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="RAW folder not found"):
        list(ingest(tmp_path / "nope", IngestConfig()))


def test_ingest_is_lazy(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(jsonl({"body": "A."}))
    stream = ingest(tmp_path, IngestConfig())
    (tmp_path / "b.txt").write_text(STORY)  # listed only when iteration starts
    assert [type(x).__name__ for x in stream] == [
        "RawRecord",
        "FileOutcome",
        "RawRecord",
        "FileOutcome",
    ]


_ = os
_ = ingest_mod
