"""The compile-and-fix loop with rustc suggestions and a scripted engine (deterministic)."""

import pytest

from ferrofix.cargo import run_check
from ferrofix.errors import ModelAnswerError
from ferrofix.llm import ScriptedEngine
from ferrofix.modelfix import Example
from ferrofix.repair import RepairOptions, repair
from .conftest import tree_bytes

MATCH_ARM_FIX = """<<<<<<< SEARCH
        Shape::Square(s) => s * s,
=======
        Shape::Square(s) => s * s,
        Shape::Triangle(b, h) => 0.5 * b * h,
>>>>>>> REPLACE"""
#: a model answer that adds a placeholder arm instead of the missing one (rejected)
PLACEHOLDER_ARM = ("<<<<<<< SEARCH\n        Shape::Square(s) => s * s,\n=======\n        Shape::Square(s) => s * s,\n"
                   "        _ => todo!(),\n>>>>>>> REPLACE")


def test_rustc_suggestion_fixes_without_model(crate):
    root = crate("moved_value")
    before = tree_bytes(root)
    res = repair(root, RepairOptions(use_llm=False))
    assert res.fixed
    assert tree_bytes(root) == before  # verification happened in the scratch mirror
    assert "greeting.clone()" in res.files["src/main.rs"].decode()
    assert res.trace[0].stage == "rustc-suggestion" and res.trace[0].outcome == "accepted"
    assert "+    let moved = greeting.clone();" in res.diff


def test_maybe_incorrect_suggestion_verified(crate):
    res = repair(crate("typo"), RepairOptions(use_llm=False))
    assert res.fixed
    assert "MaybeIncorrect" in res.trace[0].candidate


def test_scripted_model_adds_match_arm(crate):
    root = crate("match_arm")
    eng = ScriptedEngine([MATCH_ARM_FIX])
    res = repair(root, RepairOptions(), engine=eng)
    assert res.fixed, res.trace
    assert "Shape::Triangle(b, h) => 0.5 * b * h," in res.files["src/lib.rs"].decode()
    # the rustc suggestion (a `todo!()` arm) was never applied
    assert "todo!" not in res.files["src/lib.rs"].decode()
    assert any(a.stage.startswith("model") and a.outcome == "accepted" for a in res.trace)
    prompt = eng.requests[0][-1]["content"]
    assert "error[E0004]" in prompt and "pub fn area" in prompt and "|" not in prompt.split("```")[1].split("\n")[0]
    # the result really compiles
    (root / "src/lib.rs").write_bytes(res.files["src/lib.rs"])
    assert run_check(root).errors == []


def test_bad_candidates_rejected_and_good_one_accepted(crate):
    root = crate("match_arm")
    deleting = "```rust\npub fn area(shape: Shape) -> f64 {\n    0.0\n}\n```"
    not_compiling = "<<<<<<< SEARCH\n        Shape::Square(s) => s * s,\n=======\n        Shape::Square(s) => s * s,\n        Shape::Triangle(b) => b,\n>>>>>>> REPLACE"
    eng = ScriptedEngine([PLACEHOLDER_ARM, deleting, not_compiling, "no answer", MATCH_ARM_FIX])
    # greedy search/replace, greedy item rewrite, then the samples: 3 search/replace (one `chat_n`
    # batch), then 2 item rewrites; the fifth answer is the third sampled search/replace. The sixth
    # request is the compiler-feedback round for `not_compiling`, asked after the batch.
    res = repair(root, RepairOptions(samples=5), engine=eng)
    assert res.fixed
    kinds = [len(r) > 2 for r in eng.requests]  # a search/replace prompt carries a worked example
    assert kinds == [True, False, True, True, True, True]
    reasons = [a.reason for a in res.trace if a.outcome == "rejected"]
    assert "adds a stub or placeholder" in reasons
    assert "only deletes code" in reasons
    assert any(r.startswith(("the error remains", "adds")) for r in reasons)


def test_fixed_only_when_check_passes(crate):
    root = crate("match_arm")
    wrong = ("<<<<<<< SEARCH\n        Shape::Square(s) => s * s,\n=======\n        Shape::Square(s) => s * s,\n"
             "        Shape::Triangle(b) => b,\n>>>>>>> REPLACE")
    res = repair(root, RepairOptions(samples=0), engine=ScriptedEngine([wrong]))
    assert not res.fixed and res.files == {} and res.diff == ""
    assert [d.code for d in res.remaining_errors] == ["E0004"]


def test_model_that_keeps_answering_garbage_raises(crate):
    with pytest.raises(ModelAnswerError, match="nothing that parses"):
        repair(crate("match_arm"), RepairOptions(samples=4, max_rounds=3), engine=ScriptedEngine(["{not json"]))


def test_fixes_verified_before_the_model_answers_garbage_are_kept(crate):
    root = crate("clean")
    (root / "src/lib.rs").write_text(
        "pub fn next(count: u32) -> u32 {\n    cont + 1\n}\n\n"
        "pub fn name(x: Option<u8>) -> u8 {\n    match x {\n        Some(v) => v,\n    }\n}\n")
    res = repair(root, RepairOptions(samples=4, max_rounds=3), engine=ScriptedEngine(["{not json"]))
    assert "count + 1" in res.files["src/lib.rs"].decode(), res.trace
    assert [d.code for d in res.remaining_errors] == ["E0004"]
    assert "nothing that parses" in res.trace[-1].reason


def test_a_privacy_error_may_be_fixed_by_making_the_item_public(crate):
    """E0624 "method `area` is private": `pub fn` in the definition the error points at is the fix."""
    root = crate("clean")
    (root / "src/lib.rs").write_text(
        "mod shapes {\n    pub struct Square(pub f64);\n\n    impl Square {\n        fn area(&self) -> f64 {\n"
        "            self.0 * self.0\n        }\n    }\n}\n\npub fn total(s: &shapes::Square) -> f64 {\n    s.area()\n}\n")
    eng = ScriptedEngine(["<<<<<<< SEARCH\n        fn area(&self) -> f64 {\n=======\n"
                          "        pub fn area(&self) -> f64 {\n>>>>>>> REPLACE"])
    res = repair(root, RepairOptions(samples=0), engine=eng)
    assert res.fixed, res.trace
    assert "pub fn area(&self)" in res.files["src/lib.rs"].decode()


def test_visibility_change_rejected(crate):
    root = crate("match_arm")
    rewrite = ("```rust\nfn area(shape: Shape) -> f64 {\n    match shape {\n        Shape::Circle(r) => 3.14159 * r * r,\n"
               "        Shape::Square(s) => s * s,\n        Shape::Triangle(b, h) => 0.5 * b * h,\n    }\n}\n```")
    eng = ScriptedEngine(["no blocks here", rewrite, "nothing"])
    res = repair(root, RepairOptions(samples=0, max_rounds=1), engine=eng)
    assert not res.fixed
    assert any(a.reason == "changes visibility" for a in res.trace)


def test_workspace_member_fixed(crate):
    res = repair(crate("workspace"), RepairOptions(use_llm=False))
    assert res.fixed
    assert "let mut n = 21;" in res.files["crates/app/src/main.rs"].decode()


def test_clean_crate_is_fixed_trivially(crate):
    res = repair(crate("clean"), RepairOptions(use_llm=False))
    assert res.fixed and res.initial_errors == [] and res.diff == ""


def test_missing_crate_is_not_sent_to_the_model(crate):
    root = crate("clean")
    (root / "src/lib.rs").write_text("use nosuchcrate::Thing;\n\npub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n")
    eng = ScriptedEngine(["<<<<<<< SEARCH\nuse nosuchcrate::Thing;\n=======\n>>>>>>> REPLACE"])
    res = repair(root, RepairOptions(), engine=eng)
    assert not res.fixed and eng.requests == []
    assert any("needs the crate `nosuchcrate`" in a.reason for a in res.trace)


def test_a_crate_is_missing_even_when_a_source_name_looks_alike(crate):
    """`rand` is no misspelling of the crate's own `fn read` (two edits in four letters): the test module
    importing it needs a dev-dependency, not a source fix; a one-letter slip of a module is the source's."""
    from ferrofix.repair import is_misspelling
    assert not is_misspelling("rand", "read")
    assert is_misspelling("serd", "serde") and is_misspelling("colections", "collections")
    root = crate("clean")
    (root / "src/lib.rs").write_text(
        "pub fn read(x: u32) -> u32 {\n    x\n}\n\n"
        "#[cfg(test)]\nmod tests {\n    use rand::Rng;\n}\n")
    eng = ScriptedEngine([])
    res = repair(root, RepairOptions(), engine=eng)
    assert eng.requests == [], res.trace
    assert any("needs the crate `rand`" in a.reason for a in res.trace), res.trace


def test_errors_from_a_missing_test_crate_are_left_alone(crate):
    """A test module needing a dev-dependency the build cannot find (`extern crate`, its macros) gets no
    model time; the real error beside it is still fixed."""
    root = crate("clean")
    (root / "src/lib.rs").write_text(
        "#[cfg(test)]\n#[macro_use]\nextern crate quickcheck;\n\n"
        "#[derive(Clone)]\npub struct H(u32);\nimpl H {\n    pub fn done(self) -> u32 { self.0 }\n}\n"
        "pub fn total(h: &H) -> u32 {\n    h.done()\n}\n\n"
        "#[cfg(test)]\nmod tests {\n    quickcheck! {\n        fn prop(x: u32) -> bool { x == x }\n    }\n}\n")
    eng = ScriptedEngine([])
    res = repair(root, RepairOptions(), engine=eng)
    assert eng.requests == [], res.trace
    reasons = [a.reason for a in res.trace if a.stage == "skipped"]
    assert any("needs the crate `quickcheck`" in r for r in reasons), res.trace
    assert any("missing crate `quickcheck`" in r for r in reasons), res.trace
    assert not any("E0507" in d.code for d in res.remaining_errors if d.code), res.remaining_errors


def test_an_error_outside_the_tests_of_a_file_importing_a_missing_test_crate_is_fixed(crate):
    """A dev-dependency imported under `#[cfg(test)]` that the build cannot find stops the unit-test
    build early (a trait of it implemented in the tests), so the library's own error is reported once,
    by the library build: it is the source's to fix and goes to the model; the test module's are not."""
    root = crate("clean")
    (root / "src/lib.rs").write_text(
        "#[cfg(test)]\nextern crate nope;\n\n"
        "pub struct Q(pub u32);\n\n"
        "pub struct P {\n    pub a: u32,\n    pub b: Q,\n}\n\n"
        "pub fn f() -> P {\n    P { a: 1 }\n}\n\n"
        "#[cfg(test)]\nmod tests {\n    use nope::Thing;\n    impl Thing for super::P {}\n}\n")
    # `Q` has no `Default`, so no rule's candidate compiles and the model gets the error
    eng = ScriptedEngine(["<<<<<<< SEARCH\n    P { a: 1 }\n=======\n    P { a: 1, b: Q(2) }\n>>>>>>> REPLACE"])
    res = repair(root, RepairOptions(), engine=eng)
    assert len(eng.requests) == 1, res.trace
    assert "b: Q(2)" in res.diff, res.trace
    assert any("needs the crate `nope`" in a.reason for a in res.trace), res.trace
    assert [d.code for d in res.remaining_errors] == ["E0463"], res.remaining_errors


def test_test_only_code_is_told_apart():
    from ferrofix.context import under_cfg_test
    src = (b"#[cfg(test)]\n#[macro_use]\nextern crate foo;\nuse bar::x;\npub fn f() { let a = 1; }\n"
           b"#[cfg(all(test, unix))]\nmod tests {\n    use super::*;\n    #[test]\n    fn t() { let b = 2; }\n}\n")
    assert under_cfg_test(src, src.index(b"extern crate foo"))
    assert not under_cfg_test(src, src.index(b"use bar"))
    assert not under_cfg_test(src, src.index(b"let a"))
    assert under_cfg_test(src, src.index(b"let b")) and under_cfg_test(src, src.index(b"use super"))
    inner = b"#![cfg(test)]\nfn h() {}\n"
    assert under_cfg_test(inner, inner.index(b"fn h"))


def test_the_imports_of_several_unresolved_names_are_chosen_together(crate):
    """A removed `use State::*;`: rustc suggests one import per use, and for `Quoted` (a variant of two
    enums) two; the imports are applied together in one step, and `Quoted` from `State`, the enum the
    other names come from."""
    root = crate("clean")
    (root / "src/lib.rs").write_text(
        "pub enum Style {\n    Quoted,\n    Plain,\n}\n\n"
        "#[derive(Clone, Copy, PartialEq)]\nenum State {\n    Start,\n    Quoted,\n    Done,\n}\n\n"
        "pub fn step(c: char) -> bool {\n    let s = match c {\n        '\"' => Quoted,\n        ' ' => Done,\n"
        "        _ => Start,\n    };\n    s == Done\n}\n")
    res = repair(root, RepairOptions(use_llm=False))
    assert res.fixed, res.trace
    accepted = [a for a in res.trace if a.outcome == "accepted"]
    assert [a.stage for a in accepted] == ["rustc-imports"], res.trace
    assert "+use crate::State::Quoted;\n+use crate::State::Done;\n" in res.diff, res.diff
    assert "Style::Quoted" not in res.diff, res.diff


def test_type_errors_revealed_by_a_resolved_name_are_fixed_next(crate):
    """Importing `HashMap` lets rustc type-check its use, which reveals "type annotations needed":
    the import is accepted as a reveal and the model fixes the revealed error in the next round."""
    root = crate("clean")
    (root / "src/lib.rs").write_text("pub fn count() -> usize {\n    let map = HashMap::new();\n    map.len()\n}\n")
    annotate = ("<<<<<<< SEARCH\n    let map = HashMap::new();\n=======\n"
                "    let map: HashMap<u32, u32> = HashMap::new();\n>>>>>>> REPLACE")
    res = repair(root, RepairOptions(samples=0), engine=ScriptedEngine([annotate] * 4))
    assert res.fixed, res.trace
    assert any(a.reason == "revealed later-stage errors" for a in res.trace)
    assert "use std::collections::HashMap;" in res.files["src/lib.rs"].decode()


def test_a_candidate_that_uncovers_errors_waits_for_a_sibling_that_compiles(crate):
    """rustc offers two traits `T` to import; the first (`a::T`) has a required method, so importing it
    resolves the name and uncovers E0046. The second compiles: it is taken, and the first is traced as
    set aside."""
    root = crate("clean")
    (root / "src/lib.rs").write_text(
        "pub mod a {\n    pub trait T {\n        fn f(&self);\n    }\n}\n\n"
        "pub mod b {\n    pub trait T {}\n}\n\npub struct Foo;\n\nimpl T for Foo {}\n")
    res = repair(root, RepairOptions(use_llm=False))
    assert res.fixed, res.trace
    assert "use crate::b::T;" in res.files["src/lib.rs"].decode(), res.diff
    assert any(a.outcome == "rejected" and "crate::a::T" in a.candidate and "without uncovering" in a.reason
               for a in res.trace), res.trace


def test_of_two_suggestions_that_remove_the_error_the_one_leaving_fewer_errors_is_taken(crate):
    """A method lost its `-> u32`: for its tail expression rustc offers "consider using a semicolon here"
    (first) and "try adding a return type"; both remove that error, only the second also fixes the
    caller that uses the value. The first is set aside and traced as such."""
    root = crate("clean")
    (root / "src/lib.rs").write_text(
        "fn seed(n: &u32) -> u32 {\n    *n + 1\n}\n\npub struct Rng(u32);\n\nimpl Rng {\n"
        "    pub fn seed(&self) {\n        seed(&self.0)\n    }\n}\n\n"
        "pub fn twice(r: &Rng) -> u32 {\n    r.seed() * 2\n}\n")
    res = repair(root, RepairOptions(use_llm=False))
    assert res.fixed, res.trace
    assert "pub fn seed(&self) -> u32 {" in res.files["src/lib.rs"].decode(), res.diff
    assert any(a.outcome == "rejected" and "semicolon" in a.candidate and "fewer errors" in a.reason
               for a in res.trace), res.trace


LOOP_FIX = """<<<<<<< SEARCH
    let found = while true {
=======
    let found = loop {
>>>>>>> REPLACE"""


def test_a_deleting_suggestion_waits_for_the_model(crate):
    """rustc's "use `break` on its own without a value" compiles but drops the value; the model's
    `loop` keeps it, so the model goes first and the deletion is only the fallback."""
    res = repair(crate("break_value"), RepairOptions(), engine=ScriptedEngine([LOOP_FIX]))
    assert res.fixed, res.trace
    assert "let found = loop {" in res.files["src/main.rs"].decode()
    assert "break i;" in res.files["src/main.rs"].decode()


def test_the_deleting_suggestion_is_the_fallback(crate):
    wrong = "<<<<<<< SEARCH\n    let nothing = here;\n=======\n    let x = 1;\n>>>>>>> REPLACE"
    res = repair(crate("break_value"), RepairOptions(samples=0, max_rounds=1), engine=ScriptedEngine([wrong]))
    accepted = [a for a in res.trace if a.outcome == "accepted"]
    assert accepted and accepted[0].stage == "rustc-suggestion" and "after the model" in accepted[0].candidate


BREAK_ALONE = "<<<<<<< SEARCH\n            break i;\n=======\n            break;\n>>>>>>> REPLACE"


def test_a_model_deletion_waits_for_the_other_errors_answers(crate):
    """Every answer (greedy search/replace and item, 4 samples) for E0571 drops `break`'s value; the
    answer for the other error (E0308 on `found`) is the `loop` that keeps it, and is taken: the
    model's deletions are tried only after every error's rounds."""
    res = repair(crate("break_value"), RepairOptions(), engine=ScriptedEngine([BREAK_ALONE] * 6 + [LOOP_FIX]))
    assert res.fixed, res.trace
    assert "let found = loop {" in res.files["src/main.rs"].decode() and "break i;" in res.files["src/main.rs"].decode()
    assert not any("deletion" in a.candidate for a in res.trace), res.trace


def test_labels_copied_from_the_prompt_are_stripped():
    from ferrofix import modelfix
    label = "can only break with a value inside `loop` or breakable block"
    blocks = [(f"    break 2 * i; // note`: {label}", f"    break; // note`: {label}")]
    assert modelfix.strip_copied_labels(blocks, [label, None]) == [("    break 2 * i; // note", "    break; // note")]


MATCH_SRC = """fn main() {
    let x = Some(1);
    match x { // a comment with a brace {
        Some(v) => println!("{v}"),
    }
}
"""


def test_a_block_header_replaced_by_the_whole_block_replaces_the_block():
    """SEARCH holds only `match x {`, REPLACE the whole match: the old arms and brace go too."""
    from ferrofix import modelfix
    blocks = [("    match x { // a comment with a brace {", "    match x {\n        Some(v) => println!(\"{v}\"),\n        None => {}\n    }")]
    out = modelfix.apply_search_replace(MATCH_SRC, blocks, 3)
    assert out == MATCH_SRC.replace("    match x { // a comment with a brace {\n", "    match x {\n").replace(
        "    }\n}", "        None => {}\n    }\n}")
    # a REPLACE that keeps the block open is applied as written
    kept = modelfix.apply_search_replace(MATCH_SRC, [("    let x = Some(1);", "    let x = Some(2);")], 2)
    assert kept == MATCH_SRC.replace("Some(1)", "Some(2)")


def test_completed_placeholder_lines_replace_the_placeholder_or_the_block_they_rewrite():
    """apply_fill: the model's completed scaffold lines go in place of the `todo!()` line, re-indented;
    an answer that rewrites the whole `match` around it (what the default model does with a long
    match) replaces that match; closing brackets past the fill that it never opened are dropped;
    placeholders on lines apart are not a fill."""
    from ferrofix import modelfix
    from ferrofix.context import enclosing_item
    src = ("pub fn area(shape: Shape) -> f64 {\n    match shape {\n        Shape::Circle(r) => 3.14 * r * r,\n"
           "        Shape::Square(_) => todo!(),\n    }\n}\n")
    item = enclosing_item(src.encode(), src.index("todo"), src.index("todo"))
    out = modelfix.apply_fill(src, item, {4}, "Shape::Square(s) => s * s,")
    assert out == src.replace("Shape::Square(_) => todo!(),", "Shape::Square(s) => s * s,")
    whole = ("match shape {  // <- error here\n    Shape::Circle(r) => 3.14 * r * r,\n"
             "    Shape::Square(s) => s * s,\n}")
    assert modelfix.apply_fill(src, item, {4}, whole) == out
    # a rewrite of the whole item is the item
    fn = "pub fn area(shape: Shape) -> f64 {\n    match shape {\n        _ => 0.0,\n    }\n}"
    assert modelfix.apply_fill(src, item, {4}, fn) == fn + "\n"
    assert modelfix.apply_fill(src, item, {4}, whole.rsplit("\n", 1)[0]) is None  # cut off
    assert modelfix.apply_fill(src, item, {2, 4}, "x") is None
    assert modelfix.apply_fill(src, item, {4}, "\n  \n") is None
    # the default model went on past the arm, closing the match and the function (crossbeam-deque E0004)
    assert modelfix.apply_fill(src, item, {4}, "        Shape::Square(s) => s * s,\n    }\n}") == out


def test_the_model_completes_only_the_placeholder_lines(crate):
    """With rustc's scaffold applied, the first question asks for the completed placeholder lines (a
    worked example of that format first), marking only them: the model's method in a code block is
    the fix."""
    from ferrofix.modelfix import FILL_MARKER, MARKER
    root = crate("clean")
    (root / "src/lib.rs").write_text(
        "pub trait Shape {\n    fn width(&self) -> f64;\n    fn area(&self) -> f64;\n}\n\n"
        "pub struct Rect {\n    w: f64,\n    h: f64,\n}\n\n"
        "impl Shape for Rect {\n    fn width(&self) -> f64 {\n        self.w\n    }\n}\n")
    eng = ScriptedEngine(["```rust\n    fn area(&self) -> f64 {\n        self.w * self.h\n    }\n```"])
    res = repair(root, RepairOptions(samples=0), engine=eng)
    assert res.fixed, res.trace
    text = res.files["src/lib.rs"].decode()
    assert "fn area(&self) -> f64 {\n        self.w * self.h\n    }\n}" in text and "todo!" not in text, text
    assert res.trace[-1].candidate.startswith("fill"), res.trace
    req = eng.requests[0]
    assert len(req) == 4 and "```rust\n    fn area" in req[2]["content"]  # the worked example
    prompt = req[-1]["content"]
    assert f"{{ todo!() }}  {FILL_MARKER}" in prompt and MARKER not in prompt, prompt


def test_the_scaffolds_placeholder_parameters_are_named_as_the_trait_or_another_impl_names_them(crate):
    """rustc's scaffold for a missing trait method names every parameter `_`; the prompt's scaffold
    names them as the workspace's trait declares them (`scale`), so the body the model writes can use
    them, or, for a trait of another crate, as the crate's other impl of it does (`f`); unnamed where
    neither is in the workspace."""
    from ferrofix.context import name_placeholder_parameters, trait_method_parameters
    root = crate("clean")
    (root / "src/lib.rs").write_text(
        "pub trait Shape {\n    fn area(&self, scale: f64) -> f64;\n}\n\n"
        "pub struct Rect {\n    w: f64,\n    h: f64,\n}\n\n"
        "impl Shape for Rect {\n}\n")
    eng = ScriptedEngine(["```rust\n    fn area(&self, scale: f64) -> f64 {\n        self.w * self.h * scale\n    }\n```"])
    res = repair(root, RepairOptions(samples=0), engine=eng)
    assert res.fixed, res.trace
    prompt = eng.requests[0][-1]["content"]
    assert "fn area(&self, scale: f64) -> f64 { todo!() }" in prompt and "_: f64" not in prompt, prompt
    files = {"src/lib.rs": b"use std::fmt;\nstruct A;\nimpl fmt::Display for A {\n"
                           b"    fn fmt(&self, out: &mut fmt::Formatter) -> fmt::Result { Ok(()) }\n}\n"
                           b"impl From<A> for u8 {\n    fn from(a: A) -> u8 { 0 }\n}\n"}
    nowhere = ("src/lib.rs", 10**6)
    assert trait_method_parameters(files, "std::fmt::Display", "fmt", nowhere, ["&mut Formatter<'_>"]) == ["out"]
    assert trait_method_parameters(files, "Debug", "fmt", nowhere, ["&mut Formatter<'_>"]) is None
    # another impl's name only for a parameter of the same type (`a: A` does not name a `B`)
    assert trait_method_parameters(files, "From<B>", "from", nowhere, ["B"]) == [None]
    # each impl's self type read as `Self` (`&B` in `B`'s impl, `&Self` or `&A` in `A`'s)
    cmp = {"src/lib.rs": b"struct A;\nimpl PartialEq for A {\n    fn eq(&self, other: &A) -> bool { true }\n}\n"}
    assert trait_method_parameters(cmp, "PartialEq", "eq", nowhere, ["&B"], "B") == ["other"]
    assert trait_method_parameters(cmp, "PartialEq", "eq", nowhere, ["&B"]) == [None]
    names = lambda m, _types: {"fmt": ["out"], "pair": ["a", None]}.get(m)  # noqa: E731
    assert name_placeholder_parameters("fn fmt(&self, _: &mut Formatter<'_>) -> R { todo!() }", names) == \
        "fn fmt(&self, out: &mut Formatter<'_>) -> R { todo!() }"
    assert name_placeholder_parameters("fn pair(_: u8, _: u8) {}", names) == "fn pair(a: u8, _: u8) {}"
    assert name_placeholder_parameters("fn other(_: u8) {}", names) == "fn other(_: u8) {}"


def test_a_search_that_drops_the_lines_comments_still_matches():
    """Models copy a line's code and leave out its trailing comment, or a comment or blank line between
    two code lines: the SEARCH is found by its code (a `//` inside a string is no comment)."""
    from ferrofix import modelfix
    src = ("fn main() {\n    let x = Foo { x: 0 }; // error: missing field: `y`\n    // then\n\n"
           "    let u = \"http://a\"; // the address\n}\n")
    out = modelfix.apply_search_replace(src, [("    let x = Foo { x: 0 };", "    let x = Foo { x: 0, y: 0 };")], 2)
    assert out == src.replace("    let x = Foo { x: 0 }; // error: missing field: `y`", "    let x = Foo { x: 0, y: 0 };")
    both = modelfix.apply_search_replace(src, [("    let x = Foo { x: 0 };\n    let u = \"http://a\";",
                                                "    let x = 1;\n    let u = 2;")], 2)
    assert both == "fn main() {\n    let x = 1;\n    let u = 2;\n}\n"
    assert modelfix.apply_search_replace(src, [("    let u = \"http:\";", "")], 2) is None
    assert modelfix.strip_line_comment("let c = '/'; // x") == "let c = '/'; "
    assert modelfix.strip_line_comment("fn f<'a>(x: &'a str) {} // y") == "fn f<'a>(x: &'a str) {} "


def test_an_item_rewrite_missing_its_last_brace_is_closed():
    from ferrofix import modelfix
    from ferrofix.context import enclosing_item
    data = MATCH_SRC.encode()
    item = enclosing_item(data, data.index(b"match"), data.index(b"match") + 5)
    answer = "fn main() {\n    let x = Some(1);\n    match x {\n        Some(v) => println!(\"{v}\"),\n        None => {}\n    }\n"
    out = modelfix.apply_item_rewrite(MATCH_SRC, item, data, answer)
    assert out.rstrip("\n").endswith("    }\n}") and modelfix.brace_balance(out) == 0


PARSER_SRC = ("trait Parser<T> {\n    fn parse(text: &str) -> Option<T>;\n}\n\n"
              "impl<bool> Parser<bool> for bool {\n    fn parse(text: &str) -> Option<bool> {\n        Some(true)\n    }\n}\n\n"
              "pub fn ok() -> bool {\n    bool::parse(\"ok\").unwrap_or(false)\n}\n")
PARSER_IMPL = "impl Parser<bool> for bool {\n    fn parse(text: &str) -> Option<bool> {\n        Some(true)\n    }\n}"


def test_a_rewrite_of_the_enclosing_item_replaces_that_item():
    """Asked to rewrite the method `parse`, the model answers with its whole `impl` block (the fix,
    dropping the `impl<bool>` parameter that shadows `bool`, is in the header): the answer replaces
    the `impl`, not the method (which would nest an `impl` in an `impl`). An answer of the asked
    kind replaces the asked item."""
    from ferrofix import modelfix
    from ferrofix.context import enclosing_item, first_item_kind
    data = PARSER_SRC.encode()
    at = data.index(b"Some(true)")
    item = enclosing_item(data, at, at + 4)
    assert item.kind == "function_item"
    out = modelfix.apply_item_rewrite(PARSER_SRC, item, data, PARSER_IMPL)
    assert out == PARSER_SRC.replace("impl<bool> Parser", "impl Parser")
    method = "fn parse(text: &str) -> Option<bool> {\n    Some(false)\n}"
    assert modelfix.apply_item_rewrite(PARSER_SRC, item, data, method) == PARSER_SRC.replace("Some(true)", "Some(false)")
    assert first_item_kind("#[derive(Debug)]\nstruct S;") == "struct_item"
    assert first_item_kind("let x = 1;\nx + 1") is None


def test_a_code_block_answered_for_search_replace_blocks_is_taken_as_an_item_rewrite(crate):
    """E0308 "expected type parameter `bool`, found `bool`": asked for SEARCH/REPLACE blocks, the model
    answers with the rewritten `impl` in a fenced block. It starts with an item, so it is applied as a
    rewrite of the item it redefines and verified like any candidate."""
    root = crate("clean")
    (root / "src/lib.rs").write_text(PARSER_SRC)
    eng = ScriptedEngine([f"```rust\n{PARSER_IMPL}\n```"])
    res = repair(root, RepairOptions(samples=0, resample=False), engine=eng)
    assert res.fixed, res.trace
    assert res.files["src/lib.rs"].decode() == PARSER_SRC.replace("impl<bool> Parser", "impl Parser")
    assert [a.candidate[:22] for a in res.trace if a.outcome == "accepted"] == ["search_replace (T=0.0)"], res.trace


def test_a_model_answer_is_cut_off_when_the_time_budget_ends(crate, openai_server):
    """A model still answering when the run's time budget ends is stopped there: the run returns
    within about the budget, not after the answer."""
    import time
    from ferrofix.llm import OpenAIEngine
    from conftest import MATCH_ARM_FIX
    model = openai_server(lambda req: MATCH_ARM_FIX, delay_s=60)
    t0 = time.monotonic()
    res = repair(crate("match_arm"), RepairOptions(timeout_s=4), engine=OpenAIEngine(model.url))
    assert time.monotonic() - t0 < 30
    assert not res.fixed and any(a.reason == "the time budget ran out" for a in res.trace), res.trace


def test_worked_examples_show_the_changed_part():
    from ferrofix.modelfix import example_excerpt
    body = [f"    let v{i} = {i};" for i in range(40)]
    before = "fn main() {\n" + "\n".join(body) + "\n    let s = v1;\n}"
    after = before.replace("let s = v1;", "let s = v1.clone();")
    b, a = example_excerpt(before, after)
    assert b.split("\n") == ["// ...", *body[-3:], "    let s = v1;", "}"]
    assert a.split("\n") == ["// ...", *body[-3:], "    let s = v1.clone();", "}"]
    small = "fn main() {\n    let x = 1;\n}"
    assert example_excerpt(small, small.replace("1", "2")) == (small, small.replace("1", "2"))


def test_search_replace_answer_missing_its_replace_marker():
    """Small models stop a block at a code fence or the end of the answer without `>>>>>>> REPLACE`."""
    from ferrofix.modelfix import parse_search_replace
    fenced = "```\n<<<<<<< SEARCH\n    a => 1,\n=======\n    a => 1,\n    _ => 0,\n```\nNow the error."
    assert parse_search_replace(fenced) == [("    a => 1,", "    a => 1,\n    _ => 0,")]
    assert parse_search_replace("<<<<<<< SEARCH\nx\n=======\ny\n") == [("x", "y")]
    two = "<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n<<<<<<< SEARCH\nc\n=======\n>>>>>>> REPLACE"
    assert parse_search_replace(two) == [("a", "b"), ("c", "")]


def test_non_exhaustive_match_fixed_from_an_unterminated_block(crate):
    root = crate("clean")
    (root / "src/lib.rs").write_text(
        "pub enum Kind {\n    A,\n    B,\n    C,\n}\n\n"
        "pub fn name(k: &Kind) -> &'static str {\n    match k {\n        Kind::A => \"a\",\n"
        "        Kind::B => \"b\",\n    }\n}\n")
    eng = ScriptedEngine(["<<<<<<< SEARCH\n        Kind::B => \"b\",\n=======\n        Kind::B => \"b\",\n"
                          "        Kind::C => \"c\",\n```\nNow the error to fix."])
    res = repair(root, RepairOptions(samples=0), engine=eng)
    assert res.fixed, res.trace
    assert 'Kind::C => "c",' in res.files["src/lib.rs"].decode()


def test_the_missing_match_arm_to_complete_is_written_as_the_other_arms_write_theirs(crate):
    """E0004 on `match s` with `s: &Shape`: rustc's scaffold `&Shape::Rect(_) => todo!()` is shown as
    `Shape::Rect(r) => todo!()` — no `&` where no other arm has one, the field bound to the name the
    other arms use — and the model's completion uses it."""
    root = crate("clean")
    (root / "src/lib.rs").write_text(
        "pub enum Shape {\n    Circle(f64),\n    Square(f64),\n    Rect(f64),\n}\n\n"
        "pub fn width(s: &Shape) -> f64 {\n    match s {\n        Shape::Circle(r) => 2.0 * r,\n"
        "        Shape::Square(r) => *r,\n    }\n}\n")
    eng = ScriptedEngine(["```rust\n        Shape::Rect(r) => *r,\n```"])
    res = repair(root, RepairOptions(samples=0), engine=eng)
    assert res.fixed, res.trace
    assert "Shape::Rect(r) => todo!()" in eng.requests[0][-1]["content"]
    assert "        Shape::Rect(r) => *r," in res.files["src/lib.rs"].decode()


def test_a_missing_arm_takes_the_other_arms_path_and_binding_but_an_or_pattern_binds_nothing_new():
    from ferrofix.context import match_arm_patterns
    from ferrofix.modelfix import arm_like_siblings

    src = b"fn f(d: &D) -> u8 {\n    match &d.data {\n        Data::Union(data) => 1,\n        Data::Enum(x) if x.a => 2,\n" \
          b"        _ => 3,\n    }\n}\n"
    assert match_arm_patterns(src, src.index(b"&d.data")) == ["Data::Union(data)", "Data::Enum(x)", "_"]

    assert arm_like_siblings("&syn::Data::Struct(_)", ["Data::Union(data)", "Data::Enum(data)"]) == \
        "Data::Struct(data)"
    assert arm_like_siblings("&A::B(_) | &A::C(_)", ["A::D(z)"]) == "A::B(_) | A::C(_)"
    assert arm_like_siblings("&Kind::B", ["&Kind::A"]) == "&Kind::B"  # the others keep their `&`
    assert arm_like_siblings("Steal::Success(_)", ["Steal::Empty", "Steal::Retry"]) == "Steal::Success(_)"
    assert arm_like_siblings("Entry::Occupied(_)", ["Entry::Vacant(place)"]) == "Entry::Occupied(_)"
    assert arm_like_siblings("None", ["_"]) == "None"


def test_a_borrow_error_the_candidate_writes_is_not_revealed(crate):
    """Fixing E0594 by `iter_mut()` on both sides makes E0596 on the very line it wrote: the candidate's
    own error, rejected; the next answer changes only the iterator that yields `&` references."""
    root = crate("clean")
    (root / "src/lib.rs").write_text(
        "fn pairs<'a>(a: &'a [u32], b: &'a [u32]) -> impl Iterator<Item = (&'a u32, &'a u32)> {\n"
        "    a.iter().zip(b.iter())\n}\n\n"
        "pub fn difference(a: &mut Vec<u32>, b: &Vec<u32>) {\n"
        "    for (x, y) in pairs(a, b) {\n        *x &= !*y;\n    }\n}\n")
    both = "a.iter_mut().zip(b.iter_mut())"
    eng = ScriptedEngine([
        f"<<<<<<< SEARCH\n    for (x, y) in pairs(a, b) {{\n=======\n    for (x, y) in {both} {{\n>>>>>>> REPLACE",
        "```rust\npub fn difference(a: &mut Vec<u32>, b: &Vec<u32>) {\n"
        "    for (x, y) in a.iter_mut().zip(b.iter()) {\n        *x &= !*y;\n    }\n}\n```"])
    res = repair(root, RepairOptions(samples=0), engine=eng)
    assert res.fixed, res.trace
    assert "a.iter_mut().zip(b.iter())" in res.files["src/lib.rs"].decode()
    assert res.trace[0].outcome == "rejected" and "new error" in res.trace[0].reason, res.trace


def test_the_model_completes_rustcs_placeholder_scaffold(crate):
    """E0046: rustc's "implement the missing item" (`fn deref(…) { todo!() }`) is applied in the prompt with
    its line marked; the model's answer replaces the `todo!()` line, never the scaffold alone."""
    from ferrofix.modelfix import FILL_MARKER
    root = crate("clean")
    (root / "src/lib.rs").write_text(
        "pub struct Wrapper {\n    value: u32,\n}\n\nimpl std::ops::Deref for Wrapper {\n    type Target = u32;\n}\n")
    eng = ScriptedEngine([
        "<<<<<<< SEARCH\nfn deref(&self) -> &<Self as Deref>::Target { todo!() }\n=======\n"
        "    fn deref(&self) -> &u32 {\n        &self.value\n    }\n>>>>>>> REPLACE"])
    res = repair(root, RepairOptions(samples=0), engine=eng)
    assert res.fixed, res.trace
    assert "&self.value" in res.files["src/lib.rs"].decode() and "todo!" not in res.files["src/lib.rs"].decode()
    prompt = eng.requests[0][-1]["content"]
    assert f"fn deref(&self) -> &<Self as Deref>::Target {{ todo!() }}  {FILL_MARKER}" in prompt, prompt
    # the impl's self type is shown with its fields, as related code
    assert "// src/lib.rs:1\npub struct Wrapper {\n    value: u32,\n}" in prompt, prompt


def test_a_test_target_named_like_the_library_is_not_the_library(crate):
    """The integration test `tests/clean.rs` is a target named `clean` like the library: its errors, which
    appear once the library compiles, are errors of a target the last check never reached, not new
    errors of the library's fix."""
    root = crate("clean")
    (root / "src/lib.rs").write_text("pub fn add(a: i32, b: i32) -> i32 {\n    let s = a + b\n    s\n}\n")
    (root / "tests").mkdir()
    (root / "tests/clean.rs").write_text("use nosuchcrate::Thing;\n\n#[test]\nfn adds() {\n    clean::add(1, 2);\n}\n")
    res = repair(root, RepairOptions(use_llm=False))
    assert "let s = a + b;" in res.files["src/lib.rs"].decode(), res.trace
    assert any(d.target_name == "clean (test)" for d in res.remaining_errors), res.remaining_errors


def test_a_move_out_of_self_shows_the_methods_that_borrow_it(crate):
    """E0507 "cannot move out of `*self`": the prompt lists the type's `&self` methods (`as_ref`), the
    fix the model needs to see (the type cannot derive `Clone`, so rustc's note to clone it fails)."""
    root = crate("clean")
    (root / "src/lib.rs").write_text(
        "pub enum Pair {\n    Both(String, String),\n    One(String),\n    Locked(std::sync::Mutex<u8>),\n}\n\nimpl Pair {\n"
        "    pub fn as_ref(&self) -> Option<&String> {\n        match self {\n            Pair::Both(a, _) | Pair::One(a) => Some(a),\n"
        "            Pair::Locked(_) => None,\n        }\n    }\n"
        "    pub fn first(self) -> Option<String> {\n        match self {\n            Pair::Both(a, _) | Pair::One(a) => Some(a),\n"
        "            Pair::Locked(_) => None,\n        }\n    }\n"
        "    pub fn has_first(&self) -> bool {\n        self.first().is_some()\n    }\n}\n")
    eng = ScriptedEngine(["<<<<<<< SEARCH\n        self.first().is_some()\n=======\n        self.as_ref().is_some()\n>>>>>>> REPLACE"])
    res = repair(root, RepairOptions(samples=0), engine=eng)
    assert res.fixed, res.trace
    prompt = eng.requests[0][-1]["content"]
    assert "// methods of `Pair` that borrow `self` (signatures)\npub fn as_ref(&self) -> Option<&String>\n" \
        "pub fn has_first(&self) -> bool" in prompt, prompt
    assert "pub fn first(self)" not in prompt.split("(signatures)")[1].split("```")[0]


def test_an_associated_item_a_type_lacks_is_shown_with_what_the_type_and_the_crate_define(crate):
    """E0599 "no associated item named `Bar` found for struct `Foo`" (rustc names no near miss: the
    constant is `BAR`) and "no method named `area` found for reference `&u32`" (the crate defines
    `area` for `dyn Shape`): the prompt lists the items of `Foo`'s impl blocks and the crate's
    definitions named `area` with their blocks' headers, and the model is not told to write `area`."""
    root = crate("clean")
    (root / "src/lib.rs").write_text(
        "pub mod geo {\n    pub struct Foo {}\n    impl Foo {\n        pub const BAR: usize = 42;\n"
        "        pub fn new() -> Foo {\n            Foo {}\n        }\n    }\n}\n\n"
        "pub trait Shape {}\n\nimpl<'a> dyn Shape + 'a {\n    pub fn area(&self) -> u32 {\n        1\n    }\n}\n\n"
        "impl Shape for u32 {}\n\n"
        "pub fn size() -> usize {\n    geo::Foo::Bar\n}\n\n"
        "pub fn total(x: &u32) -> u32 {\n    x.area()\n}\n")
    eng = ScriptedEngine(["<<<<<<< SEARCH\n    geo::Foo::Bar\n=======\n    geo::Foo::BAR\n>>>>>>> REPLACE",
                          "<<<<<<< SEARCH\n    x.area()\n=======\n    (x as &dyn Shape).area()\n>>>>>>> REPLACE"])
    res = repair(root, RepairOptions(samples=0, resample=False), engine=eng)
    assert res.fixed, res.trace
    first, second = (r[-1]["content"] for r in eng.requests[:2])
    assert "// items of `Foo` in its impl blocks (signatures)\npub const BAR: usize\npub fn new() -> Foo\n" \
        in first, first
    assert "// src/lib.rs:14 `area` in `impl<'a> dyn Shape + 'a`\npub fn area(&self) -> u32\n" in second, second
    assert "does not exist yet" not in second


def test_a_library_error_beside_a_test_only_missing_crate_gets_the_model(crate):
    """`#[cfg(test)] extern crate quickcheck;` at the top of lib.rs breaks only the unit-test build; an
    error the library's own build reports too is the source's, and goes to the model."""
    root = crate("clean")
    (root / "src/lib.rs").write_text(
        "#[cfg(test)]\nextern crate quickcheck;\n\npub enum Kind {\n    A,\n    B,\n}\n\n"
        "pub fn code(k: Kind) -> u8 {\n    match k {\n        Kind::A => 1,\n    }\n}\n")
    eng = ScriptedEngine(["```rust\n        Kind::B => 2,\n```"])
    res = repair(root, RepairOptions(samples=0), engine=eng)
    assert eng.requests, res.trace
    assert "Kind::B => 2," in res.files["src/lib.rs"].decode(), res.trace


def test_an_error_about_something_specified_twice_may_be_fixed_by_deleting(crate):
    """E0719 "the value of the associated type `Item` in trait `Iterator` is already specified": a
    model answer that deletes the duplicate binding is the fix, not a loss of intent."""
    root = crate("clean")
    (root / "src/lib.rs").write_text("pub type Numbers = dyn Iterator<Item = u32, Item = u32>;\n")
    answer = "<<<<<<< SEARCH\npub type Numbers = dyn Iterator<Item = u32, Item = u32>;\n=======\n" \
             "pub type Numbers = dyn Iterator<Item = u32>;\n>>>>>>> REPLACE"
    res = repair(root, RepairOptions(), engine=ScriptedEngine([answer]))
    assert res.fixed, res.trace
    assert "dyn Iterator<Item = u32>;" in res.files["src/lib.rs"].decode()


TRIANGLE_TEST = """
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triangle() {
        assert_eq!(area(Shape::Triangle(2.0, 3.0)), 3.0);
    }
}
"""
COMPILES_BUT_WRONG = MATCH_ARM_FIX.replace("0.5 * b * h", "b * h")


def test_run_tests_rejects_a_fix_that_breaks_the_tests(crate):
    """repair.runTests: the first candidate compiles but fails the crate's test, so it is rejected and the
    next one, which passes, is kept; without the option the first is kept."""
    root = crate("match_arm")
    with open(root / "src/lib.rs", "a") as f:
        f.write(TRIANGLE_TEST)
    res = repair(root, RepairOptions(samples=1, run_tests=True),
                 engine=ScriptedEngine([COMPILES_BUT_WRONG, MATCH_ARM_FIX]))
    assert res.fixed, res.trace
    assert "0.5 * b * h" in res.files["src/lib.rs"].decode()
    rejected = [a.reason for a in res.trace if a.outcome == "rejected"]
    assert any(r.startswith("compiles, but cargo test does not pass: 1 test(s) fail: tests::triangle")
               for r in rejected), rejected
    assert [a.reason for a in res.trace if a.outcome == "accepted"] == ["cargo test: 1 tests pass"]

    res = repair(root, RepairOptions(samples=1), engine=ScriptedEngine([COMPILES_BUT_WRONG, MATCH_ARM_FIX]))
    assert res.fixed and "=> b * h" in res.files["src/lib.rs"].decode()


def test_run_tests_time_limit_is_hard(crate):
    """A test that never ends is killed at `test_timeout_s` and the candidate rejected."""
    root = crate("match_arm")
    with open(root / "src/lib.rs", "a") as f:
        f.write("#[test]\nfn forever() { loop { std::thread::sleep(std::time::Duration::from_millis(50)); } }\n")
    res = repair(root, RepairOptions(samples=0, run_tests=True, test_timeout_s=20),
                 engine=ScriptedEngine([MATCH_ARM_FIX]))
    assert not res.fixed and res.files == {}
    assert any("cargo test took longer than 20 s and was stopped" in a.reason for a in res.trace), res.trace


def test_compiler_feedback_round(crate):
    """A model candidate that removes the error but adds another goes back to the model with the new
    error; the two answers together are verified against the errors before the first."""
    root = crate("match_arm")
    uses_missing = MATCH_ARM_FIX.replace("0.5 * b * h", "half(b) * h")
    adds_it = ("<<<<<<< SEARCH\npub fn area(shape: Shape) -> f64 {\n=======\nfn half(x: f64) -> f64 {\n    x / 2.0\n}\n\n"
               "pub fn area(shape: Shape) -> f64 {\n>>>>>>> REPLACE")
    eng = ScriptedEngine([uses_missing, adds_it])
    res = repair(root, RepairOptions(samples=0), engine=eng)
    assert res.fixed, res.trace
    text = res.files["src/lib.rs"].decode()
    assert "half(b) * h" in text and "fn half(x: f64)" in text
    first, second = [a for a in res.trace if a.stage.startswith("model")][:2]
    assert first.outcome == "rejected" and first.reason.startswith("adds 1 new error(s): E0425")
    assert second.stage == "model-feedback" and second.outcome == "accepted"
    assert "for E0425" in second.candidate
    assert "error[E0425]" in eng.requests[1][-1]["content"] and "half(b) * h" in eng.requests[1][-1]["content"]


#: a knowledge-base example of E0004, for the prompt's "Similar errors"
E0004_EXAMPLE = Example("E0004", "non-exhaustive patterns: `None` not covered", "match x {\n    Some(v) => v,\n}",
                        "match x {\n    Some(v) => v,\n    None => 0,\n}")


def test_the_model_is_asked_again_without_the_knowledge_base_example(crate):
    """When no answer of the first round is accepted, the same plan is asked again from the prompt
    without the knowledge-base examples (`RepairOptions.resample`), staged "model-resample"; with
    `resample=False` the first round is all."""

    def answer(msgs):
        return PLACEHOLDER_ARM if "Similar errors" in msgs[-1]["content"] else MATCH_ARM_FIX

    root = crate("match_arm")
    for resample in (True, False):
        eng = ScriptedEngine(answer)
        res = repair(root, RepairOptions(samples=0, max_rounds=1, resample=resample), engine=eng,
                     examples=lambda d: [E0004_EXAMPLE])
        assert res.fixed == resample, res.trace
        assert "Similar errors" in eng.requests[0][-1]["content"]
        if resample:
            assert [a.stage for a in res.trace if a.outcome == "accepted"] == ["model-resample"]
            assert "Similar errors" not in eng.requests[-1][-1]["content"]
        else:
            assert all("Similar errors" in r[-1]["content"] for r in eng.requests)


class _SeedRecorder(ScriptedEngine):
    """A ScriptedEngine that also records each request's (temperature, seed)."""

    def __init__(self, answers):
        super().__init__(answers)
        self.seeds: list[tuple[float, int | None]] = []

    def chat(self, messages, *, temperature=0.0, seed=None, **kw):
        self.seeds.append((temperature, seed))
        return super().chat(messages, temperature=temperature, seed=seed, **kw)


def test_the_samples_are_asked_for_again_while_the_budget_lasts(crate):
    """After the first round (with the knowledge-base example) and the second (without it) failed, a
    third round samples again with new seeds and the example shown ("model-kb-resample"), within
    MAX_MODEL_ROUNDS; every sampled answer has its own seed."""
    from ferrofix.repair.model import MAX_MODEL_ROUNDS
    assert MAX_MODEL_ROUNDS >= 3
    with_example = 0

    def answer(msgs):
        nonlocal with_example
        if "Similar errors" not in msgs[-1]["content"]:
            return PLACEHOLDER_ARM
        with_example += 1
        return MATCH_ARM_FIX if with_example > 4 else PLACEHOLDER_ARM  # 4: the first round's answers

    root = crate("match_arm")
    eng = _SeedRecorder(answer)
    res = repair(root, RepairOptions(samples=2, max_rounds=1), engine=eng, examples=lambda d: [E0004_EXAMPLE])
    assert res.fixed, res.trace
    assert [a.stage for a in res.trace if a.outcome == "accepted"] == ["model-kb-resample"]
    assert len(eng.requests) == 9  # 4 with the example, 4 without, then the third round's first sample
    sampled = [seed for temp, seed in eng.seeds if temp > 0]
    assert len(sampled) == len(set(sampled)) == 5, eng.seeds


def test_rounds_go_on_after_the_fourth_while_the_budget_lasts(crate):
    """Rounds of samples go on past the fourth (12 answers with samples=2: 4 + 4 + 2 + 2) while the
    budget lasts; the fifth round shows the example again."""
    asked = 0

    def answer(msgs):
        nonlocal asked
        asked += 1
        return MATCH_ARM_FIX if asked > 12 else PLACEHOLDER_ARM

    res = repair(crate("match_arm"), RepairOptions(samples=2, max_rounds=1), engine=ScriptedEngine(answer),
                 examples=lambda d: [E0004_EXAMPLE])
    assert res.fixed, res.trace
    assert asked == 13 and [a.stage for a in res.trace if a.outcome == "accepted"] == ["model-kb-resample"]


SIDES = """
pub fn sides(shape: Shape) -> u32 {
    match shape {
        Shape::Circle(_) => 0,
        Shape::Square(_) => 4,
    }
}
"""
SIDES_FIX = """<<<<<<< SEARCH
        Shape::Square(_) => 4,
=======
        Shape::Square(_) => 4,
        Shape::Triangle(_, _) => 3,
>>>>>>> REPLACE"""


def test_every_error_is_asked_once_before_any_is_asked_again(crate):
    """Two errors, with a knowledge-base example each: the model's answers for the first are wrong,
    for the second right. The second error's first round comes before the first error's second
    round (`RepairOptions.resample`), so the fix is found without asking again."""
    root = crate("match_arm")
    with open(root / "src/lib.rs", "a") as f:
        f.write(SIDES)
    eng = ScriptedEngine(lambda msgs: SIDES_FIX if "fn sides" in msgs[-1]["content"] else PLACEHOLDER_ARM)
    res = repair(root, RepairOptions(samples=0, max_rounds=1), engine=eng, examples=lambda d: [E0004_EXAMPLE])
    assert "Shape::Triangle(_, _) => 3" in res.files["src/lib.rs"].decode(), res.trace
    stages = [a.stage for a in res.trace if a.stage.startswith("model")]
    assert "model-resample" not in stages and stages[-1] == "model-kb", res.trace
    assert all("Similar errors" in r[-1]["content"] for r in eng.requests)


def test_an_item_of_an_extern_block_is_shown_with_the_block(crate):
    """E0045 (a C-variadic function in `extern "Rust"`): the error is on the function's line, the fix
    on the block's; the prompt shows the whole `extern` block, and the model's rewrite of it is kept."""
    root = crate("clean")
    (root / "src/lib.rs").write_text('extern "Rust" {\n    pub fn foo(x: u8, ...);\n}\n')
    answer = '```rust\nextern "C" {\n    pub fn foo(x: u8, ...);\n}\n```'
    eng = ScriptedEngine(lambda msgs: answer)
    res = repair(root, RepairOptions(samples=0), engine=eng)
    assert res.fixed, res.trace
    assert res.files["src/lib.rs"].decode().startswith('extern "C" {')
    assert 'extern "Rust" {\n    pub fn foo(x: u8, ...);' in eng.requests[0][-1]["content"]


def test_missing_method_written_from_its_uses(tmp_path):
    """E0599 with no near miss: the prompt shows the type's definition and asks for the method to be
    written from its uses, in a new impl block after the definition (a second site)."""
    root = tmp_path / "shapes"
    (root / "src").mkdir(parents=True)
    (root / "Cargo.toml").write_text('[package]\nname = "shapes"\nversion = "0.1.0"\nedition = "2021"\n')
    (root / "src/lib.rs").write_text(
        "pub struct Rect {\n    pub w: f64,\n    pub h: f64,\n}\n\n"
        "pub fn total(rs: &[Rect]) -> f64 {\n    rs.iter().map(|r| r.area()).sum()\n}\n")
    answer = ("<<<<<<< SEARCH\n    pub h: f64,\n}\n=======\n    pub h: f64,\n}\n\nimpl Rect {\n"
              "    pub fn area(&self) -> f64 {\n        self.w * self.h\n    }\n}\n>>>>>>> REPLACE")
    eng = ScriptedEngine([answer])
    res = repair(root, RepairOptions(samples=0, use_llm=True), engine=eng)
    assert res.fixed, res.trace
    assert "impl Rect {" in res.files["src/lib.rs"].decode()
    prompt = eng.requests[0][-1]["content"]
    assert "The method `area` of `Rect` does not exist yet" in prompt
    assert "pub struct Rect {" in prompt.split("Code to fix")[0]  # the definition, as related code


def test_missing_item_and_visibility_helpers():
    from ferrofix.diagnostics import Diagnostic
    from ferrofix.modelfix import MissingItem, missing_item
    from ferrofix.repair.guards import changes_visibility

    def diag(message, children=()):
        return Diagnostic.from_json({"message": message, "code": {"code": "E0599"}, "level": "error", "spans": [],
                                     "children": [{"message": c, "level": "help", "spans": [], "children": []}
                                                  for c in children]})

    assert missing_item(diag("no method named `area` found for struct `Rect` in the current scope")) == \
        MissingItem("method", "area", "Rect")
    assert missing_item(diag("no method named `area` found for reference `&Rect` in the current scope")) == \
        MissingItem("method", "area", "Rect")
    assert missing_item(diag("cannot find function `half` in this scope")) == MissingItem("function", "half")
    assert missing_item(diag("no field `z` on type `&Point`")) == MissingItem("field", "z", "Point")
    assert missing_item(diag("struct `Point` has no field named `z`")) == MissingItem("field", "z", "Point")
    assert missing_item(diag("cannot find function `hlaf` in this scope",
                             ["a function with a similar name exists"])) is None
    assert changes_visibility("fn a() {}\n", "pub fn a() {}\n")
    assert changes_visibility("pub(crate) x: u8,\n", "x: u8,\n")
    assert not changes_visibility("fn a() {}\n", "pub fn b() {}\n\nfn a() {}\n")


def test_the_prompt_for_a_missing_trait_method_shows_how_the_crate_implements_it_for_another_type(crate):
    """E0046 (a method left out of `impl Trait for T`): the model sees the method as the crate's other
    impls of the trait write it — an example to read, not a place to edit — except where it reads a
    field the type being fixed does not have or calls a method the crate defines only for another
    type (a method a trait declares may be called)."""
    root = crate("clean")
    (root / "src/lib.rs").write_text(
        "pub trait Area {\n    fn area(&self) -> u32;\n    fn name(&self) -> String;\n}\n\n"
        "pub struct Square(pub u32);\npub struct Rect(pub u32, pub u32);\n\n"
        "impl Area for Square {\n    fn area(&self) -> u32 {\n        self.0 * self.0\n    }\n"
        "    fn name(&self) -> String {\n        String::from(\"square\")\n    }\n}\n\n"
        "impl Area for Rect {\n    fn name(&self) -> String {\n        String::from(\"rect\")\n    }\n}\n\n"
        "pub struct Label { text: String }\n\n"
        "impl Area for Label {\n    fn area(&self) -> u32 {\n        self.text.len() as u32\n    }\n"
        "    fn name(&self) -> String {\n        self.text.clone()\n    }\n}\n\n"
        "pub struct Pair(pub u32, pub u32);\n\nimpl Pair {\n    fn product(&self) -> u32 {\n        self.0 * self.1\n    }\n}\n\n"
        "impl Area for Pair {\n    fn area(&self) -> u32 {\n        self.product()\n    }\n"
        "    fn name(&self) -> String {\n        String::from(\"pair\")\n    }\n}\n\n"
        "pub struct Word;\n\nimpl Area for Word {\n    fn area(&self) -> u32 {\n        self.name().len() as u32\n    }\n"
        "    fn name(&self) -> String {\n        String::from(\"word\")\n    }\n}\n")
    fix = ("<<<<<<< SEARCH\nimpl Area for Rect {\n=======\nimpl Area for Rect {\n    fn area(&self) -> u32 {\n"
           "        self.0 * self.1\n    }\n>>>>>>> REPLACE")
    eng = ScriptedEngine([fix])
    res = repair(root, RepairOptions(samples=0), engine=eng)
    assert res.fixed, res.trace
    prompt = "\n".join(m["content"] for m in eng.requests[0])
    assert "(`Area` implemented for another type)\n    fn area(&self) -> u32 {\n        self.0 * self.0" in prompt
    assert "self.text.len()" not in prompt  # `Label`'s field: `Rect` has none such, no template for it
    assert "self.product()" not in prompt  # `Pair`'s own method
    assert "self.name().len() as u32" in prompt  # `Area::name`, which `Rect` has too


def test_a_one_line_associated_item_is_shown_with_its_impl_and_the_trait_the_message_names(crate):
    """E0437 on `type Bar = u8;` in an impl: the prompt shows the whole impl (the line alone shows
    nothing to fix) and, as related code, the workspace's trait that "not a member of trait `Store`"
    names. Declaring the type in the trait (the rule) would break the trait's other impl, so the
    model's turn comes."""
    root = crate("clean")
    (root / "src/lib.rs").write_text(
        "pub trait Store {\n    fn size(&self) -> usize;\n}\n\n"
        "impl Store for u8 {\n    type Bar = u8;\n    fn size(&self) -> usize {\n        1\n    }\n}\n\n"
        "impl Store for u16 {\n    fn size(&self) -> usize {\n        2\n    }\n}\n")
    eng = ScriptedEngine(["<<<<<<< SEARCH\n    type Bar = u8;\n=======\n>>>>>>> REPLACE"])
    res = repair(root, RepairOptions(samples=0, resample=False), engine=eng)
    assert res.fixed, res.trace
    prompt = eng.requests[0][-1]["content"]
    assert "// src/lib.rs:1\npub trait Store {\n    fn size(&self) -> usize;\n}" in prompt, prompt
    assert "```rust\nimpl Store for u8 {\n    type Bar = u8;" in prompt, prompt


def test_related_code_in_the_prompt_is_cut_at_a_line_end_and_an_example_is_shown_whole_or_not_at_all():
    """The related code has a character limit: a block past it is cut at a line end and marked
    `// ...`; another impl's method (an example) that does not fit is left out, not cut mid-line."""
    from ferrofix.repair.model import _within

    span = "// src/a.rs:1\n" + "let x = 1;\n" * 10
    example = "// src/b.rs:5 (`Iterator` implemented for another type)\n" + "    step();\n" * 200
    assert _within([span, example, "// src/c.rs:9\nshort"], 300, {example}) == span + "\n// src/c.rs:9\nshort"
    long = "// src/a.rs:1\n" + "let abcdef = 1;\n" * 100
    cut = _within([long], 300, set())
    assert len(cut) <= 300 and cut.endswith("\n// ...")
    assert set(cut.split("\n")[1:-1]) == {"let abcdef = 1;"}


def test_a_method_that_lost_its_receiver_gets_it_back_and_its_callers_keep_theirs(crate):
    """E0424 in `fn is_none() -> bool { self.index == 0 }` and E0599 at each `p.is_none()`: rustc's
    MachineApplicable "use associated function syntax instead" (`Pos::is_none()`) would drop the
    receiver `p` at every call; the receiver added to the function fixes them all."""
    root = crate("clean")
    (root / "src/lib.rs").write_text(
        "pub struct Pos {\n    index: u32,\n}\n\nimpl Pos {\n    fn is_none() -> bool {\n        self.index == 0\n    }\n\n"
        "    pub fn get(&self) -> Option<u32> {\n        if self.is_none() { None } else { Some(self.index) }\n    }\n}\n\n"
        "pub fn count(ps: &[Pos]) -> usize {\n    ps.iter().filter(|p| p.is_none()).count()\n}\n")
    res = repair(root, RepairOptions(use_llm=False))
    assert res.fixed, res.trace
    text = res.files["src/lib.rs"].decode()
    assert "fn is_none(&self) -> bool" in text and "p.is_none()" in text and "Pos::is_none" not in text


def test_denied_lints_a_fix_uncovers_are_not_its_fault(crate):
    """rustc's late lints run only once the crate has no error: fixing the last type error uncovers
    `missing_docs` elsewhere under `#![deny(missing_docs)]`. The fix is kept (the lint is reported as
    what remains), not rejected as adding an error."""
    root = crate("clean")
    (root / "src/lib.rs").write_text(
        "//! A crate.\n#![deny(missing_docs)]\n\npub fn undocumented() -> u16 {\n    1\n}\n\n"
        "/// Documented.\npub fn sub(from: u16) -> u16 {\n    from.wrapping_su(3)\n}\n")
    res = repair(root, RepairOptions(use_llm=False))
    assert "from.wrapping_sub(3)" in res.files["src/lib.rs"].decode(), res.trace
    assert [e.code for e in res.remaining_errors] == ["missing_docs"]
    assert not res.fixed
