"""rustc's own suggestions, those of warnings on the error, and its placeholders made concrete."""

from __future__ import annotations

import re
from typing import Iterator, Mapping

from ...context import file_module_path, literal_types, module_path, return_type_at, split_top_level
from ...diagnostics import MAYBE_INCORRECT, UNSPECIFIED
from ...edits import Fix, TextEdit, concrete_variants, is_stub, suggestion_fixes
from .registry import ANY, Example, rule
from .site import Site


# E0689 "can't call method `neg` on ambiguous numeric type `{float}`": rustc's `let x: f32` then needs
# `use std::ops::Neg;` (E0599's suggestion); both are applied and verified together.
@rule(ANY, priority=100, guess=False, span=False, examples=[
    Example("a-candidates-new-error-is-fixed-by-rustcs-import-in-the-same-step", """\
pub fn flip() -> f32 {
    let x = 2.5;
    x.neg()
}
""", after=("use std::ops::Neg;", "let x: f32 = 2.5;")),
    # E0382: rustc's `ref mut x` makes `x = ..` an E0308 (its fix: `*x = ..`), which makes the matched
    # binding need `mut` (E0596, borrow checking comes after type checking): two follow-up steps
    Example("rustcs-fixes-of-what-a-suggestion-uncovers-follow-in-two-steps", """\
pub struct Item(pub u32);

fn keep(_: Option<Item>) {}

pub fn reset() {
    let it = Some(Item(1));
    if let Some(mut x) = it {
        x = Item(0);
    }
    keep(it);
}
""", after=("let mut it = Some(Item(1));", "if let Some(ref mut x) = it {", "*x = Item(0);")),
    # rustc writes `-> shapes::Square` (`Square` alone is ambiguous), a path from the crate root that
    # does not resolve inside `mod shapes`
    Example("a-suggested-type-path-is-written-as-seen-from-the-module-it-edits", """\
pub mod shapes {
    pub struct Square(pub u32);

    pub fn unit() {
        Square(1)
    }
}

pub mod board {
    pub struct Square(pub u8, pub u8);
}

pub fn area() -> u32 {
    shapes::unit().0 * shapes::unit().0
}
""", after=("    pub fn unit() -> Square {",)),
])
def rustc_suggestions(site: Site) -> list[Fix]:
    """rustc's suggestions, each alone: MachineApplicable, MaybeIncorrect, then HasPlaceholders without
    placeholders (the first six; `edits.suggestion_fixes`), each followed by its paths as they resolve
    where it edits (`with_rooted_paths`)."""
    return with_rooted_paths(site, suggestion_fixes(site.error, site.root)[:6])


#: a path whose first segment may be a module of the crate (`diyfp::DiyFp`, `err::RecvError`); not one
#: that continues another (`crate::err::..`, `super::x::..`)
_PATH = re.compile(r"(?<![\w:])[a-z_]\w*(?:::\w+)+")


def with_rooted_paths(site: Site, fixes: list[Fix]) -> list[Fix]:
    """rustc prints a type by its path from the crate root (`-> diyfp::DiyFp<F, E>`, when the last
    segment alone is ambiguous), which does not resolve inside a module. `fixes`, each suggestion whose
    text holds such a path (its first segment a module of the crate: a file under `src/`, or a `mod`
    item) followed by the same suggestion with each such path as seen from the module it edits
    (`DiyFp<F, E>` in src/diyfp.rs, `context.module_path`), else `crate::`-prefixed, then by the same
    with every such path `crate::`-prefixed."""
    if not any("::" in e.new_text for fix in fixes for e in fix.edits):
        return fixes
    modules = {p[0] for f in site.files if f.endswith(".rs") if (p := file_module_path(f))} | \
              {m.decode() for data in site.files.values() for m in re.findall(rb"\bmod\s+(\w+)\s*[{;]", data)}

    def rewrite(edit: TextEdit, local: bool) -> str:
        own = (module_path(edit.file, site.files.get(edit.file, b""), edit.byte_start) or []) if local else []

        def one(m: re.Match) -> str:
            segs = m.group().split("::")
            if segs[0] not in modules:
                return m.group()
            if own and segs[:len(own)] == own and len(segs) > len(own):
                return "::".join(segs[len(own):])
            return "crate::" + m.group()
        return _PATH.sub(one, edit.new_text)

    out: list[Fix] = []
    for fix in fixes:
        out.append(fix)
        variants: list[Fix] = []
        for local, how in ((True, "as seen from the module it edits"), (False, "from `crate::`")):
            edits = tuple(TextEdit(e.file, e.byte_start, e.byte_end, rewrite(e, local)) for e in fix.edits)
            if edits != fix.edits and all(edits != o.edits for o in variants):
                variants.append(Fix(f"{fix.title} (its paths {how})", edits, fix.applicability))
        out += variants
    return out


# E0621 "explicit lifetime required in the type of `y`": rustc's `&'a i32` is `Unspecified`.
@rule(ANY, priority=200, guess=False, span=False, examples=[
    Example("an-unspecified-suggestion-is-a-verified-candidate", """\
pub fn longer<'a>(x: &'a str, y: &str) -> &'a str {
    if x.len() > y.len() { x } else { y }
}
""", after=("y: &'a str",)),
])
def unspecified_suggestions(site: Site) -> list[Fix]:
    """rustc's suggestions of applicability `Unspecified` (the first two): verified like the others."""
    return suggestion_fixes(site.error, site.root, (UNSPECIFIED,))[:2]


# E0571 `break` with a value from `while true`: the `while_true` lint's "use `loop`" keeps the value
# (rustc's own help would delete it).
@rule(ANY, priority=300, guess=False, span=False, examples=[
    Example("a-warning-on-the-errors-code-supplies-the-fix", """\
pub fn first(limit: u32) -> u32 {
    let mut i = 1;
    let found = while true {
        if i % 7 == 0 || i > limit {
            break i * 2;
        }
        i += 1;
    };
    found
}
""", after=("let found = loop {", "break i * 2;")),
])
def warning_suggestions(site: Site) -> list[Fix]:
    """Suggestions of the last check's warnings on the code the error points at: the lint that says
    "use `loop`" on the `while true` an E0571 labels ("you can't `break` with a value in a `while`
    loop") fixes the error. A warning counts when one of its spans overlaps one of the error's own spans."""
    ranges = [(s.file_name, s.byte_start, s.byte_end) for s in site.error.spans]
    out = []
    for w in site.last.diagnostics:
        if w.is_error or not any(f == s.file_name and s.byte_start < hi and lo < s.byte_end
                                 for s in w.spans for f, lo, hi in ranges):
            continue
        out += [Fix(f"{fix.title} (warning: {w.message})", fix.edits, fix.applicability)
                for fix in suggestion_fixes(w, site.root)[:2]]
    return out


# E0599 "no method named `len` found for enum `Option`": rustc's `.expect("REASON")`.
@rule(ANY, priority=500, guess=False, span=False, examples=[
    Example("rustcs-expect-reason-placeholder-becomes-question-mark-or-unwrap", """\
pub fn width(s: Option<String>) -> Option<usize> {
    Some(s.len())
}

pub fn height(s: Option<String>) -> usize {
    s.len()
}
""", after=("Some(s?.len())", "    s.unwrap().len()"), counts=(("REASON", 0),)),
])
def expect_placeholder(site: Site) -> list[Fix]:
    """rustc's placeholder suggestions with a standard stand-in (`expect("REASON")` → `?`, then
    `.unwrap()`; `edits.concrete_variants`)."""
    return [v for f in suggestion_fixes(site.error, site.root, stubs=True) for v in concrete_variants(f)]


# Examples: E0282 "type annotations needed" on a binding the function returns; E0435 "attempt to use a
# non-constant value in a constant" (rustc's `const n: /* Type */ = 16;`); E0282 on a `Vec::new()` whose
# element type nothing fixes (rustc's `: Vec<T>`); E0283 where several impls fit (rustc's `test::<i32, U>`,
# its note pointing at `impl Convert<i8> for i32`).
@rule(ANY, priority=1200, span=False, examples=[
    Example("rustcs-type-placeholder-is-filled-with-the-return-type", """\
pub fn evens(n: u32) -> Vec<u32> {
    let mut out = Default::default();
    for i in 0..n {
        out.push(2 * i);
    }
    out
}
""", after=("let mut out: Vec<u32> = Default::default();",)),
    Example("a-let-used-as-an-array-length-becomes-a-typed-const", """\
pub fn zeros() -> usize {
    let n = 16;
    let buf = [0u8; n];
    buf.len()
}
""", after=("const n: usize = 16;",)),
    Example("an-uninferred-type-parameter-in-rustcs-annotation-gets-a-concrete-type", """\
pub fn check_empty() {
    let v = Vec::new();
    assert!(v.is_empty());
}
""", after=("let v: Vec<i32> = Vec::new();",)),
    Example("an-uninferred-type-parameter-gets-the-type-of-an-impl-the-note-points-at", """\
pub trait Convert<T> {
    fn convert(&self) -> T;
}

impl Convert<i8> for i32 {
    fn convert(&self) -> i8 {
        *self as i8
    }
}

impl Convert<i16> for i32 {
    fn convert(&self) -> i16 {
        *self as i16
    }
}

pub fn test<T: Convert<U>, U>(_: T, _: U) {}

pub fn call() {
    test(22, Default::default());
}
""", after=("test::<i32, i8>(22, Default::default());",)),
])
def type_placeholder(site: Site) -> Iterator[Fix]:
    """rustc's stand-ins for a type it could not infer (`type_holes`: `: /* Type */` in "consider giving
    `x` an explicit type", E0282/E0283/E0790, or "consider using `const` instead of `let`", E0435; a `_`
    in a suggested type, `[_; 0]`; for "type annotations needed", the type parameter it names, `Vec<T>`,
    `test::<i32, U>`) filled with concrete types, at most `MAX_HOLE_TYPES`: those of the impls the error's
    notes point at ("multiple `impl`s satisfying `i32: Convert<_>` found" → `i8`, `i16`), the enclosing
    function's return type (the binding is often the value the function builds and returns: `let mut
    ret = Default::default(); ...; ret`), the types the binding's literal value can have (`= 42`:
    `usize`, `i32`, ...), and for "type annotations needed" `i32` and `String` (nothing in the code
    decides the type, so any that compiles does). Every hole of one suggestion gets the same type."""
    letters = one_letter_types(site.files) if site.error.code in INFERENCE_CODES else set()
    for fix in suggestion_fixes(site.error, site.root, stubs=True) + suggestion_fixes(site.error, site.root):
        holes = {i: found for i, ed in enumerate(fix.edits)
                 if (found := type_holes(fix.title, ed.new_text, site, letters))}
        if not holes or any(ed.file not in site.files for ed in fix.edits) \
                or any(is_stub(ed.new_text) for i, ed in enumerate(fix.edits) if i not in holes):
            continue
        ed = fix.edits[min(holes)]
        data = site.files[ed.file]
        types = [(t, f"`{t}`, as an impl the note points at has it") for t in _noted_impl_types(site)]
        ret = return_type_at(data, ed.byte_start)
        if ret and ret not in ("()", "!") and "impl " not in ret and "_" not in ret:
            types.append((ret, f"the function's return type `{ret}`"))
        value = re.match(rb"\s*=\s*([^;\n]+?)\s*;", data[ed.byte_end:ed.byte_end + 200])
        literal = value.group(1).decode("utf-8", "replace") if value else ""
        types += [(k, f"`{k}`, a type of `{literal}`") for k in literal_types(literal)]
        if site.error.code in INFERENCE_CODES:
            types += [(k, f"`{k}`: nothing in the code decides the type") for k in ("i32", "String")]
        seen: set[str] = set()
        for ty, why in types:
            if ty in seen or len(seen) >= MAX_HOLE_TYPES:
                continue
            seen.add(ty)
            edits = tuple(TextEdit(x.file, x.byte_start, x.byte_end, _fill(x.new_text, holes[i], ty))
                          if i in holes else x for i, x in enumerate(fix.edits))
            yield Fix(f"{fix.title}: {why}", edits, MAYBE_INCORRECT)


#: "type annotations needed" (E0282, E0283) and "cannot call associated function on trait without
#: specifying the corresponding `impl` type" (E0790): rustc could not infer a type
INFERENCE_CODES = frozenset({"E0282", "E0283", "E0790"})
#: concrete types tried for one suggestion's holes (each one check)
MAX_HOLE_TYPES = 4
#: a `_` standing alone (not `_x`, not `x_`)
_UNDERSCORE = re.compile(r"(?<![\w])_(?![\w])")
#: a one-letter type parameter name standing alone (`T` in `Vec<T>`, `U` in `<A<B> as V<U>>`)
_PARAM = re.compile(r"(?<![\w:])([A-Z])(?![\w])")


def one_letter_types(files: Mapping[str, bytes]) -> set[str]:
    """The one-letter names the workspace's Rust files (path → bytes) define as a type or trait
    (`struct T`, `trait U`): a `T` in rustc's suggestion that names one is no stand-in."""
    defined = re.compile(rb"\b(?:struct|enum|union|type|trait)\s+([A-Z])\b")
    return {m.decode() for f, b in files.items() if f.endswith(".rs") for m in defined.findall(b)}


def type_holes(title: str, text: str, site: Site, letters: set[str]) -> list[str]:
    """The stand-ins for a type in `text`, one of rustc's suggested edits (titled `title`) for
    `site.error`: `/* Type */`; `_` when the suggestion is about a type ("explicit type", "return type",
    "generic arguments", "fully qualified path"); a one-letter name (`T`) for "type annotations needed"
    (`INFERENCE_CODES`) that the crate does not define as a type (`letters`, `one_letter_types`) and the
    enclosing item does not declare as a generic parameter. Returns the stand-ins' texts (a subset of
    `["/* Type */", "_", "T", ...]`)."""
    found = ["/* Type */"] if "/* Type */" in text else []
    typed = re.search(r"\btype\b|generic argument|fully qualified path", title)
    if typed and _UNDERSCORE.search(text.replace("/* Type */", "")):
        found.append("_")
    if site.error.code in INFERENCE_CODES and typed:
        header = site.item.text.split("{", 1)[0] if site.data is not None and site.item is not None else ""
        found += [name for name in dict.fromkeys(_PARAM.findall(text))
                  if name not in letters and not re.search(rf"<[^>]*\b{name}\b", header)]
    return found


def _fill(text: str, holes: list[str], ty: str) -> str:
    """`text` with each of `holes` (`type_holes`) replaced by the type `ty`."""
    for h in holes:
        if h == "/* Type */":
            text = text.replace(h, ty)
        elif h == "_":
            text = _UNDERSCORE.sub(ty, text)
        else:
            text = re.sub(rf"(?<![\w:]){h}(?![\w])", ty, text)
    return text


def _noted_impl_types(site: Site) -> list[str]:
    """The concrete generic arguments of the traits in the `impl` headers the error's notes point at
    (`impl Convert<i8> for i32` → `i8`; `impl<X> Method<i32> for Thing<X>` → `i32`), in the notes'
    order: the types rustc found several impls for and could not choose between."""
    out: list[str] = []
    for c in site.error.children:
        for s in c.spans:
            data = site.files.get(s.file_name)
            if data is None:
                continue
            line = data.splitlines()[s.line_start - 1].decode("utf-8", "replace") if s.line_start else ""
            m = re.match(r"\s*impl\s*(?:<([^>]*)>)?\s*[\w:]+<(.+)>\s+for\s", line)
            if m is None:
                continue
            params = {p.strip().split(":")[0].strip() for p in (m.group(1) or "").split(",")} - {""}
            for arg in split_top_level(m.group(2), ",", "<(["):
                if arg and not any(re.search(rf"(?<![\w']){re.escape(p)}(?![\w])", arg) for p in params):
                    out.append(arg)
    return list(dict.fromkeys(out))
