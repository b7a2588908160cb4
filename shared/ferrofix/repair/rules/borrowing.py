"""Borrowing, part two: moves out of borrows and borrows in conflict (a receiver taken by reference, a
copy instead of a borrow, reordered statements)."""

from __future__ import annotations

import re
from typing import Iterator

from ...context import enclosing_item, receiver_at
from ...diagnostics import MAYBE_INCORRECT
from ...edits import Fix, TextEdit
from ..codes import BORROWCK_CODES
from .registry import Example, rule
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
