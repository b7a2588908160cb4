"""Fields: a field the struct lacks, a field an initializer lacks, a struct update without a base, a
field bound twice in a pattern, a union literal's one field."""

from __future__ import annotations

import re
from typing import Iterator

from ...context import parameters_at, struct_initializer_at
from ...diagnostics import MAYBE_INCORRECT
from ...edits import Fix, TextEdit, suggestion_fixes
from .registry import Example, rule
from .site import Site

_FIELD_LINE = re.compile(r"(?m)^\s*(?:pub(?:\([^)]*\))?\s+)?(\w+)\s*:\s*([^,\n]+?)\s*,?\s*(?://.*)?$")


def struct_field_types(definition: str) -> dict[str, str]:
    """The fields of a struct/union definition's text written one per line (`pub len: usize,`), after
    its first `{`: field name → type text, in order. {} for a tuple or unit struct."""
    return {m.group(1): m.group(2).strip() for m in _FIELD_LINE.finditer(definition.split("{", 1)[1])} \
        if "{" in definition else {}


def _literal_field_types(value: str, field_types: list[str]) -> list[str]:
    """The types a field initialized with `value` may have (its literal's, else the struct's other fields')."""
    ints = [t for t in field_types if re.fullmatch(r"[iu](8|16|32|64|128|size)", t)]
    if re.fullmatch(r"-?\d[\d_]*([iu](8|16|32|64|128|size))?", value):
        suffix = re.search(r"[iu](8|16|32|64|128|size)$", value)
        return [suffix.group()] if suffix else ints + ["i32", "u32", "usize", "i64", "u64"]
    if re.fullmatch(r"-?\d[\d_]*\.\d*(f32|f64)?", value):
        return ["f64", "f32"]
    if value.startswith('"'):
        return ["&'static str", "String"]
    if value in ("true", "false"):
        return ["bool"]
    if value.startswith("'"):
        return ["char"]
    return field_types


# "struct `Lion` has no field named `father`" with no similar field; a multi-line and a one-line definition
@rule("E0560", priority=1700, fallback=True, examples=[
    Example("a-field-the-struct-lacks-is-added-to-its-definition", """\
pub struct Lion {
    pub mother: u8
}

pub struct Name { pub first: String }

pub fn cub() -> (Lion, Name) {
    (Lion { mother: 1, father: 0 }, Name { first: String::new(), last: "Mufasa" })
}
""", after=("pub struct Lion {\n    pub mother: u8,\n    father: u8,\n}",
            "pub struct Name { pub first: String, last: &'static str }")),
])
def add_field_to_struct(site: Site) -> list[Fix]:
    """E0560 "struct `S` has no field named `f`" where rustc knows no similar field: `f` added to the
    workspace's definition of `S`, typed after the initializer's literal (`0` → the struct's integer
    field types, then `i32`, ...; `"x"` → `&'static str`, `String`) or, for another expression, after
    the struct's other fields. At most 6 candidates."""
    m = re.match(r"struct `(\w+)(?:<.*>)?` has no field named `(\w+)`", site.error.message)
    found = site.type_definition(m.group(1)) if m else None
    if found is None:
        return []
    f, item = found
    body = item.text
    if "{" not in body or not body.rstrip().endswith("}"):
        return []
    after = site.data[site.span.byte_end:site.span.byte_end + 200].decode("utf-8", "replace")
    value = (re.match(r"\s*:\s*([^,}\n]+)", after) or [None, ""])[1].strip()
    types = _literal_field_types(value, list(struct_field_types(body).values()))
    data = site.files[f]
    close = item.byte_start + len(body.rstrip().encode()) - 1  # the struct's closing brace
    line_start = data.rfind(b"\n", 0, close) + 1
    out = []
    for ty in list(dict.fromkeys(types))[:6]:
        decl = f"{m.group(2)}: {ty}"
        if data[line_start:close].strip():  # `struct S { a: u32 }` on one line
            before = data[:close].rstrip()
            sep = "" if before.endswith((b"{", b",")) else ","
            edit = TextEdit(f, len(before), close, f"{sep} {decl} ")
        else:
            prev = data[:line_start].rstrip()
            indent = re.match(rb"\s*", data[data.rfind(b"\n", 0, len(prev)) + 1:]).group().decode()
            indent = indent if prev.endswith(b",") or not prev.endswith(b"{") else indent + "    "
            sep = "" if prev.endswith((b"{", b",")) else ","
            edit = TextEdit(f, len(prev), line_start, f"{sep}\n{indent}{decl},\n")
        out.append(Fix(f"add the field `{decl}` to `{m.group(1)}`", (edit,), MAYBE_INCORRECT))
    return out


# Examples: `div: div::<f64>` after `add: add::<f64>`, a shorthand where a binding of the field's name
# exists; "missing field `data` in initializer of `View<'_>`": the unused parameter of the field's type.
@rule("E0063", priority=1800, examples=[
    Example("a-missing-field-is-initialized-like-its-siblings", """\
fn add<T>(_: T) {}
fn div<T>(_: T) {}

pub struct Ops {
    add: fn(f64),
    div: fn(f64),
}

pub fn ops() -> Ops {
    Ops {
        add: add::<f64>,
    }
}

pub struct P { x: i32, y: i32 }

pub fn p(x: i32, y: i32) -> P {
    P { x }
}
""", after=("        add: add::<f64>,\n        div: div::<f64>,\n    }", "P { x, y }")),
    Example("a-missing-field-initializer-takes-the-parameter-of-its-type", """\
pub struct View<'a> {
    data: &'a [u8],
    pos: usize,
}

pub fn view<'a>(input: &'a [u8], pos: usize) -> View<'a> {
    View {
        pos,
    }
}
""", after=("data: input",)),
])
def initialize_missing_field(site: Site) -> list[Fix]:
    """E0063 "missing field `c` in initializer of `S`": the field initialized the way its siblings are
    (`a: a::<X>, b: b::<X>` → `c: c::<X>`), as a shorthand `c` when a binding of that name appears
    before the initializer in the enclosing item, or by a parameter of the field's type
    (`bytes: &'a [u8]` ← `input: &'a [u8]`) the initializer does not use yet."""
    e, span, f, data = site.error, site.span, site.file, site.data
    m = re.match(r"missing field `(\w+)` in initializer", e.message)
    init = struct_initializer_at(data, span.byte_start) if m else None
    if init is None:
        return []
    name = m.group(1)
    fields, last, close = init
    values: list[str] = []
    for sib, value in fields:
        if value is not None and re.search(rf"\b{re.escape(sib)}\b", value):
            values.append(re.sub(rf"\b{re.escape(sib)}\b", name, value))
    item = site.item
    if item is not None and re.search(rf"\b{name}\b", data[item.byte_start:span.byte_start].decode("utf-8", "replace")):
        values.append(name)
    m_ty = re.search(r"in initializer of `(?:[\w:]*::)?(\w+)", e.message)
    found = site.type_definition(m_ty.group(1)) if m_ty else None
    ftype = struct_field_types(found[1].text).get(name) if found else None
    used = " ".join(v or n for n, v in fields)

    def norm(t: str) -> str:
        return re.sub(r"'\w+|\s+", "", t)
    if ftype:
        values += [p for p, ty, _lo, _hi in parameters_at(data, span.byte_start)
                   if re.fullmatch(r"\w+", p) and norm(ty) == norm(ftype) and not re.search(rf"\b{p}\b", used)]
    if not fields:
        return []
    multiline = b"\n" in data[span.byte_end:close]
    comma = data.find(b",", last, close)
    out = []
    for value in list(dict.fromkeys(values))[:4]:
        decl = name if value == name else f"{name}: {value}"
        if multiline:
            line = data.rfind(b"\n", 0, last) + 1
            indent = re.match(rb"[ \t]*", data[line:]).group().decode()
            at, text = (comma + 1, f"\n{indent}{decl},") if comma >= 0 else (last, f",\n{indent}{decl},")
        else:
            at, text = last, f", {decl}"
        out.append(Fix(f"initialize `{name}` like its siblings: `{decl}`", (TextEdit(f, at, at, text),),
                       MAYBE_INCORRECT))
    return out


@rule("E0797", priority=2970, examples=[
    Example("a-struct-update-without-a-base-takes-an-earlier-value", """\
#[derive(Clone, Default)]
pub struct Style {
    pub bold: bool,
    pub size: u8,
}

pub fn heading() -> Style {
    let base = Style { bold: false, size: 12 };
    let h = Style { size: 20, .. };
    h
}
""", after=("Style { size: 20, ..base }",)),
])
def struct_update_base(site: Site) -> Iterator[Fix]:
    """E0797 `Foo { a: 1, .. }`: rustc's `../* expr */` filled with an earlier binding of that struct
    (`..f1`) or `..Default::default()`."""
    span, data, item = site.span, site.data, site.item
    name = re.search(rb"\b(\w+)\s*\{[^{}]*$", data[max(0, span.byte_start - 400):span.byte_start])
    bases = []
    if name and item is not None:
        ty = re.escape(name.group(1))
        before = data[item.byte_start:span.byte_start]
        bases = [b.group(1).decode() for b in re.finditer(
            rb"\blet\s+(?:mut\s+)?(\w+)\s*(?::\s*" + ty + rb"\b[^=]*)?=\s*" + ty + rb"\s*\{", before)
            if b";" in before[b.end():]]  # not the binding this literal initializes
    for fix in suggestion_fixes(site.error, site.root, stubs=True):
        if len(fix.edits) == 1 and "/* expr */" in fix.edits[0].new_text:
            ed = fix.edits[0]
            for base in list(dict.fromkeys(reversed(bases)))[:2] + ["Default::default()"]:
                yield Fix(f"take the other fields from `{base}`",
                          (TextEdit(ed.file, ed.byte_start, ed.byte_end, ed.new_text.replace("/* expr */", base)),),
                          MAYBE_INCORRECT)


# E0025 "field `w` bound multiple times in the pattern" (with E0027 for the unmentioned `h`)
@rule("E0025", priority=3070, examples=[
    Example("a-field-bound-twice-in-a-pattern-is-fixed", """\
pub struct Size {
    pub w: u32,
    pub h: u32,
}

pub fn area(s: Size) -> u32 {
    let Size { w: a, w: b } = s;
    a * 2
}
""", counts=(("w:", 2),)),
])
def field_bound_twice(site: Site) -> Iterator[Fix]:
    """E0025 a field bound twice where E0027 (on the same pattern) says another is missing: the second
    binding renamed to it (`Foo { a: x, a: y }` → `Foo { a: x, b: y }`), or removed."""
    span, f, data = site.span, site.file, site.data
    m = re.match(r"field `(\w+)` bound multiple times in the pattern", site.error.message)
    if not m or not site.text.startswith(m.group(1)):
        return
    for d in site.last.diagnostics:
        missing = re.match(r"pattern does not mention fields? (.+)", d.message) if d.code == "E0027" else None
        ps = d.primary_span
        if missing and ps is not None and ps.file_name == f and ps.byte_start <= span.byte_start < ps.byte_end:
            for name in re.findall(r"`(\w+)`", missing.group(1)):
                yield Fix(f"bind the field `{name}` instead of a second `{m.group(1)}`",
                          (TextEdit(f, span.byte_start, span.byte_start + len(m.group(1)), name),), MAYBE_INCORRECT)
    comma = re.search(rb",\s*$", data[max(0, span.byte_start - 20):span.byte_start])
    if comma:
        yield Fix(f"remove the second `{m.group(1)}`",
                  (TextEdit(f, max(0, span.byte_start - 20) + comma.start(), span.byte_end, ""),), MAYBE_INCORRECT)


# "union expressions should have exactly one field"
@rule("E0784", priority=3080, examples=[
    Example("a-union-literal-sets-exactly-one-field", """\
pub union Word {
    pub int: u32,
    pub float: f32,
}

pub fn words() -> (Word, Word) {
    (Word { int: 1, float: 2.0 }, Word {})
}
""", after=("Word { int: 1 }", "Word { int: Default::default() }")),
])
def one_union_field(site: Site) -> list[Fix]:
    """E0784 a union literal: its first field only, or, when it sets none, the union's first field set."""
    span, f, data = site.span, site.file, site.data
    init = struct_initializer_at(data, span.byte_start)
    if init is None:
        return []
    fields, last, close = init
    if len(fields) > 1 and fields[0][1] is not None:  # a union literal sets one field: the first stays
        first_end = data.find(b",", span.byte_end, close)
        return [Fix("keep only the first field", (TextEdit(f, first_end, last, ""),), MAYBE_INCORRECT)]
    if not fields and (found := site.type_definition(site.text)) is not None:
        first = re.search(r"\{\s*(?:pub(?:\([^)]*\))?\s+)?(\w+)\s*:", found[1].text)
        if first:
            return [Fix(f"set the field `{first.group(1)}`",
                        (TextEdit(f, close, close, f" {first.group(1)}: Default::default() "),), MAYBE_INCORRECT)]
    return []
