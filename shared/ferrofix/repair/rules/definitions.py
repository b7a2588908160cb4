"""Definitions and visibility: fixes at the definition an error points to, which rustc shows but does
not edit (`pub`, a duplicate renamed, the receiver one side of a trait impl declares)."""

from __future__ import annotations

import re
from typing import Iterator

from ...context import (MAX_ITEM_LINES, enclosing, function_at, nearest_items_named, parameters_open,
                        trait_signature_for_impl, walk)
from ...diagnostics import MAYBE_INCORRECT, Span
from ...edits import Fix, TextEdit
from .registry import ANY, Example, rule
from .site import Site


#: the errors that name a private item (rustc: "constant `X` is private"), whose secondary spans show it
_PRIVACY_CODES = frozenset({"E0603", "E0624", "E0616"})


def _definitions(site: Site) -> Iterator[tuple[Span, str, str]]:
    """The definitions the error shows in workspace files: (span, the span's text, its label). For a
    privacy error (`_PRIVACY_CODES`) its secondary spans and notes "... is defined here", "function `f`
    is not const"; for any error, the notes "struct `a::imp::X` exists but is inaccessible" (rustc's
    resolver on an import or a name it cannot reach, e.g. through a glob re-export that carries only
    public items)."""
    e = site.error
    privacy = e.code in _PRIVACY_CODES
    spans = [s for s in e.spans if not s.is_primary and privacy] + [
        s for c in e.children for s in c.spans
        if c.level == "note" and (privacy and ("defined here" in c.message or re.search(r"is not const$", c.message))
                                  or c.message.endswith("exists but is inaccessible"))]
    for s in spans:
        if s.file_name in site.files:
            yield s, site.files[s.file_name][s.byte_start:s.byte_end].decode("utf-8", "replace"), s.label or ""


# "constant `LIMIT` is private", "method `reset` is private", "field `n` of struct `Counter` is private"
# (the field: `public_field`); "unresolved import `crate::literal::Matcher`" with the note "struct
# `crate::literal::imp::Matcher` exists but is inaccessible" (a glob re-export carries only public items)
@rule(ANY, priority=2800, span=False, examples=[
    Example("a-private-item-used-outside-its-module-is-made-pub", """\
mod config {
    const LIMIT: u32 = 8;
    pub struct Counter {
        n: u32,
    }
    impl Counter {
        fn reset(&mut self) {
            self.n = 0;
        }
    }
}

pub fn limit() -> u32 {
    config::LIMIT
}

pub fn clear(c: &mut config::Counter) -> u32 {
    c.reset();
    c.n
}
""", after=("pub const LIMIT", "pub fn reset", "pub n: u32")),
    Example("a-private-item-a-glob-re-export-should-carry-is-made-pub", """\
mod literal {
    pub use self::imp::*;

    mod imp {
        pub struct Searcher(pub u8);

        struct Matcher(pub u8);
    }
}

use crate::literal::{Matcher, Searcher};

pub fn both(n: u8) -> (Searcher, Matcher) {
    (Searcher(n), Matcher(n))
}
""", after=("pub struct Matcher(pub u8);",)),
])
def public_item(site: Site) -> Iterator[Fix]:
    """A private item used elsewhere (E0603 "constant `X` is private", E0624 "method `m` is private",
    E0616; the note "... is defined here"), or one rustc's resolver found but could not reach (any
    error with the note "... exists but is inaccessible", labelled "not accessible": E0432 through a
    glob re-export), which rustc shows but does not edit: made `pub`, then `pub(crate)` (`pub(super)`
    → `pub`)."""
    for s, head, label in _definitions(site):
        if "defined here" not in label and label != "not accessible" and label:
            continue
        vis = re.match(r"pub(\s*\([^)]*\))?\s+", head)
        if vis and vis.group(1):
            yield Fix("make it `pub`", (TextEdit(s.file_name, s.byte_start, s.byte_start + vis.end(), "pub "),),
                      MAYBE_INCORRECT)
        elif not vis:
            for v in ("pub ", "pub(crate) "):
                yield Fix(f"make it `{v.strip()}`", (TextEdit(s.file_name, s.byte_start, s.byte_start, v),),
                          MAYBE_INCORRECT)


@rule("E0616", "E0451", priority=2840, span=False, examples=[
    Example("a-private-field-named-in-a-struct-literal-is-made-pub", """\
mod shape {
    pub struct Point {
        pub x: i32,
        y: i32,
    }
}

pub fn origin() -> shape::Point {
    shape::Point { x: 0, y: 0 }
}
""", after=("pub y: i32,",)),
])
def public_field(site: Site) -> list[Fix]:
    """E0616 "field `f` of struct `S` is private" (a read, `s.f`) or E0451 (the same message: a struct
    literal naming it, `S { f: .. }`): the field in the workspace's definition of `S` made `pub`. rustc
    shows the field but suggests no edit. E0616's example: `public_item`'s."""
    m = re.match(r"field `(\w+)` of (?:struct|union) `(?:[\w:]*::)?(\w+)", site.error.message)
    found = site.type_definition(m.group(2)) if m else None
    if found is None:
        return []
    f, item = found
    fm = re.search(rf"(?m)^(\s*)({m.group(1)}\s*:)", item.text)
    if not fm:
        return []
    at = item.byte_start + len(item.text[:fm.start(2)].encode())
    return [Fix(f"make the field `{m.group(1)}` `pub`", (TextEdit(f, at, at, "pub "),), MAYBE_INCORRECT)]


# "duplicate definitions with name `len`" across two impl blocks
@rule("E0592", priority=2960, examples=[
    Example("a-duplicate-method-definition-is-renamed", """\
pub struct Bag(Vec<u8>);

impl Bag {
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl Bag {
    pub fn len(&self) -> usize {
        self.0.len() * 8
    }
}
""", after=("pub fn len2(",), counts=(("pub fn len(", 1),)),
])
def rename_other_definition(site: Site) -> Iterator[Fix]:
    """E0592 duplicate method definitions: the other one renamed (`bar2`)."""
    m = re.match(r"duplicate definitions with name `(\w+)`", site.error.message)
    if not m:
        return
    for s in site.error.spans:
        head = site.files.get(s.file_name, b"")[s.byte_start:s.byte_end]
        n = re.search(rb"\bfn\s+(" + m.group(1).encode() + rb")\b", head)
        if "other definition" in (s.label or "") and n:
            lo = s.byte_start + n.start(1)
            yield Fix(f"rename the other `{m.group(1)}`",
                      (TextEdit(s.file_name, lo, lo + len(m.group(1)), f"{m.group(1)}2"),), MAYBE_INCORRECT)


# "method `gcd` has a `self` declaration in the impl, but not in the trait" (E0185) and "method `f` has a
# `&mut self` declaration in the trait, but not in the impl" (E0186): the receiver one side declares
@rule("E0185", "E0186", priority=2970, examples=[
    Example("the-trait-method-gets-the-receiver-its-impl-declares", """\
pub trait Named {
    fn name() -> String;
}

pub struct Cat;

impl Named for Cat {
    fn name(&self) -> String {
        String::from("cat")
    }
}
""", after=("    fn name(&self) -> String;",)),
    Example("the-impl-method-gets-the-receiver-its-trait-declares", """\
pub trait Scale {
    fn scale(&mut self, by: u32);
}

pub struct Size(u32);

impl Scale for Size {
    fn scale(by: u32) {
        let _ = by;
    }
}
""", after=("    fn scale(&mut self, by: u32) {",)),
])
def receiver_like_its_pair(site: Site) -> Iterator[Fix]:
    """E0185/E0186, a method declared with a receiver on one side of a trait impl and without on the
    other: the receiver rustc names (`self`, `&self`, `&mut self`, `self: Box<Self>`) added to the side
    without it — the trait's declaration for E0185 (the span labelled "trait method declared
    without"), the impl's method for E0186 (the primary span)."""
    m = re.match(r"method `(\w+)` has a `([^`]+)` declaration in the (impl|trait), but not in the", site.error.message)
    if not m:
        return
    name, receiver, where = m.groups()
    for s in site.error.spans:
        if s.is_primary != (where == "trait") or s.file_name not in site.files:
            continue
        data = site.files[s.file_name]
        at = parameters_open(data, s.byte_start, name)
        if at is None:
            continue
        rest = data[at:at + 200].lstrip()
        text = receiver if rest.startswith(b")") else f"{receiver}, "
        side = "impl's method" if where == "trait" else "trait's declaration"
        yield Fix(f"declare `{receiver}` in the {side} of `{name}` too", (TextEdit(s.file_name, at, at, text),),
                  MAYBE_INCORRECT)
        return


#: a trait method's reason for not being dyn compatible, in rustc's note ("...because method `dup`
#: references the `Self` type in its return type", "...because method `blah` has generic type parameters")
_NOT_DISPATCHABLE = re.compile(r"\.\.\.because method `(\w+)` ")


@rule("E0038", priority=2980, examples=[
    Example("a-method-returning-self-is-kept-off-the-trait-object", """\
pub trait Shape {
    fn area(&self) -> f64;
    fn scaled(&self, k: f64) -> Self;
}

pub fn total(shapes: &[Box<dyn Shape>]) -> f64 {
    shapes.iter().map(|s| s.area()).sum()
}
""", after=("fn scaled(&self, k: f64) -> Self where Self: Sized;",)),
    Example("a-generic-method-gets-self-sized-in-its-where-clause", """\
pub trait Shape {
    fn area(&self) -> f64;
    fn scaled<T>(&self, t: T) -> f64
    where
        T: Into<f64>,
    {
        self.area() * t.into()
    }
}

pub fn total(shapes: &[Box<dyn Shape>]) -> f64 {
    shapes.iter().map(|s| s.area()).sum()
}
""", after=("        T: Into<f64>, Self: Sized\n",)),
    Example("a-parameter-of-a-trait-that-cannot-be-dyn-takes-any-implementer", """\
pub trait Shape {
    fn area(&self) -> f64;
    fn scaled(&self, k: f64) -> Self;
}

pub fn doubled_area(s: &dyn Shape) -> f64 {
    s.scaled(2.0).area()
}
""", after=("pub fn doubled_area(s: &impl Shape) -> f64 {",)),
])
def dyn_compatible(site: Site) -> Iterator[Fix]:
    """E0038 "the trait `T` is not dyn compatible" where rustc's note names methods that keep it so
    ("...because method `f` references the `Self` type in its return type / has generic type
    parameters") and suggests nothing: `where Self: Sized` on each of those methods (the trait object
    then lacks them; rustc's own wording for the associated functions it does suggest it for); then the
    `dyn T` of a function's parameter or return type (the primary span) as `impl T` (any implementer,
    static dispatch); then both. Source: the Reference, "Dyn compatibility"."""
    sized: list[TextEdit] = []
    for child in site.error.children:
        for s in child.spans:
            data = site.files.get(s.file_name)
            if data is None or not _NOT_DISPATCHABLE.match(s.label or ""):
                continue
            node = function_at(data, s.byte_start)
            if node is None:
                continue
            where = next((c for c in node.children if c.type == "where_clause"), None)
            body = node.child_by_field_name("body")
            if where is not None:  # `where T: Copy` or `where T: Copy,`
                at = where.end_byte
                text = " Self: Sized" if where.text.rstrip().endswith(b",") else ", Self: Sized"
            else:
                at = body.start_byte if body is not None else node.end_byte - 1  # `{` or `;`
                text = " where Self: Sized" + (" " if body is not None else "")
                while at > node.start_byte and data[at - 1:at].isspace() and body is not None:
                    at -= 1
            edit = TextEdit(s.file_name, at, at, text)
            if edit not in sized:
                sized.append(edit)
    if sized:
        yield Fix("keep the methods that need `Self: Sized` off the trait object: `where Self: Sized`",
                  tuple(sized), MAYBE_INCORRECT)
    node = enclosing(site.data, site.span.byte_start, "dynamic_type")
    up = enclosing(site.data, node.start_byte, "parameters", "function_item", "function_signature_item",
                   "block") if node is not None else None
    in_signature = up is not None and (up.type == "parameters" or (
        up.type in ("function_item", "function_signature_item") and (rt := up.child_by_field_name("return_type"))
        is not None and rt.start_byte <= node.start_byte < rt.end_byte))
    if node is None or not in_signature or not node.text.startswith(b"dyn"):
        return
    generic = TextEdit(site.file, node.start_byte, node.start_byte + 3, "impl")
    yield Fix("take any implementer instead of a trait object: `impl` for `dyn`", (generic,), MAYBE_INCORRECT)
    if sized and all(e.file != generic.file or not e.overlaps(generic) for e in sized):
        yield Fix("`where Self: Sized` on the methods and `impl` for `dyn`", (*sized, generic), MAYBE_INCORRECT)


#: "method `area` is not a member of trait `Shape`" (E0407), "type `Bar` …" (E0437), "const `N` …" (E0438)
_NOT_A_MEMBER = re.compile(r"(?:method|type|const) `(\w+)` is not a member of trait `(?:[\w:]*::)?(\w+)(?:<[^`]*)?`")


@rule("E0407", "E0437", "E0438", priority=2990, examples=[
    Example("an-impls-method-the-trait-lacks-is-declared-in-the-trait", """\
pub trait Shape {
    fn area(&self) -> u32;
}

pub struct Square(pub u32);

impl Shape for Square {
    fn area(&self) -> u32 {
        self.0 * self.0
    }

    fn side(&self) -> u32 {
        self.0
    }
}
""", after=("    fn side(&self) -> u32;\n}", "    fn side(&self) -> u32 {\n        self.0")),
    Example("an-impls-type-the-empty-trait-lacks-is-declared-in-the-trait", """\
pub trait Store {}

impl Store for u8 {
    type Key = u32;
    const SIZE: usize = 1;
}
""", after=("pub trait Store {\n    type Key;\n", "    const SIZE: usize;\n}", "    type Key = u32;")),
])
def declared_in_the_trait(site: Site) -> Iterator[Fix]:
    """E0407/E0437/E0438, an impl's method, type or const that its trait, defined in the workspace,
    does not declare: its declaration added to the trait — the impl's item up to its body or value
    (`fn side(&self) -> u32;`, `type Key;`, `const SIZE: usize;`) — which keeps the code the author
    wrote (deleting it is left to the model's held-back deletions). Another impl of the trait then
    lacking the item fails verification (E0046)."""
    m = _NOT_A_MEMBER.match(site.error.message)
    if m is None or site.span is None:
        return
    name, trait = m.groups()
    node = enclosing(site.data, site.span.byte_start, "function_item", "type_item", "const_item")
    found = site.type_definition(trait, ("trait",), max_lines=MAX_ITEM_LINES)
    if node is None or found is None or node.child_by_field_name("name") is None or \
            node.child_by_field_name("name").text.decode("utf-8") != name:
        return
    f, d = found
    end = node.child_by_field_name({"function_item": "body", "type_item": "type", "const_item": "value"}[node.type])
    if end is None:
        return
    decl = site.data[node.start_byte:end.start_byte].decode("utf-8").rstrip()
    if node.type != "function_item":
        decl = decl.rstrip("=").rstrip()
    data = site.files[f]
    close = d.byte_end - 1  # the trait's `}`
    if data[close:close + 1] != b"}":
        return
    line = data.rfind(b"\n", d.byte_start, close) + 1
    indent = re.match(rb"[ \t]*", data[d.byte_start:]).group().decode()
    if data[line:close].strip():  # `trait Store {}` or `... }` on one line: the `}` on its own line
        text = f"\n{indent}    {decl};\n{indent}"
        at = close
    else:
        text = f"{indent}    {decl};\n"
        at = line
    yield Fix(f"declare `{name}` in the trait `{trait}`", (TextEdit(f, at, at, text),), MAYBE_INCORRECT)


# "method `foo` has 1 parameter but the declaration in trait `Foo::foo` has 2" (E0050), "... has 0 type
# parameters but its trait declaration has 1" (E0049), "lifetime parameters or bounds on method `bar` do
# not match the trait declaration" (E0195), "method `jumbo` has an incompatible type for trait" (E0053):
# an impl's method written unlike the trait's declaration of it
@rule("E0049", "E0050", "E0053", "E0186", "E0195", priority=2975, examples=[
    Example("the-impl-method-takes-the-parameter-its-trait-declares", """\
pub trait Check {
    fn check(&self, x: u8) -> bool;
}

pub struct Always;

impl Check for Always {
    fn check(&self) -> bool {
        true
    }
}
""", after=("    fn check(&self, x: u8) -> bool {\n        true",)),
    Example("the-impl-method-gets-the-trait-generics-and-keeps-its-names", """\
pub trait Convert<T> {
    fn convert<'a, 'b: 'a>(&self, from: &'a T, other: &'b T) -> bool;
}

pub struct Same;

impl Convert<u8> for Same {
    fn convert<'a, 'b>(&self, x: &'a u8, y: &'b u8) -> bool {
        x == y
    }
}
""", after=("    fn convert<'a, 'b: 'a>(&self, x: &'a u8, y: &'b u8) -> bool {",)),
])
def signature_of_the_trait(site: Site) -> Iterator[Fix]:
    """An impl's method whose signature disagrees with its trait's declaration (parameter count, generic
    or lifetime parameters, receiver, qualifiers): the signature as the workspace's trait declares it,
    with the impl's parameter names and the impl's generic arguments
    (`context.trait_signature_for_impl`)."""
    found = trait_signature_for_impl(site.files, site.data, site.span.byte_start)
    if found is not None:
        start, end, text = found
        yield Fix("the method's signature as its trait declares it", (TextEdit(site.file, start, end, text),),
                  MAYBE_INCORRECT)


# "interior mutable shared borrows of temporaries that have their lifetime extended until the end of the
# program are not allowed" (E0492) on `&COUNTER`, a `const` holding an atomic or a cell: each use of a
# `const` is a new temporary; rustc's help "try replacing the temporary by an interior mutable `static`"
@rule("E0492", priority=2995, examples=[
    Example("a-borrowed-interior-mutable-constant-becomes-a-static", """\
use std::sync::atomic::{AtomicUsize, Ordering};

const HITS: AtomicUsize = AtomicUsize::new(0);
const HITS_REF: &AtomicUsize = &HITS;

pub fn hit() -> usize {
    HITS_REF.fetch_add(1, Ordering::SeqCst)
}
""", after=("static HITS: AtomicUsize", "const HITS_REF: &AtomicUsize = &HITS;")),
])
def borrowed_constant_as_static(site: Site) -> Iterator[Fix]:
    """E0492 on a borrow of a workspace `const` (`&HITS`) with rustc's help to use an interior mutable
    `static`: that `const` item made a `static` (one place in memory, which a reference may point to
    for the whole program), the nearest of that name first."""
    if not any("interior mutable `static`" in c.message for c in site.error.children):
        return
    m = re.fullmatch(r"&\s*(?:[\w:]*::)?(\w+)", site.text.strip())
    if not m:
        return
    nearest = nearest_items_named(site.files, m.group(1), site.file, site.span.byte_start, ("const_item",))
    for f, node in nearest[:2]:
        if (kw := next((c for c in node.children if c.type == "const"), None)) is not None:
            yield Fix(f"make `{m.group(1)}` a `static`", (TextEdit(f, kw.start_byte, kw.end_byte, "static"),),
                      MAYBE_INCORRECT)


#: rustc's help on an invalid `self` type: "consider changing to `self`, `&self`, `&mut self`, `self:
#: Box<Self>`, ..." (E0307) or "use a concrete type such as `self`, `&self`, ..." (E0801)
_RECEIVER_HELP = re.compile(r"^(?:consider changing to|use a concrete type such as) (`self`.*)")
#: the receivers tried, in this order, of those rustc lists
_RECEIVERS = ("&self", "&mut self", "self", "self: Box<Self>")


@rule("E0307", "E0801", priority=2996, examples=[
    Example("a-generic-self-type-becomes-a-reference-receiver", """\
use std::ops::Deref;

pub struct Meters(pub f64);

impl Meters {
    pub fn value<R: Deref<Target = Self>>(self: R) -> f64 {
        self.0
    }
}

pub fn total(m: &Meters) -> f64 {
    m.value() * 2.0
}
""", after=("pub fn value(&self) -> f64",)),
])
def receiver_rustc_lists(site: Site) -> Iterator[Fix]:
    """E0307 "invalid `self` parameter type: `u32`" / E0801 "invalid generic `self` parameter type: `R`":
    the `self: T` parameter replaced by each receiver rustc's help lists (`_RECEIVERS` order: `&self`
    first); a method generic parameter that only typed `self` (E0801's `R: Deref<Target = Self>`)
    leaves the method's generics with it."""
    listed = next((re.findall(r"`([^`]+)`", m.group(1)) for c in site.error.children
                   if (m := _RECEIVER_HELP.match(c.message))), None)
    param = enclosing(site.data, site.span.byte_start, "parameter")
    fn = enclosing(site.data, site.span.byte_start, "function_item")
    ty = param.child_by_field_name("type") if param is not None else None
    if not listed or fn is None or ty is None or not any(c.type == "self" for c in param.children):
        return
    edits = []
    generics = fn.child_by_field_name("type_parameters")
    if site.error.code == "E0801" and generics is not None and ty.type == "type_identifier":
        params = [c for c in generics.named_children if c.type not in ("line_comment", "block_comment")]
        own = next((p for p in params if p.named_children and p.named_children[0].text == ty.text), None)
        if own is not None and not any(n.text == ty.text and n.start_byte != ty.start_byte
                                       and not own.start_byte <= n.start_byte < own.end_byte
                                       for n in walk(fn, "type_identifier")):
            if len(params) == 1:
                edits.append(TextEdit(site.file, generics.start_byte, generics.end_byte, ""))
            else:
                i = params.index(own)
                a, z = (params[i - 1].end_byte, own.end_byte) if i else (own.start_byte, params[1].start_byte)
                edits.append(TextEdit(site.file, a, z, ""))
    for receiver in (r for r in _RECEIVERS if r in listed):
        yield Fix(f"use `{receiver}` as the receiver",
                  tuple(edits) + (TextEdit(site.file, param.start_byte, param.end_byte, receiver),), MAYBE_INCORRECT)
