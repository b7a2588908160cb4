"""Names and paths: method names from other languages, names bound twice, variants used as types, loop
labels, generic arguments a path may not take."""

from __future__ import annotations

import re

from ...context import loop_start_at
from ...diagnostics import MAYBE_INCORRECT
from ...edits import Fix, TextEdit
from .registry import Example, rule
from .site import Site, fresh_name

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


@rule("E0599", priority=1610)
def into_iter_for_parameter(site: Site) -> list[Fix]:
    """E0599 "no method named `iter` found for type parameter `I`" (a generic `I: IntoIterator`):
    `into_iter`. Example: `types.std_type`'s second."""
    if site.text in ("iter", "iter_mut") and "no method named" in site.error.message:
        return [_replace_span(site, "iterate with `into_iter()`", "into_iter")]
    return []


# no rustc suggestion: the turbofish `::<'static>` goes
@rule("E0794", priority=1620, examples=[
    Example("a-lifetime-argument-a-late-bound-lifetime-forbids-is-removed", """\
fn first<'a>(x: &'a str) -> &'a str {
    x
}

pub fn pick() -> fn(&str) -> &str {
    first::<'static>
}
""", after=("    first\n}",)),
])
def late_bound_lifetime_argument(site: Site) -> list[Fix]:
    """E0794 "cannot specify lifetime arguments explicitly if late bound lifetime parameters are
    present": the lifetime argument goes, and `::<>` with it when nothing else is in it."""
    f, lo, hi, data, expr = site.file, site.span.byte_start, site.span.byte_end, site.data, site.text
    if not re.fullmatch(r"'\w+", expr):
        return []
    before, after = data[:lo], data[hi:]
    m_open = re.search(rb"::\s*<\s*$", before)
    m_close = re.match(rb"\s*>", after)
    if m_open and m_close:
        return [Fix("remove the explicit lifetime arguments", (TextEdit(f, m_open.start(), hi + m_close.end(), ""),),
                    MAYBE_INCORRECT)]
    m_comma = re.match(rb"\s*,\s*", after)
    if m_comma:
        return [Fix(f"remove the lifetime argument `{expr}`", (TextEdit(f, lo, hi + m_comma.end(), ""),),
                    MAYBE_INCORRECT)]
    return []


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


@rule("E0695", priority=3020, examples=[
    Example("an-unlabeled-break-in-a-labeled-block-names-its-loop", """\
pub fn first(xs: &[u8]) -> usize {
    let mut i = 0;
    loop {
        'check: {
            if xs[i] == 0 {
                break;
            }
            if xs[i] > 9 {
                break 'check;
            }
        }
        i += 1;
    }
    i
}
""", after=("'outer: loop {", "break 'outer;")),
])
def label_the_loop_left(site: Site) -> list[Fix]:
    """E0695 an unlabeled `break` inside a labeled block: it meant the loop around it, which gets a
    label (`'outer`) the `break` names."""
    span, f, text = site.span, site.file, site.text
    if text not in ("break", "continue"):
        return []
    loop = loop_start_at(site.data, span.byte_start)
    item = site.item
    if loop is not None and item is not None and (name := fresh_name(item.text, ("'outer", "'scan", "'main_loop"))):
        return [Fix(f"label the loop `{name}` and `{text} {name}`",
                    (TextEdit(f, loop, loop, f"{name}: "), TextEdit(f, span.byte_end, span.byte_end, f" {name}")),
                    MAYBE_INCORRECT)]
    return []


# "expected type, found variant `Level::High`" in a signature
@rule("E0573", priority=3030, examples=[
    Example("a-variant-used-as-a-type-becomes-its-enum", """\
pub fn is_high() -> bool {
    enum Level {
        Low,
        High,
    }
    fn top() -> Level::High {
        Level::High
    }
    matches!(top(), Level::High)
}
""", after=("fn top() -> Level {",)),
])
def enum_of_variant(site: Site) -> list[Fix]:
    """E0573 a variant used as a type (`fn f() -> Dragon::Born`): its enum."""
    m = re.match(r"expected type, found variant `((?:\w+::)+)(\w+)`", site.error.message)
    text = site.text
    if m and text.endswith("::" + m.group(2)):
        return [_replace_span(site, f"use the enum `{text[:-len(m.group(2)) - 2]}`", text[:-len(m.group(2)) - 2])]
    return []


# "use of undeclared label `'scan`"
@rule("E0426", priority=3090, examples=[
    Example("an-undeclared-loop-label-labels-the-enclosing-loop", """\
pub fn first_even(xs: &[u32]) -> Option<u32> {
    let mut found = None;
    for &x in xs {
        if x % 2 == 0 {
            found = Some(x);
            break 'scan;
        }
    }
    found
}
""", after=("'scan: for &x in xs {",)),
])
def label_enclosing_loop(site: Site) -> list[Fix]:
    """E0426 "use of undeclared label `'a`": the innermost enclosing loop labelled `'a:`."""
    text = site.text
    if not re.fullmatch(r"'\w+", text):
        return []
    loop = loop_start_at(site.data, site.span.byte_start)
    if loop is None:
        return []
    return [Fix(f"label the enclosing loop `{text}`", (TextEdit(site.file, loop, loop, f"{text}: "),), MAYBE_INCORRECT)]
