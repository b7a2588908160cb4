"""The compile-and-fix loop with rustc suggestions and a scripted engine (deterministic)."""

import pytest

from ferrofix.cargo import run_check
from ferrofix.errors import ModelAnswerError
from ferrofix.llm import ScriptedEngine
from ferrofix.repair import RepairOptions, repair
from .conftest import tree_bytes

MATCH_ARM_FIX = """<<<<<<< SEARCH
        Shape::Square(s) => s * s,
=======
        Shape::Square(s) => s * s,
        Shape::Triangle(b, h) => 0.5 * b * h,
>>>>>>> REPLACE"""


def fixed_lib(crate, source: str) -> str:
    """`source` as the lib.rs of a clean crate, repaired without the model: asserts the crate got
    fixed and returns the fixed lib.rs."""
    root = crate("clean")
    (root / "src/lib.rs").write_text(source)
    res = repair(root, RepairOptions(use_llm=False))
    assert res.fixed, res.trace
    return res.files["src/lib.rs"].decode()


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
    wrong = "<<<<<<< SEARCH\n        Shape::Square(s) => s * s,\n=======\n        Shape::Square(s) => s * s,\n        _ => todo!(),\n>>>>>>> REPLACE"
    deleting = "```rust\npub fn area(shape: Shape) -> f64 {\n    0.0\n}\n```"
    not_compiling = "<<<<<<< SEARCH\n        Shape::Square(s) => s * s,\n=======\n        Shape::Square(s) => s * s,\n        Shape::Triangle(b) => b,\n>>>>>>> REPLACE"
    eng = ScriptedEngine([wrong, deleting, not_compiling, "no answer", MATCH_ARM_FIX])
    res = repair(root, RepairOptions(samples=3), engine=eng)
    assert res.fixed
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


def test_an_item_rewrite_missing_its_last_brace_is_closed():
    from ferrofix import modelfix
    from ferrofix.context import enclosing_item
    data = MATCH_SRC.encode()
    item = enclosing_item(data, data.index(b"match"), data.index(b"match") + 5)
    answer = "fn main() {\n    let x = Some(1);\n    match x {\n        Some(v) => println!(\"{v}\"),\n        None => {}\n    }\n"
    out = modelfix.apply_item_rewrite(MATCH_SRC, item, data, answer)
    assert out.rstrip("\n").endswith("    }\n}") and modelfix.brace_balance(out) == 0


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


def test_a_warning_on_the_errors_code_supplies_the_fix(crate):
    """E0571 `break` with a value from `while true`: the `while_true` lint's "use `loop`" on the span the
    error labels fixes it, and keeps the value (rustc's own help would delete it)."""
    src = fixed_lib(crate,
        "pub fn first(limit: u32) -> u32 {\n    let mut i = 1;\n    let found = while true {\n"
        "        if i % 7 == 0 || i > limit {\n            break i * 2;\n        }\n        i += 1;\n"
        "    };\n    found\n}\n")
    assert "let found = loop {" in src and "break i * 2;" in src


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
    fix the model needs to see."""
    root = crate("clean")
    (root / "src/lib.rs").write_text(
        "pub enum Pair {\n    Both(String, String),\n    One(String),\n}\n\nimpl Pair {\n"
        "    pub fn as_ref(&self) -> Option<&String> {\n        match self {\n            Pair::Both(a, _) | Pair::One(a) => Some(a),\n        }\n    }\n"
        "    pub fn first(self) -> Option<String> {\n        match self {\n            Pair::Both(a, _) | Pair::One(a) => Some(a),\n        }\n    }\n"
        "    pub fn has_first(&self) -> bool {\n        self.first().is_some()\n    }\n}\n")
    eng = ScriptedEngine(["<<<<<<< SEARCH\n        self.first().is_some()\n=======\n        self.as_ref().is_some()\n>>>>>>> REPLACE"])
    res = repair(root, RepairOptions(samples=0), engine=eng)
    assert res.fixed, res.trace
    prompt = eng.requests[0][-1]["content"]
    assert "// methods of `Pair` that borrow `self` (signatures)\npub fn as_ref(&self) -> Option<&String>\n" \
        "pub fn has_first(&self) -> bool" in prompt, prompt
    assert "pub fn first(self)" not in prompt.split("(signatures)")[1].split("```")[0]


def test_an_iterator_yielding_shared_references_becomes_iter_mut(crate):
    """E0594 where rustc labels "this iterator yields `&` references" but suggests nothing: `.iter()` on
    the labelled line becomes `.iter_mut()` (the first call: the one that yields `x`)."""
    src = fixed_lib(crate,
        "pub fn difference(a: &mut Vec<u32>, b: &[u32]) {\n"
        "    for (x, y) in a.iter().zip(b.iter()) {\n        *x &= !*y;\n    }\n}\n")
    assert "a.iter_mut().zip(b.iter())" in src


def test_a_borrow_of_a_field_behind_self_becomes_an_owned_clone(crate):
    """E0596 on `let mut p = &self.items; p.push(..)` in a `&self` method: rustc's `&mut self.items` fails
    (self is `&`), the owned `self.items.clone()` compiles."""
    src = fixed_lib(crate,
        "pub struct Bag {\n    items: Vec<u32>,\n}\n\nimpl Bag {\n    pub fn with(&self, x: u32) -> Vec<u32> {\n"
        "        let mut items = &self.items;\n        items.push(x);\n        items.to_vec()\n    }\n}\n")
    assert "let mut items = self.items.clone();" in src


def test_a_library_error_beside_a_test_only_missing_crate_gets_the_model(crate):
    """`#[cfg(test)] extern crate quickcheck;` at the top of lib.rs breaks only the unit-test build; an
    error the library's own build reports too is the source's, and goes to the model."""
    root = crate("clean")
    (root / "src/lib.rs").write_text(
        "#[cfg(test)]\nextern crate quickcheck;\n\npub fn count() -> usize {\n"
        "    let items = Vec::new();\n    items.len()\n}\n")
    eng = ScriptedEngine(["<<<<<<< SEARCH\n    let items = Vec::new();\n=======\n"
                          "    let items: Vec<u8> = Vec::new();\n>>>>>>> REPLACE"])
    res = repair(root, RepairOptions(samples=0), engine=eng)
    assert eng.requests, res.trace
    assert "let items: Vec<u8> = Vec::new();" in res.files["src/lib.rs"].decode(), res.trace


def test_an_unknown_generic_type_becomes_the_std_type_that_type_checks(crate):
    """E0412/E0425 "cannot find type `Maybe`" with no rustc suggestion: each std type taking as many
    generic arguments is tried, and only one that adds no type error is kept: `Option`, tried first for
    `Seq<u32>`, resolves the name but mismatches the body, which the reveal rule must not accept."""
    src = fixed_lib(crate,
        "pub fn evens(xs: &[u32]) -> Seq<u32> {\n    xs.iter().copied().filter(|x| x % 2 == 0).collect::<Vec<_>>()\n}\n\n"
        "pub fn parse(s: &str) -> Outcome<u32, std::num::ParseIntError> {\n    s.parse()\n}\n")
    assert "-> Vec<u32>" in src and "-> Result<u32, std::num::ParseIntError>" in src


def test_rustcs_expect_reason_placeholder_becomes_question_mark_or_unwrap(crate):
    """E0599 "no method named `len` found for enum `Option`": rustc suggests `.expect("REASON")`, a
    placeholder; `?` compiles where the function returns an Option, `.unwrap()` where it does not."""
    src = fixed_lib(crate,
        "pub fn width(s: Option<String>) -> Option<usize> {\n    Some(s.len())\n}\n\n"
        "pub fn height(s: Option<String>) -> usize {\n    s.len()\n}\n")
    assert "Some(s?.len())" in src and "    s.unwrap().len()" in src and "REASON" not in src


def test_a_method_taking_self_by_value_borrows_it_instead(crate):
    """E0507 "cannot move out of `*self` which is behind a mutable reference": the called method takes
    `self` by value (rustc's note points at it) and suggests nothing; `&self` on that method compiles."""
    src = fixed_lib(crate,
        "pub struct Stack {\n    items: Vec<u32>,\n}\n\nimpl Stack {\n"
        "    pub fn len(self) -> usize {\n        self.items.len()\n    }\n\n"
        "    pub fn push(&mut self, x: u32) -> usize {\n        self.items.push(x);\n        self.len()\n    }\n\n"
        "    pub fn first<'a>(self, _other: &'a Stack) -> &'a u32 {\n        &self.items[0]\n    }\n}\n")
    assert "pub fn len(&self) -> usize" in src
    # E0515: the result borrows from `self` for `'a`, so only `&'a self` compiles
    assert "pub fn first<'a>(&'a self, _other: &'a Stack)" in src


def test_rustcs_type_placeholder_is_filled_with_the_return_type(crate):
    """E0282 "type annotations needed" on a binding the function returns: rustc's `: /* Type */`
    placeholder becomes the function's return type."""
    src = fixed_lib(crate,
        "pub fn evens(n: u32) -> Vec<u32> {\n    let mut out = Default::default();\n"
        "    for i in 0..n {\n        out.push(2 * i);\n    }\n    out\n}\n")
    assert "let mut out: Vec<u32> = Default::default();" in src


def test_an_iterator_of_references_collected_as_values_copies_or_clones(crate):
    """E0277 "a value of type `Vec<u32>` cannot be built from an iterator over elements of type
    `&u32`": `.iter()` in the error's span gains `.copied()` (u32 is Copy) or `.cloned()` (String is not)."""
    src = fixed_lib(crate,
        "pub fn ids(xs: &[u32]) -> Vec<u32> {\n    xs.iter().collect()\n}\n\n"
        "pub fn names(xs: &[String]) -> Vec<String> {\n    xs.iter().collect()\n}\n")
    assert "    xs.iter().copied().collect()\n}\n\npub fn names" in src
    assert "    xs.iter().cloned().collect()\n}\n" in src


def test_numbers_of_different_types_get_an_as_cast(crate):
    """E0277 "the type `[u8]` cannot be indexed by `u8`" → the index `as usize`; "cannot divide
    `{integer}` by `f64`" (span: the operator) → the integer operand `as f64`."""
    src = fixed_lib(crate,
        "pub fn hex(table: &[u8], byte: u8) -> u8 {\n    table[(byte >> 4)]\n}\n\n"
        "pub fn ratio(a: &[u8], b: &[u8]) -> f64 {\n    (2 * a.len()) / (a.len() + b.len()) as f64\n}\n")
    assert "table[(byte >> 4) as usize]" in src
    assert "(2 * a.len()) as f64 / (a.len() + b.len()) as f64" in src


def test_a_method_moving_out_of_a_reference_is_called_through_as_ref(crate):
    """E0507 "cannot move out of `*opt` which is behind a shared reference", moved by `.map(..)`:
    `.as_ref()` before the call; rustc's own suggestions (clone it, derive Clone) do not compile."""
    src = fixed_lib(crate,
        "pub struct Token(u32);\n\n"
        "pub fn id(tok: &Option<Token>) -> Option<u32> {\n    tok.map(|t| t.0)\n}\n")
    assert "tok.as_ref().map(|t| t.0)" in src


def test_a_shared_borrow_passed_where_a_mutable_one_is_expected_becomes_mut(crate):
    """E0308 "types differ in mutability" on a `&v` argument (rustc suggests nothing) → `&mut v`;
    E0507 moving a field out from behind `&mut self` → `std::mem::take(&mut self.field)` (a `Vec` of a
    type that is not Clone, so rustc's own "clone the value" does not apply)."""
    src = fixed_lib(crate,
        "fn fill(v: &mut Vec<u32>) {\n    v.push(1);\n}\n\n"
        "pub struct Token(u32);\n\npub struct Buf {\n    cur: Vec<Token>,\n    done: Vec<Vec<Token>>,\n    ids: Vec<u32>,\n}\n\n"
        "impl Buf {\n"
        "    pub fn refill(&mut self) {\n        fill(&self.ids);\n    }\n\n"
        "    pub fn flush(&mut self) {\n        let chunk = self.cur;\n        self.done.push(chunk);\n    }\n}\n")
    assert "fill(&mut self.ids);" in src and "let chunk = std::mem::take(&mut self.cur);" in src


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


def test_a_field_the_struct_lacks_is_added_to_its_definition(crate):
    """E0560 "struct `Lion` has no field named `father`" with no similar field: the field is added to
    the struct, typed like the initializer's literal (`0` → the struct's integer type, `"Mufasa"` →
    `&'static str`), whether the definition spans lines (last field without a comma) or one line."""
    src = fixed_lib(crate,
        "pub struct Lion {\n    pub mother: u8\n}\n\npub struct Name { pub first: String }\n\n"
        "pub fn cub() -> (Lion, Name) {\n"
        "    (Lion { mother: 1, father: 0 }, Name { first: String::new(), last: \"Mufasa\" })\n}\n")
    assert "pub struct Lion {\n    pub mother: u8,\n    father: u8,\n}" in src
    assert "pub struct Name { pub first: String, last: &'static str }" in src


def test_a_needless_deref_or_borrow_of_a_copy_value_is_dropped(crate):
    """E0614 "type `u32` cannot be dereferenced" on `*b` → `b`; E0506 "cannot assign to `self.n`
    because it is borrowed" where the borrow is `&self.n` of a Copy value → the value copied."""
    src = fixed_lib(crate,
        "pub fn all_zero(xs: Vec<u32>) -> bool {\n    xs.into_iter().all(|b| *b == 0)\n}\n\n"
        "pub struct Counter {\n    n: usize,\n}\n\nimpl Counter {\n    pub fn bump(&mut self) -> usize {\n"
        "        let old = &self.n;\n        self.n += 1;\n        old.clone()\n    }\n}\n")
    assert "all(|b| b == 0)" in src and "let old = self.n;" in src


def test_a_missing_field_is_initialized_like_its_siblings(crate):
    """E0063 "missing field `div` in initializer of `Ops`": `div: div::<f64>` after `add: add::<f64>`,
    and a shorthand where a binding of the field's name exists."""
    src = fixed_lib(crate,
        "fn add<T>(_: T) {}\nfn div<T>(_: T) {}\n\npub struct Ops {\n    add: fn(f64),\n    div: fn(f64),\n}\n\n"
        "pub fn ops() -> Ops {\n    Ops {\n        add: add::<f64>,\n    }\n}\n\n"
        "pub struct P { x: i32, y: i32 }\n\npub fn p(x: i32, y: i32) -> P {\n    P { x }\n}\n")
    assert "        add: add::<f64>,\n        div: div::<f64>,\n    }" in src and "P { x, y }" in src


def test_swapped_arguments_are_swapped_back(crate):
    """E0308 "expected `usize`, found fn item" on `fold(Add::add, 0)` (its other argument is wrong too):
    swapping the two arguments type-checks."""
    src = fixed_lib(crate,
        "use std::ops::Add;\n\npub fn total(xs: &[usize]) -> usize {\n    xs.iter().copied().fold(Add::add, 0)\n}\n")
    assert ".fold(0, Add::add)" in src


def test_a_type_name_from_another_language_and_a_misplaced_question_mark(crate):
    """E0412/E0425 "cannot find type `uint`" (no rustc suggestion) → `usize`; E0277 "the `?` operator can
    only be used in a function that returns `Result`" → `.unwrap()`; E0308 "expected `IterMut`, found
    `Iter`" → `.iter_mut()`; E0599 "no method named `iter` found for type parameter `I`" → `into_iter`."""
    src = fixed_lib(crate,
        "pub fn width(cols: &[uint]) -> usize {\n    cols.len()\n}\n\n"
        "pub fn parse(s: &str) -> u32 {\n    let n: u32 = s.parse()?;\n    n\n}\n\n"
        "pub fn each(v: &mut Vec<u32>) -> std::slice::IterMut<'_, u32> {\n    v.iter()\n}\n\n"
        "pub fn count<I: IntoIterator<Item = u8>>(items: I) -> usize {\n    items.iter().count()\n}\n")
    assert "cols: &[usize]" in src and "s.parse().unwrap();" in src and "    v.iter_mut()\n" in src
    assert "items.into_iter().count()" in src


def test_rustcs_lifetime_placeholder_takes_an_available_lifetime(crate):
    """E0106 "missing lifetime specifier" where rustc suggests `Info<'lifetime>` and notes the named
    lifetimes available (`'t`, `'a`): the one that compiles (`'a`, the text's) replaces `'lifetime`."""
    src = fixed_lib(crate,
        "pub struct Info<'t> {\n    pub text: &'t str,\n}\n\nimpl<'t> Info<'t> {\n"
        "    pub fn new<'a>(n: &usize, text: &'a str) -> Info {\n        Info { text: &text[*n..] }\n    }\n}\n")
    assert "text: &'a str) -> Info<'a> {" in src


def test_an_unconstrained_impl_parameter_moves_to_its_methods(crate):
    """E0207 "the type parameter `T` is not constrained by the impl trait, self type, or predicates":
    `T` and its bounds move from the inherent impl onto the methods that use it."""
    src = fixed_lib(crate,
        "pub struct Cache<K> {\n    pub keys: Vec<K>,\n}\n\nimpl<K, T: Default> Cache<K> {\n"
        "    pub fn empty(&self) -> T {\n        T::default()\n    }\n\n    pub fn len(&self) -> usize {\n"
        "        self.keys.len()\n    }\n}\n")
    assert "impl<K> Cache<K> {" in src and "pub fn empty<T: Default>(&self) -> T {" in src
    assert "pub fn len(&self) -> usize {" in src


def test_a_lifetime_argument_a_late_bound_lifetime_forbids_is_removed(crate):
    """E0794 "cannot specify lifetime arguments explicitly if late bound lifetime parameters are
    present" (no rustc suggestion): the turbofish `::<'static>` goes."""
    src = fixed_lib(crate,
        "fn first<'a>(x: &'a str) -> &'a str {\n    x\n}\n\npub fn pick() -> fn(&str) -> &str {\n"
        "    first::<'static>\n}\n")
    assert "    first\n}" in src


def test_returning_an_owned_option_value_where_a_reference_is_wanted_borrows_through_as_mut(crate):
    """E0308 "expected `&mut String`, found `String`" on `self.name.take().unwrap()`; rustc's `&mut ...`
    then returns a temporary (E0515): `self.name.as_mut().take().unwrap()`-like chains type-check."""
    src = fixed_lib(crate, "pub struct Person {\n    name: Option<String>,\n}\n\nimpl Person {\n"
                           "    pub fn name_mut(&mut self) -> &mut String {\n        self.name.take().unwrap()\n    }\n}\n")
    assert "self.name.as_mut()" in src and "&mut self.name" not in src


def test_a_borrow_conflicting_with_a_closures_capture_moves_before_the_closure(crate):
    """E0501 "cannot borrow `*n` as mutable because previous closure requires unique access": the
    conflicting statement moves above the closure's construction (the fix rustc's explanation gives)."""
    src = fixed_lib(crate, "fn bump(x: &mut u32) {\n    *x += 1;\n}\n\npub fn run(n: &mut u32) {\n"
                           "    let mut inc = || bump(n);\n    bump(n);\n    inc();\n}\n")
    assert src.index("    bump(n);\n") < src.index("let mut inc")


def test_a_duplicate_method_definition_is_renamed(crate):
    """E0592 "duplicate definitions with name `len`" across two impl blocks: the other one is renamed."""
    src = fixed_lib(crate, "pub struct Bag(Vec<u8>);\n\nimpl Bag {\n    pub fn len(&self) -> usize {\n        self.0.len()\n    }\n}\n\n"
                           "impl Bag {\n    pub fn len(&self) -> usize {\n        self.0.len() * 8\n    }\n}\n")
    assert src.count("pub fn len(") == 1 and "pub fn len2(" in src


def test_an_attribute_key_given_twice_loses_the_repeat(crate):
    """E0538 "malformed `deprecated` attribute input" (label "found `note` used as a key more than
    once"): the repeated key goes."""
    src = fixed_lib(crate, "#[deprecated(since = \"0.2.0\", note = \"use `run`\", note = \"old\")]\npub fn start() {}\n")
    assert src.count("note =") == 1


def test_a_field_bound_twice_in_a_pattern_is_fixed(crate):
    """E0025 "field `w` bound multiple times in the pattern" (with E0027 for the unmentioned `h`)."""
    src = fixed_lib(crate, "pub struct Size {\n    pub w: u32,\n    pub h: u32,\n}\n\n"
                           "pub fn area(s: Size) -> u32 {\n    let Size { w: a, w: b } = s;\n    a * 2\n}\n")
    assert src.count("w:") == 2  # the struct's field and one binding


#: Errors rustc explains but leaves unfixed (or fixes wrongly), each fixed without the model by a rule in
#: `ferrofix.repair`: (a clean crate's lib.rs, texts the repaired lib.rs contains).
RULE_CASES = [
    # E0599 "no method named `size` found for struct `Vec<u8>`" (rustc suggests nothing similar): `len`.
    pytest.param("pub fn count(v: &Vec<u8>) -> usize {\n    v.size()\n}\n",
                 ['v.len()'], id='a-method-name-from-another-language-becomes-the-rust-one'),
    # E0277 "a slice of type `[u32]` cannot be built": `.collect::<Vec<u32>>()`, rustc's label's type.
    pytest.param("fn total(xs: &[u32]) -> u32 {\n    xs.iter().sum()\n}\n\n"
                 "pub fn squares(n: u32) -> u32 {\n    total(&(0..n).map(|i| i * i).collect())\n}\n",
                 ['.collect::<Vec<u32>>()'], id='collect-into-a-slice-gets-a-turbofish'),
    # E0606 "casting `&Counter` as `*mut Counter` is invalid": the receiver becomes `&mut self`.
    pytest.param("pub struct Counter {\n    n: u32,\n}\n\nimpl Counter {\n"
                 "    pub fn raw(&self) -> *mut Counter {\n        self as *mut Counter\n    }\n}\n",
                 ['pub fn raw(&mut self)'], id='a-mut-pointer-cast-of-self-takes-mut-self'),
    # E0596 "cannot borrow `*item` as mutable, as it is behind a `&` reference" for `if let Some(item) =
    # &self.slot`: the scrutinee becomes `&mut self.slot`.
    pytest.param("pub struct Holder {\n    slot: Option<Vec<u8>>,\n}\n\nimpl Holder {\n"
                 "    pub fn add(&mut self, b: u8) {\n        if let Some(item) = &self.slot {\n"
                 "            item.push(b);\n        }\n    }\n}\n",
                 ['= &mut self.slot'], id='a-binding-from-a-shared-borrow-mutated-borrows-mutably'),
    # "`impl` item signature doesn't match `trait` item signature" (found `Option<&'1 T>`, expected
    # `Option<&'a T>`): the impl's return type takes the trait's lifetime.
    pytest.param("pub struct Items<'a, T> {\n    rest: &'a [T],\n}\n\n"
                 "impl<'a, T> Iterator for Items<'a, T> {\n    type Item = &'a T;\n"
                 "    fn next(&mut self) -> Option<&T> {\n        let (first, rest) = self.rest.split_first()?;\n"
                 "        self.rest = rest;\n        Some(first)\n    }\n}\n",
                 ["fn next(&mut self) -> Option<&'a T>"], id='an-impl-return-type-missing-the-trait-lifetime-gets-it'),
    # "lifetime may not live long enough" for `Box::new(self)` in `fn boxed(&self) -> Box<dyn Shape>`:
    # `Box::new(self.clone())` (rustc's `+ '_` breaks the trait's signature).
    pytest.param("pub trait Shape {\n    fn boxed(&self) -> Box<dyn Shape>;\n}\n\n"
                 "impl<S: Shape + ?Sized> Shape for &S {\n    fn boxed(&self) -> Box<dyn Shape> {\n"
                 "        (**self).boxed()\n    }\n}\n\n"
                 "#[derive(Clone)]\npub struct Square(pub u32);\n\nimpl Shape for Square {\n"
                 "    fn boxed(&self) -> Box<dyn Shape> {\n        Box::new(self)\n    }\n}\n",
                 ['Box::new(self.clone())'], id='boxing-a-borrowed-self-as-a-trait-object-clones-it'),
    # E0614 "type `u8` cannot be dereferenced" in a closure over `self.bytes.into_iter()` behind `&self`:
    # `.iter()` (dropping the `*` would move out of the borrow).
    pytest.param("pub struct Buf {\n    bytes: Vec<u8>,\n}\n\nimpl Buf {\n"
                 "    pub fn all_zero(&self) -> bool {\n        self.bytes.into_iter().all(|b| *b == 0)\n    }\n}\n",
                 ['self.bytes.iter().all(|b| *b == 0)'], id='a-dereferenced-item-of-into-iter-iterates-by-reference'),
    # E0506 "cannot assign to `self.len` because it is borrowed" for `let at = &self.len;` used as `*at`
    # afterwards: the borrow and its dereferences go together.
    pytest.param("pub struct Log {\n    len: usize,\n    marks: Vec<usize>,\n}\n\nimpl Log {\n"
                 "    pub fn mark(&mut self) {\n        let at = &self.len;\n        self.len += 1;\n"
                 "        self.marks.push(*at);\n    }\n}\n",
                 ['let at = self.len;', 'self.marks.push(at);'], id='a-copy-value-borrowed-across-its-assignment-is-copied-with-its-derefs'),
    # E0063 "missing field `data` in initializer of `View<'_>`": the unused parameter of the field's type
    # (lifetimes aside) initializes it.
    pytest.param("pub struct View<'a> {\n    data: &'a [u8],\n    pos: usize,\n}\n\n"
                 "pub fn view<'a>(input: &'a [u8], pos: usize) -> View<'a> {\n    View {\n        pos,\n    }\n}\n",
                 ['data: input'], id='a-missing-field-initializer-takes-the-parameter-of-its-type'),
    # E0609 "no field `width` on type `O`" where `O: Into<Opts>`: the `let` that binds the value converts it
    # with `.into()`.
    pytest.param("pub struct Opts {\n    pub width: usize,\n}\n\nimpl From<usize> for Opts {\n"
                 "    fn from(width: usize) -> Self {\n        Opts { width }\n    }\n}\n\n"
                 "pub fn width<O: Into<Opts>>(o: O) -> usize {\n    let opts = o;\n    opts.width\n}\n",
                 ['let opts = o.into();'], id='a-field-of-an-into-type-parameter-converts-the-binding'),
    # E0603 "constant `LIMIT` is private", E0624 "method `reset` is private", E0616 "field `n` of struct
    # `Counter` is private": each definition becomes `pub` (rustc only points at it).
    pytest.param("mod config {\n    const LIMIT: u32 = 8;\n    pub struct Counter {\n        n: u32,\n    }\n"
                 "    impl Counter {\n        fn reset(&mut self) {\n            self.n = 0;\n        }\n    }\n}\n\n"
                 "pub fn limit() -> u32 {\n    config::LIMIT\n}\n\n"
                 "pub fn clear(c: &mut config::Counter) -> u32 {\n    c.reset();\n    c.n\n}\n",
                 ['pub const LIMIT', 'pub fn reset', 'pub n: u32'], id='a-private-item-used-outside-its-module-is-made-pub'),
    # E0015 "cannot call non-const function `kib` in constants" (note "function `kib` is not const"): `const
    # fn kib`.
    pytest.param("fn kib(n: usize) -> usize {\n    n * 1024\n}\n\npub const BUF: usize = kib(4);\n",
                 ['const fn kib'], id='a-function-called-in-a-constant-becomes-const-fn'),
    # E0728 "`await` is only allowed inside `async` functions and blocks" (label "this is not `async`"):
    # `async fn`.
    pytest.param("async fn fetch() -> u32 {\n    7\n}\n\npub fn twice() -> u32 {\n    fetch().await * 2\n}\n",
                 ['pub async fn twice()'], id='await-in-a-plain-function-makes-it-async'),
    # E0197 "inherent impls cannot be unsafe" (`unsafe` labelled "unsafe because of this").
    pytest.param("pub struct Raw(pub *const u8);\n\nunsafe impl Raw {\n    pub fn ptr(&self) -> *const u8 {\n"
                 "        self.0\n    }\n}\n",
                 ['\nimpl Raw {'], id='unsafe-on-an-inherent-impl-is-removed'),
    # E0621 "explicit lifetime required in the type of `y`": rustc's suggestion (`&'a i32`) carries
    # applicability `Unspecified`; verified like the others.
    pytest.param("pub fn longer<'a>(x: &'a str, y: &str) -> &'a str {\n"
                 "    if x.len() > y.len() { x } else { y }\n}\n",
                 ["y: &'a str"], id='an-unspecified-suggestion-is-a-verified-candidate'),
    # E0435 "attempt to use a non-constant value in a constant": rustc's `const n: /* Type */ = 16;` with the
    # placeholder filled by a type of the literal (`usize`).
    pytest.param("pub fn zeros() -> usize {\n    let n = 16;\n    let buf = [0u8; n];\n    buf.len()\n}\n",
                 ['const n: usize = 16;'], id='a-let-used-as-an-array-length-becomes-a-typed-const'),
    # E0689 "can't call method `neg` on ambiguous numeric type `{float}`": rustc's `let x: f32` then needs
    # `use std::ops::Neg;` (E0599's suggestion); both are applied and verified together.
    pytest.param("pub fn flip() -> f32 {\n    let x = 2.5;\n    x.neg()\n}\n",
                 ['use std::ops::Neg;', 'let x: f32 = 2.5;'], id='a-candidates-new-error-is-fixed-by-rustcs-import-in-the-same-step'),
    # E0392 "type parameter `T` is never used": a struct gets a `PhantomData<T>` field; an enum with only unit
    # variants loses the parameter.
    pytest.param("pub struct Id<T> {\n    pub raw: u64,\n}\n\npub enum Level<T> {\n    Low,\n    High,\n}\n",
                 ['_marker: std::marker::PhantomData<T>,', 'pub enum Level {'], id='an-unused-type-parameter-gets-phantom-data-or-goes'),
    # E0426 "use of undeclared label `'scan`": the loop around the `break 'scan` gets the label.
    pytest.param("pub fn first_even(xs: &[u32]) -> Option<u32> {\n    let mut found = None;\n"
                 "    for &x in xs {\n        if x % 2 == 0 {\n            found = Some(x);\n            break 'scan;\n"
                 "        }\n    }\n    found\n}\n",
                 ["'scan: for &x in xs {"], id='an-undeclared-loop-label-labels-the-enclosing-loop'),
    # E0745 "cannot take address of a temporary": `&raw const 7` → `let value = 7;` first.
    pytest.param("pub fn seven() -> u32 {\n    let p = &raw const 7;\n    unsafe { *p }\n}\n",
                 ['let value = 7;', '&raw const value'], id='the-address-of-a-temporary-binds-it-to-a-local'),
    # E0369 "no implementation for `f64 << {integer}`" on `let flags = 1.0;`: the literal becomes an integer
    # (`1u32`).
    pytest.param("pub fn mask(bit: u32) -> u32 {\n    let flags = 1.0;\n    (flags << bit) as u32\n}\n",
                 ['let flags = 1u32;'], id='a-shift-of-a-float-literal-binding-makes-it-an-integer'),
    # E0415 "identifier `w` is bound more than once in this parameter list": the second `w` → `w2`.
    pytest.param("pub fn area(w: u32, w: u32) -> u32 {\n    w * 2\n}\n",
                 ['pub fn area(w: u32, w2: u32)'], id='a-parameter-name-bound-twice-renames-the-second'),
    # E0071 "expected struct, variant or union type, found `u64`" for `Millis { value: 250 }` where `type
    # Millis = u64`: the value itself, the binding typed with the alias.
    pytest.param("pub type Millis = u64;\n\npub fn timeout() -> Millis {\n    let t = Millis { value: 250 };\n    t\n}\n",
                 ['let t: Millis = 250;'], id='a-struct-literal-of-a-builtin-type-alias-becomes-its-value'),
    # E0367 "`Drop` impl requires `T: Flush` but the struct it is implemented for does not": the struct's
    # definition states the bound too.
    pytest.param("pub trait Flush {\n    fn flush(&mut self);\n}\n\npub struct Guard<T> {\n    inner: T,\n}\n\n"
                 "impl<T: Flush> Drop for Guard<T> {\n    fn drop(&mut self) {\n        self.inner.flush();\n    }\n}\n",
                 ['pub struct Guard<T: Flush> {'], id='a-drop-impls-bound-is-added-to-the-type'),
    # E0797 "base expression required after `..`": rustc's `../* expr */` filled with an earlier binding of
    # the same struct (or `Default::default()`).
    pytest.param("#[derive(Clone, Default)]\npub struct Style {\n    pub bold: bool,\n    pub size: u8,\n}\n\n"
                 "pub fn heading() -> Style {\n    let base = Style { bold: false, size: 12 };\n"
                 "    let h = Style { size: 20, .. };\n    h\n}\n",
                 ['Style { size: 20, ..base }'], id='a-struct-update-without-a-base-takes-an-earlier-value'),
    # E0793 "reference to field of packed struct is unaligned": `&h.len` → `&raw const h.len`; the implicit
    # borrow in `format!` → a copy `{ h.len }`.
    pytest.param("#[repr(packed)]\npub struct Header {\n    pub tag: u8,\n    pub len: u32,\n}\n\n"
                 "pub fn show(h: &Header) -> (String, *const u32) {\n    let p = &h.len;\n"
                 "    (format!(\"{}\", h.len), p as *const u32)\n}\n",
                 ['let p = &raw const h.len;', '{ h.len }'], id='a-reference-to-a-packed-field-becomes-a-raw-pointer-or-a-copy'),
    # E0637 "`'_` cannot be used here" on `fn pick<'_>` → `'a` throughout the signature; "`&` without an
    # explicit lifetime name cannot be used here" in `where I: Iterator<Item = &u8>` (rustc's `for<'a>` gives
    # E0582 there) → a lifetime parameter of the function.
    pytest.param("pub fn pick<'_>(a: &'_ str, b: &'_ str) -> &'_ str {\n    if a < b { a } else { b }\n}\n\n"
                 "pub fn total<I>(bytes: I) -> u32\nwhere\n    I: Iterator<Item = &u8>,\n{\n"
                 "    bytes.map(|b| *b as u32).sum()\n}\n",
                 ["pub fn pick<'a>(a: &'a str, b: &'a str) -> &'a str", "pub fn total<'a, I>(bytes: I)", "Item = &'a u8"], id='reserved-and-missing-lifetimes-in-signatures-get-a-named-one'),
    # E0695 "unlabeled `break` inside of a labeled block": the loop it leaves gets a label the `break` names
    # (what the unlabeled `break` meant).
    pytest.param("pub fn first(xs: &[u8]) -> usize {\n    let mut i = 0;\n    loop {\n        'check: {\n"
                 "            if xs[i] == 0 {\n                break;\n            }\n            if xs[i] > 9 {\n"
                 "                break 'check;\n            }\n        }\n        i += 1;\n    }\n    i\n}\n",
                 ["'outer: loop {", "break 'outer;"], id='an-unlabeled-break-in-a-labeled-block-names-its-loop'),
    # E0573 "expected type, found variant `Level::High`" in a signature: `Level`.
    pytest.param("pub fn is_high() -> bool {\n    enum Level {\n        Low,\n        High,\n    }\n"
                 "    fn top() -> Level::High {\n        Level::High\n    }\n    matches!(top(), Level::High)\n}\n",
                 ['fn top() -> Level {'], id='a-variant-used-as-a-type-becomes-its-enum'),
    # E0765 "unterminated double quote string": the closing `"` goes before the line's `;`.
    pytest.param("pub fn greeting() -> &'static str {\n    let s = \"hello;\n    s\n}\n",
                 ['let s = "hello";'], id='an-unterminated-string-is-closed-before-the-statement-ends'),
    # E0801 "invalid generic `self` parameter type: `P`": the receiver becomes `&self`.
    pytest.param("pub struct Node(pub u32);\n\nimpl Node {\n"
                 "    pub fn id<P: std::ops::Deref<Target = Self>>(self: P) -> u32 {\n        self.0\n    }\n}\n",
                 ['(&self) -> u32'], id='a-generic-self-type-becomes-a-reference'),
    # E0784 "union expressions should have exactly one field": the first of two stays; an empty one sets the
    # union's first field.
    pytest.param("pub union Word {\n    pub int: u32,\n    pub float: f32,\n}\n\n"
                 "pub fn words() -> (Word, Word) {\n    (Word { int: 1, float: 2.0 }, Word {})\n}\n",
                 ['Word { int: 1 }', 'Word { int: Default::default() }'], id='a-union-literal-sets-exactly-one-field'),
]


@pytest.mark.parametrize("source, expected", RULE_CASES)
def test_a_rule_fixes_without_the_model(crate, source, expected):
    src = fixed_lib(crate, source)
    for text in expected:
        assert text in src, src
