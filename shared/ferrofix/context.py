"""Code context for a diagnostic: the enclosing Rust item, found with tree-sitter.

Source: tree-sitter-rust grammar node types (`function_item`, `impl_item`, ...), py-tree-sitter API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterator, Mapping, Sequence

import tree_sitter_rust
from tree_sitter import Language, Node, Parser

ITEM_TYPES = {
    "function_item", "impl_item", "trait_item", "struct_item", "enum_item", "union_item",
    "const_item", "static_item", "type_item", "macro_definition", "use_declaration",
    "mod_item", "function_signature_item", "associated_type", "extern_crate_declaration",
}
#: Items larger than this (in lines) are not offered to the model whole.
MAX_ITEM_LINES = 160
#: associated items that, on one line, are shown with their `impl` or `trait` block (`enclosing_item`)
ONE_LINE_MEMBERS = {"type_item", "const_item", "associated_type", "function_signature_item"}
#: the longest such block (lines)
MEMBER_BLOCK_LINES = 40


@lru_cache(maxsize=1)
def _parser() -> Parser:
    return Parser(Language(tree_sitter_rust.language()))


def parse(data: bytes):
    """Parse Rust source bytes with tree-sitter; returns a `tree_sitter.Tree`."""
    return _parser().parse(data)


def has_syntax_error(data: bytes) -> bool:
    """True when tree-sitter finds a syntax error (ERROR or MISSING node) in the source."""
    return parse(data).root_node.has_error


@dataclass(frozen=True, slots=True)
class ItemContext:
    """The item enclosing a span: its kind, byte range in the file, 1-based first line, text, and
    the byte offset where its signature ends (the body's `{`, or the item end)."""

    kind: str
    byte_start: int
    byte_end: int
    line_start: int
    text: str
    signature_end: int

    @property
    def signature(self) -> str:
        return self.text[: self.signature_end - self.byte_start] if self.signature_end else ""


def _line_start(data: bytes, offset: int) -> int:
    return data.rfind(b"\n", 0, offset) + 1


def enclosing_item(data: bytes, byte_start: int, byte_end: int, *, max_lines: int = MAX_ITEM_LINES
                   ) -> ItemContext | None:
    """The innermost item (function, impl, struct, ...) enclosing `[byte_start, byte_end)` that has at
    most `max_lines` lines; a larger innermost item is still returned if nothing smaller encloses the
    span; an item of an `extern` block is the block (tree-sitter's `foreign_mod_item`), within
    `max_lines`, and so is a one-line associated type, const or signature of an `impl` or `trait`
    (`ONE_LINE_MEMBERS`), within `MEMBER_BLOCK_LINES`. The range starts at the item's line start
    (keeping its indentation) and includes attributes and doc comments right above it. None when the
    span is at top level outside any item."""
    tree = parse(data)
    node: Node | None = tree.root_node.descendant_for_byte_range(byte_start, max(byte_start, byte_end))
    found: Node | None = None
    while node is not None:
        if node.type in ITEM_TYPES:
            found = node
            break
        node = node.parent
    if found is None:
        return None
    # an item of an `extern` block means what the block says (its ABI, `unsafe`, `#[link]`): the block
    # is the item, when it is small enough; so does a one-line associated type or const of an `impl` or
    # `trait` (`type Bar = bool;` "is not a member of trait `Foo`": alone, it shows nothing to fix)
    block = found.parent.parent if found.parent is not None and found.parent.type == "declaration_list" else None
    lines = (block.end_point[0] - block.start_point[0] + 1) if block is not None else 0
    if block is not None and block.type == "foreign_mod_item" and lines <= max_lines or \
            block is not None and block.type in ("impl_item", "trait_item") and found.type in ONE_LINE_MEMBERS \
            and found.start_point[0] == found.end_point[0] and lines <= min(max_lines, MEMBER_BLOCK_LINES):
        found = block
    # take in the attributes and doc comments directly above the item (no blank line between)
    first = found
    prev = found.prev_sibling
    while prev is not None and prev.type in ("attribute_item", "line_comment", "block_comment") \
            and prev.end_point[0] >= first.start_point[0] - 1:
        first = prev
        prev = prev.prev_sibling
    start = _line_start(data, first.start_byte)
    end = found.end_byte
    body = found.child_by_field_name("body")
    sig_end = body.start_byte if body is not None else end
    return ItemContext(found.type, start, end, data.count(b"\n", 0, start) + 1,
                       data[start:end].decode("utf-8"), sig_end)


#: `#[cfg(test)]`, `#[cfg(all(test, ...))]`, `#[cfg(any(test, ...))]`: an item built for unit tests only
_CFG_TEST = re.compile(rb"#\[cfg\((?:(?:all|any)\([^\]]*)?\btest\b")


def first_item_kind(code: str) -> str | None:
    """The tree-sitter kind of the first top-level item in `code` (a model's rewrite of an item:
    `function_item`, `impl_item`, ...), skipping attributes and comments; None when the code does not
    start with an item (a statement, an expression) or does not parse."""
    root = parse(code.encode("utf-8")).root_node
    for node in root.named_children:
        if node.type in ("attribute_item", "inner_attribute_item", "line_comment", "block_comment"):
            continue
        return node.type if node.type in ITEM_TYPES else None
    return None


def item_of_kind(data: bytes, item: ItemContext, kind: str, *, max_lines: int = MAX_ITEM_LINES) -> ItemContext | None:
    """`item` itself when it is of `kind`, else the innermost item of `kind` enclosing it (a method's
    `impl` or `trait` block, a nested function's outer function), within `max_lines` lines; None when
    there is none. Used to apply a model's rewrite to the item the rewrite redefines: asked for a
    method, small models often answer with its whole `impl` block."""
    if item.kind == kind:
        return item
    # from the item's last byte up: every ancestor encloses the item, which is not of `kind`
    node: Node | None = parse(data).root_node.descendant_for_byte_range(item.byte_end - 1, item.byte_end - 1)
    while node is not None and node.type != kind:
        node = node.parent
    if node is None or node.end_point[0] - node.start_point[0] + 1 > max_lines:
        return None
    return enclosing_item(data, node.start_byte, node.end_byte, max_lines=max_lines)


def under_cfg_test(data: bytes, offset: int) -> bool:
    """Whether byte `offset` of Rust source `data` lies in an item compiled only for unit tests: the
    item there, or one enclosing it, carries `#[cfg(test)]` (also within `all(..)`/`any(..)`) among the
    attributes right above it, or its module says `#![cfg(test)]` first thing. A `use`/`extern crate`
    of a dev-dependency under `#[cfg(test)]` is such an item. Source: the tree-sitter-rust node types
    `attribute_item`/`inner_attribute_item`."""
    node: Node | None = parse(data).root_node.descendant_for_byte_range(offset, offset)
    while node is not None:
        if node.type in ITEM_TYPES:
            prev = node.prev_sibling
            while prev is not None and prev.type in ("attribute_item", "line_comment", "block_comment"):
                if prev.type == "attribute_item" and _CFG_TEST.match(data[prev.start_byte:prev.end_byte]):
                    return True
                prev = prev.prev_sibling
        body = node.child_by_field_name("body") if node.type == "mod_item" else None
        if node.type == "source_file" or body is not None:
            inner = next((c for c in (body or node).named_children if c.type != "line_comment"), None)
            if inner is not None and inner.type == "inner_attribute_item" and \
                    re.match(rb"#!\[cfg\(test\)\]", data[inner.start_byte:inner.end_byte]):
                return True
        node = node.parent
    return False


#: a `#[derive(..)]` attribute; group 1 is its list of trait names
DERIVE_ATTR = re.compile(rb"#\[derive\(([^)]*)\)\]")


def derive_names(trait_list: bytes) -> list[str]:
    """The trait names of a derive attribute's list (`DERIVE_ATTR` group 1): `b"Debug, Clone"` → both."""
    return [n.strip() for n in trait_list.decode("utf-8", "replace").split(",") if n.strip()]


def literal_types(literal: str) -> tuple[str, ...]:
    """The types a literal's text can have, likeliest first (`42` → `usize`, `i32`, ...; `4u8` → `u8`;
    `2.5` → `f64`, `f32`; `"x"` → `&str`; `true` → `bool`; `'c'` → `char`), or () for another expression."""
    suffix = re.fullmatch(r"-?[\d_.]+(?:e-?\d+)?_?([iuf](?:8|16|32|64|128|size))", literal)
    if suffix:
        return (suffix.group(1),)
    if re.fullmatch(r"-?\d[\d_]*", literal):
        return ("usize", "i32", "u32", "i64", "u64", "u8")
    if re.fullmatch(r"-?\d[\d_]*\.\d*(?:e-?\d+)?", literal):
        return ("f64", "f32")
    if literal.startswith('"'):
        return ("&str",)
    if literal in ("true", "false"):
        return ("bool",)
    if re.fullmatch(r"'(?:[^'\\]|\\.+)'", literal):
        return ("char",)
    return ()


def split_top_level(text: str, sep: str, brackets: str = "([{") -> list[str]:
    """`text` split at each `sep` (one character) outside brackets, each part stripped: generic
    arguments at `,` with `brackets="<(["` (`"u8, Vec<(i32, u8)>"` → ["u8", "Vec<(i32, u8)>"]), an
    or-pattern's alternatives at `|` (`"A(_) | B"` → ["A(_)", "B"]). `brackets` names the opening
    ones; each one's closer (`)]}>`) closes it."""
    closers = brackets.translate(str.maketrans("([{<", ")]}>"))
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch in brackets
        depth -= ch in closers
        if ch == sep and depth == 0:
            out.append(text[start:i].strip())
            start = i + 1
    return out + [text[start:].strip()]


def type_definition(files: Mapping[str, bytes], name: str, kinds: Sequence[str] = ("struct", "enum", "union"),
                    max_lines: int = 30) -> tuple[str, ItemContext] | None:
    """The item of one of `kinds` (`struct`, `enum`, `union`, `trait`) defining `name` in the
    workspace's sources (`files`: path → bytes), when shorter than `max_lines` lines: (file, item). The
    first found, in path order."""
    pattern = re.compile(rb"\b(?:" + "|".join(kinds).encode() + rb")\s+" + re.escape(name.encode()) + rb"\b")
    for f in sorted(files):
        data = files[f]
        m = pattern.search(data) if f.endswith(".rs") else None
        if m is None:
            continue
        d = enclosing_item(data, m.start(), m.end(), max_lines=max_lines)
        if d is not None and d.kind in {f"{k}_item" for k in kinds} and d.text.count("\n") < max_lines:
            return f, d
    return None


def declared_fields(definition: str) -> set[str] | None:
    """The field names a `struct` definition's text declares (`{"slice", "index"}`; a tuple struct's
    `{"0", "1"}`; a unit struct's empty set); None when the text holds no struct (an enum, a union)."""
    node = next(walk(parse(definition.encode("utf-8")).root_node, "struct_item"), None)
    if node is None:
        return None
    body = node.child_by_field_name("body")
    if body is None:
        return set()
    if body.type == "ordered_field_declaration_list":
        return {str(i) for i in range(len(body.children_by_field_name("type")))}
    return {name.text.decode("utf-8") for c in body.named_children if c.type == "field_declaration"
            if (name := c.child_by_field_name("name")) is not None}


def match_arm_patterns(data: bytes, offset: int) -> list[str]:
    """The patterns of the arms of the innermost `match` whose scrutinee or arms hold byte `offset`
    (`["Data::Union(data)", "Data::Enum(data)"]`), in order; [] when `offset` is in no `match`."""
    node: Node | None = parse(data).root_node.descendant_for_byte_range(offset, offset)
    while node is not None and node.type != "match_expression":
        node = node.parent
    body = node.child_by_field_name("body") if node is not None else None
    if body is None:
        return []
    out: list[str] = []
    for arm in body.named_children:
        pattern = arm.child_by_field_name("pattern") if arm.type == "match_arm" else None
        if pattern is not None:  # without the guard: `Data::Enum(x)` of `Data::Enum(x) if x.a`
            end = next((c.start_byte for c in pattern.children if c.type == "if"), pattern.end_byte)
            out.append(data[pattern.start_byte:end].decode("utf-8").strip())
    return out


def _impl_type(impl: Node) -> Node | None:
    """The self type node of an `impl_item`, generic arguments stripped (`ScopeGuard` of `ScopeGuard<T>`)."""
    ty = impl.child_by_field_name("type")
    if ty is not None and ty.type == "generic_type":
        ty = ty.child_by_field_name("type")
    return ty


def enclosing(data: bytes, offset: int, *kinds: str) -> Node | None:
    """The innermost tree-sitter node of one of `kinds` enclosing byte `offset`, or None."""
    node: Node | None = parse(data).root_node.descendant_for_byte_range(offset, offset)
    while node is not None and node.type not in kinds:
        node = node.parent
    return node


def file_module_path(file: str) -> list[str] | None:
    """The path from the crate root of the module a Rust file (a path relative to the workspace root)
    is, by its place under its `src/`: `src/a/b.rs` and `src/a/b/mod.rs` are `["a", "b"]`; `lib.rs`,
    `main.rs` and `src/bin/*.rs` are roots (`[]`). None for a file outside a `src/` directory."""
    parts = file.replace("\\", "/").split("/")
    if "src" not in parts[:-1] or not parts[-1].endswith(".rs"):
        return None
    segs = parts[len(parts) - parts[::-1].index("src"):]
    segs[-1] = segs[-1][:-3]
    if segs[-1] == "mod":
        segs.pop()
    if segs in (["lib"], ["main"]) or (segs[:1] == ["bin"] and len(segs) == 2):
        segs = []
    return segs


def module_path(file: str, data: bytes, offset: int) -> list[str] | None:
    """The path from the crate root of the module that byte `offset` of `file` (its bytes `data`) is
    in: the file's (`file_module_path`), then the inline `mod` items around `offset`: `["a", "b",
    "tests"]`. None for a file outside a `src/` directory."""
    segs = file_module_path(file)
    if segs is None:
        return None
    inline = []
    node = enclosing(data, offset, "mod_item")
    while node is not None:
        name = node.child_by_field_name("name")
        if name is not None:
            inline.append(name.text.decode("utf-8"))
        node = enclosing(data, node.start_byte - 1, "mod_item") if node.start_byte > 0 else None
    return segs + inline[::-1]


def impl_self_type(data: bytes, offset: int) -> str | None:
    """The name of the self type of the `impl` block enclosing byte `offset` (`ScopeGuard` for
    `impl<T> Deref for ScopeGuard<T>`, also when `offset` is in one of its methods), or None outside
    an impl or for a type that is not a plain path (`&T`, tuples)."""
    node = enclosing(data, offset, "impl_item")
    if node is None:
        return None
    ty = _impl_type(node)
    if ty is not None and ty.type == "scoped_type_identifier":
        ty = ty.child_by_field_name("name")
    return ty.text.decode("utf-8") if ty is not None and ty.type == "type_identifier" else None


def impl_trait_at(data: bytes, offset: int) -> tuple[str, int] | None:
    """The trait of the `impl Trait for T` block enclosing byte `offset` (its text, `fmt::Display`) and
    the block's start byte, or None outside a trait impl."""
    node = enclosing(data, offset, "impl_item")
    trait = node.child_by_field_name("trait") if node is not None else None
    return (trait.text.decode("utf-8"), node.start_byte) if trait is not None else None


def method_signatures(data: bytes, type_name: str, limit: int = 30,
                      kinds: Sequence[str] = ("function_item",)) -> list[str]:
    """The signatures (up to the body or the `=`, whitespace collapsed) of the items of `kinds`
    (tree-sitter-rust node types; functions by default, `const_item`, `type_item`) in the `impl` blocks
    of `type_name` in `data` (generic arguments ignored: `impl<T> Foo<T>` is `Foo`'s), inherent and
    trait impls alike, at most `limit`: what the model can call on a value of the type (`pub fn
    as_ref(&self) -> EitherOrBoth<&A, &B>`, `pub const BAR: usize`)."""
    out: list[str] = []
    stack = [parse(data).root_node]
    while stack and len(out) < limit:
        node = stack.pop()
        if node.type == "impl_item":
            ty = _impl_type(node)
            body = node.child_by_field_name("body")
            if ty is None or body is None or ty.text.decode("utf-8") != type_name:
                continue
            out.extend(_signature(data, it) for it in body.named_children if it.type in kinds)
            del out[limit:]
        elif node.type in ("source_file", "mod_item", "declaration_list"):
            stack.extend(reversed(node.named_children))
    return out


def _signature(data: bytes, item: Node) -> str:
    """An item's text up to its body (a function) or its value (`const X: u8`), whitespace collapsed."""
    end = item.child_by_field_name("body") or item.child_by_field_name("value")
    text = data[item.start_byte:end.start_byte if end is not None else item.end_byte].decode("utf-8")
    return " ".join(text.split()).rstrip(" =")


def associated_items_named(files: Mapping[str, bytes], name: str) -> Iterator[tuple[str, int, str, str]]:
    """The functions, constants and types named `name` that an `impl` block or a trait of the workspace
    holds, in path then source order: (file, 1-based line, the block's header up to its body with
    whitespace collapsed — `impl<'a> dyn T + 'a`, `trait Shape` —, the item's `_signature`)."""
    kinds = ("function_item", "function_signature_item", "const_item", "type_item", "associated_type")
    for f, node in items_named(files, name, kinds):
        block = node.parent.parent if node.parent is not None and node.parent.type == "declaration_list" else None
        if block is None or block.type not in ("impl_item", "trait_item"):
            continue
        data = files[f]
        body = block.child_by_field_name("body")
        header = " ".join(data[block.start_byte:body.start_byte].decode("utf-8").split())
        yield f, node.start_point[0] + 1, header, _signature(data, node)


def receiver_at(data: bytes, offset: int) -> tuple[int, int, str, list[str]] | None:
    """The `self` parameter of the innermost function enclosing byte `offset` (tree-sitter's
    `self_parameter`): (start byte, end byte, its text: `self`, `mut self`, `&self`, `&'a mut self`,
    ..., the lifetimes the function declares: `["'a"]` for `fn f<'a, T>`), or None when that function
    has no receiver or `offset` is in no function."""
    node = function_at(data, offset)
    params = node.child_by_field_name("parameters") if node is not None else None
    first = next((c for c in params.named_children if c.type != "attribute_item"), None) if params else None
    if first is None or first.type != "self_parameter":
        return None
    generics = node.child_by_field_name("type_parameters")
    lifetimes = [c.text.decode("utf-8") for c in (generics.named_children if generics else [])
                 for c in ([c] if c.type == "lifetime" else c.named_children[:1]) if c.type == "lifetime"]
    return first.start_byte, first.end_byte, first.text.decode("utf-8"), lifetimes


def return_type_at(data: bytes, offset: int) -> str | None:
    """The declared return type of the innermost function enclosing byte `offset` (`Self`,
    `Vec<String>`, ...), or None when that function declares none (or `offset` is in no function)."""
    node = enclosing(data, offset, "function_item", "closure_expression")
    ret = node.child_by_field_name("return_type") if node is not None else None
    return ret.text.decode("utf-8") if ret is not None else None


def binary_operands(data: bytes, offset: int) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """The operands of the binary expression whose operator starts at byte `offset` (rustc's span for
    "cannot divide `{integer}` by `f64`" is the `/`): ((left start, left end), (right start, right
    end)) in bytes, or None when no binary or compound-assignment operator starts there."""
    node: Node | None = parse(data).root_node.descendant_for_byte_range(offset, offset + 1)
    while node is not None and node.type not in ("binary_expression", "compound_assignment_expr"):
        node = node.parent
    if node is None:
        return None
    left, op, right = (node.child_by_field_name(f) for f in ("left", "operator", "right"))
    if left is None or right is None or op is None or op.start_byte != offset:
        return None
    return (left.start_byte, left.end_byte), (right.start_byte, right.end_byte)


def struct_initializer_at(data: bytes, offset: int) -> tuple[list[tuple[str, str | None]], int, int] | None:
    """The struct expression (`S { a: x, b, .. }`) whose type name starts at byte `offset` (rustc's span
    for "missing field `c` in initializer of `S`"): (its fields as (name, value text or None for a
    shorthand `b`), the byte after its last field initializer, the byte of its closing `}`), or None."""
    node: Node | None = parse(data).root_node.descendant_for_byte_range(offset, offset)
    while node is not None and node.type != "struct_expression":
        node = node.parent
    body = node.child_by_field_name("body") if node is not None else None
    if body is None:
        return None
    fields, last = _struct_fields(body)
    return fields, last, body.end_byte - 1


def _struct_fields(body: Node) -> tuple[list[tuple[str, str | None]], int]:
    """A struct expression body's fields (name, value text or None for a shorthand) and the byte after
    its last field initializer."""
    fields: list[tuple[str, str | None]] = []
    last = body.start_byte + 1
    for c in body.named_children:
        if c.type == "field_initializer":
            name, value = c.child_by_field_name("field"), c.child_by_field_name("value")
            if name is not None and value is not None:
                fields.append((name.text.decode("utf-8"), value.text.decode("utf-8")))
        elif c.type == "shorthand_field_initializer":
            fields.append((c.text.decode("utf-8"), None))
        else:
            continue
        last = c.end_byte
    return fields, last


def _last_segment(path: bytes) -> bytes:
    """A path's last segment without generic arguments (`b"fmt::Display"` → `b"Display"`, `b"Foo<T>"` →
    `b"Foo"`)."""
    return path.rsplit(b"::", 1)[-1].split(b"<")[0].strip()


def walk(node: Node, kind: str) -> Iterator[Node]:
    """Every tree-sitter node of type `kind` in the tree under `node`, `node` included."""
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == kind:
            yield n
        stack.extend(n.children)


def struct_literals_named(data: bytes, name: str) -> list[tuple[int, list[tuple[str, str | None]]]]:
    """The struct expressions in Rust source `data` whose path ends in `name`'s last segment
    (`Error::Parse { .. }` for `Parse` or `Error::Parse`): (byte offset, its fields as in
    `struct_initializer_at`), in source order. Within macro arguments they are not found."""
    last = _last_segment(name.encode())
    if last not in data:
        return []
    out = []
    for n in walk(parse(data).root_node, "struct_expression"):
        ty, body = n.child_by_field_name("name"), n.child_by_field_name("body")
        if ty is not None and body is not None and _last_segment(ty.text) == last:
            out.append((n.start_byte, _struct_fields(body)[0]))
    return sorted(out)


def generic_uses(data: bytes, name: str) -> list[tuple[int, list[str]]]:
    """The uses in Rust source `data` of the generic type `name` with type arguments (`Result<T, E>`,
    `io::Result<()>` for `Result`: the last path segment): (byte offset, the argument texts), in source
    order (tree-sitter-rust `generic_type` nodes)."""
    if name.encode() not in data:
        return []
    out = []
    for n in walk(parse(data).root_node, "generic_type"):
        ty, args = n.child_by_field_name("type"), n.child_by_field_name("type_arguments")
        if ty is not None and args is not None and ty.text.rsplit(b"::", 1)[-1] == name.encode():
            out.append((n.start_byte, [c.text.decode("utf-8") for c in args.named_children
                                       if c.type not in ("line_comment", "block_comment")]))
    return sorted(out)


def _parameters(fn: Node) -> list[tuple[Node, str]]:
    """A function's parameters, `self` left out: (the pattern: `_`, `queue`, `(x, y)`; the type's text,
    "" when it has none)."""
    params = fn.child_by_field_name("parameters")
    return [(p, ty.text.decode("utf-8") if (ty := c.child_by_field_name("type")) is not None else "")
            for c in (params.named_children if params is not None else ())
            if c.type == "parameter" and (p := c.child_by_field_name("pattern")) is not None]


#: the tree-sitter-rust kinds of the items a name can denote in a path (a `use`, an expression, a type)
NAMED_ITEM_KINDS = ("function_item", "mod_item", "struct_item", "enum_item", "union_item", "trait_item",
                    "type_item", "const_item", "static_item", "macro_definition")


def items_named(files: Mapping[str, bytes], name: str, kinds: Sequence[str] = NAMED_ITEM_KINDS
                ) -> Iterator[tuple[str, Node]]:
    """The workspace's items (`kinds`, tree-sitter-rust node types) named `name`: (file, node), in path
    order, then in the order of `kinds`, then in source order. Items inside functions are included."""
    for f in sorted(files):
        if not f.endswith(".rs") or name.encode() not in files[f]:
            continue
        root = parse(files[f]).root_node
        for kind in kinds:
            for n in walk(root, kind):
                if (nm := n.child_by_field_name("name")) is not None and nm.text == name.encode():
                    yield f, n


def nearest_items_named(files: Mapping[str, bytes], name: str, file: str, offset: int,
                        kinds: Sequence[str] = NAMED_ITEM_KINDS) -> list[tuple[str, Node]]:
    """`items_named`, those in `file` first, nearest to its byte `offset` first, then the other files'
    in path order."""
    found = [(abs(n.start_byte - offset) if f == file else 1 << 40, f, i, n)
             for i, (f, n) in enumerate(items_named(files, name, kinds))]
    return [(f, n) for _d, f, _i, n in sorted(found, key=lambda t: t[:3])]


def _functions(node: Node) -> Iterator[Node]:
    """Every function with a body or a trait's signature under `node`."""
    yield from walk(node, "function_item")
    yield from walk(node, "function_signature_item")


def _same_type(a: str, b: str, a_self: str | None = None, b_self: str | None = None) -> bool:
    """Whether two type texts name the same type, paths and lifetimes aside (`&mut Formatter<'_>` and
    `&mut fmt::Formatter`), each with the self type of its impl (`a_self`, `b_self`) read as `Self`
    (`&TinyStr4` in `TinyStr4`'s impl and `&Self` or `&TinyStr8` in `TinyStr8`'s)."""
    def norm(t: str, self_type: str | None) -> str:
        t = re.sub(r"<\s*>", "", re.sub(r"'\w+\s*,?|\b\w+::|\s+", "", t))
        return re.sub(rf"\b{re.escape(self_type)}\b", "Self", t) if self_type else t
    return norm(a, a_self) == norm(b, b_self)


def trait_method_parameters(files: Mapping[str, bytes], trait: str, method: str, exclude: tuple[str, int],
                            types: Sequence[str], self_type: str | None = None) -> list[str | None] | None:
    """Names for the parameters of `trait`'s method `method` (`self` left out), whose types rustc's
    scaffold writes as `types` in the impl of `self_type`: as the workspace's `trait` item declares
    them, else as the nearest of the workspace's other impls of the trait writes them
    (`other_implementations`; `exclude` is the impl being fixed: file, start byte), each only where its
    type there is the same (`_same_type`, each impl's self type as `Self`: an `impl From<Digest>`'s
    `digest` does not name the `Context` of an `impl From<Context>`). None for a
    position with no name (a pattern, another type); None in all when neither is in the workspace (a
    trait of another crate, implemented nowhere else here)."""
    def named(p: Node) -> str | None:
        return p.text.decode("utf-8") if p.type == "identifier" else None

    for _f, tr in items_named(files, _last_segment(trait.encode()).decode("utf-8"), ("trait_item",)):
        for fn in _functions(tr):
            fn_name = fn.child_by_field_name("name")
            if fn_name is not None and fn_name.text.decode("utf-8") == method:
                return [named(p) for p, _ty in _parameters(fn)]
    for f, line, text in other_implementations(files, trait, [method], exclude, limit=1):
        fn = next(_functions(parse(text.encode("utf-8")).root_node), None)
        params = _parameters(fn) if fn is not None else []
        at = sum(len(x) for x in files[f].split(b"\n")[: line - 1]) + line - 1  # the method's first byte
        other_self = impl_self_type(files[f], at)
        if params and len(params) == len(types):
            return [named(p) if ty and _same_type(ty, want, other_self, self_type) else None
                    for (p, ty), want in zip(params, types)]
    return None


def name_placeholder_parameters(code: str, names: Callable[[str, list[str]], list[str | None] | None]) -> str:
    """`code` (rustc's scaffold for missing trait methods: `fn next_ones<N>(_: &BitQueue<Self, N>) -> u32
    where N: Numeric { todo!() }`) with each `_` parameter named as `names(method, parameter types)`
    names it at the same position (`queue: &BitQueue<Self, N>`), where it gives as many names and the
    name is not taken by another parameter. rustc writes `_` for every parameter; the default model
    then used the name the trait declares, which was not bound (E0425)."""
    data = code.encode("utf-8")
    edits: list[tuple[int, int, bytes]] = []
    for fn in _functions(parse(data).root_node):
        fn_name = fn.child_by_field_name("name")
        params = _parameters(fn)
        if fn_name is None or not any(p.type == "_" for p, _ty in params):
            continue
        want = names(fn_name.text.decode("utf-8"), [ty for _p, ty in params])
        if want is None or len(want) != len(params):
            continue
        taken = {p.text.decode("utf-8") for p, _ty in params}
        for (p, _ty), name in zip(params, want):
            if p.type == "_" and name and name != "_" and name not in taken:
                edits.append((p.start_byte, p.end_byte, name.encode("utf-8")))
                taken.add(name)
    for start, end, new in sorted(edits, reverse=True):
        data = data[:start] + new + data[end:]
    return data.decode("utf-8")


def method_owners(files: Mapping[str, bytes]) -> dict[str, set[str]]:
    """Who defines each method in the workspace's sources (`files`: path → bytes): method name → the
    names of the types whose `impl` blocks define it (`{"as_str": {"StrSpan"}}`, generic arguments and
    path stripped), with `""` among them when a `trait` item declares it (then any implementor may
    have it). Functions outside `impl` and `trait` blocks are not listed."""
    owners: dict[str, set[str]] = {}
    for f in sorted(files):
        if not f.endswith(".rs"):
            continue
        root = parse(files[f]).root_node
        for kind in ("impl_item", "trait_item"):
            for block in walk(root, kind):
                ty = _impl_type(block) if kind == "impl_item" else None
                owner = _last_segment(ty.text).decode("utf-8") if ty is not None else ""
                body = block.child_by_field_name("body")
                for fn in body.named_children if body is not None else ():
                    name = fn.child_by_field_name("name") if fn.type in (
                        "function_item", "function_signature_item") else None
                    if name is not None:
                        owners.setdefault(name.text.decode("utf-8"), set()).add(owner)
    return owners


def trait_signature_for_impl(files: Mapping[str, bytes], data: bytes, offset: int) -> tuple[int, int, str] | None:
    """For the method of a trait `impl` enclosing byte `offset` of `data`: its signature rewritten as
    the workspace's `trait` item declares the method — (start byte, end byte of the impl method's
    signature, from `fn` or its qualifiers to its body, the declaration's signature). The trait's
    generic parameters are replaced by the impl's arguments (`trait Add<T>` in `impl Add<u8>`: `T` →
    `u8`); each parameter the impl also has at that position (`self` aside) keeps the impl's pattern,
    which the body uses. None outside a trait impl's method, for a trait or method the workspace does
    not declare, or when the signatures are the same."""
    fn = enclosing(data, offset, "function_item")
    impl = fn.parent.parent if fn is not None and fn.parent is not None else None
    if impl is None or impl.type != "impl_item" or (tr := impl.child_by_field_name("trait")) is None:
        return None
    name, body = fn.child_by_field_name("name"), fn.child_by_field_name("body")
    if name is None or body is None:
        return None
    for f, trait in items_named(files, _last_segment(tr.text).decode("utf-8"), ("trait_item",)):
        tbody = trait.child_by_field_name("body")
        decl = next((d for d in (tbody.named_children if tbody is not None else ())
                     if d.type in ("function_signature_item", "function_item")
                     and (n := d.child_by_field_name("name")) is not None and n.text == name.text), None)
        if decl is None:
            continue
        src = files[f]
        end = b.start_byte if (b := decl.child_by_field_name("body")) is not None else decl.end_byte
        # the impl's names for the declaration's parameters, by position
        renames = [(p.start_byte, p.end_byte, ip.text) for (p, _t), (ip, _it) in
                   zip(_parameters(decl), _parameters(fn)) if ip.type == "identifier"]
        sig = bytearray(src[decl.start_byte:end])
        for a, z, text in sorted(renames, reverse=True):
            sig[a - decl.start_byte:z - decl.start_byte] = text
        text = bytes(sig).decode("utf-8").rstrip().rstrip(";").rstrip()
        tparams = trait.child_by_field_name("type_parameters")
        names = [c.text.decode("utf-8") for c in (tparams.named_children if tparams is not None else ())
                 if c.type in ("type_identifier", "type_parameter", "constrained_type_parameter",
                               "optional_type_parameter")]
        names = [re.split(r"[:=]", n)[0].strip() for n in names]
        args = tr.child_by_field_name("type_arguments") if tr.type == "generic_type" else None
        values = [c.text.decode("utf-8") for c in (args.named_children if args is not None else ())
                  if c.type != "lifetime"]
        if names and len(names) == len(values):
            text = re.sub(r"\b(" + "|".join(map(re.escape, names)) + r")\b",
                          lambda m: values[names.index(m.group(1))], text)
        old = data[fn.start_byte:body.start_byte].decode("utf-8").rstrip()
        if " ".join(old.split()) == " ".join(text.split()):
            return None
        return fn.start_byte, body.start_byte, text + " "
    return None


def other_implementations(files: Mapping[str, bytes], trait: str, names: Sequence[str], exclude: tuple[str, int],
                          limit: int = 2, max_lines: int = 30) -> list[tuple[str, int, str]]:
    """How the workspace's other impls of `trait` (matched by its last path segment, generics aside)
    write the methods `names`: (file, 1-based line, the method's text with its indentation), at most
    `limit`, each at most `max_lines` long; the impl starting at `exclude` (file, byte offset) is left
    out. The error's file (`exclude[0]`) first, nearest first. For E0046: the missing method as the
    crate's other types implement it (`fn partial_cmp` of `TinyStr8` beside `TinyStr4`'s)."""
    last = _last_segment(trait.encode())
    found: list[tuple[int, str, int, str]] = []
    for f in sorted(files):
        data = files[f]
        if not f.endswith(".rs") or last not in data:
            continue
        for impl in walk(parse(data).root_node, "impl_item"):
            tr, body = impl.child_by_field_name("trait"), impl.child_by_field_name("body")
            if tr is None or body is None or (f, impl.start_byte) == exclude or \
                    _last_segment(tr.text) != last:
                continue
            for fn in body.named_children:
                name = fn.child_by_field_name("name") if fn.type == "function_item" else None
                if name is None or name.text.decode("utf-8") not in names or \
                        fn.end_point[0] - fn.start_point[0] >= max_lines:
                    continue
                start = _line_start(data, fn.start_byte)
                near = abs(impl.start_byte - exclude[1]) if f == exclude[0] else 1 << 40
                found.append((near, f, data.count(b"\n", 0, start) + 1, data[start:fn.end_byte].decode("utf-8")))
    return [(f, line, text) for _n, f, line, text in sorted(found)[:limit]]


def call_arguments_at(data: bytes, offset: int) -> list[tuple[int, int]]:
    """The arguments, as (start, end) bytes, of the innermost call or method call with an argument
    at byte `offset`; [] when `offset` is in no call's argument list."""
    node: Node | None = parse(data).root_node.descendant_for_byte_range(offset, offset)
    while node is not None and not (node.type == "arguments" and node.parent is not None
                                    and node.parent.type in ("call_expression", "method_call_expression")):
        node = node.parent
    if node is None:
        return []
    return [(c.start_byte, c.end_byte) for c in node.named_children if c.type not in ("line_comment", "block_comment")]


#: the callee's name at the end of a call's function expression (`read`, `self.r.read`, `Vec::<u8>::with_capacity`)
_CALLEE = re.compile(r"(\w+)\s*(?:::\s*<.*>)?\s*$", re.S)


def _argument_texts(args: Node) -> list[str]:
    return [c.text.decode("utf-8") for c in args.named_children if c.type not in ("line_comment", "block_comment")]


def argument_list_texts(source: str) -> list[str] | None:
    """The arguments of a parenthesised argument list's source (`(a, f(b, c))` → `a`, `f(b, c)`),
    split by tree-sitter; None when it does not parse as one."""
    tree = parse(f"fn _f() {{ _g{source}; }}".encode())
    node = tree.root_node.descendant_for_byte_range(10, 10)  # `_g`
    while node is not None and node.type != "call_expression":
        node = node.parent
    args = node.child_by_field_name("arguments") if node is not None else None
    if args is None or tree.root_node.has_error:
        return None
    return _argument_texts(args)


def _call_expressions(data: bytes, needle: bytes) -> Iterator[tuple[int, Node]]:
    """The `call_expression` nodes of Rust source `data`, also those within the arguments of a macro
    whose token tree contains `needle` (`try!(w.f(a, b))`: the token tree is parsed as call
    arguments): (what to add to the node's byte positions for its place in `data`, node)."""
    todo = [(parse(data).root_node, 0)]  # (node, offset of its source in `data` minus its own offset)
    while todo:
        n, base = todo.pop()
        if n.type == "call_expression":
            yield base, n
        if n.type == "token_tree" and n.parent is not None and n.parent.type == "macro_invocation" \
                and needle in n.text:
            prefix = b"fn _f() { _m("
            todo.append((parse(prefix + n.text[1:-1] + b"); }").root_node, base + n.start_byte + 1 - len(prefix)))
            continue
        todo.extend((c, base) for c in n.children)


def calls_named(data: bytes, name: str) -> list[tuple[int, list[str]]]:
    """The calls in Rust source `data` of a function, method or tuple struct called `name` (the last
    segment of the callee: `f(..)`, `x.f(..)`, `m::f(..)`, `T::<u8>::f(..)`), also within macro
    arguments (`try!(w.f(a, b))`, `assert_eq!(f(x), 2)`): (byte offset of the call, its argument
    texts), in source order. tree-sitter-rust writes method calls as a `call_expression` whose
    function is a `field_expression`."""
    if name.encode() not in data:
        return []
    out: list[tuple[int, list[str]]] = []
    for base, n in _call_expressions(data, name.encode()):
        fn, args = n.child_by_field_name("function"), n.child_by_field_name("arguments")
        m = _CALLEE.search(fn.text.decode("utf-8", "replace")) if fn is not None else None
        if m and m.group(1) == name and args is not None:
            out.append((base + n.start_byte, _argument_texts(args)))
    return sorted(out)


@dataclass(frozen=True)
class MethodCall:
    """One method call `receiver.method(args)`: `at`, the byte offset of the method's name; `receiver`,
    the receiver expression's text without whitespace (`self.data`, `slot.task`); `method`; `arity`,
    the number of arguments; `then`, the method called on its result (`enumerate` in
    `v.iter().enumerate()`), or None; `statement`, whether its value is discarded (`v.clear();`)."""

    at: int
    receiver: str
    method: str
    arity: int
    then: str | None
    statement: bool


@lru_cache(maxsize=256)
def method_calls(data: bytes) -> tuple[MethodCall, ...]:
    """The method calls in Rust source `data`, also within macro arguments, in source order
    (`MethodCall`; `x.collect::<Vec<_>>()` is `collect`)."""
    out = []
    for base, n in _call_expressions(data, b"."):
        fn, args = n.child_by_field_name("function"), n.child_by_field_name("arguments")
        if fn is not None and fn.type == "generic_function":
            fn = fn.child_by_field_name("function")
        if fn is None or fn.type != "field_expression" or args is None:
            continue
        value, field = fn.child_by_field_name("value"), fn.child_by_field_name("field")
        if value is None or field is None or field.type != "field_identifier":
            continue
        up, then = n.parent, None
        if up is not None and up.type == "field_expression" and up.child_by_field_name("value") == n:
            nxt = up.child_by_field_name("field")
            then = nxt.text.decode("utf-8") if nxt is not None and nxt.type == "field_identifier" else None
        arity = sum(1 for a in args.named_children if a.type not in ("line_comment", "block_comment"))
        out.append(MethodCall(base + field.start_byte, re.sub(r"\s+", "", value.text.decode("utf-8", "replace")),
                              field.text.decode("utf-8"), arity, then, up is not None and up.type == "expression_statement"))
    return tuple(sorted(out, key=lambda c: c.at))


def window(data: bytes, line: int, radius: int = 12) -> tuple[int, int, str]:
    """Lines `line-radius .. line+radius` (1-based) of the file: (first line, last line, text)."""
    lines = data.decode("utf-8").splitlines(keepends=True)
    lo = max(1, line - radius)
    hi = min(len(lines), line + radius)
    return lo, hi, "".join(lines[lo - 1:hi])


def function_at(data: bytes, offset: int) -> Node | None:
    """The innermost function (with a body or a trait's signature) enclosing byte `offset`, or None."""
    return enclosing(data, offset, "function_item", "function_signature_item")


def parameters_open(data: bytes, offset: int, name: str) -> int | None:
    """The byte just past the `(` of the parameter list of function `name` enclosing byte `offset` (its
    generics skipped, whatever they hold), or None when the function there has another name."""
    node = function_at(data, offset)
    fn_name = node.child_by_field_name("name") if node is not None else None
    params = node.child_by_field_name("parameters") if node is not None else None
    if fn_name is None or params is None or fn_name.text.decode("utf-8") != name:
        return None
    return params.start_byte + 1


def parameters_at(data: bytes, offset: int) -> list[tuple[str, str, int, int]]:
    """The typed parameters of the innermost function enclosing byte `offset`: (pattern text, type
    text, type start byte, type end byte) each (`input`, `&'a [u8]`, ...); the receiver (`&self`) is not
    among them. [] when `offset` is in no function."""
    node = function_at(data, offset)
    params = node.child_by_field_name("parameters") if node is not None else None
    out = []
    for c in params.named_children if params is not None else []:
        pattern, ty = c.child_by_field_name("pattern"), c.child_by_field_name("type")
        if c.type == "parameter" and pattern is not None and ty is not None:
            out.append((pattern.text.decode("utf-8"), ty.text.decode("utf-8"), ty.start_byte, ty.end_byte))
    return out


def _bound_identifier(pattern: Node | None) -> Node | None:
    """The identifier a `let`'s or parameter's pattern binds when it is a plain name (`r`, `mut n`), else None."""
    if pattern is not None and pattern.type == "mut_pattern" and pattern.named_children:
        pattern = pattern.named_children[-1]
    return pattern if pattern is not None and pattern.type == "identifier" else None


def _pattern_identifiers(pattern: Node | None) -> list[Node]:
    """The identifiers a `let`'s, parameter's or closure parameter's pattern binds: a plain name (`r`,
    `mut n`, `ref v`), and the names inside tuple, tuple-struct, struct (`Point { x, y: b }` binds `x`
    and `b`), slice and reference patterns; not a variant's or a constant's path (`Some`, `None`)."""
    if pattern is None:
        return []
    out: list[Node] = []
    stack = [pattern]
    while stack:
        n = stack.pop()
        if n.type in ("identifier", "shorthand_field_identifier"):
            if not n.text[:1].isupper():
                out.append(n)
            continue
        if n.type in ("scoped_identifier", "type_identifier", "generic_type", "field_identifier"):
            continue
        kids = n.children
        if n.type in ("tuple_struct_pattern", "struct_pattern"):
            kids = [c for c in kids if c != n.child_by_field_name("type")]
        elif n.type == "field_pattern" and n.child_by_field_name("pattern") is not None:
            kids = [n.child_by_field_name("pattern")]
        stack.extend(reversed(kids))
    return out


def unused_bindings(data: bytes, offset: int) -> list[str]:
    """The bindings of the innermost function enclosing byte `offset` that nothing reads: its parameters,
    the parameters of the closures around `offset`, and the `let`s ending before `offset`, each name a
    pattern binds (`let (maj, min, patch) = ..` binds three), in order of declaration. A binding is
    read when an identifier of its name (in macro arguments too: tree-sitter reads their tokens as
    identifiers; not in format strings' `{r}`) occurs where it is in scope: after its `let` ends (a
    parameter: in the body) and before the next binding of the same name takes over (`let len =
    len.ok_or(..)?;` reads the parameter `len`; the new `len` is read only by what follows). An
    argument dropped from a call leaves the variable it read unused; rustc's own "unused variable"
    lint does not run while the crate has type errors. Names starting with `_` are never listed.
    [] outside a function."""
    fn = function_at(data, offset)
    body = fn.child_by_field_name("body") if fn is not None else None
    if body is None:
        return []
    binds: list[tuple[int, Node]] = []  # (where the binding's scope starts, its identifier)
    params = fn.child_by_field_name("parameters")
    for c in params.named_children if params is not None else []:
        if c.type == "parameter":
            binds += [(body.start_byte, i) for i in _pattern_identifiers(c.child_by_field_name("pattern"))]
    for closure in walk(body, "closure_expression"):
        cbody = closure.child_by_field_name("body")
        cparams = closure.child_by_field_name("parameters")
        if cbody is None or cparams is None or not closure.start_byte <= offset < closure.end_byte:
            continue
        for c in cparams.named_children:
            pat = c.child_by_field_name("pattern") if c.type == "parameter" else c
            binds += [(cbody.start_byte, i) for i in _pattern_identifiers(pat)]
    lets = [(n.end_byte, i) for n in walk(body, "let_declaration")
            for i in _pattern_identifiers(n.child_by_field_name("pattern"))]
    binding_nodes = {(i.start_byte, i.end_byte) for _, i in binds + lets}
    uses = [n for n in walk(body, "identifier") if (n.start_byte, n.end_byte) not in binding_nodes]
    everything = sorted(binds + lets, key=lambda b: (b[0], b[1].start_byte))
    out = []
    for k, (start, ident) in enumerate(everything):
        name = ident.text
        if name.startswith(b"_") or start > offset:
            continue
        end = next((s for s, i in everything[k + 1:] if i.text == name and s > start), body.end_byte)
        if not any(n.text == name and start <= n.start_byte < end for n in uses):
            out.append((ident.start_byte, name.decode("utf-8")))
    return [name for _, name in sorted(out)]


def typed_lets(data: bytes, offset: int) -> list[tuple[str, str]]:
    """The `let name: T` bindings (`let mut name: T` too; a plain name pattern) of the innermost function
    enclosing byte `offset` that end before it: (name, type text), nearest first. [] outside a function."""
    fn = function_at(data, offset)
    if fn is None:
        return []
    out = []
    for n in sorted(walk(fn, "let_declaration"), key=lambda n: n.start_byte, reverse=True):
        ident, ty = _bound_identifier(n.child_by_field_name("pattern")), n.child_by_field_name("type")
        if n.end_byte <= offset and ty is not None and ident is not None:
            out.append((ident.text.decode("utf-8"), ty.text.decode("utf-8")))
    return out


def declared_type(data: bytes, offset: int, name: str) -> tuple[str, int, int] | None:
    """The type a binding `name` used at byte `offset` was declared with: the nearest `let name: T`
    (or `let mut name: T`) of the innermost enclosing function before `offset`, else its parameter
    `name: T`, as (type text, type start byte, type end byte). None when the nearest `let` of `name`
    has no type annotation, or nothing declares it there (a `let` with another pattern is skipped)."""
    node = let_declaration(data, offset, name)
    if node is not None:
        ty = node.child_by_field_name("type")
        return (ty.text.decode("utf-8"), ty.start_byte, ty.end_byte) if ty is not None else None
    return next(((ty, lo, hi) for pattern, ty, lo, hi in parameters_at(data, offset)
                 if re.sub(r"^mut\s+", "", pattern) == name), None)


def let_declaration(data: bytes, offset: int, name: str) -> Node | None:
    """The nearest `let name ...;` or `let mut name ...;` (the pattern exactly `name`, not a tuple) that
    ends before byte `offset` in the innermost function enclosing it (tree-sitter's `let_declaration`:
    fields `pattern`, `type`, `value`; a `mutable_specifier` child for `mut`), or None."""
    fn = function_at(data, offset)
    if fn is None:
        return None
    lets = [n for n in walk(fn, "let_declaration") if n.end_byte <= offset]
    for node in sorted(lets, key=lambda n: n.start_byte, reverse=True):
        pattern = node.child_by_field_name("pattern")
        if pattern is not None and pattern.text.decode("utf-8") == name:
            return node
    return None
