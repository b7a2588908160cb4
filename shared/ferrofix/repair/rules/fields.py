"""Fields: a field the struct lacks, a field an initializer lacks, a tuple field written as an index."""

from __future__ import annotations

import re
from ...context import parameters_at, struct_initializer_at, struct_literals_named
from ...diagnostics import MAYBE_INCORRECT
from ...edits import Fix, TextEdit
from .registry import Example, rule
from .site import Site, type_key

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
    Example("a-missing-field-is-initialized-as-the-other-literals-of-its-variant-do", """\
pub enum Error {
    Parse { line: usize, cause: String },
}

fn describe(e: std::num::ParseIntError) -> String {
    e.to_string()
}

pub fn first(s: &str) -> Result<u32, Error> {
    s.parse().map_err(|e| Error::Parse { line: 1, cause: describe(e) })
}

pub fn second(s: &str) -> Result<u32, Error> {
    match s.parse() {
        Ok(n) => Ok(n),
        Err(e) => Err(Error::Parse {
            line: 2,
        }),
    }
}
""", after=("            line: 2,\n            cause: describe(e),\n",)),
    Example("a-missing-field-with-nothing-to-copy-starts-empty", """\
pub struct Archive {
    pub started: bool,
    pub error: bool,
    pub names: Vec<String>,
}

pub fn open() -> Archive {
    Archive {
        started: false,
        names: Vec::new(),
    }
}
""", after=("        error: false,\n",)),
    Example("the-first-field-of-an-empty-literal-is-the-binding-of-its-name", """\
pub struct Slot<'a> {
    visitor: &'a mut Vec<u8>,
}

pub fn slot(visitor: &mut Vec<u8>) -> Slot<'_> {
    Slot {  }
}
""", after=("Slot { visitor }",)),
])
def initialize_missing_field(site: Site) -> list[Fix]:
    """E0063 "missing field `c` in initializer of `S`": the field initialized the way its siblings are
    (`a: a::<X>, b: b::<X>` → `c: c::<X>`), as a shorthand `c` when a binding of that name appears
    before the initializer in the enclosing item, or by a parameter of the field's type
    (`bytes: &'a [u8]` ← `input: &'a [u8]`) the initializer does not use yet, or as the crate's other
    literals of the same struct or variant initialize it (`cause: error_to_string(e)`, nearest first:
    `_other_literals`); last, the empty value of the field's declared type (`empty_value`: `false`,
    `0`, `None`, `Vec::new()`, `Default::default()`). Also the first field of an empty literal
    (`S { }`). At most 5 candidates, each checked by the compiler."""
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
    if ftype:
        values += [p for p, ty, _lo, _hi in parameters_at(data, span.byte_start)
                   if re.fullmatch(r"\w+", p) and type_key(ty) == type_key(ftype) and not re.search(rf"\b{p}\b", used)]
    values += _other_literals(site, name)
    # last, the empty value of the field's type (`false`, `0`, `None`, `Vec::new()`), as a new field
    # is often initialized; one slot is kept for it
    empty = empty_value(ftype) if ftype else "Default::default()"
    values = [v for v in dict.fromkeys(values) if v != empty][:4] + [empty]
    multiline = b"\n" in data[span.byte_end:close]
    comma = data.find(b",", last, close)
    line = data.rfind(b"\n", 0, last) + 1
    indent = re.match(rb"[ \t]*", data[line:]).group().decode()
    out = []
    for value in values:
        decl = name if value == name else f"{name}: {value}"
        if not fields:  # `S {}` / `S {\n}`: the first field (on one line, in place of the blanks)
            at, end, text = (last, last, f"\n{indent}    {decl},") if multiline else (last, close, f" {decl} ")
        elif multiline:
            at, text = (comma + 1, f"\n{indent}{decl},") if comma >= 0 else (last, f",\n{indent}{decl},")
            end = at
        else:
            at, end, text = last, last, f", {decl}"
        how = f"with the empty value of `{ftype}`" if value == empty and ftype else \
            "with its type's default" if value == empty else "like its siblings"
        out.append(Fix(f"initialize `{name}` {how}: `{decl}`", (TextEdit(f, at, end, text),), MAYBE_INCORRECT))
    return out


#: integer and float types, whose empty value is a zero
_NUMBER = re.compile(r"[iu](?:8|16|32|64|128|size)|f32|f64")
#: std types whose `new()` makes an empty value (`Vec::new()`, `HashMap::new()`)
_EMPTY_NEW = {"String", "Vec", "VecDeque", "HashMap", "HashSet", "BTreeMap", "BTreeSet", "BinaryHeap",
              "LinkedList"}


def empty_value(ty: str) -> str:
    """The expression a field of type `ty` (as written) is usually initialized with when it starts
    empty: `false`, `0` / `0.0`, `None` for `Option<_>`, `""` for `&str`, `&[]` for a slice,
    `PhantomData`, `Vec::new()` and the like for std collections and `String`, `AtomicBool::new(false)`
    and `AtomicU8::new(0)` (usable in a `static`), else
    `Default::default()` (which the compiler checks: not every type implements `Default`)."""
    t = type_key(ty)
    path = re.sub(r"<.*", "", t)  # as written: `marker::PhantomData`, `HashMap`
    base = path.rpartition("::")[2]
    if t == "bool":
        return "false"
    if _NUMBER.fullmatch(t):
        return "0.0" if t.startswith("f") else "0"
    if base == "Option":
        return "None"
    if t == "&str":
        return '""'
    if re.fullmatch(r"&\[.*\]", t):
        return "&[]"
    if base == "PhantomData":
        return path
    if base in _EMPTY_NEW:
        return f"{path}::new()"
    if base == "AtomicBool":  # `new` is a const fn, `Default::default()` is not (a `static`'s fields)
        return f"{path}::new(false)"
    if re.fullmatch(r"Atomic[IU](?:8|16|32|64|size)", base):
        return f"{path}::new(0)"
    return "Default::default()"


def _other_literals(site: Site, name: str, limit: int = 2) -> list[str]:
    """How the workspace's other struct expressions of the type at the error's span initialize the
    field `name` (value text; a shorthand gives `name`), the error's file first, nearest first; at
    most `limit` distinct values."""
    path = site.text.strip()

    def value(fields: list[tuple[str, str | None]]) -> str | None:
        return next((v if v is not None else n for n, v in fields if n == name), None)
    values = site.nearest(lambda data: [(at, v) for at, fields in struct_literals_named(data, path)
                                        if (v := value(fields)) is not None], site.span.byte_start)
    return list(dict.fromkeys(values))[:limit]


# rustc suggests `.0` for `t[0]` only when `t` is a tuple itself; a reference to one, or a tuple struct
# (`self[0]` in `impl Iter`), gets no help
@rule("E0608", priority=1850, examples=[
    Example("an-index-into-a-tuple-struct-or-a-tuple-reference-becomes-a-field", """\
pub struct Pair(u32, String);

pub fn first(p: &Pair) -> u32 {
    p[0]
}

pub fn second(t: &mut (u32, String)) {
    t[1] = String::new();
}
""", after=("    p.0\n", "    t.1 = String::new();")),
])
def tuple_field_for_index(site: Site) -> list[Fix]:
    """E0608 "cannot index into a value of type `T`" where the primary span is an index by an integer
    literal (`[0]`, as Python and most languages write it): the tuple field `.0` (Rust reads tuple and
    tuple-struct fields with a dot, the Reference's "Tuple indexing expressions")."""
    m = re.fullmatch(r"\[\s*(\d+)\s*\]", site.text)
    if not m or not site.error.message.startswith("cannot index into a value of type"):
        return []
    edit = TextEdit(site.file, site.span.byte_start, site.span.byte_end, f".{int(m.group(1))}")
    return [Fix(f"read the tuple field: `.{int(m.group(1))}`", (edit,), MAYBE_INCORRECT)]
