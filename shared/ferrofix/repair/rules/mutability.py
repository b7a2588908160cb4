"""Borrowing, part one: shared borrows where a mutable one is needed, which rustc explains but leaves
unfixed (`iter()` → `iter_mut()`, `&x` → `&mut x`, `&self` → `&mut self`, `.as_mut()`)."""

from __future__ import annotations

import re
from typing import Iterator

from ...context import parameters_at, receiver_at, reference_at
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


# E0594 where rustc labels "this iterator yields `&` references" but suggests nothing.
@rule("E0594", "E0596", priority=400, guess=False, span=False, examples=[
    Example("an-iterator-yielding-shared-references-becomes-iter-mut", """\
pub fn difference(a: &mut Vec<u32>, b: &[u32]) {
    for (x, y) in a.iter().zip(b.iter()) {
        *x &= !*y;
    }
}
""", after=("a.iter_mut().zip(b.iter())",)),
])
def iter_mut_variant(site: Site) -> Iterator[Fix]:
    """For "cannot assign to `*x`/borrow `*x` as mutable, which is behind a `&` reference": the `&mut`
    variant of a std method the error's other spans call (`.iter()` → `.iter_mut()` where rustc labels
    "this iterator yields `&` references"), one candidate per call (rustc explains this case but
    suggests no edit)."""
    if not _behind_shared_reference(site):
        return
    for s in site.error.spans:
        if s.is_primary or s.file_name not in site.files:
            continue
        data = site.files[s.file_name]
        for m in _MUT_CALL.finditer(data[s.byte_start:s.byte_end]):
            at = s.byte_start + m.start(1)
            name = m.group(1).decode()
            edit = TextEdit(s.file_name, at, at + len(name), MUT_VARIANTS[m.group(1)].decode())
            yield Fix(f"call `{edit.new_text}()` instead of `{name}()` ({s.label or 'the borrow'})", (edit,),
                      MAYBE_INCORRECT)


# E0596 on `let mut p = &self.items; p.push(..)` in a `&self` method: rustc's `&mut self.items` fails.
@rule("E0594", "E0596", priority=410, guess=False, span=False, examples=[
    Example("a-borrow-of-a-field-behind-self-becomes-an-owned-clone", """\
pub struct Bag {
    items: Vec<u32>,
}

impl Bag {
    pub fn with(&self, x: u32) -> Vec<u32> {
        let mut items = &self.items;
        items.push(x);
        items.to_vec()
    }
}
""", after=("let mut items = self.items.clone();",)),
])
def clone_instead_of_borrow(site: Site) -> Iterator[Fix]:
    """Where rustc suggests `&mut x` for a `&x` behind a `&` reference: `x.clone()`. rustc's "consider
    changing this to be a mutable reference" fails when `x` is itself behind `&self`; an owned copy is
    the other way to mutate it."""
    if not _behind_shared_reference(site):
        return
    for child in site.error.children:
        for s in child.spans:
            if (s.suggested_replacement or "").strip() != "mut" or s.byte_start != s.byte_end \
                    or s.file_name not in site.files:
                continue
            data = site.files[s.file_name]
            ref = reference_at(data, s.byte_start - 1) if data[s.byte_start - 1:s.byte_start] == b"&" else None
            if ref is None:
                continue
            lo, hi, value = ref
            owned = f"{value}.clone()" if re.fullmatch(r"[\w.:]+", value) else f"({value}).clone()"
            yield Fix(f"clone instead of borrowing: `{owned}`", (TextEdit(s.file_name, lo, hi, owned),),
                      MAYBE_INCORRECT)


# E0308 "types differ in mutability" on `&v` (rustc suggests nothing); E0507 moving a field out from
# behind `&mut self` (a `Vec` of a type that is not Clone): `std::mem::take` (`borrowing.take_value`).
@rule("E0308", "E0053", priority=1600, examples=[
    Example("a-shared-borrow-passed-where-a-mutable-one-is-expected-becomes-mut", """\
fn fill(v: &mut Vec<u32>) {
    v.push(1);
}

pub struct Token(u32);

pub struct Buf {
    cur: Vec<Token>,
    done: Vec<Vec<Token>>,
    ids: Vec<u32>,
}

impl Buf {
    pub fn refill(&mut self) {
        fill(&self.ids);
    }

    pub fn flush(&mut self) {
        let chunk = self.cur;
        self.done.push(chunk);
    }
}
""", after=("fill(&mut self.ids);", "let chunk = std::mem::take(&mut self.cur);")),
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


@rule("E0308", priority=2000)
def mut_method(site: Site) -> Iterator[Fix]:
    """E0308 "expected `IterMut<'_, K, V>`, found `Iter<'_, K, V>`": a std method in the error's primary
    span that returns the shared variant becomes its `&mut` one (`.iter()` → `.iter_mut()`,
    `MUT_VARIANTS`). Example: `types.std_type`'s."""
    span = site.span
    m = re.search(r"expected `(?:[\w:]+::)?(\w+)(?:<[^`]*)?`, found `(?:[\w:]+::)?(\w+)", site.error.plain_text())
    if not m or "Mut" not in m.group(1) or "Mut" in m.group(2):
        return
    for c in _MUT_CALL.finditer(site.data[span.byte_start:span.byte_end]):
        at = span.byte_start + c.start(1)
        new = MUT_VARIANTS[c.group(1)].decode()
        yield Fix(f"call `{new}()` instead of `{c.group(1).decode()}()`",
                  (TextEdit(site.file, at, at + len(c.group(1)), new),), MAYBE_INCORRECT)


@rule("E0606", priority=2500, examples=[
    Example("a-mut-pointer-cast-of-self-takes-mut-self", """\
pub struct Counter {
    n: u32,
}

impl Counter {
    pub fn raw(&self) -> *mut Counter {
        self as *mut Counter
    }
}
""", after=("pub fn raw(&mut self)",)),
])
def mutable_for_pointer_cast(site: Site) -> Iterator[Fix]:
    """E0606 "casting `&T` as `*mut T` is invalid": the method's receiver `&mut self` (or `&mut x` for a
    `&x` operand, or the parameter the operand names as `&mut T`)."""
    e, span, data, f, expr = site.error, site.span, site.data, site.file, site.text
    if not re.match(r"casting `&(?!mut\b)[^`]*` as `\*mut ", e.message):
        return
    operand = re.split(r"\s+as\s+", expr, maxsplit=1)[0].strip()
    recv = receiver_at(data, span.byte_start)
    if operand == "self" and recv is not None and recv[2].startswith("&") and "mut" not in recv[2]:
        new = mutable_reference(recv[2])
        yield Fix(f"take `{new}` instead of `{recv[2]}`", (TextEdit(f, recv[0], recv[1], new),), MAYBE_INCORRECT)
    elif operand.startswith("&") and not re.match(r"&\s*mut\b", operand):
        at = span.byte_start + expr.index("&") + 1
        yield Fix("borrow mutably for the `*mut` cast", (TextEdit(f, at, at, "mut "),), MAYBE_INCORRECT)
    for name, ty, tlo, thi in parameters_at(data, span.byte_start):
        if name == operand and ty.startswith("&") and not re.match(r"&('\w+\s+)?mut\b", ty):
            new = mutable_reference(ty)
            yield Fix(f"take `{name}: {new}`", (TextEdit(f, tlo, thi, new),), MAYBE_INCORRECT)


# `if let Some(item) = &self.slot { item.push(b) }`
@rule("E0596", priority=2510, examples=[
    Example("a-binding-from-a-shared-borrow-mutated-borrows-mutably", """\
pub struct Holder {
    slot: Option<Vec<u8>>,
}

impl Holder {
    pub fn add(&mut self, b: u8) {
        if let Some(item) = &self.slot {
            item.push(b);
        }
    }
}
""", after=("= &mut self.slot",)),
])
def mutable_binding_source(site: Site) -> Iterator[Fix]:
    """E0596 "cannot borrow `*x` as mutable, as it is behind a `&` reference" where `x` is bound from
    `&place` (`if let Some(x) = &self.v`, `for x in &v`): `&mut place`."""
    m = re.match(r"cannot borrow `\*?(\w+)` as mutable, as it is behind a `&` reference", site.error.message)
    item = site.item if m else None
    if item is None:
        return
    before = site.data[item.byte_start:site.span.byte_start]
    binds = list(re.finditer(rb"\b" + m.group(1).encode() + rb"\b[^;{}]*?(?:=|\bin)\s*(&)(?!\s*mut\b)", before))
    if binds:
        at = item.byte_start + binds[-1].end(1)
        yield Fix(f"borrow what `{m.group(1)}` is bound from mutably: `&mut`", (TextEdit(site.file, at, at, "mut "),),
                  MAYBE_INCORRECT)


# E0308 "expected `&mut String`, found `String`"; rustc's `&mut ...` then returns a temporary (E0515).
@rule("E0308", "E0515", priority=2520, examples=[
    Example("returning-an-owned-option-value-where-a-reference-is-wanted-borrows-through-as-mut", """\
pub struct Person {
    name: Option<String>,
}

impl Person {
    pub fn name_mut(&mut self) -> &mut String {
        self.name.take().unwrap()
    }
}
""", after=("self.name.as_mut()",), counts=(("&mut self.name", 0),)),
])
def borrow_through_chain(site: Site) -> Iterator[Fix]:
    """E0308 "expected `&mut T`, found `T`" on a method chain (`self.file.take().unwrap()`): `.as_mut()`
    (`.as_ref()` for `&T`) inserted before one of its calls, so the chain ends in a borrow of the place
    rather than of a temporary; E0515 "cannot return reference to temporary value" on `&mut <such a
    chain>` likewise, without the `&mut`."""
    e, span, expr = site.error, site.span, site.text
    m = re.search(r"expected `&(mut )?([^`]+)`, found `([^`]+)`", "\n".join(s.label or "" for s in e.spans))
    chain, method = None, ""
    if e.code == "E0308" and m and m.group(2).strip() == m.group(3).strip() and not expr.startswith("&"):
        chain, method = expr, "as_mut" if m.group(1) else "as_ref"
    elif e.code == "E0515" and "reference to temporary value" in e.message and (b := re.match(r"&\s*(mut\s+)?", expr)):
        # `&mut self.file.take().unwrap()` (rustc's own suggestion for the E0308 above): the same, unborrowed
        chain, method = expr[b.end():], "as_mut" if b.group(1) else "as_ref"
    if chain is None:
        return
    for c in list(re.finditer(r"\.\w+\s*\(", chain))[:4]:
        new = chain[:c.start()] + f".{method}()" + chain[c.start():]
        yield Fix(f"borrow through `.{method}()`: `{new}`", (TextEdit(site.file, span.byte_start, span.byte_end, new),),
                  MAYBE_INCORRECT)
