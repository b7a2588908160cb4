"""Borrowing, part two: moves out of borrows and borrows in conflict (a receiver taken by reference, a
copy or a clone instead of a borrow, reordered statements)."""

from __future__ import annotations

import re
from typing import Iterator

from ...context import enclosing_item, let_declaration, literal_types, parse, receiver_at
from ...diagnostics import MAYBE_INCORRECT, Span
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


#: rustc's labels on the shared borrow a borrow-check error finds in the way (E0502, E0506, E0505)
_SHARED_BORROW = re.compile(r"immutable borrow occurs here|`[^`]+` is borrowed here|borrow of `[^`]+` occurs here")
#: tree-sitter node types a place expression is made of (`v[0]`, `self.items`, `*v`)
_PLACE_NODES = frozenset({"identifier", "self", "field_expression", "field_identifier", "index_expression",
                          "unary_expression", "parenthesized_expression", "integer_literal", "scoped_identifier"})


# Examples: E0502 on `let first = &v[0];` then `v.push(..)` then `first.len()`; a closure that assigns
# what an argument borrows (rustc's UI test borrowck-loan-vec-content).
@rule("E0502", "E0505", "E0506", priority=2900, examples=[
    Example("a-shared-borrow-in-the-way-of-a-mutation-borrows-a-clone", """\
pub fn first_len_after_push(v: &mut Vec<String>) -> usize {
    let first = &v[0];
    v.push(String::new());
    first.len()
}
""", after=("let first = &v[0].clone();",)),
])
def clone_instead_of_borrow(site: Site) -> Iterator[Fix]:
    """E0502/E0505/E0506 (a place mutated, moved or assigned while shared-borrowed) where the shared
    borrow is `&place` (`&v[0]`, `&self.name`, `&*b`; rustc's span may be the place or its base `v`): the
    borrow takes a clone instead (`&v[0].clone()`; a temporary that lives to the end of the statement, or
    of the block for a `let`, by Rust's temporary lifetime extension), so the mutation no longer
    conflicts. Only a `Clone` value compiles; what reads through the borrow sees the value as it was
    when borrowed, which the compiler cannot judge for intent: a guess, after `copy_instead_of_borrow`."""
    for s in site.error.spans:
        if s.is_primary or not _SHARED_BORROW.fullmatch(s.label or "") or s.file_name not in site.files:
            continue
        data = site.files[s.file_name]
        node = parse(data).root_node.descendant_for_byte_range(s.byte_start, max(s.byte_start, s.byte_end))
        while node is not None and node.type in _PLACE_NODES:
            node = node.parent
        value = node.child_by_field_name("value") if node is not None and node.type == "reference_expression" else None
        if value is None or b"mut" in data[node.start_byte:value.start_byte]:
            continue
        text = value.text.decode("utf-8", "replace")
        wrap = value.type not in ("identifier", "field_expression", "index_expression", "self")
        edits = (TextEdit(s.file_name, value.start_byte, value.start_byte, "("),) if wrap else ()
        edits += (TextEdit(s.file_name, value.end_byte, value.end_byte, ").clone()" if wrap else ".clone()"),)
        yield Fix(f"borrow a clone of `{text}`", edits, MAYBE_INCORRECT)
        return


# E0501 "cannot borrow `*n` as mutable because previous closure requires unique access"
@rule("E0499", "E0501", "E0502", "E0503", "E0505", "E0506", priority=2930, examples=[
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
    # E0503 "cannot use `total` because it was mutably borrowed": its first borrow's label is "`total`
    # is borrowed here"
    Example("a-use-of-a-mutably-borrowed-value-moves-before-the-borrow", """\
pub fn run() -> u32 {
    let mut total = 3;
    let r = &mut total;
    let next = total + 1;
    *r += 1;
    next
}
""", order=("    let next = total + 1;\n", "    let r = &mut total;")),
])
def reorder_conflicting_borrows(site: Site) -> list[Fix]:
    """For two borrows in conflict ("cannot borrow `*a` as mutable because previous closure requires
    unique access", "... also borrowed as immutable", "cannot use `v` because it was mutably
    borrowed"), rustc's labels give three statements: the first borrow ("closure construction occurs
    here", "immutable borrow occurs here", "`v` is borrowed here"), the conflicting one
    (the primary span) and the first borrow's last use ("first borrow later used here"). Candidates:
    the conflicting statement moved above the first borrow's statement, or the last use moved above
    the conflicting statement, when each is one line (ending in `;`) at the same block level. This
    changes the order of evaluation, which the compiler cannot judge: a guess, and it comes after every
    other candidate for the error."""
    e, span, f, data = site.error, site.span, site.file, site.data
    first = next((s for s in e.spans if s.file_name == f and not s.is_primary and
                  re.search(r"(construction|borrow|move) occurs here|is borrowed here", s.label or "")), None)
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


#: rustc's label on the `let` of the binding a borrow-check error is about
_DECLARED_HERE = re.compile(r"binding `(\w+)` declared here")


def _declared_here(site: Site) -> Span | None:
    """The error's span in the primary span's file labelled "binding `x` declared here", or None."""
    return next((s for s in site.error.spans if s.file_name == site.file and
                 _DECLARED_HERE.fullmatch(s.label or "")), None)


def _binding_named(declared: Span) -> str:
    """The binding a "binding `x` declared here" span names (`x`)."""
    return _DECLARED_HERE.fullmatch(declared.label).group(1)


#: blocks a `let` is never hoisted out of: evaluated once instead of each time round, or in a new scope
_NO_HOIST = ("function_item", "closure_expression", "for_expression", "while_expression", "loop_expression",
             "async_block")


@rule("E0597", priority=2000, examples=[
    Example("a-value-declared-in-an-argument-block-is-declared-before-the-call", """\
fn first(x: &(u32,)) -> &u32 {
    &x.0
}

pub fn run() -> u32 {
    let r = first({
        let v = (22,);
        &v
    });
    *r
}
""", order=("let v = (22,);", "let r = first(")),
    Example("a-value-dropped-at-the-end-of-an-inner-scope-moves-out-of-it", """\
pub fn show() -> u32 {
    let r;
    {
        let x = 5;
        r = &x;
    }
    *r + 1
}
""", order=("let x = 5;", "    {\n")),
])
def hoist_dropped_binding(site: Site) -> Iterator[Fix]:
    """E0597 "`x` does not live long enough" where `x` is a `let` binding of an inner block (rustc's
    labels: "binding `x` declared here", "`x` dropped here while still borrowed" at that block's `}`):
    the `let` statement moved out of the block, before the statement of the enclosing block that holds
    it, so that `x` lives as long as the borrow is used (the error index's own fix for E0597: "remove
    the scope so that `y` isn't dropped until after the println"). rustc suggests no edit for it. Never
    out of a function, closure or loop body (the value would be computed once, or not in scope)."""
    e, data, f = site.error, site.data, site.file
    declared = _declared_here(site)
    dropped = next((s for s in e.spans if s.file_name == f and
                    (s.label or "").endswith("dropped here while still borrowed")), None)
    if declared is None or dropped is None:
        return
    node = parse(data).root_node.descendant_for_byte_range(declared.byte_start, declared.byte_end)
    while node is not None and node.type != "let_declaration":
        node = node.parent
    block = node.parent if node is not None else None
    if block is None or block.type != "block" or block.end_byte != dropped.byte_end:
        return
    outer = block  # up to the statement of an enclosing block that holds this block
    while outer.parent is not None and outer.parent.type != "block":
        if outer.parent.type in _NO_HOIST:
            return
        outer = outer.parent
    if outer.parent is None:
        return
    let_lo, let_hi = data.rfind(b"\n", 0, node.start_byte) + 1, node.end_byte
    eol = data.find(b"\n", let_hi)
    eol = len(data) if eol < 0 else eol + 1
    if data[let_lo:node.start_byte].strip() or data[let_hi:eol].strip():  # not alone on its line(s)
        let_lo = node.start_byte
    else:  # its own line(s) go, with the line end
        let_hi = eol
    out_lo = data.rfind(b"\n", 0, outer.start_byte) + 1
    text = node.text.decode("utf-8")
    if data[out_lo:outer.start_byte].strip():  # the statement shares its line: insert right before it
        out_lo, inserted = outer.start_byte, text + " "
    else:
        inserted = data[out_lo:outer.start_byte].decode("utf-8") + text + "\n"
    name = _binding_named(declared)
    yield Fix(f"declare `{name}` before the statement that borrows it, outside its block",
              (TextEdit(f, out_lo, out_lo, inserted), TextEdit(f, let_lo, let_hi, "")), MAYBE_INCORRECT)


# Examples: E0597 "argument requires that `limit` is borrowed for `'static`"; E0515 "cannot return
# reference to local variable `one`".
@rule("E0597", "E0515", priority=2100, examples=[
    Example("a-literal-borrowed-for-static-becomes-a-const", """\
pub fn keep(_: &'static u32) {}

pub fn run() {
    let limit = 22;
    keep(&limit);
}
""", after=("const limit: u32 = 22;",)),
    Example("a-typed-literal-binding-keeps-its-type", """\
pub struct Holder<'a> {
    pub r: &'a u8,
}

pub fn reset<'a>(h: &mut Holder<'a>) {
    let one: u8 = 1;
    h.r = &one;
}
""", after=("const one: u8 = 1;",)),
    Example("a-returned-reference-to-a-literal-binding-is-to-a-const", """\
pub fn unit<'a>(_x: &'a u32) -> &'a u32 {
    let one = 1;
    &one
}
""", after=("const one: u32 = 1;",)),
])
def const_for_required_lifetime(site: Site) -> Iterator[Fix]:
    """A borrow of `x`, an immutable `let x = <literal>;`, that must outlive the function: E0597 "`x`
    does not live long enough" where a label says it must last for a named lifetime ("argument requires
    that `x` is borrowed for `'static`", or `'a`), or E0515 "cannot return reference to local variable
    `x`". The binding becomes a `const` of the `let`'s type, else of each type the literal can have
    (`context.literal_types`): a reference to a constant is promoted to `'static` (the Reference,
    "Constant promotion"), so the borrow outlives every lifetime. rustc suggests no edit for either."""
    e, data, f = site.error, site.data, site.file
    if e.code == "E0515":
        named = re.fullmatch(r"cannot return reference to local variable `(\w+)`", e.message)
        name = named.group(1) if named else None
    else:
        declared = _declared_here(site)
        if declared is None:
            return
        name = _binding_named(declared)
        required = re.compile(rf"requires that `{name}` is borrowed for `'\w+`")
        if not any(required.search(s.label or "") for s in site.all_spans()):
            return
    node = let_declaration(data, site.span.byte_start, name) if name is not None else None
    if node is None or any(c.type == "mutable_specifier" for c in node.children):
        return
    ty, value = node.child_by_field_name("type"), node.child_by_field_name("value")
    if value is None:
        return
    literal = value.text.decode("utf-8")
    types = literal_types(literal)
    for t in (ty.text.decode("utf-8"),) if ty is not None and types else types:
        yield Fix(f"declare `{name}` as a `const` of type `{t}` (a borrowed constant lives for `'static`)",
                  (TextEdit(f, node.start_byte, node.end_byte, f"const {name}: {t} = {literal};"),),
                  MAYBE_INCORRECT)
