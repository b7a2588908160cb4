"""Suggestion edits: byte-exact application (multibyte, CRLF), overlaps, real rustc suggestions."""

import pytest

from ferrofix.cargo import run_check
from ferrofix.diagnostics import MACHINE_APPLICABLE
from ferrofix.edits import (Fix, OverlappingEditsError, TextEdit, apply_edits, apply_to_files, is_deletion_only,
                            is_stub, non_overlapping, suggestion_fixes, unified_diff)


def test_apply_edits_multibyte_byte_exact():
    text = "let s = \"héllo 🦀\"; s.len()".encode()
    start = text.index(b"s.len")
    out = apply_edits(text, [TextEdit("f.rs", start, start + 1, "t̃")])
    assert out == "let s = \"héllo 🦀\"; t̃.len()".encode()


def test_apply_edits_keeps_crlf():
    data = b"fn main() {\r\n    let x = 1;\r\n    x = 2;\r\n}\r\n"
    at = data.index(b"x = 1")
    out = apply_edits(data, [TextEdit("f.rs", at, at, "mut ")])
    assert out == b"fn main() {\r\n    let mut x = 1;\r\n    x = 2;\r\n}\r\n"


def test_edits_applied_back_to_front_regardless_of_order():
    data = b"abcdef"
    out = apply_edits(data, [TextEdit("f", 0, 1, "X"), TextEdit("f", 4, 6, "YZW")])
    assert out == b"XbcdYZW"
    out2 = apply_edits(data, [TextEdit("f", 4, 6, "YZW"), TextEdit("f", 0, 1, "X")])
    assert out2 == out


def test_overlapping_edits_raise_naming_both():
    with pytest.raises(OverlappingEditsError, match="1..4.*2..5"):
        apply_edits(b"abcdef", [TextEdit("f", 1, 4, "x"), TextEdit("f", 2, 5, "y")])


def test_non_overlapping_keeps_first():
    a = Fix("a", (TextEdit("f", 1, 4, "x"),), MACHINE_APPLICABLE)
    b = Fix("b", (TextEdit("f", 2, 5, "y"),), MACHINE_APPLICABLE)
    c = Fix("c", (TextEdit("g", 2, 5, "y"),), MACHINE_APPLICABLE)
    assert non_overlapping([a, b, c]) == [a, c]


def test_real_suggestion_fixes_the_error(crate):
    root = crate("moved_value")
    err = run_check(root).errors[0]
    fixes = suggestion_fixes(err, root)
    assert fixes and fixes[0].applicability == MACHINE_APPLICABLE
    rel = "src/main.rs"
    new = apply_to_files({rel: (root / rel).read_bytes()}, fixes[0].edits)[rel]
    (root / rel).write_bytes(new)
    assert "🦀" in new.decode()  # multibyte text before the edit survives byte-exactly
    assert run_check(root).errors == []


def test_crlf_file_real_suggestion(crate):
    root = crate("typo")
    p = root / "src/lib.rs"
    p.write_bytes(p.read_bytes().replace(b"\n", b"\r\n"))
    err = run_check(root).errors[0]
    [fix] = suggestion_fixes(err, root)
    new = apply_to_files({"src/lib.rs": p.read_bytes()}, fix.edits)["src/lib.rs"]
    assert new.count(b"\r\n") == p.read_bytes().count(b"\r\n")
    assert b"    counter\r\n}" in new
    p.write_bytes(new)
    assert run_check(root).errors == []


def test_alternatives_of_a_multipart_suggestion_are_separate_fixes(tmp_path):
    # rustc's JSON lists "try wrapping the expression in a variant of `Either`" as one run of four
    # spans: `Either::Left(` `)` `Either::Right(` `)`; each alternative is one fix of two edits
    (tmp_path / "src").mkdir()
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "alts"\nversion = "0.1.0"\nedition = "2021"\n')
    src = ("pub enum Either<T> {\n    Left(T),\n    Right(T),\n}\n\npub fn take<T>(_e: Either<T>) {}\n\n"
           "pub fn run(n: usize) {\n    take(n);\n}\n")
    (tmp_path / "src/lib.rs").write_text(src)
    err = run_check(tmp_path).errors[0]
    fixes = [f for f in suggestion_fixes(err, tmp_path) if "variant of" in f.title]
    assert [[e.new_text for e in f.edits] for f in fixes] == [["Either::Left(", ")"], ["Either::Right(", ")"]]
    new = apply_to_files({"src/lib.rs": src.encode()}, fixes[1].edits)["src/lib.rs"]
    assert b"take(Either::Right(n));" in new
    (tmp_path / "src/lib.rs").write_bytes(new)
    assert run_check(tmp_path).errors == []


def test_stubs_detected():
    assert is_stub("match x { _ => todo!() }")
    assert is_stub("foo(/* value */)")
    assert is_stub('x.expect("REASON")')
    assert not is_stub("x.clone()")


def test_deletion_only():
    assert is_deletion_only("let x = a + b;", "let x = a;")
    assert not is_deletion_only("let x = a;", "let x = a.clone();")
    assert not is_deletion_only("f(a)", "g(a)")


def test_unified_diff_crlf_and_paths():
    d = unified_diff({"src/a.rs": b"a\r\nb\r\n"}, {"src/a.rs": b"a\r\nc\r\n"})
    assert d.startswith("--- a/src/a.rs\n+++ b/src/a.rs\n")
    assert "-b\r\n+c\r\n" in d


def test_comments_are_not_code_for_deletion_checks():
    from ferrofix.edits import is_deletion_only, tokens
    assert tokens('let u = "http://x"; // note\n/* block */ y') == tokens('let u = "http://x"; y')
    # removing `async` while rewording the comment only deletes code
    assert is_deletion_only("async fn main() { // error!\n", "fn main() { // ok!\n")
    assert not is_deletion_only("fn f() {} // a\n", "fn f() {} // a longer comment\n")
