"""Signatures and generics: type parameters an impl or a type does not use, lifetimes a signature cannot
name, receivers rustc does not accept, an impl's return type that differs from its trait's."""

from __future__ import annotations

import re

from ...context import move_impl_parameter
from ...diagnostics import MAYBE_INCORRECT
from ...edits import Fix, TextEdit
from .registry import ANY, Example, rule
from .site import LIFETIME_NAMES, Site, fresh_name


# "the type parameter `T` is not constrained by the impl trait, self type, or predicates"
@rule("E0207", priority=2200, examples=[
    Example("an-unconstrained-impl-parameter-moves-to-its-methods", """\
pub struct Cache<K> {
    pub keys: Vec<K>,
}

impl<K, T: Default> Cache<K> {
    pub fn empty(&self) -> T {
        T::default()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }
}
""", after=("impl<K> Cache<K> {", "pub fn empty<T: Default>(&self) -> T {", "pub fn len(&self) -> usize {")),
])
def impl_parameter_to_methods(site: Site) -> list[Fix]:
    """E0207 on an inherent impl: the type parameter moved onto the methods that use it, bounds and all
    (`context.move_impl_parameter`)."""
    edits = move_impl_parameter(site.data, site.span.byte_start)
    if not edits:
        return []
    return [Fix("move the type parameter from the impl to the methods that use it",
                tuple(TextEdit(site.file, lo, hi, t) for lo, hi, t in edits), MAYBE_INCORRECT)]


# found `Option<&'1 T>`, expected `Option<&'a T>`
@rule(ANY, priority=2600, examples=[
    Example("an-impl-return-type-missing-the-trait-lifetime-gets-it", """\
pub struct Items<'a, T> {
    rest: &'a [T],
}

impl<'a, T> Iterator for Items<'a, T> {
    type Item = &'a T;
    fn next(&mut self) -> Option<&T> {
        let (first, rest) = self.rest.split_first()?;
        self.rest = rest;
        Some(first)
    }
}
""", after=("fn next(&mut self) -> Option<&'a T>",)),
])
def trait_return_type(site: Site) -> list[Fix]:
    """"`impl` item signature doesn't match `trait` item signature" where the return types differ
    (rustc's note "expected signature `fn(&'1 mut IterMut<'a, T>) -> Option<&'a mut T>`" / "found
    signature ... -> Option<&'1 mut T>"): the impl's written return type replaced by the trait's,
    rustc's anonymous lifetimes (`'1`) elided. Only when the found type, so elided, is what the impl's
    header says."""
    text = site.error.plain_text()
    exp = re.search(r"expected signature `fn\((.*?)\)(?: -> ([^`]+))?`", text)
    got = re.search(r"found signature `fn\((.*?)\)(?: -> ([^`]+))?`", text)
    if not exp or not got or not exp.group(2) or not got.group(2) or exp.group(2) == got.group(2):
        return []

    def elide(t: str) -> str:
        return re.sub(r"'\d+\s*", "", t)
    header = site.text
    m = re.search(r"->\s*(.+?)\s*$", header, re.S)
    if not m or re.sub(r"\s+", "", m.group(1)) != re.sub(r"\s+", "", elide(got.group(2))):
        return []
    lo = site.span.byte_start + len(header[:m.start(1)].encode())
    new = elide(exp.group(2))
    return [Fix(f"return the trait's `{new}`", (TextEdit(site.file, lo, lo + len(m.group(1).encode()), new),),
                MAYBE_INCORRECT)]


# a struct gets a `PhantomData<T>` field; an enum with only unit variants loses the parameter
@rule("E0392", priority=2900, examples=[
    Example("an-unused-type-parameter-gets-phantom-data-or-goes", """\
pub struct Id<T> {
    pub raw: u64,
}

pub enum Level<T> {
    Low,
    High,
}
""", after=("_marker: std::marker::PhantomData<T>,", "pub enum Level {")),
])
def phantom_data(site: Site) -> list[Fix]:
    """E0392 "type parameter `T` is never used" in a struct: a `PhantomData` field (`_marker:
    std::marker::PhantomData<T>`, `PhantomData<&'a ()>` for a lifetime)."""
    f, data, text, item = site.file, site.data, site.text, None
    if re.fullmatch(r"'?\w+", text):
        item = site.item
    if item is None or item.kind not in ("struct_item", "enum_item", "union_item"):
        return []
    marker = f"std::marker::PhantomData<&{text} ()>" if text.startswith("'") else f"std::marker::PhantomData<{text}>"
    body = item.text.rstrip()
    end = item.byte_start + len(body.encode())
    if item.kind == "struct_item" and body.endswith("}"):
        inner = data[item.signature_end + 1:end - 1]
        sep = "" if not inner.strip() or inner.rstrip().endswith(b",") else ","
        close = end - 1
        prev = len(data[:close].rstrip())
        first_field = re.search(rb"\n([ \t]+)\S", data[item.signature_end:close])
        indent = first_field.group(1).decode() if first_field else "    "
        close_indent = re.match(rb"[ \t]*", data[data.rfind(b"\n", 0, close) + 1:]).group().decode()
        return [Fix(f"mark `{text}` as used with a `PhantomData` field",
                    (TextEdit(f, prev, close, f"{sep}\n{indent}_marker: {marker},\n{close_indent}"),), MAYBE_INCORRECT)]
    if item.kind == "struct_item" and re.search(r"\)\s*(where[^;]*)?;$", body):
        close = item.byte_start + body.rindex(")")
        sep = "" if data[:close].rstrip().endswith((b"(", b",")) else ", "
        return [Fix(f"mark `{text}` as used with a `PhantomData` field", (TextEdit(f, close, close, f"{sep}{marker}"),),
                    MAYBE_INCORRECT)]
    return []


@rule("E0392", priority=2905)
def remove_unused_parameter(site: Site) -> list[Fix]:
    """E0392 "type parameter `T` is never used": the parameter removed (`<T>` → nothing, `<'a, T>` →
    `<'a>`). Example: `phantom_data`'s."""
    span, f, data, text = site.span, site.file, site.data, site.text
    if not re.fullmatch(r"'?\w+", text):
        return []
    before, after = data[:span.byte_start], data[span.byte_end:]
    bound = re.match(rb"\s*:[^,>]*", after)
    hi = span.byte_end + (bound.end() if bound else 0)
    title = f"remove the unused parameter `{text}`"
    if re.search(rb"<\s*$", before) and re.match(rb"\s*>", data[hi:]):
        lo = re.search(rb"<\s*$", before).start()
        return [Fix(title, (TextEdit(f, lo, hi + re.match(rb"\s*>", data[hi:]).end(), ""),), MAYBE_INCORRECT)]
    if m := re.match(rb"\s*,\s*", data[hi:]):
        return [Fix(title, (TextEdit(f, span.byte_start, hi + m.end(), ""),), MAYBE_INCORRECT)]
    if m := re.search(rb",\s*$", before):
        return [Fix(title, (TextEdit(f, m.start(), hi, ""),), MAYBE_INCORRECT)]
    return []


# `fn pick<'_>` → `'a` throughout the signature; `where I: Iterator<Item = &u8>` (rustc's `for<'a>`
# gives E0582 there) → a lifetime parameter of the function (`bound_lifetime`)
@rule("E0637", priority=3000, examples=[
    Example("reserved-and-missing-lifetimes-in-signatures-get-a-named-one", """\
pub fn pick<'_>(a: &'_ str, b: &'_ str) -> &'_ str {
    if a < b { a } else { b }
}

pub fn total<I>(bytes: I) -> u32
where
    I: Iterator<Item = &u8>,
{
    bytes.map(|b| *b as u32).sum()
}
""", after=("pub fn pick<'a>(a: &'a str, b: &'a str) -> &'a str", "pub fn total<'a, I>(bytes: I)", "Item = &'a u8")),
])
def name_reserved_lifetime(site: Site) -> list[Fix]:
    """E0637 `'_` declared as a lifetime parameter (`fn f<'_>(a: &'_ str) -> &'_ str`): a fresh name
    (`'a`), there and wherever the signature uses `'_`."""
    span, f, data = site.span, site.file, site.data
    if site.text != "'_" or not re.search(rb"<[^<>()]*$", data[max(0, span.byte_start - 200):span.byte_start]):
        return []
    item = site.item
    if item is None or not item.signature_end or not (name := fresh_name(item.text, LIFETIME_NAMES)):
        return []
    sig = data[item.byte_start:item.signature_end]
    edits = tuple(TextEdit(f, item.byte_start + m.start(), item.byte_start + m.end(), name)
                  for m in re.finditer(rb"'_(?!\w)", sig))
    return [Fix(f"name the lifetime `{name}`", edits, MAYBE_INCORRECT)]


@rule("E0637", priority=3010)
def bound_lifetime(site: Site) -> list[Fix]:
    """E0637 "`&` without an explicit lifetime name cannot be used here" in a function's bounds (`T:
    Iterator<Item = &u32>`; rustc's `for<'a>` fails there, E0582): a new lifetime parameter of the
    function (`fn f<'a, T>() where T: Iterator<Item = &'a u32>`). Example: `name_reserved_lifetime`'s."""
    span, f, data = site.span, site.file, site.data
    if site.text != "&" or "without an explicit lifetime" not in site.error.message:
        return []
    item = site.item
    head = re.match(rb"[^(]*?\bfn\s+\w+\s*(<)?", data[item.byte_start:item.signature_end]) if item else None
    if not head or not (name := fresh_name(item.text, LIFETIME_NAMES)):
        return []
    at = item.byte_start + head.end()
    declare = TextEdit(f, at, at, f"{name}, ") if head.group(1) else TextEdit(f, at, at, f"<{name}>")
    at_use = TextEdit(f, span.byte_end, span.byte_end, f"{name} ")
    return [Fix(f"add the lifetime parameter `{name}`", (declare, at_use), MAYBE_INCORRECT)]


# "invalid generic `self` parameter type: `P`"
@rule("E0801", priority=3050, examples=[
    Example("a-generic-self-type-becomes-a-reference", """\
pub struct Node(pub u32);

impl Node {
    pub fn id<P: std::ops::Deref<Target = Self>>(self: P) -> u32 {
        self.0
    }
}
""", after=("(&self) -> u32",)),
])
def receiver_type(site: Site) -> list[Fix]:
    """E0801 `self: R` for a generic `R`: a receiver type rustc accepts (`&self`, `self: Rc<Self>`, `self`)."""
    span, data = site.span, site.data
    m = re.match(r"invalid generic `self` parameter type: `(\w+)`", site.error.message)
    recv = re.search(rb"\bself\s*:\s*$", data[max(0, span.byte_start - 40):span.byte_start]) \
        if m and site.text == m.group(1) else None
    if not recv:
        return []
    lo = max(0, span.byte_start - 40) + recv.start()
    return [Fix(f"take `{new}`", (TextEdit(site.file, lo, span.byte_end, new),), MAYBE_INCORRECT)
            for new in ("&self", "self: std::rc::Rc<Self>", "self")]
