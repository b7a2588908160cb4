"""rustc JSON diagnostics parsed from real cargo output; UTF-16 positions; macro invocation sites."""

from ferrofix.cargo import locate_workspace, run_check
from ferrofix.diagnostics import (MACHINE_APPLICABLE, MAYBE_INCORRECT, Diagnostic, Position,
                                  byte_to_position, position_to_byte, span_range, utf16_len)


def test_parses_real_e0382_with_exact_span(crate):
    root = crate("moved_value")
    res = run_check(root)
    assert not res.success
    [err] = res.errors  # the bin target is reported once (deduplicated)
    assert err.code == "E0382"
    assert err.message == "borrow of moved value: `greeting`"
    span = err.primary_span
    assert span.file_name == "src/main.rs"
    data = (root / "src/main.rs").read_bytes()
    assert data[span.byte_start:span.byte_end] == b"greeting"
    assert (span.line_start, span.column_start) == (5, 23)
    labels = {s.label for s in err.spans}
    assert "value moved here" in labels
    assert err.rendered.startswith("error[E0382]")
    # the help child carries a MachineApplicable `.clone()` suggestion
    sugg = [s for c in err.suggestion_children() for s in c.spans]
    assert any(s.suggested_replacement == ".clone()" and s.suggestion_applicability == MACHINE_APPLICABLE
               for s in sugg)


def test_maybe_incorrect_suggestion_and_children(crate):
    res = run_check(crate("typo"))
    [err] = res.errors
    assert err.code == "E0425"
    [child] = list(err.suggestion_children())
    assert child.level == "help"
    assert child.spans[0].suggested_replacement == "counter"
    assert child.spans[0].suggestion_applicability == MAYBE_INCORRECT


def test_workspace_root_and_member_paths(crate):
    root = crate("workspace")
    ws = locate_workspace(root / "crates" / "app" / "src" / "main.rs")
    assert ws.root == root.resolve() or ws.root == root
    assert {p.name for p in ws.packages} == {"ws_core", "ws_app"}
    res = run_check(ws.root)
    [err] = res.errors
    assert err.code == "E0384"
    assert err.primary_span.file_name == "crates/app/src/main.rs"
    assert (ws.root / err.primary_span.file_name).is_file()


def test_clean_crate_has_no_errors(crate):
    res = run_check(crate("clean"))
    assert res.success and res.errors == []


def test_utf16_positions_count_surrogate_pairs():
    data = "let s = \"🦀é\"; x\n  y".encode("utf-8")
    x = data.index(b"x")
    assert byte_to_position(data, x) == Position(0, 15)  # 🦀 counts 2 UTF-16 units, é 1
    assert utf16_len("🦀é") == 3
    y = data.index(b"y")
    assert byte_to_position(data, y) == Position(1, 2)
    assert position_to_byte(data, Position(0, 15)) == x
    assert position_to_byte(data, Position(1, 2)) == y


def test_span_range_on_real_multibyte_file(crate):
    root = crate("moved_value")
    err = run_check(root).errors[0]
    data = (root / "src/main.rs").read_bytes()
    r = span_range(err.primary_span, data)
    line = data.decode().splitlines()[r.start.line]
    assert line.encode("utf-16-le")[2 * r.start.character: 2 * r.end.character].decode("utf-16-le") == "greeting"


def test_crlf_positions():
    data = b"fn main() {\r\n    let x = 1;\r\n}\r\n"
    off = data.index(b"x")
    assert byte_to_position(data, off) == Position(1, 8)


def _span(file, start, end, expansion=None):
    return {"file_name": file, "byte_start": start, "byte_end": end, "line_start": 1, "line_end": 1,
            "column_start": 1, "column_end": 2, "is_primary": True, "text": [], "expansion": expansion}


def test_span_in_std_macro_maps_to_invocation_site(tmp_path):
    invocation = _span("src/main.rs", 40, 60)
    inner = _span("/rustc/abc/library/core/src/macros/mod.rs", 100, 120,
                  {"span": invocation, "macro_decl_name": "assert_eq!", "def_site_span": None})
    d = Diagnostic.from_json({"message": "mismatched types", "level": "error", "code": {"code": "E0308"},
                              "spans": [inner], "children": []})
    site = d.primary_span.invocation_site(tmp_path)
    assert site.file_name == "src/main.rs" and site.byte_start == 40
    assert d.primary_span.expansion.macro_decl_name == "assert_eq!"


def test_local_macro_span_stays_in_workspace(crate):
    root = crate("macro_span")
    [err] = run_check(root).errors
    span = err.primary_span
    assert span.expansion is not None and span.expansion.macro_decl_name == "show!"
    assert span.invocation_site(root) == span  # defined in the crate: the error is in the macro body
