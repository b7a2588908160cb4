"""Borrowing, part one: shared borrows where a mutable one is needed, which rustc explains but leaves
unfixed (`iter()` → `iter_mut()`, `&x` → `&mut x`, `&self` → `&mut self`, `.as_mut()`)."""

from __future__ import annotations

import re
from ...diagnostics import MAYBE_INCORRECT
from ...edits import Fix, TextEdit
from .registry import Example, rule
from .site import Site

#: std methods returning shared references → their `&mut` variants (slices, Vec, maps, Option)
MUT_VARIANTS = {k.encode(): v.encode() for k, v in {
    "iter": "iter_mut", "values": "values_mut", "chunks": "chunks_mut", "chunks_exact": "chunks_exact_mut",
    "get": "get_mut", "first": "first_mut", "last": "last_mut", "as_ref": "as_mut", "as_deref": "as_deref_mut",
    "borrow": "borrow_mut", "as_slice": "as_mut_slice", "split_first": "split_first_mut",
    "split_last": "split_last_mut"}.items()}
_MUT_CALL = re.compile(rb"\.(" + b"|".join(MUT_VARIANTS) + rb")\(")


def mutable_reference(ty: str) -> str:
    """`&T`/`&'a T` (a type or a receiver such as `&self`) as `&mut T`/`&'a mut T`."""
    return re.sub(r"^&('\w+\s+)?", lambda m: "&" + (m.group(1) or "") + "mut ", ty)


def _behind_shared_reference(site: Site) -> bool:
    return "`&` reference" in site.error.message


# E0308 "types differ in mutability" on `&v` (rustc suggests nothing).
@rule("E0308", "E0053", priority=1600, examples=[
    Example("a-shared-borrow-passed-where-a-mutable-one-is-expected-becomes-mut", """\
fn fill(v: &mut Vec<u32>) {
    v.push(1);
}

pub struct Buf {
    ids: Vec<u32>,
}

impl Buf {
    pub fn refill(&mut self) {
        fill(&self.ids);
    }
}
""", after=("fill(&mut self.ids);",)),
])
def borrow_mutably(site: Site) -> list[Fix]:
    """E0308 "types differ in mutability" (expected `&mut T`, found `&T`) on a `&x` argument, which rustc
    leaves unfixed: `&mut x`. E0053 (a trait method's parameter) alike."""
    e, span, expr = site.error, site.span, site.text
    if any("differ in mutability" in (s.label or "") for s in e.spans) \
            and expr.startswith("&") and not re.match(r"&\s*mut\b", expr):
        new = "&mut " + expr[1:].lstrip()
        return [Fix(f"borrow mutably: `{new}`", (TextEdit(site.file, span.byte_start, span.byte_end, new),),
                    MAYBE_INCORRECT)]
    return []

