"""Borrowing, part two: moves out of borrows, borrows in conflict, references that cannot be taken
(receivers by value, `.as_ref()`, copies, `std::mem::take`, reordered statements)."""

from __future__ import annotations

import re
from typing import Iterator

from ...context import enclosing_item, receiver_at
from ...diagnostics import MAYBE_INCORRECT
from ...edits import Fix, TextEdit
from ..codes import BORROWCK_CODES
from .registry import UNCODED, Example, rule
from .site import Site


# E0507 "cannot move out of `*self` which is behind a mutable reference" (rustc suggests nothing);
# E0515: the result borrows from `self` for `'a`, so only `&'a self` compiles.
@rule(*BORROWCK_CODES, "E0493", priority=1100, span=False, examples=[
    Example("a-method-taking-self-by-value-borrows-it-instead", """\
pub struct Stack {
    items: Vec<u32>,
}

impl Stack {
    pub fn len(self) -> usize {
        self.items.len()
    }

    pub fn push(&mut self, x: u32) -> usize {
        self.items.push(x);
        self.len()
    }

    pub fn first<'a>(self, _other: &'a Stack) -> &'a u32 {
        &self.items[0]
    }
}
""", after=("pub fn len(&self) -> usize", "pub fn first<'a>(&'a self, _other: &'a Stack)")),
])
def receiver_by_reference(site: Site) -> Iterator[Fix]:
    """For a borrow-check error or E0493 (a destructor in a `const fn`) whose spans or notes point into a
    method taking `self` by value (the method the error is in, or the one whose call moves `*self`):
    that receiver as `&self`, `&mut self`, then with each lifetime the method declares (`&'a self`).
    rustc names the move ("`*self` moved due to this method call") but suggests no edit."""
    seen = set()
    for s in site.all_spans():
        if s.file_name not in site.files:
            continue
        recv = receiver_at(site.files[s.file_name], s.byte_start)
        if recv is None or recv[2] not in ("self", "mut self") or (s.file_name, recv[0]) in seen:
            continue
        seen.add((s.file_name, recv[0]))
        # `&'a self` where the function declares `'a` (its result borrows from `self` for `'a`)
        refs = ["&self", "&mut self"] + [f"&{lt}{m} self" for m in ("", " mut") for lt in recv[3]]
        for new in refs:
            yield Fix(f"take `{new}` instead of `{recv[2]}`", (TextEdit(s.file_name, recv[0], recv[1], new),),
                      MAYBE_INCORRECT)


# moved by `.map(..)`; rustc's own suggestions (clone it, derive Clone) do not compile
@rule("E0507", priority=1500, examples=[
    Example("a-method-moving-out-of-a-reference-is-called-through-as-ref", """\
pub struct Token(u32);

pub fn id(tok: &Option<Token>) -> Option<u32> {
    tok.map(|t| t.0)
}
""", after=("tok.as_ref().map(|t| t.0)",)),
])
def as_ref_before_call(site: Site) -> list[Fix]:
    """For "cannot move out of `x` which is behind a shared/mutable reference" where a method call moves
    it ("`x` moved due to this method call": `self.both()` on `&self`, `opt.unwrap()` on `&Option`):
    `.as_ref()`, then `.as_mut()`, inserted before the call, so the method consumes a borrowed view."""
    if not any("moved due to this method call" in (s.label or "") for s in site.error.spans):
        return []
    at = site.span.byte_end
    if site.data[at:at + 1] != b".":
        return []
    return [Fix(f"borrow through `.{m}()` before the call", (TextEdit(site.file, at, at, f".{m}()"),),
                MAYBE_INCORRECT) for m in ("as_ref", "as_mut")]


# Examples: `let at = &self.len;` used as `*at` after `self.len += 1` (the borrow and its dereferences go
# together); E0506 on `&self.n` beside E0614 "type `u32` cannot be dereferenced" on `*b` (`types.no_deref`).
@rule("E0502", "E0505", "E0506", priority=1650, examples=[
    Example("a-copy-value-borrowed-across-its-assignment-is-copied-with-its-derefs", """\
pub struct Log {
    len: usize,
    marks: Vec<usize>,
}

impl Log {
    pub fn mark(&mut self) {
        let at = &self.len;
        self.len += 1;
        self.marks.push(*at);
    }
}
""", after=("let at = self.len;", "self.marks.push(at);")),
    Example("a-needless-deref-or-borrow-of-a-copy-value-is-dropped", """\
pub fn all_zero(xs: Vec<u32>) -> bool {
    xs.into_iter().all(|b| *b == 0)
}

pub struct Counter {
    n: usize,
}

impl Counter {
    pub fn bump(&mut self) -> usize {
        let old = &self.n;
        self.n += 1;
        old.clone()
    }
}
""", after=("all(|b| b == 0)", "let old = self.n;")),
])
def copy_instead_of_borrow(site: Site) -> Iterator[Fix]:
    """E0502/E0505/E0506 (assigned or moved while borrowed) where the borrow is `&place`: the place copied
    instead (`&self.len` → `self.len`; only a Copy value compiles), and the dereferences of the binding
    it initializes (`let pos = &self.len;` ... `*pos`) with it."""
    for s in site.error.spans:
        text = site.files[s.file_name][s.byte_start:s.byte_end] if s.file_name in site.files else b""
        if "borrowed here" not in (s.label or "") or not re.fullmatch(rb"&\s*[\w.]+", text):
            continue
        edits = [TextEdit(s.file_name, s.byte_start, s.byte_start + 1, "")]
        data = site.files[s.file_name]
        bound = re.search(rb"\blet\s+(?:mut\s+)?(\w+)\s*=\s*$", data[max(0, s.byte_start - 80):s.byte_start])
        item = enclosing_item(data, s.byte_start, s.byte_end)
        if bound and item is not None:
            deref = re.compile(rb"\*\s*" + bound.group(1) + rb"\b")
            edits += [TextEdit(s.file_name, s.byte_end + d.start(), s.byte_end + d.start() + 1, "")
                      for d in deref.finditer(data[s.byte_end:item.byte_end])]
        yield Fix(f"copy `{text[1:].strip().decode()}` instead of borrowing it", tuple(edits), MAYBE_INCORRECT)


@rule("E0507", priority=1660)
def take_value(site: Site) -> list[Fix]:
    """E0507 "cannot move out of `self.v` which is behind a mutable reference" on a place expression:
    `std::mem::take(&mut self.v)` (leaves the default behind). Example: `mutability.borrow_mutably`'s."""
    expr = site.text
    if "behind a mutable reference" in site.error.message and re.fullmatch(r"[\w.]+", expr):
        new = f"std::mem::take(&mut {expr})"
        return [Fix(f"take the value, leaving its default: `{new}`",
                    (TextEdit(site.file, site.span.byte_start, site.span.byte_end, new),), MAYBE_INCORRECT)]
    return []


# `Box::new(self)` in `fn boxed(&self) -> Box<dyn Shape>` (rustc's `+ '_` breaks the trait's signature)
@rule(UNCODED, priority=2700, examples=[
    Example("boxing-a-borrowed-self-as-a-trait-object-clones-it", """\
pub trait Shape {
    fn boxed(&self) -> Box<dyn Shape>;
}

impl<S: Shape + ?Sized> Shape for &S {
    fn boxed(&self) -> Box<dyn Shape> {
        (**self).boxed()
    }
}

#[derive(Clone)]
pub struct Square(pub u32);

impl Shape for Square {
    fn boxed(&self) -> Box<dyn Shape> {
        Box::new(self)
    }
}
""", after=("Box::new(self.clone())",)),
])
def clone_escaping_borrow(site: Site) -> Iterator[Fix]:
    """"lifetime may not live long enough" where a borrowed parameter is returned where an owned value
    must outlive the call (`Box::new(self)` in `fn clone_box(&self) -> Box<dyn Tr>`; rustc: "let's call
    the lifetime of this reference `'1`"): that parameter cloned (`self.clone()`) where the primary span
    uses it as a value."""
    span, data = site.span, site.data
    if "lifetime may not live long enough" not in site.error.message:
        return
    names = []
    for s in site.error.spans:
        if s.file_name != span.file_name or "lifetime of this reference" not in (s.label or ""):
            continue
        if re.match(rb"&\s*(?:'\w+\s+)?(?:mut\s+)?(self)\b", data[s.byte_start:s.byte_start + 40]):
            names.append("self")
        elif (m := re.search(rb"(\w+)\s*:\s*$", data[max(0, s.byte_start - 80):s.byte_start])):
            names.append(m.group(1).decode())
    expr = site.text
    for name in dict.fromkeys(names):
        for m in list(re.finditer(rf"(?<![\w.]){re.escape(name)}\b(?!\s*[.(:!])", expr))[:3]:
            at = span.byte_start + len(expr[:m.end()].encode())
            yield Fix(f"clone `{name}` instead of returning the borrow", (TextEdit(site.file, at, at, ".clone()"),),
                      MAYBE_INCORRECT)


# `&h.len` → `&raw const h.len`; the implicit borrow in `format!` → a copy `{ h.len }`
@rule("E0793", priority=2980, examples=[
    Example("a-reference-to-a-packed-field-becomes-a-raw-pointer-or-a-copy", """\
#[repr(packed)]
pub struct Header {
    pub tag: u8,
    pub len: u32,
}

pub fn show(h: &Header) -> (String, *const u32) {
    let p = &h.len;
    (format!("{}", h.len), p as *const u32)
}
""", after=("let p = &raw const h.len;", "{ h.len }")),
])
def unaligned_reference(site: Site) -> list[Fix]:
    """E0793 "reference to packed field is unaligned": `&raw const` instead of `&`, or a copy (`{ foo.x }`)
    where a macro borrows the field."""
    text = site.text
    if not re.fullmatch(r"&?\s*[\w.]+", text):
        return []
    new = f"&raw const {text[1:].strip()}" if text.startswith("&") else f"{{ {text} }}"
    return [Fix(f"avoid the unaligned reference: `{new}`",
                (TextEdit(site.file, site.span.byte_start, site.span.byte_end, new),), MAYBE_INCORRECT)]


# E0501 "cannot borrow `*n` as mutable because previous closure requires unique access"
@rule("E0499", "E0501", "E0502", "E0505", "E0506", priority=2930, examples=[
    Example("a-borrow-conflicting-with-a-closures-capture-moves-before-the-closure", """\
fn bump(x: &mut u32) {
    *x += 1;
}

pub fn run(n: &mut u32) {
    let mut inc = || bump(n);
    bump(n);
    inc();
}
""", order=("    bump(n);\n", "let mut inc")),
])
def reorder_conflicting_borrows(site: Site) -> list[Fix]:
    """For two borrows in conflict ("cannot borrow `*a` as mutable because previous closure requires
    unique access", "... also borrowed as immutable"), rustc's labels give three statements: the first
    borrow ("closure construction occurs here", "immutable borrow occurs here"), the conflicting one
    (the primary span) and the first borrow's last use ("first borrow later used here"). Candidates:
    the conflicting statement moved above the first borrow's statement, or the last use moved above
    the conflicting statement, when each is one line (ending in `;`) at the same block level. This
    changes the order of evaluation, which the compiler cannot judge: a guess, and it comes after every
    other candidate for the error."""
    e, span, f, data = site.error, site.span, site.file, site.data
    first = next((s for s in e.spans if s.file_name == f and not s.is_primary and
                  re.search(r"(construction|borrow|move) occurs here", s.label or "")), None)
    later = next((s for s in e.spans if s.file_name == f and "later used here" in (s.label or "")), None)

    def line_at(offset: int) -> tuple[int, int, bytes]:
        lo = data.rfind(b"\n", 0, offset) + 1
        hi = data.find(b"\n", offset)
        hi = len(data) if hi < 0 else hi + 1
        return lo, hi, data[lo:hi]

    def indent(line: bytes) -> bytes:
        return re.match(rb"[ \t]*", line).group()

    def statement(line: bytes) -> bool:  # a whole one-line statement: `f(a);`, `let x = g(&v); // note`
        return bool(re.fullmatch(rb"[ \t]*[^\s}{/][^{}]*;[ \t]*(//[^\n]*)?\n?", line))

    out = []
    p_lo, p_hi, p_line = line_at(span.byte_start)
    if first is not None:
        f_lo, _f_hi, f_line = line_at(first.byte_start)
        if f_lo < p_lo and statement(p_line) and indent(f_line) == indent(p_line) \
                and not f_line[len(indent(f_line)):].startswith((b"}", b")")):
            moved = p_line if p_line.endswith(b"\n") else p_line + b"\n"
            out.append(Fix("move the conflicting statement before the first borrow",
                           (TextEdit(f, f_lo, f_lo, moved.decode("utf-8")), TextEdit(f, p_lo, p_hi, "")),
                           MAYBE_INCORRECT))
    if later is not None:
        l_lo, l_hi, l_line = line_at(later.byte_start)
        if p_lo < l_lo and statement(l_line) and indent(l_line) == indent(p_line):
            moved = l_line if l_line.endswith(b"\n") else l_line + b"\n"
            out.append(Fix("finish with the first borrow before the conflicting statement",
                           (TextEdit(f, p_lo, p_lo, moved.decode("utf-8")), TextEdit(f, l_lo, l_hi, "")),
                           MAYBE_INCORRECT))
    return out


@rule("E0745", priority=3100, examples=[
    Example("the-address-of-a-temporary-binds-it-to-a-local", """\
pub fn seven() -> u32 {
    let p = &raw const 7;
    unsafe { *p }
}
""", after=("let value = 7;", "&raw const value")),
])
def bind_temporary(site: Site) -> list[Fix]:
    """E0745 "cannot take address of a temporary": the temporary bound to a local (`let value = 2;`) first."""
    span, data, text = site.span, site.data, site.text
    if "\n" in text:
        return []
    line = data.rfind(b"\n", 0, span.byte_start) + 1
    indent = re.match(rb"[ \t]*", data[line:]).group().decode()
    return [Fix(f"bind the temporary `{text}` to a local first",
                (TextEdit(site.file, line, line, f"{indent}let value = {text};\n"),
                 TextEdit(site.file, span.byte_start, span.byte_end, "value")), MAYBE_INCORRECT)]
