"""Property and fuzz tests of the knowledge base's JSONL exchange (docs/kb-format.md).

- export → import into a fresh knowledge base gives back identical records, for any Unicode text;
- `parse_jsonl_line` on any text or JSON value returns a valid Record or raises RecordError, nothing else;
- `KnowledgeBase.import_jsonl` on any file returns its counts or raises KBError (KBImportError for
  invalid lines), nothing else, and accounts for every non-blank line.

Each test has a bounded budget (`BUDGET`); the file runs in well under a minute.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ferrofix.kb import KnowledgeBase
from ferrofix.kb.records import (MAX_COUNT, SOURCES_FIXED, STATUSES, Record, RecordError, dump_jsonl_line,
                                 parse_jsonl_line)
from ferrofix.kb.store import KBError, KBImportError

BUDGET = settings(max_examples=200, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

#: The characters `str.splitlines` ends a line at, drawn often so that every example may hold some.
SPLITLINES = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
#: Any Unicode scalar value (no lone surrogates: those are not text, see `any_str`), line breaks often.
text = st.text(st.one_of(st.sampled_from(SPLITLINES), st.characters(exclude_categories=["Cs"])), max_size=40)
#: Any Python str, lone surrogates included (json.loads makes them from "\ud800").
any_str = st.text(st.characters(exclude_categories=()), max_size=40)
timestamps = st.floats(min_value=0.0, max_value=4e9, allow_nan=False, allow_infinity=False)
counts = st.integers(0, MAX_COUNT)


@st.composite
def records(draw) -> Record:
    """A valid record with arbitrary text in every free-text field."""
    rec = Record(code=draw(st.one_of(st.just(""), st.from_regex(r"E[0-9]{4}", fullmatch=True))),
                 message=draw(text), before=draw(text), after=draw(text), explanation=draw(text),
                 tags=draw(st.lists(text, max_size=4)),
                 source=draw(st.one_of(st.sampled_from(SOURCES_FIXED), text.map(lambda s: "community:" + s))),
                 status=draw(st.sampled_from(STATUSES)), retrieved=draw(counts), offered=draw(counts),
                 accepted=draw(counts), created=draw(timestamps), updated=draw(timestamps))
    assume(rec.message or rec.before)
    return rec.validate()


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=2**62),
                         st.floats(), any_str)
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(any_str, inner, max_size=4)), max_leaves=12)


def records_of(kb: KnowledgeBase) -> list[dict]:
    return [r.to_json() for r in kb.store.iter_all()]


@BUDGET
@given(st.lists(records(), min_size=1, max_size=4))
def test_export_import_round_trip_any_text(recs):
    """export → import into a fresh KB gives the same records and the same bytes; every exported line is
    one line to `str.splitlines` too. A file written by a tool that leaves U+2028 & co. raw, with CRLF line
    ends, imports to the same records."""
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        src = KnowledgeBase(d / "src", use_embeddings=False)
        src.store.import_records(list(enumerate(recs, 1)))
        exported = d / "a.jsonl"
        n = src.export_jsonl(exported)
        assert len(exported.read_text(encoding="utf-8").splitlines()) == n == src.store.count()
        raw = d / "raw.jsonl"
        raw.write_bytes(b"".join(json.dumps(r.to_json(), ensure_ascii=False).encode("utf-8") + b"\r\n"
                                 for r in src.store.iter_all()))
        for name, f in (("dst", exported), ("raw", raw)):
            dst = KnowledgeBase(d / name, use_embeddings=False)
            assert dst.import_jsonl(f) == (n, 0, [])
            assert records_of(dst) == records_of(src)
            again = d / f"{name}.jsonl"
            dst.export_jsonl(again)
            assert again.read_bytes() == exported.read_bytes()
            dst.close()
        src.close()


def _parses_or_record_error(line: str) -> Record | None:
    """parse_jsonl_line(line): a Record that validates, or None when it raised RecordError whose message
    is one printable line. Any other exception fails the test."""
    try:
        rec = parse_jsonl_line(line)
    except RecordError as e:
        msg = str(e)
        assert msg and "\n" not in msg and len(msg) < 300, msg
        msg.encode("utf-8")
        return None
    rec.validate()
    assert dump_jsonl_line(rec).count("\n") == 0
    return rec


@BUDGET
@given(any_str)
def test_parse_any_text(line):
    _parses_or_record_error(line)


@BUDGET
@given(st.binary(max_size=200))
def test_parse_any_bytes_decoded_leniently(data):
    _parses_or_record_error(data.decode("utf-8", errors="surrogateescape"))


@BUDGET
@given(json_values)
def test_parse_any_json_value(value):
    _parses_or_record_error(json.dumps(value))


@BUDGET
@given(records(), st.sampled_from(sorted(Record(message="x").to_json())), json_values)
def test_parse_record_with_one_field_replaced(rec, field, value):
    """A valid line with one field set to any JSON value (NaN, ±Infinity, huge ints, lone surrogates,
    nesting, wrong types): a valid Record, or RecordError naming that field (or the content hash)."""
    d = rec.to_json()
    d[field] = value
    got = _parses_or_record_error(json.dumps(d))
    if got is not None:
        for k in ("retrieved", "offered", "accepted"):
            assert 0 <= getattr(got, k) <= MAX_COUNT
        assert math.isfinite(got.created) and math.isfinite(got.updated)


@BUDGET
@given(st.lists(st.one_of(records().map(dump_jsonl_line), json_values.map(json.dumps), any_str,
                          st.sampled_from(["", " ", "\r", "[" * 5000, '{"message": "x", "created": NaN}'])),
                max_size=6),
       st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_import_any_file(lines, newline, skip_invalid):
    """import_jsonl returns (inserted, merged, skipped) or raises KBError; with --skip-invalid every
    non-blank line is either imported, merged or reported; without it, an invalid line means nothing
    was imported."""
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "in.jsonl"
        f.write_bytes(newline.join(lines).encode("utf-8", errors="surrogatepass"))
        kb = KnowledgeBase(Path(tmp) / "kb", use_embeddings=False)
        try:
            ins, dup, errors = kb.import_jsonl(f, skip_invalid=skip_invalid)
        except KBImportError as e:
            assert not skip_invalid and e.errors and kb.store.count() == 0
        except KBError as e:  # the file is not UTF-8 (a lone surrogate was written)
            assert "not UTF-8" in str(e) and kb.store.count() == 0
        else:
            physical = f.read_bytes().decode("utf-8").split("\n")
            nonblank = [ln for ln in physical if ln.strip(" \t\r")]
            assert ins + dup + len(errors) == len(nonblank) and kb.store.count() == ins
            assert all(1 <= n <= len(physical) for n, _ in errors)
            assert not errors or skip_invalid
        finally:
            kb.close()
