"""Missing arguments, taken from the crate's other uses of the same function or type: an argument of a
call (E0061), a generic argument of a type (E0107)."""

from __future__ import annotations

import re
from typing import Iterator

from ...context import (argument_list_texts, calls_named, generic_uses, impl_self_type, parameters_at, receiver_at,
                        typed_lets, unused_bindings)
from ...diagnostics import MAYBE_INCORRECT
from ...edits import Fix, TextEdit, is_stub, suggestion_fixes
from .fields import struct_field_types
from .registry import Example, rule
from .site import Site, renamed_variable, type_key

#: rustc's placeholder for a missing argument (`/* u8 */`, `/* rem */`, `/* &mut BitQueue<E, u8> */`)
_HOLE = re.compile(r"/\*[^*]*\*/")
#: other calls read per error, and arguments offered per hole
MAX_CALLS, MAX_FILLS = 200, 3


def _filled(fix: Fix, holes: list[str], fills: list[list[str]], how: str) -> Iterator[Fix]:
    """rustc's one-edit `fix` with each of its `holes` (`/* u8 */`, in order) replaced by one of its
    `fills`: the n-th candidate takes each hole's n-th fill (its last when it has fewer), at most
    `MAX_FILLS` candidates; none when a hole has no fill."""
    if not all(fills):
        return
    ed = fix.edits[0]
    for n in range(min(MAX_FILLS, max(len(f) for f in fills))):
        text = ed.new_text
        for j, h in enumerate(holes):
            text = text.replace(h, fills[j][min(n, len(fills[j]) - 1)], 1)
        yield Fix(f"{fix.title}: {how}", (TextEdit(ed.file, ed.byte_start, ed.byte_end, text),), MAYBE_INCORRECT)


@rule("E0061", priority=1460, examples=[
    Example("a-missing-argument-is-the-one-the-other-calls-pass", """\
pub struct Writer {
    pub out: Vec<u8>,
    pub width: u8,
}

impl Writer {
    fn put(&mut self, v: u16, n: u8) {
        self.out.push((v >> n) as u8);
    }

    pub fn header(&mut self, code: u16) {
        self.put(code, self.width);
        self.put(code + 1, self.width);
    }

    pub fn clear(&mut self, code: u16) {
        self.put(code);
    }
}
""", after=("        self.put(code, self.width);\n    }\n}",)),
    Example("a-missing-argument-of-a-path-call-is-the-one-the-other-calls-pass", """\
mod helper {
    pub fn read(bytes: &[u8], n: usize) -> u64 {
        bytes.iter().take(n).map(|&b| b as u64).sum()
    }
}

pub fn head(buf: &[u8], excessive: usize) -> u64 {
    let a = helper::read(buf, excessive);
    a ^ helper::read(&buf[1..])
}
""", after=("a ^ helper::read(&buf[1..], excessive)",)),
])
def argument_from_other_calls(site: Site) -> Iterator[Fix]:
    """E0061 "this function takes 3 arguments but 2 arguments were supplied", where rustc's "provide the
    argument" writes a placeholder (`read(&mut r, /* u8 */)`): each hole filled with what the crate's
    other calls of the same function (method, tuple struct; matched by the last segment of its path,
    `slice::from_raw_parts`) pass in that position — the same buffer,
    width or marker the neighbouring calls hand over (`write_bits(code, code_size)` three lines down;
    `ShortHash(h, PhantomData)`). Calls in the error's file come first, nearest first; at most
    `MAX_FILLS` distinct arguments per hole, each a candidate the compiler checks (an argument naming a
    local of the other call's scope does not compile there)."""
    # the callee's last path segment (`slice::from_raw_parts` → `from_raw_parts`, as `calls_named` matches)
    m = re.fullmatch(r"(?:[\w\s]*(?:<[^()]*>)?\s*::\s*)*(\w+)", site.text.strip())
    if m is None:
        return
    name = m.group(1)
    for fix in suggestion_fixes(site.error, site.root, stubs=True):
        if len(fix.edits) != 1 or not _HOLE.search(fix.edits[0].new_text):
            continue
        ed = fix.edits[0]
        holes = _HOLE.findall(ed.new_text)
        marked = ed.new_text
        for i, h in enumerate(holes):
            marked = marked.replace(h, f"__ferrofix_hole{i}", 1)
        args = argument_list_texts(marked)
        if args is None:
            continue
        at = [k for k, a in enumerate(args) if a.startswith("__ferrofix_hole")]
        if len(at) != len(holes):
            continue
        fills: list[list[str]] = [[] for _ in holes]
        for call_args in site.nearest(lambda data: calls_named(data, name), ed.byte_start, MAX_CALLS):
            if len(call_args) != len(args):
                continue
            for j, k in enumerate(at):
                if call_args[k] not in fills[j] and not is_stub(call_args[k]):
                    fills[j].append(call_args[k])
        yield from _filled(fix, holes, fills, f"as the other calls of `{name}` do")
        return


# "this method takes 2 arguments but 1 argument was supplied" on `shift(bits)` in `fn f(bits: u8, n: u32)`;
# a crate that calls the function once has no other call to copy from
@rule("E0061", priority=1465, examples=[
    Example("a-missing-argument-is-the-parameter-of-its-type", """\
fn shift(v: u16, n: u32) -> u16 {
    v << n
}

pub fn scaled(value: u16, by: u32) -> u16 {
    shift(value) + 1
}
""", after=("shift(value, by) + 1",)),
    Example("a-missing-argument-is-the-field-of-its-type", """\
pub struct Writer {
    pub out: Vec<u8>,
    width: u8,
}

fn put(out: &mut Vec<u8>, v: u16, n: u8) {
    out.push((v >> n) as u8);
}

impl Writer {
    pub fn header(&mut self, code: u16) {
        put(&mut self.out, code);
    }
}
""", after=("put(&mut self.out, code, self.width);",)),
    Example("a-missing-argument-is-the-field-of-a-parameter", """\
pub struct Format {
    pub width: u8,
    pub max_length: Option<usize>,
}

fn scan(text: &str, max_length: Option<usize>) -> usize {
    max_length.unwrap_or(text.len())
}

pub fn token(text: &str, fmt: &Format) -> usize {
    scan(text) + fmt.width as usize
}
""", after=("scan(text, fmt.max_length)",)),
])
def argument_from_parameters(site: Site) -> Iterator[Fix]:
    """E0061 where rustc's "provide the argument" writes a placeholder naming the type or the parameter
    (`shift(value, /* u32 */)`, `/* rem */`): each hole filled with what the caller has at hand of that
    type or name and does not pass yet — a parameter of the enclosing function (`by: u32`), a `let`
    before the call with that type annotation, or in a method with a `self` receiver a field of the
    impl's struct (`self.width`, `&self.buf` for `/* &Vec<u8> */`), or a field of a parameter whose
    type is one of the crate's structs (`fmt.max_length` of `fmt: &mut FmtResult`); each combination (at most
    `MAX_FILLS`) a candidate the compiler checks."""
    at = site.span.byte_start
    params = [(re.sub(r"^mut\s+", "", p), type_key(ty)) for p, ty, _lo, _hi in parameters_at(site.data, at)]
    params = [(p, ty) for p, ty in params if re.fullmatch(r"[a-z_]\w*", p)]
    params += [(name, type_key(ty)) for name, ty in typed_lets(site.data, at)]
    owner = impl_self_type(site.data, at) if receiver_at(site.data, at) is not None else None
    found = site.type_definition(owner) if owner else None
    fields = struct_field_types(found[1].text) if found and found[1].kind == "struct_item" else {}
    params += [(f"self.{f}", type_key(ty)) for f, ty in fields.items()]
    params += [(f"&self.{f}", "&" + type_key(ty)) for f, ty in fields.items()]
    # the fields of a parameter whose type is a struct of the crate (`fmt.max_length` of `fmt: &mut FmtResult`)
    for p, ty in list(params[:8]):
        m = re.fullmatch(r"&?(?:mut)?([A-Z]\w*)(?:<.*>)?", ty)
        found = site.type_definition(m.group(1)) if m and re.fullmatch(r"[a-z_]\w*", p) else None
        if found and found[1].kind == "struct_item":
            for f, fty in struct_field_types(found[1].text).items():
                params += [(f"{p}.{f}", type_key(fty)), (f"&{p}.{f}", "&" + type_key(fty))]
    for fix in suggestion_fixes(site.error, site.root, stubs=True):
        if len(fix.edits) != 1 or not _HOLE.search(fix.edits[0].new_text):
            continue
        ed = fix.edits[0]
        holes = _HOLE.findall(ed.new_text)
        call = _HOLE.sub("", ed.new_text)
        passed = set(re.findall(r"\b\w+\b", call))

        def unpassed(p: str) -> bool:
            return p not in passed if re.fullmatch(r"\w+", p) else p.lstrip("&") not in call
        fills = []
        for h in holes:
            want = type_key(h[2:-2])
            named = (want, f"self.{want}")  # `/* rem */` names the parameter: a binding or field of that name
            fills.append(list(dict.fromkeys(p for p, ty in params if (ty == want or p in named) and unpassed(p))))
        yield from _filled(fix, holes, fills, "what the caller has of that type")
        return


# `self.0.compare(l.borrow())` in `fn compare(&self, l: &L, r: &R)`: `r` is read nowhere else
@rule("E0061", priority=1467, examples=[
    Example("a-missing-argument-reads-the-parameter-nothing-else-reads", """\
pub trait Order<T> {
    fn order(&self, a: &T, b: &T) -> bool;
}

pub struct ByLen;

impl Order<String> for ByLen {
    fn order(&self, a: &String, b: &String) -> bool {
        a.len() < b.len()
    }
}

pub struct Rev<O>(pub O);

impl<O: Order<String>> Rev<O> {
    pub fn order(&self, a: &[u8], b: &[u8]) -> bool {
        self.0.order(&String::from_utf8_lossy(b).into_owned())
    }
}
""", after=("self.0.order(&String::from_utf8_lossy(b).into_owned(), &String::from_utf8_lossy(a).into_owned())",)),
    Example("a-missing-argument-is-the-name-a-tuple-pattern-binds-and-nothing-reads", """\
pub struct Version(u16, u16, u16);

fn from_mmp(major: u16, minor: u16, patch: u16) -> Version {
    Version(major, minor, patch)
}

pub fn parse(parts: [u16; 3]) -> Version {
    let (maj, min, patch) = (parts[0], parts[1], parts[2]);
    from_mmp(maj, min)
}
""", after=("from_mmp(maj, min, patch)",)),
])
def argument_from_unused_bindings(site: Site) -> Iterator[Fix]:
    """E0061 where rustc's "provide the argument" writes one placeholder (`compare(l.borrow(), /* &Rb */)`)
    and the enclosing function has a parameter or `let` that nothing reads (`context.unused_bindings`:
    dropping an argument leaves the variable it read unused): the hole filled with each other
    argument's text with its variable renamed to the unused one (`r.borrow()`, the arguments' parallel
    form), nearest argument first, then the unused variable itself, then borrowed (`&r`) where the
    placeholder's type is a reference. At most `MAX_FILLS` candidates, each checked by the compiler."""
    unused = unused_bindings(site.data, site.span.byte_start)
    if not unused:
        return
    for fix in suggestion_fixes(site.error, site.root, stubs=True):
        if len(fix.edits) != 1 or len(_HOLE.findall(fix.edits[0].new_text)) != 1:
            continue
        hole = _HOLE.search(fix.edits[0].new_text).group()
        args = argument_list_texts(fix.edits[0].new_text.replace(hole, "__ferrofix_hole", 1))
        if args is None or "__ferrofix_hole" not in args:
            continue
        at = args.index("__ferrofix_hole")
        fills: list[str] = []
        for name in unused:
            fills += [renamed for k in sorted(range(len(args)), key=lambda k: abs(k - at))
                      if k != at and (renamed := renamed_variable(args[k], name)) is not None]
            fills.append(name)
            if hole[2:-2].strip().startswith("&"):
                fills.append(f"&{name}")
        fills = list(dict.fromkeys(fills))[:MAX_FILLS]
        yield from _filled(fix, [hole], [fills], "the variable nothing else reads")
        return


#: an `Err(..)` the function returns: the error type is its path's first segment (`Err(ParseError)`,
#: `Err(Error::Io(e))`, `Err(MyError { .. })`)
_ERR_TYPE = re.compile(r"\bErr\(\s*([A-Z]\w*)\b(?!\s*::\s*[a-z_]\w*\s*\()")


@rule("E0107", priority=1470, examples=[
    Example("a-missing-generic-argument-is-the-one-the-other-uses-give", """\
pub struct Cell(u32);

impl Cell {
    pub fn swap(&mut self, current: u32, new: u32) -> Result<u32, u32> {
        if self.0 == current { self.0 = new; Ok(current) } else { Err(self.0) }
    }

    pub fn bump(&mut self) -> Result<u32> {
        let now = self.0;
        self.swap(now, now + 1)
    }
}
""", after=("pub fn bump(&mut self) -> Result<u32, u32> {",)),
    Example("a-missing-error-type-is-the-one-the-function-returns-in-err", """\
#[derive(Debug)]
pub struct ParseError;

pub fn digit(s: &str) -> Result<u32> {
    match s.chars().next() {
        Some(c) if c.is_ascii_digit() => Ok(c as u32 - '0' as u32),
        _ => Err(ParseError),
    }
}
""", after=("pub fn digit(s: &str) -> Result<u32, ParseError> {",)),
])
def generic_argument_from_other_uses(site: Site) -> Iterator[Fix]:
    """E0107 "enum takes 2 generic arguments but 1 generic argument was supplied", where rustc's "add
    missing generic argument" names the parameter (`Result<Vec<String>, E>`): the missing arguments as
    the crate's other uses of the type with all of them give them (`Result<T, T>` beside
    `compare_exchange(..) -> Result<T, T>`), nearest first; for `Result`'s error, also the type the
    function returns in `Err(..)`. At most `MAX_FILLS` candidates, each checked by the compiler."""
    name = site.text.strip()
    if not re.fullmatch(r"\w+", name):
        return
    for fix in suggestion_fixes(site.error, site.root):  # `, E` names a parameter: no `/* */` stub
        if len(fix.edits) != 1 or fix.edits[0].byte_start != fix.edits[0].byte_end:
            continue
        ed = fix.edits[0]
        missing = [a.strip() for a in ed.new_text.split(",") if a.strip()]
        if not ed.new_text.lstrip().startswith(",") or not all(re.fullmatch(r"[A-Z]\w*", a) for a in missing):
            continue
        here = [args for at, args in generic_uses(site.data, name) if at <= site.span.byte_start]
        if not here:
            continue
        n_supplied = len(here[-1])
        fills: dict[tuple[str, ...], str] = {}
        for args in site.nearest(lambda data: generic_uses(data, name), ed.byte_start, MAX_CALLS):
            if len(args) == n_supplied + len(missing):
                fills.setdefault(tuple(args[n_supplied:]), f"as the crate's other uses of `{name}` give")
        if name == "Result" and missing == ["E"] and site.item is not None:
            for m in _ERR_TYPE.finditer(site.item.text):
                if m.group(1) != "Self":
                    fills.setdefault((m.group(1),), "the type the function returns in `Err(..)`")
        for args, why in list(fills.items())[:MAX_FILLS]:
            yield Fix(f"{fix.title}: `{', '.join(args)}`, {why}",
                      (TextEdit(ed.file, ed.byte_start, ed.byte_end, ", " + ", ".join(args)),), MAYBE_INCORRECT)
        return
