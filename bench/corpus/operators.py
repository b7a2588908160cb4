"""Mutation operators for bench/corpus/mutate.py: one realistic developer mistake each.

Each operator looks at one tree-sitter-rust node and returns the edits that would inject its mistake
there (usually zero or one). An edit is `(start_byte, end_byte, replacement)` on the file's bytes.
The operators are modelled on what Rust developers get wrong most often (rustc's most frequent error
codes in studies of compile errors, e.g. RustAssistant, and the usual questions about them): type
mismatches from a forgotten conversion, `?`, borrow or cast; moves from a forgotten `.clone()`;
missing `mut`; typos in names, fields, methods, imports and types; a forgotten trait import, derive
or bound; a wrong argument count; a forgotten match arm or field; a missing lifetime; `pub` left off;
method names from other languages. Whether a site really breaks the build is decided by `cargo check`
in mutate.py, not here.
"""

from __future__ import annotations

import random
import re
from typing import Callable

Edit = tuple[int, int, bytes]

INT_SWAP = {b"usize": b"u32", b"u32": b"usize", b"u64": b"u32", b"i32": b"i64", b"i64": b"i32", b"u8": b"u32",
            b"u16": b"u32", b"isize": b"i32"}
OTHER_LANGUAGE = {b"len": [b"length", b"size", b"count"], b"push": [b"add", b"append", b"push_back"],
                  b"is_empty": [b"isEmpty", b"empty"], b"to_string": [b"toString", b"str"],
                  b"contains": [b"includes", b"has"], b"starts_with": [b"startsWith", b"startswith"],
                  b"ends_with": [b"endsWith"], b"insert": [b"put", b"add"], b"get": [b"at"],
                  b"to_lowercase": [b"lower", b"toLowerCase"], b"to_uppercase": [b"upper"],
                  b"split": [b"split_by"], b"trim": [b"strip"], b"iter": [b"each"], b"pop": [b"pop_back"],
                  b"extend": [b"append_all"], b"remove": [b"delete"], b"clear": [b"reset"]}
STD_TRAITS = {b"Write", b"Read", b"BufRead", b"Seek", b"FromStr", b"Hasher", b"Hash", b"Borrow", b"BorrowMut",
              b"FromIterator", b"Extend", b"TryFrom", b"TryInto", b"Deref", b"DerefMut", b"AsRef", b"Error"}
DERIVES = {b"Clone", b"Copy", b"Debug", b"PartialEq", b"Eq", b"Hash", b"Default", b"PartialOrd", b"Ord"}


class Ctx:
    """Per-file state an operator may use: the source bytes and a seeded RNG for typos and choices."""

    def __init__(self, src: bytes, rng: random.Random) -> None:
        self.src = src
        self.rng = rng

    def text(self, n) -> bytes:
        return self.src[n.start_byte:n.end_byte]

    def typo(self, name: bytes) -> bytes:
        """A plausible typo: a dropped, doubled or swapped letter (never the first one)."""
        s = name.decode()
        for _ in range(10):
            i = self.rng.randrange(1, len(s))
            kind = self.rng.choice(["drop", "double", "swap"])
            if kind == "drop":
                t = s[:i] + s[i + 1:]
            elif kind == "double":
                t = s[:i] + s[i] + s[i:]
            else:
                t = s[:i - 1] + s[i] + s[i - 1] + s[i + 1:] if i < len(s) else s
            if t != s and t != s.lower() and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", t):
                return t.encode()
        return (s + "s").encode()


def _method_call(n, names: set[bytes] | None = None, nargs: int | None = None):
    """(receiver, method name node, arguments) when n is `recv.name(args)`, else None."""
    if n.type != "call_expression":
        return None
    f, args = n.child_by_field_name("function"), n.child_by_field_name("arguments")
    if f is None or f.type != "field_expression" or args is None:
        return None
    field = f.child_by_field_name("field")
    if field is None or field.type != "field_identifier":
        return None
    if names is not None and field.text not in names:
        return None
    if nargs is not None and args.named_child_count != nargs:
        return None
    return f.child_by_field_name("value"), field, args


def _enclosing_fn(n):
    while n is not None and n.type not in ("function_item", "closure_expression"):
        n = n.parent
    return n


def _in_trait_impl(n) -> bool:
    """n is (inside) a method of `impl Trait for T`: changing its signature gives E0053, not the error
    the operator is about."""
    fn = n if n.type == "function_item" else _enclosing_fn(n)
    p = fn.parent if fn is not None else None
    impl = p.parent if p is not None and p.type == "declaration_list" else None
    return impl is not None and impl.type == "impl_item" and impl.child_by_field_name("trait") is not None


def _outside_trait_impls(op: Callable) -> Callable:
    """A signature operator that leaves trait impls alone (there it would give E0053 instead)."""
    def wrapped(n, c: "Ctx") -> list[Edit]:
        edits = op(n, c)
        return [] if edits and _in_trait_impl(n) else edits
    wrapped.__doc__ = op.__doc__
    return wrapped


def _returns_result_or_option(fn) -> bool:
    rt = fn.child_by_field_name("return_type") if fn is not None else None
    return rt is not None and re.search(rb"\b(Result|Option|Poll)\b|impl|dyn", rt.text) is not None


# ------------------------------------------------------------------ moves and borrows
def remove_clone(n, c: Ctx) -> list[Edit]:
    """`x.clone()` → `x` (E0382 use after move, E0507 move out of a borrow, E0308)."""
    m = _method_call(n, {b"clone"}, 0)
    return [(n.start_byte, n.end_byte, c.text(m[0]))] if m else []


def clone_to_borrow(n, c: Ctx) -> list[Edit]:
    """`let x = y.clone();` → `let x = &y;` (E0308, E0502/E0505 when y changes later)."""
    if n.type != "let_declaration":
        return []
    v = n.child_by_field_name("value")
    m = _method_call(v, {b"clone"}, 0) if v is not None else None
    return [(v.start_byte, v.end_byte, b"&" + c.text(m[0]))] if m else []


def borrow_instead_of_copy(n, c: Ctx) -> list[Edit]:
    """`let x = self.count;` → `let x = &self.count;` (E0308, E0369, E0506 when the field changes later)."""
    if n.type != "let_declaration":
        return []
    v = n.child_by_field_name("value")
    if v is None or v.type != "field_expression":
        return []
    return [(v.start_byte, v.start_byte, b"&")]


def remove_let_mut(n, c: Ctx) -> list[Edit]:
    """`let mut x` → `let x` (E0596 borrow as mutable, E0384 assign twice)."""
    if n.type != "let_declaration":
        return []
    for ch in n.children:
        if ch.type == "mutable_specifier":
            end = ch.end_byte + (1 if c.src[ch.end_byte:ch.end_byte + 1] == b" " else 0)
            return [(ch.start_byte, end, b"")]
    return []


@_outside_trait_impls
def remove_param_mut(n, c: Ctx) -> list[Edit]:
    """`fn f(mut x: T)` → `fn f(x: T)` (E0596, E0384)."""
    if n.type != "parameter" or not n.children or n.children[0].type != "mutable_specifier":
        return []
    ch = n.children[0]
    return [(ch.start_byte, ch.end_byte + (1 if c.src[ch.end_byte:ch.end_byte + 1] == b" " else 0), b"")]


@_outside_trait_impls
def mut_self_to_shared(n, c: Ctx) -> list[Edit]:
    """`&mut self` → `&self` (E0596, E0594)."""
    if n.type == "self_parameter" and re.fullmatch(rb"&\s*mut\s+self", n.text):
        return [(n.start_byte, n.end_byte, b"&self")]
    return []


@_outside_trait_impls
def mut_ref_param_to_shared(n, c: Ctx) -> list[Edit]:
    """`x: &mut T` parameter → `x: &T` (E0596, E0594)."""
    if n.type != "parameter":
        return []
    t = n.child_by_field_name("type")
    if t is None or t.type != "reference_type" or not any(ch.type == "mutable_specifier" for ch in t.children):
        return []
    return [(t.start_byte, t.end_byte, re.sub(rb"^&\s*('\w+\s+)?mut\s+", rb"&\1", c.text(t)))]


def mut_borrow_to_shared(n, c: Ctx) -> list[Edit]:
    """`f(&mut x)` → `f(&x)` (E0308)."""
    if n.type != "reference_expression" or n.parent is None or n.parent.type != "arguments":
        return []
    if not any(ch.type == "mutable_specifier" for ch in n.children):
        return []
    return [(n.start_byte, n.end_byte, re.sub(rb"^&\s*mut\s+", b"&", c.text(n)))]


def remove_borrow(n, c: Ctx) -> list[Edit]:
    """`f(&x)` → `f(x)` (E0308; E0382 when it moves)."""
    if n.type != "reference_expression" or n.parent is None or n.parent.type != "arguments":
        return []
    if any(ch.type == "mutable_specifier" for ch in n.children):
        return []
    v = n.child_by_field_name("value")
    return [(n.start_byte, n.end_byte, c.text(v))] if v is not None else []


def iter_to_into_iter(n, c: Ctx) -> list[Edit]:
    """`self.items.iter()` → `self.items.into_iter()` (E0507 move out of a shared reference)."""
    m = _method_call(n, {b"iter"}, 0)
    if not m or m[0].type != "field_expression":
        return []
    return [(m[1].start_byte, m[1].end_byte, b"into_iter")]


# ------------------------------------------------------------------ types
def remove_question_mark(n, c: Ctx) -> list[Edit]:
    """`f()?` → `f()` (E0308: the value is still a Result/Option)."""
    if n.type != "try_expression" or not n.named_children:
        return []
    inner = n.named_children[0]
    return [(n.start_byte, n.end_byte, c.text(inner))]


def add_question_mark(n, c: Ctx) -> list[Edit]:
    """`f(x);` → `f(x)?;` in a function that returns neither Result nor Option (E0277)."""
    if n.type != "expression_statement" or not n.named_children or n.named_children[0].type != "call_expression":
        return []
    fn = _enclosing_fn(n)
    if fn is None or fn.type != "function_item" or _returns_result_or_option(fn):
        return []
    e = n.named_children[0]
    return [(e.end_byte, e.end_byte, b"?")]


def remove_unwrap(n, c: Ctx) -> list[Edit]:
    """`x.unwrap()` / `x.expect("..")` → `x` (E0308, E0599 method on Option, E0609, E0277)."""
    m = _method_call(n, {b"unwrap", b"expect"})
    return [(n.start_byte, n.end_byte, c.text(m[0]))] if m else []


def remove_ok_wrap(n, c: Ctx) -> list[Edit]:
    """A function's tail `Ok(x)` / `Some(x)` → `x` (E0308)."""
    if n.type != "call_expression" or n.parent is None or n.parent.type != "block":
        return []
    if n.parent.parent is None or n.parent.parent.type != "function_item" or n.parent.named_children[-1] != n:
        return []
    f, args = n.child_by_field_name("function"), n.child_by_field_name("arguments")
    if f is None or f.text not in (b"Ok", b"Some") or args is None or args.named_child_count != 1:
        return []
    return [(n.start_byte, n.end_byte, c.text(args.named_children[0]))]


def remove_to_owned(n, c: Ctx) -> list[Edit]:
    """`"..".to_string()` / `.to_owned()` / `String::from(x)` → the `&str` (E0308 `&str` vs `String`)."""
    m = _method_call(n, {b"to_string", b"to_owned", b"into"}, 0)
    if m:
        return [(n.start_byte, n.end_byte, c.text(m[0]))]
    if n.type == "call_expression":
        f, args = n.child_by_field_name("function"), n.child_by_field_name("arguments")
        if f is not None and f.text == b"String::from" and args is not None and args.named_child_count == 1:
            return [(n.start_byte, n.end_byte, c.text(args.named_children[0]))]
    return []


def remove_as_cast(n, c: Ctx) -> list[Edit]:
    """`x as usize` → `x` (E0308 integer type mismatch)."""
    if n.type != "type_cast_expression":
        return []
    v, t = n.child_by_field_name("value"), n.child_by_field_name("type")
    if v is None or t is None or t.type != "primitive_type":
        return []
    return [(n.start_byte, n.end_byte, c.text(v))]


@_outside_trait_impls
def int_param_type(n, c: Ctx) -> list[Edit]:
    """A parameter `x: usize` → `x: u32` (and similar; E0308 at the uses or the callers)."""
    if n.type != "parameter":
        return []
    t = n.child_by_field_name("type")
    if t is None or t.type != "primitive_type" or t.text not in INT_SWAP:
        return []
    return [(t.start_byte, t.end_byte, INT_SWAP[t.text])]


@_outside_trait_impls
def str_param_type(n, c: Ctx) -> list[Edit]:
    """A parameter `s: &str` → `s: String` (E0308 at the callers)."""
    if n.type != "parameter":
        return []
    t = n.child_by_field_name("type")
    if t is None or t.type != "reference_type" or t.text.replace(b" ", b"") != b"&str":
        return []
    return [(t.start_byte, t.end_byte, b"String")]


def index_with_u32(n, c: Ctx) -> list[Edit]:
    """`v[i]` → `v[i as u32]` (E0277: a slice is indexed by usize only)."""
    if n.type != "index_expression" or len(n.named_children) != 2 or n.named_children[1].type != "identifier":
        return []
    i = n.named_children[1]
    return [(i.end_byte, i.end_byte, b" as u32")]


def remove_deref(n, c: Ctx) -> list[Edit]:
    """`*x` → `x` in an operand or assignment (E0308, E0369, E0277)."""
    if n.type != "unary_expression" or not n.text.startswith(b"*") or n.parent is None:
        return []
    if n.parent.type not in ("binary_expression", "assignment_expression", "compound_assignment_expr"):
        return []
    v = n.named_children[0] if n.named_children else None
    return [(n.start_byte, n.end_byte, c.text(v))] if v is not None else []


def add_deref(n, c: Ctx) -> list[Edit]:
    """`self.len + 1` → `*self.len + 1`: a dereference of a value that is no reference (E0614)."""
    if n.type != "field_expression" or n.parent is None or n.parent.type != "binary_expression":
        return []
    return [(n.start_byte, n.start_byte, b"*")]


def tuple_index_to_bracket(n, c: Ctx) -> list[Edit]:
    """`pair.0` → `pair[0]` (E0608 cannot index into a tuple/struct)."""
    if n.type != "field_expression":
        return []
    f, v = n.child_by_field_name("field"), n.child_by_field_name("value")
    if f is None or v is None or f.type != "integer_literal":
        return []
    return [(n.start_byte, n.end_byte, c.text(v) + b"[" + f.text + b"]")]


def tail_semicolon(n, c: Ctx) -> list[Edit]:
    """A function's tail expression gets a `;` (E0308 expected T, found `()`)."""
    if n.type != "function_item" or n.child_by_field_name("return_type") is None:
        return []
    body = n.child_by_field_name("body")
    if body is None or not body.named_children:
        return []
    last = body.named_children[-1]
    if last.type.endswith("_statement") or last.type in ("let_declaration", "line_comment", "block_comment",
                                                           "macro_invocation") or last.type.endswith("_item"):
        return []
    return [(last.end_byte, last.end_byte, b";")]


@_outside_trait_impls
def remove_return_type(n, c: Ctx) -> list[Edit]:
    """`fn f() -> T {` → `fn f() {` (E0308 mismatched types)."""
    if n.type != "function_item":
        return []
    rt, params = n.child_by_field_name("return_type"), n.child_by_field_name("parameters")
    if rt is None or params is None or n.child_by_field_name("body") is None:
        return []
    return [(params.end_byte, rt.end_byte, b"")]


@_outside_trait_impls
def result_missing_error_type(n, c: Ctx) -> list[Edit]:
    """`-> Result<T, E>` → `-> Result<T>` (E0107: the alias habit of io::Result/anyhow::Result)."""
    if n.type != "generic_type" or n.parent is None or n.parent.type != "function_item":
        return []
    t, args = n.child_by_field_name("type"), n.child_by_field_name("type_arguments")
    if t is None or t.text != b"Result" or args is None or args.named_child_count != 2:
        return []
    first = args.named_children[0]
    return [(first.end_byte, args.end_byte - 1, b"")]


# ------------------------------------------------------------------ names
def misspell_local(n, c: Ctx) -> list[Edit]:
    """A use of a local variable, misspelled (E0425)."""
    if n.type != "identifier" or len(n.text) < 4 or n.parent is None:
        return []
    if n.parent.type not in ("arguments", "binary_expression", "return_expression", "field_expression",
                             "index_expression", "reference_expression", "unary_expression"):
        return []
    if n.parent.type == "field_expression" and n.parent.child_by_field_name("value") != n:
        return []
    fn = _enclosing_fn(n)
    if fn is None or fn.type != "function_item":
        return []
    lets = re.findall(rb"\blet\s+(?:mut\s+)?(\w+)", fn.text) + re.findall(rb"(\w+)\s*:", (fn.child_by_field_name("parameters") or fn).text)
    if n.text not in lets:
        return []
    return [(n.start_byte, n.end_byte, c.typo(n.text))]


def misspell_method(n, c: Ctx) -> list[Edit]:
    """`x.method()` misspelled (E0599 no method)."""
    m = _method_call(n)
    if not m or len(m[1].text) < 4:
        return []
    return [(m[1].start_byte, m[1].end_byte, c.typo(m[1].text))]


def method_from_other_language(n, c: Ctx) -> list[Edit]:
    """`v.len()` → `v.length()`, `push` → `add`, `is_empty` → `isEmpty` ... (E0599)."""
    m = _method_call(n, set(OTHER_LANGUAGE))
    if not m:
        return []
    return [(m[1].start_byte, m[1].end_byte, c.rng.choice(OTHER_LANGUAGE[m[1].text]))]


def misspell_type(n, c: Ctx) -> list[Edit]:
    """A type name in a signature or field, misspelled (E0412)."""
    if n.type != "type_identifier" or len(n.text) < 4 or n.parent is None:
        return []
    if n.parent.type not in ("parameter", "reference_type", "field_declaration", "function_item", "generic_type",
                             "type_arguments"):
        return []
    return [(n.start_byte, n.end_byte, c.typo(n.text))]


def _misspell_field(n, c: Ctx) -> list[Edit]:
    f = n.child_by_field_name("field")
    if f is None or f.type != "field_identifier" or len(f.text) < 3:
        return []
    return [(f.start_byte, f.end_byte, c.typo(f.text))]


def misspell_field_access(n, c: Ctx) -> list[Edit]:
    """`x.field` misspelled where it is read, not called (E0609 no field)."""
    if n.type != "field_expression" or (n.parent is not None and n.parent.type == "call_expression"
                                        and n.parent.child_by_field_name("function") == n):
        return []
    return _misspell_field(n, c)


def misspell_field_init(n, c: Ctx) -> list[Edit]:
    """`S { field: v }` with the field misspelled (E0560 unknown field)."""
    return _misspell_field(n, c) if n.type == "field_initializer" else []


def misspell_import(n, c: Ctx) -> list[Edit]:
    """A name in a `use` path misspelled (E0432 unresolved import)."""
    if n.type not in ("identifier", "type_identifier") or len(n.text) < 4:
        return []
    p = n.parent
    while p is not None and p.type in ("scoped_identifier", "scoped_use_list", "use_list", "use_as_clause"):
        p = p.parent
    if p is None or p.type != "use_declaration" or n.parent.type == "use_as_clause" and n.prev_named_sibling is not None:
        return []
    return [(n.start_byte, n.end_byte, c.typo(n.text))]


def misspell_path(n, c: Ctx) -> list[Edit]:
    """`Type::item` in an expression, with the first segment misspelled (E0433 failed to resolve)."""
    if n.type != "scoped_identifier" or n.parent is None or n.parent.type in ("scoped_identifier", "use_declaration",
                                                                               "use_list", "scoped_use_list"):
        return []
    p = n.child_by_field_name("path")
    if p is None or p.type != "identifier" or len(p.text) < 4 or p.text in (b"self", b"crate", b"super", b"std", b"core", b"alloc"):
        return []
    return [(p.start_byte, p.end_byte, c.typo(p.text))]


def remove_use(n, c: Ctx) -> list[Edit]:
    """A private `use` line deleted (E0433, E0412, E0425, E0405, E0599)."""
    if n.type != "use_declaration" or n.text.startswith(b"pub") or n.parent is None:
        return []
    end = n.end_byte + (1 if c.src[n.end_byte:n.end_byte + 1] == b"\n" else 0)
    start = c.src.rfind(b"\n", 0, n.start_byte) + 1
    return [(start, end, b"")] if not c.src[start:n.start_byte].strip() else []


def remove_trait_import(n, c: Ctx) -> list[Edit]:
    """`use std::io::Write;` (a trait imported for its methods) deleted (E0599 no method)."""
    if n.type != "use_declaration" or n.text.startswith(b"pub"):
        return []
    m = re.fullmatch(rb"use\s+(?:std|core|alloc)::[\w:]*::(\w+)\s*;", n.text)
    if not m or m.group(1) not in STD_TRAITS:
        return []
    return remove_use(n, c)


# ------------------------------------------------------------------ calls
def drop_argument(n, c: Ctx) -> list[Edit]:
    """`f(a, b)` → `f(a)` (E0061 wrong number of arguments)."""
    if n.type != "call_expression":
        return []
    args = n.child_by_field_name("arguments")
    if args is None or args.named_child_count < 2:
        return []
    prev, last = args.named_children[-2], args.named_children[-1]
    return [(prev.end_byte, last.end_byte, b"")]


def extra_argument(n, c: Ctx) -> list[Edit]:
    """`f(a)` → `f(a, a)` (E0061)."""
    if n.type != "call_expression":
        return []
    args = n.child_by_field_name("arguments")
    if args is None or args.named_child_count < 1:
        return []
    last = args.named_children[-1]
    if last.type in ("closure_expression", "block") or b"\n" in last.text:
        return []
    return [(last.end_byte, last.end_byte, b", " + c.text(last))]


def swap_arguments(n, c: Ctx) -> list[Edit]:
    """`f(a, b)` → `f(b, a)` for a two-argument call (E0308)."""
    if n.type != "call_expression":
        return []
    args = n.child_by_field_name("arguments")
    if args is None or args.named_child_count != 2:
        return []
    a, b = args.named_children
    if a.text == b.text or b"\n" in args.text:
        return []
    return [(a.start_byte, b.end_byte, c.text(b) + c.src[a.end_byte:b.start_byte] + c.text(a))]


@_outside_trait_impls
def remove_self_param(n, c: Ctx) -> list[Edit]:
    """A method's `&self` forgotten (E0424 `self` is not available; E0599 at the callers)."""
    if n.type != "parameters" or not n.named_children or n.named_children[0].type != "self_parameter":
        return []
    s = n.named_children[0]
    nxt = n.named_children[1] if len(n.named_children) > 1 else None
    return [(s.start_byte, nxt.start_byte if nxt is not None else s.end_byte, b"")]


# ------------------------------------------------------------------ items
def remove_match_arm(n, c: Ctx) -> list[Edit]:
    """One arm of a `match` without a catch-all deleted (E0004 non-exhaustive patterns)."""
    if n.type != "match_arm" or n.parent is None:
        return []
    arms = [a for a in n.parent.named_children if a.type == "match_arm"]
    if len(arms) < 2 or any(re.fullmatch(rb"(_|[a-z_]\w*)", (a.child_by_field_name("pattern") or a).text.strip())
                            for a in arms):
        return []
    start = c.src.rfind(b"\n", 0, n.start_byte) + 1
    if c.src[start:n.start_byte].strip():
        return []
    end = n.end_byte
    if c.src[end:end + 1] == b",":
        end += 1
    if c.src[end:end + 1] == b"\n":
        end += 1
    return [(start, end, b"")]


def remove_field_init(n, c: Ctx) -> list[Edit]:
    """One field of a struct literal left out (E0063 missing field)."""
    if n.type not in ("field_initializer", "shorthand_field_initializer") or n.parent is None:
        return []
    if any(ch.type == "base_field_initializer" for ch in n.parent.named_children):
        return []
    end = n.end_byte + (1 if c.src[n.end_byte:n.end_byte + 1] == b"," else 0)
    return [(n.start_byte, end, b"")]


def remove_pub(n, c: Ctx) -> list[Edit]:
    """`pub` left off an item, field or method used from another module (E0603, E0616, E0624)."""
    if n.type != "visibility_modifier" or n.text != b"pub" or n.parent is None:
        return []
    if n.parent.type not in ("function_item", "struct_item", "enum_item", "field_declaration", "const_item",
                             "type_item", "trait_item", "mod_item", "static_item"):
        return []
    return [(n.start_byte, n.end_byte + (1 if c.src[n.end_byte:n.end_byte + 1] == b" " else 0), b"")]


def remove_lifetime(n, c: Ctx) -> list[Edit]:
    """`&'a T` in a struct field or a return type → `&T` (E0106 missing lifetime specifier)."""
    if n.type != "reference_type" or n.parent is None:
        return []
    if n.parent.type not in ("field_declaration", "function_item"):
        return []
    lt = next((ch for ch in n.children if ch.type == "lifetime"), None)
    if lt is None or lt.text == b"'static":
        return []
    return [(lt.start_byte, lt.end_byte + (1 if c.src[lt.end_byte:lt.end_byte + 1] == b" " else 0), b"")]


def remove_derive(n, c: Ctx) -> list[Edit]:
    """One trait left out of `#[derive(...)]` (E0277, E0369, E0599, E0382)."""
    if n.type != "attribute_item":
        return []
    m = re.fullmatch(rb"#\[derive\(([^)]*)\)\]", n.text.replace(b"\n", b" "))
    if not m:
        return []
    names = [x.strip() for x in m.group(1).split(b",") if x.strip()]
    cands = [x for x in names if x in DERIVES]
    if not cands:
        return []
    drop = c.rng.choice(cands)
    rest = [x for x in names if x != drop]
    return [(n.start_byte, n.end_byte, b"#[derive(" + b", ".join(rest) + b")]" if rest else b"")]


def remove_trait_bound(n, c: Ctx) -> list[Edit]:
    """One bound of `T: A + B` (or `T: A`, or `where T: A + B`) dropped (E0277, E0599, E0369)."""
    if n.type not in ("type_parameter", "constrained_type_parameter", "where_predicate"):
        return []
    b = n.child_by_field_name("bounds")
    if b is None or not b.named_children:
        return []
    bounds = b.named_children
    k = c.rng.randrange(len(bounds))
    if len(bounds) == 1:
        left = n.child_by_field_name("name") or n.child_by_field_name("left")
        if n.type == "where_predicate" or left is None:
            return []
        return [(left.end_byte, b.end_byte, b"")]
    if k == 0:
        return [(bounds[0].start_byte, bounds[1].start_byte, b"")]
    return [(bounds[k - 1].end_byte, bounds[k].end_byte, b"")]


def remove_trait_impl_method(n, c: Ctx) -> list[Edit]:
    """A required method left out of a trait impl (E0046)."""
    if n.type != "function_item" or n.parent is None or n.parent.type != "declaration_list":
        return []
    impl = n.parent.parent
    if impl is None or impl.type != "impl_item" or impl.child_by_field_name("trait") is None:
        return []
    start = c.src.rfind(b"\n", 0, n.start_byte) + 1
    if c.src[start:n.start_byte].strip():
        return []
    end = n.end_byte + (1 if c.src[n.end_byte:n.end_byte + 1] == b"\n" else 0)
    return [(start, end, b"")]


# ownership and borrowing mistakes are tried first more often: they are frequent in real code (E0382,
# E0502, E0505, E0507, E0596) but have fewer sites per crate than typos and type mismatches
WEIGHTS = {"remove-clone": 3, "clone-to-borrow": 3, "borrow-instead-of-copy": 3, "iter-to-into-iter": 3,
           "remove-let-mut": 2, "mut-self-to-shared": 2, "mut-ref-param-to-shared": 2, "mut-borrow-to-shared": 2,
           "remove-param-mut": 2}

OPERATORS: dict[str, Callable] = {name.replace("_", "-"): fn for name, fn in [
    ("remove_clone", remove_clone), ("clone_to_borrow", clone_to_borrow),
    ("borrow_instead_of_copy", borrow_instead_of_copy), ("remove_let_mut", remove_let_mut),
    ("remove_param_mut", remove_param_mut), ("mut_self_to_shared", mut_self_to_shared),
    ("mut_ref_param_to_shared", mut_ref_param_to_shared), ("mut_borrow_to_shared", mut_borrow_to_shared),
    ("remove_borrow", remove_borrow), ("iter_to_into_iter", iter_to_into_iter),
    ("remove_question_mark", remove_question_mark), ("add_question_mark", add_question_mark),
    ("remove_unwrap", remove_unwrap), ("remove_ok_wrap", remove_ok_wrap), ("remove_to_owned", remove_to_owned),
    ("remove_as_cast", remove_as_cast), ("int_param_type", int_param_type), ("str_param_type", str_param_type),
    ("index_with_u32", index_with_u32), ("remove_deref", remove_deref), ("add_deref", add_deref),
    ("tuple_index_to_bracket", tuple_index_to_bracket), ("tail_semicolon", tail_semicolon),
    ("remove_return_type", remove_return_type), ("result_missing_error_type", result_missing_error_type),
    ("misspell_local", misspell_local), ("misspell_method", misspell_method),
    ("method_from_other_language", method_from_other_language), ("misspell_type", misspell_type),
    ("misspell_field_access", misspell_field_access), ("misspell_field_init", misspell_field_init),
    ("misspell_import", misspell_import), ("misspell_path", misspell_path), ("remove_use", remove_use),
    ("remove_trait_import", remove_trait_import), ("drop_argument", drop_argument),
    ("extra_argument", extra_argument), ("swap_arguments", swap_arguments),
    ("remove_self_param", remove_self_param), ("remove_match_arm", remove_match_arm),
    ("remove_field_init", remove_field_init), ("remove_pub", remove_pub), ("remove_lifetime", remove_lifetime),
    ("remove_derive", remove_derive), ("remove_trait_bound", remove_trait_bound),
    ("remove_trait_impl_method", remove_trait_impl_method),
]}
