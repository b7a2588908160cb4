"""Types: type names from other languages, numbers of different types, a dereference of what is not a
reference, arguments in the wrong order, a `collect` without its type, a `?` on what is no `Result`, a
binding declared with the type its use does not take."""

from __future__ import annotations

import re
from typing import Iterator

from ...context import binary_operands, call_arguments_at, declared_type, impl_self_type, split_top_level
from ...diagnostics import MAYBE_INCORRECT
from ...edits import Fix, TextEdit
from .registry import Example, rule
from .site import Site

#: std types by their number of generic type arguments, the prelude's first: candidates for an unknown
#: generic type rustc finds nothing similar to (`Maybe<T>` → `Option<T>`, `List<T>` → `Vec<T>`,
#: `Map<K, V>` → `HashMap<K, V>`: names from other languages), each verified with no new error
STD_GENERICS = {1: ("Option", "Vec", "Box", "std::rc::Rc", "std::sync::Arc", "std::cell::RefCell",
                    "std::collections::HashSet", "std::collections::VecDeque", "std::collections::BTreeSet"),
                2: ("Result", "std::collections::HashMap", "std::collections::BTreeMap")}
#: Type names from other languages → the Rust types they usually mean (C, Java, Go, Python, C#):
#: candidates for an unknown type rustc finds nothing similar to (`uint` → `usize`)
FOREIGN_TYPES = {"int": ("i32", "isize", "i64"), "uint": ("usize", "u32", "u64"), "long": ("i64",),
                 "ulong": ("u64",), "short": ("i16",), "ushort": ("u16",), "byte": ("u8",), "sbyte": ("i8",),
                 "float": ("f32", "f64"), "double": ("f64",), "boolean": ("bool",), "Boolean": ("bool",),
                 "string": ("String", "str"), "Integer": ("i32",), "Double": ("f64",), "size_t": ("usize",),
                 "int32": ("i32",), "int64": ("i64",), "uint8": ("u8",), "uint32": ("u32",), "uint64": ("u64",),
                 "float64": ("f64",), "rune": ("char",), "object": ("Box<dyn std::any::Any>",)}
#: rustc's primitive numeric types (`as` casts between them always compile)
NUMERIC = frozenset("i8 i16 i32 i64 i128 isize u8 u16 u32 u64 u128 usize f32 f64".split())


# Examples: `Option`, tried first for `Seq<u32>`, resolves the name but mismatches the body (a guess
# reveals nothing).
@rule("E0412", "E0425", priority=1000, fallback=True, examples=[
    Example("an-unknown-generic-type-becomes-the-std-type-that-type-checks", """\
pub fn evens(xs: &[u32]) -> Seq<u32> {
    xs.iter().copied().filter(|x| x % 2 == 0).collect::<Vec<_>>()
}

pub fn parse(s: &str) -> Outcome<u32, std::num::ParseIntError> {
    s.parse()
}
""", after=("-> Vec<u32>", "-> Result<u32, std::num::ParseIntError>")),
    Example("a-type-name-from-another-language", """\
pub fn width(cols: &[uint]) -> usize {
    cols.len()
}
""", after=("cols: &[usize]",)),
])
def std_type(site: Site) -> list[Fix]:
    """For "cannot find type `X` in this scope" where `X` takes generic arguments and rustc suggests
    nothing: `X` replaced by each std type of the same arity (`STD_GENERICS`), or for a name from another
    language without arguments (`uint`) by its Rust types (`FOREIGN_TYPES`); only a replacement that
    type-checks everywhere is kept."""
    m = re.match(r"cannot find type `(\w+)`", site.error.message)
    span, data = site.span, site.data
    if not m or data[span.byte_start:span.byte_end] != m.group(1).encode():
        return []
    arity = generic_arity(data, span.byte_end)
    names = FOREIGN_TYPES.get(m.group(1), ()) if arity == 0 else \
        [n for n in STD_GENERICS.get(arity, ()) if n.rsplit("::", 1)[-1] != m.group(1)]
    what = "the Rust type" if arity == 0 else "the std type"
    return [Fix(f"use {what} `{name}`", (TextEdit(site.file, span.byte_start, span.byte_end, name),), MAYBE_INCORRECT)
            for name in names]


# "the type `[u8]` cannot be indexed by `u8`"; "cannot divide `{integer}` by `f64`" (span: the operator)
@rule("E0277", priority=1400, examples=[
    Example("numbers-of-different-types-get-an-as-cast", """\
pub fn hex(table: &[u8], byte: u8) -> u8 {
    table[(byte >> 4)]
}

pub fn ratio(a: &[u8], b: &[u8]) -> f64 {
    (2 * a.len()) / (a.len() + b.len()) as f64
}
""", after=("table[(byte >> 4) as usize]", "(2 * a.len()) as f64 / (a.len() + b.len()) as f64")),
])
def numeric_cast(site: Site) -> Iterator[Fix]:
    """`as` casts for E0277 between primitive numbers, which Rust never converts implicitly: "the type
    `[u8]` cannot be indexed by `u8`" → the index `as usize`; "cannot divide `{integer}` by `f64`" (the
    span is the operator) → either operand `as` each concrete numeric type the message names."""
    e, span, data = site.error, site.span, site.data
    named = [t for t in re.findall(r"`([\w{}]+)`", e.message) if t in NUMERIC]
    casts: list[tuple[int, int, str]] = []
    if re.search(r"cannot be indexed by `(?:[iu]\d+|isize)`", e.message):
        casts.append((span.byte_start, span.byte_end, "usize"))
    elif named and (ops := binary_operands(data, span.byte_start)):
        casts += [(lo, hi, t) for t in dict.fromkeys(named) for lo, hi in ops]
    for lo, hi, ty in casts:
        expr = data[lo:hi].decode("utf-8")
        if re.search(rf"\bas\s+{ty}\s*$", expr):
            continue
        new = f"{parenthesized(expr)} as {ty}"
        yield Fix(f"cast with `as {ty}`: `{new}`", (TextEdit(site.file, lo, hi, new),), MAYBE_INCORRECT)


# "the `?` operator can only be applied to values that implement `Try`" on `v.push(1)?`: rustc's help
# names the unstable `Try` trait and suggests nothing
@rule("E0277", priority=1450, examples=[
    Example("a-question-mark-on-a-value-that-is-no-result-goes", """\
pub fn add(v: &mut Vec<u8>) -> Result<usize, String> {
    v.push(1)?;
    Ok(v.len())
}
""", after=("    v.push(1);\n",)),
])
def needless_question_mark(site: Site) -> list[Fix]:
    """E0277 on `expr?` whose value is no `Result`/`Option` (label "the `?` operator cannot be applied
    to type `()`"): the `?` removed."""
    if not any(re.match(r"the `\?` operator cannot be applied to type", s.label or "") for s in site.error.spans) \
            or not site.text.endswith("?"):
        return []
    end = site.span.byte_end
    return [Fix("remove the `?`: the value is no `Result` or `Option`", (TextEdit(site.file, end - 1, end, ""),),
                MAYBE_INCORRECT)]


#: rustc's help on a function without `->` whose body yields a value (E0308 "expected `()`, found `T`")
_RETURN_TYPE_MISSING = "a return type might be missing here"
#: the found type of such an error: its primary label (as the source would write it), its note (full paths)
_FOUND_LABEL = re.compile(r"^expected `\(\)`, found `(.+)`$")
_FOUND_NOTE = re.compile(r"found (?:enum|struct|union|reference|tuple|type|array|slice|unit type|raw pointer|"
                         r"fn pointer|trait object|opaque type|associated type|type parameter) `(.+)`")


def _generic(t: str) -> tuple[str, str] | None:
    """A type as rustc prints it split into its head and its arguments (`std::result::Result<u8, E>` →
    (`std::result::Result`, `u8, E`)); None for a type without `<…>` arguments."""
    m = re.fullmatch(r"([^<]+)<(.*)>", t)
    return (m.group(1), m.group(2)) if m else None


def _unify(a: str, b: str) -> str | None:
    """Two renderings of one type where rustc left `_` for what it did not know (`Result<_, Error>`,
    `Result<&[u8], _>`) merged (`Result<&[u8], Error>`); None when they disagree."""
    if a == "_" or a == b:
        return b
    if b == "_":
        return a
    ga, gb = _generic(a), _generic(b)
    if ga is None or gb is None or ga[0] != gb[0]:
        return None
    xs, ys = split_top_level(ga[1], ",", "<(["), split_top_level(gb[1], ",", "<([")
    if len(xs) != len(ys):
        return None
    args = [_unify(x, y) for x, y in zip(xs, ys)]
    return None if None in args else f"{ga[0]}<{', '.join(args)}>"


# E0308 on a function that lost its `-> T`: rustc's `-> _` (not allowed in a signature), its errors'
# found types `Result<_, Error>` and `Result<u32, _>` merged; a `new` whose body builds `Pair<T, _>` → `Self`
@rule("E0308", priority=1615, examples=[
    Example("rustcs-return-type-placeholder-takes-the-found-types-of-the-bodys-values", """#[derive(Debug)]
pub struct Error;

pub fn parse(s: &str) {
    if s.is_empty() {
        return Err(Error);
    }
    Ok(s.len() as u32)
}
""", after=("pub fn parse(s: &str) -> Result<u32, Error> {",)),
    Example("rustcs-return-type-placeholder-is-self-for-the-impls-type", """pub struct Pair<T, U> {
    a: T,
    b: Vec<U>,
}

impl<T, U> Pair<T, U> {
    pub fn new(a: T) {
        Pair { a, b: Vec::new() }
    }
}
""", after=("pub fn new(a: T) -> Self {",)),
])
def return_type_from_found(site: Site) -> Iterator[Fix]:
    """rustc's help "a return type might be missing here: `-> _`" (E0308 "expected `()`, found `T`" on a
    value the body of a function without `->` yields) made concrete: the found types of all the current
    errors that carry the same help, merged where each knows what the other left `_` (`Result<_, E>`
    and `Result<T, _>` → `Result<T, E>`), as the primary labels write them, then with the notes' full
    paths, then the full path with the labels' arguments (`std::result::Result<&[u8], Error>` where
    `Result` is the crate's one-parameter alias); and `Self` where the found type is the enclosing
    impl's type (`Pair<T, _>` in `impl Pair<T, U>`). Nothing while a `_` is left."""
    help_span = next((s for c in site.error.suggestion_children() if c.message == _RETURN_TYPE_MISSING
                      for s in c.spans if s.suggested_replacement and "_" in s.suggested_replacement), None)
    if help_span is None or help_span.file_name not in site.files:
        return
    short: list[str] = []
    full: list[str] = []
    for e in site.last.errors:
        if not any(c.message == _RETURN_TYPE_MISSING and (s.file_name, s.byte_start) ==
                   (help_span.file_name, help_span.byte_start) for c in e.suggestion_children() for s in c.spans):
            continue
        label = _FOUND_LABEL.match((e.primary_span.label or "") if e.primary_span else "")
        note = next((m for c in e.children if (m := _FOUND_NOTE.search(c.message))), None)
        if label:
            short.append(label.group(1))
        if note:
            full.append(note.group(1))
    merged: list[str] = []
    for found in (short, full):
        one: str | None = found[0] if found else None
        for t in found[1:]:
            one = _unify(one, t) if one is not None else None
        if one is not None:
            merged.append(one)
    if len(merged) == 2 and (labelled := _generic(merged[0])) and (noted := _generic(merged[1])):
        merged.append(f"{noted[0]}<{labelled[1]}>")  # the full path of the type, the arguments as written
    texts = [t for i, t in enumerate(merged) if t not in merged[:i]
             and not re.search(r"(?<![\w'])_(?!\w)|\{", t)]
    if short and (head := re.match(r"[\w:]+", short[0])):
        own = impl_self_type(site.files[help_span.file_name], help_span.byte_start)
        if own is not None and head.group(0).rsplit("::", 1)[-1] == own:
            texts.append("Self")
    for t in texts:
        yield Fix(f"{_RETURN_TYPE_MISSING}: `-> {t}`", (TextEdit(
            help_span.file_name, help_span.byte_start, help_span.byte_end,
            help_span.suggested_replacement.replace("_", t)),), MAYBE_INCORRECT)


# E0308 "expected `usize`, found `u32`" on `major` in `Version { major: major }`, where the function
# declares `major: u32` (rustc offers only a conversion at the use)
@rule("E0308", priority=1610, examples=[
    Example("a-parameter-used-as-another-type-is-declared-with-it", """\
pub struct Version {
    pub major: usize,
}

impl Version {
    pub fn new(major: u32) -> Self {
        Version { major: major }
    }
}
""", after=("pub fn new(major: usize) -> Self {",)),
])
def retype_declaration(site: Site) -> list[Fix]:
    """E0308 "expected `A`, found `B`" on a binding whose `let x: B` or parameter `x: B` declares the
    type found: the declaration's type made `A` (the binding's declaration, not a conversion at the
    use; `context.declared_type`). Not for types rustc prints but no source can name (`{integer}`,
    closures, `impl Trait`, `_`)."""
    if not re.fullmatch(r"[a-z_]\w*", site.text) or site.text == "self":
        return []
    m = next((m for s in site.error.spans if s.is_primary
              and (m := re.fullmatch(r"expected `(.+)`, found `(.+)`", s.label or ""))), None)
    if m is None:
        return []
    expected, found = m.groups()
    if re.search(r"[{}]|\bclosure\b|\bimpl\b|\b_\b|'_", expected):
        return []
    decl = declared_type(site.data, site.span.byte_start, site.text)
    if decl is None or re.sub(r"\s+", "", decl[0]) != re.sub(r"\s+", "", found):
        return []
    return [Fix(f"declare `{site.text}: {expected}`", (TextEdit(site.file, decl[1], decl[2], expected),),
                MAYBE_INCORRECT)]


# E0308 "expected `u64`, found `u32`" in a `const` (`const MAX: u64 = u32::MAX;`): rustc's `.into()` is
# no const fn, so it suggests nothing
@rule("E0308", priority=1620, examples=[
    Example("a-number-of-another-type-gets-an-as-cast", """\
pub const LIMIT: u64 = u32::MAX;
""", after=("LIMIT: u64 = u32::MAX as u64;",)),
])
def numeric_conversion(site: Site) -> list[Fix]:
    """E0308 labelled "expected `A`, found `B`" where both are primitive number types (`NUMERIC`),
    which Rust never converts implicitly: the expression `as A` (a cast `n as B` made `n as A`), once
    rustc's conversions (`.into()`, `.try_into().unwrap()`) and the binding's declaration
    (`retype_declaration`) have not fixed it."""
    m = re.fullmatch(r"expected `(\w+)`, found `(\w+)`", site.span.label or "")
    if not m or m.group(1) not in NUMERIC or m.group(2) not in NUMERIC:
        return []
    cast = re.fullmatch(r"([\w.:]+(?:\(\))?)\s+as\s+\w+", site.text.strip())  # `n as u32`: `n as u64`
    new = f"{cast.group(1) if cast else parenthesized(site.text)} as {m.group(1)}"
    return [Fix(f"cast with `as {m.group(1)}`: `{new}`",
                (TextEdit(site.file, site.span.byte_start, site.span.byte_end, new),), MAYBE_INCORRECT)]


# in a closure over `self.bytes.into_iter()` behind `&self` (dropping the `*` would move out of the borrow)
@rule("E0614", priority=1630, examples=[
    Example("a-dereferenced-item-of-into-iter-iterates-by-reference", """\
pub struct Buf {
    bytes: Vec<u8>,
}

impl Buf {
    pub fn all_zero(&self) -> bool {
        self.bytes.into_iter().all(|b| *b == 0)
    }
}
""", after=("self.bytes.iter().all(|b| *b == 0)",)),
])
def no_deref(site: Site) -> list[Fix]:
    """E0614 "type `u32` cannot be dereferenced" on `*x`: `x`; or, when the value came from an
    `.into_iter()` of the statement that meant `.iter()` (items by reference), that `.iter()`."""
    f, lo, hi, data = site.file, site.span.byte_start, site.span.byte_end, site.data
    if not site.text.startswith("*"):
        return []
    out = [Fix("use the value itself, without `*`", (TextEdit(f, lo, lo + 1, ""),), MAYBE_INCORRECT)]
    start = lo
    for _ in range(3):
        start = data.rfind(b"\n", 0, max(0, start - 1)) + 1
    for m in re.finditer(rb"\.into_iter\(\)", data[start:hi]):
        out.append(Fix("iterate by reference: `.iter()`", (TextEdit(f, start + m.start(), start + m.end(), ".iter()"),),
                       MAYBE_INCORRECT))
    return out


# "expected `usize`, found fn item" on `fold(Add::add, 0)` (its other argument is wrong too)
@rule("E0308", priority=1900, examples=[
    Example("swapped-arguments-are-swapped-back", """\
use std::ops::Add;

pub fn total(xs: &[usize]) -> usize {
    xs.iter().copied().fold(Add::add, 0)
}
""", after=(".fold(0, Add::add)",)),
])
def swap_arguments(site: Site) -> Iterator[Fix]:
    """E0308 on an argument of a call whose other arguments are wrong too ("arguments to this method are
    incorrect"; `fold(Add::add, 0)`): the argument swapped with each other argument of a call with at
    most 4 — with an unsuffixed number literal only when an error of the last check points at it too
    (`0` here: E0277 "expected a `FnMut(_, usize)` closure, found `{integer}`"): a literal that any
    number type takes would compile in the wrong place (`new(major, minor, 0)` → `new(0, minor, major)`).
    A swap must type-check everything."""
    span, data = site.span, site.data
    if not any("arguments to this" in (s.label or "") for s in site.error.spans):
        return
    args = call_arguments_at(data, span.byte_start)
    this = next((a for a in args if a[0] <= span.byte_start and span.byte_end <= a[1]), None)
    if this is None or len(args) > 4:
        return
    flagged = [(s.byte_start, s.byte_end) for d in site.last.errors for s in d.spans
               if s.is_primary and s.file_name == site.file]
    for other in args:
        if other == this or (re.fullmatch(rb"-?\d[\d_]*(\.\d[\d_]*)?", data[other[0]:other[1]].strip())
                             and not any(other[0] <= lo and hi <= other[1] for lo, hi in flagged)):
            continue
        (lo1, hi1), (lo2, hi2) = sorted([this, other])
        a, b = data[lo1:hi1].decode("utf-8"), data[lo2:hi2].decode("utf-8")
        yield Fix(f"swap the arguments `{a}` and `{b}`",
                  (TextEdit(site.file, lo1, hi1, b), TextEdit(site.file, lo2, hi2, a)), MAYBE_INCORRECT)


# "a slice of type `[u32]` cannot be built": rustc's label's type
@rule("E0277", "E0282", "E0283", priority=2400, examples=[
    Example("collect-into-a-slice-gets-a-turbofish", """\
fn total(xs: &[u32]) -> u32 {
    xs.iter().sum()
}

pub fn squares(n: u32) -> u32 {
    total(&(0..n).map(|i| i * i).collect())
}
""", after=(".collect::<Vec<u32>>()",)),
])
def collect_turbofish(site: Site) -> list[Fix]:
    """E0277/E0282/E0283 on a `.collect()` whose target type nothing fixes ("a slice of type `[usize]`
    cannot be built", "type annotations needed"): the turbofish `.collect::<T>()` with the type rustc's
    label names ("try explicitly collecting into a `Vec<usize>`"), then `Vec<_>` and `String`. The
    `.collect()` is looked for on the primary span's lines."""
    e, span, data = site.error, site.span, site.data
    lo = data.rfind(b"\n", 0, span.byte_start) + 1
    hi = data.find(b"\n", span.byte_end)
    hi = len(data) if hi < 0 else hi
    text = "\n".join([e.message] + [s.label or "" for s in e.spans] + [c.message for c in e.children])
    types = list(dict.fromkeys(re.findall(r"collecting into a `([^`]+)`", text) + ["Vec<_>", "String"]))
    out = []
    for m in re.finditer(rb"\.collect\(\)", data[lo:hi]):
        at = lo + m.start()
        out += [Fix(f"collect into `{t}`: `.collect::<{t}>()`",
                    (TextEdit(site.file, at, at + len(m.group()), f".collect::<{t}>()"),), MAYBE_INCORRECT)
                for t in types]
    return out[:6]


def parenthesized(expr: str) -> str:
    """`expr` as an operand of a cast: as it is when it is a path, a call chain or already
    parenthesized as a whole, else in parentheses (`a + b` → `(a + b)`)."""
    if re.fullmatch(r"[\w.:]+(\(\))?", expr):
        return expr
    if expr.startswith("("):
        depth = 0
        for i, c in enumerate(expr):
            depth += (c == "(") - (c == ")")
            if depth == 0:
                if i == len(expr) - 1:
                    return expr
                break
    return f"({expr})"


def generic_arity(data: bytes, at: int) -> int:
    """The number of generic arguments in the `<...>` that starts at byte `at` of `data` (`<Result<T>>`
    → 1, `<K, V>` → 2); 0 when no `<` is there, the list does not close, or it holds a lifetime."""
    if data[at:at + 1] != b"<":
        return 0
    depth, args, prev = 0, 1, b""
    for i in range(at, min(len(data), at + 2000)):
        c = data[i:i + 1]
        if c in b"<([" and c:
            depth += 1
        elif c == b">" and prev == b"-":
            pass  # `->` in `Fn() -> T`
        elif c in b">)]" and c:
            depth -= 1
            if depth == 0:
                return args
        elif c == b"," and depth == 1:
            args += 1
        elif c == b"'" and depth == 1 and prev in (b"<", b" ", b","):
            return 0
        elif c in b";{}" and depth == 1:
            return 0
        prev = c
    return 0
