"""Names: method names from other languages, names bound twice."""

from __future__ import annotations

import re

from ...diagnostics import MAYBE_INCORRECT
from ...edits import Fix, TextEdit
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
