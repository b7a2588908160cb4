"""Property tests (hypothesis) of the parsers that read what others write: rustc's JSON diagnostics, GGUF
headers, the settings file and LSP-style settings objects. Each either returns its value or raises the
project's documented error (a FerrofixError subclass), never anything else. Budgets are bounded so the
file runs in well under a minute (`FUZZ` settings)."""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ferrofix.diagnostics import Diagnostic, DiagnosticFormatError
from ferrofix.errors import ModelError, SettingsError
from ferrofix.models import read_info
from ferrofix.settings import Settings, from_dict, load

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SHARED_GGUF = Path(__file__).resolve().parents[2] / "shared" / "models" / "all-minilm-l6-v2-q8_0.gguf"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=25)

SPAN = {"file_name": "src/main.rs", "byte_start": 0, "byte_end": 1, "line_start": 1, "line_end": 1,
        "column_start": 1, "column_end": 2, "is_primary": True, "label": None, "text": [],
        "suggested_replacement": None, "suggestion_applicability": None, "expansion": None}
MESSAGE = {"message": "mismatched types", "level": "error", "code": {"code": "E0308", "explanation": None},
           "spans": [SPAN], "children": [], "rendered": "error[E0308]: mismatched types\n"}


def _mutate(obj, path, value):
    """A copy of `obj` with the field at `path` (keys/indices) set to `value`."""
    obj = json.loads(json.dumps(obj))
    cur = obj
    for k in path[:-1]:
        cur = cur[k]
    cur[path[-1]] = value
    return obj


FIELDS = [("message",), ("level",), ("code",), ("code", "code"), ("spans",), ("children",), ("rendered",),
          ("spans", 0), *[("spans", 0, k) for k in SPAN]]


@FUZZ
@given(st.sampled_from(FIELDS), json_values)
def test_rustc_diagnostic_with_any_field_any_value_parses_or_raises_the_format_error(path, value):
    try:
        d = Diagnostic.from_json(_mutate(MESSAGE, path, value))
    except DiagnosticFormatError:
        return
    assert isinstance(d.message, str) and isinstance(d.level, str)
    assert d.code is None or isinstance(d.code, str)
    for s in d.spans:
        assert isinstance(s.file_name, str) and all(isinstance(v, int) for v in (s.byte_start, s.line_start))


@FUZZ
@given(json_values)
def test_rustc_diagnostic_from_any_json_value(value):
    try:
        Diagnostic.from_json(value)
    except DiagnosticFormatError:
        pass


def test_deeply_nested_diagnostic_children_are_a_format_error():
    d = dict(MESSAGE)
    for _ in range(5000):
        d = {**MESSAGE, "children": [d]}
    with pytest.raises(DiagnosticFormatError):
        Diagnostic.from_json(d)


@functools.cache
def gguf_head() -> bytes:
    """The first 256 KiB of a real GGUF (header, metadata and tensor table live there)."""
    if not SHARED_GGUF.is_file():
        pytest.fail(f"{SHARED_GGUF} missing: ../shared must sit beside the project")
    with open(SHARED_GGUF, "rb") as f:
        return f.read(256 * 1024)


@FUZZ
@given(data=st.data())
def test_a_corrupted_gguf_header_reads_or_raises_model_error(tmp_path, data):
    """Truncations and overwritten runs of bytes of a real GGUF header."""
    head = gguf_head()
    blob = bytearray(head[:data.draw(st.integers(5, len(head)), label="length")])
    for _ in range(data.draw(st.integers(0, 8), label="edits")):
        at = data.draw(st.integers(4, len(blob) - 1), label="at")
        run = data.draw(st.binary(min_size=1, max_size=16), label="bytes")
        blob[at:at + len(run)] = run
    path = tmp_path / "model.gguf"
    path.write_bytes(bytes(blob))
    try:
        info = read_info(path, with_sha256=False)
    except ModelError:
        return
    assert info.size == len(blob) and info.parameters >= 0 and info.context_length >= 0


@FUZZ
@given(st.binary(max_size=512))
def test_arbitrary_bytes_are_no_gguf(tmp_path, blob):
    path = tmp_path / "x.gguf"
    path.write_bytes(blob)
    with pytest.raises(ModelError):
        read_info(path, with_sha256=False)


@FUZZ
@given(json_values)
def test_settings_from_any_object_are_settings_with_warnings(value):
    s = from_dict(value)
    assert isinstance(s, Settings)
    for v in (s.check.timeout_s, s.repair.timeout_s):
        assert math.isfinite(v) and v >= 0
    assert isinstance(s.check.command, list) and all(isinstance(c, str) for c in s.check.command)


settings_tables = st.dictionaries(
    st.sampled_from(["check", "llm", "repair", "kb", "nonsense"]),
    st.dictionaries(st.sampled_from(["timeout_s", "timeoutS", "command", "max_rounds", "n_ctx", "model", "dir",
                                     "examples", "on_save", "debounce_ms", "x"]), json_values, max_size=4),
    max_size=4)


@FUZZ
@given(settings_tables)
def test_settings_tables_with_any_values_are_settings_with_warnings(tables):
    s = from_dict(tables)
    assert math.isfinite(s.check.timeout_s) and s.check.timeout_s >= 0
    assert isinstance(s.repair.max_rounds, int) and s.repair.max_rounds >= 0


@FUZZ
@given(st.text(max_size=300) | st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
def test_any_settings_file_loads_or_raises_settings_error(tmp_path, text):
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    try:
        assert isinstance(load(path), Settings)
    except SettingsError:
        pass


def test_a_settings_path_that_is_a_directory_is_a_settings_error(tmp_path):
    with pytest.raises(SettingsError):
        load(tmp_path)
