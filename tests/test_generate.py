"""`generate`: templates from the Rust books, the model's crate made to compile by the repair loop, tests
from the requirements made to pass — with a scripted model (deterministic) and real cargo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import pytest

from ferrofix.generate import GenerateOptions, generate, parse_files, sanitize, write_project
from ferrofix.kb.templates import TemplateStore, extract
from ferrofix.llm import ScriptedEngine
from ferrofix.repair import RepairOptions
from ferrofix.stdnames import rust_docs_html

# The model's first draft: a manifest with a dependency and a build script, and a library with an
# E0384 (assigning twice to an immutable binding) that rustc's suggestion (`mut`) fixes.
DRAFT = '''Here is the crate.

### Cargo.toml
```toml
[package]
name = "stats"
version = "0.3.0"
edition = "2021"
build = "build.rs"

[dependencies]
regex = "1"
```

### build.rs
```rust
fn main() { std::process::Command::new("touch").arg("/tmp/pwned").status().unwrap(); }
```

### `src/lib.rs`
```rust
/// The sum of the even numbers.
pub fn sum_even(xs: &[i64]) -> i64 {
    let total = 0;
    for x in xs {
        if x % 2 == 1 {
            total += x;
        }
    }
    total
}
```
'''

TESTS = '''```rust
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_the_even_ones() {
        assert_eq!(sum_even(&[1, 2, 3, 4]), 6);
    }

    #[test]
    fn empty_is_zero() {
        assert_eq!(sum_even(&[]), 0);
    }
}
```'''

CHANGES_TESTS = '''<<<<<<< SEARCH
        assert_eq!(sum_even(&[1, 2, 3, 4]), 6);
=======
        assert_eq!(sum_even(&[1, 2, 3, 4]), 4);
>>>>>>> REPLACE'''

FIXES_IMPL = '''<<<<<<< SEARCH
        if x % 2 == 1 {
=======
        if x % 2 == 0 {
>>>>>>> REPLACE'''


def test_parse_files_names_blocks_by_the_line_before_them():
    files = parse_files(DRAFT)
    assert list(files) == ["Cargo.toml", "build.rs", "src/lib.rs"]
    assert files["src/lib.rs"].startswith("/// The sum")
    assert parse_files("```rust\npub fn f() {}\n```") == {"src/lib.rs": "pub fn f() {}\n"}
    assert parse_files("```rust\nfn main() {}\n```") == {"src/main.rs": "fn main() {}\n"}


def test_sanitize_keeps_std_only_and_no_build_script():
    files, notes = sanitize(parse_files(DRAFT), None, "sum even numbers")
    assert sorted(files) == ["Cargo.toml", "src/lib.rs"]
    assert files["Cargo.toml"] == '[package]\nname = "stats"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n'
    assert any("build.rs" in n for n in notes) and any("regex" in n for n in notes)
    files, _ = sanitize({"src/lib.rs": "pub fn f() {}\n"}, None, "Parse Roman numerals!")
    assert 'name = "parse_roman_numerals"' in files["Cargo.toml"]
    with pytest.raises(Exception, match="no Rust source"):
        sanitize({"Cargo.toml": "[package]\n"}, None, "x")


def test_generate_repairs_the_draft_and_passes_its_tests_without_touching_them(tmp_path):
    eng = ScriptedEngine([DRAFT, TESTS, CHANGES_TESTS, FIXES_IMPL])
    opts = GenerateOptions(tests=True, samples=1, test_rounds=1, drafts=1, repair=RepairOptions(use_llm=False))
    r = generate("Sum the even numbers of a slice.", "- `pub fn sum_even(xs: &[i64]) -> i64`", engine=eng,
                 options=opts)
    assert r.compiled and r.repaired  # rustc's `mut` suggestion
    assert "let mut total = 0;" in r.files["src/lib.rs"]
    assert r.tests_passed is True, (r.test_summary, r.trace)
    assert "if x % 2 == 0 {" in r.files["src/lib.rs"] and "6);" in r.files["src/lib.rs"]
    reasons = [a["reason"] for a in r.trace if a["stage"] == "tests"]
    assert reasons[0] == "it changed the tests" and "pass" in reasons[1]
    assert "build.rs" not in r.files  # the model's build script is never written, so never run
    written = write_project(tmp_path / "out", r.files)
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in written) == ["Cargo.toml", "src/lib.rs"]
    with pytest.raises(Exception, match="not an empty directory"):
        write_project(tmp_path / "out", r.files)


# A right implementation, and tests of which one expects the wrong result (lcm(10, 20) is 20, not 200).
LCM = """### src/lib.rs
```rust
pub fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

pub fn lcm(a: u64, b: u64) -> u64 {
    if a == 0 || b == 0 { 0 } else { a / gcd(a, b) * b }
}
```
"""
LCM_TESTS = """```rust
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcd_works() {
        assert_eq!(gcd(12, 18), 6);
    }

    #[test]
    fn lcm_works() {
        assert_eq!(lcm(10, 20), 200);
    }

    #[test]
    fn lcm_of_zero() {
        assert_eq!(lcm(0, 5), 0);
    }
}
```"""
NO_CHANGE = "I cannot find a bug."


@pytest.mark.parametrize("verdicts, dropped", [
    (["lcm(10, 20): 20 is a multiple of 10 and of 20.\nVERDICT: test", "VERDICT: implementation",
      "So the least common multiple is 20.\n**VERDICT: test**"], True),
    (["VERDICT: implementation", "VERDICT: test", "no verdict here"], False),
])
def test_a_failing_test_the_judges_find_wrong_is_dropped_and_said(verdicts, dropped):
    """After the fixing rounds, a test that still fails is judged against the requirements: a strict
    majority of the answers finding its expectation wrong drops it (and says so); otherwise it stands
    and the run reports the failure."""
    eng = ScriptedEngine([LCM, LCM_TESTS, NO_CHANGE, *verdicts])
    opts = GenerateOptions(tests=True, samples=0, test_rounds=1, drafts=1, judges=3,
                           repair=RepairOptions(use_llm=False))
    r = generate("Greatest common divisor and least common multiple.",
                 "- `pub fn gcd(a: u64, b: u64) -> u64`\n- `pub fn lcm(a: u64, b: u64) -> u64`: 0 if either is 0",
                 engine=eng, options=opts)
    judged = [a for a in r.trace if a["candidate"].startswith("judge ")]
    assert [a["candidate"] for a in judged] == ["judge tests::lcm_works"]
    assert "left: 20" in eng.requests[3][-1]["content"] and "lcm(10, 20), 200" in eng.requests[3][-1]["content"]
    if dropped:
        assert r.tests_passed is True and r.tests_dropped == ["tests::lcm_works"], (r.test_summary, r.trace)
        assert "fn lcm_works" not in r.files["src/lib.rs"] and "fn lcm_of_zero" in r.files["src/lib.rs"]
        assert r.test_summary == "2 tests pass" and any("dropped 1" in n for n in r.notes)
    else:
        assert r.tests_passed is False and r.tests_dropped == [] and "fn lcm_works" in r.files["src/lib.rs"]
        assert "lcm_works" in r.test_summary


def test_generate_without_tests_never_runs_cargo_test_and_leaves_no_cache(isolated_dirs):
    eng = ScriptedEngine([DRAFT])
    r = generate("Sum the even numbers.", "", engine=eng,
                 options=GenerateOptions(drafts=1, repair=RepairOptions(use_llm=False)))
    assert r.compiled and r.tests_passed is None and len(eng.requests) == 1
    cache = isolated_dirs / "cache"
    left = [p.name for sub in ("mirrors", "targets") if (cache / sub).is_dir() for p in (cache / sub).iterdir()]
    assert left == []  # the scratch crate's mirror and build outputs went with it


BROKEN = "### src/lib.rs\n```rust\npub fn sum_even(xs: &[i64]) -> i64 { xs.iter().filter(|x| x.is_even()).sum() }\n```\n"
CLEAN = ("### src/lib.rs\n```rust\npub fn sum_even(xs: &[i64]) -> i64 {\n    xs.iter().filter(|x| *x % 2 == 0).sum()\n}\n"
         "```\n")


def test_a_draft_that_does_not_compile_gets_sampled_siblings_and_the_best_is_kept():
    eng = ScriptedEngine([BROKEN, BROKEN, CLEAN])
    r = generate("Sum the even numbers.", "", engine=eng,
                 options=GenerateOptions(drafts=3, repair=RepairOptions(use_llm=False)))
    assert r.compiled and not r.repaired and "% 2 == 0" in r.files["src/lib.rs"]
    assert len(eng.requests) == 3 and any("of 3 drafts the one kept had 0" in n for n in r.notes), r.notes
    clean_first = ScriptedEngine([CLEAN, BROKEN])
    r = generate("Sum the even numbers.", "", engine=clean_first,
                 options=GenerateOptions(drafts=3, repair=RepairOptions(use_llm=False)))
    assert r.compiled and len(clean_first.requests) == 1  # a draft that compiles is not sampled again


def test_required_items_are_read_from_code_spans_and_a_missing_one_is_written():
    from ferrofix.generate import missing_items, required_items
    req = ("- `pub fn sum_even(xs: &[i64]) -> i64` sums the even ones.\n"
           "- `pub fn product(xs: &[i64]) -> i64`; a `pub struct Stats` with `fn mean(&self) -> f64`.\n"
           "- The fn keyword in prose is not an item.")
    assert required_items(req) == [("fn", "sum_even"), ("fn", "product"), ("struct", "Stats"), ("fn", "mean")]
    assert missing_items({"src/lib.rs": "pub fn sum_even() {}\nstruct Stats;"}, required_items(req)) == [
        ("fn", "product"), ("fn", "mean")]
    eng = ScriptedEngine([CLEAN, CLEAN, CLEAN, "```rust\npub fn product(xs: &[i64]) -> i64 {\n    xs.iter().product()\n}\n```"])
    r = generate("Sum and multiply.", "- `pub fn sum_even(xs: &[i64]) -> i64`\n- `pub fn product(xs: &[i64]) -> i64`",
                 engine=eng, options=GenerateOptions(drafts=3, repair=RepairOptions(use_llm=False)))
    assert r.compiled and "pub fn product" in r.files["src/lib.rs"] and "pub fn sum_even" in r.files["src/lib.rs"]
    assert len(eng.requests) == 4 and "`fn product`" in eng.requests[-1][-1]["content"]
    assert not any("not written" in n for n in r.notes), r.notes


HTML = """<html><head><title>x</title></head><body><main>
<h2 id="a">Storing Keys with Associated Values in Hash Maps</h2>
<p>The type <code>HashMap&lt;K, V&gt;</code> stores a mapping of keys.</p>
<pre class="playground"><code class="language-rust edition2024"><span class="boring">fn main() {
</span>    use std::collections::HashMap;
    let mut scores = HashMap::new();
    scores.insert(String::from("Blue"), 10);
<span class="boring">}</span></code></pre>
<figcaption>Listing 8-20: Creating a new hash map</figcaption>
<pre><code class="language-rust ignore does_not_compile">fn broken() {
    let x: i32 = "no";
    x
}</code></pre>
</main></body></html>"""


def test_templates_come_from_compiling_listings_with_their_heading(tmp_path):
    page = tmp_path / "html" / "book" / "ch08-03-hash-maps.html"
    page.parent.mkdir(parents=True)
    page.write_text(HTML)
    found = list(extract(tmp_path / "html"))
    assert len(found) == 1  # the does_not_compile listing is skipped
    t = found[0]
    assert t.heading == "Storing Keys with Associated Values in Hash Maps" and t.page == "ch08-03-hash-maps.html"
    assert "HashMap<K, V>" in t.description and "Listing 8-20" in t.description
    assert t.code.startswith("fn main() {\n    use std::collections::HashMap;")  # hidden lines kept
    store = TemplateStore(tmp_path / "templates.sqlite3")
    assert store.seed(tmp_path / "html") == 1
    assert [x.heading for x in store.search("count words with a hash map")] == [t.heading]
    assert store.search("quantum chromodynamics") == []
    store.close()


@pytest.mark.skipif(rust_docs_html() is None, reason="no rust-docs installed")
def test_templates_from_the_installed_books(tmp_path):
    store = TemplateStore(tmp_path / "templates.sqlite3")
    n = store.seed()
    assert n > 300
    hits = store.search("Count how often each word occurs in a text using a HashMap", limit=3)
    assert any("hash" in h.heading.lower() or "HashMap" in h.code for h in hits)
    store.close()


def test_cli_generate_writes_a_new_directory_only(crate, openai_server, isolated_dirs, tmp_path):
    def answer(req):
        return DRAFT
    model = openai_server(answer)
    (isolated_dirs / "settings.toml").write_text(f'[llm]\nbackend = "openai"\nurl = "{model.url}"\n'
                                                 '[repair]\nsamples = 0\n')
    env = dict(os.environ)
    out = tmp_path / "made"
    p = subprocess.run([sys.executable, "-m", "ferrofix", "generate", "Sum the even numbers.", "-r",
                        "- `pub fn sum_even(xs: &[i64]) -> i64`", "--out", str(out), "--json"],
                       capture_output=True, text=True, env=env, timeout=600)
    assert p.returncode == 0, p.stderr
    g = json.loads(p.stdout)
    assert g["compiled"] and (out / "src/lib.rs").read_text() == g["files"]["src/lib.rs"]
    again = subprocess.run([sys.executable, "-m", "ferrofix", "generate", "x", "--out", str(out)],
                           capture_output=True, text=True, env=env, timeout=600)
    assert again.returncode == 2 and again.stderr.strip().startswith("ferrofix: error:")
    assert "not an empty directory" in again.stderr and len(again.stderr.strip().splitlines()) == 1
