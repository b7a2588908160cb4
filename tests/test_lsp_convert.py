"""Core → LSP conversions and the server's settings merge: plain unit tests, no server process."""

from __future__ import annotations

from lsprotocol import types

from ferrofix.diagnostics import Diagnostic, Span
from ferrofix.edits import Fix, TextEdit
from ferrofix.settings import Settings, from_dict
from ferrofix_lsp import convert


def span(file: str, start: int, end: int, line: int, *, primary=True, label=None, replacement=None) -> Span:
    return Span(file_name=file, byte_start=start, byte_end=end, line_start=line, line_end=line, column_start=1,
                column_end=1, is_primary=primary, label=label, suggested_replacement=replacement)


def test_diagnostic_conversion(tmp_path):
    src = "fn main() {\n    let s = \"é🦀\"; let t = s; s;\n}\n"
    (tmp_path / "src").mkdir()
    (tmp_path / "src/main.rs").write_text(src)
    data = src.encode()
    at = data.index(b"s;\n}")
    moved = data.index(b"s; s")
    d = Diagnostic("use of moved value: `s`", "error", "E0382",
                   spans=(span("src/main.rs", at, at + 1, 2, label="value used here after move"),
                          span("src/main.rs", moved, moved + 1, 2, primary=False, label="value moved here")),
                   children=(Diagnostic("consider cloning", "help",
                                        spans=(span("src/main.rs", moved + 1, moved + 1, 2, replacement=".clone()"),)),))
    path, lsp = convert.to_lsp(d, tmp_path, lambda p: p.read_bytes(), data={"id": "1"})
    assert path == tmp_path / "src/main.rs"
    # "é" is 1 UTF-16 unit, "🦀" is 2
    line = src.splitlines()[1]
    col = len(line[: line.rindex("s;")].encode("utf-16-le")) // 2
    assert lsp.range == types.Range(types.Position(1, col), types.Position(1, col + 1))
    assert lsp.message.splitlines() == ["use of moved value: `s`", "value used here after move",
                                        "help: consider cloning: `.clone()`"]
    assert [r.message for r in lsp.related_information] == ["value moved here"]
    assert lsp.code_description.href.endswith("/E0382.html") and lsp.data == {"id": "1"}


def test_crate_level_diagnostic_goes_to_the_manifest(tmp_path):
    d = Diagnostic("`main` function not found in crate `x`", "error", "E0601",
                   manifest_path=str(tmp_path / "Cargo.toml"))
    path, lsp = convert.to_lsp(d, tmp_path, lambda p: b"")
    assert path == tmp_path / "Cargo.toml" and lsp.range.start == types.Position(0, 0)


def test_tags_and_links():
    assert convert.tags("unused_variables") == [types.DiagnosticTag.Unnecessary]
    assert convert.tags("dead_code") == [types.DiagnosticTag.Unnecessary]
    assert convert.tags("deprecated") == [types.DiagnosticTag.Deprecated]
    assert convert.tags("E0382") is None
    assert convert.code_description("clippy::needless_return").href.endswith("#needless_return")
    assert convert.code_description("non_snake_case") is None


def test_quick_fix_and_workspace_edit(tmp_path):
    (tmp_path / "a.rs").write_text("let x = y;\n")
    fix = Fix("consider cloning", (TextEdit("a.rs", 9, 9, ".clone()"),), "MachineApplicable")
    diag = types.Diagnostic(types.Range(types.Position(0, 0), types.Position(0, 1)), "m")
    a = convert.quick_fix(fix, diag, tmp_path, lambda p: p.read_bytes())
    assert a.title == "Consider cloning: `.clone()`" and a.is_preferred
    (edit,) = a.edit.changes[(tmp_path / "a.rs").as_uri()]
    assert edit.range.start == types.Position(0, 9) and edit.new_text == ".clone()"
    we = convert.workspace_edit(tmp_path, {"a.rs": b"let x = y.clone();\n"}, {"a.rs": b"let x = y;\n"})
    (e,) = we.changes[(tmp_path / "a.rs").as_uri()]
    assert e.range == types.Range(types.Position(0, 0), types.Position(1, 0)) and e.new_text == "let x = y.clone();\n"


def test_settings_layering_and_lenient_values():
    base = from_dict({"check": {"command": ["clippy"]}, "llm": {"model": "a"}})
    s = from_dict({"check": {"onSave": False, "debounceMs": 5}, "llm": {"nCtx": "big"}, "nope": {"x": 1}}, base=base)
    assert s.check.command == ["clippy"] and s.check.on_save is False and s.check.debounce_ms == 5
    assert s.llm.model == "a" and s.llm.n_ctx == Settings().llm.n_ctx
    assert s.warnings == ["llm.n_ctx: invalid value 'big', using 8192"]
    assert base.check.on_save is True  # the base is not modified
