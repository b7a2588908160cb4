"""Definitions and visibility: fixes at the definition an error points to, which rustc shows but does
not edit (`pub`, `const fn`, `async fn`, a qualifier removed, a bound added, a duplicate renamed)."""

from __future__ import annotations

import re
from typing import Iterator

from ...diagnostics import MAYBE_INCORRECT, Span
from ...edits import Fix, TextEdit
from .registry import ANY, Example, rule
from .site import Site


def _definitions(site: Site) -> Iterator[tuple[Span, str, str]]:
    """The definitions the error shows (its secondary spans; notes "... is defined here", "function `f`
    is not const") in workspace files: (span, the span's text, its label)."""
    e = site.error
    spans = [s for s in e.spans if not s.is_primary] + [s for c in e.children for s in c.spans
                                                         if c.level == "note" and "defined here" in c.message
                                                         or re.search(r"is not const$", c.message)]
    for s in spans:
        if s.file_name in site.files:
            yield s, site.files[s.file_name][s.byte_start:s.byte_end].decode("utf-8", "replace"), s.label or ""


def _function_heads(site: Site) -> Iterator[tuple[Span, int, str, str]]:
    """The functions among `_definitions`: (span, the byte before `fn`, the qualifiers before it, label)."""
    for s, head, label in _definitions(site):
        fn = re.match(r"((?:pub(?:\s*\([^)]*\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?)fn\b", head)
        if fn is not None:
            yield s, s.byte_start + len(fn.group(1).encode()), fn.group(1), label


# "constant `LIMIT` is private", "method `reset` is private", "field `n` of struct `Counter` is private"
# (the field: `public_field`)
@rule("E0603", "E0624", "E0616", priority=2800, span=False, examples=[
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
])
def public_item(site: Site) -> Iterator[Fix]:
    """A private item used elsewhere (E0603 "constant `X` is private", E0624 "method `m` is private",
    E0616; the note "... is defined here"), which rustc shows but does not edit: made `pub`, then
    `pub(crate)` (`pub(super)` → `pub`)."""
    for s, head, label in _definitions(site):
        if "defined here" not in label and label:
            continue
        vis = re.match(r"pub(\s*\([^)]*\))?\s+", head)
        if vis and vis.group(1):
            yield Fix("make it `pub`", (TextEdit(s.file_name, s.byte_start, s.byte_start + vis.end(), "pub "),),
                      MAYBE_INCORRECT)
        elif not vis:
            for v in ("pub ", "pub(crate) "):
                yield Fix(f"make it `{v.strip()}`", (TextEdit(s.file_name, s.byte_start, s.byte_start, v),),
                          MAYBE_INCORRECT)


# "cannot call non-const function `kib` in constants" (note "function `kib` is not const")
@rule("E0015", priority=2810, span=False, examples=[
    Example("a-function-called-in-a-constant-becomes-const-fn", """\
fn kib(n: usize) -> usize {
    n * 1024
}

pub const BUF: usize = kib(4);
""", after=("const fn kib",)),
])
def const_function(site: Site) -> Iterator[Fix]:
    """E0015 a non-const function called in a constant: made `const fn`."""
    for s, at, qualifiers, _label in _function_heads(site):
        if "const" not in qualifiers:
            yield Fix("make it a `const fn`", (TextEdit(s.file_name, at, at, "const "),), MAYBE_INCORRECT)


# "`await` is only allowed inside `async` functions and blocks" (label "this is not `async`")
@rule("E0728", priority=2820, span=False, examples=[
    Example("await-in-a-plain-function-makes-it-async", """\
async fn fetch() -> u32 {
    7
}

pub fn twice() -> u32 {
    fetch().await * 2
}
""", after=("pub async fn twice()",)),
])
def async_function(site: Site) -> Iterator[Fix]:
    """E0728 `.await` in a function rustc labels "this is not `async`": made `async fn`."""
    for s, at, qualifiers, label in _function_heads(site):
        if "not `async`" in label and "async" not in qualifiers:
            yield Fix("make it an `async fn`", (TextEdit(s.file_name, at, at, "async "),), MAYBE_INCORRECT)


_QUALIFIERS = (b"unsafe", b"async", b"const", b"default", b"extern")


# E0197 "inherent impls cannot be unsafe" (`unsafe` labelled "unsafe because of this")
@rule(ANY, priority=2830, span=False, examples=[
    Example("unsafe-on-an-inherent-impl-is-removed", """\
pub struct Raw(pub *const u8);

unsafe impl Raw {
    pub fn ptr(&self) -> *const u8 {
        self.0
    }
}
""", after=("\nimpl Raw {",)),
])
def remove_qualifier(site: Site) -> Iterator[Fix]:
    """A qualifier rustc labels "... because of this" (`unsafe`, `async`, `const`, `default`, `extern`;
    E0197 "inherent impls cannot be unsafe"): removed."""
    for s in site.error.spans:
        data = site.files.get(s.file_name, b"")
        word = data[s.byte_start:s.byte_end]
        if (s.label or "").endswith("because of this") and word in _QUALIFIERS:
            ws = re.match(rb"\s*", data[s.byte_end:]).end()
            yield Fix(f"remove `{word.decode()}`", (TextEdit(s.file_name, s.byte_start, s.byte_end + ws, ""),),
                      MAYBE_INCORRECT)


@rule("E0616", priority=2840, span=False)
def public_field(site: Site) -> list[Fix]:
    """E0616 "field `f` of struct `S` is private": the field in the workspace's definition of `S` made
    `pub`. Example: `public_item`'s."""
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


# "`Drop` impl requires `T: Flush` but the struct it is implemented for does not"
@rule("E0367", priority=2950, examples=[
    Example("a-drop-impls-bound-is-added-to-the-type", """\
pub trait Flush {
    fn flush(&mut self);
}

pub struct Guard<T> {
    inner: T,
}

impl<T: Flush> Drop for Guard<T> {
    fn drop(&mut self) {
        self.inner.flush();
    }
}
""", after=("pub struct Guard<T: Flush> {",)),
])
def drop_bound_on_type(site: Site) -> Iterator[Fix]:
    """E0367 a `Drop` impl's bound (`T: Foo`) the type lacks: added to the type's definition (rustc: "the
    implementor must specify the same requirement", with the definition's span)."""
    m = re.match(r"`Drop` impl requires `(\w+): ([^`]+)` but the \w+ it is implemented for does not",
                 site.error.message)
    if not m:
        return
    for c in site.error.children:
        for s in c.spans:
            head = site.files.get(s.file_name, b"")[s.byte_start:s.byte_end]
            p = re.search(rb"<[^>]*?\b(" + m.group(1).encode() + rb")\b(\s*:[^,>]*)?", head)
            if "same requirement" in c.message and p:
                at = s.byte_start + p.end()
                add = f" + {m.group(2)}" if p.group(2) else f": {m.group(2)}"
                yield Fix(f"require `{m.group(1)}{add}` on the type too", (TextEdit(s.file_name, at, at, add),),
                          MAYBE_INCORRECT)


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
