"""Borrowing, part one: shared borrows where a mutable one is needed, which rustc explains but leaves
unfixed (`&x` → `&mut x`, `p: &T` → `p: &mut T`)."""

from __future__ import annotations

import re

from ...context import parameters_at, receiver_at
from ...diagnostics import MAYBE_INCORRECT
from ...edits import Fix, TextEdit
from .registry import Example, rule
from .site import Site


def _shared_reference(ty: str) -> bool:
    """Whether `ty` (a type or a receiver) is a shared reference: `&T`, `&'a T`, `&self`, not `&mut T`."""
    return ty.startswith("&") and not re.match(r"&('\w+\s+)?mut\b", ty)


def mutable_reference(ty: str) -> str:
    """`&T`/`&'a T` (a type or a receiver such as `&self`) as `&mut T`/`&'a mut T`."""
    return re.sub(r"^&('\w+\s+)?", lambda m: "&" + (m.group(1) or "") + "mut ", ty)


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
    Example("a-shared-reference-parameter-passed-on-as-mutable-is-declared-mut", """\
fn fill(v: &mut Vec<u32>) {
    v.push(1);
}

pub fn refill(ids: &Vec<u32>) {
    fill(ids);
}
""", after=("pub fn refill(ids: &mut Vec<u32>)",)),
    Example("a-shared-receiver-returned-as-mutable-is-declared-mut", """\
pub struct Builder {
    quote: u8,
}

impl Builder {
    pub fn quote(&self, quote: u8) -> &mut Builder {
        self.quote = quote;
        self
    }
}
""", after=("pub fn quote(&mut self, quote: u8) -> &mut Builder {",)),
])
def borrow_mutably(site: Site) -> list[Fix]:
    """E0308 "types differ in mutability" (expected `&mut T`, found `&T`) on a `&x` argument, which rustc
    leaves unfixed: `&mut x`; on a parameter `p: &T` of the enclosing function passed on as it is, the
    parameter's type made `&mut T` (the binding's declaration, not the use), and on `self` the receiver
    `&self` made `&mut self`. E0053 (a trait method's parameter) alike."""
    e, span, expr = site.error, site.span, site.text
    if not any("differ in mutability" in (s.label or "") for s in e.spans):
        return []
    if expr.startswith("&") and not re.match(r"&\s*mut\b", expr):
        new = "&mut " + expr[1:].lstrip()
        return [Fix(f"borrow mutably: `{new}`", (TextEdit(site.file, span.byte_start, span.byte_end, new),),
                    MAYBE_INCORRECT)]
    if expr == "self":
        found = receiver_at(site.data, span.byte_start)
        if found is not None and _shared_reference(found[2]):
            new = mutable_reference(found[2])
            return [Fix(f"declare the receiver `{new}`", (TextEdit(site.file, found[0], found[1], new),),
                        MAYBE_INCORRECT)]
        return []
    if re.fullmatch(r"[a-z_]\w*", expr):
        for pattern, ty, lo, hi in parameters_at(site.data, span.byte_start):
            if pattern == expr and _shared_reference(ty):
                new = mutable_reference(ty)
                return [Fix(f"declare the parameter `{expr}: {new}`", (TextEdit(site.file, lo, hi, new),),
                            MAYBE_INCORRECT)]
    return []
