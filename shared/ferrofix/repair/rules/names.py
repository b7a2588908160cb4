"""Names: method names from other languages, names bound twice, misspelt path segments."""

from __future__ import annotations

import re

from rapidfuzz.distance import OSA

from ...context import method_calls
from ...diagnostics import MAYBE_INCORRECT
from ...edits import Fix, TextEdit
from ...stdnames import STD_CRATES, module_children
from ..environment import DEFINED_NAME, is_misspelling
from .registry import Example, rule
from .site import Site

#: Method names from other languages' standard libraries (C++, Java, Python, JavaScript, Go) → the
#: Rust std methods they usually mean: candidates for E0599 "no method named `size` found" where rustc
#: finds nothing similar (`v.size()` → `v.len()`, `buf.add(b)` → `buf.push(b)`)
METHOD_SYNONYMS = {
    "size": ("len",), "length": ("len",), "count": ("len",), "len": ("count",), "add": ("push", "push_str", "insert"),
    "append": ("push", "push_str", "extend"), "push_back": ("push",), "pop_back": ("pop",), "emplace_back": ("push",),
    "empty": ("is_empty",), "isEmpty": ("is_empty",), "has": ("contains", "contains_key"),
    "contains": ("contains_key",), "contains_key": ("contains",), "containsKey": ("contains_key",),
    "includes": ("contains",), "to_upper": ("to_uppercase",), "to_lower": ("to_lowercase",),
    "upper": ("to_uppercase",), "lower": ("to_lowercase",), "toUpperCase": ("to_uppercase",),
    "toLowerCase": ("to_lowercase",), "startswith": ("starts_with",), "endswith": ("ends_with",),
    "startsWith": ("starts_with",), "endsWith": ("ends_with",), "each": ("for_each",), "foreach": ("for_each",),
    "forEach": ("for_each",), "erase": ("remove",), "delete": ("remove",), "put": ("insert",),
    "strip": ("trim",), "lstrip": ("trim_start",), "rstrip": ("trim_end",), "to_str": ("as_str",),
    "push_str": ("push",), "push": ("push_str",), "front": ("first",), "back": ("last",),
    "remove_all": ("clear",), "indexOf": ("find",), "index_of": ("find",), "substr": ("get",),
    "toString": ("to_string",), "equals": ("eq",), "get_or_default": ("unwrap_or_default",),
    "add_all": ("extend",), "addAll": ("extend",), "keySet": ("keys",), "entrySet": ("iter",),
}


def _replace_span(site: Site, title: str, new: str) -> Fix:
    return Fix(title, (TextEdit(site.file, site.span.byte_start, site.span.byte_end, new),), MAYBE_INCORRECT)


# "no method named `size` found for struct `Vec<u8>`" (rustc suggests nothing similar)
@rule("E0599", priority=2300, examples=[
    Example("a-method-name-from-another-language-becomes-the-rust-one", """\
pub fn count(v: &Vec<u8>) -> usize {
    v.size()
}
""", after=("v.len()",)),
])
def method_synonym(site: Site) -> list[Fix]:
    """E0599 "no method named `size` found for ..." on the method name: the Rust std names the same
    operation has in other languages' libraries (`METHOD_SYNONYMS`: `size` → `len`, `add` → `push`);
    only a method that exists and type-checks stays."""
    m = re.match(r"no method named `(\w+)` found", site.error.message)
    if not m or site.data[site.span.byte_start:site.span.byte_end] != m.group(1).encode():
        return []
    return [_replace_span(site, f"call `{new}` (the Rust name of `{m.group(1)}`)", new)
            for new in METHOD_SYNONYMS.get(m.group(1), ()) if new != m.group(1)]


#: at most this many methods of other calls are tried for one unknown method
MAX_OTHER_METHODS = 4


# "no method named `at` found for struct `UnsafeCell<T>`" (rustc suggests nothing similar)
@rule("E0599", priority=2310, examples=[
    Example("an-unknown-method-becomes-one-the-same-receiver-is-called-with", """\
use std::cell::Cell;

pub struct Counter {
    hits: Cell<u32>,
}

impl Counter {
    pub fn bump(&self) {
        self.hits.set(self.hits.get() + 1);
    }

    pub fn hits(&self) -> u32 {
        self.hits.at()
    }
}
""", after=("        self.hits.get()\n",)),
    Example("an-unknown-method-becomes-one-whose-result-is-used-the-same-way", """\
pub fn weighted(v: &[u8]) -> usize {
    v.iter().enumerate().map(|(i, b)| i * *b as usize).sum()
}

pub fn firsts(rows: &[Vec<u8>]) -> Vec<(usize, u8)> {
    rows.items().enumerate().map(|(i, r)| (i, r[0])).collect()
}
""", after=("rows.iter().enumerate()",)),
])
def method_from_other_calls(site: Site) -> list[Fix]:
    """E0599 "no method named `at` found for struct `Cell<u32>`" on the method name, for a type the
    workspace does not define (a method missing from one of its own types is written from its uses,
    by the model): the methods that the crate's other calls with as many arguments, used alike (a
    statement discarding the value, `v.clear();`, or a value), call on the same receiver
    (`self.hits.get()` for `self.hits.at()`), then those whose result is used the same way
    (`v.iter().enumerate()` for `rows.items().enumerate()`); nearest first (`Site.nearest`), at most
    `MAX_OTHER_METHODS`, each a candidate the compiler checks."""
    m = re.match(r"no method named `(\w+)` found for [\w ]*`(.+?)`(?: in the current scope)?$", site.error.message)
    if not m or site.text != m.group(1):
        return []
    ty = re.sub(r"^(?:&\S*\s*)+(?:mut\s+|dyn\s+)?", "", m.group(2))
    if site.type_definition(re.sub(r"<.*", "", ty).rpartition("::")[2]) is not None:
        return []
    here = next((c for c in method_calls(site.data) if c.at == site.span.byte_start), None)
    if here is None:
        return []
    others = site.nearest(lambda data: [(c.at, (c.method, c.receiver, c.then or "")) for c in method_calls(data)
                                        if c.method != here.method and c.arity == here.arity
                                        and c.statement == here.statement], here.at)
    same = [method for method, receiver, _then in others if receiver == here.receiver]
    alike = [method for method, _receiver, then in others if here.then is not None and then == here.then]
    return [_replace_span(site, f"call `{new}`, as the crate does on "
                                + ("this receiver" if new in same else f"values it calls `.{here.then}()` on"), new)
            for new in list(dict.fromkeys(same + alike))[:MAX_OTHER_METHODS]]


# "identifier `w` is bound more than once in this parameter list"
@rule("E0415", "E0416", priority=2920, examples=[
    Example("a-parameter-name-bound-twice-renames-the-second", """\
pub fn area(w: u32, w: u32) -> u32 {
    w * 2
}
""", after=("pub fn area(w: u32, w2: u32)",)),
])
def rename_second_binding(site: Site) -> list[Fix]:
    """E0415/E0416 "identifier `f` is bound more than once": the second one renamed (`f2`)."""
    m = re.match(r"identifier `(\w+)` is bound more than once", site.error.message)
    if m and site.text == m.group(1):
        return [_replace_span(site, f"rename the second `{site.text}`", f"{site.text}2")]
    return []


#: the modules a crate's sources declare (`mod x;`, `mod x {`); group 1 is the name
_MODULE = re.compile(rb"\bmod\s+(\w+)")
#: the path segments right before a span (`crate::stdlib::sync::` before `aotmic`)
_PARENT = re.compile(rb"((?:\b(?:r#)?\w+\s*::\s*)+)$")


# "unresolved import `crate::sellect`", "use of unresolved module or unlinked crate `coore`", "could not
# find `aotmic` in `sync`": a path segment with a one-letter slip that rustc has no similar name for
@rule("E0432", "E0433", priority=2350, examples=[
    Example("a-misspelt-module-of-the-crate-in-a-use-path", """\
mod shapes {
    pub fn area(w: u32, h: u32) -> u32 {
        w * h
    }
}

use crate::shapse::area;

pub fn total() -> u32 {
    area(2, 3)
}
""", after=("use crate::shapes::area;",)),
    Example("a-misspelt-standard-library-module", """\
use std::sync::atomc::{AtomicUsize, Ordering};

pub fn bump(c: &AtomicUsize) -> usize {
    c.fetch_add(1, Ordering::SeqCst)
}
""", after=("use std::sync::atomic::{AtomicUsize, Ordering};",)),
    Example("a-misspelt-crate-is-not-a-new-dependency", """\
use coore::mem;

pub fn width() -> usize {
    mem::size_of::<u64>()
}
""", after=("use core::mem;",), counts=(("extern crate", 0),)),
])
def misspelt_path_segment(site: Site) -> list[Fix]:
    """E0432/E0433 on one path segment that resolves nowhere (`crate::sellect`, `coore::mem`,
    `sync::aotmic`): the names within one typo of it (`environment.is_misspelling`) among those that can
    stand there — at a path's start the standard crates and the names the sources define (only their
    modules where `::` follows); after `crate`/`self`/`super` or one of the package's modules the names
    its sources define; after a standard-library module the names inside it, read from the Rust
    documentation on this machine (`stdnames.module_children`). The three closest, closest first."""
    word = site.text
    if not re.fullmatch(r"\w+", word) or f"`{word}`" not in site.error.message and \
            not any(f"`{word}`" in (s.label or "") for s in site.error.spans):
        return []
    m = _PARENT.search(site.data[max(0, site.span.byte_start - 200):site.span.byte_start])
    parent = [p.strip() for p in m.group(1).decode().split("::") if p.strip()] if m else []
    # a segment followed by `::` names a module (or a crate): only module names can stand there
    module = site.data[site.span.byte_end:site.span.byte_end + 40].lstrip().startswith(b"::")
    defined = {n.decode() for b in site.files.values() for n in (_MODULE if module else DEFINED_NAME).findall(b)}
    children = module_children()
    names: set[str] = set()
    if not parent:
        names |= set(STD_CRATES) | defined  # a misspelt dependency gets rustc's own "similar name" help
    else:
        last = parent[-1].removeprefix("r#")
        if last in ("crate", "self", "super") or last in defined:
            names |= defined
        names |= children.get(last, frozenset())
    near = sorted((n for n in names if is_misspelling(word, n)), key=lambda n: (OSA.distance(word, n), n))
    return [_replace_span(site, f"`{n}`, the name within one typo of `{word}`", n) for n in near[:3]]
