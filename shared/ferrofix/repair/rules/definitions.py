"""Definitions and visibility: fixes at the definition an error points to, which rustc shows but does
not edit (`pub`, a duplicate renamed)."""

from __future__ import annotations

import re
from typing import Iterator

from ...diagnostics import MAYBE_INCORRECT, Span
from ...edits import Fix, TextEdit
from .registry import Example, rule
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
