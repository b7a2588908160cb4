"""Types: names from other languages, numbers of different types, iterators of references, `?` where
nothing propagates, arguments in the wrong order, values of builtin types and of type parameters."""

from __future__ import annotations

import re
from typing import Iterator

from ...context import binary_operands, call_arguments_at, struct_initializer_at
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
# reveals nothing); the second also needs `unwrap_instead_of_question_mark`, `mutability.mut_method` and
# `names.into_iter_for_parameter`.
@rule("E0412", "E0425", priority=1000, fallback=True, examples=[
    Example("an-unknown-generic-type-becomes-the-std-type-that-type-checks", """\
pub fn evens(xs: &[u32]) -> Seq<u32> {
    xs.iter().copied().filter(|x| x % 2 == 0).collect::<Vec<_>>()
}

pub fn parse(s: &str) -> Outcome<u32, std::num::ParseIntError> {
    s.parse()
}
""", after=("-> Vec<u32>", "-> Result<u32, std::num::ParseIntError>")),
    Example("a-type-name-from-another-language-and-a-misplaced-question-mark", """\
pub fn width(cols: &[uint]) -> usize {
    cols.len()
}

pub fn parse(s: &str) -> u32 {
    let n: u32 = s.parse()?;
    n
}

pub fn each(v: &mut Vec<u32>) -> std::slice::IterMut<'_, u32> {
    v.iter()
}

pub fn count<I: IntoIterator<Item = u8>>(items: I) -> usize {
    items.iter().count()
}
""", after=("cols: &[usize]", "s.parse().unwrap();", "    v.iter_mut()\n", "items.into_iter().count()")),
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


@rule("E0271", "E0277", "E0308", priority=1300, span=False, examples=[
    Example("an-iterator-of-references-collected-as-values-copies-or-clones", """\
pub fn ids(xs: &[u32]) -> Vec<u32> {
    xs.iter().collect()
}

pub fn names(xs: &[String]) -> Vec<String> {
    xs.iter().collect()
}
""", after=("    xs.iter().copied().collect()\n}\n\npub fn names", "    xs.iter().cloned().collect()\n}\n")),
])
def iter_by_value(site: Site) -> Iterator[Fix]:
    """For a type error about an iterator yielding references where values are wanted (E0271 "expected
    `Iter<'_, char>` to be an iterator that yields `char`, but it yields `&char`", E0277 "cannot be built
    from an iterator over elements of type `&T`", rustc's note "`Iterator::Item` is `&T` here"): each
    `.iter()` inside the error's spans (at most 20 lines each) followed by `.copied()`, by `.cloned()`,
    or replaced by `.into_iter()`."""
    spans = site.all_spans()
    text = "\n".join([site.error.plain_text()] + [s.label or "" for s in spans])
    if not re.search(r"(yields|Item|iterator over)[^\n]*`&", text):
        return
    seen = set()
    for s in spans:
        if s.file_name not in site.files or s.line_end - s.line_start > 20:
            continue
        data = site.files[s.file_name]
        lo = max(0, s.byte_start - 1)
        for m in re.finditer(rb"\.iter\(\)", data[lo:s.byte_end]):
            at = lo + m.start()
            if (s.file_name, at) in seen:
                continue
            seen.add((s.file_name, at))
            for new, title in ((".iter().copied()", "copy the items"), (".iter().cloned()", "clone the items"),
                               (".into_iter()", "iterate by value")):
                yield Fix(f"{title}: `{new}`", (TextEdit(s.file_name, at, at + len(m.group()), new),), MAYBE_INCORRECT)


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


@rule("E0277", priority=1640)
def unwrap_instead_of_question_mark(site: Site) -> list[Fix]:
    """E0277 "the `?` operator can only be used in a function that returns `Result`": `.unwrap()`.
    Example: `std_type`'s second."""
    if site.text == "?" and "operator can only be used in" in site.error.message:
        return [Fix("unwrap instead of `?` (the function returns no `Result`/`Option`)",
                    (TextEdit(site.file, site.span.byte_start, site.span.byte_end, ".unwrap()"),), MAYBE_INCORRECT)]
    return []


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
    most 4. A swap must type-check everything."""
    span, data = site.span, site.data
    if not any("arguments to this" in (s.label or "") for s in site.error.spans):
        return
    args = call_arguments_at(data, span.byte_start)
    this = next((a for a in args if a[0] <= span.byte_start and span.byte_end <= a[1]), None)
    if this is None or len(args) > 4:
        return
    for other in args:
        if other == this:
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


@rule("E0609", "E0599", priority=2530, examples=[
    Example("a-field-of-an-into-type-parameter-converts-the-binding", """\
pub struct Opts {
    pub width: usize,
}

impl From<usize> for Opts {
    fn from(width: usize) -> Self {
        Opts { width }
    }
}

pub fn width<O: Into<Opts>>(o: O) -> usize {
    let opts = o;
    opts.width
}
""", after=("let opts = o.into();",)),
])
def convert_type_parameter(site: Site) -> Iterator[Fix]:
    """E0609 "no field `f` on type `Opt`" where `Opt: Into<Options>` (or `AsRef`, ...) and the receiver is
    a `let` binding: its value converted (`.into()`), the type the bound names being the one meant."""
    e, span, data = site.error, site.span, site.data
    m = re.match(r"no field `\w+` on type `(\w+)`", e.message)
    if not m or not any("type parameter" in (s.label or "") for s in e.spans):
        return
    item = site.item
    recv = re.search(rb"(\w+)\s*\.\s*$", data[max(0, span.byte_start - 80):span.byte_start])
    if item is None or not recv:
        return
    bounds = re.findall(rf"\b{m.group(1)}\s*:[^,{{>]*?\b(Into|AsRef|AsMut|Borrow)\s*<", item.text)
    lets = list(re.finditer(rb"\blet\s+(?:mut\s+)?" + recv.group(1) + rb"\s*=\s*([^;]+);",
                            data[item.byte_start:span.byte_start]))
    if not lets:
        return
    lo, hi = item.byte_start + lets[-1].start(1), item.byte_start + lets[-1].end(1)
    value = parenthesized(data[lo:hi].decode("utf-8", "replace").strip())
    for trait in dict.fromkeys(bounds):
        call = {"Into": "into", "AsRef": "as_ref", "AsMut": "as_mut", "Borrow": "borrow"}[trait]
        yield Fix(f"convert with `.{call}()` (`{m.group(1)}: {trait}<..>`)",
                  (TextEdit(site.file, lo, hi, f"{value}.{call}()"),), MAYBE_INCORRECT)


# "no implementation for `f64 << {integer}`" on `let flags = 1.0;`
@rule("E0368", "E0369", priority=2910, examples=[
    Example("a-shift-of-a-float-literal-binding-makes-it-an-integer", """\
pub fn mask(bit: u32) -> u32 {
    let flags = 1.0;
    (flags << bit) as u32
}
""", after=("let flags = 1u32;",)),
])
def integer_for_bit_operation(site: Site) -> Iterator[Fix]:
    """E0368/E0369 a bit operation (`<<`, `&`, ...) on a float bound from a whole literal (`let x =
    12f32;`): the value was meant as an integer (`12u32`)."""
    e, span, f, data = site.error, site.span, site.file, site.data
    if not re.search(r"operation `([<>&|^]{1,2})=?` cannot be applied to type `(f32|f64|\{float\})`|"
                     r"no implementation for `(f32|f64|\{float\}) ([<>&|^]{1,2})", e.message):
        return
    item = site.item
    names = set(re.findall(r"\b[a-z_]\w*\b", " ".join(
        site.files[s.file_name][s.byte_start:s.byte_end].decode("utf-8", "replace") for s in e.spans
        if s.file_name == f)))
    lets = re.finditer(rb"\blet\s+(?:mut\s+)?(\w+)\s*(:\s*f(?:32|64)\s*)?=\s*(-?\d[\d_]*)(?:\.0*)?_?(?:f32|f64)?\s*;",
                       data[item.byte_start:span.byte_start] if item else b"")
    for let in lets:
        if let.group(1).decode() not in names:
            continue
        for ty in ("u32", "i32", "u64", "i64"):
            edits = [TextEdit(f, item.byte_start + let.start(3), item.byte_start + let.end(3) +
                              len(re.match(rb"(?:\.0*)?_?(?:f32|f64)?", data[item.byte_start + let.end(3):]).group()),
                              f"{let.group(3).decode()}{ty}")]
            if let.group(2):
                edits.append(TextEdit(f, item.byte_start + let.start(2), item.byte_start + let.end(2), ""))
            yield Fix(f"make `{let.group(1).decode()}` an integer: `{let.group(3).decode()}{ty}`",
                      tuple(sorted(edits, key=lambda x: x.byte_start)), MAYBE_INCORRECT)


# `Millis { value: 250 }` where `type Millis = u64`: the value itself, the binding typed with the alias
@rule("E0071", priority=2940, examples=[
    Example("a-struct-literal-of-a-builtin-type-alias-becomes-its-value", """\
pub type Millis = u64;

pub fn timeout() -> Millis {
    let t = Millis { value: 250 };
    t
}
""", after=("let t: Millis = 250;",)),
])
def builtin_value(site: Site) -> list[Fix]:
    """E0071 a struct literal of a builtin type (`U32 { value: 4 }`, `type U32 = u32`): its one value; a
    `let t = U32 { .. }` keeps the alias as the binding's type (`let t: U32 = 4;`)."""
    span, f, data, text = site.span, site.file, site.data, site.text
    init = struct_initializer_at(data, span.byte_start)
    if init is None or len(init[0]) != 1 or init[0][0][1] is None or "\n" in init[0][0][1]:
        return []
    value = init[0][0][1]
    edits = [TextEdit(f, span.byte_start, init[2] + 1, value)]
    let = re.search(rb"\blet\s+(?:mut\s+)?\w+(\s*)=\s*$", data[max(0, span.byte_start - 80):span.byte_start])
    if let and re.fullmatch(r"[\w:]+", text):
        at = max(0, span.byte_start - 80) + let.start(1)
        edits.insert(0, TextEdit(f, at, at, f": {text}"))
    return [Fix(f"use the value `{value}` itself", tuple(edits), MAYBE_INCORRECT)]


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
