"""rustc's notes and help that describe a fix in words, turned into edits by one mechanism.

Many of rustc's hints carry no machine suggestion, only a message and labelled spans: "if `Config`
implemented `Clone`, you could clone the value" with "consider implementing `Clone` for this type" on
the struct and "you could clone this value" on the move. The edit is named by the *label of each span*,
not by the error code, so one table (`ACTIONS`: label pattern → edit at that span) serves every error
whose notes use those words. All the edits one note asks for make one candidate (a multi-site fix:
`#[derive(Clone)]` on the struct *and* `.clone()` at the use), verified like any other.

Source of the wordings: rustc's borrow checker and type checker diagnostics as emitted by rustc 1.95
(`rustc_borrowck::diagnostics`, `rustc_hir_typeck`), read from `--error-format=json` output.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Callable, Iterator

from ...context import DERIVE_ATTR, derive_names, enclosing_item, let_declaration, nearest_items_named, parse, walk
from ...diagnostics import MAYBE_INCORRECT, Diagnostic, Span
from ...edits import Fix, TextEdit
from .registry import ANY, Example, rule
from .site import Site

#: traits `#[derive]` can add without the type's author writing code
DERIVABLE = ("Clone", "Copy", "Debug", "Default", "PartialEq", "Eq", "Hash", "PartialOrd", "Ord")
_SIMPLE_EXPR = re.compile(r"[\w.:\[\]()&*]+")


def _derive(site: Site, span: Span, trait: str) -> TextEdit | None:
    """`#[derive(trait)]` on the type definition starting at `span` (merged into an existing derive)."""
    if trait not in DERIVABLE:
        return None
    data = site.files.get(span.file_name)
    if data is None:
        return None
    line_start = data.rfind(b"\n", 0, span.byte_start) + 1
    # the attributes and doc comments right above the definition: an existing `#[derive(..)]` grows
    top = line_start
    while top > 0:
        prev = data.rfind(b"\n", 0, top - 1) + 1
        if not data[prev:top].lstrip().startswith((b"#[", b"///", b"//!")):
            break
        top = prev
    for m in DERIVE_ATTR.finditer(data, top, line_start):
        names = derive_names(m.group(1))
        if trait in names:
            return None
        return TextEdit(span.file_name, m.start(1), m.end(1), ", ".join(names + [trait]))
    indent = re.match(rb"[ \t]*", data[line_start:]).group(0).decode()
    return TextEdit(span.file_name, line_start, line_start, f"{indent}#[derive({trait})]\n")


def _text(site: Site, span: Span) -> str | None:
    data = site.files.get(span.file_name)
    return None if data is None else data[span.byte_start:span.byte_end].decode("utf-8", "replace")


def _clone(site: Site, span: Span, _m: re.Match | None = None) -> list[TextEdit] | None:
    text = _text(site, span)
    if not text or "\n" in text:
        return None
    if _SIMPLE_EXPR.fullmatch(text):
        return [TextEdit(span.file_name, span.byte_end, span.byte_end, ".clone()")]
    return [TextEdit(span.file_name, span.byte_start, span.byte_start, "("),
            TextEdit(span.file_name, span.byte_end, span.byte_end, ").clone()")]


def _borrow(site: Site, span: Span, _m: re.Match | None = None) -> list[TextEdit] | None:
    text = _text(site, span)
    if not text or text.startswith("&"):
        return None
    return [TextEdit(span.file_name, span.byte_start, span.byte_start, "&")]


def _implement(site: Site, span: Span, m: re.Match) -> list[TextEdit] | None:
    edit = _derive(site, span, m.group(1))
    return [edit] if edit else None


#: the type in rustc's label of an unmet trait bound ("the trait `Tr<A>` is not implemented for `X`")
_NOT_IMPLEMENTED = re.compile(r"^the trait `([^`]+)` is not implemented for `([^`]+)`$")
#: an inference variable's type as rustc prints it → the type its fallback gives
_FALLBACK = {"{integer}": "i32", "{float}": "f64"}
_NO_IMPLEMENTATIONS = re.compile(r"^this trait has no implementations, consider adding one$")


def _required_items(trait: bytes) -> bool:
    """Whether a trait item's source declares an item an impl must write: a method without a body, an
    associated type or a const without a value (tree-sitter-rust: `function_signature_item`,
    `associated_type`, `const_item` without a `value`)."""
    body = next((c for c in parse(trait).root_node.named_children if c.type == "trait_item"), None)
    body = body.child_by_field_name("body") if body is not None else None
    if body is None:
        return True
    return any(c.type in ("function_signature_item", "associated_type")
               or c.type == "const_item" and c.child_by_field_name("value") is None
               for c in body.named_children)


def _unimplemented(error: Diagnostic, span: Span) -> tuple[str, str] | None:
    """(trait, type) of an error "the trait `Tr` is not implemented for `X`" whose help "this trait has
    no implementations" points at `span`: the trait's last path segment with its arguments, the type
    ready for an impl header; None for another error, or a type no impl can name (a closure, an opaque
    or an inferred type)."""
    label = next((s.label for s in error.spans if s.is_primary and s.label), "")
    m = _NOT_IMPLEMENTED.match(label or "")
    if not m or not any(_NO_IMPLEMENTATIONS.match(c.message) and any(
            (s.file_name, s.byte_start) == (span.file_name, span.byte_start) for s in c.spans)
            for c in error.children):
        return None
    ty = _FALLBACK.get(m.group(2), m.group(2)).replace("&'_ ", "&")
    if "{" in ty or "impl " in ty or re.search(r"(?<![\w'])_(?!\w)|'_", ty):
        return None
    return re.sub(r"^(?:\w+::)+", "", m.group(1)), ty


def _add_impl(site: Site, span: Span, _m: re.Match | None = None) -> list[TextEdit] | None:
    """rustc's "this trait has no implementations, consider adding one" at a trait the crate defines
    (`span`), for the error "the trait `Tr` is not implemented for `X`": `impl Tr for X {}` after the
    trait — one for each type the last check's errors say lacks it, since after the first impl rustc
    no longer gives the help — when the trait requires no item (its methods all have bodies).
    `{integer}` becomes `i32`, `{float}` `f64` (rustc's fallback types); named lifetimes in `X` are
    declared on the impl; closure, opaque and inferred types are left alone."""
    data = site.files.get(span.file_name)
    first = _unimplemented(site.error, span)
    if data is None or first is None:
        return None
    item = enclosing_item(data, span.byte_start, span.byte_end)
    if item is None or item.kind != "trait_item" or _required_items(item.text.encode()):
        return None
    indent = re.match(r"[ \t]*", item.text).group(0)
    types = [first[1]] + [found[1] for e in site.last.errors
                          if e is not site.error and (found := _unimplemented(e, span)) is not None]
    impls = list(dict.fromkeys(f"impl{_lifetimes(ty)} {first[0]} for {ty} {{}}" for ty in types))
    text = "".join(f"\n\n{indent}{h}" for h in impls)
    return [TextEdit(span.file_name, item.byte_end, item.byte_end, text)]


def _lifetimes(ty: str) -> str:
    """The generics an impl for `ty` declares: its named lifetimes but `'static` (`<'b>`), or ""."""
    named = sorted(set(re.findall(r"'\w+", ty)) - {"'static"})
    return f"<{', '.join(named)}>" if named else ""


def _make_public(site: Site, span: Span, m: re.Match) -> list[TextEdit] | None:
    """`pub` on the item the note names (E0364 "consider marking `foo` as `pub` in the imported
    module", E0365 "consider declaring type or module `parser` with `pub`"): of the workspace's items
    with that name that are not `pub` already, the nearest to the note's span (the `use`), its
    restricted visibility (`pub(crate)`) widened or `pub ` put before it."""
    for f, node in nearest_items_named(site.files, m.group(1), span.file_name, span.byte_start):
        vis = next((c for c in node.children if c.type == "visibility_modifier"), None)
        if vis is None:
            return [TextEdit(f, node.start_byte, node.start_byte, "pub ")]
        if vis.text != b"pub":
            return [TextEdit(f, vis.start_byte, vis.end_byte, "pub")]
    return None


#: rustc's note naming an item to make `pub` (E0364: "consider marking `foo` as `pub` in the imported
#: module"; E0365: "consider declaring type or module `parser` with `pub`")
_PUB_NOTE = re.compile(r"^consider (?:marking|declaring type or module) `(\w+)` (?:as|with) `pub`")

#: label of a span in a note (or the note's own message, for its unlabelled primary span) → the edit
#: there, or None when it cannot be made
ACTIONS: tuple[tuple[re.Pattern, Callable[[Site, Span, re.Match], list[TextEdit] | None]], ...] = (
    (re.compile(r"^consider implementing `(\w+)` for this type$"), _implement),
    (re.compile(r"^you could clone this value$"), _clone),
    (re.compile(r"^consider borrowing here$"), _borrow),
    (re.compile(r"^this parameter takes ownership of the value$"), _borrow),
    (_NO_IMPLEMENTATIONS, _add_impl),
    (_PUB_NOTE, _make_public),
)
#: notes that name what to edit in words and need no span of their own: without one they act at the
#: error's primary span (E0365's "= note: consider declaring type or module `parser` with `pub`")
SPANLESS_ACTIONS = (_PUB_NOTE,)
#: labels a note's span may carry that ask for no edit (context only)
CONTEXT_LABELS = re.compile(r"^in this (?:function|method)$|^$")
#: what the error's own spans need when a note asks to borrow a parameter: the argument moved into it
_MOVED_HERE = re.compile(r"^value moved here")


def _initialise(site: Site, span: Span, _m: re.Match | None = None) -> list[TextEdit] | None:
    """`let x: T;` → `let x: T = Default::default();` (E0381: "binding declared here but left
    uninitialized"), with `mut` when the binding is assigned later (rustc's label "binding initialized
    here in some conditions", or an `x = ...` after the `let` in the enclosing item)."""
    data = site.files.get(span.file_name)
    if data is None:
        return None
    semi = data.find(b";", span.byte_end)
    # only a `let` with at most a type annotation between the pattern and its `;`
    if semi < 0 or not re.fullmatch(rb"\s*(?::[^=;{}]+)?", data[span.byte_end:semi]) or \
            not re.search(rb"\blet\s+$", data[max(0, span.byte_start - 20):span.byte_start]):
        return None
    edits = [TextEdit(span.file_name, semi, semi, " = Default::default()")]
    pattern = data[span.byte_start:span.byte_end]
    item = enclosing_item(data, span.byte_start, span.byte_end)
    later = data[semi:item.byte_end] if item is not None else b""
    assigned = any(s.label and s.label.startswith("binding initialized here") for s in site.error.spans) or \
        re.search(rb"(?<![\w.])" + re.escape(pattern) + rb"\s*=(?!=)", later) is not None
    if assigned and not pattern.startswith(b"mut ") and re.fullmatch(rb"\w+", pattern):
        edits.insert(0, TextEdit(span.file_name, span.byte_start, span.byte_start, "mut "))
    return edits


#: labels of the error's own spans that name an edit there (one candidate with all of them)
ERROR_ACTIONS: tuple[tuple[re.Pattern, Callable[[Site, Span, re.Match], list[TextEdit] | None]], ...] = (
    (re.compile(r"^binding declared here but left uninitialized$"), _initialise),
)
#: labels of the error's own spans that name what is wrong there, with the usual fixes as alternative
#: candidates (each verified on its own): E0525 "closure is `FnOnce` because it moves the variable `x`
#: out of its environment" → borrow `&x`, else clone `x.clone()`
ERROR_ALTERNATIVES: tuple[tuple[re.Pattern, tuple[Callable[[Site, Span, re.Match], list[TextEdit] | None], ...]],
                          ...] = (
    (re.compile(r"^closure is `FnOnce` because it moves the variable `[^`]+` out of its environment$"),
     (_borrow, _clone)),
)


def note_fixes(site: Site) -> Iterator[Fix]:
    """One candidate per note whose labelled spans all name an edit in `ACTIONS` (and at least one
    does); a note asking for a parameter to borrow also borrows the argument the error says was moved
    into it. Labels of the error's own spans (`ERROR_ACTIONS`) make one more candidate, and each
    alternative of a label in `ERROR_ALTERNATIVES` one more."""
    own: list[TextEdit] = []
    for span in site.error.spans:
        for pat, fn in ERROR_ACTIONS:
            if span.label and (m := pat.match(span.label)) and (made := fn(site, span, m)):
                own += made
    if own and all(e.file in site.files for e in own):
        yield Fix(f"rustc's label: {site.error.message}", tuple(own), MAYBE_INCORRECT)
    for span in site.error.spans:
        for pat, fns in ERROR_ALTERNATIVES:
            if span.label and (m := pat.match(span.label)):
                for fn in fns:
                    if (made := fn(site, span, m)) and all(e.file in site.files for e in made):
                        yield Fix(f"rustc's label: {span.label}", tuple(made), MAYBE_INCORRECT)
    for child in site.error.children:
        if any(s.suggested_replacement is not None for s in child.spans):
            continue  # rustc's own suggestion: the rustc family has it
        edits: list[TextEdit] = []
        ok = True
        spans = child.spans
        if not spans and site.span is not None and any(p.match(child.message) for p in SPANLESS_ACTIONS):
            spans = [dataclasses.replace(site.span, label=child.message)]
        for span in spans:
            label = span.label or (child.message if span.is_primary else "")
            action = next(((fn, m) for pat, fn in ACTIONS if (m := pat.match(label))), None)
            if action is None:
                if CONTEXT_LABELS.match(label or ""):
                    continue
                ok = False
                break
            made = action[0](site, span, action[1])
            if not made:
                ok = False
                break
            edits += made
        if not ok or not edits:
            continue
        if any(s.label and s.label.startswith("this parameter takes ownership") for s in child.spans):
            moved = [s for s in site.error.spans if s.label and _MOVED_HERE.match(s.label)]
            if len(moved) != 1 or not (extra := _borrow(site, moved[0])):
                continue
            edits += extra
        if all(e.file in site.files for e in edits):
            yield Fix(f"rustc's note: {child.message}", tuple(edits), MAYBE_INCORRECT)


# E0382 on a struct without `Clone`: rustc's note names two sites, the definition and the move; a
# parameter that only reads its argument: borrow it there and at the call
@rule(ANY, priority=2650, span=False, examples=[
    Example("derive-clone-and-clone-at-the-move", """\
pub struct Config {
    pub name: String,
}

fn keep(c: Config) -> Vec<Config> {
    vec![c]
}

pub fn run() -> usize {
    let c = Config { name: String::from("a") };
    let all = keep(c);
    all.len() + c.name.len()
}
""", after=("#[derive(Clone)]\npub struct Config", "keep(c.clone())")),
    # the struct's field type needs `Clone` too: rustc's suggestion for that comes in the same step
    Example("derive-clone-on-the-field-type-too", """\
pub struct Name(String);

pub struct Config {
    pub name: Name,
}

fn keep(c: Config) -> Vec<Config> {
    vec![c]
}

pub fn run() -> usize {
    let c = Config { name: Name(String::from("a")) };
    let all = keep(c);
    all.len() + c.name.0.len()
}
""", after=("#[derive(Clone)]\npub struct Name", "#[derive(Clone)]\npub struct Config", "keep(c.clone())")),
    Example("borrow-the-parameter-and-the-argument", """\
pub struct Config {
    pub name: String,
}

fn consume(c: Config) -> usize {
    c.name.len()
}

pub fn run() -> usize {
    let c = Config { name: String::from("a") };
    let n = consume(c);
    n + c.name.len()
}
""", after=("fn consume(c: &Config)", "consume(&c)")),
    Example("borrow-what-a-closure-moves-out-of-its-environment", """\
pub struct Job {
    pub name: String,
}

fn log<T>(_: T) {}

fn twice<F: Fn()>(f: F) {
    f();
    f();
}

pub fn run(job: Job) {
    let print = || log(job);
    twice(print);
}
""", after=("log(&job)",)),
    Example("initialise-a-binding-used-possibly-uninitialised", """\
pub fn last_even(v: &[i64]) -> i64 {
    let found: i64;
    for x in v {
        if x % 2 == 0 {
            found = *x;
        }
    }
    found
}
""", after=("let mut found: i64 = Default::default();",)),
    Example("implement-a-trait-rustc-says-has-no-implementations", """\
pub trait Describe {
    fn describe(&self) -> String {
        String::from("a thing")
    }
}

pub fn show<T: Describe>(x: T) -> String {
    x.describe()
}

pub fn run() -> String {
    show(3u8) + &show(2.5)
}
""", after=("}\n\nimpl Describe for u8 {}\n\nimpl Describe for f64 {}\n",)),
    Example("a-module-re-exported-under-another-name-is-made-pub", """\
mod parser {
    pub fn fields(line: &str) -> Vec<&str> {
        line.split(',').collect()
    }
}

pub use parser as csv;
""", after=("pub mod parser {", "pub use parser as csv;")),
    Example("a-private-function-re-exported-by-a-child-module-is-made-pub", """\
mod shapes {
    fn area(w: u32, h: u32) -> u32 {
        w * h
    }

    pub mod prelude {
        pub use super::area;
    }
}
""", after=("    pub fn area(w: u32, h: u32)", "pub use super::area;")),
])
def rustc_notes(site: Site) -> Iterator[Fix]:
    """Edits rustc's notes describe in words (`note_fixes`)."""
    yield from note_fixes(site)


# E0502 on `vec[vec.len() - 1] = 123` (`IndexMut` borrows `vec` mutably before the index is read): two
# helps, "try adding a local storing this..." at `vec.len()` and "...and then using that local here"
# at the index, with no suggestion
@rule(ANY, priority=2660, examples=[
    Example("a-local-stores-what-a-mutable-borrow-needs-first", """\
pub fn bump_last(vec: &mut Vec<u32>) {
    vec[vec.len() - 1] += 1;
}
""", after=("    let len = vec.len();\n    vec[len - 1] += 1;\n",)),
])
def store_in_local(site: Site) -> list[Fix]:
    """rustc's "try adding a local storing this..." (span A) followed by "...and then using that local
    here" (span B, which holds A): `let name = A;` inserted before B's statement, at its indent, and A
    replaced by `name` (named after A's last identifier, `vec.len()` → `len`, else `value`; a name the
    enclosing item does not use yet)."""
    kids = site.error.children
    pair = next(((a.spans[0], b.spans[0]) for a, b in zip(kids, kids[1:])
                 if a.message.startswith("try adding a local storing this") and len(a.spans) == 1
                 and b.message.startswith("...and then using that local here") and len(b.spans) == 1), None)
    if pair is None:
        return []
    a, b = pair
    data = site.files.get(a.file_name)
    if data is None or b.file_name != a.file_name or not b.byte_start <= a.byte_start < a.byte_end <= b.byte_end:
        return []
    text = data[a.byte_start:a.byte_end].decode("utf-8", "replace")
    item = enclosing_item(data, a.byte_start, a.byte_end)
    scope = item.text if item is not None else data.decode("utf-8", "replace")
    names = [n for n in (re.findall(r"[a-z_]\w*", text)[-1:] + ["value", "stored"])
             if n not in ("self", "as") and not re.search(rf"(?<![.\w]){n}\b", scope)]
    if not names:
        return []
    line = data.rfind(b"\n", 0, b.byte_start) + 1
    indent = re.match(rb"[ \t]*", data[line:]).group(0).decode()
    return [Fix(f"store `{text}` in a local first: `let {names[0]} = {text};`",
                (TextEdit(a.file_name, line, line, f"{indent}let {names[0]} = {text};\n"),
                 TextEdit(a.file_name, a.byte_start, a.byte_end, names[0])), MAYBE_INCORRECT)]


#: rustc's E0381 for `let t: T; t.0 = a;` (its help: "partial initialization isn't supported, fully
#: initialize the binding with a default value and mutate it, or use `std::mem::MaybeUninit`")
_PARTIALLY_ASSIGNED = re.compile(r"partially assigned binding `(\w+)` isn't fully initialized")


@rule("E0381", priority=2640, examples=[
    Example("fields-assigned-after-an-uninitialised-let-become-its-initializer", """\
pub struct Span {
    pub lo: u32,
    pub hi: u32,
}

pub fn run() -> (u32, u32) {
    let mut s: Span;
    s.lo = 1;
    s.hi = 2;
    let mut t: (String, u32);
    t.0 = String::new();
    t.1 = 2;
    (s.lo + s.hi, t.1)
}
""", after=("let mut s: Span = Span { lo: 1, hi: 2 };", "let mut t: (String, u32) = (String::new(), 2);"),
        counts=(("s.lo = 1;", 0), ("t.0 = ", 0))),
])
def initialize_from_field_assignments(site: Site) -> Iterator[Fix]:
    """E0381 "partially assigned binding `t` isn't fully initialized" on `let t: T;` followed by field
    assignments (`t.x = a; t.y = b;`, or `t.0 = a;`): rustc's help "fully initialize the binding" as an
    edit — the assignments right after the `let` become its initializer (`T { x: a, y: b }`; for
    fields `0, 1, ..`: the tuple `(a, b)`, then the tuple struct `T(a, b)`), and their statements go.
    rustc suggests no edit for it."""
    m = _PARTIALLY_ASSIGNED.fullmatch(site.error.message)
    if m is None:
        return
    name, data, f = m.group(1), site.data, site.file
    node = let_declaration(data, site.span.byte_start, name)
    if node is None or node.child_by_field_name("value") is not None or node.child_by_field_name("type") is None:
        return
    fields: list[tuple[str, str]] = []
    last = None
    stmt = node.next_named_sibling
    while stmt is not None and stmt.type == "expression_statement" and stmt.named_child_count == 1:
        assign = stmt.named_children[0]
        left = assign.child_by_field_name("left") if assign.type == "assignment_expression" else None
        value = left.child_by_field_name("value") if left is not None and left.type == "field_expression" else None
        if value is None or value.text.decode("utf-8") != name:
            break
        fields.append((left.child_by_field_name("field").text.decode("utf-8"),
                       assign.child_by_field_name("right").text.decode("utf-8")))
        last, stmt = stmt, stmt.next_named_sibling
    if last is None or not (node.end_byte <= site.span.byte_start < last.end_byte):
        return
    ty = node.child_by_field_name("type").text.decode("utf-8")
    names = [k for k, _ in fields]
    values = [v for _, v in fields]
    inits = []
    if names == [str(i) for i in range(len(names))]:
        inits.append("(" + ", ".join(values) + ("," if len(values) == 1 else "") + ")")
        if re.fullmatch(r"[\w:]+", ty):
            inits.append(f"{ty}({', '.join(values)})")
    elif len(set(names)) == len(names) and re.fullmatch(r"[\w:]+", ty):
        inits.append(f"{ty} {{ " + ", ".join(f"{k}: {v}" for k, v in fields) + " }")
    # the assignments' lines go (from the line end after the `let` to the end of the last one)
    lo, hi = node.end_byte, last.end_byte
    if data.find(b"\n", lo, hi) >= 0:
        eol = data.find(b"\n", hi)
        lo, hi = data.find(b"\n", lo), (len(data) if eol < 0 else eol)
    for init in inits:
        yield Fix(f"initialize `{name}` with the fields assigned after it (`{init}`)",
                  (TextEdit(f, node.end_byte - 1, node.end_byte - 1, f" = {init}"), TextEdit(f, lo, hi, "")),
                  MAYBE_INCORRECT)


#: rustc's help on E0434 ("can't capture dynamic environment in a fn item")
_CLOSURE_FORM = "use the `|| { ... }` closure form instead"


@rule(ANY, priority=2670, examples=[
    Example("a-nested-fn-reading-a-local-becomes-a-closure", """\
pub fn total(v: &[u32]) -> u32 {
    let base = 10;
    fn add(x: u32) -> u32 {
        x + base
    }
    v.iter().map(|x| add(*x)).sum()
}
""", after=("let add = |x: u32| -> u32 {\n        x + base\n    };",), counts=(("fn add", 0),)),
    # a closure is no item: it must come before its first use
    Example("a-nested-fn-used-above-it-becomes-a-closure-before-that-use", """\
pub fn count(v: &[u32]) -> usize {
    let limit = 3;
    let n = v.iter().filter(|x| big(x)).count();
    fn big(x: &u32) -> bool {
        *x > limit
    }
    n
}
""", after=("    let limit = 3;\n    let big = |x: &u32| -> bool {",), counts=(("fn big", 0),)),
])
def closure_form(site: Site) -> Iterator[Fix]:
    """rustc's help "use the `|| { ... }` closure form instead" (E0434: a `fn` nested in a body reads
    a local of the body around it) as an edit: the innermost such `fn` becomes `let name = |params| ->
    Ret { body };`, in its place, or — when a statement of its block before it names it (a closure is
    no item) — moved before the first such statement; each also as `let mut` (a closure that mutates
    what it captures). Not for a generic, `async`, `const`, `unsafe` or `extern` fn (a closure has none
    of those). rustc suggests no edit for it."""
    if not any(c.message == _CLOSURE_FORM for c in site.error.children):
        return
    data, f = site.data, site.file
    node = parse(data).root_node.descendant_for_byte_range(site.span.byte_start, site.span.byte_start)
    while node is not None and not (node.type == "function_item" and node.parent is not None
                                    and node.parent.type == "block"):
        node = node.parent
    if node is None or node.child_by_field_name("type_parameters") is not None or any(
            c.type in ("function_modifiers", "visibility_modifier", "where_clause") for c in node.children):
        return
    name = node.child_by_field_name("name").text.decode("utf-8")
    params = node.child_by_field_name("parameters").text.decode("utf-8")[1:-1].strip().rstrip(",")
    ret = node.child_by_field_name("return_type")
    body = node.child_by_field_name("body").text.decode("utf-8")
    arrow = f" -> {ret.text.decode('utf-8')}" if ret is not None else ""
    block = node.parent
    # statements of the block other than the fn that name it (a call, or the fn passed as a value)
    uses = [s for s in block.named_children if s.id != node.id
            and any(n.text == name.encode("utf-8") for n in walk(s, "identifier"))]
    moved_to = None  # the start of the line of the first use when that comes before the fn
    if uses and uses[0].start_byte < node.start_byte:
        moved_to = data.rfind(b"\n", 0, uses[0].start_byte) + 1
        # the fn's lines go whole when it stands alone on them
        lo, hi = node.start_byte, node.end_byte
        line = data.rfind(b"\n", 0, lo) + 1
        if not data[line:lo].strip() and data[hi:].split(b"\n", 1)[0].strip() == b"":
            lo, hi = line, (data.find(b"\n", hi) + 1 or len(data))
        indent = re.match(rb"[ \t]*", data[moved_to:]).group(0).decode()
    for mut in ("", "mut "):
        closure = f"let {mut}{name} = |{params}|{arrow} {body};"
        if moved_to is None:
            yield Fix(f"make `{name}` a closure: `let {mut}{name} = |..| ..`",
                      (TextEdit(f, node.start_byte, node.end_byte, closure),), MAYBE_INCORRECT)
        else:
            yield Fix(f"make `{name}` a closure before its first use: `let {mut}{name} = |..| ..`",
                      (TextEdit(f, lo, hi, ""), TextEdit(f, moved_to, moved_to, f"{indent}{closure}\n")),
                      MAYBE_INCORRECT)

